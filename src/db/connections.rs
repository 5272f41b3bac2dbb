//! Partner connections (SPEC §11): what a partner organisation's Admins see and change across
//! the organisation's partnerships (one per enterprise), the enterprise's connection request
//! by Partner ID, and ending a partnership (by either side).
//!
//! Organisations are global, so these queries are scoped by the organisation instead of the
//! enterprise: a partner Admin reaches only partnerships of their own organisation.

use crate::domain::{EndedBy, EnterpriseId, OrganisationId, PartnerId, UserId, UserRole};
use chrono::{DateTime, Utc};
use diesel::{prelude::*, sql_types::BigInt};

use crate::db::{
    invitations, memberships, outbox,
    partners::{self, Partner, LIVE},
    schema::{enterprises, memberships as m, partners as p, users},
};
use crate::domain::PartnerStatus;

/// The statuses in which a partnership gives its people access.
pub const WITH_ACCESS: [PartnerStatus; 2] = [PartnerStatus::Invited, PartnerStatus::Active];

/// A person of the organisation.
#[derive(Queryable, Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: UserId,
    pub email: String,
    pub first_name: String,
    pub surname: String,
}

impl Person {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.surname)
    }
}

fn people_with(conn: &mut PgConnection, org: OrganisationId, admins_only: bool) -> QueryResult<Vec<Person>> {
    let mut q = m::table
        .inner_join(users::table)
        .inner_join(p::table)
        .filter(p::organisation_id.eq(org))
        .filter(p::status.eq_any(WITH_ACCESS))
        .filter(m::ended_at.is_null())
        .select((users::id, users::email, users::first_name, users::surname))
        .into_boxed();
    if admins_only {
        q = q.filter(m::role.eq(UserRole::Admin));
    }
    let mut people: Vec<Person> = q.load(conn)?;
    people.sort_by(|a, b| {
        (&a.first_name, &a.surname, a.user_id.get()).cmp(&(&b.first_name, &b.surname, b.user_id.get()))
    });
    people.dedup_by_key(|p| p.user_id);
    Ok(people)
}

/// The organisation's Admins: people whose live membership is Admin of one of its
/// partnerships that still gives access. They get connection requests and may act on every
/// partnership of the organisation.
pub fn organisation_admins(conn: &mut PgConnection, org: OrganisationId) -> QueryResult<Vec<Person>> {
    people_with(conn, org, true)
}

/// The organisation's people: a live membership in any of its partnerships with access.
pub fn organisation_people(conn: &mut PgConnection, org: OrganisationId) -> QueryResult<Vec<Person>> {
    people_with(conn, org, false)
}

/// A partnership of the organisation (in any enterprise), or None.
pub fn find_of_organisation(
    conn: &mut PgConnection,
    org: OrganisationId,
    id: PartnerId,
) -> QueryResult<Option<Partner>> {
    p::table.filter(p::id.eq(id)).filter(p::organisation_id.eq(org)).select(Partner::as_select()).first(conn).optional()
}

/// Like [`find_of_organisation`], locking the row for the rest of the transaction.
pub fn lock_of_organisation(
    conn: &mut PgConnection,
    org: OrganisationId,
    id: PartnerId,
) -> QueryResult<Option<Partner>> {
    p::table
        .filter(p::id.eq(id))
        .filter(p::organisation_id.eq(org))
        .for_update()
        .select(Partner::as_select())
        .first(conn)
        .optional()
}

/// The organisation's partnerships in `statuses`, with their enterprise's name, oldest first.
pub fn partnerships(
    conn: &mut PgConnection,
    org: OrganisationId,
    statuses: &[PartnerStatus],
) -> QueryResult<Vec<(Partner, String)>> {
    p::table
        .inner_join(enterprises::table)
        .filter(p::organisation_id.eq(org))
        .filter(p::status.eq_any(statuses))
        .order((p::created_at.asc(), p::id.asc()))
        .select((Partner::as_select(), enterprises::name))
        .load(conn)
}

