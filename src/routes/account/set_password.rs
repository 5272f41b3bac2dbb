//! Password links: `/password/set/<token>` (first password, forgotten password).
//!
//! Opening the link trades the token for a session value and redirects to `/password/new`,
//! so the token never stays in the address bar, history or a Referer header.

use crate::domain::UserId;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::{
    auth::{guards::Visitor, tokens::token_hash},
    db::{self, sessions, tokens, users},
    domain::{AuditAction, FlashKind, NewPassword},
    error::AppError,
    render::see_other,
    render::{render, render_status, Layout},
    state::AppState,
};

const SESSION_TOKEN_ID: &str = "pw_token_id";

#[derive(Template)]
#[template(path = "account/link_problem.html")]
pub struct LinkProblemPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub message: &'static str,
}

/// Why a link can't be used; each says what the person can do next.
pub enum LinkProblem {
    Unknown,
    Expired,
    Used,
    Revoked,
    /// An invitation link whose invitation was resent since.
    Replaced,
}

impl LinkProblem {
    pub fn page(&self, layout: Layout) -> HttpResponse {
        let (heading, message) = match self {
            LinkProblem::Unknown => ("This link is not valid", "Check that you opened the whole link from your email. If it still does not work, ask for a new one."),
            LinkProblem::Expired => ("This link has expired", "Links are only valid for a limited time. Ask your administrator for a new invitation, or use “Forgot password” if you already have an account."),
            LinkProblem::Used => ("This link has already been used", "Each link works once. If you already set your password, log in; otherwise ask for a new link."),
            LinkProblem::Replaced => ("This invitation was replaced", "It was replaced by a newer invitation sent to the same address, so this link no longer works. Open the link in the most recent invitation email."),
            LinkProblem::Revoked => ("This link was withdrawn", "A newer link replaced this one, or it was cancelled. Ask your administrator for a new one."),
        };
        render_status(StatusCode::GONE, &LinkProblemPage { layout, heading, message })
    }
}

pub async fn open_link(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let hash = token_hash(&path.into_inner());
    let found = db::run(&state.pool, move |conn| Ok(tokens::find_by_hash(conn, &hash)?)).await?;
    let problem = match &found {
        // An email confirmation link (join links, SPEC §12) never sets a password.
        None => Some(LinkProblem::Unknown),
        Some(t) if t.purpose == tokens::PURPOSE_CONFIRM => Some(LinkProblem::Unknown),
        Some(t) if t.used_at.is_some() => Some(LinkProblem::Used),
        Some(t) if t.expires_at <= Utc::now() => Some(LinkProblem::Expired),
        Some(_) => None,
    };
    if let Some(problem) = problem {
        return Ok(problem.page(visitor.layout("Link problem")?));
    }
    if let Some(t) = found {
        visitor.session.insert(SESSION_TOKEN_ID, &t.id)?;
    }
    Ok(see_other("/password/new"))
}

#[derive(Template)]
#[template(path = "account/new_password.html")]
struct NewPasswordPage {
    layout: Layout,
    heading: &'static str,
    reset: bool,
    email: String,
    error: Option<String>,
}

/// A link that can still be used: the token, its person and whether it is a reset.
struct PendingLink {
    token_id: i64,
    user_id: UserId,
    email: String,
    reset: bool,
}

/// Title of the form: a first password, or a new one after "Forgot password".
fn heading(reset: bool) -> &'static str {
    if reset {
        "Choose a new password"
    } else {
        "Choose a password"
    }
}

