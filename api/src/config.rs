//! Configuration: environment variables read once into one typed value.
//! Every variable is documented in the README with its default.

use chrono_tz::Tz;
use simpa_domain::throttle::ThrottlePolicy;
use simpa_persistence::{DatabaseUrl, PoolOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `SIMPA_DATA_DIR`: the embedded database, generated secrets, and later documents.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…` or `sqlite://…`; defaults to SQLite in the data directory.
    pub database_url: DatabaseUrl,
    /// `SIMPA_BIND`: address the server listens on.
    pub bind: SocketAddr,
    /// `SIMPA_WORKERS`: HTTP worker threads (defaults to the number of cores).
    pub workers: Option<usize>,
    /// `SIMPA_JWT_SECRET`: key that signs access tokens (at least 32 bytes). Generated into
    /// the data directory when absent.
    pub jwt_secret: Option<Secret>,
    pub access_token_ttl: chrono::Duration,
    pub refresh_token_ttl: chrono::Duration,
    /// `SIMPA_STAFF_TWO_FACTOR`: staff (but jurors) must sign in with a second factor (`on`,
    /// the default; `off` for a demonstration only).
    pub staff_two_factor: bool,
    /// `SIMPA_OIDC_*`: the city's identity provider for staff's single sign-on; none by
    /// default.
    pub oidc: Option<simpa_app::oidc::OidcConfig>,
    pub pool: PoolOptions,
    pub throttle: ThrottlePolicy,
    /// `SIMPA_METRICS_TOKEN`: the bearer token `/metrics` asks of Prometheus; without it,
    /// `/metrics` is off (404).
    pub metrics_token: Option<Secret>,
    /// `SIMPA_HSTS`: Simpa is served over HTTPS (by the proxy in front of it): answers carry
    /// `Strict-Transport-Security`.
    pub hsts: bool,
    /// `SIMPA_TRUST_FORWARDED_FOR`: take the client address from `X-Forwarded-For` (only
    /// behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// `SIMPA_JSON_LIMIT_BYTES`: largest JSON body accepted.
    pub json_limit: usize,
    /// `SIMPA_TIMEZONE`: the city's time zone, for "today" and deadlines.
    pub timezone: Tz,
    /// `SIMPA_CITY`: the city's name as its agreements print it.
    pub city: String,
    /// `SIMPA_CITY_COLOUR`: the colour of the portal's header, under white text (dark enough
    /// to read it: a contrast of 4.5 to 1 at least; default `#1d3557`).
    pub city_colour: simpa_domain::theme::Colour,
    /// `SIMPA_CITY_ACCENT`: the colour of the line under the header (default `#457b9d`).
    pub city_accent: simpa_domain::theme::Colour,
    /// `SIMPA_CITY_LOGO`: a PNG or SVG file, the city's logo in the portal's header.
    pub city_logo: Option<PathBuf>,
    /// `SIMPA_CITY_LINKS`: the portal's footer links, `Libellé=https://…;Libellé=https://…`.
    pub city_links: Vec<simpa_domain::theme::FooterLink>,
    /// `SIMPA_CITY_SIRET`: the city's SIRET, the granting authority's identifier in the open
    /// data (default: the Ville de Paris, `21750001600019`).
    pub city_siret: simpa_domain::siret::Siret,
    /// `SIMPA_EXPORT_BATCH`: rows the open data exports read at a time (memory against
    /// queries; default 5,000).
    pub export_batch: usize,
    /// `SIMPA_PUBLISH_REFUSALS`: whether the open data in Paris's layout lists the requests
    /// refused, with 0 voted (default `true`, as Paris does).
    pub publish_refusals: bool,
    /// `SIMPA_PUBLIC_ORIGINS`: the web origins (comma-separated, `*` for any) whose pages may
    /// call the public endpoints (the directory) from a browser.
    pub public_origins: Vec<String>,
    /// `SIMPA_BLOB_DIR`: where documents' bytes are stored (default: `blobs/` in the data directory).
    pub blob_dir: PathBuf,
    /// `SIMPA_UPLOAD_LIMIT_BYTES`: largest document accepted.
    pub upload_limit: u64,
    /// `SIMPA_MAX_CONCURRENT_UPLOADS`: uploads received at once per node; more wait, then 503.
    pub max_concurrent_uploads: usize,
    pub mail: MailConfig,
    pub outbox: OutboxConfig,
    /// `SIMPA_WEBHOOK_ALLOWED_HOSTS`: hosts (names or addresses, comma-separated) webhooks
    /// may be sent to although they are internal; others must be public addresses.
    pub webhook_allowed_hosts: simpa_domain::reachable::AllowedHosts,
}

