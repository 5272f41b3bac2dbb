//! `POST /oauth/token`: the client credentials grant (RFC 6749 §4.4). A partner
//! application's credentials for one environment obtain a short-lived bearer token whose
//! scope is the base paths of the APIs the partnership holds in that environment (or the
//! requested subset of them).
//!
//! Failed client authentications are throttled per client id (the login throttle's table, so
//! every instance counts them); successful ones are limited to `TOKEN_REQUESTS_PER_MINUTE`
//! tokens per credential, counted under the credential's row lock.

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use chrono::Utc;
use diesel::Connection;

use super::{error, from_app_error, json};
use crate::{
    auth::credentials::{self, ClientKind},
    db::{self, oauth, throttle},
    domain::PartnerStatus,
    error::AppError,
    state::AppState,
};

const THROTTLE_SCOPE: &str = "oauth_client";
const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
/// Failed authentications of one client id per window before it must wait.
const MAX_FAILURES: i64 = 10;

enum Outcome {
    Issued { token: String, expires_in: u64, scope: String },
    Refused(StatusCode, &'static str, String),
    Throttled { retry_after: u64, message: &'static str },
}

fn refuse(status: StatusCode, code: &'static str, description: impl Into<String>) -> Outcome {
    Outcome::Refused(status, code, description.into())
}

const BAD_CLIENT: &str = "The client id or secret is wrong, or the credentials were revoked.";

pub async fn token(
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (params, auth) = match super::read_request(&req, body) {
        Ok(read) => read,
        Err(refusal) => return refusal.response(),
    };
    let Some(grant_type) = params.get("grant_type").map(str::to_owned) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "grant_type is required (client_credentials).");
    };
    let requested: Option<Vec<String>> =
        params.get("scope").map(|s| s.split(' ').filter(|p| !p.is_empty()).map(str::to_owned).collect());
    let Some(enterprise_id) = credentials::enterprise_of(ClientKind::Application, &auth.client_id) else {
        return error(StatusCode::UNAUTHORIZED, "invalid_client", BAD_CLIENT);
    };
    let key = state.settings.oauth.credential_key.clone();
    let ttl = state.settings.oauth.token_ttl;
    let per_minute = state.settings.oauth.tokens_per_minute;

    let outcome = db::run(&state.pool, move |conn| {
        if throttle::recent_failures(conn, THROTTLE_SCOPE, &auth.client_id, THROTTLE_WINDOW_SECS)? >= MAX_FAILURES {
            return Ok(Outcome::Throttled {
                retry_after: THROTTLE_WINDOW_SECS as u64,
                message: "Too many failed authentications for this client; try again later.",
            });
        }
        let secrets = oauth::client_secrets(conn, enterprise_id, &auth.client_id)?;
        let Some(matched) =
            secrets.into_iter().find(|s| credentials::verify(key.expose(), &auth.secret, &s.secret_hash))
        else {
            throttle::record_failure(conn, THROTTLE_SCOPE, &auth.client_id)?;
            return Ok(refuse(StatusCode::UNAUTHORIZED, "invalid_client", BAD_CLIENT));
        };
        if grant_type != "client_credentials" {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "Only the client_credentials grant is supported.",
            ));
        }
        if matched.partner_status != PartnerStatus::Active {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "unauthorized_client",
                "The partnership of this application is not active.",
            ));
        }
        let granted = oauth::granted_apis(conn, enterprise_id, matched.partner_id, matched.environment_id)?;
        let chosen: Vec<&oauth::ScopeApi> = match &requested {
            None => granted.iter().collect(),
            Some(wanted) => {
                if let Some(unknown) = wanted.iter().find(|w| !granted.iter().any(|g| &g.base_path == *w)) {
                    return Ok(refuse(
                        StatusCode::BAD_REQUEST,
                        "invalid_scope",
                        format!(
                            "{unknown} is not an API granted to this application's partnership in this environment."
                        ),
                    ));
                }
                granted.iter().filter(|g| wanted.contains(&g.base_path)).collect()
            }
        };
        if chosen.is_empty() {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "No API is granted to this application's partnership in this environment.",
            ));
        }
        conn.transaction(|conn| {
            if oauth::lock_and_count_recent(conn, enterprise_id, matched.credential_id)? >= per_minute {
                return Ok(Outcome::Throttled {
                    retry_after: 60,
                    message:
                        "This client asked for too many tokens in the last minute; reuse a token until it expires.",
                });
            }
            let token = credentials::new_access_token();
            let hash = credentials::hash(key.expose(), &token);
            oauth::insert_token(
                conn,
                &oauth::NewToken {
                    hash: &hash,
                    enterprise_id,
                    credential_id: matched.credential_id,
                    secret_id: matched.secret_id,
                    api_ids: chosen.iter().map(|a| a.id.get()).collect(),
                    expires_at: Utc::now() + ttl,
                },
            )?;
            let scope = chosen.iter().map(|a| a.base_path.as_str()).collect::<Vec<_>>().join(" ");
            Ok::<_, AppError>(Outcome::Issued { token, expires_in: ttl.as_secs(), scope })
        })
    })
    .await;

    match outcome {
        Ok(Outcome::Issued { token, expires_in, scope }) => json(
            StatusCode::OK,
            &serde_json::json!({
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "scope": scope,
            }),
        ),
        Ok(Outcome::Refused(status, code, description)) => error(status, code, &description),
        Ok(Outcome::Throttled { retry_after, message }) => {
            let mut res = error(StatusCode::TOO_MANY_REQUESTS, "slow_down", message);
            if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            res
        }
        Err(e) => from_app_error(e),
    }
}
