//! An association's documents (`/associations/{id}/documents`): where its profile stands ("à
//! compléter", "à actualiser", "à jour") and what to do about it, then each kind of document
//! with its state in words, what to do next, and the versions filed, newest first; and
//! confirming that the profile is still accurate.

use crate::answers::{
    city_date, date_in, failed, not_found_page, refused, see_other, unless_hidden,
};
use crate::csrf::{NoFields, Posted};
use crate::forms::{Upload, read_upload};
use crate::render::Page;
use crate::session::Visitor;
use crate::{Portal, csrf};
use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::runtime::RunError;
use simpa_app::{associations, documents};
use simpa_domain::document::{
    ACCEPTED_MEDIA_TYPES, DocumentKind, DocumentStatus, KindStatus, ProfileStatus, ReviewState,
    ValidityRule,
};
use simpa_domain::french::long_french_date;
use simpa_domain::ids::{AssociationId, DocumentVersionId};
use simpa_domain::policy::Action;
use simpa_domain::{DomainError, FieldError};
use simpa_files::download::Stored;
use simpa_files::store::BlobStore;
use simpa_files::upload::FILING_FIELDS;
use simpa_persistence::StoreError;
use simpa_persistence::documents::DocumentVersion;
use std::collections::HashMap;
use uuid::Uuid;

/// What a kind's state asks of the association, in words.
fn next_step(kind: &DocumentKind, status: &KindStatus, rejected_because: Option<&str>) -> String {
    let until = status.valid_until.map(long_french_date);
    let signed = kind.rule == ValidityRule::Attestation;
    match status.status {
        DocumentStatus::Missing if signed => {
            "À signer par le président ou la présidente de l'association, sur cette page."
                .to_owned()
        }
        DocumentStatus::Missing => match status.required_fiscal_year {
            Some(year) => format!("À déposer : celui de l'exercice {year}."),
            None => "À déposer.".to_owned(),
        },
        DocumentStatus::Expired => "Il n'est plus valable : déposez-en un nouveau.".to_owned(),
        DocumentStatus::Expiring => format!(
            "Valable jusqu'au {} : pensez à le remplacer.",
            until.unwrap_or_default()
        ),
        DocumentStatus::Rejected => format!(
            "La Ville l'a refusé{} : déposez-en un nouveau.",
            rejected_because
                .map(|reason| format!(" (« {reason} »)"))
                .unwrap_or_default()
        ),
        DocumentStatus::PendingReview => {
            "Déposé : la Ville le vérifie. Il compte déjà pour vos demandes.".to_owned()
        }
        DocumentStatus::Valid => match until {
            Some(until) => format!("Valable jusqu'au {until}."),
            None => "Rien à faire.".to_owned(),
        },
        DocumentStatus::NotRequired => "Pas demandé à votre association pour le moment.".to_owned(),
    }
}

/// The colour of a state's tag (the words say it too).
fn tag(status: DocumentStatus) -> &'static str {
    match status {
        DocumentStatus::Valid => "govuk-tag--green",
        DocumentStatus::Expiring | DocumentStatus::PendingReview => "govuk-tag--yellow",
        DocumentStatus::Expired | DocumentStatus::Rejected | DocumentStatus::Missing => {
            "govuk-tag--red"
        }
        DocumentStatus::NotRequired => "govuk-tag--grey",
    }
}

/// What the profile's standing asks of the association.
fn profile_advice(status: ProfileStatus) -> &'static str {
    match status {
        ProfileStatus::ToComplete => {
            "Des pièces du dossier permanent manquent ou ont été refusées : déposez celles marquées en rouge ci-dessous."
        }
        ProfileStatus::ToUpdate => {
            "Le profil n'a pas été confirmé depuis un an : relisez-le, puis confirmez qu'il est à jour."
        }
        ProfileStatus::UpToDate => "Le dossier permanent est à jour : rien à faire pour le moment.",
    }
}

/// A version as its history shows it.
fn version_shown(portal: &Portal, version: &DocumentVersion) -> Value {
    context! {
        filed_on => city_date(portal, version.facts.filed_at),
        file => version.file.as_ref().map(|f| context! {
            address => format!("/associations/{}/documents/{}/fichier", version.association_id, version.facts.id),
            name => f.file_name,
            size => format!("{} Ko", (f.size_bytes + 1023) / 1024),
        }),
        fiscal_year => version.facts.fiscal_year,
        review => version.facts.review.label(),
        rejected => version.facts.review == ReviewState::Rejected,
        reason => version.review_reason,
    }
}

