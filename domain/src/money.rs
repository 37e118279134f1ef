//! Money: integer cents (never floating point), the bounds of an amount typed in, sums that
//! never wrap, and amounts as people read them.

use crate::Violation;

/// Amounts above ten billion euros are typing mistakes.
pub const MAX_CENTS: i64 = 10_000_000_000 * 100;

/// An amount in cents, within `0..=MAX_CENTS` (or from 1 when `positive`).
pub fn check_cents(cents: i64, positive: bool) -> Result<i64, Violation> {
    if cents < 0 || (positive && cents == 0) {
        Err(Violation::new(
            "amount.not_positive",
            if positive {
                "Le montant doit être positif."
            } else {
                "Le montant ne peut pas être négatif."
            },
        ))
    } else if cents > MAX_CENTS {
        Err(Violation::new(
            "amount.too_large",
            "Ce montant dépasse dix milliards d'euros : vérifiez-le (les montants sont en centimes).",
        ))
    } else {
        Ok(cents)
    }
}

/// An amount of a subsidy in cents of whole euros (asked, budgeted, proposed, voted, an
/// envelope, an agreement's year), checked as [`check_cents`] does and without cents: the
/// city decides subsidies in euros.
pub fn check_whole_euros(cents: i64, positive: bool) -> Result<i64, Violation> {
    let cents = check_cents(cents, positive)?;
    if cents % 100 != 0 {
        return Err(Violation::new(
            "amount.not_whole_euros",
            format!(
                "Les subventions se comptent en euros entiers : {cents} centimes n'en font pas un nombre entier (par exemple 2800000 pour 28 000 €)."
            ),
        ));
    }
    Ok(cents)
}

/// The sum of amounts that were each checked on their way in (at most `MAX_CENTS`, in
/// bounded numbers). It cannot overflow under those bounds; were a stored value ever out of
/// them, it stops at the largest (or smallest) amount rather than wrap.
pub fn total(amounts: impl IntoIterator<Item = i64>) -> i64 {
    amounts.into_iter().fold(0, i64::saturating_add)
}

pub use crate::french::euros;

/// An amount as people type it in a form, in whole euros ("1200", "1 200", "1 200 €",
/// "1200,00"): its cents, checked like any amount. Left empty, nothing (zero).
pub fn parse_whole_euros(typed: &str) -> Result<i64, Violation> {
    let digits: String = typed
        .trim()
        .trim_end_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let not_a_number = || {
        Violation::new(
            "amount.not_a_number",
            format!(
                "« {} » n'est pas un montant : saisissez des chiffres, en euros, sans point ni virgule (par exemple 1200).",
                typed.trim()
            ),
        )
    };
    // A decimal part is one or two digits: "1,50" has cents, "1.000" is no amount.
    let (whole, cents) = match digits.split_once([',', '.']) {
        Some((whole, cents)) if (1..=2).contains(&cents.len()) => (whole, cents),
        Some(_) => return Err(not_a_number()),
        None => (digits.as_str(), ""),
    };
    let (negative, whole) = match whole.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, whole),
    };
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole)
        || !all_digits(cents)
        || (whole.is_empty() && (negative || !cents.is_empty()))
    {
        return Err(not_a_number());
    }
    if negative {
        return Err(Violation::new(
            "amount.not_positive",
            "Le montant ne peut pas être négatif.",
        ));
    }
    if cents.bytes().any(|b| b != b'0') {
        return Err(Violation::new(
            "amount.not_whole_euros",
            "Saisissez un montant en euros entiers, sans centimes (par exemple 1200).",
        ));
    }
    if whole.is_empty() {
        return Ok(0);
    }
    match whole.parse::<i64>().ok().and_then(|e| e.checked_mul(100)) {
        Some(cents) if cents <= MAX_CENTS => Ok(cents),
        _ => Err(Violation::new(
            "amount.too_large",
            "Ce montant dépasse dix milliards d'euros : vérifiez-le.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_euros_are_read_as_people_type_them() {
        for (typed, cents) in [
            ("1200", 120_000),
            ("1 200", 120_000),
            ("1\u{202f}200 €", 120_000),
            ("1200,00", 120_000),
            ("1200,0", 120_000),
            ("  ", 0),
            ("0", 0),
        ] {
            assert_eq!(parse_whole_euros(typed), Ok(cents), "{typed:?}");
        }
        for (typed, code) in [
            ("12,50", "amount.not_whole_euros"),
            ("douze", "amount.not_a_number"),
            ("-5", "amount.not_positive"),
            ("-abc", "amount.not_a_number"),
            ("-", "amount.not_a_number"),
            ("99999999999999999999", "amount.too_large"),
            ("1.", "amount.not_a_number"),
            ("1.000", "amount.not_a_number"),
            ("1,000", "amount.not_a_number"),
            (",00", "amount.not_a_number"),
            ("+5", "amount.not_a_number"),
        ] {
            assert_eq!(
                parse_whole_euros(typed).map_err(|v| v.code),
                Err(code),
                "{typed:?}"
            );
        }
    }

    #[test]
    fn amounts_are_grouped_by_thousands_with_cents_only_when_there_are() {
        assert_eq!(euros(400_000), "4\u{202f}000\u{a0}€");
        assert_eq!(euros(123_456_750), "1\u{202f}234\u{202f}567,50\u{a0}€");
        assert_eq!(euros(5), "0,05\u{a0}€");
        assert_eq!(euros(99_900), "999\u{a0}€");
        assert_eq!(euros(-1_000_000), "-10\u{202f}000\u{a0}€");
        assert_eq!(
            euros(i64::MIN),
            "-92\u{202f}233\u{202f}720\u{202f}368\u{202f}547\u{202f}758,08\u{a0}€"
        );
    }

    #[test]
    fn sums_never_wrap() {
        assert_eq!(total([1, 2, 3]), 6);
        assert_eq!(total([i64::MAX, 1]), i64::MAX);
        assert_eq!(total([i64::MIN, -1]), i64::MIN);
        assert_eq!(total([MAX_CENTS, MAX_CENTS]), 2 * MAX_CENTS);
    }

    #[test]
    fn amounts_typed_in_are_bounded() {
        assert_eq!(check_cents(0, false), Ok(0));
        assert_eq!(check_whole_euros(2_800_000, true), Ok(2_800_000));
        assert_eq!(
            check_whole_euros(2_800_050, true).unwrap_err().code,
            "amount.not_whole_euros"
        );
        assert_eq!(
            check_whole_euros(-100, false).unwrap_err().code,
            "amount.not_positive"
        );
        assert_eq!(
            check_cents(0, true).unwrap_err().code,
            "amount.not_positive"
        );
        assert_eq!(
            check_cents(-1, false).unwrap_err().code,
            "amount.not_positive"
        );
        assert_eq!(
            check_cents(MAX_CENTS + 1, false).unwrap_err().code,
            "amount.too_large"
        );
    }
}
