//! The document vault's use cases: the kinds and their rules, filing a document once (what an
//! upload declares checked against its kind), reading and reviewing the versions, where an
//! association stands, attestations, confirming the profile and declaring public funding.
//! A front door reads an upload into the store (`simpa_files`); [`file_upload`] files it.

use crate::access::{person, require};
use crate::notify::{self, Letter, Notifier};
use crate::runtime::{RunError, Runtime};
use crate::vault::{Vault, vault_on};
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::context;
use simpa_domain::document::{
    DocumentKind, Filing, ReviewState, ValidityRule, check_declared_funding, check_review,
};
use simpa_domain::existed;
use simpa_domain::iban::{Bic, Iban, holder_matches};
use simpa_domain::ids::{AccountId, AssociationId, DistrictNumber, DocumentVersionId};
use simpa_domain::notification::Notice;
use simpa_domain::parties::Instructor;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::text;
use simpa_domain::{Checks, DomainError, FieldError, Violation};
use simpa_files::store::BlobStore;
use simpa_files::upload::{UploadForm, UploadedFile};
use simpa_persistence::StoreError;
use simpa_persistence::accounts::load_actor;
use simpa_persistence::documents::{
    self, BankDetails, DocumentVersion, NewVersion, StoredFile, Waiting, WaitingFilter,
};
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult, associations, requests};
use std::sync::Arc;
use uuid::Uuid;

/// The kinds of documents and their rules.
#[tracing::instrument(name = "documents::kinds", skip_all, fields(actor = Subject::kind(subject)))]
pub fn kinds(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Vec<DocumentKind>> {
    require(conn, subject, Action::ReadReferenceData)?;
    documents::kinds(conn)
}

/// Asks the policy for an action on the association's documents, which depends on its
/// district and on the directions instructing its requests.
fn require_for_documents(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    action: impl Fn(Option<DistrictNumber>, Vec<Instructor>) -> Action,
) -> StoreResult<Actor> {
    let district = associations::district(conn, id)?;
    let instructing = requests::instructing(conn, id)?;
    let actor = require(conn, subject, action(district, instructing))?;
    existed(associations::exists(conn, id)?, "association")?;
    Ok(actor)
}

fn reading(id: AssociationId) -> impl Fn(Option<DistrictNumber>, Vec<Instructor>) -> Action {
    move |district, instructing| Action::ReadDocuments {
        association: id,
        district,
        instructing,
    }
}

fn load_version(
    conn: &mut DbConnection,
    id: AssociationId,
    version: DocumentVersionId,
) -> StoreResult<DocumentVersion> {
    documents::version(conn, id, version)?
        .ok_or_else(|| DomainError::NotFound { what: "document" }.into())
}

/// Every version the association filed, newest first (history included).
#[tracing::instrument(name = "documents::versions", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn versions(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
) -> StoreResult<Vec<DocumentVersion>> {
    require_for_documents(conn, subject, id, reading(id))?;
    documents::versions(conn, id)
}

/// One filed version, for whom may read the association's documents.
#[tracing::instrument(name = "documents::version", skip_all, fields(actor = Subject::kind(subject), association = %id, version = %version))]
pub fn version(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    version: DocumentVersionId,
) -> StoreResult<DocumentVersion> {
    require_for_documents(conn, subject, id, reading(id))?;
    load_version(conn, id, version)
}

/// Where the association's documents and profile stand on a date.
#[tracing::instrument(name = "documents::standing", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn standing(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    on: NaiveDate,
    timezone: chrono_tz::Tz,
) -> StoreResult<Vault> {
    require_for_documents(conn, subject, id, reading(id))?;
    vault_on(conn, id, on, timezone)
}

/// The city's review of a filed version: accepted, or rejected and why.
pub struct Verdict<'a> {
    pub decision: ReviewState,
    pub reason: Option<&'a str>,
}

