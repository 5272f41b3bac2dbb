//! The enterprise's own team (SPEC §16): invitations to it (partner_id NULL, role Enterprise
//! admin or Viewer), changing a team member's role and removing one. Every function runs in
//! the caller's transaction and starts by locking the enterprise row, so team changes (and
//! team acceptances, which take the same lock) happen one at a time: the last-admin rule and
//! "one pending invitation per address" hold under concurrent requests.

use chrono::Utc;
use diesel::prelude::*;

use crate::{
    auth::{session::Principal, tokens},
    config::Settings,
    db::{
        audit, enterprises,
        invitation_flow::{queue_email, record, renew, ttl, withdraw},
        invitations::{self, Invitation},
        memberships::{self, Member},
        schema::invitations as inv,
        users,
    },
    domain::{AuditAction, EmailAddress, EnterpriseId, InvitationId, InvitationStatus, PersonName, UserId, UserRole},
    error::AppError,
};

pub const SELF_ROLE_MESSAGE: &str = "You can't change your own role. Ask another Enterprise admin to do it.";
pub const SELF_REMOVE_MESSAGE: &str = "You can't remove yourself from the team. Ask another Enterprise admin to do it.";
pub const LAST_ADMIN_MESSAGE: &str =
    "This is the enterprise's last Enterprise admin. Make someone else an Enterprise admin first.";

pub struct NewTeamInvite<'a> {
    pub email: &'a EmailAddress,
    pub first_name: &'a PersonName,
    pub surname: &'a PersonName,
    /// Enterprise admin or Viewer.
    pub role: UserRole,
    /// The *Personal note* (already checked: `PersonalNote`).
    pub note: Option<&'a str>,
}

