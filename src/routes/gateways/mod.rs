//! Settings → **Gateway credentials** (SPEC §18): the client ids and secrets the enterprise's
//! API gateways authenticate with at `POST /oauth/introspect` and `GET /gateway/check`.
//! Enterprise admins and Viewers read the list; Enterprise admins create one (its secret is
//! shown once, in the answer to the POST) and revoke one after a confirmation page. Each
//! change is one transaction with its audit event (no partner: `partner_id` NULL).

pub mod list;
pub mod revoke;

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::{
    auth::session::Principal,
    db::{audit, oauth::GatewayCredential},
    domain::AuditAction,
    error::AppError,
};

pub const MENU_KEY: &str = "gateways";
pub const LIST: &str = "/settings/gateways";

/// One audit event about a gateway credential, targeted "Gateway credential NAME".
pub fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    action: AuditAction,
    name: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record_for_enterprise(conn, actor, action, &format!("Gateway credential {name}"), details)?;
    Ok(())
}

/// A gateway credential as the pages show it.
pub struct GatewayView {
    pub id: crate::domain::GatewayCredentialId,
    pub name: String,
    pub client_id: String,
    pub hint: String,
    pub created: DateTime<Utc>,
    pub revoked: Option<DateTime<Utc>>,
}

impl GatewayView {
    pub fn new(g: &GatewayCredential) -> Self {
        GatewayView {
            id: g.id,
            name: g.name.clone(),
            client_id: g.client_id.clone(),
            hint: g.hint.clone(),
            created: g.created_at,
            revoked: g.revoked_at,
        }
    }
}
