//! How Simpa writes things in French for people: capitals, districts, dates, scores. One
//! place, so that every message says them the same way.

use crate::ids::DistrictNumber;
use chrono::NaiveDate;

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

/// "1er", "11e": how districts are written.
pub fn ordinal(district: DistrictNumber) -> String {
    if district.0 == 1 {
        "1er".to_owned()
    } else {
        format!("{}e", district.0)
    }
}

/// "10/02/2027", as people write dates.
pub fn french_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
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
            french_date(NaiveDate::from_ymd_opt(2027, 2, 10).unwrap()),
            "10/02/2027"
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
