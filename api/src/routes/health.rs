//! Liveness and readiness, for load balancers and orchestrators.

use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is alive.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok",
        database: None,
    })
}

/// The process can serve: its database answers.
#[utoipa::path(tag = "health", responses((status = 200, body = Health), (status = 503, body = Health)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let database = Some(db.backend().name());
    match web::block(move || db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(Health {
            status: "ok",
            database,
        }),
        _ => HttpResponse::ServiceUnavailable().json(Health {
            status: "unavailable",
            database,
        }),
    }
}
