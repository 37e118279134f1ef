//! The directions' API clients, for admins (`/admin/clients`): each with its direction, its
//! identifier, when it last signed in and whether it still may; the form that creates one,
//! whose secret is shown once (only its hash is kept); revoking one (its tokens stop
//! working); and a new secret, the one before still working for the hours chosen so that the
//! direction's system moves over without a gap. Each through the API's use cases, each in
//! the audit trail. Anyone else finds nothing here (404).

use super::typed::{Typed, field, whole_number};
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
use simpa_app::service_accounts::{self, CreatedClient, MAX_OVERLAP_HOURS};
use simpa_domain::FieldError;
use simpa_domain::ids::{DirectionId, ServiceAccountId};
use uuid::Uuid;

/// Where the clients are listed.
const CLIENTS: &str = "/admin/clients";

#[derive(Deserialize)]
pub struct DoneQuery {
    fait: Option<String>,
}

/// The API clients, and the form that creates one.
#[get("/admin/clients")]
pub async fn client_list(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = query
        .fait
        .as_deref()
        .map(|_| "Client révoqué : il ne peut plus se connecter, et ses jetons ne valent plus.");
    list_page(&portal, &req, &visitor, done, vec![], Typed::new()).await
}

/// The list of clients after `done`, or with the creating form's `errors` and what was typed.
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
            let clients = service_accounts::list(conn, subject)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            Ok((clients, directions))
        })
        .await;
    let (clients, directions) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let data = context! {
        done => done,
        typed => typed,
        max_overlap => MAX_OVERLAP_HOURS,
        clients => clients.iter().map(|c| context! {
            id => c.id.to_string(),
            name => c.name,
            client_id => c.client_id,
            direction => directions.iter().find(|d| d.id == c.direction_id).map_or(c.direction_code.clone(), |d| d.name.clone()),
            active => c.active,
            created => city_moment(portal, c.created_at),
            last_used => c.last_used_at.map(|at| city_moment(portal, at)),
            previous_until => c.previous_secret_until.filter(|until| *until > portal.runtime.now()).map(|at| city_moment(portal, at)),
        }).collect::<Vec<_>>(),
        directions => directions.iter().filter(|d| d.active).map(|d| context! { code => d.id.to_string(), label => d.name }).collect::<Vec<_>>(),
    };
    let page = errors_page("admin_clients.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// The page that shows a client's secret, once: kept out of every cache.
fn secret_page(
    portal: &Portal,
    visitor: &Visitor,
    created: &CreatedClient,
    renewed: bool,
) -> HttpResponse {
    let mut answer = Page::new(
        "admin_client_secret.html",
        context! {
            name => created.client.name,
            client_id => created.client.client_id,
            secret => created.secret,
            renewed => renewed,
        },
    )
    .visitor(visitor)
    .answer(portal);
    answer.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    answer
}

/// A client created for a direction: its secret shown once.
#[post("/admin/clients")]
pub async fn create_client(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let name = field(&typed, "name").to_owned();
    let Some(direction) = Uuid::parse_str(field(&typed, "direction_id"))
        .ok()
        .map(DirectionId::from_uuid)
    else {
        // The name is checked as the use case checks it, so that both are said at once.
        let mut errors = vec![];
        if let Err(violation) = simpa_domain::association::parse_line(&name) {
            errors.push(field_error("name", violation.message));
        }
        errors.push(field_error(
            "direction_id",
            "Choisissez la direction du client.",
        ));
        return list_page(&portal, &req, &visitor, None, errors, typed).await;
    };
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let created = portal
        .runtime
        .write(move |conn| service_accounts::create(conn, subject, &name, direction, now))
        .await;
    match created {
        Ok(created) => secret_page(&portal, &visitor, &created, false),
        Err(error) => match refused_at(&error, str::to_owned, "name") {
            Some(errors) => list_page(&portal, &req, &visitor, None, errors, typed).await,
            None => unless_hidden(&portal, error),
        },
    }
}

/// A client revoked.
#[post("/admin/clients/{id}/revocation")]
pub async fn revoke_client(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let id = ServiceAccountId::from_uuid(path.into_inner());
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    match portal
        .runtime
        .write(move |conn| service_accounts::revoke(conn, subject, id, now))
        .await
    {
        Ok(()) => see_other(&format!("{CLIENTS}?fait=revoque")),
        Err(error) => unless_hidden(&portal, error),
    }
}

/// A client's new secret, shown once; the one before works the hours chosen more.
#[post("/admin/clients/{id}/secret")]
pub async fn renew_secret(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(typed): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let overlap_field = format!("overlap-{id}");
    let mut errors = vec![];
    let overlap = whole_number(&typed, &overlap_field, &mut errors).unwrap_or(0);
    if !errors.is_empty() {
        return list_page(&portal, &req, &visitor, None, errors, typed).await;
    }
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let client = ServiceAccountId::from_uuid(id);
    let renewed = portal
        .runtime
        .write(move |conn| service_accounts::rotate_secret(conn, subject, client, overlap, now))
        .await;
    match renewed {
        Ok(created) => secret_page(&portal, &visitor, &created, true),
        Err(error) => match refused_at(&error, |_| overlap_field.clone(), &overlap_field) {
            Some(errors) => list_page(&portal, &req, &visitor, None, errors, typed).await,
            None => unless_hidden(&portal, error),
        },
    }
}
