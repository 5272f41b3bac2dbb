//! `POST /oauth/introspect` (RFC 7662), for the enterprise's gateways: authenticated by a
//! gateway credential (Settings → Gateway credentials), it answers whether a token is active
//! right now, and for whom: partner, application, environment and the APIs still granted.
//! A token of another enterprise is simply not found (`active: false`).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{cache, error, from_app_error, json, ClientAuth};
use crate::{
    auth::credentials::{self, ClientKind},
    db::{self, oauth},
    state::AppState,
};

const BAD_GATEWAY_CREDENTIAL: &str = "The gateway credential is wrong or was revoked.";

/// What introspection found for a caller that authenticated as a live gateway credential.
pub enum Checked {
    /// The gateway credential is unknown, revoked or its secret is wrong.
    BadGateway,
    Inactive,
    Active(oauth::LiveToken),
}

/// Authenticates the gateway and looks the token up: the enterprise's access version (one
/// primary-key read), then the cached answer if it was computed at that version and is still in
/// time, or else the introspection statement (see `cache`).
pub async fn check_token(
    state: &web::Data<AppState>,
    gateway: ClientAuth,
    token: &str,
) -> Result<Checked, crate::error::AppError> {
    let Some(enterprise_id) = credentials::enterprise_of(ClientKind::Gateway, &gateway.client_id) else {
        return Ok(Checked::BadGateway);
    };
    let token_hash = credentials::hash(state.settings.oauth.credential_key.expose(), token);
    let data = state.clone();
    db::run(&state.pool, move |conn| {
        let key = &data.settings.oauth.credential_key;
        let version = oauth::access_version(conn, enterprise_id)?;
        let now = chrono::Utc::now().timestamp();
        let cache = &data.introspections;
        let cached = cache.get(&gateway.client_id, &token_hash, version, now);
        crate::monitoring::introspection_cache(cached.is_some());
        if let Some(hit) = cached {
            return Ok(if credentials::verify(key.expose(), &gateway.secret, &hit.gateway_hash) {
                Checked::Active(hit.token)
            } else {
                Checked::BadGateway
            });
        }
        let Some(found) = oauth::introspect(conn, enterprise_id, &gateway.client_id, &token_hash)? else {
            return Ok(Checked::BadGateway);
        };
        if !credentials::verify(key.expose(), &gateway.secret, &found.gateway_hash) {
            return Ok(Checked::BadGateway);
        }
        let Some(token) = found.token else {
            cache.forget(&gateway.client_id, &token_hash);
            return Ok(Checked::Inactive);
        };
        let valid_until = token.secret_expires_at.map_or(token.expires_at, |s| s.min(token.expires_at));
        cache.put(
            &gateway.client_id,
            &token_hash,
            cache::Entry { version, gateway_hash: found.gateway_hash, token: token.clone(), valid_until },
        );
        Ok(Checked::Active(token))
    })
    .await
}

#[derive(serde::Serialize)]
struct Named<'a> {
    id: i64,
    name: &'a str,
}

#[derive(serde::Serialize)]
struct PartnerRef<'a> {
    id: i64,
    /// The organisation's public Partner ID (`PRT-…`).
    partner_id: &'a str,
    name: &'a str,
}

/// The RFC 7662 answer for an active token, with the portal's own members (a struct rather
/// than a `json!` map: serialised straight, no map built per call).
#[derive(serde::Serialize)]
pub struct ActiveAnswer<'a> {
    active: bool,
    scope: String,
    client_id: &'a str,
    token_type: &'static str,
    exp: i64,
    iat: i64,
    sub: &'a str,
    iss: &'a str,
    partner: PartnerRef<'a>,
    application: Named<'a>,
    environment: Named<'a>,
    apis: &'a [oauth::TokenApi],
}

pub fn active_answer<'a>(token: &'a oauth::LiveToken, issuer: &'a str) -> ActiveAnswer<'a> {
    ActiveAnswer {
        active: true,
        scope: token.apis.iter().map(|a| a.base_path.as_str()).collect::<Vec<_>>().join(" "),
        client_id: &token.client_id,
        token_type: "Bearer",
        exp: token.expires_at,
        iat: token.issued_at,
        sub: &token.client_id,
        iss: issuer,
        partner: PartnerRef { id: token.partner_id, partner_id: &token.partner_code, name: &token.partner_name },
        application: Named { id: token.application_id, name: &token.application_name },
        environment: Named { id: token.environment_id, name: &token.environment_name },
        apis: &token.apis,
    }
}

pub async fn introspect(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (params, gateway) = match super::read_request(&req, body) {
        Ok(read) => read,
        Err(refusal) => return refusal.response(),
    };
    let Some(token) = params.get("token").map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "token is required.");
    };
    match check_token(&state, gateway, &token).await {
        Ok(Checked::BadGateway) => error(StatusCode::UNAUTHORIZED, "invalid_client", BAD_GATEWAY_CREDENTIAL),
        Ok(Checked::Inactive) => json(StatusCode::OK, &serde_json::json!({ "active": false })),
        Ok(Checked::Active(token)) => json(StatusCode::OK, &active_answer(&token, &state.settings.public_base_url)),
        Err(e) => from_app_error(e),
    }
}
