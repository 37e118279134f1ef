//! `simpa-limits`: the floor the product's figures are measured against, with the same stack
//! and settings as `simpa serve` (configuration, pool, the gate in front of it, blocking
//! threads): `GET /static` answers a fixed JSON body; `GET /one-row/{id}` reads one request's
//! row by primary key with a bare Diesel query and answers it as JSON. Benchmarks only: it is
//! deliberately outside the product's layers.
//!
//! `simpa-limits queue-mail N` queues N e-mails (of the size of the product's) in the outbox of
//! the configured database, in one transaction, for the outbox benchmark, and exits.

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use simpa_api::Services;
use simpa_api::clock::SystemClock;
use simpa_api::config::Config;
use simpa_api::state::AppState;
use simpa_persistence::outbox::{self, Channel, NewMessage};
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

/// Queues `count` e-mails to distinct people, each about as long as a receipt of submission.
async fn queue_mail(state: &AppState, count: usize) -> Result<(), String> {
    let now = state.now();
    let text = "Bonjour,\n\nVotre demande a bien été déposée. ".repeat(20);
    let html = format!("<p>{}</p>", text.replace('\n', "<br>"));
    state
        .write(move |conn| {
            for n in 0..count {
                outbox::enqueue(
                    conn,
                    &NewMessage {
                        channel: Channel::Email,
                        recipient: format!("Personne {n} <personne{n}@exemple.org>"),
                        subject: format!(
                            "Accusé de réception de votre demande — demande 2027_{n:05}"
                        ),
                        body: text.clone(),
                        html: Some(html.clone()),
                        request: None,
                        dedupe_key: None,
                    },
                    now,
                )?;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())
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
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("queue-mail") {
        let Some(count) = args.get(2).and_then(|n| n.parse::<usize>().ok()) else {
            eprintln!("usage: simpa-limits queue-mail <count>");
            return ExitCode::FAILURE;
        };
        return match queue_mail(&state, count).await {
            Ok(()) => {
                println!("queued {count} e-mails");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("simpa-limits: {e}");
                ExitCode::FAILURE
            }
        };
    }
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
