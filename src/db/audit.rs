//! Audit events: who did what to which target, and when. Never deleted.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::audit_events;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub enterprise_id: i64,
    pub partner_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_label: String,
    pub action: String,
    pub target: String,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub enterprise_id: i64,
    pub partner_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub details: serde_json::Value,
}

pub fn record(conn: &mut PgConnection, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table).values(event).execute(conn).map(|_| ())
}

/// A partner's events, newest first (scoped to the enterprise).
pub fn for_partner(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64, limit: i64) -> QueryResult<Vec<AuditEvent>> {
    audit_events::table
        .filter(audit_events::enterprise_id.eq(enterprise_id))
        .filter(audit_events::partner_id.eq(partner_id))
        .order((audit_events::created_at.desc(), audit_events::id.desc()))
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
}
