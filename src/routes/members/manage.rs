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
    auth::{
        guards::{PartnerAdmin, PartnerUser},
        session::Principal,
    },
    db::{self, audit, invitations, memberships, memberships::Member, partners},
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

pub const LAST_ADMIN_MESSAGE: &str =
    "This is the partner's last Admin. Make someone else an Admin first (the enterprise changes the account administrator).";

fn display_name(u: &Member) -> String {
    u.display_name()
}

/// The last-admin rule (SPEC §10): a partnership always keeps an Admin. Runs with the partner
/// row locked, so two demotions can't both see "another Admin is left".
fn refuse_last_admin(conn: &mut PgConnection, member: &Member) -> Result<(), AppError> {
    let Some(partner_id) = member.partner_id else { return Ok(()) };
    if member.role == UserRole::Admin
        && memberships::count_with_role_in_partner(conn, partner_id, UserRole::Admin)? <= 1
    {
        return Err(AppError::Conflict(LAST_ADMIN_MESSAGE.into()));
    }
    Ok(())
}

/// The member `user_id` of the admin's partner, locked, after refusing the changes nobody may
/// make here: to the account administrator, or to oneself.
fn lock_member(
    conn: &mut PgConnection,
    actor: &Principal,
    user_id: UserId,
    self_message: &str,
) -> Result<(partners::Partner, Member), AppError> {
    let partner_id = partner_of(actor)?;
    let partner = partners::lock(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    let member = memberships::lock_in_partner(conn, partner_id, user_id)?.ok_or(AppError::NotFound)?;
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
    member: &Member,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: Some(partner_id),
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
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
            if role == Role::Member {
                refuse_last_admin(conn, &member)?;
            }
            memberships::set_role(conn, member.membership_id, role.into())?;
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

/// Ends the membership (the row stays for the history), in one transaction: any session
/// acting through it is refused on its very next request, and the person's other
/// memberships keep working.
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
            refuse_last_admin(conn, &member)?;
            memberships::end(conn, member.membership_id)?;
            member_removed(conn, partner.id, &member, "removed")?;
            record(
                conn,
                &actor,
                partner.id,
                AuditAction::MemberRemoved,
                &member,
                serde_json::json!({ "role": member.role, "membership_id": member.membership_id }),
            )?;
            Ok(display_name(&member))
        })
    })
    .await?;
    tracing::info!(user_id = %id, "member removed");
    user.flash(FlashKind::Success, format!("{name} was removed and no longer has access to this partner account."))?;
    Ok(see_other("/members"))
}

/// The `member.removed` webhook, in the transaction that ended the membership.
fn member_removed(conn: &mut PgConnection, partner_id: PartnerId, member: &Member, how: &str) -> Result<(), AppError> {
    let data = serde_json::json!({
        "user_id": member.id, "email": member.email, "role": member.role, "reason": how,
    });
    crate::webhooks::emit_for_partner(conn, partner_id, crate::domain::WebhookEvent::MemberRemoved, data)?;
    Ok(())
}

// ---- Leave partner -------------------------------------------------------------------------

pub const ACCOUNT_ADMIN_LEAVE_MESSAGE: &str = "You are the account administrator, so you can't leave. Ask the enterprise to make someone else the partner's administrator first.";

#[derive(Template)]
#[template(path = "members/leave.html")]
struct LeavePage {
    layout: Layout,
    partner_name: String,
    enterprise_name: String,
    refusal: Option<String>,
}

/// The membership of the person themselves, locked, after the rules for leaving: not the
/// account administrator, not the last Admin.
fn lock_self(conn: &mut PgConnection, actor: &Principal) -> Result<Result<Member, String>, AppError> {
    let partner_id = partner_of(actor)?;
    let partner = partners::lock(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    let me = memberships::lock_in_partner(conn, partner_id, actor.user_id)?.ok_or(AppError::NotFound)?;
    if partner.account_admin_user_id == Some(me.id) {
        return Ok(Err(ACCOUNT_ADMIN_LEAVE_MESSAGE.into()));
    }
    match refuse_last_admin(conn, &me) {
        Ok(()) => Ok(Ok(me)),
        Err(AppError::Conflict(message)) => Ok(Err(message)),
        Err(e) => Err(e),
    }
}

/// **Leave partner**: any member may leave, but for the account administrator and the last
/// Admin (SPEC §10); the page says so instead of offering a button that can only fail.
pub async fn confirm_leave(user: PartnerUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let refusal =
        db::run(&state.pool, move |conn| conn.transaction::<_, AppError, _>(|conn| Ok(lock_self(conn, &actor)?.err())))
            .await?;
    let status =
        if refusal.is_some() { actix_web::http::StatusCode::CONFLICT } else { actix_web::http::StatusCode::OK };
    Ok(crate::render::render_status(
        status,
        &LeavePage {
            layout: user.layout("Leave partner", "leave")?,
            partner_name: user.user.partner_name.clone().unwrap_or_default(),
            enterprise_name: user.user.enterprise_name.clone(),
            refusal,
        },
    ))
}

pub async fn leave(user: PartnerUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let left = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let me = match lock_self(conn, &actor)? {
                Ok(me) => me,
                Err(message) => return Err(AppError::Conflict(message)),
            };
            memberships::end(conn, me.membership_id)?;
            member_removed(conn, partner_of(&actor)?, &me, "left")?;
            audit::record(
                conn,
                &audit::NewAuditEvent {
                    enterprise_id: actor.enterprise_id,
                    partner_id: actor.partner_id,
                    actor_user_id: Some(actor.user_id),
                    actor_label: &actor.actor_label(),
                    actor_membership: &actor.membership_label(),
                    action: AuditAction::MemberLeft,
                    target: &format!("Member {} <{}>", display_name(&me), me.email),
                    details: serde_json::json!({ "role": me.role, "membership_id": me.membership_id }),
                },
            )?;
            Ok(actor.partner_name.clone().unwrap_or_default())
        })
    })
    .await?;
    tracing::info!(user_id = %user.user.user_id, "left partner");
    user.flash(FlashKind::Success, format!("You left {left}."))?;
    // The next request finds no current membership: another one to pick, or the login page.
    Ok(see_other("/"))
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
        .filter(|i| i.partner_id == Some(partner_id) && i.enterprise_id == actor.enterprise_id && !i.for_account_admin)
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
