//! Amounts as people read them. Money is kept in integer cents everywhere else.

/// An amount in cents as French readers write it: `4 000 €`, `1 234,50 €` (a narrow no-break
/// space between thousands).
pub fn euros(cents: i64) -> String {
    let whole = (cents / 100).abs().to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push('\u{202f}');
        }
        grouped.push(digit);
    }
    let sign = if cents < 0 { "-" } else { "" };
    match cents.abs() % 100 {
        0 => format!("{sign}{grouped} €"),
        rest => format!("{sign}{grouped},{rest:02} €"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_by_thousands_with_cents_only_when_there_are() {
        assert_eq!(euros(400_000), "4\u{202f}000 €");
        assert_eq!(euros(123_456_750), "1\u{202f}234\u{202f}567,50 €");
        assert_eq!(euros(5), "0,05 €");
        assert_eq!(euros(99_900), "999 €");
        assert_eq!(euros(-1_000_000), "-10\u{202f}000 €");
    }
}
