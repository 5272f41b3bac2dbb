//! Every text a request carries is checked once, here at the edge, before any handler or query
//! sees it: the path and query string on every request ([`text_guard`]), and the fields of
//! form bodies (called by the CSRF layer, which already holds the body).
//!
//! Text must be valid UTF-8 without NUL characters. Decoding leniently would save
//! replacement characters ("Caf\u{FFFD}"), and PostgreSQL refuses NUL in text (a 500); both are
//! the client's fault, so they get a clear 400 and nothing changes.

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error, ResponseError,
};

use crate::error::AppError;

const ADDRESS_UNREADABLE: &str = "The address has characters we could not read (they are not valid text). \
                                  Check the link and try again. Nothing was changed.";
const FORM_UNREADABLE: &str = "The form could not be read: some of what was sent is not valid text. \
                               Go back, check what you typed and try again. Nothing was changed.";

/// Refuses a request whose path or query string does not decode to text: the 400 page, or
/// for the REST API (`/api/`) its `application/problem+json`.
pub async fn text_guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if !is_encoded_text(req.uri().path().as_bytes()) || !is_encoded_text(req.query_string().as_bytes()) {
        if req.path().starts_with("/api/") {
            let problem = crate::routes::api::Problem::unreadable(ADDRESS_UNREADABLE);
            return Ok(req.into_response(problem.error_response()).map_into_right_body());
        }
        return Err(AppError::bad_request(ADDRESS_UNREADABLE).into());
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

/// Checks every key and value of a form body: urlencoded, or the text fields of a multipart
/// body (files are checked by their own rules).
pub fn check_form_body(body: &[u8], content_type: &str) -> Result<(), AppError> {
    let readable = if content_type.to_ascii_lowercase().starts_with("multipart/form-data") {
        boundary(content_type).is_none_or(|b| multipart_text_fields(body, &b).all(is_text))
    } else {
        is_encoded_text(body)
    };
    if readable {
        Ok(())
    } else {
        Err(AppError::bad_request(FORM_UNREADABLE))
    }
}

fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// Whether percent-decoding gives text. The separators (`&`, `=`, `/`) are ASCII, so
/// decoding the whole string is valid exactly when every part is.
fn is_encoded_text(encoded: &[u8]) -> bool {
    is_text(&percent_encoding::percent_decode(encoded).collect::<Vec<u8>>())
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').find_map(|param| {
        let (name, value) = param.trim().split_once('=')?;
        name.trim().eq_ignore_ascii_case("boundary").then(|| value.trim().trim_matches('"').to_string())
    })
}

/// The values of the parts without a `filename` (multipart text fields).
fn multipart_text_fields<'a>(body: &'a [u8], boundary: &str) -> impl Iterator<Item = &'a [u8]> {
    let delimiter = format!("--{boundary}").into_bytes();
    split(body, delimiter).filter_map(|part| {
        let headers_end = find(part, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&part[..headers_end]).to_ascii_lowercase();
        if headers.contains("filename=") {
            return None;
        }
        let value = &part[headers_end + 4..];
        Some(value.strip_suffix(b"\r\n").unwrap_or(value))
    })
}

fn split(body: &[u8], delimiter: Vec<u8>) -> impl Iterator<Item = &[u8]> {
    let mut rest = body;
    std::iter::from_fn(move || {
        let start = find(rest, &delimiter)? + delimiter.len();
        let after = &rest[start..];
        let end = find(after, &delimiter).unwrap_or(after.len());
        rest = &after[end..];
        Some(&after[..end])
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_text_is_accepted_and_bytes_that_are_not_text_are_refused() {
        assert!(is_encoded_text(b"name=Caf%C3%A9&q=a+b%26c"));
        assert!(is_encoded_text(b"odd=100%&x=%zz"), "a stray % is text, left as it is");
        assert!(!is_encoded_text(b"name=Caf%E9"), "Latin-1, not UTF-8");
        assert!(!is_encoded_text(b"action=a%00b"), "NUL");
        assert!(!is_encoded_text(b"name=%C3&x=%A9"), "a character split across fields");
    }

    #[test]
    fn only_the_text_fields_of_a_multipart_body_are_checked() {
        let ct = "multipart/form-data; boundary=\"B\"";
        let ok = b"--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nCaf\xC3\xA9\r\n--B\r\n\
Content-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\n\r\n\x89PNG\x00\xE9\r\n--B--\r\n";
        assert!(check_form_body(ok, ct).is_ok());
        let bad = b"--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nCaf\xE9\r\n--B--\r\n";
        assert!(check_form_body(bad, ct).is_err());
        let nul = b"--B\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nA\x00\r\n--B--\r\n";
        assert!(check_form_body(nul, ct).is_err());
    }
}
