//! What a partner may use: the Products tab and Add Products (`grants_products`), the APIs tab
//! and the Add APIs matrix (`grants_apis`), and what they share.
//!
//! Every change runs in one transaction that first locks the partner row, the same lock
//! deactivation takes: a grant and a deactivation serialise, so a deactivated partner can
//! never be left with API access, and a deactivated partner's grants can't change at all.

use crate::auth::actor::Actor;
use crate::domain::{ApiId, EnvironmentId, PartnerId};
use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::routes::partners::header::change_refusal;
use crate::{
    db::{audit, grants::ApiGrant, partners, partners::Partner},
    domain::AuditAction,
    error::AppError,
};

/// The partner of the actor's enterprise, locked for the rest of the transaction; 404 for
/// anyone else's, 409 once it is deactivated.
pub fn lock_changeable(conn: &mut PgConnection, actor: &dyn Actor, partner_id: PartnerId) -> Result<Partner, AppError> {
    let partner = partners::lock(conn, actor.enterprise_id(), partner_id)?.ok_or(AppError::NotFound)?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    Ok(partner)
}

/// One audit event about a grant; `target` names the product, API or API-in-environment.
pub fn record(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    partner: &Partner,
    action: AuditAction,
    target: &str,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id(),
            partner_id: Some(partner.id),
            actor_user_id: actor.user_id(),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action,
            target,
            details,
        },
    )?;
    Ok(())
}

/// *Expires on* as an enterprise's admin typed it (SPEC §15): the end it means in their
/// enterprise's time zone, None when left empty, or the field's error.
pub fn read_expiry(actor: &dyn Actor, raw: &str) -> Result<Option<crate::db::grants::Expiry>, String> {
    let clock = actor.clock();
    let day = crate::domain::expiry::parse_expires_on(raw, clock.today()).map_err(|e| e.to_string())?;
    Ok(day.map(|d| crate::db::grants::Expiry::new(d, clock.zone)))
}

/// The fields of a urlencoded form, in order (repeated names kept, as checkbox lists need).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A form whose fields no page of ours would send.
pub fn bad_form() -> AppError {
    AppError::bad_request("The form could not be read. Go back, reload the page and try again.")
}

/// A positive id sent by a form; anything else means the form was tampered with.
pub fn form_id<T: std::str::FromStr>(raw: &str) -> Result<T, AppError> {
    raw.trim().parse::<T>().map_err(|_| bad_form())
}

/// An environment badge.
pub struct EnvironmentChip {
    pub id: EnvironmentId,
    pub name: String,
    /// "31 Jan 2027" for a grant that ends.
    pub ends: Option<String>,
}

/// One granted API with the environments it is granted in (in environment order).
pub struct ApiGrantView {
    pub api_id: ApiId,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub environments: Vec<EnvironmentChip>,
    pub granted: DateTime<Utc>,
}

/// Groups grant rows (ordered by API, then environment position) into one entry per API.
pub fn group_api_grants(rows: Vec<ApiGrant>) -> Vec<ApiGrantView> {
    let mut out: Vec<ApiGrantView> = Vec::new();
    for row in rows {
        let ends = row.expires_on.map(crate::domain::expiry::day_text);
        let chip = EnvironmentChip { id: row.environment_id, name: row.environment_name, ends };
        let granted = row.granted_at;
        match out.last_mut() {
            Some(last) if last.api_id == row.api_id => {
                // The API's most recent grant date.
                if granted > last.granted {
                    last.granted = granted;
                }
                last.environments.push(chip);
            }
            _ => out.push(ApiGrantView {
                api_id: row.api_id,
                name: row.api_name,
                description: row.api_description,
                archived: row.api_archived_at.is_some(),
                environments: vec![chip],
                granted,
            }),
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
pub fn join_names(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ProductId;

    #[test]
    fn names_read_as_a_sentence() {
        let n = |v: &[&str]| join_names(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(n(&[]), "");
        assert_eq!(n(&["A"]), "A");
        assert_eq!(n(&["A", "B"]), "A and B");
        assert_eq!(n(&["A", "B", "C"]), "A, B and C");
    }

    #[test]
    fn form_ids_must_be_positive_numbers() {
        assert_eq!(form_id::<ProductId>(" 42 ").ok(), Some(ProductId::new(42)));
        assert!(form_id::<ProductId>("0").is_err());
        assert!(form_id::<ApiId>("-3").is_err());
        assert!(form_id::<EnvironmentId>("1;DROP").is_err());
    }
}
