//! Who is told what, and when: every public step of a request reaches the association (in
//! 2021 the Conseil de Paris criticised that refusals went untold), and new work reaches the
//! staff who must do it.

use crate::circuit::{ActionKind, RequestFacts};
use crate::coded_enum;
use crate::ids::{DirectionId, DistrictNumber};
use crate::parties::Instructor;
use crate::request::RequestState;
use crate::roles::StaffRole;
use crate::tracking::{self, Holder, gatekeeper, whereabouts};

coded_enum! {
    /// What a person is told by e-mail; each has its templates (text and HTML).
    pub enum Notice {
        Submitted = ("request_submitted", "Accusé de réception de votre demande"),
        DocumentsAsked = ("documents_asked", "Pièces ou informations demandées"),
        Admissible = ("request_admissible", "Votre demande est recevable"),
        Dispatched = ("request_dispatched", "Votre demande est en instruction"),
        Instructed = ("request_instructed", "L'instruction de votre demande est terminée"),
        Rejected = ("request_rejected", "Votre demande a été refusée"),
        Ranked = ("request_ranked", "Le jury a retenu votre demande"),
        Granted = ("request_granted", "Votre subvention est accordée"),
        Scheduled = ("request_scheduled", "Votre demande est soumise au vote"),
        AgreementToSign = ("agreement_to_sign", "Une convention attend la signature du président ou de la présidente"),
        AgreementSigned = ("agreement_signed", "La convention est signée par la Ville"),
        PaymentRecorded = ("payment_recorded", "Un versement de votre subvention est enregistré"),
        ReportChangesAsked = ("report_changes_asked", "Votre compte rendu financier est à reprendre"),
        ReportAccepted = ("report_accepted", "Votre compte rendu financier est accepté"),
        RepaymentSettled = ("repayment_settled", "Votre reversement est enregistré"),
        Closed = ("request_closed", "Votre dossier est clos"),
        DocumentRejected = ("document_rejected", "Un document de votre association est refusé"),
        ReportFiled = ("report_filed", "Un compte rendu financier attend votre examen"),
        JurorSeated = ("juror_seated", "Vous siégez sur une demande"),
        RepaymentOrdered = ("repayment_ordered", "Un reversement vous est demandé"),
        JurorRecused = ("juror_recused", "Un·e juré·e s'est récusé·e"),
        Withdrawn = ("request_withdrawn", "Votre demande a été retirée"),
        NewWork = ("new_work", "Une demande vous attend"),
        NewMessages = ("new_messages", "Nouveau message sur une demande"),
        DocumentExpiring = ("document_expiring", "Une pièce de votre association expire bientôt"),
        StillIncomplete = ("request_still_incomplete", "Votre demande attend toujours des pièces"),
        Digest = ("work_digest", "Les demandes qui vous attendent"),
        ReportDue = ("report_due", "Votre compte rendu financier est attendu"),
        AgreementUnsigned = ("agreement_unsigned", "Une convention attend toujours une signature"),
        LateSteps = ("late_steps", "Des demandes qui vous attendent ont dépassé leur délai"),
        SheetsDue = ("sheets_due", "Des fiches de notation restent à remettre"),
        AccountExists = ("account_exists", "Vous avez déjà un compte Simpa"),
        VerifyEmail = ("verify_email", "Confirmez votre adresse e-mail"),
        PasswordReset = ("password_reset", "Choisissez un nouveau mot de passe"),
        PasswordChanged = ("password_changed", "Votre mot de passe a changé"),
        TwoFactorChanged = ("two_factor_changed", "La double authentification de votre compte a changé"),
        Invitation = ("invitation", "Vous êtes invité·e à rejoindre une association"),
    }
}

coded_enum! {
    /// How staff want to hear of new work.
    pub enum WorkEmails {
        Immediate = ("immediate", "À chaque nouvelle demande"),
        Daily = ("daily", "Un récapitulatif par jour"),
        Never = ("none", "Jamais"),
    }
}

/// Staff for whom a request is new work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffTarget {
    Bureau,
    District(DistrictNumber),
    Direction(DirectionId),
}

impl StaffTarget {
    /// Whether staff of this role are the target's people: the bureau's, the direction's
    /// instructors, the district's town hall.
    pub fn names(&self, role: &StaffRole) -> bool {
        match (self, role) {
            (StaffTarget::Bureau, StaffRole::Bureau) => true,
            (StaffTarget::Direction(d), StaffRole::Instructor(r)) => d == r,
            (StaffTarget::District(n), StaffRole::District(r)) => n == r,
            _ => false,
        }
    }
}

