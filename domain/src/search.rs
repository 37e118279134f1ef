//! How text is compared when people search: without accents and without case, so that
//! "theatre" finds "Théâtre" and "ecole" finds "École".

use crate::association::{AssociationProfile, TargetPublic};
use crate::ids::DistrictNumber;
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

/// Words too common to search by.
const STOPWORDS: &[&str] = &[
    "a", "au", "aux", "avec", "d", "dans", "de", "des", "du", "en", "et", "l", "la", "le", "les",
    "ou", "par", "pour", "sur", "un", "une",
];

/// The words of a text, to index or to search: folded, split at anything that is not a letter
/// or a digit, without the most common French words.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(str::to_owned)
        .collect()
}

/// How much a word found in each field counts when ranking.
pub const NAME_WEIGHT: i32 = 3;
pub const OBJECT_WEIGHT: i32 = 1;

/// What the directory filters by, rather than ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet<'a> {
    /// Acting in a district: its head office's, or one of its districts of action.
    District(DistrictNumber),
    /// A sector's code.
    Sector(&'a str),
    Public(TargetPublic),
}

impl Facet<'_> {
    /// The term that stands for it in the directory's index (`@district:11`).
    pub fn term(self) -> String {
        match self {
            Facet::District(d) => format!("@district:{}", d.0),
            Facet::Sector(code) => format!("@sector:{code}"),
            Facet::Public(p) => format!("@public:{}", p.code()),
        }
    }
}

/// The facets of a card: its sectors, its publics, and the districts it acts in (its head
/// office's, `district`, and its districts of action).
pub fn card_facets(profile: &AssociationProfile, district: Option<DistrictNumber>) -> Vec<String> {
    profile
        .sectors
        .iter()
        .map(|s| Facet::Sector(s).term())
        .chain(
            profile
                .target_publics
                .iter()
                .map(|p| Facet::Public(*p).term()),
        )
        .chain(
            district
                .into_iter()
                .chain(profile.action_districts.iter().copied())
                .map(|d| Facet::District(d).term()),
        )
        .collect()
}

/// The terms a directory card is found by, each once with its weight: the words of its name
/// and acronym, those of its object, and its facets (weight 0).
pub fn card_terms(
    name: &str,
    acronym: Option<&str>,
    object: &str,
    facets: &[String],
) -> Vec<(String, i32)> {
    let mut terms: Vec<(String, i32)> = Vec::new();
    let mut add = |term: String, weight: i32| match terms.iter_mut().find(|(t, _)| *t == term) {
        Some((_, w)) => *w = (*w).max(weight),
        None => terms.push((term, weight)),
    };
    for word in words(name)
        .into_iter()
        .chain(acronym.map(words).unwrap_or_default())
    {
        add(word, NAME_WEIGHT);
    }
    for word in words(object) {
        add(word, OBJECT_WEIGHT);
    }
    for f in facets {
        add(f.clone(), 0);
    }
    terms
}

/// The terms the city's staff find an association by, whether or not it consented to the
/// directory: the words of its name and acronym, its RNA and its SIRET, each once.
pub fn name_terms(
    name: &str,
    acronym: Option<&str>,
    rna: Option<&str>,
    siret: Option<&str>,
) -> Vec<String> {
    let mut terms: Vec<String> = [Some(name), acronym, rna, siret]
        .into_iter()
        .flatten()
        .flat_map(words)
        .collect();
    terms.sort();
    terms.dedup();
    terms
}

/// The most words a search takes.
pub const MAX_QUERY_WORDS: usize = 8;

/// The words of a search, each matching the words it begins ("thea" finds "théâtre"), in
/// order; one that begins another says nothing more and is left out.
pub fn query_words(q: &str) -> Vec<String> {
    let mut all = words(q);
    all.sort();
    all.dedup();
    let kept: Vec<String> = all
        .iter()
        .filter(|w| !all.iter().any(|o| o != *w && o.starts_with(w.as_str())))
        .cloned()
        .collect();
    kept.into_iter().take(MAX_QUERY_WORDS).collect()
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn staff_find_an_association_by_the_words_of_its_name_and_its_numbers() {
        let terms = super::name_terms(
            "Théâtre de l'Œuvre",
            Some("TO"),
            Some("W751234567"),
            Some("37939422400012"),
        );
        assert_eq!(
            terms,
            ["37939422400012", "oeuvre", "theatre", "to", "w751234567"]
        );
    }

    #[test]
    fn cards_are_found_by_their_words_weighted_and_their_facets() {
        let terms = super::card_terms(
            "Théâtre de l'Œuvre",
            Some("TO"),
            "Faire du théâtre avec les écoles du quartier",
            &[super::Facet::District(super::DistrictNumber(11)).term()],
        );
        assert_eq!(
            terms,
            [
                ("theatre".to_owned(), 3),
                ("oeuvre".to_owned(), 3),
                ("to".to_owned(), 3),
                ("faire".to_owned(), 1),
                ("ecoles".to_owned(), 1),
                ("quartier".to_owned(), 1),
                ("@district:11".to_owned(), 0),
            ]
        );
        assert_eq!(
            super::query_words("  École, THÉÂTRE & l'art, théa "),
            ["art", "ecole", "theatre"]
        );
    }

    #[test]
    fn accents_case_ligatures_and_spaces() {
        assert_eq!(fold("Théâtre de l'Œuvre"), "theatre de l'oeuvre");
        assert_eq!(fold("  ÉCOLE   des   Parents "), "ecole des parents");
        assert_eq!(fold("Ça Ira"), "ca ira");
        assert_eq!(fold("Noël à Ménilmontant"), "noel a menilmontant");
    }
}
