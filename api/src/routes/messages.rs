//! Talking about a request: its threads (the association's with the city, the city's internal
//! notes), read marks, files, and the staff's search.

use crate::auth::Caller;
use crate::codes::{SideCode, ThreadCode};
use crate::input::{Json, Query};
use crate::pagination::{self, Page};
use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use simpa_app::conversation::{self, Found, Message};
use simpa_domain::conversation::Thread;
use simpa_domain::ids::{AttachmentId, RequestId};
use simpa_files::download::Stored;
use simpa_files::store::BlobStore;
use simpa_persistence::{Keyset, Page as StoredPage};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A file a message carries.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: Uuid,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: i64,
    /// The association's document it was taken from, if it was.
    pub document_version_id: Option<Uuid>,
    /// Where its bytes are read.
    pub href: String,
}

/// One message of a request's thread.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    /// The event of the request's history that records it.
    pub id: Uuid,
    pub request_id: Uuid,
    /// Its number among the request's history's events.
    pub seq: i32,
    pub thread: ThreadCode,
    /// Who wrote it: the association or the city.
    pub side: SideCode,
    pub author: String,
    pub written_at: DateTime<Utc>,
    pub text: String,
    pub attachments: Vec<AttachmentView>,
    /// When the other side read it, once it has.
    pub read_by_other_side_at: Option<DateTime<Utc>>,
    /// New to the caller.
    pub unread: bool,
}

fn message_view(message: Message) -> MessageView {
    let request = message.event.request;
    MessageView {
        id: message.event.id.uuid(),
        request_id: request.uuid(),
        seq: message.event.seq,
        thread: ThreadCode(message.thread),
        side: SideCode(message.side),
        author: message.event.actor.name,
        written_at: message.event.at,
        text: message.text,
        attachments: message
            .attachments
            .into_iter()
            .map(|a| AttachmentView {
                href: format!("/api/v1/requests/{request}/messages/attachments/{}", a.id),
                id: a.id.uuid(),
                file_name: a.file_name,
                media_type: a.media_type,
                size_bytes: a.size_bytes,
                document_version_id: a.document_version.map(|v| v.uuid()),
            })
            .collect(),
        read_by_other_side_at: message.read_by_other_side,
        unread: message.unread,
    }
}

#[derive(Deserialize, IntoParams)]
pub struct ThreadQuery {
    /// Only this thread (`association` or `internal`); both when absent, as far as the
    /// caller reads them.
    pub thread: Option<ThreadCode>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A request's messages, oldest first: the association's thread for its members and the
/// staff who read the request, and the city's internal notes for those staff.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(ThreadQuery),
    responses(
        (status = 200, body = Page<MessageView>),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/requests/{request_id}/messages")]
pub async fn list_messages(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    query: Query<ThreadQuery>,
) -> Result<web::Json<Page<MessageView>>, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let query = query.0;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let thread: Option<Thread> = query.thread.map(|t| t.0);
    let talk = state
        .read(move |conn| conversation::read(conn, caller.0, id))
        .await?;
    if thread == Some(Thread::Internal) && !talk.notes {
        return Err(Problem::not_found("thread"));
    }
    let from = match after {
        Some(after) => after.number()?,
        None => 0,
    };
    let messages: Vec<Message> = talk
        .messages
        .into_iter()
        .filter(|m| thread.is_none_or(|t| m.thread == t))
        .filter(|m| i64::from(m.event.seq) > from)
        .take(limit + 1)
        .collect();
    let page = StoredPage::from_rows(messages, limit, |m| {
        Keyset::at_number(i64::from(m.event.seq), &m.event.id.to_string())
    });
    Ok(web::Json(Page::from_stored(page, message_view)))
}

/// The fields of a message, sent as `multipart/form-data` (documented here; read by hand).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MessageUpload {
    /// What the message says: 1 to 4,000 characters, line breaks kept.
    text: String,
    /// `association` (the default: the thread with the association) or `internal` (the
    /// city's notes, for its staff).
    thread: Option<String>,
    /// Documents of the association to attach, by version id: the field given once per
    /// document, or once with ids separated by commas.
    document_version_ids: Option<Vec<Uuid>>,
    /// A file to attach: PDF, PNG, JPEG, ODT, ODS, DOCX or XLSX, recognised by its content.
    #[schema(value_type = Option<String>, format = Binary)]
    file: Option<Vec<u8>>,
}

