//! `AppError`: every failure a handler can return, mapped to a status and a styled page.
//!
//! 4xx pages say plainly what went wrong; 500 and 503 pages are generic and the cause goes
//! to the log only.

use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::render::error_page;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Anonymous visitor on a page behind login: sent to the login form.
    #[error("login required")]
    LoginRequired,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests(String),
    #[error("database unavailable")]
    DatabaseUnavailable,
    #[error("database error: {0}")]
    Database(#[from] DieselError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl AppError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        AppError::BadRequest(msg.into())
    }

    /// Title and explanation shown on the error page.
    fn page_text(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => {
                ("Page not found", "The page you asked for does not exist, or you do not have access to it.".into())
            }
            AppError::Forbidden => ("Not allowed", "Your account does not have permission to open this page.".into()),
            AppError::LoginRequired => ("Log in required", "Please log in to continue.".into()),
            AppError::BadRequest(msg) => ("Something is wrong with that request", msg.clone()),
            AppError::Csrf => (
                "This form has expired",
                "The form was open too long or came from another site, so nothing was changed. \
                 Go back, reload the page and try again."
                    .into(),
            ),
            AppError::PayloadTooLarge => {
                ("That was too large", "What you sent is larger than the portal accepts. Nothing was changed.".into())
            }
            AppError::Conflict(msg) => ("That could not be saved", msg.clone()),
            AppError::TooManyRequests(msg) => ("Too many attempts", msg.clone()),
            AppError::DatabaseUnavailable => (
                "The portal is temporarily unavailable",
                "We can't reach our database right now. Nothing you sent was lost or half-saved; \
                 please try again in a minute."
                    .into(),
            ),
            AppError::Database(e) if unique_violation(e) => (
                "That already exists",
                "Something with the same name or address already exists. Nothing was changed.".into(),
            ),
            AppError::Database(_) | AppError::Unexpected(_) => (
                "Something went wrong",
                "An unexpected error happened on our side and has been logged. Nothing was changed; \
                 please try again."
                    .into(),
            ),
        }
    }
}

fn unique_violation(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::LoginRequired => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(e) if unique_violation(e) => StatusCode::CONFLICT,
            AppError::Database(_) | AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::LoginRequired = self {
            return HttpResponse::SeeOther()
                .insert_header(("Location", "/login"))
                .insert_header(("Cache-Control", "no-store"))
                .finish();
        }
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let (title, message) = self.page_text();
        let mut resp = error_page(status, title, &message);
        if let AppError::DatabaseUnavailable = self {
            resp.headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, actix_web::http::header::HeaderValue::from_static("5"));
        }
        resp
    }
}
