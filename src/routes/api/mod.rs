//! `/api/v1/` (SPEC §14): JSON for machines, outside the session and CSRF layers,
//! authenticated by an API token (`Authorization: Bearer ppat_…`, Settings → API tokens) and
//! limited to its scopes. Errors are `application/problem+json` (RFC 9457) with a list of field
//! errors where a parameter is wrong.
//!
//! Built so far: reading partners (`partners`). The rest of issue 15 (writes, idempotency,
//! rate limits, OpenAPI, webhooks) is still to come.

pub mod partners;

use std::future::Future;
use std::pin::Pin;

use actix_web::{http::StatusCode, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
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

impl FromRequest for ApiCaller {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Problem>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let header = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| Problem::from(AppError::Unexpected(anyhow::anyhow!("no state"))))?;
            let token = header
                .as_deref()
                .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| Problem::unauthorized(NO_TOKEN))?
                .to_string();
            let hash = tokens::token_hash(&token);
            let found = db::run(&state.pool, move |conn| Ok(api_tokens::authenticate(conn, &hash)?)).await?;
            let t = found.ok_or_else(|| Problem::unauthorized(BAD_TOKEN))?;
            Ok(ApiCaller { token_id: t.id, enterprise_id: t.enterprise_id, scopes: t.scopes(), name: t.name })
        })
    }
}

/// A JSON answer.
pub fn json<T: Serialize>(value: &T) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").insert_header(("cache-control", "no-store")).json(value)
}
