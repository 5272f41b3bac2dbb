//! Domain verification's queries (SPEC §17): a partner domain's verification state, the result
//! of **Check now**, the daily re-check's claims (`FOR UPDATE SKIP LOCKED` and a lease, like
//! the email outbox, so several instances check each domain once), the enterprise setting
//! *Require verified domains for invitations* and the invitation gate it commands.
//!
//! Every statement names the enterprise, but for the re-check's claim, which like the
//! outbox's serves the whole process; each claimed row carries its enterprise onward.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text, Timestamptz},
};

use crate::{
    db::{audit, schema::enterprises, schema::partner_domains},
    dns::CheckOutcome,
    domain::{AuditAction, DomainId, EnterpriseId, PartnerId},
};

/// How often a verified domain is looked up again.
pub const RECHECK_EVERY: chrono::Duration = chrono::Duration::hours(24);
/// After a lookup that could not be made (nameserver down), the re-check tries again sooner.
pub const RETRY_AFTER_FAILURE: chrono::Duration = chrono::Duration::hours(1);

/// A domain with what **Check now** needs.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = partner_domains)]
pub struct DomainState {
    pub id: DomainId,
    pub partner_id: PartnerId,
    pub domain: String,
    pub active: bool,
    pub verification_token: String,
    pub verified_at: Option<DateTime<Utc>>,
}

/// The domain `domain_id` of this enterprise's partner, or None.
pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    domain_id: DomainId,
) -> QueryResult<Option<DomainState>> {
    partner_domains::table
        .filter(partner_domains::enterprise_id.eq(enterprise_id))
        .filter(partner_domains::partner_id.eq(partner_id))
        .filter(partner_domains::id.eq(domain_id))
        .select(DomainState::as_select())
        .first(conn)
        .optional()
}

/// The partnership's live domains with their verification, by name (Partner profile).
pub fn of_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Vec<crate::db::partners::GeneralDomain>> {
    partner_domains::table
        .filter(partner_domains::enterprise_id.eq(enterprise_id))
        .filter(partner_domains::partner_id.eq(partner_id))
        .filter(partner_domains::active.eq(true))
        .order(partner_domains::domain.asc())
        .select(crate::db::partners::GeneralDomain::as_select())
        .load(conn)
}

/// What a check changed about a domain's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The value was found: verified (again).
    Verified,
    /// Not found, and the domain was not verified before.
    StillUnverified,
    /// Not found, and the domain was verified: the mark is dropped.
    Unverified,
}

impl Change {
    pub fn action(self) -> AuditAction {
        match self {
            Change::Verified => AuditAction::PartnerDomainVerified,
            Change::StillUnverified => AuditAction::PartnerDomainVerificationFailed,
            Change::Unverified => AuditAction::PartnerDomainUnverified,
        }
    }
}

/// Writes the answer of a lookup (never `Unreachable`: that changes nothing) to the domain,
/// if its value is still `token` (a domain removed and added again meanwhile has a new one).
/// Run inside the caller's transaction, after locking the partner. None: the domain is gone.
pub fn record_check(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    domain: &DomainState,
    outcome: &CheckOutcome,
) -> QueryResult<Option<Change>> {
    let problem = outcome.problem(&domain.domain);
    let found = problem.is_none();
    macro_rules! target {
        () => {
            partner_domains::table
                .filter(partner_domains::enterprise_id.eq(enterprise_id))
                .filter(partner_domains::partner_id.eq(domain.partner_id))
                .filter(partner_domains::id.eq(domain.id))
                .filter(partner_domains::verification_token.eq(&domain.verification_token))
        };
    }
    let before: Option<Option<DateTime<Utc>>> =
        target!().for_update().select(partner_domains::verified_at).first(conn).optional()?;
    let Some(verified_at) = before else { return Ok(None) };
    let was_verified = verified_at.is_some();
    let now = Utc::now();
    diesel::update(target!())
        .set((
            // Verified since the first check that found it; a later check keeps that date.
            partner_domains::verified_at.eq(if found { Some(verified_at.unwrap_or(now)) } else { None }),
            partner_domains::last_checked_at.eq(now),
            partner_domains::last_check_error.eq(problem.as_deref()),
            partner_domains::next_check_at.eq(found.then(|| now + RECHECK_EVERY)),
            partner_domains::check_locked_until.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)?;
    Ok(Some(match (found, was_verified) {
        (true, _) => Change::Verified,
        (false, false) => Change::StillUnverified,
        (false, true) => Change::Unverified,
    }))
}

/// A verified domain claimed for its daily re-check.
#[derive(QueryableByName, Debug, Clone)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: DomainId,
    #[diesel(sql_type = BigInt)]
    pub enterprise_id: EnterpriseId,
    #[diesel(sql_type = BigInt)]
    pub partner_id: PartnerId,
    #[diesel(sql_type = Text)]
    pub domain: String,
    #[diesel(sql_type = Text)]
    pub verification_token: String,
    #[diesel(sql_type = Text)]
    pub partner_name: String,
    /// This claim's lease; the settling update names it, so a worker whose lease ran out
    /// cannot overwrite the work of the one that took over.
    #[diesel(sql_type = Timestamptz)]
    pub locked_until: DateTime<Utc>,
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Claims up to `limit` verified domains whose re-check is due, for `lease`. Rows another
/// instance is claiming are skipped, and a claimed row stays out of every other claim until
/// its lease has passed.
pub fn claim_due(conn: &mut PgConnection, limit: i64, lease: Duration) -> QueryResult<Vec<Claimed>> {
    crate::db::static_query(include_str!("sql/domain_checks_claim_due.sql"))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(millis(lease))
        .load(conn)
}

/// Settles a re-check: found, the next one in a day; gone or wrong, the mark is dropped and
/// the event recorded as the system's; no answer, nothing known: try again in an hour. False
/// when the claim was no longer this worker's (nothing written).
pub fn settle(conn: &mut PgConnection, claim: &Claimed, outcome: &CheckOutcome) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let target = partner_domains::table
            .filter(partner_domains::enterprise_id.eq(claim.enterprise_id))
            .filter(partner_domains::id.eq(claim.id))
            .filter(partner_domains::check_locked_until.eq(claim.locked_until))
            .filter(partner_domains::verification_token.eq(&claim.verification_token));
        let now = Utc::now();
        let written = match outcome {
            CheckOutcome::Found => diesel::update(target)
                .set((
                    partner_domains::last_checked_at.eq(now),
                    partner_domains::last_check_error.eq(None::<String>),
                    partner_domains::next_check_at.eq(now + RECHECK_EVERY),
                    partner_domains::check_locked_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)?,
            CheckOutcome::Unreachable(_) => diesel::update(target)
                .set((
                    partner_domains::next_check_at.eq(now + RETRY_AFTER_FAILURE),
                    partner_domains::check_locked_until.eq(None::<DateTime<Utc>>),
                ))
                .execute(conn)?,
            CheckOutcome::Missing | CheckOutcome::WrongValue => {
                let n = diesel::update(target)
                    .set((
                        partner_domains::verified_at.eq(None::<DateTime<Utc>>),
                        partner_domains::last_checked_at.eq(now),
                        partner_domains::last_check_error.eq(outcome.problem(&claim.domain).as_deref()),
                        partner_domains::next_check_at.eq(None::<DateTime<Utc>>),
                        partner_domains::check_locked_until.eq(None::<DateTime<Utc>>),
                    ))
                    .execute(conn)?;
                if n == 1 {
                    audit::record(
                        conn,
                        &audit::NewAuditEvent {
                            enterprise_id: claim.enterprise_id,
                            partner_id: Some(claim.partner_id),
                            actor_user_id: None,
                            actor_label: SYSTEM_ACTOR,
                            actor_membership: "",
                            action: AuditAction::PartnerDomainUnverified,
                            target: &format!("Partner {}", claim.partner_name),
                            details: serde_json::json!({
                                "domain": claim.domain,
                                "reason": outcome.problem(&claim.domain),
                            }),
                        },
                    )?;
                }
                n
            }
        };
        Ok(written == 1)
    })
}

