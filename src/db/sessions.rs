//! Session rows for the actix-session store (see `auth::session_store`).

use crate::domain::{EnterpriseId, MembershipId, PartnerId, UserId};
use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bytea, Double, Jsonb, Nullable, Text},
};

use crate::db::schema::sessions;

/// A session joined with the person it belongs to, read in one statement per request.
#[derive(QueryableByName, Debug)]
pub struct LoadedSession {
    #[diesel(sql_type = Jsonb)]
    pub state: serde_json::Value,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub user_id: Option<UserId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub surname: Option<String>,
    /// The current membership, if it is still live.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub membership_id: Option<MembershipId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub enterprise_id: Option<EnterpriseId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub partner_id: Option<PartnerId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub role: Option<crate::domain::UserRole>,
    #[diesel(sql_type = Nullable<Text>)]
    pub enterprise_name: Option<String>,
    /// The IANA name of the enterprise's time zone: the partnership's enterprise for a partner
    /// user, so partner pages show that enterprise's times too.
    #[diesel(sql_type = Nullable<Text>)]
    pub enterprise_time_zone: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub partner_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub partner_status: Option<crate::domain::PartnerStatus>,
    /// How many other memberships the person could act in, counted only when the current one
    /// no longer holds (a settled session reads 1: counting on every request cost a quarter of
    /// this statement, measured with pgbench -M prepared).
    #[diesel(sql_type = BigInt)]
    pub usable_memberships: i64,
    /// When the session ends if idle (before this request's slide, if one is due).
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub expires_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub absolute_expires_at: DateTime<Utc>,
    /// The idle expiry is more than a minute behind where this request would put it.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub slide_due: bool,
}

/// Loads a live session, its person and their current (still live) membership in one
/// read-only statement. At most once
/// a minute a session, a second statement slides its idle expiry forward: a data-modifying
/// CTE in the load itself cost about a third more on every request (measured with pgbench),
/// to write once a minute.
pub fn load(conn: &mut PgConnection, key_hash: &[u8], idle_secs: f64) -> QueryResult<Option<LoadedSession>> {
    let loaded: Option<LoadedSession> = crate::db::static_query(include_str!("sql/sessions_load.sql"))
        .bind::<Bytea, _>(key_hash)
        .bind::<Double, _>(idle_secs)
        .get_result(conn)
        .optional()?;
    if loaded.as_ref().is_some_and(|s| s.slide_due) {
        crate::db::static_query(
            "UPDATE sessions
                SET expires_at = LEAST(now() + make_interval(secs => $2), absolute_expires_at)
              WHERE key_hash = $1 AND expires_at > now()",
        )
        .bind::<Bytea, _>(key_hash)
        .bind::<Double, _>(idle_secs)
        .execute(conn)?;
    }
    Ok(loaded)
}

#[derive(Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub key_hash: &'a [u8],
    pub user_id: Option<UserId>,
    pub membership_id: Option<MembershipId>,
    pub state: serde_json::Value,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, new: &NewSession<'_>) -> QueryResult<()> {
    diesel::insert_into(sessions::table).values(new).execute(conn).map(|_| ())
}

/// Replaces the state of a live session; returns false when it no longer exists.
pub fn update_state(
    conn: &mut PgConnection,
    key_hash: &[u8],
    user_id: Option<UserId>,
    membership_id: Option<MembershipId>,
    state: serde_json::Value,
) -> QueryResult<bool> {
    let n = diesel::update(
        sessions::table.filter(sessions::key_hash.eq(key_hash)).filter(sessions::expires_at.gt(diesel::dsl::now)),
    )
    .set((sessions::state.eq(state), sessions::user_id.eq(user_id), sessions::membership_id.eq(membership_id)))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete(conn: &mut PgConnection, key_hash: &[u8]) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn).map(|_| ())
}

/// Ends every session of a person (password reset).
pub fn delete_for_user(conn: &mut PgConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

/// Housekeeping: expired sessions are useless rows.
pub fn delete_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(diesel::dsl::now))).execute(conn)
}

/// How many unexpired sessions act through one of the partnership's live memberships: the
/// sessions its deactivation ends (the Delete partner tab says so before confirming).
pub fn count_live_for_partner(
    conn: &mut PgConnection,
    enterprise_id: crate::domain::EnterpriseId,
    partner_id: crate::domain::PartnerId,
) -> QueryResult<i64> {
    use crate::db::schema::memberships;
    sessions::table
        .inner_join(memberships::table)
        .filter(memberships::enterprise_id.eq(enterprise_id))
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::ended_at.is_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .filter(sessions::absolute_expires_at.gt(diesel::dsl::now))
        .count()
        .get_result(conn)
}
