//! Talking about a request. Each request has two threads: one between the association's
//! members and the city's staff who read the request, and the city's internal one, where
//! directions, the bureau and town halls leave notes to each other, never shown to the
//! association. A message is an event of the request's history (append-only, in its hash
//! chain, in the change feed) that changes nothing of the request itself.

use crate::circuit::{ActionKind, EventDraft, Outcome, RequestFacts, Visibility};
use crate::coded_enum;
use crate::ids::{AccountId, AttachmentId, DocumentVersionId};
use crate::request::RequestState;
use crate::{Checks, DomainError, Violation, text};
use chrono::{DateTime, Utc};
use serde_json::json;

coded_enum! {
    /// Which of a request's two threads.
    pub enum Thread {
        Association = ("association", "Échanges avec l'association"),
        Internal = ("internal", "Notes internes de la Ville"),
    }
}

coded_enum! {
    /// Who writes or reads: the association's members, or the city.
    pub enum Side {
        Association = ("association", "l'association"),
        City = ("city", "la Ville"),
    }
}

impl Side {
    /// The side a message is written to.
    pub fn other(self) -> Side {
        match self {
            Side::Association => Side::City,
            Side::City => Side::Association,
        }
    }

    /// The side `actor` speaks from about a request of `association`: a member of it speaks
    /// for it (see `policy::parties`), anyone else for the city.
    pub fn of(actor: &crate::policy::Actor, association: crate::ids::AssociationId) -> Side {
        if crate::policy::parties(actor, association).contains(&crate::parties::Party::Applicant) {
            Side::Association
        } else {
            Side::City
        }
    }
}

/// Whether a request's threads take messages: not while it is a draft, which the city does
/// not see yet.
pub fn is_open(facts: &RequestFacts) -> bool {
    facts.state != RequestState::Draft
}

/// The longest message, in characters.
pub const TEXT_LIMIT: usize = 4000;
/// The most files one message carries.
pub const ATTACHMENT_LIMIT: usize = 5;
/// Messages written within this many minutes of the first one not yet mailed are told in one
/// e-mail.
pub const GROUPED_WITHIN_MINUTES: i64 = 5;

/// A file a message carries: uploaded with it, or taken from the association's documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    /// The association's document it was taken from, when it comes from its documents.
    pub document_version: Option<DocumentVersionId>,
}

impl ActionKind {
    /// The thread a message belongs to (nothing for other actions).
    pub fn thread(self) -> Option<Thread> {
        match self {
            ActionKind::AssociationMessage | ActionKind::CityMessage => Some(Thread::Association),
            ActionKind::InternalNote => Some(Thread::Internal),
            _ => None,
        }
    }

    /// Who wrote a message (nothing for other actions).
    pub fn side(self) -> Option<Side> {
        match self {
            ActionKind::AssociationMessage => Some(Side::Association),
            ActionKind::CityMessage | ActionKind::InternalNote => Some(Side::City),
            _ => None,
        }
    }
}

/// What a message says: paragraphs, at most [`TEXT_LIMIT`] characters.
pub fn check_text(raw: &str) -> Result<String, Violation> {
    text::paragraphs(raw, 1, TEXT_LIMIT)
}

/// The event that records a message written by `side` in `thread`, checked: a draft has no
/// thread yet (the city does not see it), the association writes only in its own thread, and
/// every wrong field of the message is named at once.
pub fn message(
    facts: &RequestFacts,
    side: Side,
    thread: Thread,
    text: &str,
    attachments: &[Attachment],
) -> Result<Outcome, DomainError> {
    if !is_open(facts) {
        return Err(DomainError::conflict(
            "message.draft",
            None,
            "Une demande en brouillon n'est pas encore lue par la Ville : déposez-la avant de lui écrire.",
        ));
    }
    let action = match (side, thread) {
        (Side::Association, Thread::Association) => ActionKind::AssociationMessage,
        (Side::City, Thread::Association) => ActionKind::CityMessage,
        (Side::City, Thread::Internal) => ActionKind::InternalNote,
        (Side::Association, Thread::Internal) => {
            return Err(DomainError::NotPermitted {
                code: "message.internal",
                message: "Les notes internes sont réservées aux services de la Ville.".into(),
            });
        }
    };
    let mut c = Checks::default();
    let text = c.check("text", check_text(text));
    if attachments.len() > ATTACHMENT_LIMIT {
        c.push(
            Violation::new(
                "message.too_many_attachments",
                format!(
                    "Un message porte au plus {ATTACHMENT_LIMIT} pièces jointes ({} données).",
                    attachments.len()
                ),
            )
            .at("attachments"),
        );
    }
    let Some(text) = text else {
        return Err(c.into_error());
    };
    c.finish()?;
    let internal = thread == Thread::Internal;
    Ok(Outcome {
        facts: facts.clone(),
        event: EventDraft {
            action,
            from: Some(facts.state),
            to: facts.state,
            visibility: if internal {
                Visibility::Internal
            } else {
                Visibility::Public
            },
            public_message: (!internal).then(|| text.clone()),
            internal_note: internal.then_some(text),
            details: json!({
                "attachments": attachments.iter().map(|a| json!({
                    "id": a.id.to_string(),
                    "file_name": a.file_name,
                    "media_type": a.media_type,
                    "size_bytes": a.size_bytes,
                    "sha256": a.sha256,
                    "document_version_id": a.document_version.map(|v| v.to_string()),
                })).collect::<Vec<_>>(),
            }),
        },
    })
}

