//! `/api/v1/` (SPEC §14): JSON for machines, outside the session and CSRF layers,
//! authenticated by an API token (`Authorization: Bearer ppat_…`, Settings → API tokens) and
//! limited to its scopes. Errors are `application/problem+json` (RFC 9457) with a list of field
//! errors where a parameter is wrong.
//!
//! Every request counts against its token's rate limit (`rate_limit`). A POST may carry an
//! `Idempotency-Key`: its answer is stored with the change, in the same transaction, and a
//! retry gets that answer again instead of a second change (`run_write`).
//!
//! Writes act through the same functions as the pages (`auth::actor::Actor`), so the rules,
//! the transactions, the emails and the audit events are the UI's; the actor is the token
//! ("API token *name*").

/// The value of a `Result<_, Problem>`, or (inside a handler's database closure) the problem
/// as its answer: `let input: T = or_refuse!(parse_body(&body));`.
macro_rules! or_refuse {
    ($e:expr) => {
        match $e {
            Ok(value) => value,
            Err(problem) => return Ok(Err(problem)),
        }
    };
}

pub mod catalog;
pub mod docs;
pub mod domains;
pub mod grants;
pub mod groups;
pub mod invitations;
pub mod partners;
pub mod rate_limit;
pub mod writes;

use actix_web::{http::StatusCode, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field, as the request names it: `name`, `domains[1]`, `administrator.email`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn list(errors: Vec<(String, String)>) -> Vec<FieldError> {
        errors.into_iter().map(|(field, message)| FieldError { field, message }).collect()
    }
}

/// An `application/problem+json` answer (RFC 9457).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "about:blank")]
    pub kind: &'static str,
    #[schema(value_type = String)]
    pub title: &'static str,
    pub status: u16,
    /// What went wrong and what to do, in a sentence.
    pub detail: String,
    /// The fields that break a rule, each with the message the UI shows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            kind: "about:blank",
            title,
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
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

    /// A well-formed request whose fields break the rules (the wizard's words, per field).
    pub fn unprocessable(errors: Vec<FieldError>) -> Self {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable Content",
            "Some fields are not valid; nothing was changed.",
        );
        p.errors = errors;
        p
    }

    /// A refusal with the status the UI answers it with.
    pub fn status(status: StatusCode, detail: impl Into<String>) -> Self {
        let title = match status.as_u16() {
            404 => "Not Found",
            409 => "Conflict",
            422 => "Unprocessable Content",
            _ => "Bad Request",
        };
        Problem::new(status, title, detail)
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Problem::unprocessable(vec![FieldError { field: field.to_string(), message: message.into() }])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    pub fn too_many(retry_after: u64, per_minute: u32) -> Self {
        let mut p = Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            format!("This token may make {per_minute} requests a minute. Try again in {retry_after} s."),
        );
        p.retry_after = Some(retry_after);
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
        if let Some(seconds) = self.retry_after {
            r.insert_header(("retry-after", seconds.to_string()));
        }
        r.body(serde_json::to_string(self).unwrap_or_default())
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Problem::not_found(),
            AppError::Forbidden => Problem::forbidden("This token may not do that.".into()),
            AppError::Conflict(m) => Problem::conflict(m),
            AppError::Unprocessable(m) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Content", m),
            AppError::BadRequest(m) => Problem::new(StatusCode::BAD_REQUEST, "Bad Request", m),
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

/// The live token of `bearer` with `scope`, counted against its rate limit.
pub fn admit(
    conn: &mut PgConnection,
    state: &AppState,
    bearer: &Bearer,
    scope: &str,
) -> Result<Result<ApiCaller, Problem>, AppError> {
    let caller = match authenticate(conn, bearer, scope)? {
        Ok(caller) => caller,
        Err(problem) => return Ok(Err(problem)),
    };
    match state.api_limits.check(conn, caller.token_id, caller.enterprise_id, chrono::Utc::now())? {
        rate_limit::Verdict::Allowed => Ok(Ok(caller)),
        rate_limit::Verdict::Limited { retry_after } => {
            Ok(Err(Problem::too_many(retry_after, state.api_limits.per_minute())))
        }
    }
}

/// Runs `f` as the API caller of `bearer` with `scope`, in one database call.
pub async fn run_as<T, F>(state: &web::Data<AppState>, bearer: Bearer, scope: &'static str, f: F) -> Result<T, Problem>
where
    T: Send + 'static,
    F: FnOnce(&mut PgConnection, &ApiCaller) -> Result<Result<T, Problem>, AppError> + Send + 'static,
{
    let state = state.clone();
    db::run(&state.pool.clone(), move |conn| match admit(conn, &state, &bearer, scope)? {
        Ok(caller) => f(conn, &caller),
        Err(problem) => Ok(Err(problem)),
    })
    .await?
}

/// The partner `id` of the caller's enterprise, if there is one (the sub-resource reads answer
/// 404 otherwise).
pub fn partner_of(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: Option<i64>,
) -> Result<Option<crate::domain::PartnerId>, AppError> {
    let Some(id) = id.map(crate::domain::PartnerId::new) else { return Ok(None) };
    Ok(crate::db::partners::find(conn, enterprise_id, id)?.map(|p| p.id))
}

/// A positive id from the path; None (answered 404 once the token is known) for anything else.
pub fn path_id(raw: &str) -> Option<i64> {
    raw.parse().ok().filter(|&id: &i64| id > 0)
}

/// The request's JSON body; 400 with what serde found wrong.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        let mut p = Problem::new(StatusCode::BAD_REQUEST, "Bad Request", "The body is not the JSON this call takes.");
        p.errors = vec![FieldError { field: "body".into(), message: e.to_string() }];
        p
    })
}

/// A JSON answer.
pub fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").insert_header(("cache-control", "no-store")).json(value)
}
