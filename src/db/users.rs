//! People: one address, one account in the whole installation, stored lower-cased. What a
//! person may do is in their memberships (`db::memberships`).

use crate::domain::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::users;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub first_name: String,
    pub surname: String,
    pub password_hash: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
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

/// When the person's address was confirmed; None while an account made on a join link waits
/// for its confirmation link (SPEC §12). Outer None: no such user.
pub fn email_confirmed_at(conn: &mut PgConnection, id: UserId) -> QueryResult<Option<Option<DateTime<Utc>>>> {
    users::table.find(id).select(users::email_confirmed_at).first(conn).optional()
}

/// A new account whose address is not confirmed yet (made on a join link).
pub fn insert_unconfirmed(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values((new, users::email_confirmed_at.eq(None::<DateTime<Utc>>)))
        .returning(User::as_returning())
        .get_result(conn)
}

pub fn confirm_email(conn: &mut PgConnection, id: UserId) -> QueryResult<()> {
    diesel::update(users::table.find(id).filter(users::email_confirmed_at.is_null()))
        .set(users::email_confirmed_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|_| ())
}
