//! Webhook endpoints of directions' systems (and admins'): registering one (its address
//! checked to be one Simpa may call), listing those the caller manages, removing one, its
//! delivery log and redelivering a call. The calls themselves are outbox messages, sent by
//! the worker.

use crate::access::require;
use chrono::{DateTime, Utc};
use simpa_domain::Violation;
use simpa_domain::contact::WebsiteUrl;
use simpa_domain::ids::DirectionId;
use simpa_domain::policy::{self, Action, Actor, Subject};
use simpa_domain::reachable::{self, AllowedHosts, bare_host};
use simpa_domain::reference::check_assignable_direction;
use simpa_domain::{DomainError, existed};
use simpa_persistence::accounts::load_actor;
use simpa_persistence::outbox::{self, Channel, Message, NewMessage};
use simpa_persistence::webhooks::{self, Endpoint, Registrant};
use simpa_persistence::{DbConnection, Keyset, Page, StoreResult, reference};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use uuid::Uuid;

/// How long a host name may take to resolve.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether Simpa may POST to `url`: an allowed host, or one whose every address is public.
/// Checked when an endpoint is registered (the URL's syntax was checked before).
pub async fn check_reachable(url: &str, allowed: &AllowedHosts) -> Result<(), Violation> {
    let parsed = reqwest::Url::parse(url).map_err(|_| reachable::not_public())?;
    let host = parsed.host_str().ok_or_else(reachable::not_public)?;
    if allowed.allows(host) {
        return Ok(());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    public_addresses(&bare_host(host), port).await.map(|_| ())
}

/// The addresses of `host`, refused unless every one is public: a name that resolves to a
/// public and an internal address could be connected to either.
pub async fn public_addresses(host: &str, port: u16) -> Result<Vec<SocketAddr>, Violation> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if reachable::is_public(ip) {
            Ok(vec![SocketAddr::new(ip, port)])
        } else {
            Err(reachable::not_public())
        };
    }
    let resolved = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| reachable::not_public())?
        .map_err(|_| reachable::not_public())?;
    let addresses: Vec<SocketAddr> = resolved.collect();
    if addresses.is_empty() {
        return Err(reachable::not_public());
    }
    if addresses.iter().all(|a| reachable::is_public(a.ip())) {
        Ok(addresses)
    } else {
        Err(reachable::not_public())
    }
}

/// The caller, if they may register an endpoint for the direction asked (a direction's
/// system registers for its own direction whatever it asks), and that direction.
#[tracing::instrument(name = "webhooks::may_register", skip_all, fields(actor = Subject::kind(subject)))]
pub fn may_register(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    asked: Option<DirectionId>,
) -> StoreResult<(Actor, Option<DirectionId>)> {
    let actor = load_actor(conn, subject)?;
    let direction = policy::webhook_direction(&actor, asked)?;
    policy::authorize(&actor, Action::RegisterWebhook { direction })?;
    Ok((actor, direction))
}

/// What an endpoint is registered with: where it is, the secret its calls are signed with,
/// and the types of events it hears (all when empty).
pub struct NewEndpoint {
    pub url: WebsiteUrl,
    pub secret: String,
    pub event_types: Vec<String>,
}

/// Registers an endpoint for the actor `may_register` admitted, for a direction that
/// instructs.
#[tracing::instrument(name = "webhooks::register", skip_all, fields(actor = actor.kind()))]
pub fn register(
    conn: &mut DbConnection,
    actor: &Actor,
    direction: Option<DirectionId>,
    new: NewEndpoint,
    now: DateTime<Utc>,
) -> StoreResult<Endpoint> {
    if let Some(direction) = direction {
        check_assignable_direction(reference::direction(conn, direction)?.as_ref())
            .map_err(|v| DomainError::invalid("direction_id", v))?;
    }
    let registrant = match actor {
        Actor::Service { id, .. } => Registrant::Service(*id),
        Actor::Person { id, .. } => Registrant::Person(*id),
        Actor::Anonymous => return Err(DomainError::Forbidden.into()),
    };
    let mut event_types = new.event_types;
    event_types.sort();
    event_types.dedup();
    let endpoint = Endpoint {
        id: Uuid::now_v7(),
        direction,
        url: new.url.as_str().to_owned(),
        secret: new.secret,
        event_types,
        active: true,
        created_at: now,
    };
    webhooks::insert(conn, &endpoint, registrant)?;
    Ok(endpoint)
}

/// The endpoints the caller manages: an admin's all, a direction's its own.
#[tracing::instrument(name = "webhooks::list", skip_all, fields(actor = Subject::kind(subject)))]
pub fn list(conn: &mut DbConnection, subject: Option<Subject>) -> StoreResult<Vec<Endpoint>> {
    let actor = require(conn, subject, Action::ListWebhooks)?;
    Ok(webhooks::list(conn)?
        .into_iter()
        .filter(|e| {
            policy::decide(
                &actor,
                Action::ManageWebhook {
                    direction: e.direction,
                },
            )
            .is_ok()
        })
        .collect())
}

/// An endpoint the caller manages (an admin's any, a direction's its own).
pub fn managed(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
) -> StoreResult<Endpoint> {
    let endpoint = webhooks::get(conn, id)?.ok_or(DomainError::NotFound { what: "webhook" })?;
    require(
        conn,
        subject,
        Action::ManageWebhook {
            direction: endpoint.direction,
        },
    )?;
    Ok(endpoint)
}

/// Removes an endpoint: it hears nothing more, its log stays.
#[tracing::instrument(name = "webhooks::remove", skip_all, fields(actor = Subject::kind(subject), webhook = %id))]
pub fn remove(conn: &mut DbConnection, subject: Option<Subject>, id: Uuid) -> StoreResult<()> {
    managed(conn, subject, id)?;
    Ok(existed(webhooks::deactivate(conn, id)?, "webhook")?)
}

/// An endpoint's calls, the latest first.
#[tracing::instrument(name = "webhooks::deliveries", skip_all, fields(actor = Subject::kind(subject), webhook = %id))]
pub fn deliveries(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    after: Option<&Keyset>,
    limit: usize,
) -> StoreResult<Page<Message>> {
    managed(conn, subject, id)?;
    outbox::list(conn, None, Some(&id.to_string()), after, limit)
}

/// Queues a call again, as it was; refused once the endpoint is removed.
#[tracing::instrument(name = "webhooks::redeliver", skip_all, fields(actor = Subject::kind(subject), webhook = %id, delivery = %delivery))]
pub fn redeliver(
    conn: &mut DbConnection,
    subject: Option<Subject>,
    id: Uuid,
    delivery: Uuid,
    now: DateTime<Utc>,
) -> StoreResult<Message> {
    let endpoint = managed(conn, subject, id)?;
    let not_found = || DomainError::NotFound {
        what: "webhook_delivery",
    };
    let original = outbox::get(conn, delivery)?
        .filter(|m| m.channel == Channel::Webhook && m.recipient == id.to_string())
        .ok_or_else(not_found)?;
    if !endpoint.active {
        return Err(DomainError::conflict(
            "webhook.removed",
            None,
            "Ce point de réception a été supprimé : il ne reçoit plus rien.",
        )
        .into());
    }
    let call = NewMessage::webhook(
        &original.recipient,
        original.subject,
        original.body,
        original.request,
    );
    // Without a dedupe key, a message is always queued.
    let again = outbox::enqueue(conn, &call, now)?.ok_or_else(not_found)?;
    Ok(outbox::get(conn, again)?.ok_or_else(not_found)?)
}