/// How e-mail leaves Simpa.
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// `SIMPA_SMTP_HOST`: the SMTP server; without it, messages are written as `.eml` files
    /// into `mail/` in the data directory (the embedded default).
    pub smtp: Option<SmtpConfig>,
    /// `SIMPA_MAIL_FROM`: the sender, `Name <address>`.
    pub from: String,
    /// `SIMPA_REQUEST_LINK`: the address of a request for people, `{id}` replaced by its id.
    pub request_link: simpa_app::notify::RequestLink,
    /// `SIMPA_PUBLIC_URL`: where people reach Simpa (the portal), which the links about their
    /// account carry (to verify their address, to choose a new password).
    pub account_links: simpa_app::notify::AccountLinks,
    /// Where `.eml` files go without SMTP.
    pub mail_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    /// `SIMPA_SMTP_PORT` (default 587, or 465 with `tls`, 25 with `none`).
    pub port: u16,
    /// `SIMPA_SMTP_TLS`: `starttls` (default), `tls`, or `none` (a relay on the same host).
    pub tls: SmtpTls,
    /// `SIMPA_SMTP_USERNAME` and `SIMPA_SMTP_PASSWORD`, when the server asks for them.
    pub credentials: Option<(String, Secret)>,
    /// `SIMPA_SMTP_CONNECTIONS` (default 10): connections to the server at once, each kept
    /// open and reused.
    pub connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    StartTls,
    Tls,
    None,
}

/// The background worker that sends what the outbox holds.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// `SIMPA_OUTBOX_POLL_MS`: how often an idle worker looks for messages (default 1000).
    pub poll: Duration,
    /// `SIMPA_OUTBOX_LEASE_SECONDS`: how long a message taken by a worker stays its own; a
    /// worker that died lets go of it after this (default 120).
    pub lease: chrono::Duration,
    /// `SIMPA_OUTBOX_BATCH`: messages taken at once (default 50).
    pub batch: i64,
    /// `SIMPA_DAILY_AT`: the city's local time the daily jobs run at (default `07:00`);
    /// `None` (`off`) when cron runs `simpa jobs daily` instead.
    pub daily_at: Option<chrono::NaiveTime>,
    /// `SIMPA_OUTBOX_FIRST_RETRY_SECONDS`: the wait before the first retry (default 30),
    /// doubled each time up to 15 minutes; messages are given up after 24 hours.
    pub backoff: simpa_domain::outbox::Backoff,
}

