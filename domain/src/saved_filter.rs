//! A filter of an agents' list, saved under a name by an agent and maybe shared with one of
//! their services: the bureau, a direction, a town hall.

use crate::ids::{DirectionId, DistrictNumber};
use crate::policy::WorkScope;
use crate::text;
use crate::{Violation, coded_enum};

coded_enum! {
    /// The lists whose filters are saved.
    pub enum FilteredList {
        Requests = ("demandes", "Demandes"),
        Reports = ("comptes-rendus", "Comptes rendus à examiner"),
        Associations = ("associations", "Associations"),
        Documents = ("pieces", "Pièces à vérifier"),
        Payments = ("versements", "Versements à faire"),
    }
}

/// A service of the city, as a filter is shared with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Bureau,
    Direction(DirectionId),
    TownHall(DistrictNumber),
}

impl Service {
    /// A stable text key: `bureau`, `direction:<uuid>` or `district:<n>`.
    pub fn key(self) -> String {
        match self {
            Service::Bureau => "bureau".to_owned(),
            Service::Direction(d) => format!("direction:{d}"),
            Service::TownHall(n) => format!("district:{n}"),
        }
    }

    pub fn parse_key(key: &str) -> Option<Service> {
        match key.split_once(':') {
            None if key == "bureau" => Some(Service::Bureau),
            Some(("direction", id)) => id.parse().ok().map(Service::Direction),
            Some(("district", n)) => n.parse().ok().map(|n| Service::TownHall(DistrictNumber(n))),
            _ => None,
        }
    }
}

/// The services an agent works in.
pub fn services(work: &WorkScope) -> Vec<Service> {
    let mut services: Vec<Service> = Vec::new();
    if work.bureau {
        services.push(Service::Bureau);
    }
    services.extend(work.directions.iter().map(|d| Service::Direction(*d)));
    services.extend(work.districts.iter().map(|n| Service::TownHall(*n)));
    services
}

/// A filter's name: one line, up to 80 characters.
pub fn parse_name(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 80)
}

/// The longest filter kept, as the address's query says it.
pub const MAX_QUERY: usize = 2_000;

/// A filter as its list's address says it (`etat=submitted&en_retard=oui`): one line, not
/// empty, up to [`MAX_QUERY`] characters.
pub fn parse_query(raw: &str) -> Result<String, Violation> {
    let query = raw.trim().trim_start_matches('?');
    if query.is_empty() {
        return Err(Violation::new(
            "saved_filter.empty",
            "Choisissez au moins un critère avant d'enregistrer le filtre.",
        ));
    }
    text::line(query, 1, MAX_QUERY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_is_found_again_from_its_key() {
        let direction = Service::Direction(DirectionId::from_uuid(uuid::Uuid::nil()));
        for service in [
            Service::Bureau,
            direction,
            Service::TownHall(DistrictNumber(11)),
        ] {
            assert_eq!(Service::parse_key(&service.key()), Some(service));
        }
        for wrong in ["", "bureau:1", "district:x", "direction:1", "mairie:11"] {
            assert_eq!(Service::parse_key(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn a_filter_says_at_least_one_criterion() {
        assert_eq!(
            parse_query("?etat=submitted").as_deref(),
            Ok("etat=submitted")
        );
        assert!(parse_query(" ? ").is_err());
        assert!(parse_query(&"a".repeat(MAX_QUERY + 1)).is_err());
        assert!(parse_name("").is_err());
        assert!(parse_name("En retard\nà relancer").is_err());
    }
}
