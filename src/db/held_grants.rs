//! API grants held for approval (SPEC §15): a new grant in an environment that *Requires
//! approval* waits in `pending_api_grants` until a second Enterprise admin approves it (it
//! moves to `partner_api_environments`) or someone declines it (it is deleted). While held it
//! gives no access: nothing that decides access reads this table.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamptz};

use crate::db::grants::Expiry;
use crate::db::schema::pending_api_grants;
use crate::domain::{ApiId, EnterpriseId, EnvironmentId, PartnerId, UserId};

/// The partner's held cells, for the APIs in `api_ids` (all when None).
pub fn cells(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    api_ids: Option<&BTreeSet<ApiId>>,
) -> QueryResult<BTreeSet<(ApiId, EnvironmentId)>> {
    let mut q = pending_api_grants::table
        .filter(pending_api_grants::partner_id.eq(partner_id))
        .select((pending_api_grants::api_id, pending_api_grants::environment_id))
        .into_boxed();
    if let Some(ids) = api_ids {
        q = q.filter(pending_api_grants::api_id.eq_any(ids.iter().copied().collect::<Vec<_>>()));
    }
    Ok(q.load::<(ApiId, EnvironmentId)>(conn)?.into_iter().collect())
}

/// Holds the grant for approval; false when it is held already.
pub fn hold(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    (api_id, environment_id): (ApiId, EnvironmentId),
    requested_by: Option<UserId>,
    expiry: Option<Expiry>,
) -> QueryResult<bool> {
    let n = diesel::insert_into(pending_api_grants::table)
        .values((
            pending_api_grants::enterprise_id.eq(enterprise_id),
            pending_api_grants::partner_id.eq(partner_id),
            pending_api_grants::api_id.eq(api_id),
            pending_api_grants::environment_id.eq(environment_id),
            pending_api_grants::requested_by.eq(requested_by),
            pending_api_grants::expires_on.eq(expiry.map(|e| e.on)),
            pending_api_grants::expires_at.eq(expiry.map(|e| e.at)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

/// Withdraws a held grant of the partner; false when there was none.
pub fn withdraw(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    (api_id, environment_id): (ApiId, EnvironmentId),
) -> QueryResult<bool> {
    let n = diesel::delete(
        pending_api_grants::table
            .filter(pending_api_grants::partner_id.eq(partner_id))
            .filter(pending_api_grants::api_id.eq(api_id))
            .filter(pending_api_grants::environment_id.eq(environment_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Every held grant of the partner goes (it was deactivated or left).
pub fn withdraw_all(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<usize> {
    diesel::delete(pending_api_grants::table.filter(pending_api_grants::partner_id.eq(partner_id))).execute(conn)
}

/// A held grant as the pages show it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Held {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub partner_id: PartnerId,
    #[diesel(sql_type = Text)]
    pub partner_name: String,
    #[diesel(sql_type = BigInt)]
    pub api_id: ApiId,
    #[diesel(sql_type = BigInt)]
    pub environment_id: EnvironmentId,
    /// "Payments API — Production".
    #[diesel(sql_type = Text)]
    pub what: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub requested_by: Option<UserId>,
    #[diesel(sql_type = Text)]
    pub requester: String,
    #[diesel(sql_type = Timestamptz)]
    pub requested_at: DateTime<Utc>,
}

impl Held {
    /// "31 Jan 2027" when the grant will end.
    pub fn until(&self) -> Option<String> {
        self.expires_on.map(crate::domain::expiry::day_text)
    }

    pub fn expiry(&self) -> Option<Expiry> {
        Some(Expiry { on: self.expires_on?, at: self.expires_at? })
    }
}

const SELECT: &str = "SELECT h.id, h.partner_id, p.name AS partner_name, h.api_id, h.environment_id,
        a.name || ' — ' || e.name AS what, h.expires_on, h.expires_at, h.requested_by,
        COALESCE(u.first_name || ' ' || u.surname, 'Someone no longer here') AS requester, h.requested_at
   FROM pending_api_grants h
   JOIN partners p ON p.id = h.partner_id AND p.enterprise_id = h.enterprise_id
   JOIN apis a ON a.id = h.api_id AND a.enterprise_id = h.enterprise_id
   JOIN environments e ON e.id = h.environment_id AND e.enterprise_id = h.enterprise_id
   LEFT JOIN users u ON u.id = h.requested_by";

/// The enterprise's held grants, oldest first (the Approvals page).
pub fn queue(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Held>> {
    diesel::sql_query(format!("{SELECT} WHERE h.enterprise_id = $1 ORDER BY h.requested_at, h.id"))
        .bind::<BigInt, _>(enterprise_id)
        .load(conn)
}

/// One partner's held grants (its APIs tab).
pub fn of_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Vec<Held>> {
    diesel::sql_query(format!(
        "{SELECT} WHERE h.enterprise_id = $1 AND h.partner_id = $2 ORDER BY lower(a.name), a.id, e.position, e.id"
    ))
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(partner_id)
    .load(conn)
}

/// One held grant of the enterprise's; `lock` takes its row lock.
pub fn find(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64, lock: bool) -> QueryResult<Option<Held>> {
    let sql =
        format!("{SELECT} WHERE h.enterprise_id = $1 AND h.id = $2{}", if lock { " FOR UPDATE OF h" } else { "" });
    diesel::sql_query(sql).bind::<BigInt, _>(enterprise_id).bind::<BigInt, _>(id).get_result(conn).optional()
}

/// Deletes the held grant (approved or declined).
pub fn delete(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        pending_api_grants::table
            .filter(pending_api_grants::enterprise_id.eq(enterprise_id))
            .filter(pending_api_grants::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}
