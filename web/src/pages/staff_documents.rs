//! The documents the city checks (`/agents/pieces`): every version filed and waiting for its
//! review, the longest waiting first (every association's for the bureau, its district's for a
//! town hall), each with its file to open and the buttons that accept it or refuse it with a
//! reason the association reads.

use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{city_date, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, form_page, refused_at};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::documents;
use simpa_domain::FieldError;
use simpa_domain::document::ReviewState;
use simpa_domain::ids::{AssociationId, DocumentVersionId};
use uuid::Uuid;

/// How many documents the page lists at once.
const SHOWN: usize = 50;

#[derive(Deserialize)]
pub struct ReviewedQuery {
    fait: Option<String>,
    apres: Option<String>,
}

/// The documents waiting for the agent's review.
#[get("/agents/pieces")]
pub async fn documents_to_review(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<ReviewedQuery>,
) -> HttpResponse {
    let done = query.fait.as_deref().and_then(ReviewState::from_code);
    let after = query.apres.clone();
    review_page(&portal, &req, &visitor, after, done, None).await
}

/// The page of documents to review, after a review `done`, or with a refusal's `errors`
/// (and what was typed) at its document's form.
async fn review_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    after: Option<String>,
    done: Option<ReviewState>,
    refused: Option<(Vec<FieldError>, Typed)>,
) -> HttpResponse {
    let subject = visitor.subject();
    let from = after.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            let page = documents::to_review(conn, subject, from.as_ref(), SHOWN)?;
            let kinds = documents::kinds(conn, subject)?;
            Ok((page, kinds))
        })
        .await;
    let (page, kinds) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|w| {
            let v = &w.version;
            let label = kinds
                .iter()
                .find(|k| k.code == v.kind_code)
                .map_or(v.kind_code.as_str(), |k| k.label.as_str());
            context! {
                id => v.facts.id.to_string(),
                association_id => v.association_id.to_string(),
                association => w.association_name,
                kind => label,
                filed_on => city_date(portal, v.facts.filed_at),
                fiscal_year => v.facts.fiscal_year,
                valid_until => v.facts.valid_until.map(simpa_domain::wording::long_french_date),
                file => v.file.as_ref().map(|f| f.file_name.clone()),
                holder => v.bank.as_ref().map(|b| b.account_holder.clone()),
            }
        })
        .collect();
    let (errors, typed) = refused.unwrap_or_default();
    let data = context! {
        items => items,
        done => done.map(|d| d.label()),
        next => page.next.as_ref().map(|n| format!("/agents/pieces?apres={}", simpa_app::cursor::encode(n))),
        first => after.map(|_| "/agents/pieces"),
        typed => typed,
    };
    let page = errors_page("staff_documents.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A document accepted, or refused with the reason the association reads.
#[post("/agents/pieces/{association}/{version}")]
pub async fn review(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let (association, version) = path.into_inner();
    let decision = match field(&typed, "decision") {
        "accepted" => ReviewState::Accepted,
        _ => ReviewState::Rejected,
    };
    let reason_field = format!("reason-{version}");
    let reason = Some(field(&typed, &reason_field).trim().to_owned()).filter(|r| !r.is_empty());
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let reviewed = portal
        .runtime
        .write(move |conn| {
            documents::review(
                conn,
                subject,
                AssociationId::from_uuid(association),
                DocumentVersionId::from_uuid(version),
                decision,
                reason.as_deref(),
                now,
            )
        })
        .await;
    match reviewed {
        Ok(_) => see_other(&format!("/agents/pieces?fait={}", decision.code())),
        Err(error) => match refused_at(&error, |_| reason_field.clone(), &reason_field) {
            Some(errors) => {
                review_page(&portal, &req, &visitor, None, None, Some((errors, typed))).await
            }
            None => unless_hidden(&portal, error),
        },
    }
}
