//! **Applications** (SPEC §18), the partner's side: a partnership's applications and their
//! client credentials per environment where the partnership holds an API grant. Admins
//! create, rename and delete applications, create credentials, **Rotate secret** and
//! **Revoke**; Members read the same pages without a form.
//!
//! Every change is one transaction that first takes the partner row lock (the lock
//! deactivation and grant changes take), so no credential is made for a partnership that is
//! ending, and records its audit event there. A secret is generated here, stored only as its
//! keyed hash (`auth::credentials`) and shown once, in the answer to the POST that made it
//! (`secret.rs`): never in the session, a flash or a redirect.

pub mod credentials;
pub mod delete;
pub mod list;
pub mod page;
pub mod secret;

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::{
    auth::session::Principal,
    db::{applications, partners},
    domain::{ApplicationId, AuditAction, ClientName, NameError, PartnerStatus},
    error::AppError,
    routes::members::list::partner_of,
};

pub const MENU_KEY: &str = "applications";

pub const NAME_TAKEN_MESSAGE: &str = "Another application of yours already has this name. Choose another one.";
pub const NOT_ACTIVE_MESSAGE: &str = "Only an active partnership can have client credentials. Nothing was changed.";

/// `/partner/applications/{id}`.
pub fn app_path(id: ApplicationId) -> String {
    format!("/partner/applications/{id}")
}

/// The *Application name* field, parsed.
pub fn parse_name(raw: &str) -> Result<ClientName, NameError> {
    ClientName::parse(raw)
}

/// The actor's partnership, locked (404 if it is gone).
pub fn lock_partner(conn: &mut PgConnection, actor: &Principal) -> Result<partners::Partner, AppError> {
    let partner_id = partner_of(actor)?;
    partners::lock(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)
}

/// The actor's partnership, locked, and its application `id`: 404 for an application of any
/// other partnership or enterprise.
pub fn lock_application(
    conn: &mut PgConnection,
    actor: &Principal,
    id: ApplicationId,
) -> Result<(partners::Partner, applications::Application), AppError> {
    let partner = lock_partner(conn, actor)?;
    let app = applications::find(conn, actor.enterprise_id, partner.id, id)?.ok_or(AppError::NotFound)?;
    Ok((partner, app))
}

/// Credentials (new ones, new secrets) are only made while the partnership is active.
pub fn refuse_unless_active(partner: &partners::Partner) -> Result<(), AppError> {
    if partner.status == PartnerStatus::Active {
        Ok(())
    } else {
        Err(AppError::Conflict(NOT_ACTIVE_MESSAGE.into()))
    }
}

/// An audit event about the partnership's applications, targeted "Partner NAME". `details`
/// name the application, environment and client id: never a secret.
pub fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    partner: &partners::Partner,
    action: AuditAction,
    details: serde_json::Value,
) -> Result<(), AppError> {
    crate::routes::profile::record(conn, actor, partner, action, details)
}

/// How long the secrets in use keep working after **Rotate secret**: the select's choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap {
    pub value: &'static str,
    pub label: &'static str,
    pub minutes: i64,
}

pub const OVERLAPS: [Overlap; 4] = [
    Overlap { value: "none", label: "No overlap — the current secret stops now", minutes: 0 },
    Overlap { value: "1h", label: "1 hour", minutes: 60 },
    Overlap { value: "24h", label: "24 hours", minutes: 24 * 60 },
    Overlap { value: "7d", label: "7 days", minutes: 7 * 24 * 60 },
];

impl Overlap {
    pub fn parse(raw: &str) -> Result<Overlap, AppError> {
        OVERLAPS.iter().find(|o| o.value == raw.trim()).copied().ok_or_else(|| {
            AppError::bad_request("Choose how long the current secret keeps working. Nothing was changed.")
        })
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::minutes(self.minutes)
    }
}

/// A live secret as the pages show it: "…abcd", and when an overlapping old one stops.
pub struct SecretView {
    pub hint: String,
    pub created: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// A live credential as the pages show it.
pub struct CredentialView {
    pub id: crate::domain::CredentialId,
    pub environment_name: String,
    pub client_id: String,
    pub created: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub secrets: Vec<SecretView>,
}

impl CredentialView {
    pub fn new(c: &applications::Credential) -> Self {
        CredentialView {
            id: c.id,
            environment_name: c.environment_name.clone(),
            client_id: c.client_id.clone(),
            created: c.created_at,
            last_used: c.last_used_at,
            secrets: c
                .secrets
                .iter()
                .map(|s| SecretView { hint: s.hint.clone(), created: s.created_at, valid_until: s.expires_at })
                .collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_are_the_four_choices_and_nothing_else() {
        assert_eq!(Overlap::parse("none").unwrap().minutes, 0);
        assert_eq!(Overlap::parse(" 1h ").unwrap().duration(), chrono::Duration::hours(1));
        assert_eq!(Overlap::parse("24h").unwrap().duration(), chrono::Duration::hours(24));
        assert_eq!(Overlap::parse("7d").unwrap().duration(), chrono::Duration::days(7));
        for bad in ["", "2h", "-1", "NONE"] {
            assert!(Overlap::parse(bad).is_err(), "{bad:?}");
        }
    }
}
