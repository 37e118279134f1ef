//! Associations: someone creates one and becomes its president; its members and the city's
//! staff read its profile; its members keep it up to date; staff list and search them.

use crate::access::{person, require};
use crate::clock::CityNow;
use chrono::NaiveDate;
use simpa_domain::association::{
    self as rules, Address, Association, AssociationProfile, LegalRepresentative, PublicContact,
    TargetPublic, check_version,
};
use simpa_domain::audit::{AuditAction, AuditActor};
use simpa_domain::contact::{EmailAddress, PhoneNumber, WebsiteUrl};
use simpa_domain::french::ordinal;
use simpa_domain::ids::AssociationId;
use simpa_domain::policy::{Action, Actor, Subject};
use simpa_domain::postal_code::PostalCode;
use simpa_domain::rna::Rna;
use simpa_domain::roles::MemberRole;
use simpa_domain::siret::Siret;
use simpa_domain::{Checks, DomainError};
use simpa_persistence::associations::{AssociationFilter, Identifier};
use simpa_persistence::audit::{self, NewAuditEvent};
use simpa_persistence::{
    DbConnection, Keyset, Page, StoreResult, associations, members, reference,
};
use uuid::Uuid;

/// A head office's address as typed.
#[derive(Debug, Clone, Default)]
pub struct AddressInput {
    pub street: String,
    pub complement: Option<String>,
    pub postal_code: String,
    pub city: String,
}

/// The legal representative as typed.
#[derive(Debug, Clone, Default)]
pub struct RepresentativeInput {
    pub name: String,
    pub function: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A profile as a front door received it, as typed: [`ProfileInput::into_profile`] checks it.
#[derive(Debug, Clone, Default)]
pub struct ProfileInput {
    pub name: String,
    pub acronym: Option<String>,
    pub rna: Option<String>,
    pub siret: Option<String>,
    pub object: String,
    pub sectors: Vec<String>,
    pub address: AddressInput,
    pub creation_date: Option<NaiveDate>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub directory_consent: bool,
    pub legal_representative: Option<RepresentativeInput>,
    pub target_publics: Vec<TargetPublic>,
    pub action_districts: Vec<i32>,
    pub public_contact: PublicContact,
}

impl ProfileInput {
    /// Checks every field at once against the rules, and the sectors against the vocabulary.
    pub fn into_profile(
        self,
        known_sectors: &[String],
        today: NaiveDate,
    ) -> Result<AssociationProfile, DomainError> {
        let mut c = Checks::default();
        let name = c.check("name", rules::parse_name(&self.name));
        let acronym = c.optional("acronym", self.acronym.as_deref(), rules::parse_acronym);
        let rna = c.optional("rna", self.rna.as_deref(), Rna::parse);
        let siret = c.optional("siret", self.siret.as_deref(), Siret::parse);
        let object = c.check("object", rules::parse_object(&self.object));
        c.extend(rules::unknown_sectors(&self.sectors, known_sectors));
        let sectors = rules::parse_sectors(&self.sectors)
            .map_err(|errors| c.extend(errors))
            .ok();
        let street = c.check("address.street", rules::parse_line(&self.address.street));
        let complement = c.optional(
            "address.complement",
            self.address.complement.as_deref(),
            rules::parse_line,
        );
        let postal_code = c.check(
            "address.postal_code",
            PostalCode::parse(&self.address.postal_code),
        );
        let city = c.check("address.city", rules::parse_line(&self.address.city));
        let creation_date = c.check(
            "creation_date",
            self.creation_date
                .map(|d| rules::parse_creation_date(d, today))
                .transpose(),
        );
        let website = c.optional("website", self.website.as_deref(), WebsiteUrl::parse);
        let email = c.optional("email", self.email.as_deref(), EmailAddress::parse);
        let phone = c.optional("phone", self.phone.as_deref(), PhoneNumber::parse);
        let target_publics = self.target_publics;
        if let Err(e) = rules::check_target_publics(&target_publics) {
            c.push(e);
        }
        let action_districts = rules::parse_action_districts(&self.action_districts)
            .map_err(|e| c.push(e))
            .ok();
        let representative = match self.legal_representative {
            None => Some(None),
            Some(r) => {
                let name = c.check("legal_representative.name", rules::parse_line(&r.name));
                let function = c.optional(
                    "legal_representative.function",
                    r.function.as_deref(),
                    rules::parse_line,
                );
                let email = c.optional(
                    "legal_representative.email",
                    r.email.as_deref(),
                    EmailAddress::parse,
                );
                let phone = c.optional(
                    "legal_representative.phone",
                    r.phone.as_deref(),
                    PhoneNumber::parse,
                );
                match (name, function, email, phone) {
                    (Some(name), Some(function), Some(email), Some(phone)) => {
                        Some(Some(LegalRepresentative {
                            name,
                            function,
                            email,
                            phone,
                        }))
                    }
                    _ => None,
                }
            }
        };
        let (
            Some(name),
            Some(acronym),
            Some(rna),
            Some(siret),
            Some(object),
            Some(sectors),
            Some(street),
            Some(complement),
            Some(postal_code),
            Some(city),
            Some(creation_date),
            Some(website),
            Some(email),
            Some(phone),
            Some(legal_representative),
        ) = (
            name,
            acronym,
            rna,
            siret,
            object,
            sectors,
            street,
            complement,
            postal_code,
            city,
            creation_date,
            website,
            email,
            phone,
            representative,
        )
        else {
            return Err(c.into_error());
        };
        c.finish()?;
        Ok(AssociationProfile {
            name,
            acronym,
            rna,
            siret,
            object,
            sectors,
            address: Address {
                street,
                complement,
                postal_code,
                city,
            },
            creation_date,
            website,
            email,
            phone,
            directory_consent: self.directory_consent,
            legal_representative,
            target_publics,
            action_districts: action_districts.unwrap_or_default(),
            public_contact: self.public_contact,
        })
    }
}

/// A profile as it would be typed again: what a form shows to be changed, and what it does
/// not ask is sent back as it was.
impl From<AssociationProfile> for ProfileInput {
    fn from(p: AssociationProfile) -> Self {
        ProfileInput {
            name: p.name,
            acronym: p.acronym,
            rna: p.rna.map(|r| r.to_string()),
            siret: p.siret.map(|s| s.to_string()),
            object: p.object,
            sectors: p.sectors,
            address: AddressInput {
                street: p.address.street,
                complement: p.address.complement,
                postal_code: p.address.postal_code.to_string(),
                city: p.address.city,
            },
            creation_date: p.creation_date,
            website: p.website.map(|w| w.as_str().to_owned()),
            email: p.email.map(|e| e.to_string()),
            phone: p.phone.map(|n| n.as_str().to_owned()),
            directory_consent: p.directory_consent,
            legal_representative: p.legal_representative.map(|r| RepresentativeInput {
                name: r.name,
                function: r.function,
                email: r.email.map(|e| e.to_string()),
                phone: r.phone.map(|n| n.as_str().to_owned()),
            }),
            target_publics: p.target_publics,
            action_districts: p.action_districts.iter().map(|d| d.0).collect(),
            public_contact: p.public_contact,
        }
    }
}

/// What one identifier of a profile tells as it is typed, before the form is sent: the rule it
/// breaks (in the words that say how to fix it), or what it means (a Paris postal code's
/// district). The rules are the profile's own ([`ProfileInput::into_profile`]); whether an
/// identifier is another association's is said once the form is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedIdentifier {
    pub refused: Option<String>,
    pub noted: Option<String>,
}

