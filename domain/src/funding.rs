//! What follows a grant: whether an agreement is needed, how and when the city pays, when the
//! final report is due, and what is repaid when the project was not carried out. French rules
//! §4.2–4.7.

use crate::coded_enum;
use crate::money::{check_cents, total};
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
    let year_before = twelve_months_before(decided_on);
    let cumulated = total(
        earlier
            .iter()
            .filter(|(on, _)| *on > year_before && *on <= decided_on)
            .map(|(_, cents)| *cents),
    );
    total([amount_cents, cumulated]) > AGREEMENT_THRESHOLD_CENTS
}

/// Whether a grant of `amount_cents` needs an agreement and why, in a sentence for its
/// association: `earlier_cents`, what the association was voted in the twelve months before.
pub fn agreement_rule_in_words(amount_cents: i64, earlier_cents: i64) -> String {
    let threshold = crate::money::euros(AGREEMENT_THRESHOLD_CENTS);
    let together = total([amount_cents, earlier_cents]);
    if amount_cents > AGREEMENT_THRESHOLD_CENTS {
        format!(
            "Une convention d'objectifs doit être signée avant tout versement : la subvention ({}) dépasse {threshold} (loi du 12 avril 2000, article 10).",
            crate::money::euros(amount_cents)
        )
    } else if together > AGREEMENT_THRESHOLD_CENTS {
        format!(
            "Une convention d'objectifs doit être signée avant tout versement : avec les subventions votées pour votre association dans les douze mois précédents ({}), le total ({}) dépasse {threshold}.",
            crate::money::euros(earlier_cents),
            crate::money::euros(together)
        )
    } else {
        format!(
            "Aucune convention n'est nécessaire : avec celles des douze mois précédents, vos subventions ({} en tout) ne dépassent pas {threshold}.",
            crate::money::euros(together)
        )
    }
}

/// The day twelve months before `day`: the grants voted after it count with one voted on
/// `day` (see [`agreement_required`]).
pub fn twelve_months_before(day: NaiveDate) -> NaiveDate {
    day.checked_sub_months(Months::new(12)).unwrap_or(day)
}

/// An agreement covers at most four years (the circular of 29 September 2015 recommends
/// four-year agreements).
pub const MAX_AGREEMENT_YEARS: u32 = 4;

/// Payment is due within 60 days of the notification of the grant, unless the agreement says
/// otherwise.
pub const PAYMENT_DAYS: u64 = 60;

/// What is payable now and not yet paid (never below nothing: more paid is a repayment's
/// business).
pub fn owed(payable_cents: i64, paid_cents: i64) -> i64 {
    (payable_cents - paid_cents).max(0)
}

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
    if !errors.is_empty() {
        return Err(errors);
    }
    // At most ten amounts of at most MAX_CENTS each: their sum cannot overflow.
    let total = total(installments.iter().map(|i| i.cents));
    if total != granted_cents {
        return Err(vec![
            Violation::new(
                "schedule.total",
                format!(
                    "L'échéancier totalise {} ; il doit verser exactement le montant accordé, {}.",
                    crate::money::euros(total),
                    crate::money::euros(granted_cents)
                ),
            )
            .at("installments"),
        ]);
    }
    Ok(())
}

/// A grant's single payment on notification, when nothing else was agreed.
pub fn default_schedule(granted_cents: i64) -> Vec<Installment> {
    vec![Installment {
        cents: granted_cents,
        due: InstallmentDue::OnNotification,
    }]
}

/// Whether a grant's agreement lets the city pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementGate {
    NotRequired,
    /// Required, and not yet signed by both parties.
    Unsigned,
    /// Signed by the city on that day, the last signature; payment is due within `payment_days`.
    Signed {
        on: NaiveDate,
        payment_days: u32,
    },
}

impl AgreementGate {
    /// From the grant's agreement, if it needs one: the day the city signed it (the last
    /// signature), if it did, and the payment delay it sets.
    pub fn of(agreement: Option<(Option<NaiveDate>, u32)>) -> AgreementGate {
        match agreement {
            None => AgreementGate::NotRequired,
            Some((Some(on), payment_days)) => AgreementGate::Signed { on, payment_days },
            Some((None, _)) => AgreementGate::Unsigned,
        }
    }
}