/// Whether a webhook subscribed to `event_types` (none: every type) wants an event of `kind`.
pub fn subscribed(event_types: &[String], kind: &str) -> bool {
    event_types.is_empty() || event_types.iter().any(|t| t == kind)
}

/// Who a notice goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The association's members who want to hear of their requests; its presidents always
    /// when it is a decision.
    Association {
        decision: bool,
    },
    Staff(Vec<StaffTarget>),
}

fn targets(holder: Holder) -> Vec<StaffTarget> {
    match holder {
        Holder::Bureau => vec![StaffTarget::Bureau],
        Holder::District(n) => vec![StaffTarget::District(n)],
        Holder::Instructors(instructors) => instructors
            .into_iter()
            .map(|i| match i {
                Instructor::Direction(d) => StaffTarget::Direction(d),
                Instructor::District(n) => StaffTarget::District(n),
            })
            .collect(),
        // Finance is told of payments by its own lists, not by new work.
        Holder::Association | Holder::Finance | Holder::Nobody => vec![],
    }
}

/// What an action on a request tells, and to whom.
pub fn notices_for(
    action: ActionKind,
    before: &RequestFacts,
    after: &RequestFacts,
) -> Vec<(Notice, Audience)> {
    let association = |notice, decision| (notice, Audience::Association { decision });
    let new_work = |targets: Vec<StaffTarget>| {
        (!targets.is_empty()).then_some((Notice::NewWork, Audience::Staff(targets)))
    };
    let now_held_by = || targets(whereabouts(after).0);
    let mut notices = Vec::new();
    match action {
        ActionKind::Submit => {
            notices.push(association(Notice::Submitted, false));
            notices.extend(new_work(now_held_by()));
        }
        ActionKind::AskDocuments => notices.push(association(Notice::DocumentsAsked, false)),
        ActionKind::Resubmit => notices.extend(new_work(now_held_by())),
        ActionKind::DeclareAdmissible => {
            notices.push(association(Notice::Admissible, false));
            // A town hall goes on to instruct what it admitted (the bureau, which goes on to
            // dispatch, has just seen it).
            if after.instructors.len() > before.instructors.len() {
                notices.extend(new_work(now_held_by()));
            }
        }
        ActionKind::Dispatch => {
            notices.push(association(Notice::Dispatched, false));
            let added: Vec<StaffTarget> = after
                .instructors
                .iter()
                .filter(|a| {
                    !before
                        .instructors
                        .iter()
                        .any(|b| b.instructor == a.instructor)
                })
                .filter_map(|a| match a.instructor {
                    Instructor::Direction(d) => Some(StaffTarget::Direction(d)),
                    Instructor::District(_) => None,
                })
                .collect();
            notices.extend(new_work(added));
        }
        ActionKind::GiveOpinion if after.state == RequestState::Instructed => {
            notices.push(association(Notice::Instructed, false));
        }
        ActionKind::Grant => notices.push(association(Notice::Granted, true)),
        ActionKind::RejectInadmissible | ActionKind::RejectAfterJury | ActionKind::RefuseByVote => {
            notices.push(association(Notice::Rejected, true));
        }
        ActionKind::Rank => notices.push(association(Notice::Ranked, true)),
        // A draft withdrawn was never the city's: nobody needs telling.
        ActionKind::Withdraw => {
            if before.state != RequestState::Draft {
                notices.push(association(Notice::Withdrawn, false));
            }
        }
        ActionKind::AskReportChanges => {
            notices.push(association(Notice::ReportChangesAsked, false));
        }
        ActionKind::OrderRepayment => notices.push(association(Notice::RepaymentOrdered, true)),
        ActionKind::Schedule => notices.push(association(Notice::Scheduled, false)),
        ActionKind::AcceptFinalReport => notices.push(association(Notice::ReportAccepted, false)),
        ActionKind::Close => notices.push(association(Notice::Closed, false)),
        ActionKind::FileFinalReport => {
            notices.push((Notice::ReportFiled, Audience::Staff(reviewers(after))));
        }
        ActionKind::Create
        | ActionKind::Edit
        | ActionKind::GiveOpinion
        | ActionKind::OverrideProposal
        | ActionKind::DeclareInterests
        | ActionKind::Unschedule => {}
        // Messages are told grouped (see `told_of_message`).
        ActionKind::AssociationMessage | ActionKind::CityMessage | ActionKind::InternalNote => {}
    }
    notices
}

