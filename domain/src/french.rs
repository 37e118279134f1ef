//! How Simpa writes French for people: "de" and "à" before a name (elided and contracted:
//! "du Conseil de Paris", "de l'Escale", "d'Atelier 13", "aux Amis du jardin"), verbs
//! elided ("d'émettre"), amounts ("12 000 €"), percentages, dates ("24 décembre 2026"),
//! districts, lists ("a, b et c"). One place, so that every e-mail, page and message says
//! them the same way; [`slips`] finds what reads wrong, for the tests.

use crate::ids::DistrictNumber;
use chrono::NaiveDate;

/// Whether a word starts with a vowel sound that elides "de", "le", "que" before it (a vowel,
/// accented or not; a mute "h" is not guessed: "de Hauteville" stays).
fn elides(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| "aeiouyàâäéèêëîïôöùûüœæ".contains(c.to_lowercase().next().unwrap_or(c)))
}

/// A name's leading article, when it has one: ("le", the rest), ("la", …), ("les", …),
/// ("l'", …), whatever its case.
fn article(name: &str) -> Option<(&'static str, &str)> {
    for (article, prefix_len) in [("les", 4), ("le", 3), ("la", 3)] {
        let Some(head) = name.get(..prefix_len) else {
            continue;
        };
        if head.to_lowercase() == format!("{article} ") {
            return name.get(prefix_len..).map(|rest| (article, rest));
        }
    }
    let head: String = name.chars().take(2).collect();
    if matches!(head.to_lowercase().as_str(), "l'" | "l’") {
        return Some(("l'", name.get(head.len()..).unwrap_or_default()));
    }
    None
}

/// "de" before a name, as French says it: "du Conseil de Paris", "des Amis du jardin", "de la
/// Ruche", "de l'Escale", "d'Atelier 13", "de Paris".
pub fn de(name: &str) -> String {
    match article(name) {
        Some(("le", rest)) => format!("du {rest}"),
        Some(("les", rest)) => format!("des {rest}"),
        Some((_, _)) => format!("de {name}"),
        None if elides(name) => format!("d'{name}"),
        None => format!("de {name}"),
    }
}

/// "à" before a name: "au Conseil de Paris", "aux Amis du jardin", "à la Ruche", "à
/// l'Escale", "à Paris".
pub fn a(name: &str) -> String {
    match article(name) {
        Some(("le", rest)) => format!("au {rest}"),
        Some(("les", rest)) => format!("aux {rest}"),
        _ => format!("à {name}"),
    }
}

/// A short word ("de", "que", "ne", "le", "la") before the next, elided when it must be:
/// "d'émettre", "qu'elle", "de verser".
pub fn before(word: &str, next: &str) -> String {
    match word {
        "de" | "que" | "ne" | "le" | "la" | "je" | "se" if elides(next) => {
            format!("{}'{next}", &word[..word.len() - 1])
        }
        _ => format!("{word} {next}"),
    }
}

/// `n` and the noun agreeing with it: "0 demande", "1 demande", "3 demandes".
pub fn count(n: i64, singular: &str, plural: &str) -> String {
    format!(
        "{n} {}",
        if n.unsigned_abs() > 1 {
            plural
        } else {
            singular
        }
    )
}

/// A sentence agreeing with `n`: `one` when it is one, else `many` with `{n}` replaced by
/// the number ("Une demande n'est pas encore instruite", "3 demandes ne sont pas encore
/// instruites").
pub fn agreed(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_owned()
    } else {
        many.replace("{n}", &n.to_string())
    }
}

/// An amount in cents as French readers write it: `4 000 €`, `1 234,50 €` (a narrow no-break
/// space between thousands, a no-break space before the sign: it never wraps alone).
pub fn euros(cents: i64) -> String {
    let whole = (cents / 100).unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    let sign = if cents < 0 { "-" } else { "" };
    match cents.unsigned_abs() % 100 {
        0 => format!("{sign}{grouped}\u{a0}€"),
        rest => format!("{sign}{grouped},{rest:02}\u{a0}€"),
    }
}

