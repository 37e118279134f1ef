//! The parts people play in a request's circuit: who may act (`Party`, what the access policy
//! finds an actor to be) and who instructs (`Instructor`, what a request is dispatched to).

use crate::ids::{DirectionId, DistrictNumber};

/// The part someone plays in a request's circuit (see `circuit.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// A member of the association that files it.
    Applicant,
    /// The central subsidies bureau (admins act as the bureau).
    Bureau,
    Direction(DirectionId),
    District(DistrictNumber),
    /// The jury of a call for projects: never one of [`parties`]; the jury's use cases act
    /// as it once [`decide`] allowed them.
    Jury,
    /// The city's finance: pays grants.
    Finance,
}

/// Who instructs a request: a direction, or for the local circuit the district's town hall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Instructor {
    Direction(DirectionId),
    District(DistrictNumber),
}

impl Instructor {
    /// A stable text key: `direction:<uuid>` or `district:<n>`.
    pub fn key(self) -> String {
        match self {
            Instructor::Direction(d) => format!("direction:{d}"),
            Instructor::District(n) => format!("district:{n}"),
        }
    }

    pub fn parse_key(key: &str) -> Option<Instructor> {
        match key.split_once(':')? {
            ("direction", id) => id.parse().ok().map(Instructor::Direction),
            ("district", n) => n
                .parse()
                .ok()
                .map(|n| Instructor::District(DistrictNumber(n))),
            _ => None,
        }
    }

    /// The direction a request answers to: its lead instructor when that is a direction, or
    /// else its campaign's (before dispatch, or a town hall leading on the local circuit);
    /// none for a local campaign without one.
    pub fn answering_direction(
        lead: Option<Instructor>,
        campaign_owner: Option<DirectionId>,
    ) -> Option<DirectionId> {
        match lead {
            Some(Instructor::Direction(d)) => Some(d),
            _ => campaign_owner,
        }
    }

    pub fn is(self, party: Party) -> bool {
        match (self, party) {
            (Instructor::Direction(d), Party::Direction(p)) => d == p,
            (Instructor::District(d), Party::District(p)) => d == p,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_answers_to_its_lead_direction_or_else_to_its_campaigns() {
        let (lead, owner) = (
            DirectionId::from_uuid(uuid::Uuid::from_u128(1)),
            DirectionId::from_uuid(uuid::Uuid::from_u128(2)),
        );
        let town_hall = Instructor::District(DistrictNumber(11));
        let answering = Instructor::answering_direction;
        assert_eq!(
            answering(Some(Instructor::Direction(lead)), Some(owner)),
            Some(lead)
        );
        assert_eq!(answering(Some(town_hall), Some(owner)), Some(owner));
        assert_eq!(answering(None, Some(owner)), Some(owner));
        assert_eq!(answering(Some(town_hall), None), None);
    }
}
