//! Simpa's HTTP API: routes, authentication, errors as problem+json, the OpenAPI document.
//! The `simpa` binary (`server/`) mounts it; its use cases are the application layer's (`app/`).

pub mod auth;
pub mod codes;
pub mod config;
pub mod contract;
pub mod cors;
pub mod etag;
#[cfg(feature = "faults")]
pub mod faults;
pub mod idempotency;
pub mod if_match;
pub mod input;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod panics;
pub mod print;
pub mod problem;
pub mod request_id;
pub mod routes;
pub mod security;
pub mod server;
pub mod state;
pub mod views;
pub mod webhooks;
pub mod worker;

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::input::JsonLimit;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, middleware, web};
use simpa_app::clock::Clock;
use simpa_files::store::BlobStore;
use simpa_persistence::{Db, StoreError};
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

/// Makes the C allocator give large freed blocks back to the system. glibc raises its mmap
/// threshold each time a large block is freed, so that password hashing (7 MiB per argon2id
/// hash, on whichever blocking thread runs it) would leave its memory in every thread's arena:
/// tens of megabytes per thread that ever hashed. A fixed threshold (which also stops the
/// raising) and a bounded number of arenas keep the server's memory near what it uses.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; called at start, before other threads.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        libc::mallopt(libc::M_ARENA_MAX, 4);
    }
}

/// What the application needs, prepared once at start and shared by every worker.
#[derive(Clone)]
pub struct Services {
    pub state: web::Data<AppState>,
    pub keys: web::Data<TokenKeys>,
    pub blobs: web::Data<BlobStore>,
    /// Request counts and durations, for `/metrics`.
    pub metrics: web::Data<metrics::Metrics>,
    /// The portal's pages, registered after the API's routes (the binary plugs the portal
    /// here; without it, every path outside the API answers a problem).
    pub pages: Option<Pages>,
    /// The OpenAPI document, made once and shared by every worker.
    described: Described,
}

/// The OpenAPI document of every route, made once at start: what it promises of each call,
/// and its JSON as `/openapi.json` serves it. Each worker's routes describe themselves again
/// as they are registered; that copy is dropped, so that the server holds one document and
/// one set of its paths' patterns, not one per worker.
#[derive(Clone)]
struct Described {
    contract: web::Data<contract::Contract>,
    json: web::Bytes,
}

impl Described {
    fn new() -> Described {
        let document = openapi_document();
        Described {
            contract: web::Data::new(contract::Contract::of(&document)),
            json: web::Bytes::from(
                serde_json::to_vec(&document).expect("an OpenAPI document serializes"),
            ),
        }
    }
}

/// Registers the portal's pages on the application.
pub type Pages = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

