//! The data set `scripts/bench` measures, seeded into an empty database: not part of the
//! portal's binary (nothing in production should be able to create it).
//!
//!     DATABASE_URL=postgres://…/partner_portal_bench \
//!         cargo run --release --example bench_seed -- --password <every person's password>
//!
//! `--partners N` (default 10) and `--events N` (default 10,000) size the data set: `scripts/bench
//! --scale` seeds a second database with `--partners 500 --events 1000000`. The enterprise's
//! partner limit is raised to fit; the events are one `INSERT … SELECT generate_series`.
//!
//! Applies the migrations first, then prints `key=value` lines (read by `scripts/bench`).

use clap::Parser;
use diesel::{Connection, PgConnection};
use partner_portal::{
    auth::{password::hash_sync, tokens},
    commands,
    config::Settings,
    db::{self, enterprises, memberships, users},
    domain::{EnterpriseId, InvitationId, PartnerId, UserRole},
    error::AppError,
};

#[derive(Parser)]
#[command(name = "bench_seed", about = "Fill an empty database with the data set scripts/bench measures")]
struct Cli {
    /// The password every seeded person gets.
    #[arg(long)]
    password: String,
    /// Active partners of the enterprise (its partner limit is raised to fit).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    partners: u32,
    /// Audit events: 100 about each partner but the first (at most half of them), the rest
    /// about the first, the partner whose pages are measured.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(i64).range(0..=100_000_000))]
    events: i64,
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: &Cli) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    let mut conn = db::connect(settings.database.url.expose())
        .map_err(|e| anyhow::anyhow!("cannot connect to DATABASE_URL: {e}"))?;
    db::run_migrations(&mut conn)?;
    let size = Size { partners: cli.partners as usize, events: cli.events };
    let seed = seed_bench(&mut conn, &settings, &cli.password, size).map_err(|e| anyhow::anyhow!("{e}"))?;
    // key=value lines, read by scripts/bench.
    println!("enterprise_id={}", seed.enterprise_id);
    println!("partner_id={}", seed.partner_id);
    println!("admin={}", seed.admin_email);
    println!("member={}", seed.member_email);
    println!("multi={}", seed.multi_email);
    for user in &seed.users {
        println!("user={user}");
    }
    let gateway = seed_gateway(&mut conn, &settings, &seed)?;
    println!("client_id={}", gateway.client_id);
    println!("client_secret={}", gateway.client_secret);
    println!("gateway_id={}", gateway.gateway_id);
    println!("gateway_secret={}", gateway.gateway_secret);
    println!("environment={}", gateway.environment);
    println!("api_token={}", seed_api_token(&mut conn, &seed)?);
    Ok(())
}

/// An API token of the enterprise with `partners:read`, for `GET /api/v1/partners`.
fn seed_api_token(conn: &mut PgConnection, seed: &BenchSeed) -> anyhow::Result<String> {
    use diesel::prelude::*;
    let admin: i64 = db::schema::users::table
        .filter(db::schema::users::email.eq(&seed.admin_email))
        .select(db::schema::users::id)
        .first(conn)?;
    let token = format!("ppat_{}", tokens::random_token());
    db::api_tokens::insert(
        conn,
        &db::api_tokens::NewApiToken {
            enterprise_id: seed.enterprise_id,
            name: "Bench",
            scopes: &["partners:read".to_string()],
            token_hash: &tokens::token_hash(&token),
            hint: &token[token.len() - 4..],
            expires_at: chrono::Utc::now() + chrono::Duration::days(1),
            created_by: partner_portal::domain::UserId::new(admin),
        },
    )?;
    Ok(token)
}

/// What the introspection and gateway check benchmarks use.
struct GatewaySeed {
    client_id: String,
    client_secret: String,
    gateway_id: String,
    gateway_secret: String,
    environment: String,
}

