//! What juries' use cases share: whose scores count.

use simpa_domain::ids::{AccountId, AssociationId};
use simpa_domain::scoring::Sheet;
use simpa_persistence::juries::{self, Member, Seat};
use simpa_persistence::{DbConnection, StoreResult};
use std::collections::HashSet;

/// Whose scores count, request by request: jurors still on the jury, neither recused nor
/// members of the applicant. The one place this rule lives.
pub struct Counting {
    active: HashSet<AccountId>,
    members_of: HashSet<(AccountId, AssociationId)>,
}

impl Counting {
    pub fn load(
        conn: &mut DbConnection,
        members: &[Member],
        associations: &[AssociationId],
    ) -> StoreResult<Counting> {
        let active: Vec<AccountId> = members
            .iter()
            .filter(|m| m.withdrawn_at.is_none())
            .map(|m| m.account)
            .collect();
        Ok(Counting {
            members_of: juries::memberships_among(conn, &active, associations)?
                .into_iter()
                .collect(),
            active: active.into_iter().collect(),
        })
    }

    /// Whether the seat's juror may not sit on (or be counted for) a request of `association`.
    pub fn excluded(&self, seat: &Seat, association: AssociationId) -> bool {
        seat.recused()
            || !self.active.contains(&seat.juror)
            || self.members_of.contains(&(seat.juror, association))
    }

    pub fn member_of(&self, juror: AccountId, association: AssociationId) -> bool {
        self.members_of.contains(&(juror, association))
    }
}

/// A sheet handed in and counted, with its weighted score.
pub fn counted_sheet(
    counting: &Counting,
    seat: &Seat,
    association: AssociationId,
) -> Option<Sheet> {
    if counting.excluded(seat, association) || seat.handed_in_at.is_none() {
        return None;
    }
    Some(Sheet {
        request: seat.request,
        juror: seat.juror,
        score: seat.score?,
    })
}