/// The enterprise's live partnership with the organisation, if any (at most one: the index
/// `partners_one_live_per_organisation`).
pub fn live_with(
    conn: &mut PgConnection,
    enterprise: EnterpriseId,
    org: OrganisationId,
) -> QueryResult<Option<Partner>> {
    p::table
        .filter(p::enterprise_id.eq(enterprise))
        .filter(p::organisation_id.eq(org))
        .filter(p::status.eq_any(LIVE))
        .select(Partner::as_select())
        .first(conn)
        .optional()
}

/// A new partnership in status `requested`, named as the organisation. The caller holds the
/// enterprise lock and has checked the limit and the name.
pub fn insert_request(
    conn: &mut PgConnection,
    enterprise: EnterpriseId,
    org: OrganisationId,
    name: &str,
    requested_by: UserId,
) -> QueryResult<Partner> {
    diesel::insert_into(p::table)
        .values((
            p::enterprise_id.eq(enterprise),
            p::organisation_id.eq(org),
            p::name.eq(name),
            p::status.eq(PartnerStatus::Requested),
            p::created_by.eq(requested_by),
            p::requested_by.eq(requested_by),
        ))
        .returning(Partner::as_returning())
        .get_result(conn)
}

/// Copies the logo of partnership `from` to `to` (nothing when `from` has none).
pub fn copy_logo(conn: &mut PgConnection, from: PartnerId, to: PartnerId) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO partner_logos (partner_id, content_type, bytes, width, height)
         SELECT $2, content_type, bytes, width, height FROM partner_logos WHERE partner_id = $1
         ON CONFLICT (partner_id) DO NOTHING",
    )
    .bind::<BigInt, _>(from)
    .bind::<BigInt, _>(to)
    .execute(conn)
}

/// What ending a partnership did.
#[derive(Debug, Clone, Copy)]
pub struct Ended {
    pub memberships_ended: usize,
    pub invitations_revoked: usize,
    pub emails_cancelled: usize,
    pub domains_released: usize,
}

/// Ends a live partnership for good: **Deactivate partner** (the enterprise) and **Leave
/// enterprise** (the organisation) have the same effects. Status `deactivated` with who ended
/// it, its domains released, its pending invitations revoked and their unsent emails
/// cancelled, its memberships ended (sessions acting through one are refused on their next
/// request; the people's other memberships keep working). The caller holds the partner row
/// lock, checks its own preconditions and records the audit event.
pub fn end_partnership(conn: &mut PgConnection, partner_id: PartnerId, by: EndedBy) -> QueryResult<Ended> {
    partners::mark_deactivated(conn, partner_id, by)?;
    let domains_released = partners::release_domains(conn, partner_id)?;
    let revoked = invitations::revoke_pending_for_partner(conn, partner_id)?;
    let mut emails_cancelled = 0;
    for invitation_id in &revoked {
        emails_cancelled += outbox::cancel_for_invitation(conn, *invitation_id)?;
    }
    let memberships_ended = memberships::end_all_in_partner(conn, partner_id)?;
    // Grants held for approval would give access once approved: they go too.
    crate::db::held_grants::withdraw_all(conn, partner_id)?;
    crate::db::access_requests::decline_all_waiting(conn, partner_id, "The partnership ended.")?;
    let data = serde_json::json!({ "ended_by": by.as_str(), "users_disabled": memberships_ended });
    crate::webhooks::emit_for_partner(conn, partner_id, crate::domain::WebhookEvent::PartnerDeactivated, data)?;
    Ok(Ended { memberships_ended, invitations_revoked: revoked.len(), emails_cancelled, domains_released })
}

/// One row of **Connection requests** or of the organisation's partnerships.
#[derive(Debug, Clone)]
pub struct PartnershipRow {
    pub id: PartnerId,
    pub enterprise_name: String,
    pub status: PartnerStatus,
    pub created_at: DateTime<Utc>,
}

impl From<(Partner, String)> for PartnershipRow {
    fn from((partner, enterprise_name): (Partner, String)) -> Self {
        PartnershipRow { id: partner.id, enterprise_name, status: partner.status, created_at: partner.created_at }
    }
}