/// Accepts or rejects a filed version (the bureau, or the town hall of the association's
/// district); a rejection says why, and the association's members are told.
#[tracing::instrument(name = "documents::review", skip_all, fields(actor = Subject::kind(subject), association = %id, version = %version))]
pub fn review(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    version: DocumentVersionId,
    verdict: Verdict<'_>,
    now: DateTime<Utc>,
    notifier: &Notifier,
) -> StoreResult<DocumentVersion> {
    let Verdict { decision, reason } = verdict;
    let reason = check_review(decision, reason).map_err(|e| DomainError::Invalid(vec![e]))?;
    let actor = require_for_documents(conn, subject, id, |district, _| Action::ReviewDocument {
        association: id,
        district,
    })?;
    let reviewer = person(&actor)?;
    existed(
        documents::review(
            conn,
            id,
            version,
            decision,
            reason.as_deref(),
            reviewer,
            now,
        )?,
        "document",
    )?;
    let reviewed = load_version(conn, id, version)?;
    if decision == ReviewState::Rejected {
        let kind = documents::kind(conn, &reviewed.kind_code)?
            .map_or_else(|| reviewed.kind_code.clone(), |k| k.label);
        let letter = Letter {
            association: id,
            notice: Notice::DocumentRejected,
            about: kind.clone(),
            request: None,
            data: context! {
                document => kind,
                association => associations::name(conn, id)?,
                file => reviewed.file.as_ref().map(|f| f.file_name.clone()),
                reason => reason,
                link => notifier.accounts.documents(id),
            },
        };
        notify::tell_members(conn, notifier, letter, now)?;
    }
    Ok(reviewed)
}

/// The documents waiting for the caller's review, as `filter` narrows and orders them: every
/// association's for the bureau, its district's for a town hall, none of an association the
/// caller belongs to; nobody else reviews documents.
#[tracing::instrument(name = "documents::to_review", skip_all, fields(actor = Subject::kind(subject)))]
pub fn to_review(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    filter: &WaitingFilter,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Waiting>> {
    let actor = load_actor(conn, subject)?;
    let scope = policy::work_scope(&actor);
    if !scope.bureau && scope.districts.is_empty() {
        return Err(DomainError::Forbidden.into());
    }
    let page =
        documents::waiting_review(conn, scope.bureau, &scope.districts, filter, after, limit)?;
    let reviews = |w: &Waiting| {
        let may = Action::ReviewDocument {
            association: w.version.association_id,
            district: w.district,
        };
        policy::decide(&actor, may).is_ok()
    };
    Ok(Page {
        items: page.items.into_iter().filter(reviews).collect(),
        next: page.next,
    })
}

/// Who may file for an association, known before a single byte is read: the filer, the
/// association's name (a RIB's holder is compared with it) and the kinds.
pub struct Filer {
    pub account: AccountId,
    pub association_name: String,
    pub kinds: Vec<DocumentKind>,
}

#[tracing::instrument(name = "documents::filer", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn filer(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
) -> StoreResult<Filer> {
    let account = person(&require(conn, subject, Action::FileDocument(id))?)?;
    existed(associations::exists(conn, id)?, "association")?;
    Ok(Filer {
        account,
        association_name: associations::name(conn, id)?,
        kinds: documents::kinds(conn)?,
    })
}

/// Something worth a second look that does not prevent filing.
pub struct Warning {
    pub code: &'static str,
    pub detail: String,
}

/// What an upload declares, checked against its kind.
pub struct Declared {
    pub kind: DocumentKind,
    pub filing: Filing,
    pub bank: Option<BankDetails>,
    pub warnings: Vec<Warning>,
}

