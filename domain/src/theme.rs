//! A city's identity on the portal: its colours (its header's text is white on its main
//! colour, so that colour must be dark enough to read, as WCAG 2.1 asks: a contrast of at
//! least 4.5 to 1) and the links of its footer.

use crate::Violation;

/// A colour, `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colour([u8; 3]);

/// The contrast that normal text needs against its background (WCAG 2.1, 1.4.3).
pub const TEXT_CONTRAST: f64 = 4.5;

impl Colour {
    pub const WHITE: Colour = Colour([255, 255, 255]);

    pub fn parse(raw: &str) -> Result<Colour, Violation> {
        let bad = || {
            Violation::new(
                "colour.invalid",
                format!("« {raw} » n'est pas une couleur de la forme #1d3557."),
            )
        };
        let hex = raw.trim().strip_prefix('#').ok_or_else(bad)?;
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        Ok(Colour([channel(0)?, channel(2)?, channel(4)?]))
    }

    /// A colour that white text can be read on: refused otherwise, saying by how much.
    pub fn under_white_text(raw: &str) -> Result<Colour, Violation> {
        let colour = Colour::parse(raw)?;
        let contrast = colour.contrast(Colour::WHITE);
        if contrast < TEXT_CONTRAST {
            return Err(Violation::new(
                "colour.too_light",
                format!(
                    "Le texte blanc serait illisible sur « {raw} » (contraste de {contrast:.1} pour 1, il en faut {TEXT_CONTRAST} au moins) : choisissez une couleur plus foncée."
                ),
            ));
        }
        Ok(colour)
    }

    /// Its relative luminance (WCAG 2.1).
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = self.0.map(linear);
        0.2126 * r + 0.7152 * g + 0.0722 * b
    }

    /// The contrast ratio of two colours, from 1 to 21.
    pub fn contrast(self, other: Colour) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    pub fn css(self) -> String {
        let [r, g, b] = self.0;
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

/// A link of the footer: its words and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FooterLink {
    pub label: String,
    pub url: String,
}

/// The footer's links, written `Mentions légales=https://…;Accessibilité=https://…`: each
/// with words and an http(s) address.
pub fn parse_footer_links(raw: &str) -> Result<Vec<FooterLink>, Violation> {
    raw.split(';')
        .map(str::trim)
        .filter(|link| !link.is_empty())
        .map(|link| {
            let bad = || {
                Violation::new(
                    "footer_link.invalid",
                    format!("« {link} » : un lien s'écrit Libellé=https://adresse."),
                )
            };
            let (label, url) = link.split_once('=').ok_or_else(bad)?;
            let (label, url) = (label.trim(), url.trim());
            let web = url.starts_with("https://") || url.starts_with("http://");
            if label.is_empty() || !web || url.contains(char::is_whitespace) {
                return Err(bad());
            }
            Ok(FooterLink {
                label: label.to_owned(),
                url: url.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_is_computed_as_wcag_says() {
        let black = Colour::parse("#000000").unwrap();
        assert!((black.contrast(Colour::WHITE) - 21.0).abs() < 1e-9);
        // GOV.UK's link blue against white: 5.17 to 1.
        let blue = Colour::parse("#1d70b8").unwrap();
        assert!(
            (blue.contrast(Colour::WHITE) - 5.17).abs() < 0.1,
            "{}",
            blue.contrast(Colour::WHITE)
        );
        assert_eq!(Colour::parse("#1D3557").unwrap().css(), "#1d3557");
    }

    #[test]
    fn a_colour_too_light_for_white_text_is_refused() {
        assert!(Colour::under_white_text("#1d3557").is_ok());
        let refused = Colour::under_white_text("#ffcc00").unwrap_err();
        assert_eq!(refused.code, "colour.too_light");
        assert!(
            refused.message.contains("plus foncée"),
            "{}",
            refused.message
        );
        assert_eq!(Colour::parse("bleu").unwrap_err().code, "colour.invalid");
        assert_eq!(Colour::parse("#12345").unwrap_err().code, "colour.invalid");
    }

    #[test]
    fn footer_links_have_words_and_a_web_address() {
        let links = parse_footer_links(
            "Mentions légales=https://ville.fr/mentions; Accessibilité = https://ville.fr/a11y ;",
        )
        .unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(links[1].label, "Accessibilité");
        assert_eq!(links[1].url, "https://ville.fr/a11y");
        assert!(parse_footer_links("Mentions=javascript:alert(1)").is_err());
        assert!(parse_footer_links("https://ville.fr").is_err());
        assert_eq!(parse_footer_links("").unwrap(), vec![]);
    }
}
