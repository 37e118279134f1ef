//! A request's grant once voted, as the association follows it: the amount voted against the
//! amount asked, the deliberation, the payment schedule and the payments received, the final
//! report's due date; and its agreement (`/demandes/{id}/convention`), to read and, for the
//! president, to sign.

use super::requests::load;
use crate::Portal;
use crate::answers::{city_date, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_error, form_page};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::agreements;
use simpa_app::runtime::RunError;
use simpa_domain::DomainError;
use simpa_domain::agreement::AgreementStatus;
use simpa_domain::policy::Action;
use simpa_persistence::StoreError;
use simpa_persistence::agreements::Side;
use uuid::Uuid;

/// The agreement's page: its text, its state, who signed, and for the president while it
/// waits for the association, the form that signs it.
async fn agreement_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    errors: &[simpa_domain::FieldError],
) -> HttpResponse {
    let (shown, _) = match load(portal, visitor, id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Some(agreement) = shown.grant.as_ref().and_then(|g| g.agreement.clone()) else {
        return see_other(&format!("/demandes/{id}"));
    };
    let (subject, city) = (visitor.subject(), portal.settings.city.clone());
    let (association, timezone) = (shown.request().association, portal.runtime.timezone);
    let read = portal
        .runtime
        .read(move |conn| {
            let text = agreements::text(conn, subject, agreement.id, &city, timezone)?;
            let may_sign = require(conn, subject, Action::SignAgreement(association)).is_ok();
            Ok((text, may_sign))
        })
        .await;
    let (text, may_sign) = match read {
        Ok(read) => read,
        Err(error) => return unless_hidden(portal, error),
    };
    let signature = |s: &Option<simpa_persistence::agreements::Signature>| {
        s.as_ref().map(|s| {
            context! { name => s.name, on => city_date(portal, s.at) }
        })
    };
    let data = context! {
        id => id.to_string(),
        title => shown.request().content.title,
        association => shown.file.association,
        agreement_title => text.title,
        status => text.status,
        reference => text.reference,
        articles => text.articles.iter().map(|a| context! {
            heading => a.heading, paragraphs => a.paragraphs,
        }).collect::<Vec<_>>(),
        association_signature => signature(&agreement.association_signature),
        city_signature => signature(&agreement.city_signature),
        may_sign => may_sign && agreement.status == AgreementStatus::Drafted,
        version => agreement.version,
    };
    let page = errors_page("agreement.html", errors, data);
    form_page(portal, req, page.visitor(visitor))
}

#[get("/demandes/{id}/convention")]
pub async fn agreement_view(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
) -> HttpResponse {
    agreement_page(&portal, &req, &visitor, path.into_inner(), &[]).await
}

#[derive(Deserialize)]
pub struct SignatureForm {
    #[serde(default)]
    read: String,
    /// The version of the agreement read (a form's fields are text).
    #[serde(default)]
    version: String,
}

/// The president signs the agreement for the association, having read that version of it.
#[post("/demandes/{id}/convention")]
pub async fn sign(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<SignatureForm>,
) -> HttpResponse {
    let id = path.into_inner();
    if form.read != "oui" {
        let error = field_error(
            "read",
            "Cochez la case pour dire que vous avez lu la convention et la signez.",
        );
        return crate::forms::unprocessable(
            agreement_page(&portal, &req, &visitor, id, &[error]).await,
        );
    }
    let (shown, _) = match load(&portal, &visitor, id).await {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let Some(agreement) = shown.grant.as_ref().and_then(|g| g.agreement.as_ref()) else {
        return see_other(&format!("/demandes/{id}"));
    };
    let (subject, now, agreement) = (visitor.subject(), portal.runtime.city_now(), agreement.id);
    let notifier = portal.runtime.notifier.clone();
    let signed = portal
        .runtime
        .write(move |conn| {
            agreements::sign(
                conn,
                subject,
                agreement,
                // No version read: not the one stored.
                Some(form.version.parse().unwrap_or(-1)),
                Side::Association,
                now,
                &notifier,
            )
        })
        .await;
    let message = match signed {
        Ok(_) => return see_other(&format!("/demandes/{id}/convention")),
        Err(RunError::Store(StoreError::Domain(DomainError::StaleVersion { .. }))) => {
            "La convention a changé depuis que vous l'avez ouverte : relisez-la, puis signez-la."
                .to_owned()
        }
        Err(RunError::Store(StoreError::Domain(
            DomainError::Conflict { message, .. } | DomainError::NotPermitted { message, .. },
        ))) => message,
        Err(RunError::Store(StoreError::Domain(DomainError::Forbidden))) => {
            "Seul le président ou la présidente de l'association signe la convention.".to_owned()
        }
        Err(error) => return unless_hidden(&portal, error),
    };
    let page = agreement_page(&portal, &req, &visitor, id, &[field_error("read", message)]).await;
    crate::forms::unprocessable(page)
}