/// Checks what an upload declares (`field` gives a form field's text, trimmed, absent when
/// empty) against its kind, every offending field at once. `has_file`: whether the bytes came.
pub fn check_declared<'a>(
    field: impl Fn(&str) -> Option<&'a str>,
    has_file: bool,
    filer: &Filer,
    today: NaiveDate,
) -> Result<Declared, DomainError> {
    let mut c = Checks::default();
    let required = || Violation::new("field.required", "Ce champ est obligatoire.");
    let kind = match field("kind") {
        None => c.check("kind", Err::<(), _>(required())).and(None),
        Some(code) => c.check(
            "kind",
            filer.kinds.iter().find(|k| k.code == code).cloned().ok_or_else(|| {
                Violation::new("kind.unknown", format!("« {code} » n'est pas un type de document connu : choisissez-en un dans la liste des pièces."))
            }),
        ),
    };
    let date = |c: &mut Checks, name: &str| {
        c.optional(name, field(name), |raw| {
            raw.parse::<NaiveDate>().map_err(|_| {
                Violation::new("field.invalid_value", "Date attendue au format AAAA-MM-JJ.")
            })
        })
    };
    let valid_until = date(&mut c, "valid_until");
    let event_date = date(&mut c, "event_date");
    let fiscal_year = c.optional("fiscal_year", field("fiscal_year"), |raw| {
        raw.parse::<i32>()
            .map_err(|_| Violation::new("field.invalid_value", "Année attendue, par exemple 2025."))
    });
    if !has_file {
        c.push(missing_file());
    }
    let (Some(kind), Some(fiscal_year), Some(valid_until), Some(event_date)) =
        (kind, fiscal_year, valid_until, event_date)
    else {
        return Err(c.into_error());
    };
    let filing = match kind.check_filing(
        &Filing {
            fiscal_year,
            valid_until,
            event_date,
        },
        today,
    ) {
        Ok(filing) => Some(filing),
        Err(errors) => {
            c.extend(errors);
            None
        }
    };
    let mut warnings = Vec::new();
    let bank = if kind.bank_details {
        let for_a_rib =
            || Violation::new("field.required", "Ce champ est obligatoire pour un RIB.");
        let iban = c.check(
            "iban",
            field("iban").ok_or_else(for_a_rib).and_then(Iban::parse),
        );
        let bic = c.check(
            "bic",
            field("bic").ok_or_else(for_a_rib).and_then(Bic::parse),
        );
        let holder = c.check(
            "account_holder",
            text::line(field("account_holder").unwrap_or_default(), 1, 200),
        );
        let name = &filer.association_name;
        if let Some(holder) = &holder
            && !holder_matches(holder, name)
        {
            warnings.push(Warning {
                code: "rib.holder_mismatch",
                detail: format!("Le titulaire du compte (« {holder} ») n'est pas exactement l'association (« {name} ») : la Ville demande un RIB à son nom exact."),
            });
        }
        match (iban, bic, holder) {
            (Some(iban), Some(bic), Some(account_holder)) => Some(BankDetails {
                iban: iban.to_string(),
                bic: bic.to_string(),
                account_holder,
            }),
            _ => None,
        }
    } else {
        None
    };
    let Some(filing) = filing else {
        return Err(c.into_error());
    };
    c.finish()?;
    Ok(Declared {
        kind,
        filing,
        bank,
        warnings,
    })
}

/// The file part of a filing is missing.
pub fn missing_file() -> FieldError {
    Violation::new("field.required", "Joignez le document (champ « file »).").at("file")
}

/// Files a document whose bytes are stored: a new filing of a kind supersedes the previous
/// one, which stays readable. Waits for the city's review.
#[tracing::instrument(name = "documents::file", skip_all, fields(association = %id, kind = %declared.kind.code))]
pub fn file(
    conn: &mut DbConnection,
    filer: AccountId,
    id: AssociationId,
    declared: &Declared,
    file: &StoredFile,
    now: DateTime<Utc>,
) -> StoreResult<DocumentVersion> {
    add_version(
        conn,
        NewVersion {
            id: DocumentVersionId::from_uuid(Uuid::now_v7()),
            association: id,
            kind_code: &declared.kind.code,
            fiscal_year: declared.filing.fiscal_year,
            valid_until: declared.filing.valid_until,
            event_date: declared.filing.event_date,
            file: Some(file),
            bank: declared.bank.as_ref(),
            filed_by: filer,
            filed_at: now,
            review: ReviewState::Pending,
        },
    )
}