/// An application of the measured partner with credentials in its first granted environment,
/// and a gateway credential of the enterprise, made through the portal's own functions and
/// key (`CREDENTIAL_HASH_KEY`, the development one unless set, as the bench portal uses).
fn seed_gateway(conn: &mut PgConnection, settings: &Settings, seed: &BenchSeed) -> anyhow::Result<GatewaySeed> {
    use diesel::prelude::*;
    use partner_portal::{
        auth::credentials::{self, ClientKind},
        db::{applications, oauth, schema::users},
    };
    let key = settings.oauth.credential_key.expose();
    let by: partner_portal::domain::UserId =
        users::table.filter(users::email.eq(&seed.admin_email)).select(users::id).first(conn)?;
    let environment = applications::granted_environments(conn, seed.enterprise_id, seed.partner_id)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the measured partner holds no API grant"))?;
    let application = applications::create(conn, seed.enterprise_id, seed.partner_id, "Bench client", by)?;
    let client_id = credentials::new_client_id(ClientKind::Application, seed.enterprise_id);
    let client_secret = credentials::new_secret();
    applications::create_credential(
        conn,
        seed.enterprise_id,
        application,
        environment.id,
        &client_id,
        &applications::NewSecret {
            hash: &credentials::hash(key, &client_secret),
            hint: &credentials::hint(&client_secret),
        },
        by,
    )?;
    let gateway_id = credentials::new_client_id(ClientKind::Gateway, seed.enterprise_id);
    let gateway_secret = credentials::new_secret();
    oauth::create_gateway_credential(
        conn,
        &oauth::NewGatewayCredential {
            enterprise_id: seed.enterprise_id,
            name: "Bench gateway",
            client_id: &gateway_id,
            hash: &credentials::hash(key, &gateway_secret),
            hint: &credentials::hint(&gateway_secret),
            by,
        },
    )?;
    // Statistics for the tables filled after the seed's VACUUM ANALYZE.
    diesel::sql_query(
        "ANALYZE partner_applications, application_credentials, client_secrets, gateway_credentials, access_versions",
    )
    .execute(conn)?;
    Ok(GatewaySeed { client_id, client_secret, gateway_id, gateway_secret, environment: environment.name })
}

const BENCH_ENTERPRISE: &str = "Bench Corp";
const BENCH_ENTERPRISE_ADMINS: usize = 10;
const BENCH_MEMBERS_PER_PARTNER: usize = 3;
/// The person with two memberships (Member of partners 01 and 02).
const MULTI_EMAIL: &str = "member2@partner01.example";
/// Events about each partner but the first; the first (the one measured) gets the rest.
const BENCH_EVENTS_PER_OTHER_PARTNER: i64 = 100;

/// How big the data set is (`--partners`, `--events`).
#[derive(Clone, Copy)]
struct Size {
    partners: usize,
    events: i64,
}

/// What `scripts/bench` needs to know about the seeded data.
struct BenchSeed {
    enterprise_id: EnterpriseId,
    /// The partner whose pages are measured: the one with most audit events.
    partner_id: PartnerId,
    admin_email: String,
    member_email: String,
    multi_email: String,
    /// Every seeded person (all share `password`), for the rotating login benchmark.
    users: Vec<String>,
}

