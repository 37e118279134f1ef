//! `simpa-limits`: the floor the product's figures are measured against, with the same stack
//! and settings as `simpa serve` (configuration, pool, the gate in front of it, blocking
//! threads): `GET /static` answers a fixed JSON body; `GET /one-row/{id}` reads one request's
//! row by primary key with a bare Diesel query and answers it as JSON. Benchmarks only: it is
//! deliberately outside the product's layers.
//!
//! `POST /one-write/{id}` is the floor of writes: one transaction updating that request's row.
//!
//! `simpa-limits drafts N` starts N drafts in the campaign open now, spread over 50 generated
//! associations ready to submit, for the submit benchmark; it prints one line per draft: its
//! id and the e-mail of the association's president.
//!
//! `simpa-limits jury-call N J` makes a closed call for projects of N instructed requests
//! (their associations' presidents taking turns) and a jury of J jurors who all scored every
//! request, its session closed and waiting for validation; it prints the campaign's id and
//! the time the ranking and allocation take in memory (median of five), in milliseconds.
//!
//! `simpa-limits deliberation N` makes a deliberation of the Conseil de Paris with N lines
//! (a closed campaign's instructed requests, scheduled) and prints its id, for the vote
//! benchmark. `simpa-limits granted N` makes one of 1,000 € lines and records its vote at once,
//! granting the favourable lines, for the open data benchmark.
//!
//! `simpa-limits queue-mail N` queues N e-mails (of the size of the product's) in the outbox of
//! the configured database, in one transaction, for the outbox benchmark, and exits.

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use simpa_api::Services;
use simpa_api::config::Config;
use simpa_api::state::AppState;
use simpa_app::clock::SystemClock;
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

