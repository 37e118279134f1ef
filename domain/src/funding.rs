//! What follows a grant: whether an agreement is needed, how and when the city pays, when the
//! final report is due, and what is repaid when the project was not carried out. French rules
//! §4.2–4.7.

use crate::campaign::check_cents;
use crate::coded_enum;
use crate::{DomainError, FieldError, Violation};
use chrono::{Datelike, Days, Months, NaiveDate};

/// Above this amount a year (strictly), a grant needs an agreement (convention d'objectifs)
/// defining its object, amount, payment terms and conditions of use before any payment: loi
/// n° 2000-321, art. 10, and décret n° 2001-495, art. 1.
pub const AGREEMENT_THRESHOLD_CENTS: i64 = 2_300_000;

/// Whether a grant of `amount_cents` decided on `decided_on` needs an agreement: above the
/// threshold on its own, or when it takes the association's grants of the 12 months before
/// (`earlier`: each decision's date and amount) above it.
pub fn agreement_required(
    amount_cents: i64,
    earlier: &[(NaiveDate, i64)],
    decided_on: NaiveDate,
) -> bool {
    let year_before = decided_on
        .checked_sub_months(Months::new(12))
        .unwrap_or(decided_on);
    let cumulated: i64 = earlier
        .iter()
        .filter(|(on, _)| *on > year_before && *on <= decided_on)
        .map(|(_, cents)| *cents)
        .sum();
    amount_cents > AGREEMENT_THRESHOLD_CENTS || amount_cents + cumulated > AGREEMENT_THRESHOLD_CENTS
}

/// An agreement covers at most four years (the circular of 29 September 2015 recommends
/// four-year agreements).
pub const MAX_AGREEMENT_YEARS: u32 = 4;

/// Payment is due within 60 days of the notification of the grant, unless the agreement says
/// otherwise.
pub const PAYMENT_DAYS: u64 = 60;

pub fn payment_due_on(notified_on: NaiveDate) -> NaiveDate {
    notified_on
        .checked_add_days(Days::new(PAYMENT_DAYS))
        .unwrap_or(notified_on)
}

/// Days past `due_on` on `today` (0 when not late).
pub fn days_late(due_on: NaiveDate, today: NaiveDate) -> i64 {
    (today - due_on).num_days().max(0)
}

fn is_last_day_of_month(date: NaiveDate) -> bool {
    date.succ_opt()
        .is_none_or(|next| next.month() != date.month())
}

/// The final financial report (CERFA 15059) is due six months after the end of the financial
/// year of the subsidy. A year ending on a month's last day gives the last day of the sixth
/// month after (28 February → 31 August); otherwise the same day, or the month's last one.
pub fn final_report_due_on(financial_year_end: NaiveDate) -> NaiveDate {
    let six = Months::new(6);
    if is_last_day_of_month(financial_year_end) {
        let first = financial_year_end.with_day(1).unwrap_or(financial_year_end);
        first
            .checked_add_months(Months::new(7))
            .and_then(|d| d.pred_opt())
            .unwrap_or(financial_year_end)
    } else {
        financial_year_end
            .checked_add_months(six)
            .unwrap_or(financial_year_end)
    }
}

/// The end of the financial year of a subsidy of `budget_year`, for an association whose
/// financial year ends on (`month`, `day`); the calendar year by default.
pub fn financial_year_end(budget_year: i32, closes_on: Option<(u32, u32)>) -> NaiveDate {
    let (month, day) = closes_on.unwrap_or((12, 31));
    NaiveDate::from_ymd_opt(budget_year, month, day)
        .or_else(|| NaiveDate::from_ymd_opt(budget_year, month, 28))
        .unwrap_or_default()
}

coded_enum! {
    /// When an installment of a grant is paid.
    pub enum InstallmentDue {
        /// On the notification of the grant (or the signature of its agreement).
        OnNotification = ("on_notification", "À la notification"),
        /// Once the final report is accepted: the balance.
        AfterFinalReport = ("after_final_report", "Après acceptation du compte rendu financier"),
    }
}

