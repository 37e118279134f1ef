//! Steps on grants that several use cases share (payments, final reports, repayments).

use crate::clock::CityNow;
use crate::instruction::{Telling, act_on};
use simpa_domain::DomainError;
use simpa_domain::circuit::Command;
use simpa_domain::funding::GrantMoney;
use simpa_domain::ids::RequestId;
use simpa_domain::parties::Party;
use simpa_domain::policy::{self, Action, Actor};
use simpa_persistence::accounts::Signed;
use simpa_persistence::grants::{self, Grant};
use simpa_persistence::requests::{self, StoredRequest};
use simpa_persistence::{DbConnection, StoreResult, agreements};

/// A grant the actor may read, with its agreement and its request.
pub struct ReadableGrant {
    pub grant: Grant,
    pub agreement: Option<agreements::Agreement>,
    pub request: StoredRequest,
}

/// The grant of a request the actor may read (locked with `lock`), with its agreement and
/// request.
pub fn readable_grant(
    conn: &mut DbConnection,
    actor: &Actor,
    id: RequestId,
    lock: bool,
) -> StoreResult<ReadableGrant> {
    // Told like a grant one may not read: ids cannot be probed.
    let request = requests::get(conn, id)?.ok_or(DomainError::NotFound { what: "grant" })?;
    policy::authorize(actor, Action::ReadGrant(request.access()))?;
    let grant = if lock {
        grants::get_locked(conn, id)?
    } else {
        grants::get(conn, id)?
    };
    let grant = grant.ok_or(DomainError::NotFound { what: "grant" })?;
    let agreement = match grant.agreement {
        Some(a) => agreements::get(conn, a)?,
        None => None,
    };
    Ok(ReadableGrant {
        grant,
        agreement,
        request,
    })
}

/// Closes the request once its grant is complete: paid in full, its report accepted;
/// recorded for `parties`, telling no one.
pub fn close_when_complete(
    conn: &mut DbConnection,
    signed: &Signed,
    id: RequestId,
    parties: &[Party],
    money: &GrantMoney,
    now: CityNow,
) -> StoreResult<()> {
    if money.is_complete() {
        let command = Command::Close { repaid_cents: 0 };
        act_on(conn, signed, id, parties, command, now, Telling::NoOne)?;
    }
    Ok(())
}
