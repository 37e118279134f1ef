//! The webhook endpoints of the directions' systems, for admins (`/admin/webhooks`): each
//! with its address, the direction whose requests it follows and the events it hears; the
//! form that registers one (its address checked to be one Simpa may call, its signing secret
//! shown once); an endpoint's page with its calls, the latest first, each with its attempts
//! and last error and the button that sends it again; and removing one (it hears nothing
//! more, its log stays). Anyone else finds nothing here (404).

use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{city_moment, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{errors_page, field_error, form_page, refused_at};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::webhooks::{self, NewEndpoint};
use simpa_domain::FieldError;
use simpa_domain::circuit::ActionKind;
use simpa_domain::contact::WebsiteUrl;
use simpa_domain::ids::DirectionId;
use simpa_domain::outbox::MessageStatus;
use simpa_domain::policy::{Action, Subject};
use simpa_persistence::{DbConnection, StoreResult};
use uuid::Uuid;

/// Where the endpoints are listed.
const WEBHOOKS: &str = "/admin/webhooks";

/// How many calls an endpoint's page shows.
const SHOWN: usize = 50;

/// The administration's gate: admins only.
fn admin(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<()> {
    require(conn, subject, Action::ManageServiceAccounts).map(|_| ())
}

#[derive(Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
}

/// The endpoints, and the form that registers one.
#[get("/admin/webhooks")]
pub async fn endpoint_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = query.fait.as_deref().map(
        |_| "Point de réception retiré : il ne reçoit plus rien ; ses envois restent lisibles.",
    );
    list_page(&portal, &req, &visitor, done, vec![], Typed::new()).await
}

/// The list of endpoints after `done`, or with the registering form's `errors` and what was
/// typed.
async fn list_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    done: Option<&str>,
    errors: Vec<FieldError>,
    typed: Typed,
) -> HttpResponse {
    let subject = visitor.subject();
    let found = portal
        .runtime
        .read(move |conn| {
            admin(conn, subject)?;
            let endpoints = webhooks::list(conn, subject)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            Ok((endpoints, directions))
        })
        .await;
    let (endpoints, directions) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let direction_name = |id: Option<DirectionId>| match id {
        Some(id) => directions
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_string(), |d| d.name.clone()),
        None => "Toutes les directions".to_owned(),
    };
    let data = context! {
        done => done,
        typed => typed,
        endpoints => endpoints.iter().map(|e| context! {
            id => e.id.to_string(),
            url => e.url,
            direction => direction_name(e.direction),
            events => events_said(&e.event_types),
            active => e.active,
        }).collect::<Vec<_>>(),
        directions => directions.iter().filter(|d| d.active).map(|d| context! { code => d.id.to_string(), label => d.name }).collect::<Vec<_>>(),
        events => ActionKind::ALL.iter().map(|a| context! { code => a.code(), label => a.label() }).collect::<Vec<_>>(),
    };
    let page = errors_page("admin_webhooks.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The events an endpoint hears, said.
fn events_said(types: &[String]) -> String {
    if types.is_empty() {
        return "Tous les événements".to_owned();
    }
    types
        .iter()
        .map(|t| ActionKind::from_code(t).map_or(t.clone(), |a| a.label().to_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An endpoint registered: its address (one Simpa may call), the direction it follows (none:
/// every request) and the events it hears (none ticked: all); its secret shown once.
#[post("/admin/webhooks")]
pub async fn register(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let url = match WebsiteUrl::parse(field(&typed, "url")) {
        Ok(url) => url,
        Err(violation) => {
            let errors = vec![field_error("url", violation.message)];
            return list_page(&portal, &req, &visitor, None, errors, typed).await;
        }
    };
    let allowed = &portal.settings.webhook_allowed_hosts;
    if let Err(violation) = webhooks::check_reachable(url.as_str(), allowed).await {
        let errors = vec![field_error("url", violation.message)];
        return list_page(&portal, &req, &visitor, None, errors, typed).await;
    }
    let direction = Uuid::parse_str(field(&typed, "direction_id"))
        .ok()
        .map(DirectionId::from_uuid);
    let event_types = ActionKind::ALL
        .iter()
        .filter(|a| field(&typed, &format!("event-{}", a.code())) == "oui")
        .map(|a| a.code().to_owned())
        .collect();
    let new = NewEndpoint {
        url,
        secret: simpa_app::secrets::random_token(),
        event_types,
    };
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let registered = portal
        .runtime
        .write(move |conn| {
            admin(conn, subject)?;
            let (actor, direction) = webhooks::may_register(conn, subject, direction)?;
            webhooks::register(conn, &actor, direction, new, now)
        })
        .await;
    match registered {
        Ok(endpoint) => {
            let data = context! { id => endpoint.id.to_string(), url => endpoint.url, secret => endpoint.secret };
            let mut answer = Page::new("admin_webhook_secret.html", data)
                .visitor(&visitor)
                .answer(&portal);
            answer.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            answer
        }
        Err(error) => match refused_at(&error, str::to_owned, "url") {
            Some(errors) => list_page(&portal, &req, &visitor, None, errors, typed).await,
            None => unless_hidden(&portal, error),
        },
    }
}

/// An endpoint's page: what it hears, and its calls, the latest first.
#[get("/admin/webhooks/{id}")]
pub async fn endpoint_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let (id, subject) = (path.into_inner(), visitor.subject());
    let found = portal
        .runtime
        .read(move |conn| {
            admin(conn, subject)?;
            let endpoint = webhooks::managed(conn, subject, id)?;
            let calls = webhooks::deliveries(conn, subject, id, None, SHOWN)?;
            Ok((endpoint, calls))
        })
        .await;
    let (endpoint, calls) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(&portal, error),
    };
    let data = context! {
        id => id.to_string(),
        url => endpoint.url,
        events => events_said(&endpoint.event_types),
        active => endpoint.active,
        done => query.fait.is_some(),
        calls => calls.items.iter().map(|m| context! {
            id => m.id.to_string(),
            subject => m.subject,
            status => m.status.label(),
            sent => m.status == MessageStatus::Sent,
            attempts => m.attempts,
            error => m.last_error,
            created => city_moment(&portal, m.created_at),
        }).collect::<Vec<_>>(),
    };
    let page = Page::new("admin_webhook.html", data).visitor(&visitor);
    form_page(&portal, &req, page)
}

/// An endpoint removed: it hears nothing more.
#[post("/admin/webhooks/{id}/retrait")]
pub async fn remove(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let (id, subject) = (path.into_inner(), visitor.subject());
    match portal
        .runtime
        .write(move |conn| {
            admin(conn, subject)?;
            webhooks::remove(conn, subject, id)
        })
        .await
    {
        Ok(()) => see_other(&format!("{WEBHOOKS}?fait=retrait")),
        Err(error) => unless_hidden(&portal, error),
    }
}

/// A call sent again, as it was.
#[post("/admin/webhooks/{id}/envois/{delivery}")]
pub async fn redeliver(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let ((id, delivery), subject) = (path.into_inner(), visitor.subject());
    let now = portal.runtime.now();
    match portal
        .runtime
        .write(move |conn| {
            admin(conn, subject)?;
            webhooks::redeliver(conn, subject, id, delivery, now).map(|_| ())
        })
        .await
    {
        Ok(()) => see_other(&format!("{WEBHOOKS}/{id}?fait=renvoi")),
        Err(error) => unless_hidden(&portal, error),
    }
}