/// The staff who review a request's final report (`tracking::reviewers`).
fn reviewers(facts: &RequestFacts) -> Vec<StaffTarget> {
    targets(tracking::reviewers(facts))
}

/// Who hears of a new message: the association's members of one from the city, and of one
/// from the association the staff who hold the request now (or, while it waits on the
/// association or is done, those who gate and instruct it). Notes stay in the city's thread:
/// nobody is mailed.
pub fn told_of_message(action: ActionKind, facts: &RequestFacts) -> Option<Audience> {
    match action {
        ActionKind::CityMessage => Some(Audience::Association { decision: false }),
        ActionKind::AssociationMessage => {
            let mut staff = targets(whereabouts(facts).0);
            if staff.is_empty() {
                staff = targets(gatekeeper(facts));
                for target in reviewers(facts) {
                    if !staff.contains(&target) {
                        staff.push(target);
                    }
                }
            }
            Some(Audience::Staff(staff))
        }
        _ => None,
    }
}

/// A request still incomplete after this many days is recalled to its association.
pub const INCOMPLETE_REMINDER_DAYS: i64 = 15;

/// A final report awaited is first recalled this many days before it is due.
pub const REPORT_REMINDER_DAYS: i64 = 30;

/// An agreement unsigned for this many days is recalled to whoever must sign it.
pub const AGREEMENT_REMINDER_DAYS: i64 = 7;

coded_enum! {
    /// Which reminder of a final report awaited: within the month before it is due, on its
    /// day, once late. Each is sent once.
    pub enum ReportReminder {
        Soon = ("soon", "à rendre dans le mois"),
        Today = ("today", "à rendre aujourd'hui"),
        Overdue = ("overdue", "en retard"),
    }
}

