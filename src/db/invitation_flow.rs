//! Issuing, resending and revoking invitations. Each runs inside the caller's transaction and
//! queues the email in the outbox there too, so an email exists only if the change committed.

use crate::auth::actor::Actor;
use crate::domain::{AuditAction, EmailKind, InvitationStatus};
use crate::domain::{EnterpriseId, InvitationId, PartnerId};
use chrono::Utc;
use diesel::prelude::*;

use crate::{
    auth::tokens,
    config::Settings,
    db::{
        audit, domain_verification, enterprises, invitations, invitations::Invitation, memberships, outbox, partners,
        schema::invitations as inv, users,
    },
    domain::{EmailAddress, PersonName, Role},
    email::{messages, EmailMeta},
    error::AppError,
};

pub struct NewInvite<'a> {
    pub enterprise_id: EnterpriseId,
    pub partner_id: PartnerId,
    pub email: &'a EmailAddress,
    pub first_name: &'a PersonName,
    pub surname: &'a PersonName,
    pub role: Role,
    pub for_account_admin: bool,
    /// The *Personal note* (checked by the caller: `PersonalNote`), kept on the invitation so
    /// a resend sends it again.
    pub note: Option<&'a str>,
}

pub(crate) fn ttl(settings: &Settings) -> chrono::Duration {
    chrono::Duration::from_std(settings.invite_ttl).unwrap_or_else(|_| chrono::Duration::days(7))
}

/// Builds the email for `invitation` with a fresh `token` and queues it.
pub(crate) fn queue_email(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    invitation: &Invitation,
    token: &str,
) -> Result<(), AppError> {
    let enterprise = enterprises::find(conn, invitation.enterprise_id)?;
    let organisation = match invitation.partner_id {
        Some(partner_id) => partners::find(conn, invitation.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?.name,
        None => enterprise.name.clone(),
    };
    let link = settings.link(&format!("/invitations/{token}"));
    let inviter = actor.display_name();
    let email = messages::invitation(&messages::InvitationEmail {
        enterprise_name: &enterprise.name,
        partner_name: &organisation,
        team: invitation.partner_id.is_none(),
        first_name: &invitation.first_name,
        inviter_name: &inviter,
        role_label: invitation.role.label(),
        account_administrator: invitation.for_account_admin,
        link: &link,
        expires_at: invitation.expires_at,
        note: invitation.note.as_deref(),
    })?;
    let mut email = email;
    email.to = invitation.email.clone();
    outbox::enqueue(
        conn,
        &email,
        &EmailMeta {
            kind: EmailKind::Invitation,
            enterprise_id: Some(invitation.enterprise_id),
            invitation_id: Some(invitation.id),
        },
    )?;
    Ok(())
}

pub(crate) fn record(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    invitation: &Invitation,
    action: AuditAction,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: invitation.enterprise_id,
            partner_id: invitation.partner_id,
            actor_user_id: actor.user_id(),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action,
            target: &format!(
                "Invitation of {} ({})",
                invitation.email,
                if invitation.for_account_admin { "account administrator" } else { invitation.role.as_str() }
            ),
            details: serde_json::json!({ "email": invitation.email, "role": invitation.role, "account_administrator": invitation.for_account_admin }),
        },
    )?;
    Ok(())
}

/// The gate of every invitation email to a partner's person (issue, resend, Add Partner):
/// with *Require verified domains for invitations* on, the address's domain must be a
/// verified domain of the partner; otherwise a 422 naming the domain, before anything is
/// written. Team invitations (no partner) are not about partner domains.
pub(crate) fn refuse_unverified(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: Option<PartnerId>,
    email: &str,
) -> Result<(), AppError> {
    let Some(partner_id) = partner_id else { return Ok(()) };
    match domain_verification::invitation_refusal(conn, enterprise_id, partner_id, email)? {
        Some(message) => Err(AppError::Unprocessable(message)),
        None => Ok(()),
    }
}

