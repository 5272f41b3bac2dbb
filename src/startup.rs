//! `Application::build(settings)`: the pool, migrations, background tasks, middleware and
//! routes, bound to a listener (and the metrics listener, with `METRICS_ADDR`). `main` and the
//! tests start the portal the same way.

use std::{
    net::TcpListener,
    sync::atomic::{AtomicBool, Ordering},
    sync::Arc,
    time::{Duration, Instant},
};

use actix_session::{
    config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy},
    SessionMiddleware,
};
use actix_web::{
    body::{BoxBody, MessageBody},
    cookie::{Key, SameSite},
    dev::{Server, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::{from_fn, Next},
    web, App, Error, HttpMessage, HttpServer, ResponseError,
};
use tracing_actix_web::TracingLogger;

use crate::{
    auth::{
        csrf, input,
        password::PasswordHasherPool,
        session_cache::{self, SessionCache},
        session_store::{watch_for_outage, PgSessionStore},
    },
    config::Settings,
    db::{self, DbPool},
    error::AppError,
    monitoring,
    render::error_page,
    routes,
    state::AppState,
    telemetry::{self, RedactedRootSpan, RequestTag},
};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
                   object-src 'none'";

pub struct Application {
    port: u16,
    server: Server,
    /// `METRICS_ADDR`'s listener: its port and server, run alongside the main one.
    metrics: Option<(u16, Server)>,
    state: web::Data<AppState>,
    /// Stopped once the server has (see `run_until_stopped`).
    email_worker: Option<crate::background::Worker>,
    /// The daily re-check of verified domains; runs and stops with the email worker.
    domain_checks: Option<crate::background::Worker>,
    /// Reminders and revocation of expiring grants; runs and stops with the email worker.
    access_expiry: Option<crate::background::Worker>,
    /// Webhook deliveries; runs and stops with the email worker.
    webhooks: Option<crate::background::Worker>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind_addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind_addr))?;
        Self::build_on(settings, listener).await
    }

    /// Like `build`, on a listener bound by the caller (tests bind port 0 first so that
    /// `PUBLIC_BASE_URL` can name the real port).
    pub async fn build_on(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        Self::build_with(settings, listener, true).await
    }

    /// Like `build_on`, without the background workers: the caller sends queued emails itself
    /// with `email::worker::dispatch_all_pending` and re-checks due domains with
    /// `dns::recheck::run_due`, runs expiries with `access_expiry::run_due` and delivers
    /// webhooks with `webhooks::worker::run_due` (as most tests do, rather than wait).
    pub async fn build_on_without_email_worker(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        Self::build_with(settings, listener, false).await
    }

    async fn build_with(settings: Settings, listener: TcpListener, email_worker: bool) -> anyhow::Result<Self> {
        let port = listener.local_addr()?.port();
        if settings.metrics.enabled() {
            // Before the pool's first connection, which then counts its statements.
            monitoring::install();
        }
        // Always: the session cache needs to know that a statement ran (`db::run`).
        db::instrumentation::install();
        let sessions = Arc::new(SessionCache::new(settings.session.cache, settings.session.idle));
        let pool = db::build_pool_with(&settings.database, settings.session.cache.then(|| sessions.clone()));
        // Half the cores at most for argon2 (see `auth::password`).
        let hash_concurrency = (std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2) / 2).max(1);
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            hasher: PasswordHasherPool::new(hash_concurrency),
            schema_ready: AtomicBool::new(false),
            introspections: Default::default(),
            sessions,
            api_limits: crate::routes::api::rate_limit::RateLimiter::new(settings.api_rate_limit),
            settings: settings.clone(),
        });
        crate::auth::session_cache::spawn_listener(settings.session.listen_url.clone(), state.sessions.clone());
        spawn_migrations(state.clone().into_inner());
        spawn_housekeeping(pool.clone());
        let (email_worker, domain_checks, access_expiry, webhooks) = if email_worker {
            (
                crate::email::worker::spawn(crate::email::worker::pool(&settings.database), settings.email.clone()),
                Some(crate::dns::recheck::spawn(crate::email::worker::pool(&settings.database), settings.dns.clone())),
                Some(crate::access_expiry::spawn(crate::email::worker::pool(&settings.database), settings.clone())),
                crate::webhooks::worker::spawn(crate::email::worker::pool(&settings.database), settings.clone()),
            )
        } else {
            (None, None, None, None)
        };

        let session_key =
            Key::try_from(settings.session.key.expose().as_slice()).map_err(|e| anyhow::anyhow!("SESSION_KEY: {e}"))?;
        let store = PgSessionStore::new(pool, &settings.session, state.sessions.clone());
        let https = settings.session.secure_cookie;
        let absolute = actix_web::cookie::time::Duration::seconds(settings.session.absolute.as_secs() as i64);
        let static_dir =
            std::env::var("STATIC_DIR").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/static").to_string());
        crate::assets::init(std::path::Path::new(&static_dir));

        let app_state = state.clone();
        let server = HttpServer::new(move || {
            let sessions = SessionMiddleware::builder(store.clone(), session_key.clone())
                // `__Host-` pins the cookie to this exact origin over https.
                .cookie_name(if https { "__Host-pp_session" } else { "pp_session" }.to_string())
                .cookie_secure(https)
                .cookie_http_only(true)
                .cookie_same_site(SameSite::Lax)
                .cookie_path("/".to_string())
                .cookie_content_security(CookieContentSecurity::Signed)
                .session_lifecycle(
                    BrowserSession::default()
                        .state_ttl(absolute)
                        .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
                )
                .build();
            App::new()
                .app_data(app_state.clone())
                .app_data(web::FormConfig::default().limit(csrf::FORM_LIMIT).error_handler(|e, _| form_error(e)))
                .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
                .app_data(web::QueryConfig::default().error_handler(|_, _| {
                    AppError::bad_request("The address has parameters we could not read.").into()
                }))
                .wrap(from_fn(input::text_guard))
                .wrap(from_fn(frame))
                // Pages and assets compressed as Accept-Encoding asks. BREACH (README, "Static
                // files and compression"): pages carry the per-session CSRF token, but the
                // session cookie is SameSite=Lax, so other sites cannot have signed-in pages
                // reflect their guesses at the scale the attack needs.
                .wrap(actix_web::middleware::Compress::default())
                .wrap(TracingLogger::<RedactedRootSpan>::new())
                .service(crate::assets::service(&static_dir))
                .configure(routes::probes)
                .configure(routes::oauth)
                .configure(routes::api)
                // The session cache's two halves: `track` around the session middleware (which
                // loads the session), `confirm` around the pages, before the session is saved.
                .service(
                    web::scope("")
                        .wrap(from_fn(session_cache::confirm))
                        .wrap(from_fn(csrf::csrf_guard))
                        .wrap(sessions)
                        .wrap(from_fn(session_cache::track))
                        .configure(routes::pages),
                )
                .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
        })
        .workers(settings.workers)
        .listen(listener)?
        .run();

        let metrics = match &settings.metrics.addr {
            Some(addr) => Some(metrics_server(addr, state.clone())?),
            None => None,
        };
        Ok(Self { port, server, metrics, state, email_worker, domain_checks, access_expiry, webhooks })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `METRICS_ADDR`'s listener (useful with port 0).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the server is stopped: on SIGTERM (or a `ServerHandle::stop(true)`) it
    /// stops accepting connections and lets requests in flight finish (actix's shutdown
    /// timeout, 30 s); then the email worker is stopped between two emails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics_handle = self.metrics.map(|(_, metrics)| {
            let handle = metrics.handle();
            tokio::spawn(metrics);
            handle
        });
        let served = self.server.await;
        if let Some(handle) = metrics_handle {
            handle.stop(true).await;
        }
        if let Some(worker) = self.email_worker {
            worker.stop().await;
        }
        if let Some(worker) = self.domain_checks {
            worker.stop().await;
        }
        if let Some(worker) = self.access_expiry {
            worker.stop().await;
        }
        if let Some(worker) = self.webhooks {
            worker.stop().await;
        }
        served
    }
}

