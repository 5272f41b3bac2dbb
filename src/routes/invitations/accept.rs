//! Accepting an invitation: `/invitations/<token>` → `/invitations/accept`.
//!
//! Opening the emailed link trades the token for a session value and redirects to a URL
//! without it; the accept page is served with `Referrer-Policy: no-referrer`. Accepting
//! creates the account (or promotes an existing user of the partner), makes the partner
//! active when its first administrator accepts, and logs the person in.

use crate::domain::{InvitationId, PartnerId, UserId};
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;

use crate::render::see_other;
use crate::{
    auth::{guards::Visitor, tokens::token_hash},
    db::{self, audit, invitations, invitations::Invitation, partners, schema, users},
    domain::{AuditAction, FlashKind, InvitationStatus, NewPassword, PartnerStatus, Role, UserRole},
    error::AppError,
    render::{render_status, Layout},
    routes::account::set_password::LinkProblem,
    state::AppState,
};

const SESSION_INVITATION: &str = "invitation_id";

fn no_referrer(mut r: HttpResponse) -> HttpResponse {
    r.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    r
}

/// What is wrong with an invitation, if anything.
fn problem(inv: &Invitation, partner_status: PartnerStatus) -> Option<LinkProblem> {
    if inv.status == InvitationStatus::Accepted {
        Some(LinkProblem::Used)
    } else if inv.status == InvitationStatus::Revoked || partner_status == PartnerStatus::Deactivated {
        Some(LinkProblem::Revoked)
    } else if inv.expires_at <= Utc::now() {
        Some(LinkProblem::Expired)
    } else {
        None
    }
}

fn partner_status(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<PartnerStatus> {
    schema::partners::table.find(partner_id).select(schema::partners::status).first(conn)
}

pub async fn open_link(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let hash = token_hash(&path.into_inner());
    let found = db::run(&state.pool, move |conn| {
        let Some(inv) = invitations::find_by_hash(conn, &hash)? else {
            let problem =
                if invitations::was_replaced(conn, &hash)? { LinkProblem::Replaced } else { LinkProblem::Unknown };
            return Ok(Err(problem));
        };
        let status = partner_status(conn, inv.partner_id)?;
        Ok(Ok((inv, status)))
    })
    .await?;
    let (inv, status) = match found {
        Err(problem) => return Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
        Ok(found) => found,
    };
    if let Some(p) = problem(&inv, status) {
        return Ok(no_referrer(p.page(visitor.layout("Invitation")?)));
    }
    visitor.session.insert(SESSION_INVITATION, &inv.id)?;
    Ok(no_referrer(see_other("/invitations/accept")))
}

/// Everything the accept page shows about the invitation.
struct Pending {
    invitation: Invitation,
    enterprise_name: String,
    partner_name: String,
    inviter_name: Option<String>,
    /// The invitee already has an account with this partner (an administrator change).
    existing_user: Option<users::User>,
    /// The address belongs to an account elsewhere: this invitation can't be accepted.
    taken_elsewhere: bool,
}

async fn load_pending(visitor: &Visitor, state: &AppState) -> Result<Result<Pending, LinkProblem>, AppError> {
    let Some(id) = visitor.session.get::<InvitationId>(SESSION_INVITATION) else {
        return Ok(Err(LinkProblem::Unknown));
    };
    db::run(&state.pool, move |conn| {
        let Some(inv) = invitations::find(conn, id)? else { return Ok(Err(LinkProblem::Unknown)) };
        let (partner_name, status, enterprise_name): (String, PartnerStatus, String) = schema::partners::table
            .inner_join(schema::enterprises::table)
            .filter(schema::partners::id.eq(inv.partner_id))
            .select((schema::partners::name, schema::partners::status, schema::enterprises::name))
            .first(conn)?;
        if let Some(p) = problem(&inv, status) {
            return Ok(Err(p));
        }
        let inviter_name = match inv.invited_by {
            Some(uid) => users::find(conn, uid)?.map(|u| format!("{} {}", u.first_name, u.surname)),
            None => None,
        };
        let user = users::find_by_email(conn, &inv.email)?;
        let taken_elsewhere = user.as_ref().is_some_and(|u| u.partner_id != Some(inv.partner_id));
        // A removed member invited back chooses a new password, like a new account.
        let existing_user = user.filter(|u| u.partner_id == Some(inv.partner_id) && u.disabled_at.is_none());
        Ok(Ok(Pending { invitation: inv, enterprise_name, partner_name, inviter_name, existing_user, taken_elsewhere }))
    })
    .await
}

#[derive(Template)]
#[template(path = "invitations/accept.html")]
struct AcceptPage {
    layout: Layout,
    enterprise_name: String,
    partner_name: String,
    inviter_name: Option<String>,
    first_name: String,
    email: String,
    role_label: &'static str,
    account_administrator: bool,
    promote: bool,
    taken_elsewhere: bool,
    error: Option<String>,
}

fn page(layout: Layout, p: &Pending, error: Option<String>) -> AcceptPage {
    AcceptPage {
        layout,
        enterprise_name: p.enterprise_name.clone(),
        partner_name: p.partner_name.clone(),
        inviter_name: p.inviter_name.clone(),
        first_name: p.invitation.first_name.clone(),
        email: p.invitation.email.clone(),
        role_label: p.invitation.role.label(),
        account_administrator: p.invitation.for_account_admin,
        promote: p.existing_user.is_some(),
        taken_elsewhere: p.taken_elsewhere,
        error,
    }
}

pub async fn accept_page(visitor: Visitor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pending = match load_pending(&visitor, &state).await? {
        Ok(p) => p,
        Err(problem) => return Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
    };
    let status = if pending.taken_elsewhere { StatusCode::CONFLICT } else { StatusCode::OK };
    Ok(no_referrer(render_status(status, &page(visitor.layout("Accept your invitation")?, &pending, None))))
}

#[derive(Deserialize)]
pub struct AcceptForm {
    password: Option<String>,
    password_confirmation: Option<String>,
}

pub async fn accept(
    visitor: Visitor,
    state: web::Data<AppState>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let pending = match load_pending(&visitor, &state).await? {
        Ok(p) => p,
        Err(problem) => return Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
    };
    if pending.taken_elsewhere {
        return Ok(no_referrer(render_status(
            StatusCode::CONFLICT,
            &page(visitor.layout("Accept your invitation")?, &pending, None),
        )));
    }
    let hash = if pending.existing_user.is_some() {
        None
    } else {
        let first = form.password.as_deref().unwrap_or("");
        let second = form.password_confirmation.as_deref().unwrap_or("");
        match NewPassword::parse(first, second) {
            Ok(p) => Some(state.hasher.hash(p.expose().to_string()).await?),
            Err(e) => {
                return Ok(no_referrer(render_status(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &page(visitor.layout("Accept your invitation")?, &pending, Some(e.to_string())),
                )))
            }
        }
    };

    let invitation_id = pending.invitation.id;
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| accept_in_transaction(conn, invitation_id, hash.as_deref()))
    })
    .await?;
    match outcome {
        Ok(accepted) => {
            visitor.session.remove(SESSION_INVITATION);
            visitor.session.log_in(accepted.user_id)?;
            visitor.session.flash(
                FlashKind::Success,
                format!(
                    "Welcome to {}! You can now use what {} has shared with you.",
                    accepted.partner_name, accepted.enterprise_name
                ),
            )?;
            tracing::info!(user_id = %accepted.user_id, invitation_id = %invitation_id, "invitation accepted");
            Ok(see_other("/service-catalog"))
        }
        Err(problem) => Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
    }
}

