//! Associations: the identity profile an association keeps once for all its requests, and the
//! rules on its members.

use crate::coded_enum;
use crate::contact::{EmailAddress, PhoneNumber, WebsiteUrl};
use crate::ids::{AssociationId, DistrictNumber};
use crate::postal_code::PostalCode;
use crate::rna::Rna;
use crate::roles::MemberRole;
use crate::siret::Siret;
use crate::text;
use crate::{DomainError, FieldError, Violation};
use chrono::{DateTime, NaiveDate, Utc};

/// An association chooses at most three activity sectors (the Paris directory shows three).
pub const MAX_SECTORS: usize = 3;

coded_enum! {
    /// Whom an association's actions are for, as the public directory shows and filters them
    /// (the Paris open data's "public visé").
    pub enum TargetPublic {
        Everyone = ("tout_public", "Tout public"),
        Children = ("enfants", "Enfants"),
        Youth = ("jeunes", "Jeunes"),
        Students = ("etudiants", "Étudiants"),
        Families = ("familles", "Familles"),
        Women = ("femmes", "Femmes"),
        Seniors = ("seniors", "Seniors"),
        Disabled = ("personnes_handicapees", "Personnes en situation de handicap"),
        Precarious = ("personnes_precaires", "Personnes en situation de précarité"),
        Migrants = ("personnes_migrantes", "Personnes migrantes"),
        Professionals = ("professionnels", "Professionnels"),
    }
}

/// At most this many target publics.
pub const MAX_TARGET_PUBLICS: usize = 5;

/// Which of its contacts the association shows in the public directory (none unless it says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublicContact {
    pub email: bool,
    pub phone: bool,
    pub website: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub street: String,
    pub complement: Option<String>,
    pub postal_code: PostalCode,
    pub city: String,
}

impl Address {
    /// The address on one line, as a page shows it: "12 rue de la Roquette, 75011 Paris".
    pub fn on_one_line(&self) -> String {
        let complement = self
            .complement
            .as_ref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        format!(
            "{}{complement}, {} {}",
            self.street, self.postal_code, self.city
        )
    }
}

/// The person who legally represents the association (CERFA 12156, section 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalRepresentative {
    pub name: String,
    pub function: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
}

/// Everything an association declares about itself. Valid by construction: build it from the
/// parsers of this module and of the identifier modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationProfile {
    pub name: String,
    pub acronym: Option<String>,
    pub rna: Option<Rna>,
    pub siret: Option<Siret>,
    /// Objet social, as in the statutes.
    pub object: String,
    /// Sector codes from the vocabulary (their existence is checked against the data).
    pub sectors: Vec<String>,
    pub address: Address,
    pub creation_date: Option<NaiveDate>,
    pub website: Option<WebsiteUrl>,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    /// Whether the association agrees to appear in the public directory. Off until it says so.
    pub directory_consent: bool,
    pub legal_representative: Option<LegalRepresentative>,
    pub target_publics: Vec<TargetPublic>,
    /// The districts it acts in; none: all of the city.
    pub action_districts: Vec<DistrictNumber>,
    pub public_contact: PublicContact,
}

/// An association as stored: its profile, the district derived from its head office, and the
/// version that guards concurrent edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    pub id: AssociationId,
    pub profile: AssociationProfile,
    pub district: Option<DistrictNumber>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the association last confirmed its profile (creating or editing it confirms it).
    pub confirmed_at: DateTime<Utc>,
}

pub fn parse_name(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 200)
}

pub fn parse_acronym(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 30)
}

pub fn parse_object(raw: &str) -> Result<String, Violation> {
    text::paragraphs(raw, 1, 2000)
}

/// Street, city, names and functions: short free text.
pub fn parse_line(raw: &str) -> Result<String, Violation> {
    text::line(raw, 1, 200)
}

