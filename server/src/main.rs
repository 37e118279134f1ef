//! `simpa`: serve the API, migrate the database, load fixtures, run the daily jobs, collect
//! unreferenced files, back up, create an admin, write the OpenAPI document.

use clap::{Parser, Subcommand, ValueEnum};
use simpa_api::config::Config;
use simpa_api::server::{self, ServerOptions};
use simpa_api::{Services, openapi_document};
use simpa_app::clock::{Clock, SystemClock};
use simpa_app::passwords;
use simpa_domain::account::{Password, parse_display_name};
use simpa_domain::contact::EmailAddress;
use simpa_fixtures::Size;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "simpa",
    version,
    about = "Simpa: subsidies to associations, end to end."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (migrating the database first).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Realistic data for demonstrations and tests.
    Fixtures {
        #[command(subcommand)]
        command: FixturesCommand,
    },
    /// Print the OpenAPI document (JSON).
    Openapi,
    /// Remove stored document bytes that no row refers to (uploads interrupted by a crash).
    Gc {
        /// Only files untouched for this many minutes (an upload in progress is recent).
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(5..))]
        grace_minutes: u64,
    },
    /// The daily jobs (digests of new work, reminders), once: for cron, besides the run
    /// `simpa serve` makes every day (`simpa reminders run` is the same).
    #[command(alias = "reminders")]
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Copy the embedded SQLite database, while it serves, into a new file (PostgreSQL:
    /// use pg_dump).
    Backup {
        /// The new file.
        target: std::path::PathBuf,
    },
    /// Administration accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Load a data set into the configured database (loading twice changes nothing).
    Load {
        #[arg(long, value_enum, default_value_t = SizeArg::Demo)]
        size: SizeArg,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Queue today's digests and reminders (what was queued before is not queued again).
    #[command(alias = "run")]
    Daily,
}

#[derive(Clone, Copy, ValueEnum)]
enum SizeArg {
    /// About 50 associations, for `make run`.
    Demo,
    /// 13,000 associations and 30,000 requests over three years.
    Paris,
    /// 150,000 associations and 500,000 requests.
    National,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account. The password is read from SIMPA_ADMIN_PASSWORD, or else from
    /// standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrateur·rice")]
        name: String,
    },
}

fn init_logs() {
    let filter = EnvFilter::try_from_env("SIMPA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("SIMPA_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init()
    } else {
        builder.init()
    }
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("simpa: {message}");
    ExitCode::FAILURE
}