/// `METRICS_ADDR`: one worker serving `GET /metrics` and nothing else (404).
fn metrics_server(addr: &str, state: web::Data<AppState>) -> anyhow::Result<(u16, Server)> {
    let listener =
        TcpListener::bind(addr).map_err(|e| anyhow::anyhow!("METRICS_ADDR: cannot listen on {addr}: {e}"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(routes::metrics::metrics_listener))
            .default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .workers(1)
    .listen(listener)?
    .run();
    Ok((port, server))
}

fn form_error(e: actix_web::error::UrlencodedError) -> Error {
    use actix_web::error::UrlencodedError as U;
    match e {
        U::Overflow { .. } => AppError::PayloadTooLarge.into(),
        _ => AppError::bad_request("The form could not be read. Go back, reload the page and try again.").into(),
    }
}

/// Applies migrations, retrying in the background while the database is unreachable.
fn spawn_migrations(state: Arc<AppState>) {
    std::thread::spawn(move || {
        let mut delay = Duration::from_millis(500);
        loop {
            match db::connect(state.settings.database.url.expose())
                .map_err(anyhow::Error::from)
                .and_then(|mut conn| db::run_migrations(&mut conn))
            {
                Ok(()) => {
                    state.schema_ready.store(true, Ordering::SeqCst);
                    tracing::info!("database schema is up to date");
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "migrations not applied yet");
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    });
}

/// Removes expired sessions and old throttling rows every few minutes.
fn spawn_housekeeping(pool: DbPool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            let result = db::run(&pool, |conn| {
                let sessions = db::sessions::delete_expired(conn)?;
                let failures = db::throttle::delete_older_than(conn, 24 * 3600)?;
                db::oauth::delete_expired_tokens(conn)?;
                db::drafts::delete_stale(conn)?;
                db::webhooks::delete_settled(conn)?;
                Ok((sessions, failures))
            })
            .await;
            match result {
                Ok((s, f)) => tracing::debug!(sessions = s, login_failures = f, "housekeeping done"),
                Err(e) => tracing::warn!(error = %e, "housekeeping skipped"),
            }
        }
    });
}