/// Issues an invitation to a partnership and queues its email. An address already invited
/// (pending) or already a member is refused with a clear message. An address with an account
/// elsewhere is welcome: accepting adds a membership (SPEC §10).
pub fn issue(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    invite: &NewInvite<'_>,
) -> Result<Invitation, AppError> {
    let address = invite.email.as_str();
    refuse_unverified(conn, invite.enterprise_id, Some(invite.partner_id), address)?;
    if let Some(user) = users::find_by_email(conn, address)? {
        // A removed member may be invited back; accepting brings the membership back.
        if !invite.for_account_admin && memberships::find_in_partner(conn, invite.partner_id, user.id)?.is_some() {
            return Err(AppError::Conflict(format!("{address} is already a member of this partner.")));
        }
    }
    let pending: i64 = inv::table
        .filter(inv::partner_id.eq(invite.partner_id))
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
            enterprise_id: invite.enterprise_id,
            partner_id: Some(invite.partner_id),
            email: address,
            first_name: invite.first_name.as_str(),
            surname: invite.surname.as_str(),
            role: invite.role.into(),
            for_account_admin: invite.for_account_admin,
            token_hash: &tokens::token_hash(&token),
            invited_by: actor.user_id(),
            expires_at: Utc::now() + ttl(settings),
            note: invite.note,
        },
    )?;
    queue_email(conn, settings, actor, &invitation, &token)?;
    record(conn, actor, &invitation, AuditAction::InvitationSent)?;
    Ok(invitation)
}

/// Like `issue`, for an invitation row already inserted with `token` (Add Partner).
pub fn queue_for_new(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    invitation_id: InvitationId,
    token: &str,
) -> Result<(), AppError> {
    let invitation = invitations::find(conn, invitation_id)?.ok_or(AppError::NotFound)?;
    queue_email(conn, settings, actor, &invitation, token)
}

/// A pending (or expired) invitation of this partner, locked for a change.
fn lock_open(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    invitation_id: InvitationId,
) -> Result<Invitation, AppError> {
    inv::table
        .filter(inv::id.eq(invitation_id))
        .filter(inv::partner_id.eq(partner_id))
        .filter(inv::status.eq(InvitationStatus::Pending))
        .for_update()
        .select(Invitation::as_select())
        .first(conn)
        .optional()?
        .ok_or(AppError::NotFound)
}

/// A new token and expiry: the old link stops working (it says it was replaced) and its unsent
/// email is cancelled.
pub fn resend(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    partner_id: PartnerId,
    invitation_id: InvitationId,
) -> Result<Invitation, AppError> {
    let current = lock_open(conn, partner_id, invitation_id)?;
    renew(conn, settings, actor, &current)
}

/// Sends an invitation that was held (never emailed: Import partners with *Send invitation
/// emails* off): a fresh token and expiry, its email queued, audited as sent, not resent.
pub fn send_held(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    partner_id: PartnerId,
    invitation_id: InvitationId,
) -> Result<Invitation, AppError> {
    let current = lock_open(conn, partner_id, invitation_id)?;
    renew_as(conn, settings, actor, &current, AuditAction::InvitationSent)
}

/// Resends `current` (a pending invitation locked by the caller): a new token and expiry,
/// the old link replaced, its unsent email cancelled, the new one queued.
pub(crate) fn renew(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    current: &Invitation,
) -> Result<Invitation, AppError> {
    renew_as(conn, settings, actor, current, AuditAction::InvitationResent)
}

/// `renew`, audited as `action`.
fn renew_as(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    current: &Invitation,
    action: AuditAction,
) -> Result<Invitation, AppError> {
    refuse_unverified(conn, current.enterprise_id, current.partner_id, &current.email)?;
    outbox::cancel_for_invitation(conn, current.id)?;
    invitations::remember_replaced_token(conn, current.id)?;
    let token = tokens::random_token();
    let invitation: Invitation = diesel::update(inv::table.find(current.id))
        .set((
            inv::token_hash.eq(tokens::token_hash(&token)),
            inv::expires_at.eq(Utc::now() + ttl(settings)),
            inv::created_at.eq(diesel::dsl::now),
        ))
        .returning(Invitation::as_returning())
        .get_result(conn)?;
    queue_email(conn, settings, actor, &invitation, &token)?;
    record(conn, actor, &invitation, action)?;
    Ok(invitation)
}

/// Withdraws a pending invitation: its link stops working and its unsent email is cancelled.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    partner_id: PartnerId,
    invitation_id: InvitationId,
) -> Result<(), AppError> {
    let current = lock_open(conn, partner_id, invitation_id)?;
    withdraw(conn, actor, &current)
}

/// Revokes `current` (a pending invitation locked by the caller) and cancels its unsent email.
pub(crate) fn withdraw(conn: &mut PgConnection, actor: &dyn Actor, current: &Invitation) -> Result<(), AppError> {
    outbox::cancel_for_invitation(conn, current.id)?;
    let invitation: Invitation = diesel::update(inv::table.find(current.id))
        .set((inv::status.eq(InvitationStatus::Revoked), inv::revoked_at.eq(diesel::dsl::now)))
        .returning(Invitation::as_returning())
        .get_result(conn)?;
    record(conn, actor, &invitation, AuditAction::InvitationRevoked)
}
