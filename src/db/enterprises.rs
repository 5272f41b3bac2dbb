//! Enterprise accounts (tenants).

use crate::domain::EnterpriseId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::enterprises;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = enterprises)]
pub struct Enterprise {
    pub id: EnterpriseId,
    pub name: String,
    pub partner_limit: i32,
    pub created_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, name: &str, partner_limit: i32) -> QueryResult<Enterprise> {
    diesel::insert_into(enterprises::table)
        .values((enterprises::name.eq(name), enterprises::partner_limit.eq(partner_limit)))
        .returning(Enterprise::as_returning())
        .get_result(conn)
}

pub fn find_by_name(conn: &mut PgConnection, name: &str) -> QueryResult<Option<Enterprise>> {
    enterprises::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) = lower(")
                .bind::<diesel::sql_types::Text, _>(name)
                .sql(")"),
        )
        .select(Enterprise::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: EnterpriseId) -> QueryResult<Enterprise> {
    enterprises::table.find(id).select(Enterprise::as_select()).first(conn)
}

/// Locks the enterprise row for the rest of the transaction: partner inserts serialise on
/// it, so the partner limit holds under concurrent submissions.
pub fn lock(conn: &mut PgConnection, id: EnterpriseId) -> QueryResult<Enterprise> {
    enterprises::table.find(id).for_update().select(Enterprise::as_select()).first(conn)
}

/// Sets the enterprise's time zone (an IANA name the caller checked) and returns the one it
/// replaces; the row is locked for the rest of the transaction, so the audit event records
/// what really was replaced.
pub fn set_time_zone(conn: &mut PgConnection, id: EnterpriseId, time_zone: &str) -> QueryResult<String> {
    let previous: String = enterprises::table.find(id).for_update().select(enterprises::time_zone).first(conn)?;
    if previous != time_zone {
        diesel::update(enterprises::table.find(id)).set(enterprises::time_zone.eq(time_zone)).execute(conn)?;
    }
    Ok(previous)
}

/// The enterprise's default *Personal note* for invitations (None: no default).
pub fn invitation_note(conn: &mut PgConnection, id: EnterpriseId) -> QueryResult<Option<String>> {
    enterprises::table.find(id).select(enterprises::invitation_note).first(conn)
}

/// Sets the default *Personal note* (checked by the caller) and returns the one it replaces;
/// the row is locked for the rest of the transaction, like [`set_time_zone`].
pub fn set_invitation_note(
    conn: &mut PgConnection,
    id: EnterpriseId,
    note: Option<&str>,
) -> QueryResult<Option<String>> {
    let previous: Option<String> =
        enterprises::table.find(id).for_update().select(enterprises::invitation_note).first(conn)?;
    if previous.as_deref() != note {
        diesel::update(enterprises::table.find(id)).set(enterprises::invitation_note.eq(note)).execute(conn)?;
    }
    Ok(previous)
}