#[get("/associations/{id}/documents")]
pub async fn vault(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    let id = AssociationId::from_uuid(path.into_inner());
    vault_page(&portal, &req, &visitor, id, context! {}).await
}

/// The documents' page, with `more` (a document just filed, an upload's errors).
async fn vault_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: AssociationId,
    more: Value,
) -> HttpResponse {
    let (subject, today, timezone) = (
        visitor.subject(),
        portal.runtime.today(),
        portal.runtime.timezone,
    );
    let found = portal
        .runtime
        .read(move |conn| {
            let association = associations::read(conn, subject, id)?;
            let standing = documents::standing(conn, subject, id, today, timezone)?;
            let versions = documents::versions(conn, subject, id)?;
            let may_confirm = require(conn, subject, Action::UpdateAssociation(id)).is_ok();
            let may_attest = require(conn, subject, Action::Attest(id)).is_ok();
            let may_file = require(conn, subject, Action::FileDocument(id)).is_ok();
            let may = (may_confirm, may_attest, may_file);
            Ok((association, standing, versions, may))
        })
        .await;
    let (association, standing, versions, (may_confirm, may_attest, may_file)) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let kinds: Vec<Value> = standing
        .kinds
        .iter()
        .zip(&standing.statuses)
        .filter(|(_, (_, status))| status.status != DocumentStatus::NotRequired)
        .map(|(kind, (_, status))| {
            let current = versions.iter().find(|v| Some(v.facts.id) == status.version);
            let history: Vec<Value> = versions
                .iter()
                .filter(|v| v.kind_code == kind.code)
                .map(|v| version_shown(portal, v))
                .collect();
            context! {
                code => kind.code,
                label => kind.label,
                status => status.status.label(),
                tag => tag(status.status),
                next => next_step(kind, status, current.and_then(|v| v.review_reason.as_deref())),
                to_sign => kind.rule == ValidityRule::Attestation
                    && !status.status.is_usable()
                    && may_attest,
                to_file => kind.rule != ValidityRule::Attestation && may_file,
                rule => kind.rule.code(),
                bank => kind.bank_details,
                required_year => status.required_fiscal_year,
                history => history,
            }
        })
        .collect();
    let data = context! {
        id => association.id.to_string(),
        name => association.profile.name,
        profile_status => standing.profile.label(),
        profile_tag => match standing.profile {
            ProfileStatus::UpToDate => "govuk-tag--green",
            ProfileStatus::ToUpdate => "govuk-tag--yellow",
            ProfileStatus::ToComplete => "govuk-tag--red",
        },
        profile_advice => profile_advice(standing.profile),
        confirmed_on => date_in(timezone, association.confirmed_at),
        may_confirm => may_confirm,
        kinds => kinds,
        accepted => ACCEPTED_MEDIA_TYPES
            .iter()
            .map(|(_, extension)| format!(".{extension}"))
            .collect::<Vec<_>>()
            .join(","),
        ..more
    };
    crate::forms::form_page(portal, req, Page::new("vault.html", data).visitor(visitor))
}

/// The association confirms that its profile is still accurate.
#[post("/associations/{id}/confirmation")]
pub async fn confirm_profile(
    portal: web::Data<Portal>,
    _req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_form): Posted<NoFields>,
) -> HttpResponse {
    let id = path.into_inner();
    let (association, subject, now) = (
        AssociationId::from_uuid(id),
        visitor.subject(),
        portal.runtime.now(),
    );
    let confirmed = portal
        .runtime
        .write(move |conn| documents::confirm_profile(conn, subject, association, now))
        .await;
    match confirmed {
        Ok(()) => see_other(&format!("/associations/{id}/documents")),
        Err(error) => unless_hidden(&portal, error),
    }
}

#[derive(Deserialize)]
pub struct AttestationForm {
    kind: String,
}

/// The president signs an attestation in the association's name (the contrat d'engagement
/// républicain): who and when are kept.
#[post("/associations/{id}/attestations")]
pub async fn attest(
    portal: web::Data<Portal>,
    _req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<AttestationForm>,
) -> HttpResponse {
    let id = path.into_inner();
    let (association, subject, now) = (
        AssociationId::from_uuid(id),
        visitor.subject(),
        portal.runtime.now(),
    );
    let kind = form.kind;
    let signed = portal
        .runtime
        .write(move |conn| documents::attest(conn, subject, association, &kind, now))
        .await;
    match signed {
        Ok(_) => see_other(&format!("/associations/{id}/documents")),
        Err(RunError::Store(StoreError::Domain(
            DomainError::NotFound { .. } | DomainError::Forbidden | DomainError::Invalid(_),
        ))) => not_found_page(&portal),
        Err(error) => failed(&portal, error),
    }
}

