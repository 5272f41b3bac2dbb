//! `GET /gateway/check`: the endpoint nginx's `auth_request` calls before each API call
//! (`deploy/nginx/partner-portal-gateway.conf`, README "Putting a gateway in front of your
//! APIs"). One introspection, then the two checks a gateway needs:
//!
//! * the environment, named by the gateway (`X-Environment`, set per host or path in nginx),
//!   must be the token's (names compared as slugs: "Sandbox EU" is `sandbox-eu`);
//! * the request path (`X-Original-URI`) must lie under the base path of one of the token's
//!   still-granted APIs, at a segment boundary (`/payments` covers `/payments/v1/x`, not
//!   `/payments-admin`); paths with dot segments or encoded slashes are refused outright, so
//!   what is checked is what the upstream will see.
//!
//! Answers: 204 (with `Partner-Id`, `Application-Id`, `Environment` and `Api` headers that
//! nginx can pass upstream), 401 for a missing or inactive token, 403 for an active token used
//! on another API or environment, 407 when the gateway's own credential
//! (`Gateway-Authorization: Basic …`) is wrong: nginx turns that into a 500, failing closed.

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};

use super::{
    introspect::{check_token, Checked},
    ClientAuth,
};
use crate::{auth::credentials, db::oauth, state::AppState};

fn header_str<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

fn answer(status: StatusCode, www_authenticate: Option<&'static str>, code: &str, description: &str) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if let Some(v) = www_authenticate {
        res.insert_header((header::WWW_AUTHENTICATE, v));
    }
    res.json(serde_json::json!({ "error": code, "error_description": description }))
}

/// "Sandbox EU" → `sandbox-eu`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The path of a request URI, percent-decoded; `None` when it could mean something else to
/// the upstream than to this check (dot segments, encoded slashes or backslashes, not text).
pub fn checked_path(uri: &str) -> Option<String> {
    let raw = uri.split(['?', '#']).next().unwrap_or_default();
    if !raw.starts_with('/') {
        return None;
    }
    let lowered = raw.to_ascii_lowercase();
    if lowered.contains("%2f") || lowered.contains("%5c") || raw.contains('\\') {
        return None;
    }
    // Every escape must be one (`%` and two hex digits): the crate passes a broken one through.
    let well_formed =
        raw.split('%').skip(1).all(|rest| rest.len() >= 2 && rest.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    if !well_formed {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?.into_owned();
    if decoded.split('/').any(|seg| seg == "." || seg == "..") || decoded.contains('\0') {
        return None;
    }
    Some(decoded)
}

/// The API whose base path covers `path`, the longest one if several do.
pub fn api_for<'a>(apis: &'a [oauth::TokenApi], path: &str) -> Option<&'a oauth::TokenApi> {
    apis.iter()
        .filter(|a| {
            let base = a.base_path.trim_end_matches('/');
            !base.is_empty() && (path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/')))
        })
        .max_by_key(|a| a.base_path.len())
}

pub async fn check(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some((client_id, secret)) = header_str(&req, "gateway-authorization").and_then(credentials::parse_basic) else {
        return answer(
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            None,
            "invalid_client",
            "The gateway must send its credential in Gateway-Authorization: Basic.",
        );
    };
    let Some(token) = header_str(&req, "authorization").and_then(credentials::parse_bearer).map(str::to_owned) else {
        return answer(
            StatusCode::UNAUTHORIZED,
            Some("Bearer realm=\"partner-portal\""),
            "invalid_request",
            "Send an access token: Authorization: Bearer <token>.",
        );
    };
    let (Some(environment), Some(uri)) = (header_str(&req, "x-environment"), header_str(&req, "x-original-uri")) else {
        return answer(
            StatusCode::BAD_REQUEST,
            None,
            "invalid_request",
            "The gateway must send X-Environment and X-Original-URI.",
        );
    };
    let (environment, uri) = (environment.to_owned(), uri.to_owned());
    let live = match check_token(&state, ClientAuth { client_id, secret }, &token).await {
        Ok(Checked::Active(t)) => t,
        Ok(Checked::Inactive) => {
            return answer(
                StatusCode::UNAUTHORIZED,
                Some("Bearer realm=\"partner-portal\", error=\"invalid_token\""),
                "invalid_token",
                "The access token is not active.",
            )
        }
        Ok(Checked::BadGateway) => {
            return answer(
                StatusCode::PROXY_AUTHENTICATION_REQUIRED,
                None,
                "invalid_client",
                "The gateway credential is wrong or was revoked.",
            )
        }
        Err(e) => return super::from_app_error(e),
    };
    let insufficient = |description: &str| {
        answer(
            StatusCode::FORBIDDEN,
            Some("Bearer realm=\"partner-portal\", error=\"insufficient_scope\""),
            "insufficient_scope",
            description,
        )
    };
    if slug(&live.environment_name) != slug(&environment) {
        return insufficient("The access token is for another environment.");
    }
    let Some(path) = checked_path(&uri) else {
        return insufficient("The request path can't be checked (dot segments or encoded slashes).");
    };
    let Some(api) = api_for(&live.apis, &path) else {
        return insufficient("The access token does not grant this API.");
    };
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("Partner-Id", live.partner_code.as_str()))
        .insert_header(("Application-Id", live.application_id.to_string()))
        .insert_header(("Environment", slug(&live.environment_name)))
        .insert_header(("Api", api.base_path.as_str()))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(base_path: &str) -> oauth::TokenApi {
        oauth::TokenApi { id: 1, name: "x".into(), base_path: base_path.into() }
    }

    #[test]
    fn environments_compare_as_slugs() {
        assert_eq!(slug("Sandbox EU"), "sandbox-eu");
        assert_eq!(slug("  Production "), "production");
        assert_eq!(slug("QA / Staging"), "qa-staging");
    }

    #[test]
    fn only_paths_under_a_base_path_at_a_segment_boundary_match() {
        let apis = [api("/payments"), api("/payments/v2"), api("/orders/")];
        assert_eq!(api_for(&apis, "/payments").map(|a| a.base_path.as_str()), Some("/payments"));
        assert_eq!(api_for(&apis, "/payments/v1/x").map(|a| a.base_path.as_str()), Some("/payments"));
        assert_eq!(api_for(&apis, "/payments/v2/x").map(|a| a.base_path.as_str()), Some("/payments/v2"));
        assert_eq!(api_for(&apis, "/orders/1").map(|a| a.base_path.as_str()), Some("/orders/"));
        assert!(api_for(&apis, "/payments-admin").is_none());
        assert!(api_for(&apis, "/").is_none());
        assert!(api_for(&[api("")], "/anything").is_none(), "an API without a base path is never matched");
    }

    #[test]
    fn paths_that_could_mean_something_else_upstream_are_refused() {
        assert_eq!(checked_path("/payments/v1?x=1").as_deref(), Some("/payments/v1"));
        assert_eq!(checked_path("/caf%C3%A9").as_deref(), Some("/café"));
        for bad in
            ["/payments/../admin", "/payments/%2e%2e/admin", "/payments%2Fadmin", "/a\\b", "payments", "/%zz", "/%ff"]
        {
            assert_eq!(checked_path(bad), None, "{bad:?}");
        }
    }
}
