//! Agreements (conventions d'objectifs): the bureau edits the terms of a drafted one, the
//! association's president signs, then the bureau for the city, which lets the grants it
//! covers be paid; its text is drawn from the template.

use crate::access::{person, require};
use crate::clock::CityNow;
use crate::grants::agreement_gate;
use crate::notify::{self, Letter, Notifier};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::context;
use simpa_domain::DomainError;
use simpa_domain::agreement::{
    self as rules, AgreementDocument, AgreementStatus, Article, YearAmount,
};
use simpa_domain::association::check_version;
use simpa_domain::money::euros;
use simpa_domain::notification::Notice;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::agreements::{self, Agreement, Side, Signature};
use simpa_persistence::grants::{self, Grant};
use simpa_persistence::{
    DbConnection, StoreResult, accounts, associations, deliberations, requests,
};
use uuid::Uuid;

/// An agreement with every grant it covers (the first is the one its text prints) and those
/// the actor may read; told it does not exist when they may read none.
pub struct Readable {
    pub agreement: Agreement,
    pub covered: Vec<Grant>,
    pub visible: Vec<Grant>,
}

fn readable(conn: &mut DbConnection, actor: &Actor, id: Uuid) -> StoreResult<Readable> {
    let not_found = || DomainError::NotFound { what: "agreement" };
    let agreement = agreements::get(conn, id)?.ok_or_else(not_found)?;
    let covered = grants::of_agreement(conn, id)?;
    let keys: Vec<String> = covered.iter().map(|g| g.request.to_string()).collect();
    let requests = requests::get_many(conn, &keys)?;
    let visible: Vec<Grant> = covered
        .iter()
        .filter(|g| {
            requests.iter().any(|r| {
                r.id == g.request && policy::decide(actor, Action::ReadGrant(r.access())).is_ok()
            })
        })
        .cloned()
        .collect();
    if visible.is_empty() {
        return Err(not_found().into());
    }
    Ok(Readable {
        agreement,
        covered,
        visible,
    })
}

/// An agreement, for whom may read one of the grants it covers.
#[tracing::instrument(name = "agreements::read", skip_all, fields(actor = Subject::kind(subject), agreement = %id))]
pub fn read(conn: &mut DbConnection, subject: Option<Subject>, id: Uuid) -> StoreResult<Readable> {
    let actor = load_actor(conn, subject)?;
    readable(conn, &actor, id)
}

/// The agreements in a status, with every grant each covers (the bureau), 200 at most.
#[tracing::instrument(name = "agreements::list", skip_all, fields(actor = Subject::kind(subject), status = status.code()))]
pub fn list(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    status: AgreementStatus,
) -> StoreResult<Vec<(Agreement, Vec<Grant>)>> {
    require(conn, subject, Action::ManageAgreements)?;
    let mut found = Vec::new();
    for agreement in agreements::in_status(conn, status, 200)? {
        let covered = grants::of_agreement(conn, agreement.id)?;
        found.push((agreement, covered));
    }
    Ok(found)
}

/// The agreement, locked until the transaction ends, if it is still the version the caller
/// read (`expected`; `None`: whichever is stored; 412 otherwise).
fn locked_as_read(
    conn: &mut DbConnection,
    id: Uuid,
    expected: Option<i64>,
) -> StoreResult<Agreement> {
    let agreement =
        agreements::get_locked(conn, id)?.ok_or(DomainError::NotFound { what: "agreement" })?;
    check_version(agreement.version, expected.unwrap_or(agreement.version))?;
    Ok(agreement)
}

/// The terms the bureau writes in a drafted agreement.
pub struct Terms {
    pub object: String,
    pub years: Vec<YearAmount>,
    pub payment_days: u32,
}

/// Edits a drafted agreement's terms (the bureau), if it is still the version read: they keep
/// covering the grants it covers.
#[tracing::instrument(name = "agreements::update_terms", skip_all, fields(actor = Subject::kind(subject), agreement = %id))]
pub fn update_terms(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    expected: Option<i64>,
    terms: Terms,
    now: DateTime<Utc>,
) -> StoreResult<Readable> {
    let actor = require(conn, subject, Action::ManageAgreements)?;
    let agreement = locked_as_read(conn, id, expected)?;
    rules::check_editable(agreement.status)?;
    let covered: Vec<YearAmount> = grants::of_agreement(conn, id)?
        .iter()
        .map(|g| YearAmount {
            year: g.year,
            cents: g.cents,
        })
        .collect();
    let terms = rules::check_terms(&terms.object, &terms.years, terms.payment_days, &covered)?;
    agreements::update_terms(conn, id, &terms, now)?;
    readable(conn, &actor, id)
}