struct Accepted {
    user_id: UserId,
    partner_name: String,
    enterprise_name: String,
}

/// The acceptance itself; `Err(problem)` when another request got there first (or the partner
/// was deactivated meanwhile), in which case nothing is changed.
fn accept_in_transaction(
    conn: &mut PgConnection,
    invitation_id: InvitationId,
    password_hash: Option<&str>,
) -> Result<Result<Accepted, LinkProblem>, AppError> {
    // Lock the partner before the invitation, in the same order as deactivation does, so the
    // two can't deadlock.
    let Some(current) = invitations::find(conn, invitation_id)? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let Some(partner) = partners::lock(conn, current.enterprise_id, current.partner_id)? else {
        return Err(AppError::NotFound);
    };
    if partner.is_deactivated() {
        return Ok(Err(LinkProblem::Revoked));
    }
    let Some(inv) = invitations::claim(conn, invitation_id)? else {
        // Someone else changed it first: say what it is now.
        let now = invitations::find(conn, invitation_id)?;
        return Ok(Err(match now.map(|i| problem(&i, partner.status)) {
            Some(Some(p)) => p,
            _ => LinkProblem::Used,
        }));
    };
    let enterprise = db::enterprises::find(conn, inv.enterprise_id)?;
    let existing = users::find_by_email(conn, &inv.email)?;
    let user_id = match existing {
        Some(user) if user.partner_id == Some(inv.partner_id) && user.disabled_at.is_some() => {
            let hash = password_hash.ok_or_else(|| AppError::bad_request("A password is required."))?;
            users::reenable(conn, user.id, inv.role.into(), hash)?;
            user.id
        }
        Some(user) if user.partner_id == Some(inv.partner_id) => {
            if inv.role == Role::Admin && user.role != UserRole::Admin {
                users::set_role(conn, user.id, UserRole::Admin)?;
            }
            user.id
        }
        Some(_) => {
            return Err(AppError::Conflict("This email already has an account with another organisation.".into()))
        }
        None => {
            let hash = password_hash.ok_or_else(|| AppError::bad_request("A password is required."))?;
            users::insert(
                conn,
                &users::NewUser {
                    enterprise_id: inv.enterprise_id,
                    partner_id: Some(inv.partner_id),
                    role: inv.role.into(),
                    email: &inv.email,
                    first_name: &inv.first_name,
                    surname: &inv.surname,
                    password_hash: Some(hash),
                },
            )?
            .id
        }
    };
    invitations::set_accepted_user(conn, inv.id, user_id)?;
    let actor = format!("{} {} <{}>", inv.first_name, inv.surname, inv.email);
    let event = |conn: &mut PgConnection, action: AuditAction, details: serde_json::Value| {
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id: inv.enterprise_id,
                partner_id: Some(inv.partner_id),
                actor_user_id: Some(user_id),
                actor_label: &actor,
                action,
                target: &format!("Partner {}", partner.name),
                details,
            },
        )
    };
    event(conn, AuditAction::InvitationAccepted, serde_json::json!({ "email": inv.email, "role": inv.role }))?;
    if inv.for_account_admin {
        let previous = partner.account_admin_user_id.filter(|id| *id != user_id);
        if let Some(prev) = previous {
            users::set_role(conn, prev, UserRole::Member)?;
        }
        partners::set_account_admin(conn, partner.id, user_id)?;
        event(
            conn,
            AuditAction::PartnerAdministratorChanged,
            serde_json::json!({ "administrator": inv.email, "previous_user_id": previous }),
        )?;
        if partner.status == PartnerStatus::Invited {
            partners::set_status(conn, partner.id, PartnerStatus::Active)?;
            event(conn, AuditAction::PartnerActivated, serde_json::json!({}))?;
        }
    }
    Ok(Ok(Accepted { user_id, partner_name: partner.name, enterprise_name: enterprise.name }))
}