#[actix_web::main]
async fn main() -> ExitCode {
    simpa_api::return_freed_memory();
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        return match serde_json::to_string_pretty(&openapi_document()) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    init_logs();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(format!("configuration: {e}")),
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let services = match Services::start(config.clone(), clock.clone()) {
        Ok(services) => services,
        Err(e) => return fail(e),
    };
    match cli.command {
        Command::Serve => serve(services, &config).await,
        Command::Migrate => {
            println!("database {:?} is migrated", config.database_url);
            ExitCode::SUCCESS
        }
        Command::Fixtures {
            command: FixturesCommand::Load { size, seed },
        } => {
            let size = match size {
                SizeArg::Demo => Size::Demo,
                SizeArg::Paris => Size::Paris,
                SizeArg::National => Size::National,
            };
            let (db, blobs) = (services.state.db.clone(), services.blobs.clone());
            let now = clock.now();
            let loaded = actix_web::web::block(move || {
                let bar = indicatif::ProgressBar::new(0).with_style(
                    indicatif::ProgressStyle::with_template(
                        "{msg} [{bar:40}] {pos}/{len} associations ({elapsed}, {eta} left)",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message("loading");
                let loaded = simpa_fixtures::load(
                    &db,
                    size,
                    seed,
                    now,
                    &simpa_fixtures::Loader {
                        hash_password: &|password| passwords::hash(password).unwrap_or_default(),
                        store_blob: &|bytes| blobs.put(bytes),
                        progress: &|done, total| {
                            bar.set_length(total as u64);
                            bar.set_position(done as u64);
                        },
                    },
                );
                bar.finish_and_clear();
                loaded
            })
            .await;
            match loaded {
                Ok(Ok(report)) => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(format!("fixtures: {e}")),
                Err(e) => fail(e),
            }
        }
        Command::Admin {
            command: AdminCommand::Create { email, name },
        } => create_admin(&services, &email, &name, clock.now()).await,
        Command::Gc { grace_minutes } => {
            let (db, blobs) = (services.state.db.clone(), services.blobs.clone());
            let cutoff =
                std::time::SystemTime::now() - std::time::Duration::from_secs(grace_minutes * 60);
            let collected = actix_web::web::block(move || {
                let referenced = db
                    .read(simpa_persistence::documents::referenced_blobs)
                    .map_err(|e| e.to_string())?;
                blobs
                    .collect_garbage(&referenced, cutoff)
                    .map_err(|e| e.to_string())
            })
            .await;
            match collected {
                Ok(Ok(report)) => {
                    println!(
                        "removed {} unreferenced files ({} bytes); {} stored files kept",
                        report.removed, report.bytes, report.kept
                    );
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(format!("gc: {e}")),
                Err(e) => fail(e),
            }
        }
        Command::Jobs {
            command: JobsCommand::Daily,
        } => {
            let state = services.state.clone();
            match actix_web::web::block(move || simpa_api::jobs::daily(&state)).await {
                Ok(Ok(report)) => {
                    println!(
                        "{report}; the messages go out with the outbox worker of `simpa serve`"
                    );
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(format!("daily jobs: {e}")),
                Err(e) => fail(e),
            }
        }
        Command::Backup { target } => {
            let db = services.state.db.clone();
            let copied = target.clone();
            match actix_web::web::block(move || db.backup_into(&copied)).await {
                Ok(Ok(())) => {
                    println!("backed up into {}", target.display());
                    ExitCode::SUCCESS
                }
                Ok(Err(e)) => fail(format!("backup: {e}")),
                Err(e) => fail(e),
            }
        }
        Command::Openapi => ExitCode::SUCCESS,
    }
}

async fn serve(mut services: Services, config: &Config) -> ExitCode {
    if let Err(e) = simpa_server::mount_portal(&mut services) {
        return fail(e);
    }
    let background = simpa_api::start_background(&services);
    let listening = std::net::TcpListener::bind(config.bind).and_then(|listener| {
        let address = listener.local_addr()?;
        let options = ServerOptions {
            workers: config.workers,
            signals: true,
        };
        Ok((server::serve(services.clone(), listener, options)?, address))
    });
    let (server, address) = match listening {
        Ok(listening) => listening,
        Err(e) => return fail(format!("cannot listen on {}: {e}", config.bind)),
    };
    // On stdout (logs go to stderr) so that scripts can read the bound address. Write errors
    // are ignored: the server must not die because whoever started it stopped reading.
    let mut out = std::io::stdout();
    let _ = writeln!(
        out,
        "Simpa listens on http://{address} (database: {:?})",
        config.database_url
    );
    let _ = writeln!(
        out,
        "  API documentation: http://{address}/docs/   OpenAPI: http://{address}/openapi.json"
    );
    let _ = writeln!(out, "  Portal: http://{address}/");
    if !config.staff_two_factor {
        let _ = writeln!(
            out,
            "  Two-factor authentication of staff is OFF (SIMPA_STAFF_TWO_FACTOR=off): staff sign in with their password alone. For a demonstration only."
        );
    }
    let _ = out.flush();
    let served = server.await;
    background.stop().await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

async fn create_admin(
    services: &Services,
    email: &str,
    name: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> ExitCode {
    let raw = match std::env::var("SIMPA_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut input = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut input) {
                return fail(format!("cannot read the password from standard input: {e}"));
            }
            input.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    let parsed = (
        EmailAddress::parse(email),
        Password::parse(&raw, &[email, name]),
        parse_display_name(name),
    );
    let (email, password, name) = match parsed {
        (Ok(email), Ok(password), Ok(name)) => (email, password, name),
        (Err(v), _, _) | (_, Err(v), _) | (_, _, Err(v)) => return fail(v.message),
    };
    let hash = match passwords::hash(password.expose()) {
        Ok(hash) => hash,
        Err(e) => return fail(e),
    };
    let created = services
        .state
        .db
        .write(|conn| simpa_app::admin::create_admin(conn, &email, &name, &hash, now));
    match created {
        Ok(id) => {
            println!("admin account {id} created");
            ExitCode::SUCCESS
        }
        Err(error) => fail(error),
    }
}
