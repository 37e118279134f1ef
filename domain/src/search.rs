//! How text is compared when people search: without accents and without case, so that
//! "theatre" finds "Théâtre" and "ecole" finds "École".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The accent- and case-folded form of `text`, with runs of spaces collapsed.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
    {
        match c {
            'œ' => folded.push_str("oe"),
            'æ' => folded.push_str("ae"),
            'ß' => folded.push_str("ss"),
            c if c.is_whitespace() => {
                if !folded.is_empty() && !folded.ends_with(' ') {
                    folded.push(' ');
                }
            }
            c => folded.push(c),
        }
    }
    folded.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn accents_case_ligatures_and_spaces() {
        assert_eq!(fold("Théâtre de l'Œuvre"), "theatre de l'oeuvre");
        assert_eq!(fold("  ÉCOLE   des   Parents "), "ecole des parents");
        assert_eq!(fold("Ça Ira"), "ca ira");
        assert_eq!(fold("Noël à Ménilmontant"), "noel a menilmontant");
    }
}