/// Where a grant's money stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantMoney {
    pub granted_cents: i64,
    pub paid_cents: i64,
    pub installments: Vec<Installment>,
    pub agreement: AgreementGate,
    /// When the grant was notified to the association (the vote recorded).
    pub notified_on: NaiveDate,
    /// When its final report was accepted, which makes the balance due.
    pub report_accepted_on: Option<NaiveDate>,
    /// What repayments claim back (0: none ordered). Once one is ordered, the project was not
    /// carried out as agreed and nothing more is paid.
    pub claimed_cents: i64,
}

/// Repayments claim back all the association was paid: it keeps nothing to account for, so
/// its final report is no longer awaited.
pub fn repaid_in_full(paid_cents: i64, claimed_cents: i64) -> bool {
    claimed_cents > 0 && claimed_cents >= paid_cents
}

impl GrantMoney {
    /// What the schedule makes payable now: the installments due on notification once the
    /// agreement (if needed) is signed, and the balance once the final report is accepted.
    pub fn payable_cents(&self) -> i64 {
        if self.agreement == AgreementGate::Unsigned {
            return 0;
        }
        if self.repayment_ordered() {
            return self.paid_cents;
        }
        total(
            self.installments
                .iter()
                .filter(|i| match i.due {
                    InstallmentDue::OnNotification => true,
                    InstallmentDue::AfterFinalReport => self.report_accepted_on.is_some(),
                })
                .map(|i| i.cents),
        )
    }

    /// The day payments may begin (the notification, or the city's signature of the
    /// agreement) and the delay to pay in, in days; `None` while the agreement is unsigned.
    pub fn payment_window(&self) -> Option<(NaiveDate, u32)> {
        match self.agreement {
            AgreementGate::Unsigned => None,
            AgreementGate::NotRequired => Some((self.notified_on, PAYMENT_DAYS as u32)),
            AgreementGate::Signed { on, payment_days } => {
                Some((on.max(self.notified_on), payment_days))
            }
        }
    }

    /// When what is payable and not yet paid must be paid by: 60 days (or the agreement's
    /// delay) after the latest of the notification, the agreement's signature and, for the
    /// balance, the final report's acceptance. `None` when nothing is owed now.
    pub fn due_on(&self) -> Option<NaiveDate> {
        if self.paid_cents >= self.payable_cents() {
            return None;
        }
        let (start, days) = self.payment_window()?;
        let on_notification = total(
            self.installments
                .iter()
                .filter(|i| i.due == InstallmentDue::OnNotification)
                .map(|i| i.cents),
        );
        // What is owed beyond the installments due on notification is the balance.
        let start = match self.report_accepted_on {
            Some(accepted) if self.paid_cents >= on_notification => accepted.max(start),
            _ => start,
        };
        start.checked_add_days(Days::new(u64::from(days)))
    }

    /// The money after a payment, if it may be made: positive, after the agreement's
    /// signatures, never beyond what is payable (the balance waits for the final report) nor
    /// beyond the grant (409 each, naming what is left).
    pub fn after_payment(&self, amount_cents: i64) -> Result<GrantMoney, DomainError> {
        check_cents(amount_cents, true).map_err(|v| DomainError::invalid("amount_cents", v))?;
        if self.repayment_ordered() {
            return Err(DomainError::conflict(
                "payment.repayment_ordered",
                None,
                "Un reversement a été ordonné sur cette subvention : plus aucun versement n'a lieu.",
            ));
        }
        if self.agreement == AgreementGate::Unsigned {
            return Err(DomainError::conflict(
                "payment.agreement_unsigned",
                None,
                "Cette subvention dépasse 23 000 € (sur douze mois) : aucun versement avant la signature de sa convention par l'association puis par la Ville.",
            ));
        }
        let paid_after = total([self.paid_cents, amount_cents]);
        if paid_after > self.granted_cents {
            return Err(DomainError::conflict(
                "payment.exceeds_grant",
                Some("amount_cents"),
                format!(
                    "Ce versement dépasserait le montant accordé : {} accordés, {} déjà versés, {} au plus restent à verser.",
                    crate::money::euros(self.granted_cents),
                    crate::money::euros(self.paid_cents),
                    crate::money::euros((self.granted_cents - self.paid_cents).max(0))
                ),
            ));
        }
        let payable = self.payable_cents();
        if paid_after > payable {
            return Err(DomainError::conflict(
                "payment.not_due",
                Some("amount_cents"),
                format!(
                    "L'échéancier ne rend exigibles que {} à ce jour ({} déjà versés) : le solde attend l'acceptation du compte rendu financier.",
                    crate::money::euros(payable),
                    crate::money::euros(self.paid_cents)
                ),
            ));
        }
        Ok(GrantMoney {
            paid_cents: paid_after,
            ..self.clone()
        })
    }

