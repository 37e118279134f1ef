//! Requests' histories (append-only, hash-chained) and the change feed API clients follow.

use crate::DbConnection;
use crate::connection::{execute_with_rows, insert_batches};
use crate::convert::{naive, parse, utc};
use crate::error::{StoreError, StoreResult};
use crate::locks;
use crate::schema::{request_changes, request_events};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;
use simpa_domain::circuit::{ActionKind, Visibility};
use simpa_domain::history::{Event, EventActor};
use simpa_domain::ids::RequestId;
use simpa_domain::indicators::Transition;
use simpa_domain::request::RequestState;

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = request_events, treat_none_as_default_value = false)]
pub(crate) struct Row {
    id: String,
    request_id: String,
    seq: i32,
    action: String,
    from_state: Option<String>,
    to_state: String,
    actor_account_id: Option<String>,
    actor_service_id: Option<String>,
    actor_name: String,
    occurred_at: NaiveDateTime,
    visibility: String,
    public_message: Option<String>,
    internal_note: Option<String>,
    details: String,
    prev_hash: String,
    hash: String,
}

pub(crate) fn from_row(row: Row) -> StoreResult<Event> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("request_events.{what} of {}", row.id));
    let state = |code: &str| RequestState::from_code(code).ok_or_else(|| corrupt("state"));
    Ok(Event {
        id: parse("request_events.id", &row.id)?,
        request: parse("request_events.request_id", &row.request_id)?,
        seq: row.seq,
        action: ActionKind::from_code(&row.action).ok_or_else(|| corrupt("action"))?,
        from: row.from_state.as_deref().map(state).transpose()?,
        to: state(&row.to_state)?,
        actor: EventActor {
            account: row
                .actor_account_id
                .as_deref()
                .map(|a| parse("request_events.actor_account_id", a))
                .transpose()?,
            service: row
                .actor_service_id
                .as_deref()
                .map(|s| parse("request_events.actor_service_id", s))
                .transpose()?,
            name: row.actor_name,
        },
        at: utc(row.occurred_at),
        visibility: Visibility::from_code(&row.visibility).ok_or_else(|| corrupt("visibility"))?,
        public_message: row.public_message,
        internal_note: row.internal_note,
        details: row.details,
        prev_hash: row.prev_hash,
        hash: row.hash,
    })
}

fn to_row(event: &Event) -> Row {
    Row {
        id: event.id.to_string(),
        request_id: event.request.to_string(),
        seq: event.seq,
        action: event.action.code().to_owned(),
        from_state: event.from.map(|s| s.code().to_owned()),
        to_state: event.to.code().to_owned(),
        actor_account_id: event.actor.account.map(|a| a.to_string()),
        actor_service_id: event.actor.service.map(|s| s.to_string()),
        actor_name: event.actor.name.clone(),
        occurred_at: naive(event.at),
        visibility: event.visibility.code().to_owned(),
        public_message: event.public_message.clone(),
        internal_note: event.internal_note.clone(),
        details: event.details.clone(),
        prev_hash: event.prev_hash.clone(),
        hash: event.hash.clone(),
    }
}

/// Appends events to their requests' histories.
pub fn append(conn: &mut DbConnection, events: &[Event]) -> StoreResult<()> {
    let rows: Vec<Row> = events.iter().map(to_row).collect();
    insert_batches!(conn, request_events::table, &rows);
    Ok(())
}

/// The whole history of a request, in order.
pub fn events(conn: &mut DbConnection, request: RequestId) -> StoreResult<Vec<Event>> {
    request_events::table
        .filter(request_events::request_id.eq(request.to_string()))
        .select(Row::as_select())
        .order(request_events::seq)
        .load(conn)?
        .into_iter()
        .map(from_row)
        .collect()
}

/// The moves of these requests' histories (each event's state and time, in order), by id:
/// what the indicators' spans are computed from.
pub(crate) fn transitions_of(
    conn: &mut DbConnection,
    ids: &[String],
) -> StoreResult<std::collections::HashMap<String, Vec<Transition>>> {
    let mut histories: std::collections::HashMap<String, Vec<Transition>> =
        std::collections::HashMap::new();
    for (id, to, at) in request_events::table
        .filter(request_events::request_id.eq_any(ids))
        .order((request_events::request_id, request_events::seq))
        .select((
            request_events::request_id,
            request_events::to_state,
            request_events::occurred_at,
        ))
        .load::<(String, String, NaiveDateTime)>(conn)?
    {
        let to = RequestState::from_code(&to)
            .ok_or_else(|| StoreError::Corrupt(format!("request_events.to_state {to}")))?;
        histories
            .entry(id)
            .or_default()
            .push(Transition { to, at: utc(at) });
    }
    Ok(histories)
}

