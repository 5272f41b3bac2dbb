//! People: enterprise admins and partner users. One address, one account, stored lower-cased.

use crate::domain::{EnterpriseId, PartnerId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::users;
use crate::domain::UserRole;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub role: UserRole,
    pub email: String,
    pub first_name: String,
    pub surname: String,
    pub password_hash: Option<String>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub role: UserRole,
    pub email: &'a str,
    pub first_name: &'a str,
    pub surname: &'a str,
    pub password_hash: Option<&'a str>,
}

pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table).values(new).returning(User::as_returning()).get_result(conn)
}

/// Looks an address up case-insensitively (addresses are stored lower-cased).
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email.trim().to_lowercase())).select(User::as_select()).first(conn).optional()
}

pub fn find(conn: &mut PgConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

pub fn set_password_hash(conn: &mut PgConnection, id: UserId, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(users::password_hash.eq(hash)).execute(conn).map(|_| ())
}

/// The partner's people, by name.
pub fn for_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::partner_id.eq(partner_id))
        .order((users::first_name.asc(), users::surname.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

/// Addresses of the partner's enabled users in `domain` (they block removing it).
pub fn emails_with_domain(conn: &mut PgConnection, partner_id: PartnerId, domain: &str) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::partner_id.eq(partner_id))
        .filter(users::disabled_at.is_null())
        .filter(users::email.like(format!("%@{domain}")))
        .order(users::email.asc())
        .select(users::email)
        .load(conn)
}

pub fn set_role(conn: &mut PgConnection, id: UserId, role: UserRole) -> QueryResult<()> {
    diesel::update(users::table.find(id)).set(users::role.eq(role)).execute(conn).map(|_| ())
}

/// The partner's enabled people (removed members are kept for history but not listed), by name.
pub fn enabled_for_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::partner_id.eq(partner_id))
        .filter(users::disabled_at.is_null())
        .order((users::first_name.asc(), users::surname.asc(), users::id.asc()))
        .select(User::as_select())
        .load(conn)
}

/// An enabled user of this partner, locked for the rest of the transaction; None for anyone
/// else (another partner's or a removed user is "not found").
pub fn lock_in_partner(conn: &mut PgConnection, partner_id: PartnerId, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::partner_id.eq(partner_id))
        .filter(users::disabled_at.is_null())
        .for_update()
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// An enabled user of this partner, or None.
pub fn find_in_partner(conn: &mut PgConnection, partner_id: PartnerId, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .filter(users::id.eq(id))
        .filter(users::partner_id.eq(partner_id))
        .filter(users::disabled_at.is_null())
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Disables the account for good (the row stays for the audit history).
pub fn disable(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(id).filter(users::disabled_at.is_null()))
        .set(users::disabled_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|_| ())
}

/// A removed member who accepted a new invitation: enabled again with the invited role.
pub fn reenable(conn: &mut PgConnection, id: UserId, role: UserRole, password_hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::disabled_at.eq(None::<DateTime<Utc>>),
            users::role.eq(role),
            users::password_hash.eq(password_hash),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Disables every enabled user of the partner (deactivation); returns their ids.
pub fn disable_all_in_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<UserId>> {
    diesel::update(users::table.filter(users::partner_id.eq(partner_id)).filter(users::disabled_at.is_null()))
        .set(users::disabled_at.eq(diesel::dsl::now))
        .returning(users::id)
        .get_results(conn)
}

/// How many enabled users the partner has.
pub fn count_enabled_in_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<i64> {
    users::table.filter(users::partner_id.eq(partner_id)).filter(users::disabled_at.is_null()).count().get_result(conn)
}