/// Who the re-check's audit events name.
pub const SYSTEM_ACTOR: &str = "Partner Portal (daily domain check)";

// ---- the enterprise setting and the invitation gate ---------------------------------------

/// *Require verified domains for invitations*.
pub fn required(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<bool> {
    enterprises::table.find(enterprise_id).select(enterprises::require_verified_domains).first(conn)
}

/// Sets the setting; returns whether it changed.
pub fn set_required(conn: &mut PgConnection, enterprise_id: EnterpriseId, on: bool) -> QueryResult<bool> {
    let n = diesel::update(
        enterprises::table
            .filter(enterprises::id.eq(enterprise_id))
            .filter(enterprises::require_verified_domains.ne(on)),
    )
    .set(enterprises::require_verified_domains.eq(on))
    .execute(conn)?;
    Ok(n == 1)
}

/// (verified, all) of the enterprise's live partner domains, for the settings page.
pub fn counts(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<(i64, i64)> {
    let (verified, total): (i64, i64) = partner_domains::table
        .filter(partner_domains::enterprise_id.eq(enterprise_id))
        .filter(partner_domains::active.eq(true))
        .select((
            diesel::dsl::sql::<BigInt>("count(*) FILTER (WHERE verified_at IS NOT NULL)"),
            diesel::dsl::count_star(),
        ))
        .first(conn)?;
    Ok((verified, total))
}

/// The domain part of an address, lower-cased (addresses are stored normalised already).
fn domain_of(email: &str) -> String {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or_default().trim_end_matches('.').to_ascii_lowercase()
}

/// Why an invitation to `email` may not go out now, or None: with the enterprise's
/// *Require verified domains for invitations* on, the address's domain must be a verified
/// domain of the partner.
pub fn invitation_refusal(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    email: &str,
) -> QueryResult<Option<String>> {
    if !required(conn, enterprise_id)? {
        return Ok(None);
    }
    let domain = domain_of(email);
    let verified: bool = diesel::select(diesel::dsl::exists(
        partner_domains::table
            .filter(partner_domains::enterprise_id.eq(enterprise_id))
            .filter(partner_domains::partner_id.eq(partner_id))
            .filter(partner_domains::domain.eq(&domain))
            .filter(partner_domains::active.eq(true))
            .filter(partner_domains::verified_at.is_not_null()),
    ))
    .get_result(conn)?;
    Ok((!verified).then(|| unverified_message(&domain)))
}

/// The refusal an invitation to an unverified domain gets.
pub fn unverified_message(domain: &str) -> String {
    format!("{domain} is not verified yet: verify it on the partner page first.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_of_an_address_is_after_its_last_at() {
        assert_eq!(domain_of("ada@Globex.com"), "globex.com");
        assert_eq!(domain_of("ada@eu.globex.com."), "eu.globex.com");
        assert_eq!(domain_of("nobody"), "");
    }
}
