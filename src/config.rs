//! Settings read once from the environment at start-up and passed down explicitly.
//!
//! Each part of the portal takes only its section: [`PoolSettings`] for the connection pool
//! (`db::build_pool`), [`EmailSettings`] for the mailer and the outbox worker,
//! [`SessionSettings`] for the session store and cookie; the rest is the application's own.
//!
//! | variable | default | section | meaning |
//! | --- | --- | --- | --- |
//! | `DATABASE_URL` | (required) | `database` | PostgreSQL connection URL |
//! | `BIND_ADDR` | `127.0.0.1:8080` | | address the HTTP server listens on |
//! | `PUBLIC_BASE_URL` | `http://BIND_ADDR` in development, required in production | | base of every link in emails and printed by the CLI |
//! | `APP_ENV` | `development` | | `development` or `production` |
//! | `SESSION_KEY` | generated in development (with a warning), required in production | `session` | at least 64 bytes, hex or base64, signs the session cookie |
//! | `INVITE_TTL_HOURS` | `168` | | lifetime of invitation and password links |
//! | `PARTNER_LIMIT` | `10` | | partner limit given to new enterprises |
//! | `DATABASE_POOL_SIZE` | two per CPU, at least 4 | `database` | connections in the pool |
//! | `DATABASE_CONNECT_TIMEOUT_SECS` | `3` | `database` | how long a request waits for a connection before answering 503 |
//! | `TRUSTED_PROXY` | (none) | | peer IP whose `X-Forwarded-For` is believed for throttling |
//! | `WORKERS` | number of CPUs | | actix-web worker threads |
//! | `SMTP_URL` | (none: development mailbox) | `email` | e.g. `smtp://127.0.0.1:2525` or `smtps://user:pass@host` |
//! | `SMTP_FROM` | `Partner Portal <no-reply@localhost>` | `email` | sender of every email |
//! | `SMTP_TIMEOUT_SECS` | `10` | `email` | timeout of one SMTP conversation |
//! | `EMAIL_RETRY_BASE_MS` | `2000` | `email` | first retry delay of an email that could not be sent; doubles per attempt, capped at 5 minutes |
//! | `CREDENTIAL_HASH_KEY` | a fixed development key, required in production | `oauth` | at least 32 bytes, hex or base64: the HMAC key of client secrets, gateway secrets and access tokens (changing it invalidates them all) |
//! | `ACCESS_TOKEN_TTL_SECS` | `300` | `oauth` | lifetime of an access token from `POST /oauth/token` (60 to 3600) |
//! | `TOKEN_REQUESTS_PER_MINUTE` | `60` | `oauth` | access tokens one client credential may obtain per minute; more answer 429 |
//! | `LOG_FORMAT` | `text` | | `text` (one readable line per event) or `json` (one JSON object per line) |
//! | `METRICS_ADDR` | (none) | `metrics` | address of a separate listener serving only `GET /metrics`, without authentication |
//! | `METRICS_TOKEN` | (none) | `metrics` | serves `GET /metrics` on the main port too, to `Authorization: Bearer <token>` only (at least 16 characters) |
//! | `WEBHOOKS_ALLOW_PRIVATE` | `true` in development, `false` (and refused as `true`) in production | `webhooks` | deliver webhooks to loopback, private, link-local and other internal addresses (the SSRF guard off: local receivers in development and tests) |
//! | `DNS_RESOLVER` | the system's (resolv.conf) | `dns` | `ip:port` (or an IP, port 53) of the nameserver asked for domain verification's TXT records |

use std::{env, fmt, net::IpAddr, time::Duration};

use base64::Engine as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

/// A value that must never be printed: its `Debug` hides it.
#[derive(Clone)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub app_env: AppEnv,
    pub bind_addr: String,
    pub public_base_url: String,
    pub invite_ttl: Duration,
    pub partner_limit: i32,
    /// Requests each API token may make per minute, across all instances (SPEC §14).
    pub api_rate_limit: u32,
    pub trusted_proxy: Option<IpAddr>,
    pub workers: usize,
    pub database: PoolSettings,
    pub email: EmailSettings,
    pub session: SessionSettings,
    pub oauth: OAuthSettings,
    pub log_format: LogFormat,
    pub metrics: MetricsSettings,
    pub dns: DnsSettings,
    pub webhooks: WebhookSettings,
}

