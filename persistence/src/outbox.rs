//! The transactional outbox: messages written in the same transaction as what causes them,
//! taken by a worker under a lease, sent at least once, retried, or given up.

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::page::{Keyset, Page};
use crate::schema::{digest_items, outbox};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::{AccountId, RequestId};
pub use simpa_domain::outbox::{Channel, MessageStatus};
use uuid::Uuid;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub request: Option<RequestId>,
    /// For what must be sent once only (a reminder): a second message with the same key is
    /// not queued.
    pub dedupe_key: Option<String>,
}

impl NewMessage {
    /// A call to a webhook endpoint: the event's type and its JSON body.
    pub fn webhook(endpoint: &str, kind: String, body: String, request: Option<RequestId>) -> Self {
        NewMessage {
            channel: Channel::Webhook,
            recipient: endpoint.to_owned(),
            subject: kind,
            body,
            html: None,
            request,
            dedupe_key: None,
        }
    }
}

/// A queued message, as the worker and admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: Uuid,
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub request: Option<RequestId>,
    pub status: MessageStatus,
    pub attempts: u32,
    pub available_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct Row {
    id: String,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    html: Option<String>,
    request_id: Option<String>,
    status: String,
    attempts: i32,
    available_at: NaiveDateTime,
    last_error: Option<String>,
    created_at: NaiveDateTime,
    sent_at: Option<NaiveDateTime>,
}

fn from_row(row: Row) -> StoreResult<Message> {
    Ok(Message {
        id: parse("outbox.id", &row.id)?,
        channel: Channel::from_code(&row.channel)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox.channel = {:?}", row.channel)))?,
        status: MessageStatus::from_code(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox.status = {:?}", row.status)))?,
        request: row
            .request_id
            .as_deref()
            .map(|r| parse("outbox.request_id", r))
            .transpose()?,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        available_at: utc(row.available_at),
        created_at: utc(row.created_at),
        sent_at: row.sent_at.map(utc),
        recipient: row.recipient,
        subject: row.subject,
        body: row.body,
        html: row.html,
        last_error: row.last_error,
    })
}

#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
struct NewRow<'a> {
    id: String,
    channel: &'static str,
    recipient: &'a str,
    subject: &'a str,
    body: &'a str,
    html: Option<&'a str>,
    request_id: Option<String>,
    dedupe_key: Option<&'a str>,
    status: &'static str,
    attempts: i32,
    available_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

fn new_row(id: Uuid, message: &NewMessage, now: DateTime<Utc>) -> NewRow<'_> {
    NewRow {
        id: id.to_string(),
        channel: message.channel.code(),
        recipient: &message.recipient,
        subject: &message.subject,
        body: &message.body,
        html: message.html.as_deref(),
        request_id: message.request.map(|r| r.to_string()),
        dedupe_key: message.dedupe_key.as_deref(),
        status: MessageStatus::Pending.code(),
        attempts: 0,
        available_at: naive(now),
        created_at: naive(now),
    }
}

/// Queues a message and gives its id; `None` when its dedupe key was queued before (nothing
/// is added).
pub fn enqueue(
    conn: &mut DbConnection,
    message: &NewMessage,
    now: DateTime<Utc>,
) -> StoreResult<Option<Uuid>> {
    enqueue_at(conn, message, now, now)
}