/// What reads wrong in a French text meant for a person: "à le", "à les", "de le" or "de les"
/// before a name ("de le reprendre" is right), "de" not elided before a vowel ("de Atelier",
/// "de émettre"), a placeholder left ("(s)", "(e)"), an English word of a program's message,
/// an API path. What is between « » (what someone typed, a code) is not read.
pub fn slips(text: &str) -> Vec<String> {
    const ENGLISH: [&str; 20] = [
        "the",
        "and",
        "of",
        "invalid",
        "expected",
        "missing",
        "unknown",
        "variant",
        "field",
        "integer",
        "string",
        "sequence",
        "struct",
        "found",
        "length",
        "duplicate",
        "premature",
        "input",
        "u32",
        "i64",
    ];
    let mut read = String::new();
    let mut quoted = 0usize;
    for c in text.chars() {
        match c {
            '«' => quoted += 1,
            '»' => quoted = quoted.saturating_sub(1),
            _ if quoted == 0 => read.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = read
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '.' | '(' | ')' | '"'))
        .filter(|w| !w.is_empty())
        .collect();
    let capital = |w: Option<&&str>| {
        w.and_then(|w| w.chars().next())
            .is_some_and(char::is_uppercase)
    };
    let mut slips = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or_default();
        let preposition = word.to_lowercase();
        // "de le reprendre", "à le remplacer": the pronoun before a verb is right.
        let verb = words
            .get(i + 2)
            .is_some_and(|w| w.ends_with("er") || w.ends_with("ir") || w.ends_with("re"));
        // "de Les Amis…", "à Le Phare": a name's article contracts too.
        let slip = match (preposition.as_str(), next.to_lowercase().as_str()) {
            ("à" | "de", "le" | "les") => !verb || capital(words.get(i + 2)),
            ("de", next) => elides(next) && !next.starts_with(['y', 'Y']),
            _ => false,
        };
        if slip {
            slips.push(format!("{word} {next}"));
        }
        if ENGLISH.contains(&preposition.as_str()) {
            slips.push((*word).to_owned());
        }
    }
    for placeholder in ["(s)", "(e)", "/api/"] {
        if read.contains(placeholder) {
            slips.push(placeholder.to_owned());
        }
    }
    slips
}

/// The text with its first letter in capitals ("le Conseil de Paris" → "Le Conseil de Paris").
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// "a", "a et b", "a, b et c": items named one after the other.
pub fn enumeration(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} et {last}", init.join(", ")),
    }
}

/// "11e arrondissement".
pub fn district(n: DistrictNumber) -> String {
    format!("{} arrondissement", ordinal(n))
}

/// "la mairie du 11e arrondissement".
pub fn town_hall(n: DistrictNumber) -> String {
    format!("la mairie du {}", district(n))
}

/// "le conseil du 11e arrondissement".
pub fn district_council(n: DistrictNumber) -> String {
    format!("le conseil du {}", district(n))
}

/// "1er", "11e": how districts are written.
pub fn ordinal(district: DistrictNumber) -> String {
    if district.0 == 1 {
        "1er".to_owned()
    } else {
        format!("{}e", district.0)
    }
}

/// A moment of the city's clock in words: "6 décembre 2026 à 14 h 05".
pub fn moment(local: chrono::NaiveDateTime) -> String {
    format!(
        "{} à {}",
        long_french_date(local.date()),
        local.format("%H h %M")
    )
}

/// "3 mars 2027", "1er décembre 2026": a date as a page says it.
pub fn long_french_date(date: NaiveDate) -> String {
    use chrono::Datelike;
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = match date.day() {
        1 => "1er".to_owned(),
        d => d.to_string(),
    };
    format!("{day} {} {}", MONTHS[date.month0() as usize], date.year())
}

/// "96,67 %", "150 %": basis points (hundredths of a percent) as a percentage.
pub fn percent(basis_points: i64) -> String {
    let (units, hundredths) = (basis_points / 100, (basis_points % 100).abs());
    if hundredths == 0 {
        format!("{units}\u{a0}%")
    } else {
        format!("{units},{hundredths:02}\u{a0}%")
    }
}

/// "72,46/100".
pub fn score_in_french(hundredths: i64) -> String {
    format!("{},{:02}/100", hundredths / 100, (hundredths % 100).abs())
}

