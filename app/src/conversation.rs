//! Talking about a request (see `simpa_domain::conversation`): reading its threads, writing
//! in them with files uploaded or taken from the association's documents, marking them read,
//! searching them. A message is recorded as every action is (history, feed, webhooks) and
//! told to the other side by e-mail, several within minutes in one.

use crate::access::require;
use crate::clock::CityNow;
use crate::documents::store_upload;
use crate::instruction::author;
use crate::notify::{self, Held, Notifier, Told};
use crate::runtime::{RunError, Runtime};
use chrono::{DateTime, Utc};
use simpa_domain::conversation::{self, Attachment, Side, Thread, is_unread, read_by_other_side};
use simpa_domain::history::Event;
use simpa_domain::ids::{AssociationId, AttachmentId, DocumentVersionId, RequestId};
use simpa_domain::life::StoredRequest;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::{Checks, DomainError, Violation, text};
use simpa_files::store::BlobStore;
use simpa_files::upload::UploadForm;
use simpa_persistence::accounts::{Signed, load_signed};
use simpa_persistence::documents::{DocumentVersion, StoredFile};
use simpa_persistence::instruction::{self, Recorded};
use simpa_persistence::{
    DbConnection, Keyset, Page, StoreError, StoreResult, associations, campaigns, documents,
    history, messages, requests,
};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// One message as its reader sees it.
#[derive(Debug, Clone)]
pub struct Message {
    pub event: Event,
    pub thread: Thread,
    pub side: Side,
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// When the other side read it, once it has.
    pub read_by_other_side: Option<DateTime<Utc>>,
    /// New to the reader.
    pub unread: bool,
}

/// A request's threads as one reader sees them.
pub struct Conversation {
    pub request: StoredRequest,
    pub association: String,
    /// The side the reader writes from.
    pub side: Side,
    /// Whether the reader reads (and writes in) the city's internal thread.
    pub notes: bool,
    /// Both threads' messages, in order.
    pub messages: Vec<Message>,
    /// Whether messages may be written now (not on a draft).
    pub open: bool,
}

impl Conversation {
    /// The messages of one thread, in order.
    pub fn of(&self, thread: Thread) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(move |m| m.thread == thread)
    }

    /// How many messages are new to the reader.
    pub fn unread(&self) -> usize {
        self.messages.iter().filter(|m| m.unread).count()
    }
}

/// The access to a thread of a request, for the policy.
fn converse(request: &StoredRequest, thread: Thread) -> Action {
    Action::Converse {
        access: request.access(),
        thread,
    }
}

/// The request, if the caller may read its association's thread (anyone else is told it
/// does not exist).
fn conversing(
    conn: &mut DbConnection,
    signed: &Signed,
    id: RequestId,
    lock: bool,
) -> StoreResult<StoredRequest> {
    let request = requests::get_maybe_locked(conn, id, lock)?;
    let Some(request) = request else {
        return Err(DomainError::NotFound { what: "thread" }.into());
    };
    policy::authorize(&signed.actor, converse(&request, Thread::Association))?;
    Ok(request)
}

/// A request's threads as the caller may read them: the association's, and the city's
/// internal one for the staff who read the request.
#[tracing::instrument(name = "conversation::read", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<Conversation> {
    let signed = load_signed(conn, subject)?;
    let request = conversing(conn, &signed, id, false)?;
    let notes = policy::decide(&signed.actor, converse(&request, Thread::Internal)).is_ok();
    let side = Side::of(&signed.actor, request.association);
    let mut files = messages::attachments(conn, id)?;
    let marks = messages::read_marks(conn, id)?;
    let reader = match signed.actor {
        Actor::Person { id, .. } => Some(id),
        _ => None,
    };
    let read_seq = reader
        .and_then(|r| marks.iter().find(|m| m.account == r))
        .map_or(0, |m| m.seq);
    let messages = history::events(conn, id)?
        .into_iter()
        .filter_map(|event| {
            let (thread, from) = (event.action.thread()?, event.action.side()?);
            if thread == Thread::Internal && !notes {
                return None;
            }
            Some(Message {
                thread,
                side: from,
                text: message_text(&event),
                attachments: files.remove(&event.id).unwrap_or_default(),
                read_by_other_side: read_by_other_side(from, event.seq, &marks),
                unread: reader
                    .is_some_and(|r| is_unread(event.actor.account, event.seq, r, read_seq)),
                event,
            })
        })
        .collect();
    Ok(Conversation {
        open: conversation::is_open(&request.facts),
        association: associations::name(conn, request.association)?,
        request,
        side,
        notes,
        messages,
    })
}