/// Queues a message to be sent at `at`, not before (news that more news may join meanwhile,
/// see [`rewrite_waiting`]); `None` when its dedupe key was queued before.
pub fn enqueue_at(
    conn: &mut DbConnection,
    message: &NewMessage,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<Option<Uuid>> {
    if let Some(key) = &message.dedupe_key {
        let seen: bool = diesel::select(diesel::dsl::exists(
            outbox::table.filter(outbox::dedupe_key.eq(key)),
        ))
        .get_result(conn)?;
        if seen {
            return Ok(None);
        }
    }
    let id = Uuid::now_v7();
    let row = NewRow {
        available_at: naive(at),
        ..new_row(id, message, now)
    };
    diesel::insert_into(outbox::table)
        .values(row)
        .execute(conn)?;
    Ok(Some(id))
}

/// What still waits for its time at `now`: queued for later, never tried nor taken (what a
/// worker claims is due).
#[diesel::dsl::auto_type(no_type_alias)]
fn still_waiting(now: NaiveDateTime) -> _ {
    let pending: &'static str = MessageStatus::Pending.code();
    let never: i32 = 0;
    outbox::status
        .eq(pending)
        .and(outbox::attempts.eq(never))
        .and(outbox::leased_until.is_null())
        .and(outbox::available_at.gt(now))
}

/// The message still waiting for its time at `now` (queued for later, never taken) whose
/// dedupe key starts with `prefix`: its id and key.
pub fn waiting(
    conn: &mut DbConnection,
    prefix: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<(Uuid, String)>> {
    let row: Option<(String, Option<String>)> = outbox::table
        .filter(still_waiting(naive(now)))
        // Keys are made of codes and ids: no character of theirs is a wildcard but `_`,
        // which matches itself too.
        .filter(outbox::dedupe_key.like(format!("{prefix}%")))
        .select((outbox::id, outbox::dedupe_key))
        .order(outbox::created_at.desc())
        .first(conn)
        .optional()?;
    row.map(|(id, key)| Ok((parse("outbox.id", &id)?, key.unwrap_or_default())))
        .transpose()
}

/// Rewrites what a message still waiting for its time says; false when it no longer waits
/// (its time came meanwhile).
pub fn rewrite_waiting(
    conn: &mut DbConnection,
    id: Uuid,
    subject: &str,
    body: &str,
    html: Option<&str>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let updated = diesel::update(
        outbox::table
            .find(id.to_string())
            .filter(still_waiting(naive(now))),
    )
    .set((
        outbox::subject.eq(subject),
        outbox::body.eq(body),
        outbox::html.eq(html),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Queues messages sent whenever they happen (without a dedupe key), in one statement.
pub fn enqueue_all(
    conn: &mut DbConnection,
    messages: &[NewMessage],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    debug_assert!(messages.iter().all(|m| m.dedupe_key.is_none()));
    let rows: Vec<NewRow> = messages
        .iter()
        .map(|m| new_row(Uuid::now_v7(), m, now))
        .collect();
    insert_batches!(conn, outbox::table, &rows);
    Ok(())
}

/// Takes up to `limit` messages due at `now` that nobody holds, for `lease_until`. A message
/// whose lease ran out (its worker died) is due again.
pub fn claim(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<Message>> {
    let now = naive(now);
    let free = outbox::leased_until
        .is_null()
        .or(outbox::leased_until.lt(now));
    let candidates: Vec<String> = outbox::table
        .filter(outbox::status.eq(MessageStatus::Pending.code()))
        .filter(outbox::available_at.le(now))
        .filter(free)
        .select(outbox::id)
        .order((outbox::available_at, outbox::id))
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        // Only one worker wins a message: the lease is taken only if it is still free.
        let taken = diesel::update(
            outbox::table
                .find(&id)
                .filter(outbox::status.eq(MessageStatus::Pending.code()))
                .filter(
                    outbox::leased_until
                        .is_null()
                        .or(outbox::leased_until.lt(now)),
                ),
        )
        .set(outbox::leased_until.eq(naive(lease_until)))
        .execute(conn)?;
        if taken == 1 {
            claimed.push(id);
        }
    }
    outbox::table
        .filter(outbox::id.eq_any(&claimed))
        .select(Row::as_select())
        .order((outbox::available_at, outbox::id))
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

pub fn mark_sent(
    conn: &mut DbConnection,
    id: Uuid,
    lease: DateTime<Utc>,
    attempts: u32,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // Still under its lease, or given back (`release`) while it was being sent and not taken
    // again since: it went out, and must not go out again.
    diesel::update(
        outbox::table
            .find(id.to_string())
            .filter(outbox::status.eq(MessageStatus::Pending.code()))
            .filter(
                outbox::leased_until
                    .eq(naive(lease))
                    .or(outbox::leased_until.is_null()),
            ),
    )
    .set((
        outbox::status.eq(MessageStatus::Sent.code()),
        outbox::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
        outbox::sent_at.eq(naive(now)),
        outbox::leased_until.eq(None::<NaiveDateTime>),
        outbox::last_error.eq(None::<String>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: to retry at `retry_at`, or given up when `None`.
#[allow(clippy::too_many_arguments)]
pub fn mark_failed(
    conn: &mut DbConnection,
    id: Uuid,
    lease: DateTime<Utc>,
    attempts: u32,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(
        outbox::table
            .find(id.to_string())
            .filter(outbox::leased_until.eq(naive(lease))),
    )
    .set((
        outbox::status.eq(if retry_at.is_some() {
            MessageStatus::Pending
        } else {
            MessageStatus::Failed
        }
        .code()),
        outbox::attempts.eq(i32::try_from(attempts).unwrap_or(i32::MAX)),
        outbox::last_error.eq(error),
        outbox::leased_until.eq(None::<NaiveDateTime>),
        outbox::available_at.eq(naive(retry_at.unwrap_or(now))),
    ))
    .execute(conn)?;
    Ok(())
}

/// Puts a message given up back in line, to be tried again now (its attempts counted anew);
/// false when it is not one given up.
pub fn requeue(conn: &mut DbConnection, id: Uuid, now: DateTime<Utc>) -> StoreResult<bool> {
    let updated = diesel::update(
        outbox::table
            .find(id.to_string())
            .filter(outbox::status.eq(MessageStatus::Failed.code())),
    )
    .set((
        outbox::status.eq(MessageStatus::Pending.code()),
        outbox::attempts.eq(0),
        outbox::available_at.eq(naive(now)),
        outbox::leased_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Puts messages taken under `lease` back, untried, until `until` (their recipient just
/// failed: they wait for its retry rather than fail one after another).
pub fn postpone(
    conn: &mut DbConnection,
    ids: &[Uuid],
    lease: DateTime<Utc>,
    until: DateTime<Utc>,
) -> StoreResult<()> {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::leased_until.eq(naive(lease))),
    )
    .set((
        outbox::leased_until.eq(None::<NaiveDateTime>),
        outbox::available_at.eq(naive(until)),
    ))
    .execute(conn)?;
    Ok(())
}

/// Gives back the messages still pending under `lease` (a worker stopping before it sent
/// them), for any worker to take at once rather than when the lease runs out. Returns how
/// many.
pub fn release(conn: &mut DbConnection, lease: DateTime<Utc>) -> StoreResult<usize> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::status.eq(MessageStatus::Pending.code()))
            .filter(outbox::leased_until.eq(naive(lease))),
    )
    .set(outbox::leased_until.eq(None::<NaiveDateTime>))
    .execute(conn)?)
}

/// Messages (in a status, to a recipient), the latest first.
pub fn list(
    conn: &mut DbConnection,
    status: Option<MessageStatus>,
    recipient: Option<&str>,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Message>> {
    let mut query = outbox::table.select(Row::as_select()).into_boxed();
    if let Some(status) = status {
        query = query.filter(outbox::status.eq(status.code()));
    }
    if let Some(recipient) = recipient {
        query = query.filter(outbox::recipient.eq(recipient.to_owned()));
    }
    if let Some(after) = after {
        let time = after.time()?;
        query = query.filter(
            outbox::created_at.lt(time).or(outbox::created_at
                .eq(time)
                .and(outbox::id.lt(after.id.clone()))),
        );
    }
    let rows: Vec<Row> = query
        .order((outbox::created_at.desc(), outbox::id.desc()))
        .limit(i64::try_from(limit + 1).unwrap_or(i64::MAX))
        .load(conn)?;
    Page::from_rows(rows, limit, |row| Keyset::at_time(row.created_at, &row.id)).try_map(from_row)
}

pub fn get(conn: &mut DbConnection, id: Uuid) -> StoreResult<Option<Message>> {
    outbox::table
        .find(id.to_string())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(from_row)
        .transpose()
}

/// Adds requests to accounts' next digests: (account, request), in one statement per few
/// hundred.
pub fn add_to_digests(
    conn: &mut DbConnection,
    items: &[(AccountId, RequestId)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<_> = items
        .iter()
        .map(|(account, request)| {
            (
                digest_items::id.eq(Uuid::now_v7().to_string()),
                digest_items::account_id.eq(account.to_string()),
                digest_items::request_id.eq(request.to_string()),
                digest_items::created_at.eq(naive(now)),
            )
        })
        .collect();
    insert_batches!(conn, digest_items::table, &rows);
    Ok(())
}

/// The requests waiting in each account's digest, oldest first.
pub fn pending_digests(conn: &mut DbConnection) -> StoreResult<Vec<(AccountId, Vec<RequestId>)>> {
    let rows: Vec<(String, String)> = digest_items::table
        .filter(digest_items::digested_at.is_null())
        .select((digest_items::account_id, digest_items::request_id))
        .order((digest_items::account_id, digest_items::created_at))
        .load(conn)?;
    let mut digests: Vec<(AccountId, Vec<RequestId>)> = Vec::new();
    for (account, request) in rows {
        let account: AccountId = parse("digest_items.account_id", &account)?;
        let request: RequestId = parse("digest_items.request_id", &request)?;
        match digests.last_mut() {
            Some((last, requests)) if *last == account => {
                if !requests.contains(&request) {
                    requests.push(request);
                }
            }
            _ => digests.push((account, vec![request])),
        }
    }
    Ok(digests)
}

pub fn mark_digested(
    conn: &mut DbConnection,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(
        digest_items::table
            .filter(digest_items::account_id.eq(account.to_string()))
            .filter(digest_items::digested_at.is_null()),
    )
    .set(digest_items::digested_at.eq(naive(now)))
    .execute(conn)?;
    Ok(())
}

/// How many messages wait in the outbox or were given up, by channel and status.
pub fn backlog(conn: &mut DbConnection) -> StoreResult<Vec<(String, String, i64)>> {
    use diesel::dsl::count_star;
    Ok(outbox::table
        .filter(outbox::status.eq_any(["pending", "failed"]))
        .group_by((outbox::channel, outbox::status))
        .select((outbox::channel, outbox::status, count_star()))
        .order((outbox::channel, outbox::status))
        .load(conn)?)
}
