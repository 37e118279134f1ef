//! The filters of the agents' lists saved under a name (`/agents/filtres`): one saved from the
//! list it filters, kept for the agent or shared with one of their services, and deleted by
//! its author.

use super::staff_list::{ListQuery, list_page};
use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::refused_at;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, post, web};
use simpa_app::saved_filters::{self, NewSavedFilter};
use simpa_domain::saved_filter::{FilteredList, Service};
use uuid::Uuid;

/// The list's filter (`requete`, as its address says it) saved under its name (`nom`), shared
/// with a service of the agent's (`partage`) or kept for them; the list it filters next.
#[post("/agents/filtres")]
pub async fn save(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let query = field(&form, "requete").to_owned();
    let filter = NewSavedFilter {
        list: FilteredList::Requests,
        name: field(&form, "nom").to_owned(),
        query: query.clone(),
        shared_with: Service::parse_key(field(&form, "partage")),
    };
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let saved = portal
        .runtime
        .write(move |conn| saved_filters::save(conn, subject, filter, now))
        .await;
    match saved {
        Ok(_) => see_other(&format!("/agents/demandes?{query}&fait=filtre")),
        Err(error) => {
            let at = |rule: &str| match rule {
                "shared_with" => "partage".to_owned(),
                _ => "nom".to_owned(),
            };
            match refused_at(&error, at, "nom") {
                Some(errors) => {
                    let list: ListQuery = serde_urlencoded::from_str(&query).unwrap_or_default();
                    list_page(&portal, &req, &visitor, &list, None, Some((errors, form))).await
                }
                None => unless_hidden(&portal, error),
            }
        }
    }
}

/// One of the agent's own filters deleted.
#[post("/agents/filtres/{id}/suppression")]
pub async fn delete(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let (id, subject) = (path.into_inner(), visitor.subject());
    match portal
        .runtime
        .write(move |conn| saved_filters::delete(conn, subject, id))
        .await
    {
        Ok(()) => see_other("/agents/demandes?fait=filtre-supprime"),
        Err(error) => unless_hidden(&portal, error),
    }
}