/// A request's threads as the caller reads them on its page: what is new to a person is
/// marked read as they see it.
pub fn open(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    now: DateTime<Utc>,
) -> StoreResult<Conversation> {
    let talk = read(conn, subject, id)?;
    if let (Some(Subject::Person(reader)), Some(last)) = (subject, talk.messages.last())
        && talk.unread() > 0
    {
        messages::mark_read(conn, id, reader, talk.side, last.event.seq, now)?;
    }
    Ok(talk)
}

/// The association's documents a member may attach to a message: the latest version of each
/// kind that has a file, with its kind's label.
pub fn attachable(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    association: AssociationId,
) -> StoreResult<Vec<(String, DocumentVersion)>> {
    let kinds = crate::documents::kinds(conn, subject)?;
    let mut latest: Vec<(String, DocumentVersion)> = Vec::new();
    // Newest first: the first of each kind is its latest.
    for version in crate::documents::versions(conn, subject, association)? {
        if version.file.is_none() || latest.iter().any(|(_, v)| v.kind_code == version.kind_code) {
            continue;
        }
        let label = kinds
            .iter()
            .find(|k| k.code == version.kind_code)
            .map_or_else(|| version.kind_code.clone(), |k| k.label.clone());
        latest.push((label, version));
    }
    Ok(latest)
}

/// What a message event says.
fn message_text(event: &Event) -> String {
    event
        .public_message
        .clone()
        .or_else(|| event.internal_note.clone())
        .unwrap_or_default()
}

/// Records that the caller (a person: programs keep no read marks) read a request's threads
/// up to event `seq` of its history.
#[tracing::instrument(name = "conversation::mark_read", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn mark_read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    seq: i32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let signed = load_signed(conn, subject)?;
    let request = conversing(conn, &signed, id, false)?;
    let reader = crate::access::person(&signed.actor)?;
    let last = history::events(conn, id)?.last().map_or(0, |e| e.seq);
    if !(1..=last).contains(&seq) {
        return Err(DomainError::Invalid(vec![
            Violation::new(
                "message.unknown_seq",
                format!(
                    "La demande compte {last} événements : donnez un numéro entre 1 et {last}."
                ),
            )
            .at("seq"),
        ])
        .into());
    }
    messages::mark_read(
        conn,
        id,
        reader,
        Side::of(&signed.actor, request.association),
        seq,
        now,
    )
}

/// What someone writes: in which thread, the text, the association's documents it carries
/// (by version) and the file uploaded with it, if any (its bytes already in the store).
pub struct Written {
    pub thread: Thread,
    pub text: String,
    pub documents: Vec<DocumentVersionId>,
    pub upload: Option<StoredFile>,
}

/// A stored file as a message carries it: uploaded with it, or a version of the association's
/// documents.
fn attachment_of(file: StoredFile, version: Option<DocumentVersionId>) -> Attachment {
    Attachment {
        id: AttachmentId::from_uuid(Uuid::now_v7()),
        file_name: file.file_name,
        media_type: file.media_type,
        size_bytes: file.size_bytes,
        sha256: file.sha256,
        document_version: version,
    }
}

/// The association's documents a message carries, each a version of its own with a file;
/// every wrong one named at once.
fn documents_carried(
    conn: &mut DbConnection,
    request: &StoredRequest,
    versions: &[DocumentVersionId],
    c: &mut Checks,
) -> StoreResult<Vec<Attachment>> {
    let mut carried = Vec::new();
    for (i, version) in versions.iter().enumerate() {
        let file = documents::version(conn, request.association, *version)?.and_then(|v| v.file);
        match file {
            Some(file) => carried.push(attachment_of(file, Some(*version))),
            None => c.push(
                Violation::new(
                    "document.unknown",
                    "Ce document n'est pas un fichier déposé par l'association de la demande.",
                )
                .at(format!("document_version_ids[{i}]")),
            ),
        }
    }
    Ok(carried)
}