/// The reminder a final report due on `due_on` calls for `today`, if any.
pub fn report_reminder(
    due_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Option<ReportReminder> {
    let days_left = (due_on - today).num_days();
    match days_left {
        d if d < 0 => Some(ReportReminder::Overdue),
        0 => Some(ReportReminder::Today),
        d if d <= REPORT_REMINDER_DAYS => Some(ReportReminder::Soon),
        _ => None,
    }
}

/// Whether a member hears of a notice: the notices the member asked for, and every decision
/// for presidents.
pub fn member_is_told(wants_request_emails: bool, is_president: bool, decision: bool) -> bool {
    wants_request_emails || (decision && is_president)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_names_its_own_staff_only() {
        let (dac, dfpe) = (
            DirectionId::from_uuid(uuid::Uuid::from_u128(1)),
            DirectionId::from_uuid(uuid::Uuid::from_u128(2)),
        );
        let eleventh = DistrictNumber(11);
        assert!(StaffTarget::Bureau.names(&StaffRole::Bureau));
        assert!(StaffTarget::Direction(dac).names(&StaffRole::Instructor(dac)));
        assert!(!StaffTarget::Direction(dac).names(&StaffRole::Instructor(dfpe)));
        assert!(StaffTarget::District(eleventh).names(&StaffRole::District(eleventh)));
        assert!(!StaffTarget::District(eleventh).names(&StaffRole::District(DistrictNumber(12))));
        assert!(!StaffTarget::Bureau.names(&StaffRole::Instructor(dac)));
        assert!(!StaffTarget::Direction(dac).names(&StaffRole::Bureau));
    }

    #[test]
    fn a_webhook_wants_the_types_it_subscribed_to_or_all() {
        let some = vec!["request.submitted".to_owned()];
        assert!(subscribed(&some, "request.submitted"));
        assert!(!subscribed(&some, "request.granted"));
        assert!(subscribed(&[], "request.granted"));
    }
    use crate::campaign::CircuitKind;
    use crate::circuit::{Command, decide};
    use crate::parties::Party;
    use chrono::{NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    fn walk(circuit: CircuitKind, steps: Vec<(Party, Command)>) -> Vec<Vec<(Notice, Audience)>> {
        let local = (circuit == CircuitKind::Local).then_some(DistrictNumber(11));
        let mut facts = RequestFacts::new_draft(circuit, local);
        facts.requested_cents = 1_000_00;
        let now = Utc.with_ymd_and_hms(2026, 10, 1, 9, 0, 0).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        steps
            .into_iter()
            .map(|(party, command)| {
                let kind = command.kind();
                let outcome = decide(&facts, command, &[party], now, today).expect("allowed");
                let notices = notices_for(kind, &facts, &outcome.facts);
                facts = outcome.facts;
                notices
            })
            .collect()
    }

    #[test]
    fn the_association_hears_every_public_step_and_staff_their_new_work() {
        let dac = DirectionId::from_uuid(Uuid::from_u128(1));
        let djs = DirectionId::from_uuid(Uuid::from_u128(2));
        let opinion = |cents| Command::GiveOpinion {
            value: crate::circuit::OpinionValue::Favourable,
            proposed_cents: cents,
            public_comment: None,
            internal_comment: None,
        };
        let told = walk(
            CircuitKind::Central,
            vec![
                (Party::Applicant, Command::Submit),
                (Party::Bureau, Command::DeclareAdmissible { message: None }),
                (
                    Party::Bureau,
                    Command::Dispatch {
                        lead: dac,
                        co: vec![djs],
                    },
                ),
                (Party::Direction(djs), opinion(500_00)),
                (Party::Direction(dac), opinion(800_00)),
            ],
        );
        let association = |notice| (notice, Audience::Association { decision: false });
        assert_eq!(
            told,
            vec![
                vec![
                    association(Notice::Submitted),
                    (Notice::NewWork, Audience::Staff(vec![StaffTarget::Bureau]))
                ],
                vec![association(Notice::Admissible)],
                vec![
                    association(Notice::Dispatched),
                    (
                        Notice::NewWork,
                        Audience::Staff(vec![
                            StaffTarget::Direction(dac),
                            StaffTarget::Direction(djs)
                        ])
                    )
                ],
                vec![],
                vec![association(Notice::Instructed)],
            ]
        );
    }

    #[test]
    fn a_withdrawal_is_told_once_submitted_not_for_a_draft() {
        let withdraw = || Command::Withdraw { reason: None };
        let told = walk(CircuitKind::Central, vec![(Party::Applicant, withdraw())]);
        assert_eq!(told, vec![Vec::<(Notice, Audience)>::new()], "a draft");
        let told = walk(
            CircuitKind::Central,
            vec![
                (Party::Applicant, Command::Submit),
                (Party::Applicant, withdraw()),
            ],
        );
        assert_eq!(
            told[1],
            vec![(Notice::Withdrawn, Audience::Association { decision: false })]
        );
    }

    #[test]
    fn a_town_hall_hears_of_its_local_requests_and_refusals_are_decisions() {
        let told = walk(
            CircuitKind::Local,
            vec![
                (Party::Applicant, Command::Submit),
                (
                    Party::District(DistrictNumber(11)),
                    Command::DeclareAdmissible { message: None },
                ),
            ],
        );
        let town_hall = Audience::Staff(vec![StaffTarget::District(DistrictNumber(11))]);
        assert_eq!(told[0][1], (Notice::NewWork, town_hall.clone()));
        assert_eq!(
            told[1][1],
            (Notice::NewWork, town_hall),
            "it instructs what it admitted"
        );
        let refused = walk(
            CircuitKind::Central,
            vec![
                (Party::Applicant, Command::Submit),
                (
                    Party::Bureau,
                    Command::RejectInadmissible {
                        reason: "Hors champ".into(),
                    },
                ),
            ],
        );
        assert_eq!(
            refused[1],
            vec![(Notice::Rejected, Audience::Association { decision: true })]
        );
        assert!(
            member_is_told(false, true, true),
            "presidents always hear of decisions"
        );
        assert!(!member_is_told(false, true, false));
        assert!(!member_is_told(false, false, true));
        assert!(member_is_told(true, false, false));
    }

    #[test]
    fn a_final_report_is_recalled_a_month_before_on_its_day_and_once_late() {
        let day = |d| NaiveDate::from_ymd_opt(2027, 6, d).unwrap();
        assert_eq!(report_reminder(day(30), day(1)), Some(ReportReminder::Soon));
        assert_eq!(
            report_reminder(day(30), day(30)),
            Some(ReportReminder::Today)
        );
        assert_eq!(
            report_reminder(day(29), day(30)),
            Some(ReportReminder::Overdue)
        );
        let far = NaiveDate::from_ymd_opt(2027, 7, 30).unwrap();
        assert_eq!(
            report_reminder(far, day(30)),
            Some(ReportReminder::Soon),
            "30 days"
        );
        assert_eq!(report_reminder(far, day(29)), None, "31 days");
    }
}
