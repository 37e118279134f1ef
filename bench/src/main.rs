//! `simpa-limits`: the floor the product's figures are measured against, with the same stack
//! and settings as `simpa serve` (configuration, pool, the gate in front of it, blocking
//! threads): `GET /static` answers a fixed JSON body; `GET /one-row/{id}` reads one request's
//! row by primary key with a bare Diesel query and answers it as JSON. Benchmarks only: it is
//! deliberately outside the product's layers.

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use simpa_api::Services;
use simpa_api::clock::SystemClock;
use simpa_api::config::Config;
use simpa_api::state::AppState;
use simpa_persistence::schema::requests;
use std::process::ExitCode;
use std::sync::Arc;

async fn fixed() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok", "service": "simpa-limits"}))
}

async fn one_row(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    let row = state
        .read(move |conn| {
            Ok(requests::table
                .find(id)
                .select((
                    requests::id,
                    requests::number,
                    requests::state,
                    requests::title,
                ))
                .first::<(String, Option<String>, String, String)>(conn)
                .optional()?)
        })
        .await;
    match row {
        Ok(Some((id, number, state, title))) => HttpResponse::Ok()
            .json(serde_json::json!({"id": id, "number": number, "state": state, "title": title})),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("simpa-limits: configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let services = match Services::start(config.clone(), Arc::new(SystemClock)) {
        Ok(services) => services,
        Err(e) => {
            eprintln!("simpa-limits: {e}");
            return ExitCode::FAILURE;
        }
    };
    let state = services.state.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/static", web::get().to(fixed))
            .route("/one-row/{id}", web::get().to(one_row))
    });
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = match server.bind(config.bind) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("simpa-limits: cannot listen on {}: {e}", config.bind);
            return ExitCode::FAILURE;
        }
    };
    println!("simpa-limits listens on http://{}", config.bind);
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simpa-limits: {e}");
            ExitCode::FAILURE
        }
    }
}