impl Config {
    /// The rules of people's sessions.
    pub fn session_rules(&self) -> simpa_app::sign_in::SessionRules {
        simpa_app::sign_in::SessionRules {
            refresh_ttl: self.refresh_token_ttl,
            staff_two_factor: self.staff_two_factor,
        }
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, String> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration from any source of variables (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let value = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        fn number<T: std::str::FromStr>(
            name: &str,
            raw: Option<String>,
            default: T,
        ) -> Result<T, String> {
            match raw {
                None => Ok(default),
                Some(raw) => raw
                    .parse()
                    .map_err(|_| format!("{name} must be a number (got {raw:?})")),
            }
        }
        // A limit of 0 would refuse everyone (or no connection would ever be made).
        fn at_least_one<T: std::str::FromStr + PartialOrd + From<u8>>(
            name: &str,
            raw: Option<String>,
            default: T,
        ) -> Result<T, String> {
            let value = number(name, raw, default)?;
            if value < T::from(1) {
                return Err(format!("{name} must be at least 1"));
            }
            Ok(value)
        }
        let data_dir = PathBuf::from(value("SIMPA_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match value("DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw).map_err(|e| e.to_string())?,
            None => DatabaseUrl::sqlite_in(&data_dir),
        };
        let blob_dir =
            value("SIMPA_BLOB_DIR").map_or_else(|| data_dir.join("blobs"), PathBuf::from);
        let bind_raw = value("SIMPA_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_raw.parse().map_err(|_| {
            format!("SIMPA_BIND must be an address such as 127.0.0.1:8080 (got {bind_raw:?})")
        })?;
        let public_url = value("SIMPA_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind_raw}"));
        let jwt_secret = value("SIMPA_JWT_SECRET").map(Secret);
        if jwt_secret.as_ref().is_some_and(|s| s.0.len() < 32) {
            return Err("SIMPA_JWT_SECRET must be at least 32 bytes long".into());
        }
        let defaults = ThrottlePolicy::default();
        let timezone_raw = value("SIMPA_TIMEZONE").unwrap_or_else(|| "Europe/Paris".into());
        let mail_dir = data_dir.join("mail");
        let config = Config {
            data_dir,
            database_url,
            bind,
            workers: value("SIMPA_WORKERS").map(|w| number("SIMPA_WORKERS", Some(w), 0)).transpose()?.filter(|w| *w > 0),
            jwt_secret,
            access_token_ttl: chrono::Duration::seconds(number("SIMPA_ACCESS_TOKEN_TTL_SECONDS", value("SIMPA_ACCESS_TOKEN_TTL_SECONDS"), 900)?),
            staff_two_factor: match value("SIMPA_STAFF_TWO_FACTOR").as_deref() {
                None | Some("on" | "1" | "true" | "yes") => true,
                Some("off" | "0" | "false" | "no") => false,
                Some(other) => return Err(format!("SIMPA_STAFF_TWO_FACTOR must be on or off (got {other:?})")),
            },
            oidc: oidc_config(&value, &bind_raw)?,
            refresh_token_ttl: chrono::Duration::days(number("SIMPA_REFRESH_TOKEN_TTL_DAYS", value("SIMPA_REFRESH_TOKEN_TTL_DAYS"), 30)?),
            pool: PoolOptions {
                max_size: at_least_one("SIMPA_DB_POOL_SIZE", value("SIMPA_DB_POOL_SIZE"), 10)?,
                connection_timeout: Duration::from_secs(number("SIMPA_DB_TIMEOUT_SECONDS", value("SIMPA_DB_TIMEOUT_SECONDS"), 5)?),
            },
            throttle: ThrottlePolicy {
                max_failures_per_account_from_address: at_least_one(
                    "SIMPA_LOGIN_MAX_FAILURES",
                    value("SIMPA_LOGIN_MAX_FAILURES"),
                    defaults.max_failures_per_account_from_address,
                )?,
                max_failures_per_account: at_least_one(
                    "SIMPA_LOGIN_MAX_FAILURES_PER_ACCOUNT",
                    value("SIMPA_LOGIN_MAX_FAILURES_PER_ACCOUNT"),
                    defaults.max_failures_per_account,
                )?,
                max_failures_per_address: at_least_one(
                    "SIMPA_LOGIN_MAX_FAILURES_PER_ADDRESS",
                    value("SIMPA_LOGIN_MAX_FAILURES_PER_ADDRESS"),
                    defaults.max_failures_per_address,
                )?,
                window: chrono::Duration::seconds(at_least_one(
                    "SIMPA_LOGIN_WINDOW_SECONDS",
                    value("SIMPA_LOGIN_WINDOW_SECONDS"),
                    defaults.window.num_seconds(),
                )?),
                max_registrations_per_address: at_least_one(
                    "SIMPA_REGISTRATIONS_PER_ADDRESS",
                    value("SIMPA_REGISTRATIONS_PER_ADDRESS"),
                    defaults.max_registrations_per_address,
                )?,
            },
            metrics_token: value("SIMPA_METRICS_TOKEN").filter(|t| !t.is_empty()).map(Secret),
            hsts: matches!(value("SIMPA_HSTS").as_deref(), Some("1" | "true" | "yes")),
            trust_forwarded_for: matches!(value("SIMPA_TRUST_FORWARDED_FOR").as_deref(), Some("1" | "true" | "yes")),
            json_limit: number("SIMPA_JSON_LIMIT_BYTES", value("SIMPA_JSON_LIMIT_BYTES"), 1024 * 1024)?,
            blob_dir,
            upload_limit: number("SIMPA_UPLOAD_LIMIT_BYTES", value("SIMPA_UPLOAD_LIMIT_BYTES"), 20 * 1024 * 1024)?,
            max_concurrent_uploads: number("SIMPA_MAX_CONCURRENT_UPLOADS", value("SIMPA_MAX_CONCURRENT_UPLOADS"), 32)?,
            city: value("SIMPA_CITY").unwrap_or_else(|| "Ville de Paris".into()),
            city_colour: simpa_domain::theme::Colour::under_white_text(
                &value("SIMPA_CITY_COLOUR").unwrap_or_else(|| "#1d3557".into()),
            )
            .map_err(|v| format!("SIMPA_CITY_COLOUR: {}", v.message))?,
            city_accent: simpa_domain::theme::Colour::parse(
                &value("SIMPA_CITY_ACCENT").unwrap_or_else(|| "#457b9d".into()),
            )
            .map_err(|v| format!("SIMPA_CITY_ACCENT: {}", v.message))?,
            city_logo: value("SIMPA_CITY_LOGO").filter(|p| !p.is_empty()).map(PathBuf::from),
            city_links: simpa_domain::theme::parse_footer_links(
                &value("SIMPA_CITY_LINKS").unwrap_or_default(),
            )
            .map_err(|v| format!("SIMPA_CITY_LINKS: {}", v.message))?,
            city_siret: {
                let raw = value("SIMPA_CITY_SIRET").unwrap_or_else(|| "21750001600019".into());
                simpa_domain::siret::Siret::parse(&raw).map_err(|v| format!("SIMPA_CITY_SIRET: {}", v.message))?
            },
            export_batch: match number("SIMPA_EXPORT_BATCH", value("SIMPA_EXPORT_BATCH"), 5000)? {
                0 => return Err("SIMPA_EXPORT_BATCH must be at least 1".into()),
                n => n,
            },
            publish_refusals: !matches!(value("SIMPA_PUBLISH_REFUSALS").as_deref(), Some("0" | "false" | "no")),
            public_origins: value("SIMPA_PUBLIC_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            webhook_allowed_hosts: simpa_domain::reachable::AllowedHosts::new(
                value("SIMPA_WEBHOOK_ALLOWED_HOSTS")
                    .map(|v| v.split(',').map(str::to_owned).filter(|h| !h.trim().is_empty()).collect::<Vec<_>>())
                    .unwrap_or_default(),
            ),
            timezone: timezone_raw.parse().map_err(|_| format!("SIMPA_TIMEZONE must be an IANA time zone such as Europe/Paris (got {timezone_raw:?})"))?,
            mail: MailConfig {
                smtp: match value("SIMPA_SMTP_HOST") {
                    None => None,
                    Some(host) => {
                        let tls = match value("SIMPA_SMTP_TLS").as_deref() {
                            None | Some("starttls") => SmtpTls::StartTls,
                            Some("tls") => SmtpTls::Tls,
                            Some("none") => SmtpTls::None,
                            Some(other) => return Err(format!("SIMPA_SMTP_TLS must be starttls, tls or none (got {other:?})")),
                        };
                        let default_port = match tls {
                            SmtpTls::StartTls => 587,
                            SmtpTls::Tls => 465,
                            SmtpTls::None => 25,
                        };
                        Some(SmtpConfig {
                            host,
                            port: number("SIMPA_SMTP_PORT", value("SIMPA_SMTP_PORT"), default_port)?,
                            tls,
                            credentials: value("SIMPA_SMTP_USERNAME").map(|user| (user, Secret(value("SIMPA_SMTP_PASSWORD").unwrap_or_default()))),
                            connections: match number("SIMPA_SMTP_CONNECTIONS", value("SIMPA_SMTP_CONNECTIONS"), 10)? {
                                0 => return Err("SIMPA_SMTP_CONNECTIONS must be at least 1".into()),
                                n => n,
                            },
                        })
                    }
                },
                from: value("SIMPA_MAIL_FROM").unwrap_or_else(|| "Simpa <no-reply@simpa.invalid>".into()),
                // A request's page in the portal, where people reach it.
                request_link: simpa_app::notify::RequestLink(value("SIMPA_REQUEST_LINK").unwrap_or_else(|| format!("{}/demandes/{{id}}", public_url.trim_end_matches('/')))),
                account_links: simpa_app::notify::AccountLinks(public_url.clone()),
                mail_dir,
            },
            outbox: OutboxConfig {
                poll: Duration::from_millis(number("SIMPA_OUTBOX_POLL_MS", value("SIMPA_OUTBOX_POLL_MS"), 1000)?),
                lease: chrono::Duration::seconds(number("SIMPA_OUTBOX_LEASE_SECONDS", value("SIMPA_OUTBOX_LEASE_SECONDS"), 120)?),
                batch: number("SIMPA_OUTBOX_BATCH", value("SIMPA_OUTBOX_BATCH"), 50)?,
                daily_at: match value("SIMPA_DAILY_AT") {
                    None => chrono::NaiveTime::from_hms_opt(7, 0, 0),
                    Some(raw) if raw == "off" => None,
                    Some(raw) => Some(chrono::NaiveTime::parse_from_str(&raw, "%H:%M")
                        .map_err(|_| format!("SIMPA_DAILY_AT must be a time such as 07:00, or off (got {raw:?})"))?),
                },
                backoff: simpa_domain::outbox::Backoff {
                    first: chrono::Duration::seconds(number("SIMPA_OUTBOX_FIRST_RETRY_SECONDS", value("SIMPA_OUTBOX_FIRST_RETRY_SECONDS"), 30)?),
                    ..simpa_domain::outbox::Backoff::default()
                },
            },
        };
        if config.outbox.batch < 1 {
            return Err("SIMPA_OUTBOX_BATCH must be at least 1".into());
        }
        if config.pool.max_size == 0 {
            return Err("SIMPA_DB_POOL_SIZE must be at least 1".into());
        }
        if config.max_concurrent_uploads == 0 {
            return Err("SIMPA_MAX_CONCURRENT_UPLOADS must be at least 1".into());
        }
        Ok(config)
    }
}