/// Webhook deliveries (`webhooks`): where they may go.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// `WEBHOOKS_ALLOW_PRIVATE`: the SSRF guard is off (development and tests, whose receivers
    /// listen on 127.0.0.1). Never in production.
    pub allow_private: bool,
    /// Production: an endpoint must be https.
    pub require_https: bool,
    /// How long one delivery may take, connection included.
    pub timeout: Duration,
}

/// Domain verification's lookups (`dns::DnsChecker`).
#[derive(Clone, Debug)]
pub struct DnsSettings {
    /// `DNS_RESOLVER`; None: the system's nameservers.
    pub resolver: Option<std::net::SocketAddr>,
    /// How long one lookup may wait for an answer: short, so a page never hangs.
    pub timeout: Duration,
}

/// How log lines are written (`telemetry::init`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        match value.map(str::trim) {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(err("LOG_FORMAT", format!("must be text or json, not {other:?}"))),
        }
    }
}

/// `GET /metrics` (`monitoring`): on a listener of its own, and/or on the main port behind a
/// token. Neither set: no metrics are recorded and `/metrics` answers 404.
#[derive(Clone, Debug, Default)]
pub struct MetricsSettings {
    pub addr: Option<String>,
    pub token: Option<Secret<String>>,
}

impl MetricsSettings {
    pub fn enabled(&self) -> bool {
        self.addr.is_some() || self.token.is_some()
    }
}

/// The authorisation server's section (`routes::oauth`, `auth::credentials`).
#[derive(Clone, Debug)]
pub struct OAuthSettings {
    /// HMAC key of every stored secret and token hash.
    pub credential_key: Secret<Vec<u8>>,
    pub token_ttl: Duration,
    pub tokens_per_minute: i64,
}

/// Development only, when `CREDENTIAL_HASH_KEY` is not set: a fixed, public key, so that
/// credentials made in a development portal survive its restarts. Production refuses to start
/// without a key of its own.
pub const DEVELOPMENT_CREDENTIAL_KEY: &[u8; 32] = b"partner-portal-development-only!";

/// The connection pool's section (`db::build_pool`).
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub url: Secret<String>,
    pub size: u32,
    pub connect_timeout: Duration,
}

/// The mailer's and the outbox worker's section.
#[derive(Clone, Debug)]
pub struct EmailSettings {
    pub smtp_url: Option<Secret<String>>,
    pub from: lettre::message::Mailbox,
    pub smtp_timeout: Duration,
    /// Delay before the first retry of an email; doubles with each attempt.
    pub retry_base: Duration,
    /// Without `SMTP_URL`, emails go to the development mailbox (development only); otherwise
    /// they stay queued until SMTP is configured.
    pub dev_mailbox: bool,
}

/// The session store's and the session cookie's section.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    pub key: Secret<Vec<u8>>,
    /// No `SESSION_KEY` was given (development): sessions end when the portal restarts.
    pub key_generated: bool,
    /// Idle session timeout.
    pub idle: Duration,
    /// Absolute session lifetime, whatever the activity.
    pub absolute: Duration,
    /// `PUBLIC_BASE_URL` is https: the cookie is `Secure` and `__Host-` prefixed.
    pub secure_cookie: bool,
    /// `SESSION_CACHE` (on by default): settled sessions kept in the process
    /// (`auth::session_cache`).
    pub cache: bool,
    /// `DATABASE_LISTEN_URL`, else `DATABASE_URL`: the session cache's LISTEN connection, which
    /// must reach PostgreSQL itself (a transaction-pooling PgBouncer does not pass
    /// notifications on).
    pub listen_url: Secret<String>,
}

/// A configuration problem, named by its variable, in one line.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { var, message: message.into() }
}

impl Settings {
    /// Reads the process environment (and `.env` in development).
    pub fn from_env() -> Result<Self, ConfigError> {
        let app_env = match env::var("APP_ENV").as_deref() {
            Ok("production") => AppEnv::Production,
            Ok("development") | Err(_) => AppEnv::Development,
            Ok(other) => return Err(err("APP_ENV", format!("must be development or production, not {other:?}"))),
        };
        if app_env == AppEnv::Development {
            // Only development reads a .env file; production takes the real environment.
            let _ = dotenvy::dotenv();
        }
        Self::from_lookup(app_env, |k| env::var(k).ok())
    }