/// How far one person read a request's threads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMark {
    pub account: AccountId,
    pub side: Side,
    /// The last event read (messages are numbered with the history's events).
    pub seq: i32,
    pub at: DateTime<Utc>,
}

/// When the other side has read a message `side` wrote (event `seq`): the earliest mark of
/// one of its people at or past it; nothing while none has.
pub fn read_by_other_side(side: Side, seq: i32, marks: &[ReadMark]) -> Option<DateTime<Utc>> {
    marks
        .iter()
        .filter(|m| m.side != side && m.seq >= seq)
        .map(|m| m.at)
        .min()
}

/// Whether a message is new to a reader: written by someone else after the last event they
/// read.
pub fn is_unread(author: Option<AccountId>, seq: i32, reader: AccountId, read_seq: i32) -> bool {
    author != Some(reader) && seq > read_seq
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::CircuitKind;
    use chrono::TimeZone;
    use uuid::Uuid;

    fn submitted() -> RequestFacts {
        let mut facts = RequestFacts::new_draft(CircuitKind::Central, None);
        facts.state = RequestState::InInstruction;
        facts
    }

    #[test]
    fn a_message_is_an_event_that_changes_nothing() {
        let facts = submitted();
        let outcome = message(
            &facts,
            Side::Association,
            Thread::Association,
            " Bonjour\r\nvoici ",
            &[],
        )
        .expect("allowed");
        assert_eq!(outcome.facts, facts);
        assert_eq!(outcome.event.action, ActionKind::AssociationMessage);
        assert_eq!(outcome.event.to, RequestState::InInstruction);
        assert_eq!(
            outcome.event.public_message.as_deref(),
            Some("Bonjour\nvoici")
        );
        assert!(crate::circuit::leads(
            ActionKind::AssociationMessage,
            RequestState::InInstruction,
            RequestState::InInstruction
        ));
        let note = message(
            &facts,
            Side::City,
            Thread::Internal,
            "Avis DJS attendu",
            &[],
        )
        .unwrap();
        assert_eq!(note.event.visibility, Visibility::Internal);
        assert_eq!(
            note.event.public_message, None,
            "never shown to the association"
        );
        assert_eq!(
            note.event.internal_note.as_deref(),
            Some("Avis DJS attendu")
        );
    }

    #[test]
    fn a_draft_has_no_thread_and_the_association_no_notes() {
        let draft = RequestFacts::new_draft(CircuitKind::Central, None);
        let refused = message(
            &draft,
            Side::Association,
            Thread::Association,
            "Bonjour",
            &[],
        );
        assert!(matches!(
            refused,
            Err(DomainError::Conflict {
                code: "message.draft",
                ..
            })
        ));
        assert!(!crate::circuit::leads(
            ActionKind::CityMessage,
            RequestState::Draft,
            RequestState::Draft
        ));
        let refused = message(
            &submitted(),
            Side::Association,
            Thread::Internal,
            "Bonjour",
            &[],
        );
        assert!(matches!(
            refused,
            Err(DomainError::NotPermitted {
                code: "message.internal",
                ..
            })
        ));
    }

    #[test]
    fn every_wrong_field_of_a_message_is_named_at_once() {
        let attachment = Attachment {
            id: AttachmentId::from_uuid(Uuid::from_u128(1)),
            file_name: "devis.pdf".into(),
            media_type: "application/pdf".into(),
            size_bytes: 10,
            sha256: "ab".into(),
            document_version: None,
        };
        let six = vec![attachment; ATTACHMENT_LIMIT + 1];
        let Err(DomainError::Invalid(errors)) =
            message(&submitted(), Side::City, Thread::Association, "  ", &six)
        else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["text", "attachments"]);
        assert!(
            errors[1]
                .message
                .contains("au plus 5 pièces jointes (6 données)"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_message_is_read_by_the_other_side_once_one_of_its_people_read_past_it() {
        let at = |h| Utc.with_ymd_and_hms(2026, 12, 7, h, 0, 0).unwrap();
        let person = |n| AccountId::from_uuid(Uuid::from_u128(n));
        let marks = vec![
            ReadMark {
                account: person(1),
                side: Side::Association,
                seq: 9,
                at: at(9),
            },
            ReadMark {
                account: person(2),
                side: Side::City,
                seq: 7,
                at: at(11),
            },
            ReadMark {
                account: person(3),
                side: Side::City,
                seq: 8,
                at: at(10),
            },
        ];
        assert_eq!(
            read_by_other_side(Side::Association, 7, &marks),
            Some(at(10))
        );
        assert_eq!(read_by_other_side(Side::Association, 9, &marks), None);
        assert_eq!(read_by_other_side(Side::City, 9, &marks), Some(at(9)));
        assert!(is_unread(Some(person(2)), 8, person(1), 7));
        assert!(
            !is_unread(Some(person(1)), 8, person(1), 7),
            "one's own message"
        );
        assert!(!is_unread(None, 7, person(1), 7), "already read");
    }
}
