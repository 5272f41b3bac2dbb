//! The authorisation server's storage (SPEC §18): the token endpoint's client lookup and
//! issuance, introspection, and the enterprise's gateway credentials.
//!
//! Nothing here is cached: introspection reads the grants, the credential, the secret and the
//! partnership in one statement on every call, so a revocation, a rotation's end or a
//! deactivation answers `active: false` on the very next call, on every instance.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bytea, Nullable, Text, Timestamptz},
};

use crate::{
    db::schema::{access_tokens, gateway_credentials},
    domain::{ApiId, CredentialId, EnterpriseId, EnvironmentId, GatewayCredentialId, PartnerId, PartnerStatus, UserId},
};

// ---- the token endpoint ------------------------------------------------------------------------

/// One secret of a live credential, with what the token endpoint needs to decide.
#[derive(QueryableByName, Debug, Clone)]
pub struct ClientSecretRow {
    #[diesel(sql_type = BigInt)]
    pub credential_id: CredentialId,
    #[diesel(sql_type = BigInt)]
    pub environment_id: EnvironmentId,
    #[diesel(sql_type = BigInt)]
    pub partner_id: PartnerId,
    #[diesel(sql_type = Text)]
    pub partner_status: PartnerStatus,
    #[diesel(sql_type = BigInt)]
    pub secret_id: i64,
    #[diesel(sql_type = Bytea)]
    pub secret_hash: Vec<u8>,
}

/// The live secrets of a client id (none: no such live client).
pub fn client_secrets(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    client_id: &str,
) -> QueryResult<Vec<ClientSecretRow>> {
    crate::db::static_query(include_str!("sql/oauth_client.sql"))
        .bind::<BigInt, _>(enterprise_id)
        .bind::<Text, _>(client_id)
        .load(conn)
}

/// An API the partnership holds in an environment, as a token's scope names it.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct ScopeApi {
    #[diesel(sql_type = BigInt)]
    pub id: ApiId,
    #[diesel(sql_type = Text)]
    pub base_path: String,
}

/// The APIs (with a base path: the gateway finds an API by it) the partnership holds in the
/// environment, by base path.
pub fn granted_apis(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    environment_id: EnvironmentId,
) -> QueryResult<Vec<ScopeApi>> {
    crate::db::static_query(
        "SELECT a.id, a.base_path
           FROM partner_api_environments pae
           JOIN apis a ON a.id = pae.api_id AND a.enterprise_id = $1
          WHERE pae.partner_id = $2 AND pae.environment_id = $3 AND a.base_path <> ''
          ORDER BY a.base_path, a.id",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(partner_id)
    .bind::<BigInt, _>(environment_id)
    .load(conn)
}

/// Takes the credential's row lock and records its use; returns how many tokens it obtained in
/// the last minute (the rate limit), counted under that lock so concurrent requests of one
/// client queue up instead of all passing the check.
pub fn lock_and_count_recent(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    credential_id: CredentialId,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        recent: i64,
    }
    let row: Count = crate::db::static_query(
        "WITH locked AS (
             SELECT id FROM application_credentials WHERE enterprise_id = $1 AND id = $2 FOR UPDATE
         )
         SELECT count(t.*) AS recent
           FROM locked
           LEFT JOIN access_tokens t ON t.credential_id = locked.id AND t.enterprise_id = $1
                                    AND t.created_at > now() - interval '1 minute'",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(credential_id)
    .get_result(conn)?;
    Ok(row.recent)
}

pub struct NewToken<'a> {
    pub hash: &'a [u8],
    pub enterprise_id: EnterpriseId,
    pub credential_id: CredentialId,
    pub secret_id: i64,
    pub api_ids: Vec<i64>,
    pub expires_at: DateTime<Utc>,
}

