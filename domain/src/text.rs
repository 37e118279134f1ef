//! Free text people type, in three shapes:
//! - a **line** (a name, a title, a label): it reaches e-mail headers, lists and file names,
//!   so it holds no control character at all, no line break and no bidirectional control;
//! - **paragraphs** (a description, a reason, a message): line breaks and tabs allowed, but
//!   no other control character and no bidirectional override;
//! - a **file name** as an upload announces it.
//!
//! All are put in Unicode's composed form (NFC), so that "é" typed either way is the same
//! text, and trimmed of spaces and invisible characters at both ends; a text with nothing
//! visible is empty. Bidirectional controls can make a name read other than it is
//! (`statuts\u{202e}fdp.exe` shows as `statutsexe.pdf`), hence their refusal.

use crate::Violation;
use unicode_normalization::UnicodeNormalization;

/// A name, title or label: one line, between `min` and `max` characters.
pub fn line(raw: &str, min: usize, max: usize) -> Result<String, Violation> {
    let value = normalized(raw);
    if value
        .chars()
        .any(|c| c.is_control() || is_line_separator(c))
    {
        return Err(control_characters());
    }
    if value.chars().any(is_bidi_control) {
        return Err(bidi_controls());
    }
    bounded(value, min, max)
}

/// Paragraphs: line breaks (stored as `\n`) and tabs allowed.
pub fn paragraphs(raw: &str, min: usize, max: usize) -> Result<String, Violation> {
    let value = normalized(&raw.replace("\r\n", "\n").replace('\r', "\n"));
    if has_control_characters(&value) {
        return Err(control_characters());
    }
    // Marks (LRM, RLM, ALM) are how right-to-left prose is typed; overrides and isolates
    // reorder what follows them.
    if value.chars().any(is_bidi_override) {
        return Err(bidi_controls());
    }
    bounded(value, min, max)
}

/// The name an uploaded file came with: its last path component, without control
/// characters or quotes, at most 200 characters; `document` when nothing visible is left.
/// Bidirectional controls are refused: they disguise a file's real extension.
pub fn file_name(raw: &str) -> Result<String, Violation> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !is_line_separator(*c) && *c != '"')
        .collect();
    if cleaned.chars().any(is_bidi_control) {
        return Err(bidi_controls());
    }
    let cleaned: String = normalized(&cleaned).chars().take(200).collect();
    let cleaned = cleaned.trim_matches(is_invisible);
    Ok(if cleaned.is_empty() {
        "document".to_owned()
    } else {
        cleaned.to_owned()
    })
}

