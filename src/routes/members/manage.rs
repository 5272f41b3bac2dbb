//! Members: changing a member's role, removing a member (with a confirmation page), and
//! resending or revoking an invitation. Each change is one transaction with its audit event.
//!
//! The partner row is locked first, so the account administrator read here cannot change
//! under us (an administrator change takes the same lock when it is accepted).

use crate::domain::{InvitationId, PartnerId, UserId};
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::render::see_other;
use crate::{
    auth::{guards::PartnerAdmin, session::Principal},
    db::{self, audit, invitations, partners, sessions, tokens, users},
    domain::{AuditAction, FlashKind, Role, UserRole},
    error::AppError,
    render::{render, Layout},
    routes::members::list::{partner_of, MENU_KEY},
    state::AppState,
};

pub const ACCOUNT_ADMIN_MESSAGE: &str =
    "The account administrator can only change through an administrator change by the enterprise.";
pub const SELF_REMOVE_MESSAGE: &str = "You can't remove yourself. Ask another Admin of your company to do it.";
pub const SELF_ROLE_MESSAGE: &str = "You can't change your own role. Ask another Admin of your company to do it.";

fn display_name(u: &users::User) -> String {
    format!("{} {}", u.first_name, u.surname)
}

/// The member `user_id` of the admin's partner, locked, after refusing the changes nobody may
/// make here: to the account administrator, or to oneself.
fn lock_member(
    conn: &mut PgConnection,
    actor: &Principal,
    user_id: UserId,
    self_message: &str,
) -> Result<(partners::Partner, users::User), AppError> {
    let partner_id = partner_of(actor)?;
    let partner = partners::lock(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    let member = users::lock_in_partner(conn, partner_id, user_id)?.ok_or(AppError::NotFound)?;
    if partner.account_admin_user_id == Some(member.id) {
        return Err(AppError::Conflict(ACCOUNT_ADMIN_MESSAGE.into()));
    }
    if member.id == actor.user_id {
        return Err(AppError::Conflict(self_message.into()));
    }
    Ok((partner, member))
}

fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    partner_id: PartnerId,
    action: AuditAction,
    member: &users::User,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: Some(partner_id),
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            action,
            target: &format!("Member {} <{}>", display_name(member), member.email),
            details,
        },
    )?;
    Ok(())
}

// ---- Change a role -------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let role = Role::parse(&form.role).map_err(|e| AppError::bad_request(e.to_string()))?;
    let actor = user.user.clone();
    let (name, changed) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (partner, member) = lock_member(conn, &actor, id, SELF_ROLE_MESSAGE)?;
            if member.role == UserRole::from(role) {
                return Ok((display_name(&member), false));
            }
            users::set_role(conn, member.id, role.into())?;
            record(
                conn,
                &actor,
                partner.id,
                AuditAction::MemberRoleChanged,
                &member,
                serde_json::json!({ "from": member.role, "to": role.as_str() }),
            )?;
            Ok((display_name(&member), true))
        })
    })
    .await?;
    if changed {
        user.flash(FlashKind::Success, format!("{name} is now {}.", article_role(role)))?;
    } else {
        user.flash(FlashKind::Info, format!("{name} is already {}.", article_role(role)))?;
    }
    Ok(see_other("/members"))
}

fn article_role(role: Role) -> String {
    match role {
        Role::Admin => "an Admin".into(),
        Role::Member => "a Member".into(),
    }
}

// ---- Remove a member -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "members/remove.html")]
struct RemovePage {
    layout: Layout,
    id: UserId,
    name: String,
    email: String,
    role_label: &'static str,
}

pub async fn confirm_remove(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    // Read-only, but through the same checks as the removal so the page never offers a
    // button that can only fail.
    let member = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| Ok(lock_member(conn, &actor, id, SELF_REMOVE_MESSAGE)?.1))
    })
    .await?;
    let name = display_name(&member);
    Ok(render(&RemovePage {
        layout: user.layout(format!("Remove {name}?"), MENU_KEY)?,
        id: member.id,
        role_label: member.role.label(),
        email: member.email,
        name,
    }))
}

/// Disables the account (the row stays for the history), ends every session of theirs and
/// kills their unused password links, in one transaction: their open session is refused on
/// its very next request.
pub async fn remove(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let (partner, member) = lock_member(conn, &actor, id, SELF_REMOVE_MESSAGE)?;
            users::disable(conn, member.id)?;
            let ended = sessions::delete_for_user(conn, member.id)?;
            tokens::expire_unused_for_user(conn, member.id)?;
            record(
                conn,
                &actor,
                partner.id,
                AuditAction::MemberRemoved,
                &member,
                serde_json::json!({ "role": member.role, "sessions_ended": ended }),
            )?;
            Ok(display_name(&member))
        })
    })
    .await?;
    tracing::info!(user_id = %id, "member removed");
    user.flash(FlashKind::Success, format!("{name} was removed and can no longer log in."))?;
    Ok(see_other("/members"))
}

// ---- Resend or revoke an invitation --------------------------------------------------------

/// An invitation this admin may resend or revoke: one of their partner's, and not an
/// administrator change (that belongs to the enterprise, which the partner must not be able
/// to block). Anything else is "not found".
fn managed_invitation(
    conn: &mut PgConnection,
    actor: &Principal,
    partner_id: PartnerId,
    id: InvitationId,
) -> Result<invitations::Invitation, AppError> {
    invitations::find(conn, id)?
        .filter(|i| i.partner_id == partner_id && i.enterprise_id == actor.enterprise_id && !i.for_account_admin)
        .ok_or(AppError::NotFound)
}

pub async fn resend(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<InvitationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let invitation = db::run(&state.pool, move |conn| {
        let partner_id = partner_of(&actor)?;
        conn.transaction::<_, AppError, _>(|conn| {
            managed_invitation(conn, &actor, partner_id, id)?;
            invitations::resend(conn, &settings, &actor, partner_id, id)
        })
    })
    .await?;
    user.flash(
        FlashKind::Success,
        format!("Invitation resent to {}. The previous link no longer works.", invitation.email),
    )?;
    Ok(see_other("/members"))
}

pub async fn revoke(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<InvitationId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let email = db::run(&state.pool, move |conn| {
        let partner_id = partner_of(&actor)?;
        conn.transaction::<_, AppError, _>(|conn| {
            let email = managed_invitation(conn, &actor, partner_id, id)?.email;
            invitations::revoke(conn, &actor, partner_id, id)?;
            Ok(email)
        })
    })
    .await?;
    user.flash(FlashKind::Success, format!("The invitation to {email} was revoked. Its link no longer works."))?;
    Ok(see_other("/members"))
}