/// A device as its owner recognises it among their sessions, from its User-Agent: "Firefox
/// sur Windows"; what is not recognised is shown as it came.
pub fn device_in_words(user_agent: &str) -> String {
    let has = |part: &str| user_agent.contains(part);
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(part, _)| has(part))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(part, _)| has(part))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} sur {system}"),
        (Some(browser), None) => browser.to_owned(),
        _ => user_agent.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_take_de_and_a_as_french_says_them() {
        let cases = [
            (
                "le Conseil de Paris",
                "du Conseil de Paris",
                "au Conseil de Paris",
            ),
            (
                "Les Amis du jardin",
                "des Amis du jardin",
                "aux Amis du jardin",
            ),
            ("La Ruche", "de La Ruche", "à La Ruche"),
            (
                "L'Escale de Bercy",
                "de L'Escale de Bercy",
                "à L'Escale de Bercy",
            ),
            ("Atelier 13", "d'Atelier 13", "à Atelier 13"),
            (
                "Épicerie solidaire",
                "d'Épicerie solidaire",
                "à Épicerie solidaire",
            ),
            (
                "Théâtre du Faubourg",
                "de Théâtre du Faubourg",
                "à Théâtre du Faubourg",
            ),
            (
                "Lecture pour tous",
                "de Lecture pour tous",
                "à Lecture pour tous",
            ),
            (
                "la mairie du 11e arrondissement",
                "de la mairie du 11e arrondissement",
                "à la mairie du 11e arrondissement",
            ),
        ];
        for (name, of, to) in cases {
            assert_eq!(
                (de(name), a(name)),
                (of.to_owned(), to.to_owned()),
                "{name}"
            );
            assert!(
                slips(&format!("La demande {}.", de(name))).is_empty(),
                "{name}"
            );
        }
        assert_eq!(before("de", "émettre un avis"), "d'émettre un avis");
        assert_eq!(before("de", "verser"), "de verser");
        assert_eq!(
            (
                count(0, "demande", "demandes"),
                count(2, "demande", "demandes")
            ),
            ("0 demande".to_owned(), "2 demandes".to_owned())
        );
    }

    #[test]
    fn slips_are_what_reads_wrong() {
        assert_eq!(slips("soumis à le Conseil de Paris"), ["à le"]);
        assert_eq!(slips("La demande de Atelier 13"), ["de Atelier"]);
        assert_eq!(slips("Impossible de émettre un avis"), ["de émettre"]);
        assert_eq!(slips("la subvention de le Phare"), ["de le"]);
        // A name's own article contracts too.
        assert_eq!(slips("la demande de Les Amis du jardin"), ["de Les"]);
        assert_eq!(slips("un message à Le Phare"), ["à Le"]);
        assert!(slips("la demande de La Ruche").is_empty());
        assert!(slips("demander de le reprendre").is_empty());
        assert!(slips("pensez à le remplacer").is_empty());
        assert_eq!(slips("soumis à le conseil du 11e"), ["à le"]);
        assert!(
            slips("Ce champ « de Atelier » est saisi ainsi").is_empty(),
            "quoted"
        );
        assert_eq!(
            slips("invalid value: integer `-1`, expected u32"),
            ["invalid", "integer", "expected", "u32"]
        );
        assert_eq!(
            slips("avis attendu(s) ; voir GET /api/v1/requests"),
            ["(s)", "/api/"]
        );
        assert_eq!(euros(1_234_50), "1\u{202f}234,50\u{a0}€");
    }

    #[test]
    fn pages_say_dates_in_words() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(long_french_date(date(2027, 3, 3)), "3 mars 2027");
        assert_eq!(long_french_date(date(2026, 12, 1)), "1er décembre 2026");
        assert_eq!(long_french_date(date(2027, 8, 15)), "15 août 2027");
    }

    #[test]
    fn words_are_written_the_french_way() {
        assert_eq!(capitalised("le Conseil de Paris"), "Le Conseil de Paris");
        assert_eq!(capitalised(""), "");
        assert_eq!(ordinal(DistrictNumber(1)), "1er");
        assert_eq!(ordinal(DistrictNumber(11)), "11e");
        assert_eq!(
            moment(
                NaiveDate::from_ymd_opt(2027, 2, 10)
                    .unwrap()
                    .and_hms_opt(9, 5, 0)
                    .unwrap()
            ),
            "10 février 2027 à 09 h 05"
        );
        assert_eq!(score_in_french(7246), "72,46/100");
        assert_eq!(score_in_french(500), "5,00/100");
    }

    #[test]
    fn devices_are_named_as_their_owners_know_them() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/148.0.0.0 Safari/537.36";
        assert_eq!(device_in_words(chrome), "Chrome sur Linux");
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device_in_words(firefox), "Firefox sur Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(device_in_words(iphone), "Safari sur iPhone");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0";
        assert_eq!(device_in_words(edge), "Edge sur Windows");
        assert_eq!(device_in_words("curl/8.11.0"), "curl/8.11.0");
    }
}