/// Text stored before these rules (or by hand), made fit for one line where it is shown:
/// control characters and line separators become spaces, bidirectional controls go.
pub fn on_one_line(stored: &str) -> String {
    stored
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| {
            if c.is_control() || is_line_separator(c) {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Whether text holds control characters other than line breaks and tabs: nobody means to
/// type them, and PostgreSQL cannot even store NUL.
pub fn has_control_characters(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn normalized(raw: &str) -> String {
    let composed: String = raw.nfc().collect();
    composed.trim_matches(is_invisible).to_owned()
}

fn bounded(value: String, min: usize, max: usize) -> Result<String, Violation> {
    let length = value.chars().count();
    if length == 0 && min > 0 {
        Err(Violation::new(
            "text.required",
            "Ce champ est obligatoire (les espaces et caractères invisibles ne comptent pas).",
        ))
    } else if length < min {
        Err(Violation::new(
            "text.too_short",
            format!("Ce texte fait {length} caractères ; {min} au moins sont attendus."),
        ))
    } else if length > max {
        Err(Violation::new(
            "text.too_long",
            format!("Ce texte fait {length} caractères ; {max} au plus sont permis."),
        ))
    } else {
        Ok(value)
    }
}

/// Characters that show nothing: spaces, zero-width characters, fillers, variation
/// selectors, tags, soft hyphens.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
        || is_bidi_control(c)
}

/// The line and paragraph separators, which split a line as a line break does.
fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{0085}')
}

/// Embeddings, overrides and isolates: they reorder the text that follows.
fn is_bidi_override(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Every bidirectional control: the overrides, and the marks (LRM, RLM, ALM).
fn is_bidi_control(c: char) -> bool {
    is_bidi_override(c) || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn control_characters() -> Violation {
    Violation::new(
        "text.control_character",
        "Ce texte contient des caractères de contrôle (retour à la ligne, tabulation…) qui n'ont pas leur place ici : retirez-les.",
    )
}

fn bidi_controls() -> Violation {
    Violation::new(
        "text.bidi_control",
        "Ce texte contient des caractères invisibles qui inversent le sens de lecture : retirez-les.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(result: Result<String, Violation>) -> &'static str {
        result.expect_err("refused").code
    }

    #[test]
    fn lines_count_characters_not_bytes_and_are_trimmed_of_what_shows_nothing() {
        assert_eq!(line("  Été  ", 1, 3).unwrap(), "Été");
        assert_eq!(line("\u{200B}Été\u{FEFF}", 1, 3).unwrap(), "Été");
        assert_eq!(code(line("   ", 1, 10)), "text.required");
        assert_eq!(code(line("abcd", 1, 3)), "text.too_long");
        assert_eq!(line("", 0, 3).unwrap(), "");
        assert_eq!(code(line("ab", 3, 9)), "text.too_short");
        // Composed: "e" + combining acute is one character, "é".
        assert_eq!(line("Ge\u{301}rard", 1, 6).unwrap(), "Gérard");
        // A zero-width joiner inside an emoji sequence is kept.
        assert_eq!(
            line("Famille 👨\u{200D}👩", 1, 20).unwrap(),
            "Famille 👨\u{200D}👩"
        );
    }

    #[test]
    fn a_line_made_only_of_invisible_characters_is_empty() {
        assert_eq!(
            code(line("\u{200B}\u{200B}\u{200B}", 1, 200)),
            "text.required"
        );
        assert_eq!(
            code(line("\u{2060}\u{00AD}\u{3164}", 1, 200)),
            "text.required"
        );
    }

    #[test]
    fn lines_refuse_every_control_character_and_line_separator() {
        for bad in [
            "Eve\r\nBcc: tous@exemple.org",
            "deux\nlignes",
            "tab\there",
            "nul\0byte",
            "bell\u{7}",
            "c1\u{85}next",
            "sep\u{2028}arateur",
        ] {
            assert_eq!(code(line(bad, 1, 100)), "text.control_character", "{bad:?}");
        }
    }

    #[test]
    fn lines_refuse_bidirectional_controls() {
        for bad in [
            "statuts\u{202E}fdp.exe",
            "Association \u{2067}عربي\u{2069}",
            "marque\u{200F}droite",
        ] {
            assert_eq!(code(line(bad, 1, 100)), "text.bidi_control", "{bad:?}");
        }
        assert_eq!(line("جمعية الأصدقاء", 1, 100).unwrap(), "جمعية الأصدقاء");
    }

    #[test]
    fn paragraphs_keep_line_breaks_and_tabs_and_refuse_overrides() {
        assert_eq!(
            paragraphs("deux\r\nlignes\tet tab\rfin", 1, 40).unwrap(),
            "deux\nlignes\tet tab\nfin"
        );
        assert_eq!(code(paragraphs("nul\0", 1, 40)), "text.control_character");
        assert_eq!(code(paragraphs("a\u{202E}b", 1, 40)), "text.bidi_control");
        assert_eq!(
            paragraphs("שלום\u{200F} (RLM)", 1, 40).unwrap(),
            "שלום\u{200F} (RLM)"
        );
        assert_eq!(
            code(paragraphs("\u{200B}\n\u{200B}", 1, 40)),
            "text.required"
        );
    }

    #[test]
    fn file_names_lose_paths_and_control_characters_and_refuse_bidirectional_controls() {
        assert_eq!(
            file_name("C:\\Users\\tresorier\\RIB 2026.pdf").unwrap(),
            "RIB 2026.pdf"
        );
        assert_eq!(file_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(file_name("statuts\u{0}\".pdf").unwrap(), "statuts.pdf");
        assert_eq!(
            file_name("statuts\u{2028}2026.pdf").unwrap(),
            "statuts2026.pdf"
        );
        assert_eq!(file_name("   ").unwrap(), "document");
        assert_eq!(file_name("\u{200B}\u{200B}").unwrap(), "document");
        assert_eq!(
            code(file_name("statuts\u{202E}gpj.pdf")),
            "text.bidi_control"
        );
        assert_eq!(file_name(&"é".repeat(300)).unwrap().chars().count(), 200);
    }

    #[test]
    fn stored_text_is_put_on_one_line_for_display() {
        assert_eq!(on_one_line("Eve\r\nX"), "Eve  X");
        assert_eq!(on_one_line("a\u{202E}b"), "ab");
        assert_eq!(on_one_line("Camille Martin"), "Camille Martin");
    }
}
