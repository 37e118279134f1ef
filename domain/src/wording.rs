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

/// "72,46/100".
pub fn score_in_french(hundredths: i64) -> String {
    format!("{},{:02}/100", hundredths / 100, (hundredths % 100).abs())
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
}
