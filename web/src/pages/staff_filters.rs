//! The filters of the agents' lists saved under a name (`/agents/filtres`): one saved from the
//! list it filters, kept for the agent or shared with one of their services, and deleted by
//! its author.

use super::listing;
use super::staff_list::Listing;
use super::typed::{Typed, field};
use super::{staff_associations, staff_documents, staff_list, staff_payments};
use crate::Portal;
use crate::answers::{see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::refused_at;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::de::DeserializeOwned;
use simpa_app::saved_filters::{self, NewSavedFilter};
use simpa_domain::FieldError;
use simpa_domain::saved_filter::{FilteredList, Service};
use uuid::Uuid;

/// The list a form names (`liste`), the requests' when it names none.
fn list_of(form: &Typed) -> FilteredList {
    FilteredList::from_code(field(form, "liste")).unwrap_or(FilteredList::Requests)
}

/// The criteria of a list (`requete`, as its address says it) saved under their name (`nom`),
/// shared with a service of the agent's (`partage`) or kept for them; the list they filter
/// next.
#[post("/agents/filtres")]
pub async fn save(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let (list, query) = (list_of(&form), field(&form, "requete").to_owned());
    let filter = NewSavedFilter {
        list,
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
        Ok(_) => see_other(&format!("{}?{query}&fait=filtre", listing::path(list))),
        Err(error) => {
            let at = |rule: &str| match rule {
                "shared_with" => "partage".to_owned(),
                _ => "nom".to_owned(),
            };
            match refused_at(&error, at, "nom") {
                Some(errors) => {
                    list_again(&portal, &req, &visitor, list, &query, errors, form).await
                }
                None => unless_hidden(&portal, error),
            }
        }
    }
}

/// The list filtered by `query` again, with the form that saves it refused.
async fn list_again(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    list: FilteredList,
    query: &str,
    errors: Vec<FieldError>,
    form: Typed,
) -> HttpResponse {
    let refused = Some((errors, form));
    match list {
        FilteredList::Requests | FilteredList::Reports => {
            let listing = match list {
                FilteredList::Reports => Listing::Reports,
                _ => Listing::Requests,
            };
            let query = parsed(query);
            staff_list::list_page(portal, req, visitor, listing, &query, None, refused).await
        }
        FilteredList::Associations => {
            let query = parsed(query);
            staff_associations::list_page(portal, req, visitor, &query, None, refused).await
        }
        FilteredList::Documents => {
            let query = parsed(query);
            staff_documents::review_page(portal, req, visitor, &query, None, refused).await
        }
        FilteredList::Payments => {
            let query = parsed(query);
            staff_payments::due_page(portal, req, visitor, &query, None, refused).await
        }
    }
}

/// A list's criteria as its address says them; none when they do not read.
fn parsed<T: DeserializeOwned + Default>(query: &str) -> T {
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// One of the agent's own filters deleted; back to the list it filtered.
#[post("/agents/filtres/{id}/suppression")]
pub async fn delete(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let (id, subject) = (path.into_inner(), visitor.subject());
    match portal
        .runtime
        .write(move |conn| saved_filters::delete(conn, subject, id))
        .await
    {
        Ok(()) => see_other(&format!(
            "{}?fait=filtre-supprime",
            listing::path(list_of(&form))
        )),
        Err(error) => unless_hidden(&portal, error),
    }
}
