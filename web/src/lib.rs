//! Simpa's portal: the pages people use in a browser, beside the JSON API in the same binary.
//! A page handler is a second adapter over the application layer, as the API's are: it reads
//! the form, calls one use case, and renders a page or redirects (POST, then redirect or
//! page). Pages work without JavaScript.
//!
//! What is here: the layout and the portal's styles and scripts (`assets`), the public pages
//! (home with the open campaigns, the directory and its embeddable cards, the open data), the
//! pages the links of Simpa's e-mails lead to, accounts (signing up, in with the second
//! factor's step and out, sessions, password, e-mail preferences, invitations), and the
//! association's side: its pages and members, its document vault, its requests written step
//! by step and followed to the grant, the agreement and the final report. Who is signed in is
//! `session`'s; the anti-forgery token is `csrf`'s. The city's agents' workspace has begun
//! (`pages/staff.rs`: what waits for them, a request's whole file).

mod answers;
mod assets;
mod charts;
mod csrf;
mod exports;
mod forms;
mod pages;
mod render;
mod session;
pub mod theme;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{Error, Scope, body::MessageBody, middleware, web};
use simpa_app::runtime::Runtime;
use simpa_app::sign_in::SessionRules;
use simpa_domain::reachable::AllowedHosts;
use simpa_domain::throttle::ThrottlePolicy;
use std::sync::Arc;

/// What the portal is told by the configuration.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    /// The city's name, in every page's header and title.
    pub city: String,
    /// The throttles of signing in and "forgot password" (shared with the API).
    pub throttle: ThrottlePolicy,
    /// How sessions last, and whether staff must prove a second factor (shared with the API).
    pub session_rules: SessionRules,
    /// Take the client's address from `X-Forwarded-For` (behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Served over HTTPS: cookies are `Secure`.
    pub https: bool,
    /// The largest document a person may upload, in bytes (`SIMPA_UPLOAD_LIMIT`, as the API's).
    pub upload_limit: u64,
    /// The city's colours, logo and footer links.
    pub theme: theme::Theme,
    /// Where people reach the portal (`SIMPA_PUBLIC_URL`: scheme, host and port): forms say
    /// they come from there (or from the host they were posted to).
    pub origin: String,
    /// The hosts a webhook may call though they are not public (`SIMPA_WEBHOOK_ALLOWED_HOSTS`,
    /// as the API's).
    pub webhook_allowed_hosts: AllowedHosts,
}

impl PortalSettings {
    /// The portal under the city's identity.
    pub fn themed(self, theme: theme::Theme) -> PortalSettings {
        PortalSettings { theme, ..self }
    }

    /// The settings of a portal reached at `public_url` (served over HTTPS when it says so,
    /// or when `hsts` is on).
    pub fn new(
        city: String,
        throttle: ThrottlePolicy,
        session_rules: SessionRules,
        trust_forwarded_for: bool,
        upload_limit: u64,
        public_url: &str,
        hsts: bool,
    ) -> PortalSettings {
        let origin = public_url
            .split_once("://")
            .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)))
            .unwrap_or_default();
        PortalSettings {
            city,
            throttle,
            session_rules,
            trust_forwarded_for,
            upload_limit,
            theme: theme::Theme::default(),
            https: hsts || public_url.starts_with("https://"),
            origin,
            webhook_allowed_hosts: AllowedHosts::default(),
        }
    }
}

/// What every page handler shares.
pub struct Portal {
    pub runtime: Arc<Runtime>,
    pub settings: PortalSettings,
    pages: render::Pages,
    assets: assets::Assets,
    /// The fingerprint of the pages kept for members (see `render::fingerprint`).
    kept_format: String,
}

impl Portal {
    /// The portal, its templates parsed and its assets fingerprinted.
    pub fn new(runtime: Arc<Runtime>, settings: PortalSettings) -> Result<Portal, String> {
        let mut portal = Portal {
            runtime,
            pages: render::Pages::load()
                .map_err(|e| format!("les modèles des pages du portail : {e:#}"))?,
            assets: assets::Assets::load(&settings.theme),
            settings,
            kept_format: String::new(),
        };
        portal.kept_format = render::fingerprint(&portal, pages::KEPT_SOURCES);
        Ok(portal)
    }
}

/// Registers the portal on an application: what the API's `Services::pages` takes.
pub fn mount(portal: Portal) -> impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static {
    let portal = web::Data::new(portal);
    move |cfg| {
        cfg.service(scope(portal.clone()));
    }
}

/// Every page, under `/`, compressed; what matches no page answers the portal's 404 page.
/// Registered after the API, whose scopes take their own paths first.
fn scope(
    portal: web::Data<Portal>,
) -> Scope<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    web::scope("")
        .app_data(portal)
        .wrap(middleware::from_fn(csrf::give_made_token))
        .wrap(middleware::Compress::default())
        .service(assets::serve)
        .configure(pages::configure)
        .default_service(web::to(answers::not_found))
}