impl Services {
    /// Opens the database, applies pending migrations and loads (or creates) the signing secret.
    pub fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Services, StartError> {
        panics::install_hook();
        let db = Db::open(&config.database_url, config.pool)?;
        let applied = db.migrate()?;
        if !applied.is_empty() {
            tracing::info!(?applied, "migrations applied");
        }
        let secret = match &config.jwt_secret {
            Some(secret) => secret.expose().to_owned(),
            None => auth::secrets::load_or_create_secret(&config.data_dir)
                .map_err(StartError::Secret)?,
        };
        let keys = TokenKeys::new(secret.as_bytes(), config.access_token_ttl);
        let blobs = BlobStore::open(config.blob_dir.clone(), config.max_concurrent_uploads)
            .map_err(StartError::Blobs)?;
        let templates = simpa_app::notify::Templates::load()
            .map_err(|e| StartError::Templates(format!("{e:#}")))?;
        let oidc = config
            .oidc
            .clone()
            .map(simpa_app::oidc::OidcClient::new)
            .transpose()
            .map_err(StartError::Oidc)?;
        Ok(Services {
            state: web::Data::new(AppState::new(db, clock, config, templates, oidc)),
            keys: web::Data::new(keys),
            blobs: web::Data::new(blobs),
            metrics: web::Data::new(metrics::Metrics::default()),
            pages: None,
            described: Described::new(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot read or create the JWT secret in the data directory: {0}")]
    Secret(std::io::Error),
    #[error("cannot open the document store: {0}")]
    Blobs(std::io::Error),
    #[error("the e-mail templates do not parse: {0}")]
    Templates(String),
    #[error("{0}")]
    Oidc(String),
}

/// The background work of a node (the outbox worker, the daily jobs), running inside its
/// actix system.
pub struct Background {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<actix_web::rt::task::JoinHandle<()>>,
}

/// Starts the background work; call it inside the running actix system.
pub fn start_background(services: &Services) -> Background {
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let tasks = vec![
        actix_web::rt::spawn(worker::deliver(services.state.clone(), stopping.clone())),
        actix_web::rt::spawn(jobs::every_day(services.state.clone(), stopping)),
    ];
    Background { stop, tasks }
}

impl Background {
    /// Stops it, abandoning what is being sent, while the runtime still runs.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// Registers every route on `app`, and returns it with the OpenAPI document of those routes.
fn routed<T>(app: App<T>, public_origins: &[String]) -> (App<T>, utoipa::openapi::OpenApi)
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = Error, InitError = ()>,
{
    let (app, mut document) = app
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .service(routes::health::healthz)
        .service(routes::health::readyz)
        .service(metrics::scrape)
        // Before `/api/v1`, whose scope would take its paths.
        .service(routes::directory::scope(public_origins.to_vec()))
        .service(routes::open_data::scope(public_origins.to_vec()))
        .service(scope::scope("/api/v1").configure(routes::configure))
        .split_for_parts();
    openapi::complete(&mut document);
    (app, document)
}

/// The OpenAPI document of every route.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    routed(App::new(), &[]).1
}

/// The whole application: routes, docs at `/docs`, the document at `/openapi.json`, and
/// problem+json for whatever matches no route.
pub fn app(
    services: Services,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let (app, _described_again) = routed(App::new(), &services.state.config.public_origins);
    let json_limit = JsonLimit(services.state.config.json_limit);
    let Described { contract, json } = services.described;
    app.app_data(services.state)
        .app_data(contract)
        .app_data(services.keys)
        .app_data(services.blobs)
        .app_data(services.metrics)
        .app_data(json_limit)
        .app_data(
            web::PathConfig::default().error_handler(|_, _| Problem::not_found("resource").into()),
        )
        .service(
            SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json")),
        )
        .route(
            "/openapi.json",
            web::get().to(move || {
                let json = json.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("application/json")
                        .body(json)
                }
            }),
        )
        .route(
            "/docs",
            web::get().to(|| async {
                actix_web::HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        )
        .configure(faults)
        .configure(|cfg| {
            if let Some(pages) = &services.pages {
                pages(cfg);
            }
        })
        .default_service(web::to(no_route))
        .wrap(middleware::from_fn(input::answer_every_error))
        .wrap(middleware::from_fn(contract::enforce))
        .wrap(middleware::from_fn(cors::refusals_as_problems))
        .wrap(middleware::from_fn(panics::answer_500))
        .wrap(middleware::from_fn(security::security_headers))
        .wrap(middleware::from_fn(server::close_after_head))
        .wrap(middleware::from_fn(metrics::count_requests))
        .wrap(middleware::from_fn(request_id::request_id))
}

/// Test-only routes (feature `faults`, see `faults.rs`).
fn faults(_config: &mut web::ServiceConfig) {
    #[cfg(feature = "faults")]
    faults::routes(_config);
}

async fn no_route() -> Result<actix_web::HttpResponse, Problem> {
    Err(Problem::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "route.not_found",
        "Cette adresse ne mène à rien : vérifiez-la dans la documentation de l'API.",
    ))
}
