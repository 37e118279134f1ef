//! The documents the city checks (`/agents/pieces`): every version filed and waiting for its
//! review (every association's for the bureau, its district's for a town hall), filtered by
//! kind, district and day filed, the longest waiting first or the last filed first, each with
//! its file to open and the buttons that accept it or refuse it with a reason the association
//! reads; with the filters saved for the list, and the list as a spreadsheet.

use super::listing::{self, EXPORT_PAGE, Frame};
use super::staff::chosen;
use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{city_date, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::exports::{Cell, Spreadsheet};
use crate::forms::{errors_page, form_page, refused_at};
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono_tz::Tz;
use minijinja::{Value, context};
use serde::Deserialize;
use simpa_app::{documents, saved_filters};
use simpa_domain::FieldError;
use simpa_domain::document::{DocumentKind, ReviewState};
use simpa_domain::ids::{AssociationId, DocumentVersionId};
use simpa_domain::listing::DocumentOrder;
use simpa_domain::saved_filter::FilteredList;
use simpa_persistence::documents::WaitingFilter;
use uuid::Uuid;

/// How many documents the page lists at once.
const SHOWN: usize = 50;

/// The documents to review as the agent filters and orders them.
#[derive(Deserialize, Default)]
pub struct ReviewedQuery {
    /// One kind of document (its code).
    piece: Option<String>,
    arrondissement: Option<String>,
    /// Filed from and up to these days (city time), as typed.
    depose_du: Option<String>,
    depose_au: Option<String>,
    tri: Option<String>,
    /// What was just done: a review (its state's code), a filter saved or deleted.
    fait: Option<String>,
    apres: Option<String>,
}

impl ReviewedQuery {
    /// The filter it asks for, and the days typed wrong, said at their fields.
    fn filter(&self, timezone: Tz) -> (WaitingFilter, Vec<FieldError>) {
        let mut errors = vec![];
        let filter = WaitingFilter {
            kind: chosen(&self.piece).map(str::to_owned),
            district: listing::district(&self.arrondissement),
            filed_from: listing::day_start(
                "depose_du",
                &self.depose_du,
                false,
                timezone,
                &mut errors,
            ),
            filed_until: listing::day_start(
                "depose_au",
                &self.depose_au,
                true,
                timezone,
                &mut errors,
            ),
            order: chosen(&self.tri)
                .and_then(DocumentOrder::from_code)
                .unwrap_or_default(),
        };
        (filter, errors)
    }

    fn criteria(&self) -> [(&'static str, &Option<String>); 5] {
        [
            ("piece", &self.piece),
            ("arrondissement", &self.arrondissement),
            ("depose_du", &self.depose_du),
            ("depose_au", &self.depose_au),
            ("tri", &self.tri),
        ]
    }
}

/// The documents waiting for the agent's review.
#[get("/agents/pieces")]
pub async fn documents_to_review(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<ReviewedQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let done = match query.fait.as_deref().and_then(ReviewState::from_code) {
        Some(state) => Some(format!(
            "Pièce {}e. L'association le voit sur la page de ses documents.",
            state.label().to_lowercase()
        )),
        None => listing::filter_done(query.fait.as_deref()).map(str::to_owned),
    };
    review_page(&portal, &req, &visitor, &query, done.as_deref(), None).await
}

/// The page of documents to review as `query` filters it, after `done`, or with a form's
/// `errors` (and what was typed): a refusal's at its document, a filter's saving.
pub(super) async fn review_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    query: &ReviewedQuery,
    done: Option<&str>,
    refused: Option<(Vec<FieldError>, Typed)>,
) -> HttpResponse {
    let subject = visitor.subject();
    let (filter, mut errors) = query.filter(portal.runtime.timezone);
    let from = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| {
            let page = documents::to_review(conn, subject, &filter, from.as_ref(), SHOWN)?;
            let kinds = documents::kinds(conn, subject)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            let saved = saved_filters::visible(conn, subject, FilteredList::Documents)?;
            Ok((page, kinds, directions, saved))
        })
        .await;
    let (page, kinds, directions, (saved, services)) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|w| {
            let v = &w.version;
            context! {
                id => v.facts.id.to_string(),
                association_id => v.association_id.to_string(),
                association => w.association_name,
                kind => kind_label(&kinds, &v.kind_code),
                filed_on => city_date(portal, v.facts.filed_at),
                fiscal_year => v.facts.fiscal_year,
                valid_until => v.facts.valid_until.map(simpa_domain::french::long_french_date),
                file => v.file.as_ref().map(|f| f.file_name.clone()),
                holder => v.bank.as_ref().map(|b| b.account_holder.clone()),
            }
        })
        .collect();
    let (refusal, typed) = refused.unwrap_or_default();
    errors.extend(refusal);
    let data = context! {
        items => items,
        done => done,
        kinds => kinds.iter().map(|k| context! { code => k.code, label => k.label }).collect::<Vec<_>>(),
        districts => listing::districts(),
        orders => listing::orders(DocumentOrder::ALL, DocumentOrder::code, DocumentOrder::label),
        chosen => context! {
            piece => query.piece, arrondissement => query.arrondissement, tri => query.tri,
            depose_du => listing::typed_day(&query.depose_du),
            depose_au => listing::typed_day(&query.depose_au),
        },
        typed => typed.clone(),
        ..Frame {
            list: FilteredList::Documents,
            criteria: &query.criteria(),
            next: page.next.as_ref().map(simpa_app::cursor::encode),
            paged: query.apres.is_some(),
            filters: &saved,
            services: &services,
            directions: &directions,
            me: subject,
            typed,
        }.shown()
    };
    let page = errors_page("staff_documents.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A kind of document, named.
fn kind_label<'a>(kinds: &'a [DocumentKind], code: &'a str) -> &'a str {
    kinds
        .iter()
        .find(|k| k.code == code)
        .map_or(code, |k| k.label.as_str())
}

/// The columns of the documents to review as a spreadsheet.
const COLUMNS: &[&str] = &[
    "Pièce",
    "Association",
    "Arrondissement",
    "Fichier",
    "Déposée le",
    "Exercice",
    "Valable jusqu'au",
    "Titulaire du compte",
];

/// The documents to review as filtered and ordered, every page of them, as a spreadsheet.
#[get("/agents/pieces.{format:(csv|xlsx)}")]
pub async fn documents_export(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<String>,
    query: web::Query<ReviewedQuery>,
) -> HttpResponse {
    let format = Spreadsheet::of_extension(&path);
    let (subject, tz) = (visitor.subject(), portal.runtime.timezone);
    let (filter, _) = query.filter(tz);
    let names = ("pieces", "Pièces à vérifier");
    listing::download(&portal, format, names, COLUMNS, move |conn, sheet| {
        let kinds = documents::kinds(conn, subject)?;
        listing::write_pages(
            sheet,
            |after| documents::to_review(conn, subject, &filter, after, EXPORT_PAGE),
            |w| {
                let v = &w.version;
                vec![
                    Cell::Text(kind_label(&kinds, &v.kind_code).to_owned()),
                    Cell::Text(w.association_name.clone()),
                    Cell::Text(w.district.map(|d| d.0.to_string()).unwrap_or_default()),
                    Cell::Text(
                        v.file
                            .as_ref()
                            .map(|f| f.file_name.clone())
                            .unwrap_or_default(),
                    ),
                    Cell::Day(Some(v.facts.filed_at.with_timezone(&tz).date_naive())),
                    Cell::Text(
                        v.facts
                            .fiscal_year
                            .map(|y| y.to_string())
                            .unwrap_or_default(),
                    ),
                    Cell::Day(v.facts.valid_until),
                    Cell::Text(
                        v.bank
                            .as_ref()
                            .map(|b| b.account_holder.clone())
                            .unwrap_or_default(),
                    ),
                ]
            },
        )
    })
    .await
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
    let notifier = portal.runtime.notifier.clone();
    let reviewed = portal
        .runtime
        .write(move |conn| {
            documents::review(
                conn,
                subject,
                AssociationId::from_uuid(association),
                DocumentVersionId::from_uuid(version),
                documents::Verdict {
                    decision,
                    reason: reason.as_deref(),
                },
                now,
                &notifier,
            )
        })
        .await;
    match reviewed {
        Ok(_) => see_other(&format!("/agents/pieces?fait={}", decision.code())),
        Err(error) => match refused_at(&error, |_| reason_field.clone(), &reason_field) {
            Some(errors) => {
                let query = ReviewedQuery::default();
                review_page(&portal, &req, &visitor, &query, None, Some((errors, typed))).await
            }
            None => unless_hidden(&portal, error),
        },
    }
}
