//! Command-line operations: creating enterprises and the demo seed.

use chrono::Utc;
use diesel::{Connection, PgConnection};

use crate::{
    auth::{password::hash_sync, tokens},
    config::Settings,
    db::{audit, catalog, enterprises, tokens as token_rows, users},
    domain::{AuditAction, EmailAddress, PersonName, UserRole},
    error::AppError,
};

pub struct CreatedEnterprise {
    pub enterprise_id: i64,
    pub admin_user_id: i64,
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
                enterprise_id: enterprise.id,
                partner_id: None,
                role: UserRole::EnterpriseAdmin,
                email: email.as_str(),
                first_name: first.as_str(),
                surname: last.as_str(),
                password_hash: None,
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
}

pub const DEMO_ENTERPRISE: &str = "Acme Corp";
pub const DEMO_ADMIN: &str = "admin@acme.example";

/// Idempotent demo data. The admin's password is new on every run (printed by the caller),
/// so the printed login always works and no password is hard-coded anywhere.
pub fn seed_demo(conn: &mut PgConnection, settings: &Settings) -> Result<DemoLogin, AppError> {
    let password = demo_password();
    let hash = hash_sync(&password)?;
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
                        enterprise_id: enterprise.id,
                        partner_id: None,
                        role: UserRole::EnterpriseAdmin,
                        email: DEMO_ADMIN,
                        first_name: "Ada",
                        surname: "Admin",
                        password_hash: Some(&hash),
                    },
                )?
                .id
            }
        };
        seed_demo_catalog(conn, enterprise.id)?;
        crate::demo::seed_partners(conn, enterprise.id, admin_id, &hash)?;
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
    Ok(DemoLogin { email: DEMO_ADMIN.to_string(), password })
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

