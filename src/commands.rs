//! Command-line operations: creating enterprises and the demo seed. (The bench data set is
//! `examples/bench_seed.rs`, outside the portal's binary.)

use crate::domain::UserId;
use crate::domain::{AuditAction, UserRole};
use chrono::Utc;
use diesel::{Connection, ExpressionMethods, PgConnection, QueryDsl, RunQueryDsl};

use crate::{
    auth::{password::hash_sync, tokens},
    config::Settings,
    db::{audit, catalog, enterprises, memberships, tokens as token_rows, users},
    domain::{EmailAddress, EnterpriseId, PersonName},
    error::AppError,
};

pub struct CreatedEnterprise {
    pub enterprise_id: EnterpriseId,
    pub admin_user_id: UserId,
    /// Single-use link to set the admin's password.
    pub set_password_link: String,
}

/// Creates an enterprise and its first admin, and returns a set-password link.
pub fn create_enterprise(
    conn: &mut PgConnection,
    settings: &Settings,
    name: &str,
    admin_email: &str,
    first_name: &str,
    surname: &str,
) -> Result<CreatedEnterprise, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::bad_request("--name must be 1 to 100 characters"));
    }
    let email = EmailAddress::parse(admin_email).map_err(|e| AppError::bad_request(format!("--admin-email: {e}")))?;
    let first = PersonName::parse(first_name).map_err(|e| AppError::bad_request(format!("--first-name: {e}")))?;
    let last = PersonName::parse(surname).map_err(|e| AppError::bad_request(format!("--surname: {e}")))?;

    let token = tokens::random_token();
    let hash = tokens::token_hash(&token);
    let ttl = chrono::Duration::from_std(settings.invite_ttl).unwrap_or_else(|_| chrono::Duration::days(7));
    let (enterprise_id, admin_user_id) = conn.transaction::<_, AppError, _>(|conn| {
        if enterprises::find_by_name(conn, name)?.is_some() {
            return Err(AppError::Conflict(format!("an enterprise named {name:?} already exists")));
        }
        if users::find_by_email(conn, email.as_str())?.is_some() {
            return Err(AppError::Conflict(format!("{} already has an account", email.as_str())));
        }
        let enterprise = enterprises::insert(conn, name, settings.partner_limit)?;
        let user = users::insert(
            conn,
            &users::NewUser {
                email: email.as_str(),
                first_name: first.as_str(),
                surname: last.as_str(),
                password_hash: None,
            },
        )?;
        memberships::grant(
            conn,
            &memberships::NewMembership {
                user_id: user.id,
                enterprise_id: enterprise.id,
                partner_id: None,
                role: UserRole::EnterpriseAdmin,
            },
        )?;
        token_rows::insert(conn, user.id, &hash, token_rows::PURPOSE_SET, Utc::now() + ttl)?;
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id: enterprise.id,
                partner_id: None,
                actor_user_id: None,
                actor_label: "command line",
                actor_membership: "",
                action: AuditAction::EnterpriseCreated,
                target: &format!("Enterprise {name}; admin {}", email.as_str()),
                details: serde_json::json!({ "admin_email": email.as_str() }),
            },
        )?;
        Ok((enterprise.id, user.id))
    })?;
    Ok(CreatedEnterprise {
        enterprise_id,
        admin_user_id,
        set_password_link: settings.link(&format!("/password/set/{token}")),
    })
}

pub struct DemoLogin {
    pub email: String,
    pub password: String,
    /// A fresh API token of the demo enterprise with every scope, for the README's curl
    /// session (the previous run's is revoked).
    pub api_token: String,
}

pub const DEMO_API_TOKEN_NAME: &str = "Demo token";

pub const DEMO_ENTERPRISE: &str = "Acme Corp";
pub const DEMO_ADMIN: &str = "admin@acme.example";