/// A secret value: printed as `***` in debug output and logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Single sign-on, configured by `SIMPA_OIDC_ISSUER`, `SIMPA_OIDC_CLIENT_ID` and
/// `SIMPA_OIDC_CLIENT_SECRET` together (or none of them).
fn oidc_config(
    value: &impl Fn(&str) -> Option<String>,
    bind_raw: &str,
) -> Result<Option<simpa_app::oidc::OidcConfig>, String> {
    let named = [
        "SIMPA_OIDC_ISSUER",
        "SIMPA_OIDC_CLIENT_ID",
        "SIMPA_OIDC_CLIENT_SECRET",
    ]
    .map(|name| value(name).filter(|v| !v.trim().is_empty()));
    let [issuer, client_id, client_secret] = match named {
        [None, None, None] => return Ok(None),
        [Some(issuer), Some(id), Some(secret)] => [issuer, id, secret],
        _ => {
            return Err(
                "SIMPA_OIDC_ISSUER, SIMPA_OIDC_CLIENT_ID and SIMPA_OIDC_CLIENT_SECRET go together"
                    .into(),
            );
        }
    };
    let public_url = value("SIMPA_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind_raw}"));
    Ok(Some(simpa_app::oidc::OidcConfig {
        issuer,
        client_id,
        client_secret,
        redirect_uri: value("SIMPA_OIDC_REDIRECT_URL").unwrap_or_else(|| {
            format!(
                "{}/api/v1/auth/oidc/callback",
                public_url.trim_end_matches('/')
            )
        }),
        scopes: value("SIMPA_OIDC_SCOPES").unwrap_or_else(|| "openid email profile".into()),
        provisioning: matches!(
            value("SIMPA_OIDC_PROVISIONING").as_deref(),
            Some("1" | "true" | "yes" | "on")
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn single_sign_on_is_off_unless_its_three_settings_are_given() {
        assert!(config(&[]).unwrap().oidc.is_none());
        let partial = config(&[("SIMPA_OIDC_ISSUER", "https://idp.ville.test")]);
        assert!(partial.unwrap_err().contains("go together"));
        let full = config(&[
            ("SIMPA_OIDC_ISSUER", "https://idp.ville.test"),
            ("SIMPA_OIDC_CLIENT_ID", "simpa"),
            ("SIMPA_OIDC_CLIENT_SECRET", "tres-secret"),
            ("SIMPA_PUBLIC_URL", "https://subventions.ville.test/"),
        ])
        .unwrap();
        let oidc = full.oidc.expect("configured");
        assert_eq!(
            oidc.redirect_uri,
            "https://subventions.ville.test/api/v1/auth/oidc/callback"
        );
        assert!(!oidc.provisioning);
        assert!(!format!("{oidc:?}").contains("tres-secret"));
        assert!(config(&[]).unwrap().staff_two_factor);
        assert!(
            !config(&[("SIMPA_STAFF_TWO_FACTOR", "off")])
                .unwrap()
                .staff_two_factor
        );
        assert!(config(&[("SIMPA_STAFF_TWO_FACTOR", "peut-être")]).is_err());
    }

    #[test]
    fn a_city_colour_too_light_for_its_header_is_refused_at_start() {
        let refused = config(&[("SIMPA_CITY_COLOUR", "#ffd700")]).unwrap_err();
        assert!(
            refused.starts_with("SIMPA_CITY_COLOUR: Le texte blanc serait illisible"),
            "{refused}"
        );
        let links = config(&[("SIMPA_CITY_LINKS", "Mentions=ftp://ville.test")]).unwrap_err();
        assert!(links.starts_with("SIMPA_CITY_LINKS:"), "{links}");
        let themed = config(&[
            ("SIMPA_CITY_COLOUR", "#7A0026"),
            (
                "SIMPA_CITY_LINKS",
                "Mentions légales=https://ville.test/mentions",
            ),
        ])
        .unwrap();
        assert_eq!(themed.city_colour.css(), "#7a0026");
        assert_eq!(themed.city_links[0].label, "Mentions légales");
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let c = config(&[]).unwrap();
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite(PathBuf::from("./data/simpa.db"))
        );
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.access_token_ttl, chrono::Duration::minutes(15));
        assert_eq!(c.timezone, chrono_tz::Europe::Paris);
    }

    #[test]
    fn bad_values_are_named() {
        assert!(
            config(&[("SIMPA_DB_POOL_SIZE", "many")])
                .unwrap_err()
                .contains("SIMPA_DB_POOL_SIZE")
        );
        assert_eq!(
            config(&[("SIMPA_LOGIN_MAX_FAILURES_PER_ACCOUNT", "0")]).unwrap_err(),
            "SIMPA_LOGIN_MAX_FAILURES_PER_ACCOUNT must be at least 1"
        );
        assert!(config(&[("SIMPA_DB_POOL_SIZE", "0")]).is_err());
        assert!(
            config(&[("SIMPA_JWT_SECRET", "short")])
                .unwrap_err()
                .contains("32 bytes")
        );
        assert!(
            config(&[("DATABASE_URL", "/tmp/x.db")])
                .unwrap_err()
                .contains("sqlite://")
        );
        assert!(
            config(&[("SIMPA_TIMEZONE", "Mars/Olympus")])
                .unwrap_err()
                .contains("SIMPA_TIMEZONE")
        );
    }
}