/// Checks `value` as the profile's field `field` (`rna`, `siret`, `address_postal_code`);
/// `None` for a field this does not check. Nobody is refused: what is checked is public.
pub fn check_typed(
    conn: &mut DbConnection,
    field: &str,
    value: &str,
) -> StoreResult<Option<TypedIdentifier>> {
    let value = value.trim();
    let refused = |v: simpa_domain::Violation| TypedIdentifier {
        refused: Some(v.message),
        noted: None,
    };
    Ok(Some(match field {
        _ if value.is_empty() => TypedIdentifier::default(),
        "rna" => Rna::parse(value).err().map(refused).unwrap_or_default(),
        "siret" => Siret::parse(value).err().map(refused).unwrap_or_default(),
        "address_postal_code" => match PostalCode::parse(value) {
            Err(violation) => refused(violation),
            Ok(code) => TypedIdentifier {
                refused: None,
                noted: reference::district_of_postal_code(conn, code.as_str())?
                    .map(|d| format!("{} arrondissement de Paris", ordinal(d))),
            },
        },
        _ => return Ok(None),
    }))
}

/// RNA and SIRET each belong to one association: a duplicate is refused naming the field.
fn ensure_identifiers_free(
    conn: &mut DbConnection,
    profile: &AssociationProfile,
    except: Option<AssociationId>,
) -> StoreResult<()> {
    if let Some(rna) = &profile.rna
        && associations::holder(conn, Identifier::Rna(rna), except)?.is_some()
    {
        return Err(DomainError::conflict(
            "association.rna_taken",
            Some("rna"),
            format!("Une association est déjà inscrite avec le numéro RNA {rna}."),
        )
        .into());
    }
    if let Some(siret) = &profile.siret
        && associations::holder(conn, Identifier::Siret(siret), except)?.is_some()
    {
        return Err(DomainError::conflict(
            "association.siret_taken",
            Some("siret"),
            format!("Une association est déjà inscrite avec le SIRET {siret}."),
        )
        .into());
    }
    Ok(())
}

