//! Logging: a tracing subscriber, and a request span that never records secrets.
//!
//! Link tokens travel in paths (`/password/set/<token>`, `/invitations/<token>`), so the
//! request span records a redacted path and drops query strings.
//!
//! ERROR is for the portal's own faults (5xx) only: a client's bad request, a refused form or
//! a redirect to the login page is ordinary traffic, logged at INFO ([`level_for`]).
//!
//! Every request has an id ([`RequestTag`]): the `X-Request-Id` sent by the trusted proxy when
//! it is well formed, otherwise tracing-actix-web's generated UUID. It is in the request's log
//! line, in the `X-Request-Id` response header and in small print on error pages
//! ([`current_request_id`]), so a user can quote it and an operator find the line.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::StatusCode,
    Error, HttpMessage,
};
use tracing::{Level, Span};
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

use crate::{config::LogFormat, state::AppState};

/// `LOG_FORMAT=json` writes one JSON object per line (the event's fields, and the request span's
/// `method`, `path`, `request_id` and `status` under `span`); `text` one readable line.
pub fn init(format: LogFormat) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info,actix_server=warn,r2d2=warn".to_string());
    // actix-http logs a malformed request or a dropped connection ("stream error") at ERROR,
    // before any portal code runs: the client's fault, so hidden unless asked for by name.
    let filter =
        if filter.contains("actix_http") { filter } else { format!("{filter},actix_http::h1::dispatcher=off") };
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
    };
}

/// The id of the request being handled, as chosen in [`RedactedRootSpan::on_request_start`].
#[derive(Clone, Debug)]
pub struct RequestTag(pub String);

tokio::task_local! {
    static CURRENT: String;
}

/// Runs `f` (a request's handling, in `startup::frame`) with `id` as [`current_request_id`].
pub async fn with_request_id<F: std::future::Future>(id: String, f: F) -> F::Output {
    CURRENT.scope(id, f).await
}

/// The id of the request whose handling is running on this task, for error pages.
pub fn current_request_id() -> Option<String> {
    CURRENT.try_with(|id| id.clone()).ok()
}

/// A proxy's id is reused when it is short and plain (letters, digits, `-`, `_`, `.`, `:`),
/// so that it can go into a header, a log line and a page unchanged.
fn acceptable_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The proxy's `X-Request-Id` if the peer is the trusted proxy and the id acceptable, else ours.
fn choose_request_id(request: &ServiceRequest) -> String {
    let trusted = request.app_data::<actix_web::web::Data<AppState>>().and_then(|s| s.settings.trusted_proxy);
    let peer = request.peer_addr().map(|a| a.ip());
    if trusted.is_some() && peer == trusted {
        if let Some(id) = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
            if acceptable_id(id) {
                return id.to_string();
            }
        }
    }
    request.extensions().get::<RequestId>().map(|id| id.to_string()).unwrap_or_default()
}

/// The level a finished request is logged at.
pub fn level_for(status: StatusCode) -> Level {
    if status.is_server_error() {
        Level::ERROR
    } else {
        Level::INFO
    }
}

/// Path prefixes whose next segment is a secret.
const SECRET_PREFIXES: &[&str] = &["/password/set/", "/invitations/"];

pub fn redact_path(path: &str) -> String {
    for prefix in SECRET_PREFIXES {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            return format!("{prefix}{{token}}{tail}");
        }
    }
    path.to_string()
}

pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = choose_request_id(request);
        request.extensions_mut().insert(RequestTag(request_id.clone()));
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %redact_path(request.path()),
            request_id = %request_id,
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(res) => (res.status(), res.response().error().map(|e| format!("{e:?}"))),
            Err(e) => (e.as_response_error().status_code(), Some(format!("{e:?}"))),
        };
        let level = level_for(status);
        let (status, error) = (status.as_u16(), error.unwrap_or_default());
        span.record("status", status);
        span.in_scope(|| {
            if level == Level::ERROR {
                tracing::error!(status, error, "request failed");
            } else {
                tracing::info!(status, error, "request finished");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_in_paths_are_redacted() {
        assert_eq!(redact_path("/password/set/abcDEF123"), "/password/set/{token}");
        assert_eq!(redact_path("/invitations/xyz/accept"), "/invitations/{token}/accept");
        assert_eq!(redact_path("/settings/partners"), "/settings/partners");
    }

    #[test]
    fn only_short_plain_proxy_ids_are_reused() {
        assert!(acceptable_id("3f2a9c1e-0b7d-4e2a-9f00-1c2d3e4f5a6b"));
        assert!(acceptable_id("req:lb-1.42_7"));
        for bad in ["", "has space", "<script>", "a\"b", &"x".repeat(65)] {
            assert!(!acceptable_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn only_the_portals_own_faults_are_logged_at_error() {
        for status in [StatusCode::INTERNAL_SERVER_ERROR, StatusCode::SERVICE_UNAVAILABLE] {
            assert_eq!(level_for(status), Level::ERROR, "{status}");
        }
        for status in [
            StatusCode::OK,
            StatusCode::SEE_OTHER,
            StatusCode::BAD_REQUEST,
            StatusCode::FORBIDDEN,
            StatusCode::NOT_FOUND,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            assert!(level_for(status) > Level::WARN, "{status} is ordinary traffic");
        }
    }
}