    /// Builds settings from any variable lookup (tests pass their own).
    pub fn from_lookup(app_env: AppEnv, get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let prod = app_env == AppEnv::Production;

        let database_url = get("DATABASE_URL").ok_or_else(|| err("DATABASE_URL", "is not set"))?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(err("DATABASE_URL", "must start with postgres://"));
        }
        let bind_addr = get("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_string());
        let public_base_url = match get("PUBLIC_BASE_URL") {
            Some(u) => u,
            None if prod => return Err(err("PUBLIC_BASE_URL", "is required in production")),
            None => format!("http://{bind_addr}"),
        };
        let parsed =
            url::Url::parse(&public_base_url).map_err(|e| err("PUBLIC_BASE_URL", format!("is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(err("PUBLIC_BASE_URL", "must be an http:// or https:// URL"));
        }
        if prod && parsed.scheme() != "https" {
            return Err(err("PUBLIC_BASE_URL", "must be https:// in production"));
        }
        let public_base_url = public_base_url.trim_end_matches('/').to_string();

        let (session_key, session_key_generated) = match get("SESSION_KEY") {
            Some(raw) => (decode_key("SESSION_KEY", &raw, 64)?, false),
            None if prod => return Err(err("SESSION_KEY", "is required in production")),
            None => {
                let mut key = vec![0u8; 64];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
                (key, true)
            }
        };

        let credential_key = match get("CREDENTIAL_HASH_KEY") {
            Some(raw) => decode_key("CREDENTIAL_HASH_KEY", &raw, 32)?,
            None if prod => return Err(err("CREDENTIAL_HASH_KEY", "is required in production")),
            None => DEVELOPMENT_CREDENTIAL_KEY.to_vec(),
        };

        let num = |k: &'static str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(v) => {
                    let n: u64 = v.trim().parse().map_err(|_| err(k, format!("must be a whole number, not {v:?}")))?;
                    if n < min || n > max {
                        return Err(err(k, format!("must be between {min} and {max}")));
                    }
                    Ok(n)
                }
            }
        };
        let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) as u64;

        let trusted_proxy = match get("TRUSTED_PROXY") {
            None => None,
            Some(v) => Some(v.trim().parse().map_err(|_| err("TRUSTED_PROXY", "must be an IP address"))?),
        };
        let smtp_url = get("SMTP_URL").map(Secret::new);
        if let Some(url) = &smtp_url {
            // Parsed once more by the worker; checked here so a typo stops start-up by name.
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url.expose())
                .map_err(|e| err("SMTP_URL", format!("is not a usable smtp:// or smtps:// URL: {e}")))?;
        }
        let smtp_from = get("SMTP_FROM").unwrap_or_else(|| "Partner Portal <no-reply@localhost>".to_string());
        let smtp_from = smtp_from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| err("SMTP_FROM", format!("must be an address like `Name <a@b.example>`: {e}")))?;

        let log_format = LogFormat::parse(get("LOG_FORMAT").as_deref())?;
        let metrics_token = get("METRICS_TOKEN").map(|t| t.trim().to_string());
        if metrics_token.as_ref().is_some_and(|t| t.len() < 16) {
            return Err(err("METRICS_TOKEN", "must be at least 16 characters"));
        }
        let metrics_addr = get("METRICS_ADDR").map(|a| a.trim().to_string());
        if let Some(addr) = &metrics_addr {
            addr.parse::<std::net::SocketAddr>()
                .map_err(|_| err("METRICS_ADDR", format!("must be an address like 127.0.0.1:9090, not {addr:?}")))?;
        }

        let dns_resolver = match get("DNS_RESOLVER") {
            None => None,
            Some(raw) => Some(crate::dns::parse_resolver(&raw).ok_or_else(|| {
                err("DNS_RESOLVER", format!("must be a nameserver's address like 127.0.0.1:53, not {raw:?}"))
            })?),
        };

        let session_cache = match get("SESSION_CACHE").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(err("SESSION_CACHE", format!("must be on or off, not {other:?}"))),
        };
        // Checked when given; DATABASE_URL's own parameters are libpq's, and one the listener
        // does not know only leaves the cache bypassed (logged), never stops the portal.
        let listen_url = match get("DATABASE_LISTEN_URL") {
            None => database_url.clone(),
            Some(url) => {
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                    return Err(err("DATABASE_LISTEN_URL", "must start with postgres://"));
                }
                if let Err(e) = url.parse::<tokio_postgres::Config>() {
                    return Err(err("DATABASE_LISTEN_URL", format!("is not a usable database URL: {e}")));
                }
                url
            }
        };

        let allow_private = match get("WEBHOOKS_ALLOW_PRIVATE").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None => !prod,
            Some("true") if prod => {
                return Err(err("WEBHOOKS_ALLOW_PRIVATE", "can't be true in production (it turns off the SSRF guard)"))
            }
            Some("true") => true,
            Some("false") => false,
            Some(other) => return Err(err("WEBHOOKS_ALLOW_PRIVATE", format!("must be true or false, not {other:?}"))),
        };

        let secure_cookie = public_base_url.starts_with("https://");
        Ok(Settings {
            app_env,
            bind_addr,
            public_base_url,
            invite_ttl: Duration::from_secs(num("INVITE_TTL_HOURS", 168, 1, 24 * 90)? * 3600),
            partner_limit: num("PARTNER_LIMIT", 10, 1, 10_000)? as i32,
            api_rate_limit: num("API_RATE_LIMIT_PER_MINUTE", 600, 1, 10_000_000)? as u32,
            trusted_proxy,
            workers: num("WORKERS", cpus, 1, 256)? as usize,
            database: PoolSettings {
                url: Secret::new(database_url),
                // Two connections per core; more only queue up inside PostgreSQL, where nobody is
                // first come first served (see `db::DbPool`): with 10 on 2 cores the benchmark's
                // p99 was 40-95 ms, with 4 at most 45 ms, for some throughput (README, Benchmark).
                size: num("DATABASE_POOL_SIZE", (2 * cpus).max(4), 1, 500)? as u32,
                connect_timeout: Duration::from_secs(num("DATABASE_CONNECT_TIMEOUT_SECS", 3, 1, 60)?),
            },
            email: EmailSettings {
                smtp_url,
                from: smtp_from,
                smtp_timeout: Duration::from_secs(num("SMTP_TIMEOUT_SECS", 10, 1, 300)?),
                retry_base: Duration::from_millis(num("EMAIL_RETRY_BASE_MS", 2000, 10, 300_000)?),
                dev_mailbox: app_env == AppEnv::Development,
            },
            session: SessionSettings {
                key: Secret::new(session_key),
                key_generated: session_key_generated,
                idle: Duration::from_secs(30 * 60),
                absolute: Duration::from_secs(12 * 3600),
                secure_cookie,
                cache: session_cache,
                listen_url: Secret::new(listen_url),
            },
            oauth: OAuthSettings {
                credential_key: Secret::new(credential_key),
                token_ttl: Duration::from_secs(num("ACCESS_TOKEN_TTL_SECS", 300, 60, 3600)?),
                tokens_per_minute: num("TOKEN_REQUESTS_PER_MINUTE", 60, 1, 100_000)? as i64,
            },
            log_format,
            metrics: MetricsSettings { addr: metrics_addr, token: metrics_token.map(Secret::new) },
            dns: DnsSettings { resolver: dns_resolver, timeout: Duration::from_secs(3) },
            webhooks: WebhookSettings { allow_private, require_https: prod, timeout: Duration::from_secs(10) },
        })
    }

    /// An absolute link for emails and the CLI, never built from request headers.
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_base_url, path)
    }
}