/// The token behind the session value, if it can still be used, and its user's address.
async fn pending(visitor: &Visitor, state: &AppState) -> Result<Option<PendingLink>, AppError> {
    let Some(token_id) = visitor.session.get::<i64>(SESSION_TOKEN_ID) else {
        return Ok(None);
    };
    db::run(&state.pool, move |conn| {
        use crate::db::schema::password_tokens::dsl as t;
        use diesel::prelude::*;
        let row: Option<(i64, UserId, String)> = t::password_tokens
            .filter(t::id.eq(token_id))
            .filter(t::used_at.is_null())
            .filter(t::expires_at.gt(diesel::dsl::now))
            .filter(t::purpose.ne(tokens::PURPOSE_CONFIRM))
            .select((t::id, t::user_id, t::purpose))
            .first(conn)
            .optional()?;
        let Some((id, user_id, purpose)) = row else { return Ok(None) };
        let user = users::find(conn, user_id)?;
        Ok(user.map(|u| PendingLink {
            token_id: id,
            user_id: u.id,
            email: u.email,
            reset: purpose == tokens::PURPOSE_RESET,
        }))
    })
    .await
}

pub async fn new_password_form(visitor: Visitor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    match pending(&visitor, &state).await? {
        None => Ok(LinkProblem::Expired.page(visitor.layout("Link problem")?)),
        Some(link) => Ok(render(&NewPasswordPage {
            layout: visitor.layout(heading(link.reset))?,
            heading: heading(link.reset),
            reset: link.reset,
            email: link.email,
            error: None,
        })),
    }
}

#[derive(Deserialize)]
pub struct NewPasswordForm {
    password: String,
    password_confirmation: String,
}

pub async fn set_password(
    visitor: Visitor,
    state: web::Data<AppState>,
    form: web::Form<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let Some(PendingLink { token_id, user_id, email, reset }) = pending(&visitor, &state).await? else {
        return Ok(LinkProblem::Expired.page(visitor.layout("Link problem")?));
    };
    let password = match NewPassword::parse(&form.password, &form.password_confirmation) {
        Ok(p) => p,
        Err(e) => {
            return Ok(render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NewPasswordPage {
                    layout: visitor.layout(heading(reset))?,
                    heading: heading(reset),
                    reset,
                    email,
                    error: Some(e.to_string()),
                },
            ))
        }
    };
    let hash = state.hasher.hash(password.expose().to_string()).await?;
    let claimed = db::run(&state.pool, move |conn| {
        use diesel::Connection;
        conn.transaction::<_, AppError, _>(|conn| {
            if !tokens::claim(conn, token_id)? {
                return Ok(false);
            }
            users::set_password_hash(conn, user_id, &hash)?;
            tokens::expire_unused_for_user(conn, user_id)?;
            // A new password ends every other session of this person.
            sessions::delete_for_user(conn, user_id)?;
            if let Some(user) = users::find(conn, user_id)? {
                let label = format!("{} {} <{}>", user.first_name, user.surname, user.email);
                // A person is global; each organisation they belong to sees the event.
                for m in crate::db::memberships::live_for_user(conn, user_id)? {
                    crate::db::audit::record(
                        conn,
                        &crate::db::audit::NewAuditEvent {
                            enterprise_id: m.enterprise_id,
                            partner_id: m.partner_id,
                            actor_user_id: Some(user.id),
                            actor_label: &label,
                            actor_membership: "",
                            action: AuditAction::UserPasswordSet,
                            target: &format!("User {}", user.email),
                            details: serde_json::json!({}),
                        },
                    )?;
                }
            }
            Ok(true)
        })
    })
    .await?;
    if !claimed {
        return Ok(LinkProblem::Used.page(visitor.layout("Link problem")?));
    }
    visitor.session.remove(SESSION_TOKEN_ID);
    // One membership: act in it; several: the home page sends the person to pick one.
    let choices = db::run(&state.pool, move |conn| Ok(crate::db::memberships::choices(conn, user_id)?)).await?;
    let only = match choices.as_slice() {
        [one] => Some(one.membership_id),
        _ => None,
    };
    visitor.session.log_in(user_id, only, choices.len())?;
    let done = if reset { "Your new password is set. You are logged in." } else { "Your password is set. Welcome!" };
    visitor.session.flash(FlashKind::Success, done)?;
    Ok(see_other("/"))
}
