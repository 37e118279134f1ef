//! Who follows a request's changes in the feed: the whole city (the bureau and admins), the
//! directions that instruct it and, on the local circuit, its town hall.

use crate::circuit::RequestFacts;
use crate::ids::DirectionId;
use crate::parties::Instructor;
use crate::policy::RequestScope;

/// The feed's audience of the whole city (the bureau and admins).
const CITY: &str = "city";

/// Who sees a request in the feed: the whole city, its instructors and, on the local circuit,
/// its town hall.
pub fn audiences(facts: &RequestFacts) -> Vec<String> {
    let mut audiences = vec![CITY.to_owned()];
    audiences.extend(facts.instructors.iter().map(|a| a.instructor.key()));
    audiences.extend(facts.local_district.map(|d| Instructor::District(d).key()));
    audiences.sort();
    audiences.dedup();
    audiences
}

/// The audience of a direction's systems (its webhooks), or of the whole city's without one.
pub fn audience_of(direction: Option<DirectionId>) -> String {
    direction.map_or_else(|| CITY.to_owned(), |d| Instructor::Direction(d).key())
}

/// The audiences a caller's scope follows.
pub fn audiences_of(scope: &RequestScope) -> Vec<String> {
    let mut audiences: Vec<String> = scope.instructors.iter().map(|i| i.key()).collect();
    audiences.extend(
        scope
            .local_districts
            .iter()
            .map(|d| Instructor::District(*d).key()),
    );
    if scope.everything {
        audiences.push(CITY.to_owned());
    }
    audiences.sort();
    audiences.dedup();
    audiences
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::CircuitKind;
    use crate::circuit::Assignment;
    use crate::ids::{DirectionId, DistrictNumber};

    #[test]
    fn a_request_is_followed_by_the_city_its_instructors_and_its_town_hall() {
        let dac = DirectionId::from_uuid(uuid::Uuid::from_u128(7));
        let mut facts = RequestFacts::new_draft(CircuitKind::Local, Some(DistrictNumber(11)));
        assert_eq!(audiences(&facts), vec!["city", "district:11"]);
        facts.instructors.push(Assignment {
            instructor: Instructor::Direction(dac),
            lead: true,
            opinion: None,
        });
        assert_eq!(
            audiences(&facts),
            vec![
                "city".to_owned(),
                format!("direction:{dac}"),
                "district:11".to_owned()
            ]
        );
        let scope = RequestScope {
            everything: false,
            associations: vec![],
            instructors: vec![Instructor::Direction(dac)],
            local_districts: vec![DistrictNumber(11)],
        };
        assert_eq!(
            audiences_of(&scope),
            vec![format!("direction:{dac}"), "district:11".to_owned()]
        );
    }
}
