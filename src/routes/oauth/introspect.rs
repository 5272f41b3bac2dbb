//! `POST /oauth/introspect` (RFC 7662), for the enterprise's gateways: authenticated by a
//! gateway credential (Settings → Gateway credentials), it answers whether a token is active
//! right now, and for whom: partner, application, environment and the APIs still granted.
//! A token of another enterprise is simply not found (`active: false`).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{client_auth, error, from_app_error, json, ClientAuth, Params};
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

/// Authenticates the gateway and looks the token up: one statement.
pub async fn check_token(
    state: &AppState,
    gateway: ClientAuth,
    token: &str,
) -> Result<Checked, crate::error::AppError> {
    let Some(enterprise_id) = credentials::enterprise_of(ClientKind::Gateway, &gateway.client_id) else {
        return Ok(Checked::BadGateway);
    };
    let key = state.settings.oauth.credential_key.clone();
    let token_hash = credentials::hash(key.expose(), token);
    let client_id = gateway.client_id.clone();
    let found =
        db::run(&state.pool, move |conn| oauth::introspect(conn, enterprise_id, &client_id, &token_hash)).await?;
    Ok(match found {
        Some(found) if credentials::verify(key.expose(), &gateway.secret, &found.gateway_hash) => match found.token {
            Some(token) => Checked::Active(token),
            None => Checked::Inactive,
        },
        _ => Checked::BadGateway,
    })
}

/// The RFC 7662 answer for an active token, with the portal's own members.
pub fn active_body(token: &oauth::LiveToken, issuer: &str) -> serde_json::Value {
    serde_json::json!({
        "active": true,
        "scope": token.apis.iter().map(|a| a.base_path.as_str()).collect::<Vec<_>>().join(" "),
        "client_id": token.client_id,
        "token_type": "Bearer",
        "exp": token.expires_at,
        "iat": token.issued_at,
        "sub": token.client_id,
        "iss": issuer,
        "partner": { "id": token.partner_id, "partner_id": token.partner_code, "name": token.partner_name },
        "application": { "id": token.application_id, "name": token.application_name },
        "environment": { "id": token.environment_id, "name": token.environment_name },
        "apis": token.apis,
    })
}

pub async fn introspect(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    let params = match Params::parse(&req, &body) {
        Ok(p) => p,
        Err(message) => return error(StatusCode::BAD_REQUEST, "invalid_request", message),
    };
    let gateway = match client_auth(&req, &params) {
        Ok(a) => a,
        Err(refusal) => return refusal.response(),
    };
    let Some(token) = params.get("token").map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "token is required.");
    };
    match check_token(&state, gateway, &token).await {
        Ok(Checked::BadGateway) => error(StatusCode::UNAUTHORIZED, "invalid_client", BAD_GATEWAY_CREDENTIAL),
        Ok(Checked::Inactive) => json(StatusCode::OK, &serde_json::json!({ "active": false })),
        Ok(Checked::Active(token)) => json(StatusCode::OK, &active_body(&token, &state.settings.public_base_url)),
        Err(e) => from_app_error(e),
    }
}
