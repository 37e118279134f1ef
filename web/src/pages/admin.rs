//! The administration of Simpa, for its admins (`/admin`): the accounts and their staff
//! roles (granted and revoked through the API's use cases, each in the audit trail), the
//! outbox (what waits to be sent, what was, what was given up, and putting a message given up
//! back in line), and the audit trail. Anyone else finds nothing here (404).

use super::staff::DoneQuery;
use super::staff::chosen;
use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{city_moment, see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::{answered, errors_page, field_error, form_page};
use crate::render::Page;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use minijinja::context;
use serde::Deserialize;
use simpa_app::access::require;
use simpa_app::{accounts, audit, notify};
use simpa_domain::FieldError;
use simpa_domain::audit::AuditAction;
use simpa_domain::french::ordinal;
use simpa_domain::ids::{AccountId, DirectionId, DistrictNumber, StaffRoleId};
use simpa_domain::outbox::MessageStatus;
use simpa_domain::policy::Action;
use simpa_domain::roles::{StaffRole, StaffRoleKind};
use uuid::Uuid;

/// How many lines a page of the administration's lists shows.
const SHOWN: usize = 50;

#[get("/admin")]
pub async fn admin_home(portal: web::Data<Portal>, visitor: Visitor) -> HttpResponse {
    let subject = visitor.subject();
    let allowed = portal
        .runtime
        .read(move |conn| require(conn, subject, Action::ManageAccounts).map(|_| ()))
        .await;
    if let Err(error) = allowed {
        return unless_hidden(&portal, error);
    }
    Page::new("admin_home.html", context! {})
        .visitor(&visitor)
        .answer(&portal)
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    apres: Option<String>,
}

#[get("/admin/comptes")]
pub async fn account_list(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<SearchQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let subject = visitor.subject();
    let search = chosen(&query.q).map(str::to_lowercase);
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| accounts::list(conn, subject, search.as_deref(), after.as_ref(), SHOWN))
        .await;
    let page = match found {
        Ok(page) => page,
        Err(error) => return unless_hidden(&portal, error),
    };
    let q = query.q.clone().unwrap_or_default();
    let address = |after: Option<String>| {
        let mut pairs = vec![("q", q.clone())];
        pairs.extend(after.map(|a| ("apres", a)));
        format!(
            "/admin/comptes?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let data = context! {
        q => q.clone(),
        items => page.items.iter().map(|a| context! {
            id => a.id.to_string(), email => a.email, name => a.display_name, active => a.active,
        }).collect::<Vec<_>>(),
        next => page.next.as_ref().map(|n| address(Some(simpa_app::cursor::encode(n)))),
        first => query.apres.as_ref().map(|_| address(None)),
    };
    Page::new("admin_accounts.html", data)
        .visitor(&visitor)
        .answer(&portal)
}

#[get("/admin/comptes/{id}")]
pub async fn account_page(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    query: web::Query<DoneQuery>,
) -> HttpResponse {
    let done = match query.fait.as_deref() {
        Some("role") => Some("Rôle accordé : il vaut dès la prochaine page que la personne ouvre."),
        Some("retrait") => {
            Some("Rôle retiré : il ne vaut plus dès la prochaine page que la personne ouvre.")
        }
        _ => None,
    };
    account(
        &portal,
        &req,
        &visitor,
        path.into_inner(),
        done,
        vec![],
        Typed::new(),
    )
    .await
}

/// An account's page: who it is, its roles (each with the button that revokes it), its
/// memberships, and the form that grants a role.
async fn account(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    id: Uuid,
    done: Option<&str>,
    errors: Vec<FieldError>,
    typed: Typed,
) -> HttpResponse {
    let subject = visitor.subject();
    let account_id = AccountId::from_uuid(id);
    let found = portal
        .runtime
        .read(move |conn| {
            require(conn, subject, Action::ManageAccounts)?;
            let file = accounts::read(conn, subject, account_id)?;
            let directions = simpa_app::reference::directions(conn, subject)?;
            Ok((file, directions))
        })
        .await;
    let (file, directions) = match found {
        Ok(found) => found,
        Err(error) => return unless_hidden(portal, error),
    };
    let role_name = |role: &StaffRole| {
        let scope = match role {
            StaffRole::Instructor(d) => directions
                .iter()
                .find(|x| x.id == *d)
                .map(|x| format!(" : {}", x.name)),
            StaffRole::District(n) => Some(format!(" : {} arrondissement", ordinal(*n))),
            _ => None,
        };
        format!("{}{}", role.kind().label(), scope.unwrap_or_default())
    };
    let data = context! {
        id => id.to_string(),
        email => file.account.email,
        name => file.account.display_name,
        active => file.account.active,
        last_sign_in => file.last_sign_in.map(|t| city_moment(portal, t)),
        two_factor => file.two_factor,
        roles => file.staff_roles.iter().map(|g| context! {
            id => g.id.to_string(), name => role_name(&g.role), since => city_moment(portal, g.granted_at),
        }).collect::<Vec<_>>(),
        memberships => file.memberships.iter().map(|m| context! {
            association => m.association_name, role => m.role.label(),
        }).collect::<Vec<_>>(),
        kinds => StaffRoleKind::ALL.iter().map(|k| context! { code => k.code(), label => k.label() }).collect::<Vec<_>>(),
        directions => directions.iter().filter(|d| d.active).map(|d| context! { code => d.id.to_string(), label => d.name }).collect::<Vec<_>>(),
        districts => DistrictNumber::PARIS.map(|n| context! { code => n.to_string(), label => simpa_domain::french::district(DistrictNumber(n)) }).collect::<Vec<_>>(),
        typed => typed,
        done => done,
    };
    let page = errors_page("admin_account.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A staff role granted: its kind, and the direction of an instructor or the district of a
/// town hall.
#[post("/admin/comptes/{id}/roles")]
pub async fn grant_role(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let Some(kind) = StaffRoleKind::from_code(field(&form, "kind")) else {
        let errors = vec![field_error("kind", "Choisissez le rôle à accorder.")];
        return account(&portal, &req, &visitor, id, None, errors, form).await;
    };
    let direction = Uuid::parse_str(field(&form, "direction_id"))
        .ok()
        .map(DirectionId::from_uuid);
    let district = field(&form, "district_number")
        .parse()
        .ok()
        .map(DistrictNumber);
    let role = match StaffRole::from_parts(kind, direction, district) {
        Ok(role) => role,
        Err(errors) => return account(&portal, &req, &visitor, id, None, errors, form).await,
    };
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let granted = portal
        .runtime
        .write(move |conn| {
            accounts::grant_staff_role(conn, subject, AccountId::from_uuid(id), role, now)
                .map(|_| ())
        })
        .await;
    let next = format!("/admin/comptes/{id}?fait=role");
    answered(&portal, granted, &next, str::to_owned, "kind", |errors| {
        account(&portal, &req, &visitor, id, None, errors, form)
    })
    .await
}

/// A staff role revoked.
#[post("/admin/comptes/{id}/roles/{role}/retrait")]
pub async fn revoke_role(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<(Uuid, Uuid)>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let (id, role) = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let revoked = portal
        .runtime
        .write(move |conn| {
            let (account, role) = (AccountId::from_uuid(id), StaffRoleId::from_uuid(role));
            accounts::revoke_staff_role(conn, subject, account, role, now)
        })
        .await;
    match revoked {
        Ok(()) => see_other(&format!("/admin/comptes/{id}?fait=retrait")),
        Err(error) => unless_hidden(&portal, error),
    }
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    etat: Option<String>,
    apres: Option<String>,
    fait: Option<String>,
}

#[get("/admin/envois")]
pub async fn outbox(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    query: web::Query<OutboxQuery>,
) -> HttpResponse {
    outbox_page(&portal, &req, &visitor, query.into_inner(), vec![]).await
}

/// The outbox, the latest first, of one status (given up, by default).
async fn outbox_page(
    portal: &Portal,
    req: &HttpRequest,
    visitor: &Visitor,
    query: OutboxQuery,
    errors: Vec<FieldError>,
) -> HttpResponse {
    let status = chosen(&query.etat)
        .and_then(MessageStatus::from_code)
        .unwrap_or(MessageStatus::Failed);
    let subject = visitor.subject();
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| notify::outbox(conn, subject, Some(status), after.as_ref(), SHOWN))
        .await;
    let page = match found {
        Ok(page) => page,
        Err(error) => return unless_hidden(portal, error),
    };
    let data = context! {
        status => status.code(),
        statuses => MessageStatus::ALL.iter().map(|s| context! { code => s.code(), label => s.label() }).collect::<Vec<_>>(),
        items => page.items.iter().map(|m| context! {
            id => m.id.to_string(),
            channel => m.channel.label(),
            recipient => m.recipient,
            subject => m.subject,
            attempts => m.attempts,
            error => m.last_error,
            created => city_moment(portal, m.created_at),
            sent => m.sent_at.map(|t| city_moment(portal, t)),
            failed => m.status == MessageStatus::Failed,
        }).collect::<Vec<_>>(),
        next => page.next.as_ref().map(|n| format!("/admin/envois?etat={}&apres={}", status.code(), simpa_app::cursor::encode(n))),
        done => query.fait.is_some(),
    };
    let page = errors_page("admin_outbox.html", &errors, data).visitor(visitor);
    form_page(portal, req, page)
}

/// A message given up, put back in line to be tried again now.
#[post("/admin/envois/{id}/renvoi")]
pub async fn requeue(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(_): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let (subject, now) = (visitor.subject(), portal.runtime.now());
    let done = portal
        .runtime
        .write(move |conn| notify::requeue(conn, subject, id, now))
        .await;
    let next = "/admin/envois?etat=failed&fait=oui";
    answered(
        &portal,
        done,
        next,
        |_| "envoi".to_owned(),
        "envoi",
        |errors| {
            let query = OutboxQuery {
                etat: None,
                apres: None,
                fait: None,
            };
            outbox_page(&portal, &req, &visitor, query, errors)
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct TrailQuery {
    action: Option<String>,
    apres: Option<String>,
}

/// The audit trail, the latest first, of one action or all.
#[get("/admin/journal")]
pub async fn audit_trail(
    portal: web::Data<Portal>,
    visitor: Visitor,
    query: web::Query<TrailQuery>,
) -> HttpResponse {
    let action = chosen(&query.action).and_then(AuditAction::from_code);
    let subject = visitor.subject();
    let after = query.apres.as_deref().and_then(simpa_app::cursor::decode);
    let found = portal
        .runtime
        .read(move |conn| audit::list(conn, subject, action, after.as_ref(), SHOWN))
        .await;
    let page = match found {
        Ok(page) => page,
        Err(error) => return unless_hidden(&portal, error),
    };
    let data = context! {
        action => action.map(|a| a.code()),
        actions => AuditAction::ALL.iter().map(|a| context! { code => a.code(), label => a.label() }).collect::<Vec<_>>(),
        items => page.items.iter().map(|e| context! {
            at => city_moment(&portal, e.occurred_at),
            action => e.event.action.label(),
            actor => e.event.actor.account.map(|a| a.to_string())
                .or_else(|| e.event.actor.service.map(|s| format!("client {s}")))
                .or_else(|| e.event.actor.identifier.clone()),
            subject => e.event.subject,
            address => e.event.client_address,
        }).collect::<Vec<_>>(),
        next => page.next.as_ref().map(|n| format!(
            "/admin/journal?{}",
            serde_urlencoded::to_string([("action", action.map_or("", |a| a.code())), ("apres", &simpa_app::cursor::encode(n))]).unwrap_or_default()
        )),
    };
    Page::new("admin_audit.html", data)
        .visitor(&visitor)
        .answer(&portal)
}