pub fn insert_token(conn: &mut PgConnection, t: &NewToken<'_>) -> QueryResult<()> {
    crate::db::static_query(
        "WITH used AS (
             UPDATE application_credentials SET last_used_at = now() WHERE enterprise_id = $2 AND id = $3
         )
         INSERT INTO access_tokens (token_hash, enterprise_id, credential_id, secret_id, api_ids, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<Bytea, _>(t.hash)
    .bind::<BigInt, _>(t.enterprise_id)
    .bind::<BigInt, _>(t.credential_id)
    .bind::<BigInt, _>(t.secret_id)
    .bind::<Array<BigInt>, _>(&t.api_ids)
    .bind::<Timestamptz, _>(t.expires_at)
    .execute(conn)
    .map(|_| ())
}

/// Housekeeping: tokens that expired more than an hour ago.
pub fn delete_expired_tokens(conn: &mut PgConnection) -> QueryResult<usize> {
    let before = Utc::now() - chrono::Duration::hours(1);
    diesel::delete(access_tokens::table.filter(access_tokens::expires_at.lt(before))).execute(conn)
}

// ---- introspection -----------------------------------------------------------------------------

/// A still-granted API of an introspected token.
#[derive(serde::Deserialize, serde::Serialize, Debug, Clone, PartialEq, Eq)]
pub struct TokenApi {
    pub id: i64,
    pub name: String,
    pub base_path: String,
}

/// The introspection statement's row: the gateway credential's hash, and the token's facts
/// when the token is live (every token column is NULL otherwise).
#[derive(QueryableByName, Debug)]
struct IntrospectRow {
    #[diesel(sql_type = Bytea)]
    gateway_hash: Vec<u8>,
    #[diesel(sql_type = Nullable<Text>)]
    client_id: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    issued_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    expires_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    secret_expires_at: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    partner_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    partner_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    partner_code: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    application_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    application_name: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    environment_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    environment_name: Option<String>,
    #[diesel(sql_type = Nullable<Array<BigInt>>)]
    api_ids: Option<Vec<i64>>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    api_names: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    base_paths: Option<Vec<String>>,
}

/// A live token, as introspection describes it.
#[derive(Debug, Clone)]
pub struct LiveToken {
    pub client_id: String,
    pub issued_at: i64,
    pub expires_at: i64,
    /// When the secret that obtained it stops (a rotation's overlap), if it does.
    pub secret_expires_at: Option<i64>,
    pub partner_id: i64,
    pub partner_name: String,
    /// The organisation's Partner ID (`PRT-…`).
    pub partner_code: String,
    pub application_id: i64,
    pub application_name: String,
    pub environment_id: i64,
    pub environment_name: String,
    /// Never empty: a token none of whose APIs is still granted is not live.
    pub apis: Vec<TokenApi>,
}

/// What one introspection statement found.
pub struct Introspection {
    /// The gateway credential's stored secret hash (the caller verifies it).
    pub gateway_hash: Vec<u8>,
    pub token: Option<LiveToken>,
}

/// `None`: no live gateway credential with this client id in the enterprise.
pub fn introspect(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    gateway_client_id: &str,
    token_hash: &[u8],
) -> QueryResult<Option<Introspection>> {
    let row: Option<IntrospectRow> = crate::db::static_query(include_str!("sql/oauth_introspect.sql"))
        .bind::<BigInt, _>(enterprise_id)
        .bind::<Text, _>(gateway_client_id)
        .bind::<Bytea, _>(token_hash)
        .get_result(conn)
        .optional()?;
    let Some(mut row) = row else { return Ok(None) };
    let gateway_hash = std::mem::take(&mut row.gateway_hash);
    let token = match row {
        IntrospectRow {
            client_id: Some(client_id),
            issued_at: Some(issued_at),
            expires_at: Some(expires_at),
            secret_expires_at,
            partner_id: Some(partner_id),
            partner_name: Some(partner_name),
            partner_code: Some(partner_code),
            application_id: Some(application_id),
            application_name: Some(application_name),
            environment_id: Some(environment_id),
            environment_name: Some(environment_name),
            api_ids: Some(ids),
            api_names: Some(names),
            base_paths: Some(paths),
            ..
        } => {
            let apis: Vec<TokenApi> = ids
                .into_iter()
                .zip(names)
                .zip(paths)
                .map(|((id, name), base_path)| TokenApi { id, name, base_path })
                .collect();
            (!apis.is_empty()).then_some(LiveToken {
                client_id,
                issued_at,
                expires_at,
                secret_expires_at,
                partner_id,
                partner_name,
                partner_code,
                application_id,
                application_name,
                environment_id,
                environment_name,
                apis,
            })
        }
        _ => None,
    };
    Ok(Some(Introspection { gateway_hash, token }))
}

/// The enterprise's access version (0 before its first change): see `routes::oauth::cache`.
pub fn access_version(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = BigInt)]
        version: i64,
    }
    let row: Option<Version> = crate::db::static_query("SELECT version FROM access_versions WHERE enterprise_id = $1")
        .bind::<BigInt, _>(enterprise_id)
        .get_result(conn)
        .optional()?;
    Ok(row.map_or(0, |r| r.version))
}

// ---- gateway credentials (Settings → Gateway credentials) -------------------------------------

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = gateway_credentials)]
pub struct GatewayCredential {
    pub id: GatewayCredentialId,
    pub name: String,
    pub client_id: String,
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The enterprise's gateway credentials, live ones first, newest first.
pub fn gateway_credentials(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
) -> QueryResult<Vec<GatewayCredential>> {
    gateway_credentials::table
        .filter(gateway_credentials::enterprise_id.eq(enterprise_id))
        .order((gateway_credentials::revoked_at.is_not_null(), gateway_credentials::id.desc()))
        .select(GatewayCredential::as_select())
        .load(conn)
}

pub struct NewGatewayCredential<'a> {
    pub enterprise_id: EnterpriseId,
    pub name: &'a str,
    pub client_id: &'a str,
    pub hash: &'a [u8],
    pub hint: &'a str,
    pub by: UserId,
}

pub fn create_gateway_credential(
    conn: &mut PgConnection,
    new: &NewGatewayCredential<'_>,
) -> QueryResult<GatewayCredentialId> {
    diesel::insert_into(gateway_credentials::table)
        .values((
            gateway_credentials::enterprise_id.eq(new.enterprise_id),
            gateway_credentials::name.eq(new.name),
            gateway_credentials::client_id.eq(new.client_id),
            gateway_credentials::secret_hash.eq(new.hash),
            gateway_credentials::hint.eq(new.hint),
            gateway_credentials::created_by.eq(new.by),
        ))
        .returning(gateway_credentials::id)
        .get_result(conn)
}

/// Revokes a live gateway credential; returns it (`None`: no live one with that id here).
pub fn revoke_gateway_credential(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: GatewayCredentialId,
) -> QueryResult<Option<GatewayCredential>> {
    diesel::update(
        gateway_credentials::table
            .filter(gateway_credentials::enterprise_id.eq(enterprise_id))
            .filter(gateway_credentials::id.eq(id))
            .filter(gateway_credentials::revoked_at.is_null()),
    )
    .set(gateway_credentials::revoked_at.eq(diesel::dsl::now))
    .returning(GatewayCredential::as_returning())
    .get_result(conn)
    .optional()
}