/// Idempotent demo data. The admin's password is new on every run (printed by the caller),
/// so the printed login always works and no password is hard-coded anywhere.
pub fn seed_demo(conn: &mut PgConnection, settings: &Settings) -> Result<DemoLogin, AppError> {
    let password = demo_password();
    let hash = hash_sync(&password)?;
    let api_token = format!("{}{}", crate::routes::api_tokens::PREFIX, tokens::random_token());
    conn.transaction::<_, AppError, _>(|conn| {
        let enterprise = match enterprises::find_by_name(conn, DEMO_ENTERPRISE)? {
            Some(e) => e,
            None => enterprises::insert(conn, DEMO_ENTERPRISE, settings.partner_limit)?,
        };
        let admin_id = match users::find_by_email(conn, DEMO_ADMIN)? {
            Some(user) => {
                users::set_password_hash(conn, user.id, &hash)?;
                user.id
            }
            None => {
                users::insert(
                    conn,
                    &users::NewUser {
                        email: DEMO_ADMIN,
                        first_name: "Ada",
                        surname: "Admin",
                        password_hash: Some(&hash),
                    },
                )?
                .id
            }
        };
        memberships::grant(
            conn,
            &memberships::NewMembership {
                user_id: admin_id,
                enterprise_id: enterprise.id,
                partner_id: None,
                role: UserRole::EnterpriseAdmin,
            },
        )?;
        seed_demo_catalog(conn, enterprise.id)?;
        crate::demo::seed_partners(conn, enterprise.id, admin_id, &hash)?;
        diesel::update(
            crate::db::schema::api_tokens::table
                .filter(crate::db::schema::api_tokens::enterprise_id.eq(enterprise.id))
                .filter(crate::db::schema::api_tokens::name.eq(DEMO_API_TOKEN_NAME))
                .filter(crate::db::schema::api_tokens::revoked_at.is_null()),
        )
        .set(crate::db::schema::api_tokens::revoked_at.eq(diesel::dsl::now))
        .execute(conn)?;
        let hint: String = api_token.chars().skip(api_token.len() - 4).collect();
        crate::db::api_tokens::insert(
            conn,
            &crate::db::api_tokens::NewApiToken {
                enterprise_id: enterprise.id,
                name: DEMO_API_TOKEN_NAME,
                scopes: &crate::routes::api_tokens::SCOPES.iter().map(|(s, _)| s.to_string()).collect::<Vec<_>>(),
                token_hash: &tokens::token_hash(&api_token),
                hint: &hint,
                expires_at: chrono::Utc::now() + chrono::Duration::days(30),
                created_by: admin_id,
            },
        )?;
        // The demo partner people share the printed password (a fresh one on every run).
        for email in [crate::demo::DEMO_PARTNER_ADMIN, crate::demo::DEMO_PARTNER_MEMBER] {
            if let Some(user) = users::find_by_email(conn, email)? {
                users::set_password_hash(conn, user.id, &hash)?;
            }
        }
        Ok(())
    })?;
    // Fresh tables have no statistics; the planner guesses badly until they are analysed.
    diesel::RunQueryDsl::execute(diesel::sql_query("ANALYZE"), conn)?;
    Ok(DemoLogin { email: DEMO_ADMIN.to_string(), password, api_token })
}

const DEMO_ENVIRONMENTS: [&str; 3] = ["Development", "Staging", "Production"];

const DEMO_PRODUCTS: [(&str, &str); 5] = [
    ("Payments Hub", "Accept and send payments by card, bank transfer and wallet through one integration."),
    ("Identity Verification", "Check a customer's identity documents and liveness in seconds, in over 40 countries."),
    ("Fraud Shield", "Stop fraudulent payments and sign-ups with real-time risk scores."),
    ("Open Banking Gateway", "Read account data and start payments from customers' bank accounts, with their consent."),
    ("Analytics Studio", "Dashboards and exports of payment volumes, conversion and disputes."),
];

/// Name, base path, description, and the environments it is offered in.
const DEMO_APIS: [(&str, &str, &str, &[&str]); 7] = [
    (
        "Payments API v2",
        "/payments/v2",
        "Create, capture and refund card and account-to-account payments.",
        &DEMO_ENVIRONMENTS,
    ),
    ("Accounts API", "/accounts/v1", "Read account balances, holders and transaction history.", &DEMO_ENVIRONMENTS),
    (
        "Identity API",
        "/identity/v1",
        "Verify people and businesses against documents and registries.",
        &DEMO_ENVIRONMENTS,
    ),
    (
        "Fraud Scoring API",
        "/fraud/v1",
        "Score a payment or a sign-up for fraud risk in real time.",
        &["Staging", "Production"],
    ),
    (
        "Webhooks API",
        "/webhooks/v1",
        "Subscribe to events such as payment settled or account updated.",
        &["Development", "Production"],
    ),
    ("Reporting API", "/reports/v1", "Download settlement and reconciliation reports.", &["Production"]),
    (
        "Sandbox Simulator API",
        "/sandbox/v1",
        "Simulate payment outcomes and edge cases while you build.",
        &["Development"],
    ),
];

/// A believable catalog for the demo enterprise (and the bench data set, `examples/bench_seed.rs`); each part only when that part is empty, so
/// running the seed again duplicates nothing and leaves an admin's own changes alone.
pub fn seed_demo_catalog(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> Result<(), AppError> {
    let mut environments = catalog::environments(conn, enterprise_id)?;
    if environments.is_empty() {
        for (i, name) in DEMO_ENVIRONMENTS.iter().enumerate() {
            let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
            environments.push(catalog::insert_environment(conn, enterprise_id, name, position, false)?);
        }
    }
    if catalog::product_rows(conn, enterprise_id)?.is_empty() {
        for (name, description) in DEMO_PRODUCTS {
            catalog::insert_product(conn, enterprise_id, &catalog::ItemFields { name, description, base_path: "" })?;
        }
    }
    if catalog::api_rows(conn, enterprise_id)?.is_empty() {
        for (name, base_path, description, offered_in) in DEMO_APIS {
            let api = catalog::insert_api(conn, enterprise_id, &catalog::ItemFields { name, description, base_path })?;
            let ids: Vec<_> =
                environments.iter().filter(|e| offered_in.contains(&e.name.as_str())).map(|e| e.id).collect();
            catalog::add_api_environments(conn, api, &ids)?;
        }
    }
    Ok(())
}

/// Four random words-ish chunks: long, typeable, different every run.
fn demo_password() -> String {
    let token = tokens::random_token();
    let clean: String = token.chars().filter(|c| c.is_ascii_alphanumeric()).take(16).collect();
    format!("demo-{}-{}", &clean[..8.min(clean.len())], &clean[8.min(clean.len())..])
}
