//! What the daily reminders told already where an e-mail's key cannot say it: the steps past
//! their deadline each agent heard of (one digest lists several).

use crate::DbConnection;
use crate::connection::insert_batches;
use crate::convert::{naive, parse, utc};
use crate::error::StoreResult;
use crate::schema::late_steps_told;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use simpa_domain::ids::{AccountId, RequestId};

/// Of these requests, the deadlines passed that the agent was told of.
pub fn late_steps_told(
    conn: &mut DbConnection,
    account: AccountId,
    requests: &[RequestId],
) -> StoreResult<Vec<(RequestId, DateTime<Utc>)>> {
    let ids: Vec<String> = requests.iter().map(ToString::to_string).collect();
    let rows: Vec<(String, NaiveDateTime)> = late_steps_told::table
        .filter(late_steps_told::account_id.eq(account.to_string()))
        .filter(late_steps_told::request_id.eq_any(&ids))
        .select((late_steps_told::request_id, late_steps_told::due_at))
        .load(conn)?;
    rows.into_iter()
        .map(|(request, due_at)| Ok((parse("late_steps_told.request_id", &request)?, utc(due_at))))
        .collect()
}

#[derive(Insertable)]
#[diesel(table_name = late_steps_told)]
struct Told {
    account_id: String,
    request_id: String,
    due_at: NaiveDateTime,
    told_at: NaiveDateTime,
}

/// Records that the agent was told of these steps past their deadline.
pub fn record_late_steps_told(
    conn: &mut DbConnection,
    account: AccountId,
    steps: &[(RequestId, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<Told> = steps
        .iter()
        .map(|(request, due_at)| Told {
            account_id: account.to_string(),
            request_id: request.to_string(),
            due_at: naive(*due_at),
            told_at: naive(now),
        })
        .collect();
    insert_batches!(conn, late_steps_told::table, &rows);
    Ok(())
}