fn decode_key(var: &'static str, raw: &str, min_bytes: usize) -> Result<Vec<u8>, ConfigError> {
    let raw = raw.trim();
    let bytes = hex::decode(raw)
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(raw).ok())
        .or_else(|| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok())
        .ok_or_else(|| err(var, "must be hex or base64"))?;
    if bytes.len() < min_bytes {
        return Err(err(var, format!("must hold at least {min_bytes} bytes ({} hex characters)", 2 * min_bytes)));
    }
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&str, &str)], env: AppEnv) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(env, |k| map.get(k).cloned())
    }

    #[test]
    fn production_without_session_key_names_the_variable() {
        let e =
            with(&[("DATABASE_URL", "postgres://x/y"), ("PUBLIC_BASE_URL", "https://p.example")], AppEnv::Production)
                .unwrap_err();
        assert_eq!(e.var, "SESSION_KEY");
    }

    #[test]
    fn the_session_cache_is_on_by_default_and_its_listen_url_is_checked_when_given() {
        let db = ("DATABASE_URL", "postgres://x/y");
        let s = with(&[db], AppEnv::Development).unwrap();
        assert!(s.session.cache);
        assert_eq!(s.session.listen_url.expose(), "postgres://x/y", "DATABASE_URL by default");
        assert!(!with(&[db, ("SESSION_CACHE", "OFF")], AppEnv::Development).unwrap().session.cache);
        assert_eq!(with(&[db, ("SESSION_CACHE", "maybe")], AppEnv::Development).unwrap_err().var, "SESSION_CACHE");
        for bad in ["mysql://x/y", "postgres://x/y?nonsense=1"] {
            let e = with(&[db, ("DATABASE_LISTEN_URL", bad)], AppEnv::Development).unwrap_err();
            assert_eq!(e.var, "DATABASE_LISTEN_URL", "{bad}");
        }
        let s = with(&[db, ("DATABASE_LISTEN_URL", "postgres://direct:5432/y")], AppEnv::Development).unwrap();
        assert_eq!(s.session.listen_url.expose(), "postgres://direct:5432/y");
    }

    #[test]
    fn the_webhook_ssrf_guard_is_on_in_production_and_cannot_be_turned_off_there() {
        let db = ("DATABASE_URL", "postgres://x/y");
        let dev = with(&[db], AppEnv::Development).unwrap().webhooks;
        assert!(dev.allow_private && !dev.require_https, "local receivers in development and tests");
        let off = with(&[db, ("WEBHOOKS_ALLOW_PRIVATE", "false")], AppEnv::Development).unwrap().webhooks;
        assert!(!off.allow_private);
        assert_eq!(
            with(&[db, ("WEBHOOKS_ALLOW_PRIVATE", "yes")], AppEnv::Development).unwrap_err().var,
            "WEBHOOKS_ALLOW_PRIVATE"
        );
        let key = "ab".repeat(64);
        let prod = [
            db,
            ("PUBLIC_BASE_URL", "https://p.example"),
            ("SESSION_KEY", key.as_str()),
            ("CREDENTIAL_HASH_KEY", "cd".repeat(32).leak()),
        ];
        let s = with(&prod, AppEnv::Production).unwrap().webhooks;
        assert!(!s.allow_private && s.require_https);
        let mut on = prod.to_vec();
        on.push(("WEBHOOKS_ALLOW_PRIVATE", "true"));
        assert_eq!(with(&on, AppEnv::Production).unwrap_err().var, "WEBHOOKS_ALLOW_PRIVATE");
    }

    #[test]
    fn a_short_session_key_is_refused() {
        let e = with(&[("DATABASE_URL", "postgres://x/y"), ("SESSION_KEY", "abcd")], AppEnv::Development).unwrap_err();
        assert_eq!(e.var, "SESSION_KEY");
    }

    #[test]
    fn development_defaults_are_usable() {
        let s = with(&[("DATABASE_URL", "postgres://x/y")], AppEnv::Development).unwrap();
        assert_eq!(s.public_base_url, "http://127.0.0.1:8080");
        assert!(s.session.key_generated);
        assert_eq!(s.partner_limit, 10);
        assert_eq!(s.api_rate_limit, 600);
        assert_eq!(s.invite_ttl, Duration::from_secs(168 * 3600));
    }

    #[test]
    fn each_section_gets_its_variables() {
        let key = "ab".repeat(64);
        let s = with(
            &[
                ("DATABASE_URL", "postgres://x/y"),
                ("PUBLIC_BASE_URL", "https://p.example"),
                ("SESSION_KEY", &key),
                ("DATABASE_POOL_SIZE", "7"),
                ("SMTP_URL", "smtp://127.0.0.1:2525"),
                ("SMTP_FROM", "Portal <portal@p.example>"),
                ("EMAIL_RETRY_BASE_MS", "150"),
                ("CREDENTIAL_HASH_KEY", &"cd".repeat(32)),
                ("ACCESS_TOKEN_TTL_SECS", "120"),
            ],
            AppEnv::Production,
        )
        .unwrap();
        assert_eq!(s.database.url.expose(), "postgres://x/y");
        assert_eq!(s.database.size, 7);
        assert_eq!(s.email.from.email.to_string(), "portal@p.example");
        assert_eq!(s.email.retry_base, Duration::from_millis(150));
        assert!(!s.email.dev_mailbox, "production never falls back to the development mailbox");
        assert!(s.session.secure_cookie, "an https base URL makes the cookie Secure");
        assert!(!s.session.key_generated);
        assert_eq!(s.oauth.credential_key.expose(), &vec![0xcd; 32]);
        assert_eq!(s.oauth.token_ttl, Duration::from_secs(120));
    }

    #[test]
    fn production_needs_a_credential_key_of_its_own() {
        let key = "ab".repeat(64);
        let base =
            [("DATABASE_URL", "postgres://x/y"), ("PUBLIC_BASE_URL", "https://p.example"), ("SESSION_KEY", &key)];
        let e = with(&base, AppEnv::Production).unwrap_err();
        assert_eq!(e.var, "CREDENTIAL_HASH_KEY");
        let short = [base[0], base[1], base[2], ("CREDENTIAL_HASH_KEY", "abcd")];
        assert_eq!(with(&short, AppEnv::Production).unwrap_err().var, "CREDENTIAL_HASH_KEY");
        let dev = with(&[("DATABASE_URL", "postgres://x/y")], AppEnv::Development).unwrap();
        assert_eq!(dev.oauth.credential_key.expose().as_slice(), DEVELOPMENT_CREDENTIAL_KEY, "kept across restarts");
    }

    #[test]
    fn a_non_numeric_ttl_is_refused_by_name() {
        let e =
            with(&[("DATABASE_URL", "postgres://x/y"), ("INVITE_TTL_HOURS", "soon")], AppEnv::Development).unwrap_err();
        assert_eq!(e.var, "INVITE_TTL_HOURS");
    }

    #[test]
    fn log_format_is_text_or_json_and_anything_else_is_refused_by_name() {
        let base = ("DATABASE_URL", "postgres://x/y");
        assert_eq!(with(&[base], AppEnv::Development).unwrap().log_format, LogFormat::Text);
        assert_eq!(with(&[base, ("LOG_FORMAT", "json")], AppEnv::Development).unwrap().log_format, LogFormat::Json);
        assert_eq!(with(&[base, ("LOG_FORMAT", "yaml")], AppEnv::Development).unwrap_err().var, "LOG_FORMAT");
    }

    #[test]
    fn metrics_are_off_unless_an_address_or_a_token_is_given() {
        let base = ("DATABASE_URL", "postgres://x/y");
        assert!(!with(&[base], AppEnv::Development).unwrap().metrics.enabled());
        let token = with(&[base, ("METRICS_TOKEN", "0123456789abcdef")], AppEnv::Development).unwrap();
        assert!(token.metrics.enabled() && token.metrics.addr.is_none());
        assert_eq!(with(&[base, ("METRICS_TOKEN", "short")], AppEnv::Development).unwrap_err().var, "METRICS_TOKEN");
        assert_eq!(with(&[base, ("METRICS_ADDR", "nowhere")], AppEnv::Development).unwrap_err().var, "METRICS_ADDR");
        let addr = with(&[base, ("METRICS_ADDR", "127.0.0.1:9090")], AppEnv::Development).unwrap();
        assert_eq!(addr.metrics.addr.as_deref(), Some("127.0.0.1:9090"));
    }

    #[test]
    fn the_dns_resolver_is_the_systems_unless_an_address_is_given() {
        let base = ("DATABASE_URL", "postgres://x/y");
        assert_eq!(with(&[base], AppEnv::Development).unwrap().dns.resolver, None);
        let set = with(&[base, ("DNS_RESOLVER", "127.0.0.1:5353")], AppEnv::Development).unwrap();
        assert_eq!(set.dns.resolver, Some("127.0.0.1:5353".parse().unwrap()));
        assert_eq!(
            with(&[base, ("DNS_RESOLVER", "ns1.example")], AppEnv::Development).unwrap_err().var,
            "DNS_RESOLVER"
        );
    }

    #[test]
    fn production_refuses_plain_http_base_url() {
        let key = "ab".repeat(64);
        let e = with(
            &[("DATABASE_URL", "postgres://x/y"), ("PUBLIC_BASE_URL", "http://p.example"), ("SESSION_KEY", &key)],
            AppEnv::Production,
        )
        .unwrap_err();
        assert_eq!(e.var, "PUBLIC_BASE_URL");
    }
}