/// What the next events of these requests need of their histories, in a few queries: the
/// events that moved each request (its transitions, for the SLA clock) and its last one (the
/// link of the chain), in order. `heads`: each request with the hash of its last event.
pub fn moves_and_heads(
    conn: &mut DbConnection,
    heads: &[(RequestId, &str)],
) -> StoreResult<std::collections::HashMap<RequestId, Vec<Event>>> {
    let mut histories: std::collections::HashMap<RequestId, Vec<Event>> =
        std::collections::HashMap::new();
    for chunk in heads.chunks(1000) {
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.to_string()).collect();
        let hashes: Vec<&str> = chunk.iter().map(|(_, hash)| *hash).collect();
        let moved = request_events::from_state
            .is_null()
            .or(request_events::from_state.ne(request_events::to_state.nullable()));
        let rows: Vec<Row> = request_events::table
            .filter(request_events::request_id.eq_any(&ids))
            .filter(moved.or(request_events::hash.eq_any(hashes)))
            .select(Row::as_select())
            .order((request_events::request_id, request_events::seq))
            .load(conn)?;
        for row in rows {
            let event = from_row(row)?;
            histories.entry(event.request).or_default().push(event);
        }
    }
    Ok(histories)
}

/// Records changes, in order: each request changed at that time, for every audience that saw
/// it before or after. The feed's numbers are taken under a lock held until commit: they
/// commit in order, so a client resuming after number N never misses a change numbered below N.
pub(crate) fn record_changes(
    conn: &mut DbConnection,
    changes: &[FeedChange<'_>],
) -> StoreResult<()> {
    if changes.iter().all(|c| c.audiences.is_empty()) {
        return Ok(());
    }
    use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
    locks::lock_names(conn, &["request_changes"])?;
    // The changes numbered after the last one, a few hundred rows a statement (a change's
    // rows, one per audience, stay in one statement and share its number).
    // A row: the change's place in its statement, the audience, the request, the time, and
    // whether the audience still follows the request after the change.
    type Row<'a> = (i64, &'a str, String, NaiveDateTime, bool);
    let (mut batches, mut batch): (Vec<Vec<Row>>, Vec<Row>) = (vec![], vec![]);
    for change in changes.iter().filter(|c| !c.audiences.is_empty()) {
        let offset = batch.last().map_or(1, |(o, ..)| o + 1);
        for audience in change.audiences {
            let kept = change.kept.contains(audience);
            batch.push((
                offset,
                audience,
                change.request.to_string(),
                naive(change.at),
                kept,
            ));
        }
        if batch.len() >= 500 {
            batches.push(std::mem::take(&mut batch));
        }
    }
    batches.push(batch);
    for batch in batches.iter().filter(|b| !b.is_empty()) {
        execute_with_rows!(
            conn,
            5,
            batch,
            |values| format!(
                "WITH v(o, audience, request_id, changed_at, kept) AS (VALUES {values}) \
                 INSERT INTO request_changes (seq, audience, request_id, changed_at, kept) \
                 SELECT (SELECT COALESCE(MAX(seq), 0) FROM request_changes) + v.o, \
                 v.audience, v.request_id, v.changed_at, v.kept FROM v"
            ),
            |query, (offset, audience, request, at, kept)| query
                .bind::<BigInt, _>(*offset)
                .bind::<Text, _>(*audience)
                .bind::<Text, _>(request.as_str())
                .bind::<Timestamp, _>(*at)
                .bind::<Bool, _>(*kept)
        )?;
    }
    Ok(())
}

/// A change for the feed: who sees it (`audiences`), and who still follows the request after
/// it (`kept`: a direction relieved of it by a dispatch sees the change, and no more).
pub(crate) struct FeedChange<'a> {
    pub request: RequestId,
    pub audiences: &'a [String],
    pub kept: &'a [String],
    pub at: DateTime<Utc>,
}

/// A change seen in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    pub request: RequestId,
    pub changed_at: DateTime<Utc>,
    /// Whether the reader still followed the request after this change.
    pub followed: bool,
}

/// The changes after `since` seen by any of `audiences`, in order.
pub fn changes(
    conn: &mut DbConnection,
    audiences: &[String],
    since: i64,
    limit: usize,
) -> StoreResult<Vec<Change>> {
    let rows: Vec<(i64, String, NaiveDateTime)> = request_changes::table
        .filter(request_changes::audience.eq_any(audiences))
        .filter(request_changes::seq.gt(since))
        .select((
            request_changes::seq,
            request_changes::request_id,
            request_changes::changed_at,
        ))
        .distinct()
        .order(request_changes::seq)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Ok(vec![]);
    };
    let followed: Vec<i64> = request_changes::table
        .filter(request_changes::audience.eq_any(audiences))
        .filter(request_changes::seq.between(first.0, last.0))
        .filter(request_changes::kept.eq(true))
        .select(request_changes::seq)
        .distinct()
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, request, at)| {
            Ok(Change {
                seq,
                request: parse("request_changes.request_id", &request)?,
                changed_at: utc(at),
                followed: followed.contains(&seq),
            })
        })
        .collect()
}

/// The last change's number in the feed (0 when there is none).
pub fn last_change(conn: &mut DbConnection) -> StoreResult<i64> {
    let last: Option<i64> = request_changes::table
        .select(max(request_changes::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0))
}
