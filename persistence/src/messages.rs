//! The messages about requests (see `simpa_domain::conversation`). What a message says is in
//! its event, in the request's history; here it is found by thread, by reader and by words,
//! with the files it carries and how far each person read.

use crate::DbConnection;
use crate::connection::{insert_batches, on_each_backend, one_of};
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::history;
use crate::page::{Keyset, Page, ordered_after};
use crate::schema::{
    message_attachments, message_reads, request_events, request_messages, requests,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use simpa_domain::conversation::{Attachment, ReadMark, Side, Thread};
use simpa_domain::history::Event;
use simpa_domain::ids::{AccountId, AssociationId, AttachmentId, EventId, RequestId};
use simpa_domain::policy::RequestScope;
use simpa_domain::search::fold;
use std::collections::{HashMap, HashSet};

#[derive(Insertable)]
#[diesel(table_name = request_messages, treat_none_as_default_value = false)]
struct MessageRow {
    event_id: String,
    request_id: String,
    seq: i32,
    thread: &'static str,
    side: &'static str,
    author_account_id: Option<String>,
    written_at: NaiveDateTime,
    search_text: String,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = message_attachments, treat_none_as_default_value = false)]
struct AttachmentRow {
    id: String,
    event_id: String,
    request_id: String,
    position: i32,
    file_name: String,
    media_type: String,
    size_bytes: i64,
    blob_sha256: String,
    document_version_id: Option<String>,
}

fn attachment_from_row(row: AttachmentRow) -> StoreResult<(EventId, Attachment)> {
    Ok((
        parse("message_attachments.event_id", &row.event_id)?,
        Attachment {
            id: parse("message_attachments.id", &row.id)?,
            file_name: row.file_name,
            media_type: row.media_type,
            size_bytes: row.size_bytes,
            sha256: row.blob_sha256,
            document_version: row
                .document_version_id
                .as_deref()
                .map(|v| parse("message_attachments.document_version_id", v))
                .transpose()?,
        },
    ))
}

/// Indexes a message just appended to its request's history, with the files it carries.
pub fn index(
    conn: &mut DbConnection,
    event: &Event,
    attachments: &[Attachment],
) -> StoreResult<()> {
    let (Some(thread), Some(side)) = (event.action.thread(), event.action.side()) else {
        return Err(StoreError::Corrupt(format!(
            "event {} ({}) is not a message",
            event.id, event.action
        )));
    };
    let text = event
        .public_message
        .as_deref()
        .or(event.internal_note.as_deref())
        .unwrap_or_default();
    diesel::insert_into(request_messages::table)
        .values(MessageRow {
            event_id: event.id.to_string(),
            request_id: event.request.to_string(),
            seq: event.seq,
            thread: thread.code(),
            side: side.code(),
            author_account_id: event.actor.account.map(|a| a.to_string()),
            written_at: naive(event.at),
            search_text: fold(text),
        })
        .execute(conn)?;
    let rows: Vec<AttachmentRow> = attachments
        .iter()
        .enumerate()
        .map(|(position, a)| AttachmentRow {
            id: a.id.to_string(),
            event_id: event.id.to_string(),
            request_id: event.request.to_string(),
            position: i32::try_from(position).unwrap_or(i32::MAX),
            file_name: a.file_name.clone(),
            media_type: a.media_type.clone(),
            size_bytes: a.size_bytes,
            blob_sha256: a.sha256.clone(),
            document_version_id: a.document_version.map(|v| v.to_string()),
        })
        .collect();
    insert_batches!(conn, message_attachments::table, &rows);
    Ok(())
}

/// The files of a request's messages, by message, in their order.
pub fn attachments(
    conn: &mut DbConnection,
    request: RequestId,
) -> StoreResult<HashMap<EventId, Vec<Attachment>>> {
    let rows: Vec<AttachmentRow> = message_attachments::table
        .filter(message_attachments::request_id.eq(request.to_string()))
        .order((message_attachments::event_id, message_attachments::position))
        .select(AttachmentRow::as_select())
        .load(conn)?;
    let mut by_message: HashMap<EventId, Vec<Attachment>> = HashMap::new();
    for row in rows {
        let (event, attachment) = attachment_from_row(row)?;
        by_message.entry(event).or_default().push(attachment);
    }
    Ok(by_message)
}

/// One file of a request's messages, with the thread of the message that carries it.
pub fn attachment(
    conn: &mut DbConnection,
    request: RequestId,
    id: AttachmentId,
) -> StoreResult<Option<(Thread, Attachment)>> {
    let row: Option<(AttachmentRow, String)> = message_attachments::table
        .inner_join(
            request_messages::table
                .on(request_messages::event_id.eq(message_attachments::event_id)),
        )
        .filter(message_attachments::id.eq(id.to_string()))
        .filter(message_attachments::request_id.eq(request.to_string()))
        .select((AttachmentRow::as_select(), request_messages::thread))
        .first(conn)
        .optional()?;
    row.map(|(row, thread)| {
        let thread = Thread::from_code(&thread)
            .ok_or_else(|| StoreError::Corrupt(format!("request_messages.thread = {thread:?}")))?;
        Ok((thread, attachment_from_row(row)?.1))
    })
    .transpose()
}

