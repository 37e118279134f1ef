//! The roles people hold in Simpa (design.md, "Who uses it").

use crate::coded_enum;
use crate::ids::{DirectionId, DistrictNumber};
use crate::{FieldError, Violation};

coded_enum! {
    /// A person's role within an association.
    pub enum MemberRole {
        President = ("president", "Président·e"),
        Treasurer = ("treasurer", "Trésorier·ère"),
        Manager = ("manager", "Gestionnaire"),
    }
}

coded_enum! {
    /// The kinds of roles the city's staff hold.
    pub enum StaffRoleKind {
        Admin = ("admin", "Administration de Simpa"),
        Bureau = ("bureau", "Bureau des subventions"),
        Instructor = ("instructor", "Direction instructrice"),
        District = ("district", "Mairie d'arrondissement"),
        Finance = ("finance", "Finances"),
        /// Sits on the juries of calls for projects; which ones is data of each jury.
        Juror = ("juror", "Juré·e"),
    }
}

/// A staff role with its scope: an instructor acts for one direction, a district town hall
/// for one district; the others act city-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaffRole {
    Admin,
    Bureau,
    Finance,
    Juror,
    Instructor(DirectionId),
    District(DistrictNumber),
}

impl StaffRole {
    pub fn kind(self) -> StaffRoleKind {
        match self {
            StaffRole::Admin => StaffRoleKind::Admin,
            StaffRole::Bureau => StaffRoleKind::Bureau,
            StaffRole::Finance => StaffRoleKind::Finance,
            StaffRole::Juror => StaffRoleKind::Juror,
            StaffRole::Instructor(_) => StaffRoleKind::Instructor,
            StaffRole::District(_) => StaffRoleKind::District,
        }
    }

    pub fn direction(self) -> Option<DirectionId> {
        match self {
            StaffRole::Instructor(direction) => Some(direction),
            _ => None,
        }
    }

    pub fn district(self) -> Option<DistrictNumber> {
        match self {
            StaffRole::District(district) => Some(district),
            _ => None,
        }
    }

    /// Assembles a role from its kind and scope: exactly the scope the kind needs, no other.
    pub fn from_parts(
        kind: StaffRoleKind,
        direction: Option<DirectionId>,
        district: Option<DistrictNumber>,
    ) -> Result<StaffRole, Vec<FieldError>> {
        let needs = |field: &str, what: &str| {
            Violation::new(
                "role.scope_required",
                format!("Le rôle « {} » doit préciser {what}.", kind.label()),
            )
            .at(field)
        };
        let forbids = |field: &str| {
            Violation::new(
                "role.scope_not_allowed",
                format!(
                    "Le rôle « {} » ne se limite pas à ce périmètre.",
                    kind.label()
                ),
            )
            .at(field)
        };
        let mut errors = Vec::new();
        if kind != StaffRoleKind::Instructor && direction.is_some() {
            errors.push(forbids("direction_id"));
        }
        if kind != StaffRoleKind::District && district.is_some() {
            errors.push(forbids("district_number"));
        }
        let role = match (kind, direction, district) {
            (StaffRoleKind::Admin, ..) => Some(StaffRole::Admin),
            (StaffRoleKind::Bureau, ..) => Some(StaffRole::Bureau),
            (StaffRoleKind::Finance, ..) => Some(StaffRole::Finance),
            (StaffRoleKind::Juror, ..) => Some(StaffRole::Juror),
            (StaffRoleKind::Instructor, Some(direction), _) => {
                Some(StaffRole::Instructor(direction))
            }
            (StaffRoleKind::District, _, Some(district)) => Some(StaffRole::District(district)),
            (StaffRoleKind::Instructor, None, _) => {
                errors.push(needs("direction_id", "la direction"));
                None
            }
            (StaffRoleKind::District, _, None) => {
                errors.push(needs("district_number", "l'arrondissement"));
                None
            }
        };
        match role {
            Some(role) if errors.is_empty() => Ok(role),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn codes_round_trip() {
        for role in MemberRole::ALL {
            assert_eq!(MemberRole::from_code(role.code()), Some(*role));
        }
        for kind in StaffRoleKind::ALL {
            assert_eq!(StaffRoleKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(MemberRole::from_code("owner"), None);
    }

    #[test]
    fn scopes_are_exactly_what_the_kind_needs() {
        let direction = DirectionId::from_uuid(Uuid::nil());
        assert_eq!(
            StaffRole::from_parts(StaffRoleKind::Instructor, Some(direction), None),
            Ok(StaffRole::Instructor(direction))
        );
        assert_eq!(
            StaffRole::from_parts(StaffRoleKind::District, None, Some(DistrictNumber(11))),
            Ok(StaffRole::District(DistrictNumber(11)))
        );
        assert_eq!(
            StaffRole::from_parts(StaffRoleKind::Bureau, None, None),
            Ok(StaffRole::Bureau)
        );

        let missing = StaffRole::from_parts(StaffRoleKind::Instructor, None, None).unwrap_err();
        assert_eq!(
            (missing[0].field.as_str(), missing[0].code),
            ("direction_id", "role.scope_required")
        );
        let extra = StaffRole::from_parts(
            StaffRoleKind::Admin,
            Some(direction),
            Some(DistrictNumber(3)),
        )
        .unwrap_err();
        assert_eq!(
            extra.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["direction_id", "district_number"]
        );
        let wrong =
            StaffRole::from_parts(StaffRoleKind::District, Some(direction), None).unwrap_err();
        assert_eq!(wrong.len(), 2);
    }
}