/// One enterprise with `size.partners` active partners (two domains each, a logo on every
/// other one, an accepted administrator invitation with its sent email and two pending member
/// invitations each), `BENCH_ENTERPRISE_ADMINS` enterprise admins plus an Admin and
/// `BENCH_MEMBERS_PER_PARTNER` Members per partner (50 people with 10 partners), the demo
/// catalog (3 environments, 5 products, 7 APIs) granted in full to every partner, and
/// `size.events` audit events. Meant for an empty, freshly migrated database (`scripts/bench` makes one).
fn seed_bench(conn: &mut PgConnection, settings: &Settings, password: &str, size: Size) -> Result<BenchSeed, AppError> {
    use diesel::{
        sql_query,
        sql_types::{BigInt, Bytea, Text},
        RunQueryDsl,
    };

    if enterprises::find_by_name(conn, BENCH_ENTERPRISE)?.is_some() {
        return Err(AppError::Conflict(format!(
            "{BENCH_ENTERPRISE} already exists: bench_seed wants an empty database"
        )));
    }
    // One hash for everyone: verifying costs the same, and seeding stays quick.
    let hash = hash_sync(password)?;
    let seed = conn.transaction::<_, AppError, _>(|conn| {
        let limit = settings.partner_limit.max(i32::try_from(size.partners).unwrap_or(i32::MAX));
        let enterprise = enterprises::insert(conn, BENCH_ENTERPRISE, limit)?;
        commands::seed_demo_catalog(conn, enterprise.id)?;
        let mut people = Vec::new();
        let mut first_admin = None;
        for i in 1..=BENCH_ENTERPRISE_ADMINS {
            let email = format!("admin{i:02}@bench.example");
            let user = users::insert(
                conn,
                &users::NewUser {
                    email: &email,
                    first_name: "Bench",
                    surname: &format!("Admin {i:02}"),
                    password_hash: Some(&hash),
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
            first_admin.get_or_insert(user.id);
            people.push(email);
        }
        let admin_id = first_admin.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no bench admin was created")))?;
        let logo = partner_portal::domain::sample_png(64, 64);

        #[derive(diesel::QueryableByName)]
        struct PartnerRow {
            #[diesel(sql_type = BigInt)]
            id: PartnerId,
        }
        #[derive(diesel::QueryableByName)]
        struct InvitationRow {
            #[diesel(sql_type = BigInt)]
            id: InvitationId,
        }
        let mut partner_ids = Vec::new();
        for p in 1..=size.partners {
            let name = format!("Partner {p:02}");
            let organisation = partner_portal::db::organisations::create(conn, &name)?;
            let partner: PartnerRow = sql_query(
                "INSERT INTO partners (enterprise_id, name, status, created_by, created_at, organisation_id)
                 VALUES ($1, $2, 'active', $3, now() - make_interval(days => $4::int), $5) RETURNING id",
            )
            .bind::<BigInt, _>(enterprise.id)
            .bind::<Text, _>(&name)
            .bind::<BigInt, _>(admin_id)
            .bind::<BigInt, _>((size.partners - p) as i64)
            .bind::<BigInt, _>(organisation.id)
            .get_result(conn)?;
            let domain = format!("partner{p:02}.example");
            for d in [domain.clone(), format!("partner{p:02}-eu.example")] {
                partner_portal::db::partners::add_domain(conn, enterprise.id, partner.id, &d)?;
            }
            if p % 2 == 1 {
                partner_portal::db::partners::set_logo(conn, partner.id, "image/png", &logo, 64, 64)?;
            }
            let mut partner_admin = None;
            for (k, role) in std::iter::once(UserRole::Admin).chain(std::iter::repeat_n(UserRole::Member, BENCH_MEMBERS_PER_PARTNER)).enumerate() {
                let email = if k == 0 { format!("admin@{domain}") } else { format!("member{k}@{domain}") };
                let user = users::insert(
                    conn,
                    &users::NewUser {
                        email: &email,
                        first_name: if k == 0 { "Pat" } else { "Mel" },
                        surname: &format!("Partner{p:02}-{k}"),
                        password_hash: Some(&hash),
                    },
                )?;
                memberships::grant(
                    conn,
                    &memberships::NewMembership {
                        user_id: user.id,
                        enterprise_id: enterprise.id,
                        partner_id: Some(partner.id),
                        role,
                    },
                )?;
                if k == 0 {
                    partner_admin = Some(user.id);
                }
                people.push(email);
            }
            sql_query("UPDATE partners SET account_admin_user_id = $1 WHERE id = $2")
                .bind::<diesel::sql_types::Nullable<BigInt>, _>(partner_admin)
                .bind::<BigInt, _>(partner.id)
                .execute(conn)?;
            // The administrator's accepted invitation and its sent email; two pending invitations.
            let invitation: InvitationRow = sql_query(
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
            .bind::<diesel::sql_types::Nullable<BigInt>, _>(partner_admin)
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
                .bind::<diesel::sql_types::Nullable<BigInt>, _>(partner_admin)
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

        // Audit events, each partner's newest a minute ago, a mix of actions whose details the
        // page describes: one statement, so a million rows take seconds, not a loop's minutes.
        // Event g < others is about partner 2 + g % (n - 1); the rest are about the first.
        let others = (BENCH_EVENTS_PER_OTHER_PARTNER * (partner_ids.len() as i64 - 1)).min(size.events / 2);
        let ids: Vec<i64> = partner_ids.iter().map(|(id, _)| id.get()).collect();
        let names: Vec<&str> = partner_ids.iter().map(|(_, name)| name.as_str()).collect();
        sql_query(
            "INSERT INTO audit_events (enterprise_id, partner_id, actor_user_id, actor_label, action, target, details, created_at)
             SELECT $1, ($4::bigint[])[k], $3, 'Bench Admin 01 <admin01@bench.example>',
                    (ARRAY['partner.domain_added', 'partner.product_granted', 'partner.api_environment_granted',
                           'invitation.sent', 'invitation.resent', 'member.role_changed', 'partner.renamed',
                           'partner.logo_changed'])[1 + g % 8],
                    'Partner ' || ($5::text[])[k],
                    jsonb_build_object('domain', 'd' || g || '.example', 'product', 'Payments Hub',
                                       'api', 'Payments API v2', 'environment', 'Production',
                                       'email', 'person' || g || '@example.com', 'from', 'Old name', 'to', ($5::text[])[k]),
                    now() - make_interval(mins => i::int)
               FROM (SELECT g,
                            CASE WHEN g < $6 THEN 2 + g % (cardinality($4::bigint[]) - 1) ELSE 1 END AS k,
                            CASE WHEN g < $6 THEN 1 + g / (cardinality($4::bigint[]) - 1) ELSE 1 + g - $6 END AS i
                       FROM generate_series(0, $2 - 1) AS g) AS e",
        )
        .bind::<BigInt, _>(enterprise.id)
        .bind::<BigInt, _>(size.events)
        .bind::<BigInt, _>(admin_id)
        .bind::<diesel::sql_types::Array<BigInt>, _>(&ids)
        .bind::<diesel::sql_types::Array<Text>, _>(&names)
        .bind::<BigInt, _>(others)
        .execute(conn)?;
        let partner_id = partner_ids
            .first()
            .map(|(id, _)| *id)
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no bench partner was created")))?;
        // One person with two memberships (a Member of partners 01 and 02): the switcher's
        // page, /organisations, is measured as them.
        let multi = users::find_by_email(conn, MULTI_EMAIL)?
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("{MULTI_EMAIL} was not seeded")))?;
        let second = partner_ids.get(1).map(|(id, _)| *id).unwrap_or(partner_id);
        memberships::grant(
            conn,
            &memberships::NewMembership {
                user_id: multi.id,
                enterprise_id: enterprise.id,
                partner_id: Some(second),
                role: UserRole::Member,
            },
        )?;
        Ok(BenchSeed {
            enterprise_id: enterprise.id,
            partner_id,
            admin_email: "admin01@bench.example".to_string(),
            member_email: "member1@partner01.example".to_string(),
            multi_email: MULTI_EMAIL.to_string(),
            users: people,
        })
    })?;
    // Fresh tables have no statistics (the planner guesses badly until they are analysed) and
    // no visibility map (index-only scans visit the heap until a vacuum): as after autovacuum.
    diesel::RunQueryDsl::execute(diesel::sql_query("VACUUM ANALYZE"), conn)?;
    Ok(seed)
}