/// A believable catalog for the demo enterprise; each part only when that part is empty, so
/// running the seed again duplicates nothing and leaves an admin's own changes alone.
fn seed_demo_catalog(conn: &mut PgConnection, enterprise_id: i64) -> Result<(), AppError> {
    let mut environments = catalog::environments(conn, enterprise_id)?;
    if environments.is_empty() {
        for (i, name) in DEMO_ENVIRONMENTS.iter().enumerate() {
            let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
            environments.push(catalog::insert_environment(conn, enterprise_id, name, position)?);
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
            let ids: Vec<i64> =
                environments.iter().filter(|e| offered_in.contains(&e.name.as_str())).map(|e| e.id).collect();
            catalog::add_api_environments(conn, api.id, &ids)?;
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

// ---- seed-bench (hidden command): the data set `scripts/bench` measures ----------------------

pub const BENCH_ENTERPRISE: &str = "Bench Corp";
pub const BENCH_PARTNERS: usize = 10;
pub const BENCH_ENTERPRISE_ADMINS: usize = 10;
pub const BENCH_MEMBERS_PER_PARTNER: usize = 3;
pub const BENCH_EVENTS: i64 = 10_000;
/// Events about each partner but the first; the first (the one measured) gets the rest.
const BENCH_EVENTS_PER_OTHER_PARTNER: i64 = 100;

/// What `scripts/bench` needs to know about the seeded data.
pub struct BenchSeed {
    pub enterprise_id: i64,
    /// The partner whose pages are measured: the one with most audit events.
    pub partner_id: i64,
    pub admin_email: String,
    pub member_email: String,
    /// Every seeded person (all share `password`), for the rotating login benchmark.
    pub users: Vec<String>,
}

/// One enterprise with `BENCH_PARTNERS` active partners (two domains each, a logo on every
/// other one, an accepted administrator invitation with its sent email and two pending member
/// invitations each), `BENCH_ENTERPRISE_ADMINS` enterprise admins plus an Admin and
/// `BENCH_MEMBERS_PER_PARTNER` Members per partner (50 people), the demo catalog (3
/// environments, 5 products, 7 APIs) granted in full to every partner, and `BENCH_EVENTS` audit
/// events. Meant for an empty, freshly migrated database (`scripts/bench` makes one).
pub fn seed_bench(conn: &mut PgConnection, settings: &Settings, password: &str) -> Result<BenchSeed, AppError> {
    use diesel::{
        sql_query,
        sql_types::{BigInt, Bytea, Text},
        RunQueryDsl,
    };

    if enterprises::find_by_name(conn, BENCH_ENTERPRISE)?.is_some() {
        return Err(AppError::Conflict(format!(
            "{BENCH_ENTERPRISE} already exists: seed-bench wants an empty database"
        )));
    }
    // One hash for everyone: verifying costs the same, and seeding stays quick.
    let hash = hash_sync(password)?;
    let seed = conn.transaction::<_, AppError, _>(|conn| {
        let limit = settings.partner_limit.max(BENCH_PARTNERS as i32);
        let enterprise = enterprises::insert(conn, BENCH_ENTERPRISE, limit)?;
        seed_demo_catalog(conn, enterprise.id)?;
        let mut people = Vec::new();
        let mut first_admin = None;
        for i in 1..=BENCH_ENTERPRISE_ADMINS {
            let email = format!("admin{i:02}@bench.example");
            let user = users::insert(
                conn,
                &users::NewUser {
                    enterprise_id: enterprise.id,
                    partner_id: None,
                    role: UserRole::EnterpriseAdmin,
                    email: &email,
                    first_name: "Bench",
                    surname: &format!("Admin {i:02}"),
                    password_hash: Some(&hash),
                },
            )?;
            first_admin.get_or_insert(user.id);
            people.push(email);
        }
        let admin_id = first_admin.unwrap_or_default();
        let logo = crate::domain::sample_png(64, 64);

        #[derive(diesel::QueryableByName)]
        struct Id {
            #[diesel(sql_type = BigInt)]
            id: i64,
        }
        let mut partner_ids = Vec::new();
        for p in 1..=BENCH_PARTNERS {
            let name = format!("Partner {p:02}");
            let partner: Id = sql_query(
                "INSERT INTO partners (enterprise_id, name, status, created_by, created_at)
                 VALUES ($1, $2, 'active', $3, now() - make_interval(days => $4::int)) RETURNING id",
            )
            .bind::<BigInt, _>(enterprise.id)
            .bind::<Text, _>(&name)
            .bind::<BigInt, _>(admin_id)
            .bind::<BigInt, _>((BENCH_PARTNERS - p) as i64)
            .get_result(conn)?;
            let domain = format!("partner{p:02}.example");
            for d in [domain.clone(), format!("partner{p:02}-eu.example")] {
                crate::db::partners::add_domain(conn, enterprise.id, partner.id, &d)?;
            }
            if p % 2 == 1 {
                crate::db::partners::set_logo(conn, partner.id, "image/png", &logo, 64, 64)?;
            }
            let mut partner_admin = 0;
            for (k, role) in std::iter::once(UserRole::Admin).chain(std::iter::repeat(UserRole::Member).take(BENCH_MEMBERS_PER_PARTNER)).enumerate() {
                let email = if k == 0 { format!("admin@{domain}") } else { format!("member{k}@{domain}") };
                let user = users::insert(
                    conn,
                    &users::NewUser {
                        enterprise_id: enterprise.id,
                        partner_id: Some(partner.id),
                        role,
                        email: &email,
                        first_name: if k == 0 { "Pat" } else { "Mel" },
                        surname: &format!("Partner{p:02}-{k}"),
                        password_hash: Some(&hash),
                    },
                )?;
                if k == 0 {
                    partner_admin = user.id;
                }
                people.push(email);
            }
            sql_query("UPDATE partners SET account_admin_user_id = $1 WHERE id = $2")
                .bind::<BigInt, _>(partner_admin)
                .bind::<BigInt, _>(partner.id)
                .execute(conn)?;
            // The administrator's accepted invitation and its sent email; two pending invitations.
            let invitation: Id = sql_query(
                "INSERT INTO invitations (enterprise_id, partner_id, email, first_name, surname, role,
                                          for_account_admin, token_hash, status, invited_by, created_at,
                                          expires_at, accepted_at, accepted_user_id)
                 VALUES ($1, $2, $3, 'Pat', 'Partner', 'admin', true, $4, 'accepted', $5,
                         now() - interval '9 days', now() - interval '2 days', now() - interval '8 days', $6)
                 RETURNING id",
            )
            .bind::<BigInt, _>(enterprise.id)
            .bind::<BigInt, _>(partner.id)
            .bind::<Text, _>(format!("admin@{domain}"))
            .bind::<Bytea, _>(tokens::token_hash(&tokens::random_token()))
            .bind::<BigInt, _>(admin_id)
            .bind::<BigInt, _>(partner_admin)
            .get_result(conn)?;
            sql_query(
                "INSERT INTO outbox_emails (kind, enterprise_id, invitation_id, message_id, to_address, subject,
                                            status, attempts, delivered_via, sent_at)
                 VALUES ('invitation', $1, $2, $3, $4, 'You are invited', 'sent', 1, 'smtp', now() - interval '9 days')",
            )
            .bind::<BigInt, _>(enterprise.id)
            .bind::<BigInt, _>(invitation.id)
            .bind::<Text, _>(format!("bench-{}", uuid::Uuid::new_v4().simple()))
            .bind::<Text, _>(format!("admin@{domain}"))
            .execute(conn)?;
            for k in 1..=2 {
                sql_query(
                    "INSERT INTO invitations (enterprise_id, partner_id, email, first_name, surname, role,
                                              token_hash, invited_by, expires_at)
                     VALUES ($1, $2, $3, 'Ivy', 'Invitee', 'member', $4, $5, now() + interval '7 days')",
                )
                .bind::<BigInt, _>(enterprise.id)
                .bind::<BigInt, _>(partner.id)
                .bind::<Text, _>(format!("invitee{k}@{domain}"))
                .bind::<Bytea, _>(tokens::token_hash(&tokens::random_token()))
                .bind::<BigInt, _>(partner_admin)
                .execute(conn)?;
            }
            // The whole catalog: every product, every API in every environment it is offered in.
            sql_query(
                "INSERT INTO partner_products (partner_id, product_id, granted_by)
                 SELECT $1, id, $3 FROM products WHERE enterprise_id = $2",
            )
            .bind::<BigInt, _>(partner.id)
            .bind::<BigInt, _>(enterprise.id)
            .bind::<BigInt, _>(admin_id)
            .execute(conn)?;
            sql_query(
                "INSERT INTO partner_api_environments (partner_id, api_id, environment_id, granted_by)
                 SELECT $1, ae.api_id, ae.environment_id, $3
                   FROM api_environments ae JOIN apis a ON a.id = ae.api_id WHERE a.enterprise_id = $2",
            )
            .bind::<BigInt, _>(partner.id)
            .bind::<BigInt, _>(enterprise.id)
            .bind::<BigInt, _>(admin_id)
            .execute(conn)?;
            partner_ids.push((partner.id, name));
        }

        // Audit events, newest a minute ago, a mix of actions whose details the page describes.
        let others = BENCH_EVENTS_PER_OTHER_PARTNER * (BENCH_PARTNERS as i64 - 1);
        for (i, (partner_id, name)) in partner_ids.iter().enumerate() {
            let n = if i == 0 { BENCH_EVENTS - others } else { BENCH_EVENTS_PER_OTHER_PARTNER };
            sql_query(
                "INSERT INTO audit_events (enterprise_id, partner_id, actor_user_id, actor_label, action, target, details, created_at)
                 SELECT $1, $2, $3, 'Bench Admin 01 <admin01@bench.example>',
                        (ARRAY['partner.domain_added', 'partner.product_granted', 'partner.api_environment_granted',
                               'invitation.sent', 'invitation.resent', 'member.role_changed', 'partner.renamed',
                               'partner.logo_changed'])[1 + g % 8],
                        'Partner ' || $4,
                        jsonb_build_object('domain', 'd' || g || '.example', 'product', 'Payments Hub',
                                           'api', 'Payments API v2', 'environment', 'Production',
                                           'email', 'person' || g || '@example.com', 'from', 'Old name', 'to', $4),
                        now() - make_interval(mins => g::int)
                   FROM generate_series(1, $5) AS g",
            )
            .bind::<BigInt, _>(enterprise.id)
            .bind::<BigInt, _>(*partner_id)
            .bind::<BigInt, _>(admin_id)
            .bind::<Text, _>(name)
            .bind::<BigInt, _>(n)
            .execute(conn)?;
        }
        let partner_id = partner_ids.first().map(|(id, _)| *id).unwrap_or_default();
        Ok(BenchSeed {
            enterprise_id: enterprise.id,
            partner_id,
            admin_email: "admin01@bench.example".to_string(),
            member_email: "member1@partner01.example".to_string(),
            users: people,
        })
    })?;
    // Fresh tables have no statistics (the planner guesses badly until they are analysed) and
    // no visibility map (index-only scans visit the heap until a vacuum): as after autovacuum.
    diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM ANALYZE"), conn)?;
    Ok(seed)
}