/// The enterprise's pending team invitations (expired ones included), newest first.
pub fn pending_invitations(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Invitation>> {
    inv::table
        .filter(inv::enterprise_id.eq(enterprise_id))
        .filter(inv::partner_id.is_null())
        .filter(inv::status.eq(InvitationStatus::Pending))
        .order((inv::created_at.desc(), inv::id.desc()))
        .select(Invitation::as_select())
        .load(conn)
}

/// Invites someone to the actor's enterprise team and queues the email. Any address may be
/// invited (no domain rule); one that is already a live team member, or has a pending team
/// invitation, is refused with a clear message. An address with an account elsewhere logs in
/// on the accept page to get the membership.
pub fn issue(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Principal,
    invite: &NewTeamInvite<'_>,
) -> Result<Invitation, AppError> {
    if !invite.role.is_team() {
        return Err(AppError::bad_request("Choose a role: Enterprise admin or Viewer."));
    }
    enterprises::lock(conn, actor.enterprise_id)?;
    let address = invite.email.as_str();
    if let Some(user) = users::find_by_email(conn, address)? {
        if memberships::lock_in_team(conn, actor.enterprise_id, user.id)?.is_some() {
            return Err(AppError::Conflict(format!("{address} is already in the team.")));
        }
    }
    let pending: i64 = inv::table
        .filter(inv::enterprise_id.eq(actor.enterprise_id))
        .filter(inv::partner_id.is_null())
        .filter(inv::email.eq(address))
        .filter(inv::status.eq(InvitationStatus::Pending))
        .count()
        .get_result(conn)?;
    if pending > 0 {
        return Err(AppError::Conflict(format!("An invitation to {address} is already pending. Resend it instead.")));
    }
    let token = tokens::random_token();
    let invitation = invitations::insert(
        conn,
        &invitations::NewInvitation {
            enterprise_id: actor.enterprise_id,
            partner_id: None,
            email: address,
            first_name: invite.first_name.as_str(),
            surname: invite.surname.as_str(),
            role: invite.role,
            for_account_admin: false,
            token_hash: &tokens::token_hash(&token),
            invited_by: Some(actor.user_id),
            expires_at: Utc::now() + ttl(settings),
            note: invite.note,
        },
    )?;
    queue_email(conn, settings, actor, &invitation, &token)?;
    record(conn, actor, &invitation, AuditAction::InvitationSent)?;
    Ok(invitation)
}

/// A pending (or expired) team invitation of the actor's enterprise, locked; anything else
/// (another enterprise's, a partner's, an accepted one) is "not found".
fn lock_open(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: InvitationId) -> Result<Invitation, AppError> {
    enterprises::lock(conn, enterprise_id)?;
    inv::table
        .filter(inv::id.eq(id))
        .filter(inv::enterprise_id.eq(enterprise_id))
        .filter(inv::partner_id.is_null())
        .filter(inv::status.eq(InvitationStatus::Pending))
        .for_update()
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// A new link for a team invitation; the previous one stops working.
pub fn resend(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Principal,
    id: InvitationId,
) -> Result<Invitation, AppError> {
    let current = lock_open(conn, actor.enterprise_id, id)?;
    renew(conn, settings, actor, &current)
}

/// Withdraws a team invitation; returns its address.
pub fn revoke(conn: &mut PgConnection, actor: &Principal, id: InvitationId) -> Result<String, AppError> {
    let current = lock_open(conn, actor.enterprise_id, id)?;
    withdraw(conn, actor, &current)?;
    Ok(current.email)
}

/// The team member `user_id` of the actor's enterprise, locked with the enterprise row, after
/// refusing a change to oneself (`self_message`). Not in the team: "not found".
pub fn lock_member(
    conn: &mut PgConnection,
    actor: &Principal,
    user_id: UserId,
    self_message: &str,
) -> Result<Member, AppError> {
    enterprises::lock(conn, actor.enterprise_id)?;
    let member = memberships::lock_in_team(conn, actor.enterprise_id, user_id)?.ok_or(AppError::NotFound)?;
    if member.id == actor.user_id {
        return Err(AppError::Conflict(self_message.into()));
    }
    Ok(member)
}

/// The last-admin rule (SPEC §10): the enterprise always keeps an Enterprise admin. Runs with
/// the enterprise row locked (`lock_member`), so two changes can't both see "another is left".
fn refuse_last_admin(conn: &mut PgConnection, member: &Member) -> Result<(), AppError> {
    if member.role == UserRole::EnterpriseAdmin && memberships::count_team_admins(conn, member.enterprise_id)? <= 1 {
        return Err(AppError::Conflict(LAST_ADMIN_MESSAGE.into()));
    }
    Ok(())
}

fn record_change(
    conn: &mut PgConnection,
    actor: &Principal,
    action: AuditAction,
    member: &Member,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record_for_enterprise(
        conn,
        actor,
        action,
        &format!("Team member {} <{}>", member.display_name(), member.email),
        details,
    )?;
    Ok(())
}

/// Gives a team member another team role; returns the member and whether anything changed.
/// An open session of theirs has the new role at its next request.
pub fn change_role(
    conn: &mut PgConnection,
    actor: &Principal,
    user_id: UserId,
    role: UserRole,
) -> Result<(Member, bool), AppError> {
    if !role.is_team() {
        return Err(AppError::bad_request("Choose a role: Enterprise admin or Viewer."));
    }
    let member = lock_member(conn, actor, user_id, SELF_ROLE_MESSAGE)?;
    if member.role == role {
        return Ok((member, false));
    }
    refuse_last_admin(conn, &member)?;
    memberships::set_role(conn, member.membership_id, role)?;
    record_change(
        conn,
        actor,
        AuditAction::TeamRoleChanged,
        &member,
        serde_json::json!({ "from": member.role, "to": role, "membership_id": member.membership_id }),
    )?;
    Ok((member, true))
}

/// The team member the actor may remove, locked: not themselves, not the last Enterprise
/// admin (409 with the reason).
pub fn check_remove(conn: &mut PgConnection, actor: &Principal, user_id: UserId) -> Result<Member, AppError> {
    let member = lock_member(conn, actor, user_id, SELF_REMOVE_MESSAGE)?;
    refuse_last_admin(conn, &member)?;
    Ok(member)
}

/// Ends a team membership (the row stays for the history): a session acting through it is
/// refused at its next request; the person's other memberships keep working.
pub fn remove(conn: &mut PgConnection, actor: &Principal, user_id: UserId) -> Result<Member, AppError> {
    let member = check_remove(conn, actor, user_id)?;
    memberships::end(conn, member.membership_id)?;
    record_change(
        conn,
        actor,
        AuditAction::TeamMemberRemoved,
        &member,
        serde_json::json!({ "role": member.role, "membership_id": member.membership_id }),
    )?;
    Ok(member)
}
