//! API tokens (SPEC §14): what the database keeps of them (the SHA-256 and a hint, never the
//! token) and the queries of Settings → **API tokens**. Every query is scoped by enterprise.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::api_tokens;
use crate::domain::{EnterpriseId, UserId};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub scopes: Vec<Option<String>>,
    pub hint: String,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn scopes(&self) -> Vec<String> {
        self.scopes.iter().flatten().cloned().collect()
    }

    /// Usable at `now`: neither revoked nor expired.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

pub struct NewApiToken<'a> {
    pub enterprise_id: EnterpriseId,
    pub name: &'a str,
    pub scopes: &'a [String],
    pub token_hash: &'a [u8],
    pub hint: &'a str,
    pub expires_at: DateTime<Utc>,
    pub created_by: UserId,
}

pub fn insert(conn: &mut PgConnection, new: &NewApiToken<'_>) -> QueryResult<i64> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::enterprise_id.eq(new.enterprise_id),
            api_tokens::name.eq(new.name),
            api_tokens::scopes.eq(new.scopes.iter().cloned().map(Some).collect::<Vec<_>>()),
            api_tokens::token_hash.eq(new.token_hash),
            api_tokens::hint.eq(new.hint),
            api_tokens::expires_at.eq(new.expires_at),
            api_tokens::created_by.eq(new.created_by),
        ))
        .returning(api_tokens::id)
        .get_result(conn)
}

/// The enterprise's tokens, newest first.
pub fn list(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::enterprise_id.eq(enterprise_id))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select(ApiToken::as_select())
        .load(conn)
}

/// One token of the enterprise's; `lock` takes its row lock.
pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    lock: bool,
) -> QueryResult<Option<ApiToken>> {
    let q = api_tokens::table
        .filter(api_tokens::enterprise_id.eq(enterprise_id))
        .filter(api_tokens::id.eq(id))
        .select(ApiToken::as_select());
    if lock {
        q.for_update().first(conn).optional()
    } else {
        q.first(conn).optional()
    }
}

/// Revokes the token; false when it was revoked already.
pub fn revoke(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .filter(api_tokens::enterprise_id.eq(enterprise_id))
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    Ok(n == 1)
}

/// The live token whose SHA-256 is `hash`, its last use stamped (at most once a minute, so a
/// busy token doesn't write on every request); None for an unknown, revoked or expired one.
/// Both statements are static, so their plans are cached per connection.
pub fn authenticate(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<ApiToken>> {
    let found: Option<ApiToken> = api_tokens::table
        .filter(api_tokens::token_hash.eq(hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(diesel::dsl::now))
        .select(ApiToken::as_select())
        .first(conn)
        .optional()?;
    let Some(mut token) = found else { return Ok(None) };
    let now = chrono::Utc::now();
    if token.last_used_at.is_none_or(|t| now - t > chrono::Duration::minutes(1)) {
        diesel::update(api_tokens::table.find(token.id)).set(api_tokens::last_used_at.eq(now)).execute(conn)?;
        token.last_used_at = Some(now);
    }
    Ok(Some(token))
}
