//! The city's identity on the portal, from the configuration: its colours (served as a small
//! stylesheet of custom properties that the vendored styles read), its logo (a PNG or SVG
//! file, served as a static file) and its footer's links.

use simpa_domain::theme::{Colour, FooterLink};
use std::path::Path;

/// The largest logo accepted.
const LOGO_LIMIT: u64 = 512 * 1024;

#[derive(Debug, Clone)]
pub struct Theme {
    /// The header's colour, under white text.
    pub colour: Colour,
    /// The line under the header.
    pub accent: Colour,
    pub logo: Option<Logo>,
    pub links: Vec<FooterLink>,
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            colour: Colour::parse("#1d3557").expect("a colour"),
            accent: Colour::parse("#457b9d").expect("a colour"),
            logo: None,
            links: Vec::new(),
        }
    }
}

impl Theme {
    /// The stylesheet that gives the vendored styles the city's colours.
    pub fn stylesheet(&self) -> String {
        format!(
            ":root{{--simpa-city-colour:{};--simpa-city-accent:{}}}\n",
            self.colour.css(),
            self.accent.css()
        )
    }
}

/// A logo's bytes, and whether it is a PNG or an SVG.
#[derive(Debug, Clone)]
pub struct Logo {
    pub bytes: Vec<u8>,
    pub extension: &'static str,
    pub content_type: &'static str,
}

impl Logo {
    /// Reads the logo at `path` (`SIMPA_CITY_LOGO`): a PNG (by its bytes) or an SVG, 512 KB at
    /// most; a clear error otherwise.
    pub fn read(path: &Path) -> Result<Logo, String> {
        let shown = path.display();
        let size = std::fs::metadata(path)
            .map_err(|e| format!("SIMPA_CITY_LOGO: {shown} cannot be read ({e})"))?
            .len();
        if size > LOGO_LIMIT {
            return Err(format!(
                "SIMPA_CITY_LOGO: {shown} is {size} bytes; a logo must hold in {LOGO_LIMIT}"
            ));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| format!("SIMPA_CITY_LOGO: {shown} cannot be read ({e})"))?;
        let svg = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
            && std::str::from_utf8(&bytes).is_ok_and(|text| text.contains("<svg"));
        let (extension, content_type) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            ("png", "image/png")
        } else if svg {
            ("svg", "image/svg+xml")
        } else {
            return Err(format!(
                "SIMPA_CITY_LOGO: {shown} is neither a PNG nor an SVG file"
            ));
        };
        Ok(Logo {
            bytes,
            extension,
            content_type,
        })
    }
}
