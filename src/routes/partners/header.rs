//! What every screen about one partner shares: the header above its tabs, the status
//! phrases, and the audit helper for partner events.

use crate::auth::actor::Actor;
use crate::domain::{EnterpriseId, PartnerId};
use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::{
    db::{audit, partners},
    domain::{AuditAction, PartnerStatus},
    error::AppError,
};

pub const DEACTIVATED_MESSAGE: &str = "This partner is deactivated and can no longer be changed.";
pub const REQUESTED_MESSAGE: &str = "This partner has not accepted your connection request yet, so nothing can be granted or changed until it does. To withdraw the request, use Delete partner.";

/// Why nothing of this partnership may change now (ended, or a connection request not yet
/// accepted), or None.
pub fn change_refusal(partner: &partners::Partner) -> Option<&'static str> {
    if partner.is_deactivated() {
        Some(DEACTIVATED_MESSAGE)
    } else if partner.status == PartnerStatus::Requested {
        Some(REQUESTED_MESSAGE)
    } else {
        None
    }
}

/// What the header above the tabs shows.
#[derive(Clone)]
pub struct PartnerHeader {
    pub id: PartnerId,
    pub name: String,
    pub initials: String,
    /// `/settings/partners/{id}/logo?v=…` (the version defeats the browser cache after a change).
    pub logo_url: Option<String>,
    pub status: PartnerStatus,
    pub deactivated: bool,
    /// A connection request the organisation has not answered: its name and status only.
    pub requested: bool,
    /// Nothing can be changed (deactivated or requested): the tabs show no forms.
    pub locked: bool,
    pub registered: DateTime<Utc>,
}

impl PartnerHeader {
    pub fn new(partner: &partners::Partner, logo_updated: Option<DateTime<Utc>>) -> Self {
        PartnerHeader {
            id: partner.id,
            name: partner.name.clone(),
            initials: initials(&partner.name),
            logo_url: logo_updated.map(|t| logo_url(partner.id, t)),
            status: partner.status,
            deactivated: partner.is_deactivated(),
            requested: partner.status == PartnerStatus::Requested,
            locked: change_refusal(partner).is_some(),
            registered: partner.created_at,
        }
    }
}

/// The logo's address, versioned by when it was saved so a browser never shows a stale one
/// (the logo itself may be cached for long).
pub fn logo_url(partner_id: PartnerId, updated_at: DateTime<Utc>) -> String {
    format!("/settings/partners/{partner_id}/logo?v={}", updated_at.timestamp_micros())
}

/// The partner of the admin's enterprise with this id, or 404.
pub fn load_header(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: PartnerId,
) -> Result<(partners::Partner, PartnerHeader), AppError> {
    let (partner, logo) = partners::find_with_logo(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
    let header = PartnerHeader::new(&partner, logo);
    Ok((partner, header))
}

/// Up to two letters for the avatar of a partner without a logo: "Acme Corp" → "AC".
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let firsts: String = words.iter().filter_map(|w| w.chars().find(|c| c.is_alphanumeric())).take(2).collect();
    let picked = if firsts.chars().count() >= 2 {
        firsts
    } else {
        name.chars().filter(|c| c.is_alphanumeric()).take(2).collect()
    };
    let upper = picked.to_uppercase();
    if upper.is_empty() {
        "?".to_string()
    } else {
        upper
    }
}

/// One audit event about a partner, targeted "Partner NAME".
pub fn record_event(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    label: &str,
    partner_id: PartnerId,
    action: AuditAction,
    partner_name: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id(),
            partner_id: Some(partner_id),
            actor_user_id: actor.user_id(),
            actor_label: label,
            actor_membership: &actor.membership_label(),
            action,
            target: &format!("Partner {partner_name}"),
            details,
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("Acme Corp"), "AC");
        assert_eq!(initials("acme"), "AC");
        assert_eq!(initials("Zoë ärger GmbH"), "ZÄ");
        assert_eq!(initials("<script>"), "SC");
        assert_eq!(initials("--"), "?");
    }
}
