//! **Partner profile** (SPEC §11, the organisation's side of MiCloud's flow), for a partner's
//! Admins: the organisation's Partner ID and connection link, its **Connection requests**
//! (**Accept**, **Decline**), and per partnership **Staff access** and **Leave enterprise**.
//!
//! An Admin of any live partnership of the organisation acts for the organisation; the
//! partnerships it reaches are the organisation's only (any other id is 404), whichever
//! enterprise they belong to.

pub mod leave;
pub mod link;
pub mod page;
pub mod requests;
pub mod staff;

use diesel::PgConnection;

use crate::{
    auth::session::Principal,
    db::{audit, connections, organisations, partners},
    domain::{AuditAction, EnterpriseId, PartnerId},
    error::AppError,
};

pub const MENU_KEY: &str = "profile";

/// The organisation of the Admin's current partnership.
pub fn organisation_of(conn: &mut PgConnection, actor: &Principal) -> Result<organisations::Organisation, AppError> {
    let partner_id = actor.partner_id.ok_or(AppError::Forbidden)?;
    let partner = partners::find(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    Ok(organisations::find(conn, partner.organisation_id)?)
}

/// A partnership of the Admin's organisation, locked; 404 for anything else.
pub fn lock_partnership(
    conn: &mut PgConnection,
    actor: &Principal,
    id: PartnerId,
) -> Result<(organisations::Organisation, partners::Partner), AppError> {
    let org = organisation_of(conn, actor)?;
    let partner = connections::lock_of_organisation(conn, org.id, id)?.ok_or(AppError::NotFound)?;
    Ok((org, partner))
}

/// The name of an enterprise (an organisation's partnership may be with any).
pub fn enterprise_name(conn: &mut PgConnection, id: EnterpriseId) -> Result<String, AppError> {
    Ok(crate::db::enterprises::find(conn, id)?.name)
}

/// An audit event about partnership `partner` in its own enterprise's trail, made by the
/// organisation's Admin (whose current membership may be in another enterprise).
pub fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    partner: &partners::Partner,
    action: AuditAction,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: partner.enterprise_id,
            partner_id: Some(partner.id),
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action,
            target: &format!("Partner {}", partner.name),
            details,
        },
    )?;
    Ok(())
}