/// A part of the payment schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installment {
    pub cents: i64,
    pub due: InstallmentDue,
}

pub const MAX_INSTALLMENTS: usize = 10;

/// A schedule pays exactly the amount granted, in 1 to 10 positive installments.
pub fn check_schedule(
    granted_cents: i64,
    installments: &[Installment],
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if installments.is_empty() || installments.len() > MAX_INSTALLMENTS {
        errors.push(
            Violation::new(
                "schedule.size",
                format!("Un échéancier compte de 1 à {MAX_INSTALLMENTS} versements."),
            )
            .at("installments"),
        );
    }
    for (i, installment) in installments.iter().enumerate() {
        if let Err(v) = check_cents(installment.cents, true) {
            errors.push(v.at(format!("installments[{i}].cents")));
        }
    }
    let total: i64 = installments.iter().map(|i| i.cents).sum();
    if errors.is_empty() && total != granted_cents {
        errors.push(
            Violation::new(
                "schedule.total",
                format!(
                    "L'échéancier totalise {} ; il doit verser exactement le montant accordé, {}.",
                    crate::money::euros(total),
                    crate::money::euros(granted_cents)
                ),
            )
            .at("installments"),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// A payment order: positive, and never beyond the amount granted (409 naming what is left).
pub fn check_payment(
    granted_cents: i64,
    paid_cents: i64,
    amount_cents: i64,
) -> Result<(), DomainError> {
    check_cents(amount_cents, true).map_err(|v| DomainError::invalid("amount_cents", v))?;
    if paid_cents + amount_cents > granted_cents {
        return Err(DomainError::conflict(
            "payment.exceeds_grant",
            Some("amount_cents"),
            format!(
                "Ce versement dépasserait le montant accordé : {} accordés, {} déjà versés, {} au plus restent à verser.",
                crate::money::euros(granted_cents),
                crate::money::euros(paid_cents),
                crate::money::euros((granted_cents - paid_cents).max(0))
            ),
        ));
    }
    Ok(())
}

/// The part of a grant to repay when its use stops on `breach_on` within the subsidised
/// period: pro rata of the days still to run (the contrat d'engagement républicain: décret
/// n° 2021-1947, art. 4), rounded down to the cent. Nothing before the period starts… all of
/// it; nothing after it ends.
pub fn pro_rata_repayment(
    granted_cents: i64,
    period: (NaiveDate, NaiveDate),
    breach_on: NaiveDate,
) -> i64 {
    let (start, end) = period;
    if breach_on <= start {
        return granted_cents;
    }
    if breach_on > end {
        return 0;
    }
    let total = (end - start).num_days() + 1;
    let remaining = (end - breach_on).num_days() + 1;
    (i128::from(granted_cents) * i128::from(remaining) / i128::from(total)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn an_agreement_is_needed_strictly_above_23000_euros_or_over_twelve_months() {
        let on = date(2027, 3, 10);
        assert!(!agreement_required(23_000_00, &[], on));
        assert!(agreement_required(23_000_01, &[], on));
        // 15,000 € granted in June 2026 and 9,000 € now: 24,000 € over twelve months.
        let earlier = [(date(2026, 6, 1), 15_000_00)];
        assert!(agreement_required(9_000_00, &earlier, on));
        assert!(!agreement_required(8_000_00, &earlier, on));
        // Exactly twelve months before no longer counts; the day after does.
        assert!(!agreement_required(
            9_000_00,
            &[(date(2026, 3, 10), 15_000_00)],
            on
        ));
        assert!(agreement_required(
            9_000_00,
            &[(date(2026, 3, 11), 15_000_00)],
            on
        ));
        // Later decisions do not count for this one.
        assert!(!agreement_required(
            9_000_00,
            &[(date(2027, 4, 1), 15_000_00)],
            on
        ));
    }

    #[test]
    fn payment_is_due_sixty_days_after_notification() {
        assert_eq!(payment_due_on(date(2027, 1, 15)), date(2027, 3, 16));
        assert_eq!(payment_due_on(date(2028, 1, 15)), date(2028, 3, 15));
        assert_eq!(days_late(date(2027, 3, 16), date(2027, 3, 20)), 4);
        assert_eq!(days_late(date(2027, 3, 16), date(2027, 3, 1)), 0);
    }

    #[test]
    fn the_final_report_is_due_six_months_after_the_financial_year() {
        assert_eq!(final_report_due_on(date(2027, 12, 31)), date(2028, 6, 30));
        // Month ends, leap years included.
        assert_eq!(final_report_due_on(date(2027, 2, 28)), date(2027, 8, 31));
        assert_eq!(final_report_due_on(date(2028, 2, 29)), date(2028, 8, 31));
        assert_eq!(final_report_due_on(date(2027, 8, 31)), date(2028, 2, 29));
        assert_eq!(final_report_due_on(date(2026, 8, 31)), date(2027, 2, 28));
        assert_eq!(final_report_due_on(date(2027, 6, 30)), date(2027, 12, 31));
        // Mid-month.
        assert_eq!(final_report_due_on(date(2027, 3, 15)), date(2027, 9, 15));
        assert_eq!(financial_year_end(2027, None), date(2027, 12, 31));
        assert_eq!(financial_year_end(2028, Some((2, 29))), date(2028, 2, 29));
        assert_eq!(financial_year_end(2027, Some((2, 29))), date(2027, 2, 28));
    }

    #[test]
    fn a_schedule_pays_exactly_what_was_granted() {
        let advance = |cents| Installment {
            cents,
            due: InstallmentDue::OnNotification,
        };
        let balance = |cents| Installment {
            cents,
            due: InstallmentDue::AfterFinalReport,
        };
        assert!(check_schedule(40_000_00, &[advance(20_000_00), balance(20_000_00)]).is_ok());
        let wrong =
            check_schedule(40_000_00, &[advance(20_000_00), balance(10_000_00)]).unwrap_err();
        assert_eq!(wrong[0].code, "schedule.total");
        assert!(
            wrong[0].message.contains(&crate::money::euros(30_000_00)),
            "{}",
            wrong[0].message
        );
        assert_eq!(
            check_schedule(100, &[]).unwrap_err()[0].code,
            "schedule.size"
        );
        assert_eq!(
            check_schedule(100, &[advance(0), advance(100)]).unwrap_err()[0].field,
            "installments[0].cents"
        );
    }

    #[test]
    fn payments_never_exceed_the_grant() {
        assert!(check_payment(10_000_00, 4_000_00, 6_000_00).is_ok());
        match check_payment(10_000_00, 4_000_00, 6_000_01) {
            Err(DomainError::Conflict { code, message, .. }) => {
                assert_eq!(code, "payment.exceeds_grant");
                assert!(
                    message.contains(&crate::money::euros(6_000_00)),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            check_payment(10_000_00, 0, 0),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn repayment_is_pro_rata_of_the_days_still_to_run() {
        let year = (date(2027, 1, 1), date(2027, 12, 31));
        assert_eq!(
            pro_rata_repayment(36_500_00, year, date(2027, 1, 1)),
            36_500_00
        );
        // Breach on 1 July: 184 of 365 days still to run.
        assert_eq!(
            pro_rata_repayment(36_500_00, year, date(2027, 7, 1)),
            18_400_00
        );
        assert_eq!(
            pro_rata_repayment(36_500_00, year, date(2027, 12, 31)),
            100_00
        );
        assert_eq!(pro_rata_repayment(36_500_00, year, date(2028, 1, 1)), 0);
        // Leap year: 366 days.
        let leap = (date(2028, 1, 1), date(2028, 12, 31));
        assert_eq!(
            pro_rata_repayment(36_600_00, leap, date(2028, 7, 1)),
            18_400_00
        );
        // Never more than granted, rounded down to the cent.
        assert_eq!(
            pro_rata_repayment(100, (date(2027, 1, 1), date(2027, 1, 3)), date(2027, 1, 2)),
            66
        );
    }
}
