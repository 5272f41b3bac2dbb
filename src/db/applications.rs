//! A partnership's **Applications** and their client credentials per environment (SPEC §18),
//! as the partner's Admins manage them and the enterprise sees them on the partner page.
//!
//! Every function filters on the enterprise and the partnership the caller already checked;
//! the flows (`routes::applications`) run them in a transaction that holds the partner row
//! lock, so a credential is never made for a partnership that is being deactivated.

use chrono::{DateTime, Duration, Utc};
use diesel::{prelude::*, sql_types::BigInt};

use crate::{
    db::{
        lower,
        schema::{
            access_tokens, apis, application_credentials, client_secrets, environments, partner_api_environments,
            partner_applications,
        },
    },
    domain::{ApplicationId, CredentialId, EnterpriseId, EnvironmentId, PartnerId, UserId},
};

/// An application, as its page and the lists show it.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = partner_applications)]
pub struct Application {
    pub id: ApplicationId,
    pub enterprise_id: EnterpriseId,
    pub partner_id: PartnerId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

pub fn list(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Vec<Application>> {
    partner_applications::table
        .filter(partner_applications::enterprise_id.eq(enterprise_id))
        .filter(partner_applications::partner_id.eq(partner_id))
        .order((lower(partner_applications::name), partner_applications::id))
        .select(Application::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    id: ApplicationId,
) -> QueryResult<Option<Application>> {
    partner_applications::table
        .filter(partner_applications::enterprise_id.eq(enterprise_id))
        .filter(partner_applications::partner_id.eq(partner_id))
        .filter(partner_applications::id.eq(id))
        .select(Application::as_select())
        .first(conn)
        .optional()
}

/// Whether another application of the partnership has this name (ignoring case).
pub fn name_taken(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    name: &str,
    except: Option<ApplicationId>,
) -> QueryResult<bool> {
    let mut q = partner_applications::table
        .filter(partner_applications::enterprise_id.eq(enterprise_id))
        .filter(partner_applications::partner_id.eq(partner_id))
        .filter(lower(partner_applications::name).eq(name.to_lowercase()))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(partner_applications::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(q)).get_result(conn)
}

pub fn create(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    name: &str,
    by: UserId,
) -> QueryResult<ApplicationId> {
    diesel::insert_into(partner_applications::table)
        .values((
            partner_applications::enterprise_id.eq(enterprise_id),
            partner_applications::partner_id.eq(partner_id),
            partner_applications::name.eq(name),
            partner_applications::created_by.eq(by),
        ))
        .returning(partner_applications::id)
        .get_result(conn)
}

pub fn rename(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: ApplicationId, name: &str) -> QueryResult<()> {
    diesel::update(
        partner_applications::table
            .filter(partner_applications::enterprise_id.eq(enterprise_id))
            .filter(partner_applications::id.eq(id)),
    )
    .set((partner_applications::name.eq(name), partner_applications::updated_at.eq(diesel::dsl::now)))
    .execute(conn)
    .map(|_| ())
}

/// Deletes the application with its credentials, secrets and tokens (cascade): every token it
/// obtained stops working at once.
pub fn delete(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: ApplicationId) -> QueryResult<()> {
    diesel::delete(
        partner_applications::table
            .filter(partner_applications::enterprise_id.eq(enterprise_id))
            .filter(partner_applications::id.eq(id)),
    )
    .execute(conn)
    .map(|_| ())
}

/// An environment the partnership holds at least one API grant in: where its applications may
/// have credentials.
#[derive(Queryable, Debug, Clone, PartialEq, Eq)]
pub struct GrantedEnvironment {
    pub id: EnvironmentId,
    pub name: String,
}

pub fn granted_environments(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Vec<GrantedEnvironment>> {
    let granted = partner_api_environments::table
        .filter(partner_api_environments::partner_id.eq(partner_id))
        .filter(partner_api_environments::environment_id.eq(environments::id));
    environments::table
        .filter(environments::enterprise_id.eq(enterprise_id))
        .filter(diesel::dsl::exists(granted))
        .order((environments::position, lower(environments::name), environments::id))
        .select((environments::id, environments::name))
        .load(conn)
}

/// An API the partnership holds in an environment: what a token for that environment carries.
#[derive(Queryable, Debug, Clone)]
pub struct GrantedApi {
    pub environment_id: EnvironmentId,
    pub environment_name: String,
    pub name: String,
    pub base_path: String,
}

/// Every API the partnership holds, by environment (in environment order, then by name): one
/// statement for the application page's "Tokens carry" lines.
pub fn granted_apis(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Vec<GrantedApi>> {
    partner_api_environments::table
        .inner_join(environments::table.on(environments::id.eq(partner_api_environments::environment_id)))
        .inner_join(apis::table.on(apis::id.eq(partner_api_environments::api_id)))
        .filter(partner_api_environments::partner_id.eq(partner_id))
        .filter(environments::enterprise_id.eq(enterprise_id))
        .filter(apis::enterprise_id.eq(enterprise_id))
        .order((environments::position, lower(environments::name), environments::id, lower(apis::name), apis::id))
        .select((environments::id, environments::name, apis::name, apis::base_path))
        .load(conn)
}

/// One secret of a credential that still works (or works until its overlap ends).
#[derive(Debug, Clone)]
pub struct LiveSecret {
    pub hint: String,
    pub created_at: DateTime<Utc>,
    /// End of a rotation's overlap; `None`: the current secret.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An application's live client credentials in one environment.
#[derive(Debug, Clone)]
pub struct Credential {
    pub id: CredentialId,
    pub application_id: ApplicationId,
    pub environment_id: EnvironmentId,
    pub environment_name: String,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// Newest first.
    pub secrets: Vec<LiveSecret>,
}

/// The live credentials of these applications, with their live secrets: two statements
/// whatever the number of applications.
pub fn credentials_of(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    application_ids: &[ApplicationId],
) -> QueryResult<Vec<Credential>> {
    #[derive(Queryable)]
    struct Row {
        id: CredentialId,
        application_id: ApplicationId,
        environment_id: EnvironmentId,
        environment_name: String,
        client_id: String,
        created_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
    }
    #[derive(Queryable)]
    struct SecretRow {
        credential_id: CredentialId,
        hint: String,
        created_at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    }
    let rows: Vec<Row> = application_credentials::table
        .inner_join(environments::table)
        .filter(application_credentials::enterprise_id.eq(enterprise_id))
        .filter(application_credentials::application_id.eq_any(application_ids))
        .filter(application_credentials::revoked_at.is_null())
        .order((environments::position, lower(environments::name), application_credentials::id))
        .select((
            application_credentials::id,
            application_credentials::application_id,
            application_credentials::environment_id,
            environments::name,
            application_credentials::client_id,
            application_credentials::created_at,
            application_credentials::last_used_at,
        ))
        .load(conn)?;
    let ids: Vec<CredentialId> = rows.iter().map(|r| r.id).collect();
    let secrets: Vec<SecretRow> = client_secrets::table
        .filter(client_secrets::enterprise_id.eq(enterprise_id))
        .filter(client_secrets::credential_id.eq_any(&ids))
        .filter(client_secrets::expires_at.is_null().or(client_secrets::expires_at.gt(diesel::dsl::now)))
        .order((client_secrets::credential_id, client_secrets::id.desc()))
        .select((
            client_secrets::credential_id,
            client_secrets::hint,
            client_secrets::created_at,
            client_secrets::expires_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Credential {
            secrets: secrets
                .iter()
                .filter(|s| s.credential_id == r.id)
                .map(|s| LiveSecret { hint: s.hint.clone(), created_at: s.created_at, expires_at: s.expires_at })
                .collect(),
            id: r.id,
            application_id: r.application_id,
            environment_id: r.environment_id,
            environment_name: r.environment_name,
            client_id: r.client_id,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
        .collect())
}

/// A live credential of the application, by id (404 for anything else is the caller's).
pub fn find_credential(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    application_id: ApplicationId,
    id: CredentialId,
) -> QueryResult<Option<(CredentialId, EnvironmentId, String)>> {
    application_credentials::table
        .filter(application_credentials::enterprise_id.eq(enterprise_id))
        .filter(application_credentials::application_id.eq(application_id))
        .filter(application_credentials::id.eq(id))
        .filter(application_credentials::revoked_at.is_null())
        .select((
            application_credentials::id,
            application_credentials::environment_id,
            application_credentials::client_id,
        ))
        .first(conn)
        .optional()
}

/// What a new secret is stored as.
pub struct NewSecret<'a> {
    pub hash: &'a [u8],
    pub hint: &'a str,
}

fn insert_secret(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    credential_id: CredentialId,
    secret: &NewSecret<'_>,
) -> QueryResult<()> {
    diesel::insert_into(client_secrets::table)
        .values((
            client_secrets::enterprise_id.eq(enterprise_id),
            client_secrets::credential_id.eq(credential_id),
            client_secrets::secret_hash.eq(secret.hash),
            client_secrets::hint.eq(secret.hint),
        ))
        .execute(conn)
        .map(|_| ())
}

/// New client credentials for the application in an environment; `Ok(None)` when it already
/// has live ones there.
pub fn create_credential(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    application_id: ApplicationId,
    environment_id: EnvironmentId,
    client_id: &str,
    secret: &NewSecret<'_>,
    by: UserId,
) -> QueryResult<Option<CredentialId>> {
    let id: Option<CredentialId> = diesel::insert_into(application_credentials::table)
        .values((
            application_credentials::enterprise_id.eq(enterprise_id),
            application_credentials::application_id.eq(application_id),
            application_credentials::environment_id.eq(environment_id),
            application_credentials::client_id.eq(client_id),
            application_credentials::created_by.eq(by),
        ))
        .on_conflict_do_nothing()
        .returning(application_credentials::id)
        .get_result(conn)
        .optional()?;
    if let Some(id) = id {
        insert_secret(conn, enterprise_id, id, secret)?;
    }
    Ok(id)
}

/// **Rotate secret**: a new secret; the ones in use so far keep working for `overlap` (none:
/// they stop at once, and so do the tokens they obtained).
pub fn rotate(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    credential_id: CredentialId,
    secret: &NewSecret<'_>,
    overlap: Duration,
) -> QueryResult<()> {
    let until = Utc::now() + overlap;
    // An older secret already ending sooner keeps its end.
    diesel::sql_query(
        "UPDATE client_secrets SET expires_at = LEAST(COALESCE(expires_at, 'infinity'), $3)
          WHERE enterprise_id = $1 AND credential_id = $2 AND (expires_at IS NULL OR expires_at > now())",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(credential_id)
    .bind::<diesel::sql_types::Timestamptz, _>(until)
    .execute(conn)?;
    insert_secret(conn, enterprise_id, credential_id, secret)
}

/// **Revoke**: the credential, its secrets and every token it obtained stop working at once.
/// The row stays (revoked), so its client id is never reused.
pub fn revoke_credential(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    credential_id: CredentialId,
) -> QueryResult<()> {
    diesel::update(
        application_credentials::table
            .filter(application_credentials::enterprise_id.eq(enterprise_id))
            .filter(application_credentials::id.eq(credential_id)),
    )
    .set(application_credentials::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    diesel::delete(
        access_tokens::table
            .filter(access_tokens::enterprise_id.eq(enterprise_id))
            .filter(access_tokens::credential_id.eq(credential_id)),
    )
    .execute(conn)
    .map(|_| ())
}
