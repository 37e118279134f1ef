//! Talking about a request (`/demandes/{id}/messages`, and `/agents/demandes/{id}/messages`
//! for the city's agents): the thread between the association and the city, with its files and
//! who read what, and for the agents the city's internal notes; a form to write in each. Reading
//! the page marks its messages read. And the agents' search of messages (`/agents/messages`).

use crate::answers::{city_moment, refused, see_other, unless_hidden};
use crate::forms::{Upload, read_upload};
use crate::render::Page;
use crate::session::Visitor;
use crate::{Portal, csrf};
use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, post, routes, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::conversation::{self, Message};
use simpa_app::runtime::RunError;
use simpa_domain::conversation::{Side, Thread};
use simpa_domain::ids::{AttachmentId, RequestId};
use simpa_domain::{DomainError, FieldError};
use simpa_files::download::Stored;
use simpa_files::store::BlobStore;
use simpa_persistence::StoreError;
use std::collections::HashMap;
use uuid::Uuid;

/// A message as the page shows it: who wrote it for which side, when, its files and, under
/// the reader's own, whether the other side read it.
fn message_shown(portal: &Portal, request: RequestId, reader: Side, m: &Message) -> Value {
    let receipt = (m.side == reader && m.thread == Thread::Association).then(|| {
        let other = m.side.other().label();
        match m.read_by_other_side {
            Some(at) => format!("Lu par {other} le {}", city_moment(portal, at)),
            None => format!("Pas encore lu par {other}"),
        }
    });
    context! {
        seq => m.event.seq,
        author => m.event.actor.name,
        from => m.side.label(),
        on => city_moment(portal, m.event.at),
        text => m.text,
        unread => m.unread,
        receipt => receipt,
        files => m.attachments.iter().map(|a| context! {
            name => a.file_name,
            href => format!("/demandes/{request}/messages/pieces/{}", a.id),
            size => format!("{} Ko", (a.size_bytes + 1023) / 1024),
        }).collect::<Vec<_>>(),
    }
}

/// The address of a request's messages for its readers of `side`: the agents' own pages for
/// the city.
fn thread_address(side: Side, id: RequestId) -> String {
    match side {
        Side::Association => format!("/demandes/{id}"),
        Side::City => format!("/agents/demandes/{id}"),
    }
}

/// The page (what is new to the visitor marked read), with what a form sent back (its
/// thread, errors and text) or what was sent.
async fn thread_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: RequestId,
    more: Value,
) -> HttpResponse {
    let (subject, now, timezone) = (
        visitor.subject(),
        portal.runtime.now(),
        portal.runtime.timezone,
    );
    let loaded = portal
        .runtime
        .write(move |conn| {
            let talk = conversation::open(conn, subject, id, now)?;
            // What a member may attach: the association's documents.
            let documents = match talk.side == Side::Association && talk.open {
                true => conversation::attachable(conn, subject, talk.request.association)?,
                false => vec![],
            };
            Ok((talk, documents))
        })
        .await;
    let (talk, documents) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return unless_hidden(portal, error),
    };
    let shown = |thread| {
        talk.of(thread)
            .map(|m| message_shown(portal, id, talk.side, m))
            .collect::<Vec<_>>()
    };
    let documents: Vec<Value> = documents
        .into_iter()
        .filter_map(|(label, version)| {
            let file = version.file?;
            Some(context! {
                id => version.facts.id.to_string(),
                label => label,
                file => file.file_name,
                filed_on => crate::answers::date_in(timezone, version.facts.filed_at),
            })
        })
        .collect();
    let data = context! {
        id => id.to_string(),
        back => thread_address(talk.side, id),
        title => talk.request.content.title,
        number => talk.request.number.map(|n| n.to_string()),
        association => talk.association,
        side => talk.side.code(),
        open => talk.open,
        public => shown(Thread::Association),
        notes => talk.notes.then(|| shown(Thread::Internal)),
        unread => talk.unread(),
        documents => documents,
        accepted => simpa_domain::document::ACCEPTED_MEDIA_TYPES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(","),
        ..more
    };
    let page = Page::new("messages.html", data).visitor(visitor);
    crate::forms::form_page(portal, req, page)
}

/// A request's messages: as its association's members read them, and with the city's
/// internal notes as the city's agents do (the agents' address is theirs to link to).
#[routes]
#[get("/demandes/{id}/messages")]
#[get("/agents/demandes/{id}/messages")]
pub async fn messages_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<SentQuery>,
) -> HttpResponse {
    let more = context! { sent => query.envoye.is_some() };
    let id = RequestId::from_uuid(path.into_inner());
    thread_page(&portal, &req, &visitor, id, more).await
}

/// What the page's address says was just done.
#[derive(Deserialize)]
pub struct SentQuery {
    envoye: Option<String>,
}

