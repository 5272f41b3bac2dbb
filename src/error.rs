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
    /// Logged in, but acting in no membership (it ended, or none was picked yet): sent to
    /// the organisation picker.
    #[error("choose an organisation")]
    ChooseOrganisation,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("payload too large")]
    PayloadTooLarge,
    /// An upload larger than its form accepts, with what that form's limit is (413).
    #[error("upload too large: {0}")]
    UploadTooLarge(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A well-formed request the rules refuse (422), e.g. an invitation to a domain that is not
    /// verified while the enterprise requires it; the message says what to do first.
    #[error("unprocessable: {0}")]
    Unprocessable(String),
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

    /// A unique violation on the index `index` means a concurrent request saved the same value
    /// between the form's own check and this write: the form is shown again (422) with
    /// `message` next to `field`, instead of the generic 409 page. Any other error stays as it
    /// was.
    pub fn unique_as_field(
        self,
        index: &str,
        field: &'static str,
        message: impl FnOnce() -> String,
    ) -> Result<FieldErrors, AppError> {
        match &self {
            AppError::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
                if info.constraint_name() == Some(index) =>
            {
                Ok(FieldErrors::one(field, message()))
            }
            _ => Err(self),
        }
    }

    /// A foreign key violation means a concurrent request added a row that refers to what this
    /// one changes (a grant of what is being deleted): a 409 with `message`. Any other error
    /// stays as it was.
    pub fn foreign_key_as_conflict(self, message: impl FnOnce() -> String) -> AppError {
        match self {
            AppError::Database(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
                AppError::Conflict(message())
            }
            other => other,
        }
    }

    /// Title and explanation shown on the error page.
    fn page_text(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => {
                ("Page not found", "The page you asked for does not exist, or you do not have access to it.".into())
            }
            AppError::Forbidden => ("Not allowed", "Your account does not have permission to open this page.".into()),
            AppError::LoginRequired => ("Log in required", "Please log in to continue.".into()),
            AppError::ChooseOrganisation => ("Choose an organisation", "Choose which organisation to work in.".into()),
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
            AppError::UploadTooLarge(msg) => ("That file is too large", msg.clone()),
            AppError::Conflict(msg) => ("That could not be saved", msg.clone()),
            AppError::Unprocessable(msg) => ("That could not be done", msg.clone()),
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

/// The messages a form shows next to its fields, by the field's `name`; empty when the input
/// is fine.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        FieldErrors(vec![(field, message.into())])
    }

    /// The value when `parsed` is fine; otherwise its error goes next to `field`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &'static str, parsed: Result<T, E>) -> Option<T> {
        parsed.map_err(|e| self.add(field, e.to_string())).ok()
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
            AppError::LoginRequired | AppError::ChooseOrganisation => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::PayloadTooLarge | AppError::UploadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(e) if unique_violation(e) => StatusCode::CONFLICT,
            AppError::Database(_) | AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let AppError::LoginRequired | AppError::ChooseOrganisation = self {
            let to = if let AppError::ChooseOrganisation = self { "/organisations" } else { "/login" };
            return HttpResponse::SeeOther()
                .insert_header(("Location", to))
                .insert_header(("Cache-Control", "no-store"))
                .finish();
        }
        // The request's span already logs every 5xx once, with this error's text; the cause
        // chain (Debug) is only worth a second line for a fault of ours, not for an outage.
        if status.is_server_error() && !matches!(self, AppError::DatabaseUnavailable) {
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
