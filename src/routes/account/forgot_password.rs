//! `/password/forgot`: anyone asks for an emailed link to choose a new password.
//!
//! The answer never tells whether the address has an account: every well-formed request
//! gets the same redirect to the same "check your email" page after the same work (the rate
//! limit check and its bookkeeping, one transaction). Looking the address up, issuing the
//! link and queueing the email happen after the answer, in a background task, so the
//! response time cannot depend on whether the address exists.
//!
//! The link is a `password_tokens` row with purpose "reset", opened through the existing
//! `/password/set/<token>` → `/password/new` flow (which ends every other session of the
//! person once the new password is set).

use crate::domain::{AuditAction, EmailKind};
use std::time::Duration;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use diesel::{prelude::*, sql_types::Text};
use serde::Deserialize;

use crate::{
    auth::{
        guards::Visitor,
        throttle::client_ip,
        tokens::{random_token, token_hash},
    },
    config::Settings,
    db::{self, audit, memberships, outbox, throttle, tokens, users},
    domain::EmailAddress,
    email::{messages, EmailMeta, OutgoingEmail},
    error::AppError,
    render::see_other,
    render::{render, render_status, Layout},
    state::AppState,
};

/// Requests per address, and per client, within the window; beyond that the answer is the
/// same but nothing is sent.
pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_PER_ADDRESS: i64 = 3;
pub const MAX_PER_CLIENT: i64 = 20;
/// Requests are kept in the login throttling table, under its two scopes with subjects of
/// their own ("password_reset:<address>", "password_reset:<ip>"), so they neither count as
/// failed logins nor get cleared by a successful one.
const SUBJECT_PREFIX: &str = "password_reset:";

/// A reset link lives as long as an invitation link (`INVITE_TTL_HOURS`) but never more than
/// a day: it is only useful right after asking, and a shorter life shrinks the window in which
/// a leaked mailbox yields a working link.
const MAX_RESET_TTL: Duration = Duration::from_secs(24 * 3600);

pub fn reset_ttl(settings: &Settings) -> Duration {
    settings.invite_ttl.min(MAX_RESET_TTL)
}

fn ttl_phrase(settings: &Settings) -> String {
    let hours = (reset_ttl(settings).as_secs() / 3600).max(1);
    if hours == 1 {
        "1 hour".to_string()
    } else {
        format!("{hours} hours")
    }
}

#[derive(Template)]
#[template(path = "account/forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "account/forgot_password_sent.html")]
struct SentPage {
    layout: Layout,
    ttl: String,
}

pub async fn form_page(visitor: Visitor) -> Result<HttpResponse, AppError> {
    Ok(render(&ForgotPage { layout: visitor.layout("Forgot password")?, email: String::new(), error: None }))
}

pub async fn sent_page(visitor: Visitor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    Ok(render(&SentPage { layout: visitor.layout("Check your email")?, ttl: ttl_phrase(&state.settings) }))
}

#[derive(Deserialize)]
pub struct ForgotForm {
    email: String,
}

pub async fn request_link(
    req: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let ForgotForm { email } = form.into_inner();
    // A malformed address says nothing about which accounts exist, so it gets a plain
    // field error like any form.
    let address = match EmailAddress::parse(&email) {
        Ok(a) => a.as_str().to_string(),
        Err(e) => {
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ForgotPage { layout: visitor.layout("Forgot password")?, email, error: Some(e.to_string()) },
            ))
        }
    };
    let client = client_ip(&req, state.settings.trusted_proxy);

    let key = address.clone();
    let allowed =
        db::run(&state.pool, move |conn| conn.transaction::<_, AppError, _>(|conn| within_limits(conn, &key, &client)))
            .await?;

    if allowed {
        let state = state.clone();
        actix_web::rt::spawn(async move {
            let settings = state.settings.clone();
            let result = db::run(&state.pool, move |conn| {
                conn.transaction::<_, AppError, _>(|conn| issue_reset_link(conn, &settings, &address))
            })
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "password reset link not issued");
            }
        });
    } else {
        tracing::warn!("password reset request over the rate limit: nothing sent");
    }
    Ok(see_other("/password/forgot/sent"))
}

/// Counts and records the request; false when this address or client asked too often.
/// The advisory lock serialises requests for one address, so the limit holds even for
/// simultaneous requests.
fn within_limits(conn: &mut PgConnection, address: &str, client: &str) -> Result<bool, AppError> {
    let (address, client) = (format!("{SUBJECT_PREFIX}{address}"), format!("{SUBJECT_PREFIX}{client}"));
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))").bind::<Text, _>(&address).execute(conn)?;
    let by_address = throttle::recent_failures(conn, "account", &address, WINDOW_SECS)?;
    let by_client = throttle::recent_failures(conn, "client", &client, WINDOW_SECS)?;
    if by_address >= MAX_PER_ADDRESS || by_client >= MAX_PER_CLIENT {
        return Ok(false);
    }
    throttle::record_failure(conn, "account", &address)?;
    throttle::record_failure(conn, "client", &client)?;
    Ok(true)
}

/// For an enabled account (whose partner, if any, is not deactivated): a new reset link,
/// earlier unused reset links expired, the email queued and the request audited, all in the
/// caller's transaction. Returns whether a link was issued.
pub fn issue_reset_link(conn: &mut PgConnection, settings: &Settings, address: &str) -> Result<bool, AppError> {
    let Some(user) = users::find_by_email(conn, address)? else {
        return Ok(false);
    };
    // Only a person who could log in afterwards: a membership that still gives access.
    let choices = memberships::choices(conn, user.id)?;
    if choices.is_empty() {
        return Ok(false);
    }
    let live = memberships::live_for_user(conn, user.id)?;
    let token = random_token();
    let ttl = chrono::Duration::from_std(reset_ttl(settings))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("reset ttl: {e}")))?;
    let expires_at = Utc::now() + ttl;
    tokens::expire_unused_of_purpose(conn, user.id, tokens::PURPOSE_RESET)?;
    tokens::insert(conn, user.id, &token_hash(&token), tokens::PURPOSE_RESET, expires_at)?;
    let link = settings.link(&format!("/password/set/{token}"));
    let email = OutgoingEmail {
        to: user.email.clone(),
        ..messages::password_reset(&messages::PasswordResetEmail {
            first_name: &user.first_name,
            link: &link,
            expires_at,
        })?
    };
    let meta = EmailMeta {
        kind: EmailKind::PasswordReset,
        enterprise_id: live.first().map(|m| m.enterprise_id),
        invitation_id: None,
    };
    outbox::enqueue(conn, &email, &meta)?;
    // A person is global; each organisation they belong to sees the request.
    for m in &live {
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id: m.enterprise_id,
                partner_id: m.partner_id,
                actor_user_id: None,
                // Whoever typed the address is unknown: anyone can ask for someone's link.
                actor_label: "Forgot password form",
                actor_membership: "",
                action: AuditAction::UserPasswordResetRequested,
                target: &format!("User {} {} <{}>", user.first_name, user.surname, user.email),
                details: serde_json::json!({ "expires_at": expires_at }),
            },
        )?;
    }
    tracing::info!(user_id = %user.id, "password reset link issued");
    Ok(true)
}