async fn one_write(state: web::Data<AppState>, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    let now = state.now().naive_utc();
    let updated = state
        .write(move |conn| {
            Ok(diesel::update(requests::table.find(id))
                .set(requests::updated_at.eq(now))
                .execute(conn)?)
        })
        .await;
    match updated {
        Ok(1) => HttpResponse::Ok().json(serde_json::json!({"updated": 1})),
        Ok(_) => HttpResponse::NotFound().finish(),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// Starts `count` drafts in the central campaign open now, for associations whose vault is
/// complete (they filed a RIB); returns (request id, president's e-mail) of each.
async fn drafts(state: &AppState, count: usize) -> Result<Vec<(String, String)>, String> {
    use simpa_domain::history::EventActor;
    use simpa_domain::ids::{EventId, RequestId};
    use simpa_domain::life::Author;
    use simpa_persistence::instruction;
    use simpa_persistence::schema::campaigns as campaigns_table;
    let now = state.now();
    state
        .write(move |conn| {
            let campaign: String = campaigns_table::table
                .filter(campaigns_table::status.eq("published"))
                .filter(campaigns_table::circuit.eq("central"))
                .filter(campaigns_table::opens_at.le(now.naive_utc()))
                .filter(campaigns_table::closes_at.gt(now.naive_utc()))
                .select(campaigns_table::id)
                .first(conn)?;
            let campaign = simpa_persistence::campaigns::get(
                conn,
                campaign
                    .parse()
                    .map_err(|_| simpa_persistence::StoreError::Config("campaign id".into()))?,
            )?
            .ok_or_else(|| simpa_persistence::StoreError::Config("no open campaign".into()))?;
            let presidents = simpa_persistence::members::presidents_with_rib(conn, 50)?;
            let mut lives = Vec::with_capacity(count);
            let mut made = Vec::with_capacity(count);
            for n in 0..count {
                let (association, account, email, name) = &presidents[n % presidents.len()];
                let parse = |what: &str, raw: &str| {
                    raw.parse::<uuid::Uuid>()
                        .map_err(|_| simpa_persistence::StoreError::Config(format!("{what} id")))
                };
                let id = RequestId::from_uuid(uuid::Uuid::now_v7());
                let content = simpa_fixtures::request_content(
                    "Projet du banc d'essai",
                    5_000,
                    campaign.settings.budget_year,
                    campaign.settings.nature,
                )?;
                let author = Author {
                    event: EventId::from_uuid(uuid::Uuid::now_v7()),
                    actor: EventActor {
                        account: Some(simpa_domain::ids::AccountId::from_uuid(parse(
                            "account", account,
                        )?)),
                        service: None,
                        name: name.clone(),
                    },
                };
                let association =
                    simpa_domain::ids::AssociationId::from_uuid(parse("association", association)?);
                lives.push(simpa_domain::life::draft(
                    id,
                    &campaign,
                    association,
                    content,
                    author,
                    now,
                )?);
                made.push((id.to_string(), email.clone()));
            }
            instruction::store_lives(conn, &lives)?;
            Ok(made)
        })
        .await
        .map_err(|e| format!("{e:?}"))
}

async fn jury_call(state: &AppState, count: usize, jurors: usize) -> Result<(String, f64), String> {
    use chrono::Duration;
    use simpa_domain::campaign::CircuitKind;
    use simpa_domain::ids::{AccountId, StaffRoleId};
    use simpa_domain::request::RequestState;
    use simpa_domain::roles::StaffRole;
    use simpa_fixtures::juries::{Convening, Stage, convene};
    use simpa_persistence::{StoreError, accounts, juries, requests};
    let now = state.now();
    let hash = simpa_app::passwords::hash("banc-d-essai").map_err(|e| e.to_string())?;
    state
        .write(move |conn| {
            let (campaign, n) = simpa_fixtures::batches::instructed_campaign(
                conn,
                "AAP_BENCH",
                CircuitKind::CallForProjects,
                count,
                now,
            )?;
            let id = campaign.id;
            let config = |what: &str| StoreError::Config(what.to_owned());
            let mut sitting = Vec::with_capacity(jurors);
            for j in 0..jurors {
                let account = AccountId::from_uuid(uuid::Uuid::now_v7());
                let email = simpa_domain::contact::EmailAddress::parse(&format!(
                    "jure{j}.banc{n}@paris.example"
                ))
                .map_err(|_| config("e-mail"))?;
                let name = format!("Juré·e {j} du banc {n}");
                accounts::insert(conn, account, &email, &name, &hash, true, now)?;
                let grant = StaffRoleId::from_uuid(uuid::Uuid::now_v7());
                accounts::grant(conn, grant, account, StaffRole::Juror, None, now)?;
                sitting.push(simpa_fixtures::Person { account, name });
            }
            let streams = simpa_fixtures::stream::Streams::new(n as u64);
            let call = Convening {
                campaign: &campaign,
                jurors: &sitting,
                per_request: None,
                normalise: true,
                opens_at: now - Duration::days(60),
                stage: Stage::Closed,
            };
            convene(conn, &streams, &call)?;
            // The ranking as validation computes it, timed in memory.
            let jury = juries::get(conn, id)?.ok_or_else(|| config("jury"))?;
            let candidates = requests::of_campaign(conn, id, &[RequestState::Instructed])?;
            let sheets: Vec<simpa_domain::scoring::Sheet> = juries::seats(conn, id, false)?
                .into_iter()
                .filter_map(|s| {
                    Some(simpa_domain::scoring::Sheet {
                        request: s.request,
                        juror: s.juror,
                        score: s.score?,
                    })
                })
                .collect();
            let rules = jury
                .settings
                .allocation_rules(campaign.settings.envelope_cents);
            let candidates: Vec<_> = candidates
                .iter()
                .map(simpa_domain::life::StoredRequest::candidate)
                .collect();
            let mut times: Vec<f64> = (0..5)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let placed = simpa_domain::scoring::rank_and_allocate(
                        &candidates,
                        &sheets,
                        &Default::default(),
                        &rules,
                    );
                    std::hint::black_box(placed);
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            times.sort_by(f64::total_cmp);
            println!("sheets {}", sheets.len());
            Ok((id.to_string(), times[2]))
        })
        .await
        .map_err(|e| format!("{e:?}"))
}

/// A deliberation of the Conseil de Paris with `count` lines, ready to be voted or `voted`
/// (see `simpa_fixtures::batches::deliberation_of_campaign`). Returns its id.
async fn deliberation(
    state: &AppState,
    count: usize,
    line_cents: Option<i64>,
    voted: bool,
) -> Result<String, String> {
    let now = state.now();
    state
        .write(move |conn| {
            simpa_fixtures::batches::deliberation_of_campaign(conn, count, line_cents, voted, now)
                .map(|id| id.to_string())
        })
        .await
        .map_err(|e| format!("{e:?}"))
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
    simpa_api::return_freed_memory();
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
    if args.get(1).map(String::as_str) == Some("jury-call") {
        let numbers: Option<(usize, usize)> = args
            .get(2)
            .and_then(|n| n.parse().ok())
            .zip(args.get(3).and_then(|j| j.parse().ok()));
        let Some((count, jurors)) = numbers else {
            eprintln!("usage: simpa-limits jury-call <requests> <jurors>");
            return ExitCode::FAILURE;
        };
        return match jury_call(&state, count, jurors).await {
            Ok((campaign, ms)) => {
                println!("{campaign} {ms:.1}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("simpa-limits: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(command @ ("deliberation" | "granted")) = args.get(1).map(String::as_str) {
        let Some(count) = args.get(2).and_then(|n| n.parse::<usize>().ok()) else {
            eprintln!("usage: simpa-limits {command} <lines>");
            return ExitCode::FAILURE;
        };
        // The open data's grants are of 1,000 € each: an association's few in a year need no
        // agreement, and are published at once.
        let (line_cents, voted) = match command {
            "granted" => (Some(100_000), true),
            _ => (None, false),
        };
        return match deliberation(&state, count, line_cents, voted).await {
            Ok(id) => {
                println!("{id}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("simpa-limits: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.get(1).map(String::as_str) == Some("directory") {
        let numbers: Option<(usize, usize)> = args
            .get(2)
            .and_then(|n| n.parse().ok())
            .zip(args.get(3).and_then(|c| c.parse().ok()));
        let Some((from, count)) = numbers else {
            eprintln!("usage: simpa-limits directory <first index> <count>");
            return ExitCode::FAILURE;
        };
        let now = state.now();
        return match simpa_fixtures::batches::directory_associations(
            &state.db, 42, from, count, now,
        ) {
            Ok(listed) => {
                println!("{listed}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("simpa-limits: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if args.get(1).map(String::as_str) == Some("drafts") {
        let Some(count) = args.get(2).and_then(|n| n.parse::<usize>().ok()) else {
            eprintln!("usage: simpa-limits drafts <count>");
            return ExitCode::FAILURE;
        };
        return match drafts(&state, count).await {
            Ok(made) => {
                for (request, email) in made {
                    println!("{request} {email}");
                }
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
            .route("/one-write/{id}", web::post().to(one_write))
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