    /// What is payable now and not yet paid.
    pub fn owed_cents(&self) -> i64 {
        owed(self.payable_cents(), self.paid_cents)
    }

    /// What of the grant is not paid yet, due now or later.
    pub fn unpaid_cents(&self) -> i64 {
        owed(self.granted_cents, self.paid_cents)
    }

    /// What accepting the final report makes due: the installments waiting for it, unless a
    /// repayment was ordered.
    pub fn balance_cents(&self) -> i64 {
        if self.repayment_ordered() {
            return 0;
        }
        total(
            self.installments
                .iter()
                .filter(|i| i.due == InstallmentDue::AfterFinalReport)
                .map(|i| i.cents),
        )
    }

    /// A payment is dated between the vote (and the agreement's last signature) and today.
    pub fn check_paid_on(
        &self,
        paid_on: NaiveDate,
        voted_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), Violation> {
        let earliest = match self.agreement {
            AgreementGate::Signed { on, .. } => on.max(voted_on),
            _ => voted_on,
        };
        if paid_on < earliest || paid_on > today {
            return Err(Violation::new(
                "payment.paid_on",
                format!(
                    "Un versement est daté entre le {} (vote{}) et aujourd'hui.",
                    crate::french::long_french_date(earliest),
                    if earliest > voted_on {
                        ", puis signature de la convention"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(())
    }

    /// A repayment was ordered: nothing more is paid.
    pub fn repayment_ordered(&self) -> bool {
        self.claimed_cents > 0
    }

    /// Whether the file closes (once every repayment ordered is settled): everything granted
    /// paid and the final report accepted; or, a repayment ordered, the report accepted or all
    /// that was paid claimed back. A partial repayment still waits for the report.
    pub fn is_complete(&self) -> bool {
        let accepted = self.report_accepted_on.is_some();
        if self.repayment_ordered() {
            accepted || repaid_in_full(self.paid_cents, self.claimed_cents)
        } else {
            accepted && self.paid_cents == self.granted_cents
        }
    }

    /// The schedule changes only before the first payment and before the agreement that
    /// prints it is signed.
    pub fn check_reschedule(
        &self,
        agreement_signed: bool,
        installments: &[Installment],
    ) -> Result<(), DomainError> {
        if self.paid_cents > 0 || agreement_signed {
            return Err(DomainError::conflict(
                "schedule.locked",
                None,
                "L'échéancier ne change plus : un versement a eu lieu ou la convention qui le fixe est signée.",
            ));
        }
        check_schedule(self.granted_cents, installments).map_err(DomainError::Invalid)
    }
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

/// A repayment is settled between its order and today.
pub fn check_settled_on(
    settled_on: NaiveDate,
    ordered_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), Violation> {
    if settled_on < ordered_on || settled_on > today {
        return Err(Violation::new(
            "repayment.settled_on",
            format!(
                "Un reversement est réglé entre son ordre, le {}, et aujourd'hui.",
                crate::french::long_french_date(ordered_on)
            ),
        ));
    }
    Ok(())
}

/// On what a repayment order is based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepaymentBasis {
    /// The amount the direction sets: the project was not carried out, or only in part.
    Amount(i64),
    /// A breach of the contrat d'engagement républicain on that day: the subsidy is withdrawn
    /// pro rata of the subsidised `period` still to run.
    RepublicanContractBreach {
        breach_on: NaiveDate,
        period: (NaiveDate, NaiveDate),
    },
}

/// The basis of a repayment as staff write it: an amount, or the day of a breach of the
/// contrat d'engagement républicain (today at the latest), which withdraws the subsidy over
/// what of the project's `period` was still to run; one of them, not both.
pub fn parse_repayment_basis(
    amount_cents: Option<i64>,
    breach_on: Option<NaiveDate>,
    period: (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<RepaymentBasis, FieldError> {
    match (amount_cents, breach_on) {
        (Some(cents), None) => Ok(RepaymentBasis::Amount(cents)),
        (None, Some(breach_on)) if breach_on > today => Err(Violation::new(
            "repayment.breach_on",
            "Un manquement se date au plus tard d'aujourd'hui.",
        )
        .at("breach_on")),
        (None, Some(breach_on)) => Ok(RepaymentBasis::RepublicanContractBreach { breach_on, period }),
        _ => Err(Violation::new(
            "repayment.basis",
            "Indiquez soit le montant à reverser, soit la date du manquement au contrat d'engagement républicain.",
        )
        .at("amount_cents")),
    }
}

/// What a repayment order claims, given what was granted, paid and already claimed: never
/// more than was paid and not yet claimed (409 `repayment.exceeds_paid`). For a breach, the
/// association keeps the part of the grant for the period before it, and repays what it was
/// paid beyond (409 `repayment.nothing_to_repay` when the payments stay within it).
pub fn repayment_cents(
    granted_cents: i64,
    paid_cents: i64,
    already_claimed_cents: i64,
    basis: RepaymentBasis,
) -> Result<i64, DomainError> {
    let claimable = paid_cents - already_claimed_cents;
    match basis {
        RepaymentBasis::Amount(cents) => {
            check_cents(cents, true).map_err(|v| DomainError::invalid("amount_cents", v))?;
            if cents > claimable {
                return Err(DomainError::conflict(
                    "repayment.exceeds_paid",
                    Some("amount_cents"),
                    format!(
                        "Un reversement ne dépasse pas ce qui a été versé et pas encore réclamé : {} au plus.",
                        crate::money::euros(claimable.max(0))
                    ),
                ));
            }
            Ok(cents)
        }
        RepaymentBasis::RepublicanContractBreach { breach_on, period } => {
            let withdrawn = pro_rata_repayment(granted_cents, period, breach_on);
            let kept = granted_cents - withdrawn;
            let cents = (paid_cents - kept).max(0) - already_claimed_cents;
            if cents <= 0 {
                return Err(DomainError::conflict(
                    "repayment.nothing_to_repay",
                    Some("breach_on"),
                    format!(
                        "Retirée au prorata, la subvention laisse {} à l'association ; les {} versés n'en dépassent rien à reverser.",
                        crate::money::euros(kept),
                        crate::money::euros(paid_cents)
                    ),
                ));
            }
            Ok(cents)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repayment_is_based_on_an_amount_or_a_past_breach() {
        let day = |m, d| NaiveDate::from_ymd_opt(2027, m, d).unwrap();
        let (period, today) = ((day(1, 1), day(12, 31)), day(6, 1));
        assert_eq!(
            parse_repayment_basis(Some(500_00), None, period, today),
            Ok(RepaymentBasis::Amount(500_00))
        );
        assert_eq!(
            parse_repayment_basis(None, Some(day(5, 2)), period, today),
            Ok(RepaymentBasis::RepublicanContractBreach {
                breach_on: day(5, 2),
                period
            })
        );
        let code = |r: Result<RepaymentBasis, FieldError>| r.unwrap_err().code;
        assert_eq!(
            code(parse_repayment_basis(None, Some(day(6, 2)), period, today)),
            "repayment.breach_on"
        );
        assert_eq!(
            code(parse_repayment_basis(
                Some(1),
                Some(day(5, 2)),
                period,
                today
            )),
            "repayment.basis"
        );
        assert_eq!(
            code(parse_repayment_basis(None, None, period, today)),
            "repayment.basis"
        );
    }

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
        // The probe's overflow: each is refused, and the sum is never made.
        let huge = check_schedule(100, &[advance(i64::MAX), balance(i64::MAX)]).unwrap_err();
        assert_eq!(
            huge.iter()
                .map(|e| (e.field.as_str(), e.code))
                .collect::<Vec<_>>(),
            [
                ("installments[0].cents", "amount.too_large"),
                ("installments[1].cents", "amount.too_large")
            ]
        );
    }

    fn money(agreement: AgreementGate) -> GrantMoney {
        GrantMoney {
            granted_cents: 40_000_00,
            paid_cents: 0,
            installments: vec![
                Installment {
                    cents: 30_000_00,
                    due: InstallmentDue::OnNotification,
                },
                Installment {
                    cents: 10_000_00,
                    due: InstallmentDue::AfterFinalReport,
                },
            ],
            agreement,
            notified_on: date(2027, 3, 10),
            report_accepted_on: None,
            claimed_cents: 0,
        }
    }

    fn conflict<T: std::fmt::Debug>(result: Result<T, DomainError>) -> &'static str {
        match result {
            Err(DomainError::Conflict { code, .. }) => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_is_paid_before_the_agreement_is_signed() {
        let unsigned = money(AgreementGate::Unsigned);
        assert_eq!(unsigned.payable_cents(), 0);
        assert_eq!(unsigned.due_on(), None);
        assert_eq!(
            conflict(unsigned.after_payment(1_00)),
            "payment.agreement_unsigned"
        );
        let signed = money(AgreementGate::Signed {
            on: date(2027, 4, 2),
            payment_days: 30,
        });
        assert_eq!(signed.payable_cents(), 30_000_00);
        assert_eq!(signed.due_on(), Some(date(2027, 5, 2)));
        assert!(signed.after_payment(30_000_00).is_ok());
    }

    #[test]
    fn payments_never_exceed_what_is_due_nor_the_grant() {
        let mut m = money(AgreementGate::NotRequired);
        assert_eq!(m.due_on(), Some(date(2027, 5, 9)));
        assert_eq!(conflict(m.after_payment(30_000_01)), "payment.not_due");
        m.paid_cents = 30_000_00;
        assert_eq!(m.due_on(), None);
        // The final report accepted makes the balance due 60 days later.
        m.report_accepted_on = Some(date(2028, 5, 1));
        assert_eq!(m.payable_cents(), 40_000_00);
        assert_eq!(m.due_on(), Some(date(2028, 6, 30)));
        assert!(m.after_payment(10_000_00).is_ok());
        match m.after_payment(10_000_01) {
            Err(DomainError::Conflict { code, message, .. }) => {
                assert_eq!(code, "payment.exceeds_grant");
                assert!(
                    message.contains(&crate::money::euros(10_000_00)),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(m.after_payment(0), Err(DomainError::Invalid(_))));
        // Paid in part before the report: the rest stays due from the notification.
        m.paid_cents = 20_000_00;
        assert_eq!(m.due_on(), Some(date(2027, 5, 9)));
    }

    #[test]
    fn the_schedule_is_locked_by_a_payment_or_a_signed_agreement() {
        let mut m = money(AgreementGate::NotRequired);
        let single = default_schedule(40_000_00);
        assert!(m.check_reschedule(false, &single).is_ok());
        assert_eq!(
            conflict(m.check_reschedule(true, &single)),
            "schedule.locked"
        );
        m.paid_cents = 1;
        assert_eq!(
            conflict(m.check_reschedule(false, &single)),
            "schedule.locked"
        );
        m.paid_cents = 0;
        assert!(matches!(
            m.check_reschedule(false, &default_schedule(1)),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn a_repayment_claims_at_most_what_was_paid_and_after_a_breach_what_exceeds_the_share_kept() {
        let year = (date(2027, 1, 1), date(2027, 12, 31));
        assert_eq!(
            repayment_cents(10_000_00, 6_000_00, 0, RepaymentBasis::Amount(6_000_00)).unwrap(),
            6_000_00
        );
        assert_eq!(
            conflict(
                repayment_cents(
                    10_000_00,
                    6_000_00,
                    1_000_00,
                    RepaymentBasis::Amount(5_000_01)
                )
                .map(|_| ())
            ),
            "repayment.exceeds_paid"
        );
        let breach = |on| RepaymentBasis::RepublicanContractBreach {
            breach_on: on,
            period: year,
        };
        // 36,500 € all paid, breach on 1 July: 18,400 € withdrawn, all of it to repay.
        assert_eq!(
            repayment_cents(36_500_00, 36_500_00, 0, breach(date(2027, 7, 1))).unwrap(),
            18_400_00
        );
        // Only 20,000 € paid: the association keeps 18,100 €, repays 1,900 €.
        assert_eq!(
            repayment_cents(36_500_00, 20_000_00, 0, breach(date(2027, 7, 1))).unwrap(),
            1_900_00
        );
        assert_eq!(
            conflict(
                repayment_cents(36_500_00, 18_000_00, 0, breach(date(2027, 7, 1))).map(|_| ())
            ),
            "repayment.nothing_to_repay"
        );
        let mut m = money(AgreementGate::NotRequired);
        m.claimed_cents = 1_00;
        m.paid_cents = 10_000_00;
        assert_eq!(m.payable_cents(), 10_000_00);
        assert_eq!(m.due_on(), None);
        assert_eq!(conflict(m.after_payment(1_00)), "payment.repayment_ordered");
        assert!(
            !m.is_complete(),
            "a part claimed back: the report is still awaited"
        );
        m.report_accepted_on = Some(date(2028, 3, 1));
        assert!(m.is_complete(), "the report accepted, the file closes");
        m.report_accepted_on = None;
        m.claimed_cents = 10_000_00;
        assert!(
            m.is_complete(),
            "all that was paid came back: nothing to account for"
        );
        assert!(repaid_in_full(10_000_00, 10_000_00) && !repaid_in_full(10_000_00, 9_999_99));
        assert!(!repaid_in_full(0, 0), "no repayment ordered");
    }

    #[test]
    fn what_is_owed_the_balance_and_the_dates_a_payment_may_bear() {
        let mut m = money(AgreementGate::Signed {
            on: date(2027, 4, 2),
            payment_days: 60,
        });
        assert_eq!((m.owed_cents(), m.balance_cents()), (30_000_00, 10_000_00));
        m.paid_cents = 30_000_00;
        assert_eq!(m.owed_cents(), 0);
        let voted = date(2027, 3, 1);
        let today = date(2027, 5, 1);
        assert!(m.check_paid_on(date(2027, 4, 2), voted, today).is_ok());
        for wrong in [date(2027, 4, 1), date(2027, 5, 2)] {
            assert_eq!(
                m.check_paid_on(wrong, voted, today).unwrap_err().code,
                "payment.paid_on"
            );
        }
        m.claimed_cents = 1_00;
        assert_eq!(m.balance_cents(), 0);
    }

    #[test]
    fn a_repayment_is_settled_between_its_order_and_today() {
        let (ordered, today) = (date(2027, 5, 2), date(2027, 6, 1));
        assert!(check_settled_on(ordered, ordered, today).is_ok());
        assert!(check_settled_on(today, ordered, today).is_ok());
        for wrong in [date(2027, 5, 1), date(2027, 6, 2)] {
            assert_eq!(
                check_settled_on(wrong, ordered, today).unwrap_err().code,
                "repayment.settled_on"
            );
        }
    }

    #[test]
    fn a_grant_is_complete_once_paid_in_full_with_its_report_accepted() {
        let mut m = money(AgreementGate::NotRequired);
        m.paid_cents = 40_000_00;
        assert!(!m.is_complete());
        m.report_accepted_on = Some(date(2028, 5, 1));
        assert!(m.is_complete());
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

    #[test]
    fn the_agreement_rule_says_why_in_words() {
        let said = agreement_rule_in_words(30_000_00, 0);
        assert!(
            said.contains("la subvention (30\u{202f}000\u{a0}€) dépasse 23\u{202f}000\u{a0}€"),
            "{said}"
        );
        let said = agreement_rule_in_words(15_000_00, 10_000_00);
        assert!(
            said.contains(
                "douze mois précédents (10\u{202f}000\u{a0}€), le total (25\u{202f}000\u{a0}€)"
            ),
            "{said}"
        );
        let said = agreement_rule_in_words(12_000_00, 11_000_00);
        assert!(
            said.starts_with("Aucune convention n'est nécessaire"),
            "{said}"
        );
        assert!(said.contains("23\u{202f}000\u{a0}€ en tout"), "{said}");
    }
}