/// Files an upload a front door read (the bytes received, not yet stored), for both front
/// doors: what it declares is checked against its kind (every offending field at once), its
/// bytes are moved into the store, durably, before a row refers to them, then the version is
/// recorded. The version, and what is worth a second look.
pub async fn file_upload(
    runtime: &Runtime,
    store: Arc<BlobStore>,
    filer: Filer,
    id: AssociationId,
    mut form: UploadForm,
) -> Result<(DocumentVersion, Vec<Warning>), RunError> {
    let today = runtime.today();
    let mut declared = check_declared(|name| form.text(name), form.file.is_some(), &filer, today)
        .map_err(StoreError::from)?;
    let warnings = std::mem::take(&mut declared.warnings);
    let Some(uploaded) = form.file.take() else {
        return Err(StoreError::from(DomainError::Invalid(vec![missing_file()])).into());
    };
    let stored = store_upload(store, uploaded).await?;
    let (filer, now) = (filer.account, runtime.now());
    let version = runtime
        .write(move |conn| file(conn, filer, id, &declared, &stored, now))
        .await?;
    Ok((version, warnings))
}

/// Moves the bytes of an upload into the store, durably, before any row refers to them.
pub async fn store_upload(
    store: Arc<BlobStore>,
    uploaded: UploadedFile,
) -> Result<StoredFile, RunError> {
    let UploadedFile {
        received,
        file_name,
        media_type,
    } = uploaded;
    let size_bytes = i64::try_from(received.size).unwrap_or(i64::MAX);
    let stored = tokio::task::spawn_blocking(move || received.store(&store))
        .await
        .map_err(|_| RunError::Bug)?;
    let sha256 = stored.map_err(|error| {
        tracing::error!(%error, "cannot store an upload");
        RunError::Bug
    })?;
    Ok(StoredFile {
        sha256,
        size_bytes,
        media_type: media_type.to_owned(),
        file_name,
    })
}

/// Records an attestation signed in the association's name by its president, such as the
/// contrat d'engagement républicain (who and when are kept).
#[tracing::instrument(name = "documents::attest", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn attest(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    code: &str,
    now: DateTime<Utc>,
) -> StoreResult<DocumentVersion> {
    let signer = person(&require(conn, subject, Action::Attest(id))?)?;
    existed(associations::exists(conn, id)?, "association")?;
    match documents::kind(conn, code)? {
        Some(kind) if kind.rule == ValidityRule::Attestation => {}
        _ => {
            return Err(DomainError::invalid(
                "kind",
                Violation::new("kind.not_an_attestation", format!("« {code} » n'est pas une attestation à signer : le président ou la présidente signe le contrat d'engagement républicain.")),
            )
            .into());
        }
    }
    add_version(
        conn,
        NewVersion {
            id: DocumentVersionId::from_uuid(Uuid::now_v7()),
            association: id,
            kind_code: code,
            fiscal_year: None,
            valid_until: None,
            event_date: None,
            file: None,
            bank: None,
            filed_by: signer,
            filed_at: now,
            review: ReviewState::Accepted,
        },
    )
}

/// Stores a new version and reads it back as stored.
fn add_version(conn: &mut DbConnection, new: NewVersion<'_>) -> StoreResult<DocumentVersion> {
    let (association, version) = (new.association, new.id);
    documents::insert_version(conn, new)?;
    load_version(conn, association, version)
}

/// Confirms that the association's profile is still accurate.
#[tracing::instrument(name = "documents::confirm_profile", skip_all, fields(actor = Subject::kind(subject), association = %id))]
pub fn confirm_profile(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    require(conn, subject, Action::UpdateAssociation(id))?;
    Ok(existed(
        associations::confirm(conn, id, now)?,
        "association",
    )?)
}

/// Declares the public cash subsidies the association received in a financial year (all
/// public funders).
#[tracing::instrument(name = "documents::declare_public_funding", skip_all, fields(actor = Subject::kind(subject), association = %id, year))]
pub fn declare_public_funding(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: AssociationId,
    year: i32,
    cents: i64,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> StoreResult<()> {
    check_declared_funding(year, cents, today).map_err(DomainError::Invalid)?;
    let declarer = person(&require(conn, subject, Action::UpdateAssociation(id))?)?;
    existed(associations::exists(conn, id)?, "association")?;
    documents::declare_public_funding(conn, id, year, cents, declarer, now)
}
