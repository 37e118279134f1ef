//! `/metrics` in Prometheus's text format: requests and their durations per route, the
//! database pool and the statements it ran, the outbox's backlog (e-mails and webhooks, pending or failed). Prometheus
//! scrapes it with the bearer token `SIMPA_METRICS_TOKEN`; without one, it is off.

use crate::problem::{Problem, responses};
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, get, web};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
};
use sha2::{Digest, Sha256};
use std::time::Instant;

/// What the process counts as it serves.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    durations: HistogramVec,
    pool: IntGaugeVec,
    statements: IntCounter,
    outbox: IntGaugeVec,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "simpa_http_requests_total",
                "Requests answered, by route and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("a valid counter");
        let durations = HistogramVec::new(
            HistogramOpts::new(
                "simpa_http_request_duration_seconds",
                "Time to answer, by route.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("a valid histogram");
        let pool = IntGaugeVec::new(
            Opts::new(
                "simpa_db_pool_connections",
                "Database connections of this node.",
            ),
            &["state"],
        )
        .expect("a valid gauge");
        let statements = IntCounter::new(
            "simpa_db_statements_total",
            "SQL statements this node's connections ran (transactions' own included).",
        )
        .expect("a valid counter");
        let outbox = IntGaugeVec::new(
            Opts::new(
                "simpa_outbox_messages",
                "Messages in the outbox, by channel (email, webhook) and status.",
            ),
            &["channel", "status"],
        )
        .expect("a valid gauge");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(durations.clone()),
            Box::new(pool.clone()),
            Box::new(statements.clone()),
            Box::new(outbox.clone()),
            Box::new(crate::panics::PANICS.clone()),
        ] {
            registry.register(collector).expect("distinct metrics");
        }
        Metrics {
            registry,
            requests,
            durations,
            pool,
            statements,
            outbox,
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.durations
            .with_label_values(&[method, route])
            .observe(seconds);
    }
}

/// Counts each request under its route's pattern (`/api/v1/requests/{request_id}`), so that
/// ids do not multiply the series; what matches no route counts as `unmatched`.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let request = response.request();
        let route = request
            .match_pattern()
            .or_else(|| {
                let extensions = actix_web::HttpMessage::extensions(request);
                extensions
                    .get::<crate::contract::RouteTemplate>()
                    .map(|r| r.0.clone())
            })
            .unwrap_or_else(|| "unmatched".to_owned());
        metrics.observe(
            &method,
            &route,
            response.status().as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(response)
}

/// Whether the request bears the configured token (compared through their digests, in
/// constant time whatever its length).
fn bears(request: &HttpRequest, token: &str) -> bool {
    let given = request
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::auth::bearer_token)
        .unwrap_or("");
    simpa_domain::digest::same_secret(
        &Sha256::digest(given.as_bytes()),
        &Sha256::digest(token.as_bytes()),
    )
}

/// The metrics of this node in Prometheus's text format, for a scraper bearing
/// `SIMPA_METRICS_TOKEN` (404 when none is configured).
#[utoipa::path(
    tag = "health",
    security(("metrics_token" = [])),
    responses(
        (status = 200, body = String, content_type = "text/plain"),
        (status = 401, response = responses::Unauthenticated),
        (status = 404, response = responses::NotFound),
    )
)]
#[get("/metrics")]
pub async fn scrape(
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
    request: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let Some(token) = state.config.metrics_token.as_ref() else {
        return Err(Problem::not_found("resource"));
    };
    if !bears(&request, token.expose()) {
        return Err(Problem::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "auth.required",
            "Les métriques demandent le jeton de SIMPA_METRICS_TOKEN (Authorization: Bearer …).",
        ));
    }
    let backlog = state.read(simpa_persistence::outbox::backlog).await?;
    let (open, idle) = state.db.pool_state();
    metrics
        .pool
        .with_label_values(&["open"])
        .set(i64::from(open));
    metrics
        .pool
        .with_label_values(&["idle"])
        .set(i64::from(idle));
    // The pool counts; the counter catches up.
    let run = state.db.statements_run();
    metrics
        .statements
        .inc_by(run.saturating_sub(metrics.statements.get()));
    metrics.outbox.reset();
    for channel in ["email", "webhook"] {
        for status in ["pending", "failed"] {
            metrics.outbox.with_label_values(&[channel, status]).set(0);
        }
    }
    for (channel, status, count) in backlog {
        metrics
            .outbox
            .with_label_values(&[&channel, &status])
            .set(count);
    }
    let mut text = Vec::new();
    prometheus::TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut text)
        .map_err(|_| Problem::internal())?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
