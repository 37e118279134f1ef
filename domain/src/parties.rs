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

    pub fn is(self, party: Party) -> bool {
        match (self, party) {
            (Instructor::Direction(d), Party::Direction(p)) => d == p,
            (Instructor::District(d), Party::District(p)) => d == p,
            _ => false,
        }
    }
}
