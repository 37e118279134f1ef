//! Who follows a request for the city, from its page: naming the agent who follows it ("suivi
//! par", among the agents of the services it is in the hands of), or no one; and keeping an
//! eye on it, or no longer. Both fill the agent's "mine" list.

use super::staff::{After, request_page};
use super::typed::{Typed, field};
use crate::Portal;
use crate::answers::{see_other, unless_hidden};
use crate::csrf::Posted;
use crate::forms::answered;
use crate::session::Visitor;
use actix_web::{HttpRequest, HttpResponse, post, web};
use simpa_app::follow_up;
use simpa_domain::ids::{AccountId, RequestId};
use uuid::Uuid;

/// The agent named to follow the request (`agent`, empty for no one).
#[post("/agents/demandes/{id}/suivi")]
pub async fn assign(
    portal: web::Data<Portal>,
    req: HttpRequest,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let agent = Uuid::parse_str(field(&form, "agent"))
        .ok()
        .map(AccountId::from_uuid);
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let request = RequestId::from_uuid(id);
    let done = portal
        .runtime
        .write(move |conn| follow_up::assign(conn, subject, request, agent, now))
        .await;
    let next = format!("/agents/demandes/{id}?fait=suivi");
    answered(
        &portal,
        done,
        &next,
        |_| "agent".to_owned(),
        "agent",
        |errors| {
            request_page(
                &portal,
                &req,
                &visitor,
                id,
                After::Refused(None, errors, form),
            )
        },
    )
    .await
}

/// The agent keeps an eye on the request (`suivre=oui`), or no longer (`non`).
#[post("/agents/demandes/{id}/suivre")]
pub async fn follow(
    portal: web::Data<Portal>,
    visitor: Visitor,
    path: web::Path<Uuid>,
    Posted(form): Posted<Typed>,
) -> HttpResponse {
    let id = path.into_inner();
    let following = field(&form, "suivre") == "oui";
    let (subject, now) = (visitor.subject(), portal.runtime.city_now());
    let request = RequestId::from_uuid(id);
    let done = portal
        .runtime
        .write(move |conn| follow_up::set_following(conn, subject, request, following, now))
        .await;
    match done {
        Ok(()) => see_other(&format!(
            "/agents/demandes/{id}?fait={}",
            if following { "suivie" } else { "plus-suivie" }
        )),
        Err(error) => unless_hidden(&portal, error),
    }
}
