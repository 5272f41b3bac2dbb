//! The applicant (SPEC §12): a person applying to a partner program has an account but may have
//! no membership yet, so they are not "logged in" the way members are. The session keeps their
//! user id under [`APPLICANT_KEY`], set by logging in on a join link, by the emailed
//! confirmation link, or by accepting an **Invite to apply** invitation. It lets them do one
//! thing: submit an application.
//!
//! An account made on a join link (*First Name*, *Surname*, *Email*, *Password*) has its address
//! confirmed by an emailed single-use link (the password links' token machinery, purpose
//! `confirm`) before anything can be submitted.

use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::PgConnection;

use crate::{
    auth::{
        session::TypedSession,
        throttle,
        tokens::{random_token, token_hash},
    },
    config::Settings,
    db::{self, outbox, tokens, users},
    domain::{EmailKind, EnterpriseId, UserId},
    email::{programs as mail, EmailMeta, OutgoingEmail},
    error::AppError,
    state::AppState,
};

pub const APPLICANT_KEY: &str = "applicant_user_id";
/// How long a confirmation link works.
const CONFIRM_TTL_HOURS: i64 = 48;

/// The person applying, as the applicant pages see them.
#[derive(Clone, Debug)]
pub struct Applicant {
    pub user: users::User,
    pub confirmed: bool,
}

/// The *Email* and *Password* of the applicant's Log in form (the join page's and the
/// invited administrator's application page's).
#[derive(serde::Deserialize)]
pub struct LoginFields {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
}

pub fn signed_in(session: &TypedSession) -> Option<UserId> {
    session.get::<UserId>(APPLICANT_KEY)
}

pub fn sign_in(session: &TypedSession, user: UserId) -> Result<(), AppError> {
    session.insert(APPLICANT_KEY, &user)
}

pub fn sign_out(session: &TypedSession) {
    session.remove(APPLICANT_KEY);
}

/// The signed-in applicant, read inside the caller's `db::run`.
pub fn load(conn: &mut PgConnection, id: Option<UserId>) -> Result<Option<Applicant>, AppError> {
    let Some(id) = id else { return Ok(None) };
    let Some(user) = users::find(conn, id)? else { return Ok(None) };
    let confirmed = users::email_confirmed_at(conn, id)?.flatten().is_some();
    Ok(Some(Applicant { user, confirmed }))
}

/// Checks an email and password the way the login form does (same throttling, same answer for
/// every failure): the account's id, or the message and status to show.
pub async fn verify_password(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    password: String,
) -> Result<Result<UserId, (actix_web::http::StatusCode, &'static str)>, AppError> {
    use actix_web::http::StatusCode;
    let account = email.trim().to_lowercase();
    let client = throttle::client_ip(req, state.settings.trusted_proxy);
    let (acc, cli) = (account.clone(), client.clone());
    let (throttled, user) = db::run(&state.pool, move |conn| {
        if throttle::is_throttled(conn, &acc, &cli)? {
            return Ok((true, None));
        }
        Ok((false, users::find_by_email(conn, &acc)?))
    })
    .await?;
    if throttled {
        crate::monitoring::login_throttled();
        return Ok(Err((StatusCode::TOO_MANY_REQUESTS, throttle::THROTTLED_MESSAGE)));
    }
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    if !state.hasher.verify(stored, password).await? {
        db::run(&state.pool, move |conn| Ok(throttle::record_failure(conn, &account, &client)?)).await?;
        return Ok(Err((StatusCode::UNAUTHORIZED, crate::routes::account::login::LOGIN_FAILED)));
    }
    let Some(user) = user else {
        return Ok(Err((StatusCode::UNAUTHORIZED, crate::routes::account::login::LOGIN_FAILED)));
    };
    db::run(&state.pool, move |conn| Ok(db::throttle::clear_account(conn, &account)?)).await?;
    Ok(Ok(user.id))
}

/// A new confirmation link for the account (earlier unused ones stop working), emailed through
/// the outbox in the caller's transaction. `join_code` is the join link it leads back to.
pub fn send_confirmation(
    conn: &mut PgConnection,
    settings: &Settings,
    user: &users::User,
    enterprise_id: EnterpriseId,
    enterprise_name: &str,
    join_code: &str,
) -> Result<(), AppError> {
    let token = random_token();
    let expires_at = Utc::now() + chrono::Duration::hours(CONFIRM_TTL_HOURS);
    tokens::expire_unused_of_purpose(conn, user.id, tokens::PURPOSE_CONFIRM)?;
    tokens::insert(conn, user.id, &token_hash(&token), tokens::PURPOSE_CONFIRM, expires_at)?;
    let link = settings.link(&format!("/join/{join_code}/confirm/{token}"));
    let email = OutgoingEmail {
        to: user.email.clone(),
        ..mail::confirmation(&mail::ConfirmationEmail {
            first_name: &user.first_name,
            enterprise_name,
            link: &link,
            expires_at,
        })?
    };
    let meta =
        EmailMeta { kind: EmailKind::EmailConfirmation, enterprise_id: Some(enterprise_id), invitation_id: None };
    outbox::enqueue(conn, &email, &meta)?;
    tracing::info!(user_id = %user.id, "email confirmation link issued");
    Ok(())
}

/// Claims a confirmation link: the account it confirms, or None when the link is unknown,
/// used, expired or not a confirmation link. Single use (the claim is one guarded update).
pub fn claim_confirmation(conn: &mut PgConnection, token: &str) -> Result<Option<UserId>, AppError> {
    let Some(found) = tokens::find_by_hash(conn, &token_hash(token))? else { return Ok(None) };
    if found.purpose != tokens::PURPOSE_CONFIRM || !tokens::claim(conn, found.id)? {
        return Ok(None);
    }
    users::confirm_email(conn, found.user_id)?;
    Ok(Some(found.user_id))
}

/// Leaves the applicant's session.
pub async fn log_out(session: TypedSession, back_to: &str) -> HttpResponse {
    sign_out(&session);
    crate::render::see_other(back_to)
}
