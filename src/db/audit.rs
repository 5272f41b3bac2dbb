//! Audit events: who did what to which target, and when. Never deleted.

use crate::domain::{EnterpriseId, PartnerId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{audit_events, partners};
use crate::domain::{AuditAction, PartnerStatus};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub actor_user_id: Option<UserId>,
    pub actor_label: String,
    pub action: AuditAction,
    pub target: String,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// Which membership acted, as it read then ("Admin of Acme (partner of Globex)").
    pub actor_membership: String,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub actor_user_id: Option<UserId>,
    pub actor_label: &'a str,
    /// `Principal::membership_label`; empty for the system, the command line and visitors.
    pub actor_membership: &'a str,
    pub action: AuditAction,
    pub target: &'a str,
    pub details: serde_json::Value,
}

pub fn record(conn: &mut PgConnection, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table).values(event).execute(conn).map(|_| ())
}

/// An event about the enterprise itself (no partner: the catalog, the team, gateway
/// credentials), made by `actor` in their current membership.
pub fn record_for_enterprise(
    conn: &mut PgConnection,
    actor: &crate::auth::session::Principal,
    action: AuditAction,
    target: &str,
    details: serde_json::Value,
) -> QueryResult<()> {
    record(
        conn,
        &NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: None,
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action,
            target,
            details,
        },
    )
}

/// What the Activity pages filter on; `None` means any.
#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub partner_id: Option<PartnerId>,
    pub action: Option<AuditAction>,
    /// Events at or after this instant (the start of the *From* day in the enterprise's zone).
    pub since: Option<DateTime<Utc>>,
    /// Events strictly before this instant (the start of the day after *To*).
    pub until: Option<DateTime<Utc>>,
}

/// An event with the name of the partner it is about, if any.
pub type EventWithPartner = (AuditEvent, Option<String>);

/// The enterprise's events matching `filter`, newest first, joined with the partner's name.
/// A macro rather than a function: the boxed query's type can't be named conveniently.
macro_rules! filtered_events {
    ($enterprise_id:expr, $filter:expr) => {{
        let mut q = audit_events::table
            .left_join(partners::table)
            .order((audit_events::created_at.desc(), audit_events::id.desc()))
            .select((AuditEvent::as_select(), partners::name.nullable()))
            .into_boxed();
        match $filter.partner_id {
            // One partner's events, scoped to the enterprise through the partner: with the
            // enterprise on audit_events too, a partner holding most of the events made the
            // planner walk (enterprise_id, created_at) and skip the other partners' newer
            // events (12,475 rows for 26 at 1,000,000 events); this way only the
            // (partner_id, created_at, id) index applies, and a page reads its rows and stops.
            Some(partner_id) => {
                q = q
                    .filter(audit_events::partner_id.eq(partner_id))
                    .filter(partners::enterprise_id.eq($enterprise_id));
            }
            None => q = q.filter(audit_events::enterprise_id.eq($enterprise_id)),
        }
        if let Some(action) = $filter.action {
            q = q.filter(audit_events::action.eq(action));
        }
        // A range on the index's second column: the scan starts and stops inside it.
        if let Some(since) = $filter.since {
            q = q.filter(audit_events::created_at.ge(since));
        }
        if let Some(until) = $filter.until {
            q = q.filter(audit_events::created_at.lt(until));
        }
        q
    }};
}

/// One page of events (`limit` rows from `offset`), in one statement. It walks the
/// (enterprise_id | partner_id, created_at DESC, id DESC) indexes, so it stays fast with many
/// thousands of events.
pub fn page(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    filter: &EventFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<EventWithPartner>> {
    filtered_events!(enterprise_id, filter).offset(offset).limit(limit).load(conn)
}

/// The next `limit` events older than `before` (created_at, id), for exports read in batches.
pub fn batch_before(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    filter: &EventFilter,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> QueryResult<Vec<EventWithPartner>> {
    let mut q = filtered_events!(enterprise_id, filter);
    if let Some((at, id)) = before {
        // A row comparison, so PostgreSQL continues the index scan where the last batch ended.
        q = q.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(audit_events.created_at, audit_events.id) < (")
                .bind::<diesel::sql_types::Timestamptz, _>(at)
                .sql(", ")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .sql(")"),
        );
    }
    q.limit(limit).load(conn)
}

/// The distinct actions recorded for the enterprise, for the filter, in order. A loose index
/// scan on the (enterprise_id, action) index: one probe per distinct action, so it costs the
/// same with 30 events or 300,000 (a plain DISTINCT reads every event).
pub fn actions_present(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<AuditAction>> {
    #[derive(diesel::QueryableByName)]
    struct Action {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: AuditAction,
    }
    let rows: Vec<Action> = crate::db::static_query(include_str!("sql/audit_actions_present.sql"))
        .bind::<diesel::sql_types::BigInt, _>(enterprise_id)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| r.action).collect())
}

/// A partner, when its logo was saved, and the distinct actions recorded about it.
pub type PartnerWithActions = (crate::db::partners::Partner, Option<DateTime<Utc>>, Vec<AuditAction>);

/// A partner of the enterprise with its logo's date and the distinct actions recorded about it
/// (a loose index scan as in `actions_present`, on (partner_id, enterprise_id, action)), in
/// one statement: the Activity tab's header and filter. None when the partner is not the
/// enterprise's.
pub fn partner_with_actions(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<PartnerWithActions>> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz};
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(embed)]
        partner: crate::db::partners::Partner,
        #[diesel(sql_type = Nullable<Timestamptz>)]
        logo_updated_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = Array<Text>)]
        actions: Vec<AuditAction>,
    }
    let row: Option<Row> = crate::db::static_query(include_str!("sql/audit_partner_with_actions.sql"))
        .bind::<BigInt, _>(enterprise_id)
        .bind::<BigInt, _>(partner_id)
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| (r.partner, r.logo_updated_at, r.actions)))
}

/// The enterprise's partners by name, for the partner filter: (id, name, deactivated).
pub fn partners_for_filter(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
) -> QueryResult<Vec<(PartnerId, String, bool)>> {
    partners::table
        .filter(partners::enterprise_id.eq(enterprise_id))
        .order((diesel::dsl::sql::<diesel::sql_types::Text>("lower(partners.name)").asc(), partners::id.asc()))
        .select((partners::id, partners::name, partners::status.eq(PartnerStatus::Deactivated)))
        .load(conn)
}