/// Writes a message from the page's form (`multipart/form-data`: its token, the thread, the
/// text, documents ticked and maybe a file), then shows the thread again; what to fix is said
/// at the form's fields, the text kept.
#[post("/demandes/{id}/messages")]
pub async fn write(
    portal: web::Data<Portal>,
    blobs: web::Data<BlobStore>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    multipart: Multipart,
) -> HttpResponse {
    let id = RequestId::from_uuid(path.into_inner());
    // Another site's form is refused before a byte is read (its token comes in the body).
    if !csrf::from_this_site(&req, &portal.settings.origin) {
        return refused(&portal);
    }
    // Who may write is known before a single byte is read.
    let subject = visitor.subject();
    let allowed = portal
        .runtime
        .read(move |conn| conversation::may_write(conn, subject, id))
        .await;
    if let Err(error) = allowed {
        return unless_hidden(&portal, error);
    }
    let fields = &["text", "thread"];
    let (form, _slot) = match read_upload(
        &portal,
        &req,
        &blobs,
        multipart,
        fields,
        &["document_version_ids"],
    )
    .await
    {
        Upload::Read(form, slot) => (form, slot),
        Upload::Refused(errors) => {
            return sent_back(&portal, &req, &visitor, id, None, errors, None).await;
        }
        Upload::Answered(answer) => return answer,
    };
    let thread = form.text("thread").map(str::to_owned);
    let typed = form.fields.clone();
    let store = blobs.clone().into_inner();
    match conversation::write_upload(&portal.runtime, store, subject, id, form).await {
        Ok(message) => see_other(&format!(
            "{}/messages?envoye=1#message-{}",
            thread_address(message.side, id),
            message.event.seq
        )),
        Err(RunError::Store(StoreError::Domain(DomainError::Invalid(errors)))) => {
            sent_back(&portal, &req, &visitor, id, thread, errors, Some(typed)).await
        }
        Err(RunError::Store(StoreError::Domain(refusal @ DomainError::Conflict { .. }))) => {
            let error = crate::forms::field_error("text", crate::answers::said(refusal));
            sent_back(
                &portal,
                &req,
                &visitor,
                id,
                thread,
                vec![error],
                Some(typed),
            )
            .await
        }
        Err(error) => unless_hidden(&portal, error),
    }
}

/// The page again (422), a message's errors at the fields of its thread's form (whose ids
/// carry the thread: `association-text`), what was typed kept.
async fn sent_back(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: RequestId,
    thread: Option<String>,
    errors: Vec<FieldError>,
    typed: Option<HashMap<String, String>>,
) -> HttpResponse {
    let thread = thread.unwrap_or_else(|| Thread::Association.code().to_owned());
    let errors: Vec<FieldError> = errors
        .into_iter()
        .map(|e| FieldError {
            field: format!("{thread}-{}", e.field),
            ..e
        })
        .collect();
    let more = context! { errors => crate::forms::errors_shown(&errors), typed, sent => false };
    crate::forms::unprocessable(thread_page(portal, req, visitor, id, more).await)
}

/// A file a message carries, for whoever may read its thread; anyone else: not found.
#[get("/demandes/{id}/messages/pieces/{attachment}")]
pub async fn attachment(
    portal: web::Data<Portal>,
    blobs: web::Data<BlobStore>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
) -> HttpResponse {
    let (id, attachment) = path.into_inner();
    let (id, attachment, subject) = (
        RequestId::from_uuid(id),
        AttachmentId::from_uuid(attachment),
        visitor.subject(),
    );
    let found = portal
        .runtime
        .read(move |conn| conversation::attachment(conn, subject, id, attachment))
        .await;
    let file = match found {
        Ok(file) => file,
        Err(error) => return unless_hidden(&portal, error),
    };
    let stored = Stored {
        sha256: &file.sha256,
        media_type: &file.media_type,
        file_name: &file.file_name,
    };
    crate::answers::stored_file(&portal, &req, &blobs, stored).await
}

/// The agents' search of messages: its words, and the page to start after.
#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    apres: Option<String>,
}

/// The messages of the requests the agent follows that contain some words, the latest first,
/// internal notes included.
#[get("/agents/messages")]
pub async fn search(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<SearchQuery>,
) -> HttpResponse {
    let SearchQuery { q, apres } = query.into_inner();
    let words = q.unwrap_or_default();
    let after = apres.as_deref().and_then(simpa_app::cursor::decode);
    let subject = visitor.subject();
    let asked = words.trim().to_owned();
    let found = portal
        .runtime
        .read(move |conn| {
            simpa_app::access::require(
                conn,
                subject,
                simpa_domain::policy::Action::FollowRequests,
            )?;
            if asked.is_empty() {
                return Ok(None);
            }
            conversation::search(conn, subject, &asked, after.as_ref(), 30).map(Some)
        })
        .await;
    let (found, errors) = match found {
        Ok(found) => (found, vec![]),
        Err(RunError::Store(StoreError::Domain(DomainError::Invalid(errors)))) => (None, errors),
        Err(error) => return unless_hidden(&portal, error),
    };
    let results = found.as_ref().map(|page| {
        page.items
            .iter()
            .map(|f| {
                let request = f.request.id;
                context! {
                    href => format!("/agents/demandes/{request}/messages#message-{}", f.message.event.seq),
                    number => f.request.number.map(|n| n.to_string()),
                    title => f.request.content.title,
                    association => f.association,
                    author => f.message.event.actor.name,
                    internal => f.message.thread == Thread::Internal,
                    on => city_moment(&portal, f.message.event.at),
                    text => f.message.text,
                }
            })
            .collect::<Vec<_>>()
    });
    let next = found
        .and_then(|page| page.next)
        .map(|next| simpa_app::cursor::encode(&next));
    let data = context! {
        q => words,
        results => results,
        next => next,
        errors => crate::forms::errors_shown(&errors),
    };
    Page::new("staff_messages.html", data)
        .visitor(&visitor)
        .answer(&portal)
}
