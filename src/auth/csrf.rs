//! CSRF check for every state-changing request, before any handler runs.
//!
//! The token lives in the server-side session; each form posts it back as `csrf_token`.
//! The middleware reads the (size-limited) body, finds the field in a urlencoded or
//! multipart body, compares it in constant time, and puts the body back for the handler.
//! Body limits are enforced here too: 64 KiB for forms, 2 MiB for uploads (413 beyond), and
//! every form field must be text (`auth::input`).

use actix_session::SessionExt;
use actix_web::{
    body::MessageBody,
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    web::{Bytes, BytesMut},
    Error,
};
use futures_util::StreamExt;

use crate::{
    auth::{input, session::CSRF_KEY, tokens::constant_time_eq},
    error::AppError,
};

pub const FORM_LIMIT: usize = 64 * 1024;
pub const UPLOAD_LIMIT: usize = 2 * 1024 * 1024;
pub const FIELD: &str = "csrf_token";

pub async fn csrf_guard(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.call(req).await;
    }
    // As sent: a multipart boundary is case-sensitive.
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let multipart = content_type.to_ascii_lowercase().starts_with("multipart/form-data");
    let limit = if multipart { UPLOAD_LIMIT } else { FORM_LIMIT };
    // Import partners says what its limit is rather than the generic page.
    let too_large: fn() -> AppError = if req.path().starts_with("/settings/partners/import") {
        || AppError::UploadTooLarge(crate::domain::partner_import::FileError::TooLarge.to_string())
    } else {
        || AppError::PayloadTooLarge
    };

    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large().into());
    }

    let mut body = BytesMut::new();
    let mut payload = actix_web::HttpMessage::take_payload(&mut req);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::bad_request("The request body could not be read."))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large().into());
        }
        body.extend_from_slice(&chunk);
    }
    let body: Bytes = body.freeze();

    let session = req.get_session();
    let expected = session.get::<String>(CSRF_KEY).ok().flatten();
    let sent = if multipart { multipart_field(&body, FIELD) } else { urlencoded_field(&body, FIELD) };
    match (expected, sent) {
        (Some(expected), Some(sent)) if constant_time_eq(&expected, &sent) => {}
        _ => return Err(AppError::Csrf.into()),
    }
    input::check_form_body(&body, &content_type)?;

    req.set_payload(Payload::from(body));
    next.call(req).await
}

fn urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    url::form_urlencoded::parse(body).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// Finds a small text field in a multipart body without a full parse. A forged match inside
/// an uploaded file can only yield a wrong token, which is refused.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let start = find(body, needle.as_bytes())?;
    let rest = &body[start..];
    let value_start = find(rest, b"\r\n\r\n")? + 4;
    let value = &rest[value_start..];
    let end = find(value, b"\r\n")?;
    std::str::from_utf8(&value[..end]).ok().map(|s| s.trim().to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_a_urlencoded_body() {
        assert_eq!(urlencoded_field(b"a=1&csrf_token=x%2By&b=2", FIELD).as_deref(), Some("x+y"));
        assert_eq!(urlencoded_field(b"a=1", FIELD), None);
    }

    #[test]
    fn finds_the_token_in_a_multipart_body() {
        let body = b"--B\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok123\r\n--B\r\n\
Content-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n--B--\r\n";
        assert_eq!(multipart_field(body, FIELD).as_deref(), Some("tok123"));
    }
}