/// How far each person read a request's threads.
pub fn read_marks(conn: &mut DbConnection, request: RequestId) -> StoreResult<Vec<ReadMark>> {
    let rows: Vec<(String, String, i32, NaiveDateTime)> = message_reads::table
        .filter(message_reads::request_id.eq(request.to_string()))
        .select((
            message_reads::account_id,
            message_reads::side,
            message_reads::read_seq,
            message_reads::read_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(account, side, seq, at)| {
            Ok(ReadMark {
                account: parse("message_reads.account_id", &account)?,
                side: Side::from_code(&side)
                    .ok_or_else(|| StoreError::Corrupt(format!("message_reads.side = {side:?}")))?,
                seq,
                at: utc(at),
            })
        })
        .collect()
}

/// Records that a person read a request's threads up to event `seq`; a mark never goes back.
pub fn mark_read(
    conn: &mut DbConnection,
    request: RequestId,
    account: AccountId,
    side: Side,
    seq: i32,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let (request, account) = (request.to_string(), account.to_string());
    let first = (
        message_reads::request_id.eq(&request),
        message_reads::account_id.eq(&account),
        message_reads::side.eq(side.code()),
        message_reads::read_seq.eq(seq),
        message_reads::read_at.eq(naive(at)),
    );
    on_each_backend!(&mut *conn, c => {
        diesel::insert_into(message_reads::table)
            .values(first)
            .on_conflict((message_reads::request_id, message_reads::account_id))
            .do_nothing()
            .execute(c)
    })?;
    diesel::update(
        message_reads::table
            .filter(message_reads::request_id.eq(&request))
            .filter(message_reads::account_id.eq(&account))
            .filter(message_reads::read_seq.lt(seq)),
    )
    .set((
        message_reads::read_seq.eq(seq),
        message_reads::read_at.eq(naive(at)),
        message_reads::side.eq(side.code()),
    ))
    .execute(conn)?;
    Ok(())
}

/// How many messages of `threads` each of these requests holds that `reader` has not read
/// (see `conversation::is_unread`); requests with none are left out.
pub fn unread_counts(
    conn: &mut DbConnection,
    reader: AccountId,
    requests: &[RequestId],
    threads: &[Thread],
) -> StoreResult<HashMap<RequestId, i64>> {
    if requests.is_empty() {
        return Ok(HashMap::new());
    }
    let reader = reader.to_string();
    let ids: Vec<String> = requests.iter().map(ToString::to_string).collect();
    let threads: Vec<String> = threads.iter().map(|t| t.code().to_owned()).collect();
    let rows: Vec<(String, i64)> = request_messages::table
        .left_join(
            message_reads::table.on(message_reads::request_id
                .eq(request_messages::request_id)
                .and(message_reads::account_id.eq(&reader))),
        )
        .filter(one_of(request_messages::request_id, &ids))
        .filter(one_of(request_messages::thread, &threads))
        .filter(
            request_messages::author_account_id
                .is_null()
                .or(request_messages::author_account_id.ne(&reader)),
        )
        .filter(
            message_reads::read_seq
                .nullable()
                .is_null()
                .or(request_messages::seq
                    .nullable()
                    .gt(message_reads::read_seq.nullable())),
        )
        .group_by(request_messages::request_id)
        .select((request_messages::request_id, count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, count)| Ok((parse("request_messages.request_id", &id)?, count)))
        .collect()
}

/// The messages whose words contain `text` (folded), the latest first, among the requests of
/// `scope` that are not of the associations `outside` (an agent does not read the city's
/// side of their own association's requests): internal notes only when `notes`. Messages
/// are read in batches and kept when their request is in scope, until the page is full.
#[allow(clippy::too_many_arguments)]
pub fn search(
    conn: &mut DbConnection,
    scope: &RequestScope,
    outside: &[AssociationId],
    notes: bool,
    text: &str,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Event>> {
    let pattern = crate::associations::contains_pattern(&fold(text));
    let threads: Vec<&str> = if notes {
        vec![Thread::Association.code(), Thread::Internal.code()]
    } else {
        vec![Thread::Association.code()]
    };
    let outside: Vec<String> = outside.iter().map(ToString::to_string).collect();
    let batch = (limit + 1).max(50);
    let mut found: Vec<Event> = Vec::new();
    let mut position = after.cloned();
    loop {
        let query = request_messages::table
            .inner_join(request_events::table.on(request_events::id.eq(request_messages::event_id)))
            .filter(request_messages::search_text.like(&pattern))
            .filter(request_messages::thread.eq_any(&threads))
            .into_boxed();
        let (id, at) = (request_messages::event_id, request_messages::written_at);
        let rows: Vec<history::Row> =
            ordered_after!(query, position.as_ref(), id, at, time, desc, lt)
                .limit(i64::try_from(batch).unwrap_or(i64::MAX))
                .select(history::Row::as_select())
                .load(conn)?;
        let exhausted = rows.len() < batch;
        let events = rows
            .into_iter()
            .map(history::from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        let Some(last) = events.last() else {
            break;
        };
        position = Some(Keyset::at_time(naive(last.at), &last.id.to_string()));
        let mut ids: Vec<String> = events.iter().map(|e| e.request.to_string()).collect();
        ids.sort();
        ids.dedup();
        let visible: HashSet<String> = match crate::requests::scoped(scope, &Default::default()) {
            Some(in_scope) => in_scope
                .filter(requests::id.eq_any(ids))
                .filter(requests::association_id.ne_all(&outside))
                .select(requests::id)
                .load::<String>(conn)?
                .into_iter()
                .collect(),
            None => HashSet::new(),
        };
        found.extend(
            events
                .into_iter()
                .filter(|e| visible.contains(&e.request.to_string())),
        );
        if exhausted || found.len() > limit {
            break;
        }
    }
    found.truncate(limit + 1);
    Ok(Page::from_rows(found, limit, |e| {
        Keyset::at_time(naive(e.at), &e.id.to_string())
    }))
}

/// Every stored blob a message's file refers to.
pub fn referenced_blobs(conn: &mut DbConnection) -> StoreResult<HashSet<String>> {
    let hashes: Vec<String> = message_attachments::table
        .select(message_attachments::blob_sha256)
        .distinct()
        .load(conn)?;
    Ok(hashes.into_iter().collect())
}
