//! The portal as the authorisation server of partner applications (SPEC §18), for machines:
//! `POST /oauth/token` (client credentials, RFC 6749 §4.4), `POST /oauth/introspect`
//! (RFC 7662) and `GET /gateway/check` (nginx `auth_request`). Outside the session and CSRF
//! layers: these callers have no cookies, they authenticate with client credentials.
//!
//! Every answer is JSON (`application/json`, `Cache-Control: no-store`), errors included, so
//! the page frame leaves them as they are.

pub mod cache;
pub mod check;
pub mod introspect;
pub mod token;

use actix_web::{
    http::{header, StatusCode},
    HttpRequest, HttpResponse,
};

use crate::{auth::credentials, error::AppError};

/// An RFC 6749 §5.2 error answer (also used by introspection and the gateway check).
pub fn error(status: StatusCode, code: &str, description: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store")).insert_header((header::PRAGMA, "no-cache"));
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"partner-portal\""));
    }
    res.json(serde_json::json!({ "error": code, "error_description": description }))
}

/// A JSON answer that no cache may keep.
pub fn json(status: StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(body)
}

/// What a database fault becomes here: JSON, never a styled page.
pub fn from_app_error(e: AppError) -> HttpResponse {
    match e {
        AppError::DatabaseUnavailable => {
            let mut res = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "The authorisation server can't reach its database; try again shortly.",
            );
            res.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            res
        }
        other => {
            tracing::error!(error = %other, "oauth request failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "An unexpected error happened and was logged.")
        }
    }
}

/// What both endpoints read first: the form parameters and the client's credentials, or the
/// RFC 6749 refusal (a body that could not be read, not a form, repeated parameters, no or
/// unreadable client authentication).
pub fn read_request(
    req: &HttpRequest,
    body: Result<actix_web::web::Bytes, actix_web::Error>,
) -> Result<(Params, ClientAuth), Refusal> {
    let body = body_or_refusal(body)?;
    let params =
        Params::parse(req, &body).map_err(|message| Refusal(StatusCode::BAD_REQUEST, "invalid_request", message))?;
    let auth = client_auth(req, &params)?;
    Ok((params, auth))
}

/// The body, or the JSON refusal of one that could not be read (over actix's 256 KiB payload
/// limit, or cut off), instead of the HTML page the extractor's error would become.
fn body_or_refusal(body: Result<actix_web::web::Bytes, actix_web::Error>) -> Result<actix_web::web::Bytes, Refusal> {
    body.map_err(|e| {
        if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal(StatusCode::PAYLOAD_TOO_LARGE, "invalid_request", "The request body is too large.")
        } else {
            Refusal(StatusCode::BAD_REQUEST, "invalid_request", "The request body could not be read.")
        }
    })
}

/// The parameters of a form-encoded body, each at most once (RFC 6749 §3.2).
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Reads the body; refuses another content type, text that is not UTF-8 and repeated
    /// parameters, with the message the `invalid_request` answer gives.
    pub fn parse(req: &HttpRequest, body: &[u8]) -> Result<Self, &'static str> {
        let form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
        if !form {
            return Err("Send the parameters as application/x-www-form-urlencoded.");
        }
        if std::str::from_utf8(body).is_err() {
            return Err("The parameters are not valid UTF-8.");
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if v.contains('\0') {
                return Err("A parameter holds a NUL character.");
            }
            if pairs.iter().any(|(seen, _)| *seen == k) {
                return Err("A parameter is repeated; send each at most once.");
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Params(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// How a client authenticated, and as whom.
pub struct ClientAuth {
    pub client_id: String,
    pub secret: String,
}

/// A refusal before any database work: status, RFC 6749 error code, description.
pub struct Refusal(pub StatusCode, pub &'static str, pub &'static str);

impl Refusal {
    pub fn response(&self) -> HttpResponse {
        error(self.0, self.1, self.2)
    }
}

/// The client's credentials from `Authorization: Basic` (`client_secret_basic`) or from the
/// body (`client_secret_post`); using both, or neither, is an error (RFC 6749 §2.3).
pub fn client_auth(req: &HttpRequest, params: &Params) -> Result<ClientAuth, Refusal> {
    let basic = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let posted = (params.get("client_id"), params.get("client_secret"));
    match (basic, posted) {
        (Some(_), (Some(_), _) | (_, Some(_))) => Err(Refusal(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Authenticate the client one way only: Authorization: Basic or client_id and client_secret.",
        )),
        (Some(header), _) => match credentials::parse_basic(header) {
            Some((client_id, secret)) => Ok(ClientAuth { client_id, secret }),
            None => Err(Refusal(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The Authorization header is not valid Basic credentials.",
            )),
        },
        (None, (Some(client_id), Some(secret))) => {
            Ok(ClientAuth { client_id: client_id.into(), secret: secret.into() })
        }
        (None, _) => Err(Refusal(StatusCode::UNAUTHORIZED, "invalid_client", "Client authentication is required.")),
    }
}
