//! Single-use password links ("set your password", "forgotten password"). Only hashes stored.

use crate::domain::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::password_tokens;

pub const PURPOSE_SET: &str = "set";
pub const PURPOSE_RESET: &str = "reset";
/// Confirms the address of an account made on a join link (SPEC §12).
pub const PURPOSE_CONFIRM: &str = "confirm";

#[derive(Queryable, Selectable, Debug)]
#[diesel(table_name = password_tokens)]
pub struct PasswordToken {
    pub id: i64,
    pub user_id: UserId,
    pub purpose: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

pub fn insert(
    conn: &mut PgConnection,
    user_id: UserId,
    token_hash: &[u8],
    purpose: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(password_tokens::table)
        .values((
            password_tokens::user_id.eq(user_id),
            password_tokens::token_hash.eq(token_hash),
            password_tokens::purpose.eq(purpose),
            password_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_hash(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<PasswordToken>> {
    password_tokens::table
        .filter(password_tokens::token_hash.eq(token_hash))
        .select(PasswordToken::as_select())
        .first(conn)
        .optional()
}

/// Marks the token used if it still can be; false when someone else used it first.
pub fn claim(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    let n = diesel::update(
        password_tokens::table
            .filter(password_tokens::id.eq(id))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(password_tokens::used_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Earlier unused links of a user stop working when a new one is issued.
pub fn expire_unused_for_user(conn: &mut PgConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::update(
        password_tokens::table.filter(password_tokens::user_id.eq(user_id)).filter(password_tokens::used_at.is_null()),
    )
    .set(password_tokens::expires_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// Unused links of one purpose stop working (a new "forgot password" link replaces the last).
pub fn expire_unused_of_purpose(conn: &mut PgConnection, user_id: UserId, purpose: &str) -> QueryResult<usize> {
    diesel::update(
        password_tokens::table
            .filter(password_tokens::user_id.eq(user_id))
            .filter(password_tokens::purpose.eq(purpose))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(diesel::dsl::now)),
    )
    .set(password_tokens::expires_at.eq(diesel::dsl::now))
    .execute(conn)
}