/// Outermost layer: security headers on every response, and every error (including those
/// raised by other middleware or by actix itself) turned into a styled page.
///
/// It also stamps the request's id (see `telemetry`) on every response and makes it known to
/// error pages, and counts the request for `/metrics` under its route pattern.
async fn frame(req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, Error> {
    let id = req.extensions().get::<RequestTag>().map(|tag| tag.0.clone()).unwrap_or_default();
    let observed = monitoring::enabled().then(|| (req.match_pattern(), req.method().clone(), Instant::now()));
    let result = telemetry::with_request_id(id.clone(), frame_inner(req, next, id)).await;
    if let Some((pattern, method, started)) = observed {
        let status = match &result {
            Ok(res) => res.status(),
            Err(e) => e.as_response_error().status_code(),
        };
        monitoring::request(pattern.as_deref(), method.as_str(), status.as_u16(), started.elapsed());
    }
    result
}

async fn frame_inner(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    request_id: String,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|state| state.settings.session.secure_cookie);
    let (outcome, database_unavailable) = watch_for_outage(next.call(req)).await;
    match outcome {
        Ok(res) => {
            let status = res.status();
            let is_html = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.starts_with("text/html")
                    || v.starts_with("application/json")
                    || v.starts_with("application/problem+json")
            });
            // HTML pages and JSON answers (the OAuth endpoints', the API's problems) are kept.
            let mut res = if (status.is_client_error() || status.is_server_error()) && !is_html {
                let (title, message) = generic_text(status);
                let mut page = error_page(status, title, message);
                copy_allow_header(res.headers(), page.headers_mut());
                res.into_response(page)
            } else {
                res.map_into_boxed_body()
            };
            add_security_headers(res.headers_mut(), https);
            add_request_id(res.headers_mut(), &request_id);
            Ok(res)
        }
        Err(e) => {
            let mut response = if let Some(app) = e.as_error::<AppError>() {
                app.error_response()
            } else if database_unavailable {
                // A session-store error, which actix-session wraps as an opaque 500.
                AppError::DatabaseUnavailable.error_response()
            } else {
                let status = e.as_response_error().status_code();
                if status.is_server_error() {
                    tracing::error!(error = %e, "request failed in middleware");
                }
                let (title, message) = generic_text(status);
                error_page(status, title, message)
            };
            add_security_headers(response.headers_mut(), https);
            add_request_id(response.headers_mut(), &request_id);
            // The request was consumed by the inner layers; hand actix the finished page.
            Err(actix_web::error::InternalError::from_response(e.to_string(), response).into())
        }
    }
}

/// Over https, browsers are also told to never use plain http for this host (two years);
/// a development portal on http must not send it, or `localhost` would be pinned to https.
fn add_security_headers(headers: &mut header::HeaderMap, https: bool) {
    let set = |h: &mut header::HeaderMap, name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::CACHE_CONTROL, "no-store");
    set(headers, header::HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()");
    if https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains");
    }
}

fn add_request_id(headers: &mut header::HeaderMap, id: &str) {
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(header::HeaderName::from_static("x-request-id"), value);
    }
}

fn copy_allow_header(from: &header::HeaderMap, to: &mut header::HeaderMap) {
    if let Some(allow) = from.get(header::ALLOW) {
        to.insert(header::ALLOW, allow.clone());
    }
}

fn generic_text(status: actix_web::http::StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Something is wrong with that request",
            "The portal could not understand what was sent. Nothing was changed.",
        ),
        403 => ("Not allowed", "Your account does not have permission to do this."),
        404 => ("Page not found", "The page you asked for does not exist, or you do not have access to it."),
        405 => ("Not allowed here", "That action is not available at this address. Nothing was changed."),
        413 => ("That was too large", "What you sent is larger than the portal accepts. Nothing was changed."),
        415 => ("Unsupported form", "The portal could not read that kind of form. Nothing was changed."),
        422 => ("Please check the form", "Some of what was sent is not valid. Nothing was changed."),
        503 => ("The portal is temporarily unavailable", "Please try again in a minute. Nothing you sent was lost."),
        s if s >= 500 => ("Something went wrong", "An unexpected error happened on our side and has been logged."),
        _ => ("Something is wrong with that request", "Nothing was changed."),
    }
}