/// Writes a message in a request's thread: it becomes an event of the request's history (in
/// its hash chain, the change feed and webhooks) and is told to the other side by e-mail,
/// messages within five minutes in one e-mail. At most five files: documents of the
/// association and one file uploaded.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    request_body(content = MessageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = MessageView),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 409, response = responses::Conflict),
        (status = 413, response = responses::PayloadTooLarge),
        (status = 415, response = responses::UnsupportedMediaType),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/requests/{request_id}/messages")]
pub async fn write_message(
    state: web::Data<AppState>,
    blobs: web::Data<BlobStore>,
    caller: Caller,
    path: web::Path<Uuid>,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    crate::input::check_upload_length(&req, state.config.upload_limit)?;
    // Who may write is known before a single byte is read.
    state
        .read(move |conn| conversation::may_write(conn, caller.0, id))
        .await?;
    let lists = &["document_version_ids"];
    let (form, _slot) =
        crate::input::read_upload(&state, &blobs, multipart, MESSAGE_FIELDS, lists).await?;
    let store = blobs.clone().into_inner();
    let message = conversation::write_upload(&state.runtime, store, caller.0, id, form).await?;
    Ok(HttpResponse::Created().json(message_view(message)))
}

/// The text fields of a message's form.
pub const MESSAGE_FIELDS: &[&str] = &["text", "thread"];

/// How far the caller read a request's threads.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadInput {
    /// The `seq` of the last message read: every message up to it counts as read, and the
    /// other side sees it read.
    pub seq: i32,
}

/// Marks a request's threads read up to a message, for the caller (people only: programs
/// keep no read marks).
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    request_body = ReadInput,
    responses(
        (status = 204, description = "Marked"),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 404, response = responses::NotFound),
        (status = 422, response = responses::Invalid),
    )
)]
#[post("/requests/{request_id}/messages/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<Uuid>,
    body: Json<ReadInput>,
) -> Result<HttpResponse, Problem> {
    let id = RequestId::from_uuid(path.into_inner());
    let (seq, now) = (body.value.seq, state.now());
    state
        .write(move |conn| conversation::mark_read(conn, caller.0, id, seq, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The bytes of a file a message carries, with its type, name and SHA-256 as `ETag`.
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", headers(("ETag" = String), ("Content-Disposition" = String))),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/requests/{request_id}/messages/attachments/{attachment_id}")]
pub async fn download_attachment(
    state: web::Data<AppState>,
    blobs: web::Data<BlobStore>,
    caller: Caller,
    path: web::Path<(Uuid, Uuid)>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let (id, attachment) = path.into_inner();
    let (id, attachment) = (
        RequestId::from_uuid(id),
        AttachmentId::from_uuid(attachment),
    );
    let file = state
        .read(move |conn| conversation::attachment(conn, caller.0, id, attachment))
        .await?;
    let stored = Stored {
        sha256: &file.sha256,
        media_type: &file.media_type,
        file_name: &file.file_name,
    };
    crate::etag::stored_file(&req, &blobs, stored).await
}

#[derive(Deserialize, IntoParams)]
pub struct SearchQuery {
    /// Words the messages contain (accents and case ignored): 2 to 200 characters.
    pub q: String,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

/// A message found, with its request.
#[derive(Serialize, ToSchema)]
pub struct FoundMessage {
    pub request_number: Option<String>,
    pub request_title: String,
    pub association: String,
    pub message: MessageView,
}

/// The messages of the requests the caller follows that contain some words, the latest first,
/// internal notes included (the city's staff and API clients).
#[utoipa::path(
    tag = "messages",
    security(("bearer" = [])),
    params(SearchQuery),
    responses(
        (status = 200, body = Page<FoundMessage>),
        (status = 400, response = responses::BadRequest),
        (status = 401, response = responses::Unauthenticated),
        (status = 403, response = responses::Forbidden),
        (status = 422, response = responses::Invalid),
    )
)]
#[get("/messages")]
pub async fn search_messages(
    state: web::Data<AppState>,
    caller: Caller,
    query: Query<SearchQuery>,
) -> Result<web::Json<Page<FoundMessage>>, Problem> {
    let query = query.0;
    let after = pagination::decode_cursor(query.cursor.as_deref())?;
    let limit = pagination::limit(query.limit)?;
    let page = state
        .read(move |conn| conversation::search(conn, caller.0, &query.q, after.as_ref(), limit))
        .await?;
    Ok(web::Json(Page::from_stored(page, |found: Found| {
        FoundMessage {
            request_number: found.request.number.map(|n| n.to_string()),
            request_title: found.request.content.title,
            association: found.association,
            message: message_view(found.message),
        }
    })))
}