/// Writes a message in a request's thread, as the caller may (see `Action::Converse`): it is
/// appended to the request's history, published in the feed and to webhooks, and told to the
/// other side. The writer has read the thread up to it.
#[tracing::instrument(name = "conversation::write", skip_all, fields(actor = Subject::kind(subject), request = %id, thread = written.thread.code()))]
pub fn write(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    written: Written,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<Message> {
    let signed = load_signed(conn, subject)?;
    let request = conversing(conn, &signed, id, true)?;
    policy::authorize(&signed.actor, converse(&request, written.thread))?;
    let side = Side::of(&signed.actor, request.association);
    let mut c = Checks::default();
    let mut attachments = documents_carried(conn, &request, &written.documents, &mut c)?;
    attachments.extend(written.upload.map(|file| attachment_of(file, None)));
    let outcome = match conversation::message(
        &request.facts,
        side,
        written.thread,
        &written.text,
        &attachments,
    ) {
        Err(DomainError::Invalid(errors)) => {
            c.extend(errors);
            return Err(c.into_error().into());
        }
        outcome => outcome?,
    };
    c.finish()?;
    let campaign = campaigns::get(conn, request.campaign)?
        .ok_or(DomainError::NotFound { what: "campaign" })?;
    let at = now.at.max(request.updated_at);
    let (recorded, life) = instruction::record_action(
        conn,
        &request,
        &campaign,
        outcome,
        author(&signed),
        None,
        at,
    )?;
    messages::index(conn, &recorded.event, &attachments)?;
    if let Actor::Person { id: writer, .. } = signed.actor {
        messages::mark_read(conn, id, writer, side, recorded.event.seq, at)?;
    }
    let told = Told {
        recorded: &recorded,
        before: &request.facts,
        request: &life.request,
        held: Held {
            campaign: Some(&campaign),
            ..Held::default()
        },
    };
    notify::tell(conn, notifier, told, at)?;
    notify::tell_of_message(conn, notifier, &life.request, &life.events, at)?;
    let Recorded { event, change } = recorded;
    // The feed is told last: its lock is held until the commit.
    instruction::publish(conn, change)?;
    Ok(Message {
        thread: written.thread,
        side,
        text: message_text(&event),
        attachments,
        read_by_other_side: None,
        unread: false,
        event,
    })
}

/// Writes a message that came as an upload form (fields `text`, `thread`,
/// `document_version_ids`, and maybe a `file`), for both front doors: every malformed field
/// is named at once, then the file's bytes are moved into the store before the message refers
/// to them.
pub async fn write_upload(
    runtime: &Runtime,
    store: Arc<BlobStore>,
    subject: Option<Subject>,
    id: RequestId,
    mut form: UploadForm,
) -> Result<Message, RunError> {
    let mut c = Checks::default();
    let text = form.text("text").unwrap_or_default().to_owned();
    c.check("text", conversation::check_text(&text));
    let thread = match form.text("thread") {
        None => Some(Thread::Association),
        Some(code) => c.check(
            "thread",
            Thread::from_code(code).ok_or_else(|| {
                Violation::new(
                    "field.invalid_value",
                    "Fil attendu : « association » (avec l'association) ou « internal » (notes internes de la Ville).",
                )
            }),
        ),
    };
    let documents = parse_versions(form.lists.get("document_version_ids"), &mut c);
    if !c.is_empty() {
        return Err(StoreError::from(c.into_error()).into());
    }
    let thread = thread.unwrap_or(Thread::Association);
    // Who may write at all was asked before the form was read (`may_write`); who may not
    // write in this thread is refused by `write`, the file left for the store's collection.
    let upload = match form.file.take() {
        Some(uploaded) => Some(store_upload(store, uploaded).await?),
        None => None,
    };
    let (now, notifier) = (runtime.city_now(), runtime.notifier.clone());
    let written = Written {
        thread,
        text,
        documents,
        upload,
    };
    let message = runtime
        .write(move |conn| write(conn, subject, id, written, now, &notifier))
        .await?;
    Ok(message)
}

/// Whether the caller may write about a request at all (in its association's thread),
/// known before a single byte of their message is read.
pub fn may_write(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
) -> StoreResult<()> {
    let signed = load_signed(conn, subject)?;
    conversing(conn, &signed, id, false).map(|_| ())
}

/// The versions named (each an id), every malformed one reported.
fn parse_versions(raw: Option<&Vec<String>>, c: &mut Checks) -> Vec<DocumentVersionId> {
    raw.map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .enumerate()
        .filter_map(|(i, value)| {
            c.check(
                format!("document_version_ids[{i}]"),
                value.parse::<DocumentVersionId>().map_err(|_| {
                    Violation::new(
                        "field.invalid_value",
                        "Identifiant de document attendu (un UUID, comme les donne la liste des documents de l'association).",
                    )
                }),
            )
        })
        .collect()
}

/// One file of a request's messages, for whoever may read its thread.
#[tracing::instrument(name = "conversation::attachment", skip_all, fields(actor = Subject::kind(subject), request = %id))]
pub fn attachment(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: RequestId,
    attachment: AttachmentId,
) -> StoreResult<Attachment> {
    let signed = load_signed(conn, subject)?;
    let request = conversing(conn, &signed, id, false)?;
    let (thread, attachment) = messages::attachment(conn, id, attachment)?
        .ok_or(DomainError::NotFound { what: "attachment" })?;
    policy::authorize(&signed.actor, converse(&request, thread))?;
    Ok(attachment)
}

/// How many messages of each of these requests are new to the reader (a person): the
/// association's thread for its members, both threads for the city's staff.
pub fn unread(
    conn: &mut DbConnection,
    actor: &Actor,
    requests: &[RequestId],
) -> StoreResult<HashMap<RequestId, i64>> {
    let Actor::Person { id, .. } = actor else {
        return Ok(HashMap::new());
    };
    let threads: &[Thread] = if policy::decide(actor, Action::FollowRequests).is_ok() {
        &[Thread::Association, Thread::Internal]
    } else {
        &[Thread::Association]
    };
    messages::unread_counts(conn, *id, requests, threads)
}

/// A message found by a search, with its request.
pub struct Found {
    pub message: Message,
    pub request: StoredRequest,
    pub association: String,
}

/// The messages of the requests the caller (staff) follows whose words contain `query`, the
/// latest first, internal notes included.
#[tracing::instrument(name = "conversation::search", skip_all, fields(actor = Subject::kind(subject)))]
pub fn search(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    query: &str,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Found>> {
    let actor = require(conn, subject, Action::FollowRequests)?;
    let query = text::line(query, 2, 200).map_err(|v| DomainError::Invalid(vec![v.at("q")]))?;
    let mut scope = policy::request_scope(&actor);
    let outside = std::mem::take(&mut scope.associations);
    let page = messages::search(conn, &scope, &outside, true, &query, after, limit)?;
    let ids: Vec<String> = page.items.iter().map(|e| e.request.to_string()).collect();
    let found = requests::get_many(conn, &ids)?;
    let association_ids: Vec<_> = found.iter().map(|r| r.association).collect();
    let names = associations::names(conn, &association_ids)?;
    page.try_map(|event| {
        let request = found
            .iter()
            .find(|r| r.id == event.request)
            .cloned()
            .ok_or_else(|| {
                StoreError::Corrupt(format!("message {} without its request", event.id))
            })?;
        let association = names
            .iter()
            .find(|(id, _)| *id == request.association)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        Ok(Found {
            message: Message {
                thread: event.action.thread().unwrap_or(Thread::Association),
                side: event.action.side().unwrap_or(Side::City),
                text: message_text(&event),
                attachments: vec![],
                read_by_other_side: None,
                unread: false,
                event,
            },
            request,
            association,
        })
    })
}