fn load(conn: &mut DbConnection, id: AssociationId) -> StoreResult<Association> {
    associations::get(conn, id)?.ok_or_else(|| {
        DomainError::NotFound {
            what: "association",
        }
        .into()
    })
}

/// Creates an association; the person creating it becomes its president.
#[tracing::instrument(name = "associations::create", skip_all, fields(actor = actor.kind()))]
pub fn create(
    conn: &mut DbConnection,
    actor: &Actor,
    fields: ProfileInput,
    now: CityNow,
) -> StoreResult<Association> {
    simpa_domain::policy::authorize(actor, Action::CreateAssociation)?;
    let person = person(actor)?;
    let profile = fields.into_profile(&reference::sector_codes(conn)?, now.today())?;
    ensure_identifiers_free(conn, &profile, None)?;
    let district = reference::district_of_postal_code(conn, profile.address.postal_code.as_str())?;
    let id = AssociationId::from_uuid(Uuid::now_v7());
    associations::insert(conn, id, &profile, district, now.at)?;
    members::add(conn, id, person, MemberRole::President, now.at)?;
    let event = NewAuditEvent::new(AuditAction::AssociationCreated, AuditActor::acting(actor))
        .about("association", id)
        .with(serde_json::json!({"role": MemberRole::President.code()}));
    audit::record(conn, &event, now.at)?;
    load(conn, id)
}

/// An association's profile, for its members and the city's staff.
#[tracing::instrument(name = "associations::read", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn read(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
) -> StoreResult<Association> {
    require(conn, subject, Action::ReadAssociation(id))?;
    load(conn, id)
}

/// Replaces an association's profile, if it is still the version the editor read
/// (`expected`; `None`: whichever is stored).
#[tracing::instrument(name = "associations::update", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn update(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    expected: Option<i64>,
    fields: ProfileInput,
    now: CityNow,
) -> StoreResult<Association> {
    require(conn, subject, Action::UpdateAssociation(id))?;
    let current = load(conn, id)?;
    let expected = expected.unwrap_or(current.version);
    check_version(current.version, expected)?;
    let profile = fields.into_profile(&reference::sector_codes(conn)?, now.today())?;
    ensure_identifiers_free(conn, &profile, Some(id))?;
    let district = reference::district_of_postal_code(conn, profile.address.postal_code.as_str())?;
    associations::update(conn, id, &profile, district, expected, now.at)?;
    load(conn, id)
}

/// Lists and searches associations, in name order (city staff).
#[tracing::instrument(name = "associations::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &AssociationFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Association>> {
    require(conn, subject, Action::ListAssociations)?;
    associations::list(conn, filter, after, limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_typed_again_is_the_same_profile() {
        let typed = ProfileInput {
            name: "Théâtre du Faubourg".into(),
            acronym: Some("TDF".into()),
            rna: Some("W751000001".into()),
            siret: Some("73282932000074".into()),
            object: "Le théâtre pour tous.".into(),
            sectors: vec!["culture".into()],
            address: AddressInput {
                street: "12 rue du Faubourg Saint-Denis".into(),
                complement: Some("Bâtiment B".into()),
                postal_code: "75010".into(),
                city: "Paris".into(),
            },
            creation_date: NaiveDate::from_ymd_opt(1998, 3, 2),
            website: Some("https://theatre-faubourg.fr".into()),
            email: Some("contact@theatre-faubourg.fr".into()),
            phone: Some("01 42 00 00 00".into()),
            directory_consent: true,
            legal_representative: Some(RepresentativeInput {
                name: "Camille Martin".into(),
                function: Some("Présidente".into()),
                email: Some("camille@theatre-faubourg.fr".into()),
                phone: Some("06 12 34 56 78".into()),
            }),
            target_publics: vec![TargetPublic::Youth],
            action_districts: vec![10, 11],
            public_contact: PublicContact {
                email: true,
                phone: false,
                website: true,
            },
        };
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).expect("a date");
        let sectors = ["culture".to_owned()];
        let profile = typed.into_profile(&sectors, today).expect("valid");
        let again = ProfileInput::from(profile.clone())
            .into_profile(&sectors, today)
            .expect("still valid");
        assert_eq!(again, profile);
    }
}