/// Signs an agreement for a side, if it is still the version read: the association's
/// president first, then the bureau for the city; once both signed, the grants it covers may
/// be paid.
#[tracing::instrument(name = "agreements::sign", skip_all, fields(actor = Subject::kind(subject), agreement = %id))]
pub fn sign(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    expected: Option<i64>,
    side: Side,
    now: CityNow,
    notifier: &Notifier,
) -> StoreResult<Readable> {
    let actor = load_actor(conn, subject)?;
    let association = readable(conn, &actor, id)?.agreement.association;
    let may = match side {
        Side::Association => Action::SignAgreement(association),
        Side::City => Action::ManageAgreements,
    };
    policy::authorize(&actor, may)?;
    let agreement = locked_as_read(conn, id, expected)?;
    let status = match side {
        Side::Association => rules::sign_by_association(agreement.status)?,
        Side::City => rules::countersign(agreement.status)?,
    };
    let account = person(&actor)?;
    let name = accounts::get(conn, account)?.map_or_else(|| "?".into(), |a| a.display_name);
    let signature = Signature {
        account,
        name,
        at: now.at,
    };
    agreements::sign(conn, id, side, &signature, status)?;
    let found = readable(conn, &actor, id)?;
    if found.agreement.status == AgreementStatus::Signed {
        let gate = agreement_gate(Some(&found.agreement), now.timezone);
        grants::refresh_covered(conn, found.agreement.id, gate, now.at)?;
        tell_signed(conn, notifier, &found, now)?;
    }
    Ok(found)
}

/// Tells the association that the city signed its agreement: the grants it covers may be paid.
fn tell_signed(
    conn: &mut DbConnection,
    notifier: &Notifier,
    found: &Readable,
    now: CityNow,
) -> StoreResult<()> {
    let agreement = &found.agreement;
    let covered = grants::of_agreement(conn, agreement.id)?;
    let link = covered
        .first()
        .map(|g| notifier.accounts.agreement(g.request));
    let letter = Letter {
        association: agreement.association,
        notice: Notice::AgreementSigned,
        about: agreement.terms.object.clone(),
        request: None,
        data: context! {
            title => agreement.terms.object.clone(),
            association => simpa_persistence::associations::name(conn, agreement.association)?,
            link => link,
        },
    };
    notify::tell_members(conn, notifier, letter, now.at).map(|_| ())
}

/// An agreement's text: its title, its status's label, its articles, its reference.
pub struct AgreementText {
    pub title: String,
    pub status: &'static str,
    pub articles: Vec<Article>,
    pub reference: String,
}

/// An agreement's text drawn from the template, for whom may read it; `city`: the city's name
/// ("Ville de Paris"), whose time zone dates its signatures.
#[tracing::instrument(name = "agreements::text", skip_all, fields(actor = Subject::kind(subject), agreement = %id))]
pub fn text(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    city: &str,
    timezone: Tz,
) -> StoreResult<AgreementText> {
    let found = read(conn, subject, id)?;
    let (title, articles) = document(conn, (city, timezone), &found.agreement, &found.covered)?;
    Ok(AgreementText {
        title,
        status: found.agreement.status.label(),
        articles,
        reference: found.agreement.reference,
    })
}

/// The agreement's title and articles, from the first grant it covers (the one its text
/// prints).
fn document(
    conn: &mut DbConnection,
    (city, timezone): (&str, Tz),
    agreement: &Agreement,
    covered: &[Grant],
) -> StoreResult<(String, Vec<Article>)> {
    let first = covered
        .first()
        .ok_or(DomainError::NotFound { what: "agreement" })?;
    let association =
        associations::get(conn, agreement.association)?.ok_or(DomainError::NotFound {
            what: "association",
        })?;
    let deliberation =
        deliberations::get(conn, first.deliberation)?.ok_or(DomainError::NotFound {
            what: "deliberation",
        })?;
    let profile = &association.profile;
    let identifiers = [
        profile.rna.as_ref().map(|r| format!("RNA {r}")),
        profile.siret.as_ref().map(|s| format!("SIRET {s}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let address = &profile.address;
    let representative = profile.legal_representative.as_ref().map_or_else(
        || "son représentant légal".to_owned(),
        |r| match &r.function {
            Some(function) => format!("{}, {function}", r.name),
            None => r.name.clone(),
        },
    );
    let signatures = [
        agreement.association_signature.as_ref().map(|s| {
            format!(
                "Pour l'association : {}, le {}.",
                s.name,
                simpa_domain::french::long_french_date(s.at.with_timezone(&timezone).date_naive())
            )
        }),
        agreement.city_signature.as_ref().map(|s| {
            format!(
                "Pour la {city} : {}, le {}.",
                s.name,
                simpa_domain::french::long_french_date(s.at.with_timezone(&timezone).date_naive())
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    let doc = AgreementDocument {
        reference: agreement.reference.clone(),
        city: format!("la {city}"),
        association_name: profile.name.clone(),
        association_identifiers: if identifiers.is_empty() {
            "sans numéro RNA ni SIRET".into()
        } else {
            identifiers
        },
        association_address: format!(
            "{}{}, {} {}",
            address.street,
            address
                .complement
                .as_ref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default(),
            address.postal_code,
            address.city
        ),
        legal_representative: representative,
        terms: agreement.terms.clone(),
        deliberation: deliberation.reference.to_string(),
        voted_on: first.voted_on,
        installments: first.installments.clone(),
        final_report_due_on: first.final_report_due_on,
        signatures,
    };
    let total = simpa_domain::money::total(agreement.terms.years.iter().map(|y| y.cents));
    let title = format!(
        "Convention d'objectifs n° {} entre la {city} et {} — {}",
        agreement.reference,
        profile.name,
        euros(total)
    );
    Ok((title, rules::articles(&doc)))
}
