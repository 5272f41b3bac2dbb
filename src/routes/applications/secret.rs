//! The page that shows a new secret, once: the answer to the POST that made it (creating
//! credentials, rotating a secret, creating a gateway credential), never a redirect target,
//! never stored, and sent with `Cache-Control: no-store` so no cache keeps it.

use actix_web::{
    http::{
        header::{self, HeaderValue},
        StatusCode,
    },
    HttpResponse,
};
use askama::Template;

use crate::render::{render_status, Layout};

/// The application's new client credentials (or new secret) in one environment.
#[derive(Template)]
#[template(path = "applications/secret.html")]
pub struct SecretPage {
    pub layout: Layout,
    pub application_id: crate::domain::ApplicationId,
    pub application_name: String,
    pub environment_name: String,
    pub client_id: String,
    pub secret: String,
    /// `PUBLIC_BASE_URL` + `/oauth/token`.
    pub token_url: String,
    /// After **Rotate secret**: what happens to the previous secret.
    pub rotated: Option<String>,
}

/// Renders a page holding a secret with `status`, marked never to be stored.
pub fn shown_once<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    let mut resp = render_status(status, page);
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
