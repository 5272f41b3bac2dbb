//! **Invite a team** (SPEC §13): up to 50 people invited to one partnership with one role,
//! each address answered on its own: invited, or refused with the reason.
//!
//! Each address is its own transaction (the invitation, its email in the outbox and its
//! `invitation.sent` audit event, exactly as a single invitation through
//! `invitation_flow::issue`): the addresses are independent, so a refused one (already a
//! member, already invited, outside the partner's domains, an unverified domain) blocks no
//! other and the result lists each as it turned out. An unexpected error (the database gone)
//! stops the run; the addresses before it stay invited and show on the invitation lists.

use diesel::prelude::*;

use crate::{
    auth::actor::Actor,
    config::Settings,
    db::{invitation_flow, partners},
    domain::{Domain, InviteeLine, PartnerId, Role},
    error::AppError,
};

/// What happened to one line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Invited,
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct AddressOutcome {
    /// The address as stored (or the line as typed, when it was not an address).
    pub address: String,
    pub outcome: Outcome,
}

/// Invites each person of `lines` to the partner (the caller has checked that the actor may,
/// and that the partner takes invitations). Must not run inside a transaction of the caller's:
/// it makes one per address.
pub fn invite_each(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    partner_id: PartnerId,
    lines: &[InviteeLine],
    role: Role,
    note: Option<&str>,
) -> Result<Vec<AddressOutcome>, AppError> {
    let partner = partners::find(conn, actor.enterprise_id(), partner_id)?.ok_or(AppError::NotFound)?;
    let domains: Vec<Domain> = partners::domains(conn, partner.id)?
        .into_iter()
        .filter(|d| d.active)
        .filter_map(|d| Domain::parse(&d.domain).ok())
        .collect();
    let outside = if domains.is_empty() {
        format!("{} has no registered domains yet, so nobody can be invited.", partner.name)
    } else {
        let names: Vec<&str> = domains.iter().map(Domain::as_str).collect();
        format!("Not in {}'s registered domains: {}.", partner.name, names.join(", "))
    };
    let mut results = Vec::with_capacity(lines.len());
    for line in lines {
        let invitee = match line {
            InviteeLine::Refused { line, reason } => {
                results.push(AddressOutcome { address: line.clone(), outcome: Outcome::Refused(reason.clone()) });
                continue;
            }
            InviteeLine::Ok(invitee) => invitee,
        };
        let address = invitee.email.as_str().to_string();
        if !invitee.email.belongs_to(&domains) {
            results.push(AddressOutcome { address, outcome: Outcome::Refused(outside.clone()) });
            continue;
        }
        let issued = conn.transaction::<_, AppError, _>(|conn| {
            invitation_flow::issue(
                conn,
                settings,
                actor,
                &invitation_flow::NewInvite {
                    enterprise_id: actor.enterprise_id(),
                    partner_id: partner.id,
                    email: &invitee.email,
                    first_name: &invitee.first_name,
                    surname: &invitee.surname,
                    role,
                    for_account_admin: false,
                    note,
                },
            )
        });
        let outcome = match issued {
            Ok(_) => Outcome::Invited,
            // Already a member, already invited, or a domain that must be verified first.
            Err(AppError::Conflict(reason) | AppError::Unprocessable(reason)) => Outcome::Refused(reason),
            Err(e) => return Err(e),
        };
        results.push(AddressOutcome { address, outcome });
    }
    Ok(results)
}
