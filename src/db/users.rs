//! People: enterprise admins and partner users. One address, one account, stored lower-cased.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::users;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub enterprise_id: i64,
    pub partner_id: Option<i64>,
    pub role: String,
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
    pub enterprise_id: i64,
    pub partner_id: Option<i64>,
    pub role: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub surname: &'a str,
    pub password_hash: Option<&'a str>,
}

pub fn insert(conn: &mut PgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)
}

/// Looks an address up case-insensitively (addresses are stored lower-cased).
pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

pub fn set_password_hash(conn: &mut PgConnection, id: i64, hash: &str) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .map(|_| ())
}