/// A creation date cannot be in the future.
pub fn parse_creation_date(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Violation> {
    if date > today {
        Err(Violation::new(
            "creation_date.in_future",
            format!("La date de création ({date}) ne peut pas être dans le futur."),
        ))
    } else {
        Ok(date)
    }
}

/// At most [`MAX_TARGET_PUBLICS`] publics, each once. Errors name `target_publics`.
pub fn check_target_publics(publics: &[TargetPublic]) -> Result<(), FieldError> {
    let mut seen = publics.to_vec();
    seen.sort_by_key(|p| p.code());
    seen.dedup();
    if publics.len() > MAX_TARGET_PUBLICS || seen.len() != publics.len() {
        return Err(Violation::new(
            "target_publics.invalid",
            format!("Au plus {MAX_TARGET_PUBLICS} publics visés, chacun une fois."),
        )
        .at("target_publics"));
    }
    Ok(())
}

/// Districts of the city (1 to 20), each once. Errors name `action_districts`.
pub fn parse_action_districts(numbers: &[i32]) -> Result<Vec<DistrictNumber>, FieldError> {
    let mut sorted = numbers.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != numbers.len() || numbers.iter().any(|n| !DistrictNumber::PARIS.contains(n)) {
        return Err(Violation::new(
            "action_districts.invalid",
            "Les arrondissements d'action vont de 1 à 20, chacun une fois (aucun : tout Paris).",
        )
        .at("action_districts"));
    }
    Ok(sorted.into_iter().map(DistrictNumber).collect())
}

/// At most [`MAX_SECTORS`] sectors, each named once. Errors name `sectors` or `sectors[i]`.
pub fn parse_sectors(codes: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if codes.len() > MAX_SECTORS {
        errors.push(
            Violation::new(
                "sectors.too_many",
                format!(
                    "Choisissez au plus {MAX_SECTORS} secteurs d'activité ({} donnés).",
                    codes.len()
                ),
            )
            .at("sectors"),
        );
    }
    let mut kept: Vec<String> = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let code = code.trim().to_owned();
        if kept.contains(&code) {
            errors.push(
                Violation::new(
                    "sectors.duplicate",
                    format!("Le secteur « {code} » est donné deux fois."),
                )
                .at(format!("sectors[{i}]")),
            );
        } else {
            kept.push(code);
        }
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

/// The error for sector codes that are not in the vocabulary, naming each one's position
/// (whether there are too many of them or not: both are said at once).
pub fn unknown_sectors(codes: &[String], known: &[String]) -> Vec<FieldError> {
    codes
        .iter()
        .map(|code| code.trim())
        .enumerate()
        .filter(|(_, code)| !known.iter().any(|k| k == code))
        .map(|(i, code)| {
            Violation::new(
                "sectors.unknown",
                format!(
                    "« {code} » n'est pas un secteur d'activité connu : choisissez-en un dans la liste des secteurs."
                ),
            )
            .at(format!("sectors[{i}]"))
        })
        .collect()
}

/// An edit made on version `expected` applies only if that is still the current version.
pub fn check_version(current: i64, expected: i64) -> Result<(), DomainError> {
    if current == expected {
        Ok(())
    } else {
        Err(DomainError::StaleVersion { current })
    }
}

/// An association always keeps at least one president, who manages its members: the last one
/// can neither leave nor take another role. `new_role` is `None` for a removal.
pub fn ensure_keeps_a_president(
    presidents: usize,
    current: MemberRole,
    new_role: Option<MemberRole>,
) -> Result<(), DomainError> {
    let loses_a_president =
        current == MemberRole::President && new_role != Some(MemberRole::President);
    if loses_a_president && presidents <= 1 {
        Err(DomainError::conflict(
            "member.last_president",
            None,
            "L'association doit garder au moins un·e président·e : nommez-en un·e autre avant ce changement.",
        ))
    } else {
        Ok(())
    }
}

/// How long an invitation to join an association can be accepted.
pub const INVITATION_VALIDITY_DAYS: i64 = 30;

/// What deciding the acceptance of an invitation needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationState {
    /// The invited address, as compared (case-insensitive).
    pub email_key: String,
    pub expires_at: DateTime<Utc>,
    /// Already accepted or cancelled: a token works once.
    pub closed: bool,
}

/// A person may accept an invitation addressed to their own e-mail, once, before it expires,
/// if they are not a member already.
pub fn check_acceptance(
    invitation: &InvitationState,
    account_email_key: &str,
    already_member: bool,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if invitation.closed {
        Err(DomainError::NotFound { what: "invitation" })
    } else if invitation.expires_at <= now {
        Err(DomainError::conflict(
            "invitation.expired",
            None,
            "Cette invitation a expiré : demandez au ou à la président·e de vous inviter à nouveau.",
        ))
    } else if invitation.email_key != account_email_key {
        Err(DomainError::conflict(
            "invitation.other_recipient",
            None,
            "Cette invitation est adressée à une autre adresse e-mail : connectez-vous avec le compte de cette adresse.",
        ))
    } else if already_member {
        Err(DomainError::conflict(
            "member.already_member",
            None,
            "Vous êtes déjà membre de cette association.",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sectors_at_most_three_and_no_duplicates() {
        assert_eq!(
            parse_sectors(&strings(&["culture_arts", " sport "])).unwrap(),
            strings(&["culture_arts", "sport"])
        );
        let too_many = parse_sectors(&strings(&["a", "b", "c", "d"])).unwrap_err();
        assert_eq!(
            (too_many[0].field.as_str(), too_many[0].code),
            ("sectors", "sectors.too_many")
        );
        let duplicate = parse_sectors(&strings(&["sport", "sport"])).unwrap_err();
        assert_eq!(
            (duplicate[0].field.as_str(), duplicate[0].code),
            ("sectors[1]", "sectors.duplicate")
        );
        assert!(parse_sectors(&[]).unwrap().is_empty());
    }

    #[test]
    fn unknown_sectors_are_named_by_position() {
        let errors = unknown_sectors(
            &strings(&["sport", "cooking"]),
            &strings(&["sport", "sante"]),
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].field.as_str(), errors[0].code),
            ("sectors[1]", "sectors.unknown")
        );
    }

    #[test]
    fn creation_date_not_in_the_future() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert!(parse_creation_date(today, today).is_ok());
        assert_eq!(
            parse_creation_date(today.succ_opt().unwrap(), today)
                .unwrap_err()
                .code,
            "creation_date.in_future"
        );
    }

    #[test]
    fn versions() {
        assert_eq!(check_version(3, 3), Ok(()));
        assert_eq!(
            check_version(4, 3),
            Err(DomainError::StaleVersion { current: 4 })
        );
    }

    #[test]
    fn invitations_are_accepted_once_by_their_recipient_before_they_expire() {
        use chrono::TimeZone;
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let open = InvitationState {
            email_key: "carol@exemple.org".into(),
            expires_at: now + chrono::Duration::days(1),
            closed: false,
        };
        assert_eq!(
            check_acceptance(&open, "carol@exemple.org", false, now),
            Ok(())
        );
        let code = |r: Result<(), DomainError>| match r {
            Err(DomainError::Conflict { code, .. }) => code,
            Err(DomainError::NotFound { what }) => what,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(check_acceptance(
                &InvitationState {
                    closed: true,
                    ..open.clone()
                },
                "carol@exemple.org",
                false,
                now
            )),
            "invitation"
        );
        assert_eq!(
            code(check_acceptance(
                &InvitationState {
                    expires_at: now,
                    ..open.clone()
                },
                "carol@exemple.org",
                false,
                now
            )),
            "invitation.expired"
        );
        assert_eq!(
            code(check_acceptance(&open, "mallory@exemple.org", false, now)),
            "invitation.other_recipient"
        );
        assert_eq!(
            code(check_acceptance(&open, "carol@exemple.org", true, now)),
            "member.already_member"
        );
    }

    #[test]
    fn the_last_president_stays() {
        use MemberRole::*;
        assert!(ensure_keeps_a_president(1, President, None).is_err());
        assert!(ensure_keeps_a_president(1, President, Some(Treasurer)).is_err());
        assert!(ensure_keeps_a_president(1, President, Some(President)).is_ok());
        assert!(ensure_keeps_a_president(2, President, None).is_ok());
        assert!(ensure_keeps_a_president(1, Treasurer, None).is_ok());
    }
}
