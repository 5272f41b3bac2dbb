//! `/api/v1/` (SPEC §14): JSON for machines, outside the session and CSRF layers,
//! authenticated by an API token (`Authorization: Bearer ppat_…`, Settings → API tokens) and
//! limited to its scopes. Errors are `application/problem+json` (RFC 9457) with a list of field
//! errors where a parameter is wrong.
//!
//! Built so far: reading partners (`partners`). The rest of issue 15 (writes, idempotency,
//! rate limits, OpenAPI, webhooks) is still to come.

pub mod partners;

use actix_web::{http::StatusCode, FromRequest, HttpRequest, HttpResponse, ResponseError};
use diesel::PgConnection;
use serde::Serialize;

use crate::{
    auth::tokens,
    db::{self, api_tokens},
    domain::EnterpriseId,
    error::AppError,
    state::AppState,
};

/// One wrong parameter or field.
#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An `application/problem+json` answer.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Problem { kind: "about:blank", title, status: status.as_u16(), detail: detail.into(), errors: Vec::new() }
    }

    pub fn unauthorized(detail: &str) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    pub fn forbidden(detail: String) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    pub fn not_found() -> Self {
        Problem::new(StatusCode::NOT_FOUND, "Not Found", "There is no such resource in your enterprise.")
    }

    /// The address is not valid text (non-UTF-8 bytes, a NUL): refused at the edge.
    pub fn unreadable(detail: &str) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Bad Request", detail)
    }

    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let mut p = Problem::new(StatusCode::BAD_REQUEST, "Bad Request", "Some parameters are not valid.");
        p.errors = errors;
        p
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.title, self.detail)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut r = HttpResponse::build(self.status_code());
        r.content_type("application/problem+json").insert_header(("cache-control", "no-store"));
        if self.status == 401 {
            r.insert_header(("www-authenticate", "Bearer realm=\"partner-portal\""));
        }
        r.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Problem::not_found(),
            AppError::Forbidden => Problem::forbidden("This token may not do that.".into()),
            AppError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "Conflict", m),
            other => {
                let status = other.status_code();
                if status.is_server_error() {
                    tracing::error!(error = %other, "API request failed");
                    Problem::new(status, "Service Unavailable", "The portal can't answer right now; try again shortly.")
                } else {
                    Problem::new(status, "Bad Request", other.to_string())
                }
            }
        }
    }
}

/// The API token a request carries, once it is known to be live.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token_id: i64,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub scopes: Vec<String>,
}

impl ApiCaller {
    /// 403 unless the token has `scope`.
    pub fn require(&self, scope: &str) -> Result<(), Problem> {
        if self.scopes.iter().any(|s| s == scope) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!("This token lacks the {scope} scope.")))
        }
    }
}

const NO_TOKEN: &str = "Send an API token in the Authorization header: Bearer <token>.";
const BAD_TOKEN: &str = "The API token is unknown, expired or revoked.";

/// The SHA-256 of the bearer token a request carries (401 without one). The token is looked
/// up by [`authenticate`], inside the handler's own database call: one pool checkout a request.
#[derive(Debug, Clone)]
pub struct Bearer(Vec<u8>);

impl FromRequest for Bearer {
    type Error = Problem;
    type Future = std::future::Ready<Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let token = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        std::future::ready(match token {
            Some(t) => Ok(Bearer(tokens::token_hash(t))),
            None => Err(Problem::unauthorized(NO_TOKEN)),
        })
    }
}

/// The live token behind `bearer`, which must have `scope`: 401 or 403 otherwise.
pub fn authenticate(
    conn: &mut PgConnection,
    bearer: &Bearer,
    scope: &str,
) -> Result<Result<ApiCaller, Problem>, AppError> {
    let Some(t) = api_tokens::authenticate(conn, &bearer.0)? else {
        return Ok(Err(Problem::unauthorized(BAD_TOKEN)));
    };
    let caller = ApiCaller { token_id: t.id, enterprise_id: t.enterprise_id, scopes: t.scopes(), name: t.name };
    Ok(caller.require(scope).map(|()| caller))
}

/// Runs `f` as the API caller of `bearer` with `scope`, in one database call.
pub async fn run_as<T, F>(state: &AppState, bearer: Bearer, scope: &'static str, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection, &ApiCaller) -> Result<Result<T, Problem>, AppError> + Send + 'static,
{
    db::run(&state.pool, move |conn| match authenticate(conn, &bearer, scope)? {
        Ok(caller) => f(conn, &caller),
        Err(problem) => Ok(Err(problem)),
    })
    .await?
}

/// A JSON answer.
pub fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").insert_header(("cache-control", "no-store")).json(value)
}