/// An association's member files a document from its page (multipart, without script): the
/// file is read into the store as it arrives; its form's token is checked once read (it comes
/// in the body; the kind is in the form's address); the page then says what was filed, or what to fix, at the field.
#[post("/associations/{id}/documents/{kind}")]
pub async fn file_document(
    portal: web::Data<Portal>,
    blobs: web::Data<BlobStore>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, String)>,
    multipart: Multipart,
) -> HttpResponse {
    let (id, kind) = path.into_inner();
    let id = AssociationId::from_uuid(id);
    let subject = visitor.subject();
    // Another site's form is refused before a byte is read (its token comes in the body).
    if !csrf::from_this_site(&req, &portal.settings.origin) {
        return refused(&portal);
    }
    // Who may file is known before a single byte is read.
    let filer = match portal
        .runtime
        .read(move |conn| documents::filer(conn, subject, id))
        .await
    {
        Ok(filer) => filer,
        Err(error) => return unless_hidden(&portal, error),
    };
    let (form, _slot) =
        match read_upload(&portal, &req, &blobs, multipart, FILING_FIELDS, &[]).await {
            Upload::Read(form, slot) => (form, slot),
            Upload::Refused(errors) => {
                return upload_refused(&portal, &req, &visitor, id, kind, errors, None).await;
            }
            Upload::Answered(answer) => return answer,
        };
    // The kind is the form's address.
    let mut form = form;
    form.fields.insert("kind".to_owned(), kind.clone());
    let label = filer
        .kinds
        .iter()
        .find(|k| k.code == kind)
        .map(|k| k.label.clone());
    let store = blobs.clone().into_inner();
    let typed = form.fields.clone();
    match documents::file_upload(&portal.runtime, store, filer, id, form).await {
        Ok((_, warnings)) => {
            let more = context! {
                filed => label,
                warnings => warnings.into_iter().map(|w| w.detail).collect::<Vec<_>>(),
            };
            vault_page(&portal, &req, &visitor, id, more).await
        }
        Err(RunError::Store(StoreError::Domain(DomainError::Invalid(errors)))) => {
            upload_refused(&portal, &req, &visitor, id, kind, errors, Some(typed)).await
        }
        Err(error) => failed(&portal, error),
    }
}

/// The documents' page again (422), an upload's errors at the fields of its kind's form (whose
/// ids carry the kind: `statuts-file`), that form open.
async fn upload_refused(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: AssociationId,
    kind: String,
    errors: Vec<FieldError>,
    typed: Option<HashMap<String, String>>,
) -> HttpResponse {
    let errors: Vec<FieldError> = errors
        .into_iter()
        .map(|e| FieldError {
            field: format!("{kind}-{}", e.field),
            ..e
        })
        .collect();
    // What was typed is shown again (the file has to be chosen again: no browser lets a page
    // choose it).
    let more = context! { errors => crate::forms::errors_shown(&errors), open => kind, typed };
    crate::forms::unprocessable(vault_page(portal, req, visitor, id, more).await)
}

/// One filed version's file, for whom may read the association's documents (its members):
/// an attachment named as it was filed. Another association's: not found.
#[get("/associations/{id}/documents/{version}/fichier")]
pub async fn download_file(
    portal: web::Data<Portal>,
    blobs: web::Data<BlobStore>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
) -> HttpResponse {
    let (id, version) = path.into_inner();
    let (id, version, subject) = (
        AssociationId::from_uuid(id),
        DocumentVersionId::from_uuid(version),
        visitor.subject(),
    );
    let found = portal
        .runtime
        .read(move |conn| documents::version(conn, subject, id, version))
        .await;
    let file = match found {
        Ok(DocumentVersion {
            file: Some(file), ..
        }) => file,
        Ok(_)
        | Err(RunError::Store(StoreError::Domain(
            DomainError::NotFound { .. } | DomainError::Forbidden,
        ))) => return not_found_page(&portal),
        Err(error) => return failed(&portal, error),
    };
    let stored = Stored {
        sha256: &file.sha256,
        media_type: &file.media_type,
        file_name: &file.file_name,
    };
    crate::answers::stored_file(&portal, &req, &blobs, stored).await
}
