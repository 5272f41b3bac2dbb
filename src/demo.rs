//! Demo partners for a first look (`seed-demo`): an active partner with people and grants, one
//! still waiting for its administrator, and another active one (whose Identity API Globex can
//! request). Only when there are none yet.

use crate::domain::{EnterpriseId, PartnerId, UserId};
use chrono::Utc;
use diesel::prelude::*;

use crate::{
    auth::tokens,
    db::{audit, invitations, memberships, organisations, partners, schema},
    domain::{sample_png, AuditAction, PartnerStatus, UserRole},
    error::AppError,
};

pub const DEMO_PARTNER_ADMIN: &str = "ana@globex.example";
pub const DEMO_PARTNER_MEMBER: &str = "mo@globex.example";

struct DemoPerson {
    email: &'static str,
    first: &'static str,
    surname: &'static str,
    role: UserRole,
}

fn insert_user(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    p: &DemoPerson,
    hash: &str,
) -> QueryResult<UserId> {
    use schema::users::dsl as u;
    let id = diesel::insert_into(u::users)
        .values((u::email.eq(p.email), u::first_name.eq(p.first), u::surname.eq(p.surname), u::password_hash.eq(hash)))
        .returning(u::id)
        .get_result(conn)?;
    memberships::grant(
        conn,
        &memberships::NewMembership { user_id: id, enterprise_id, partner_id: Some(partner_id), role: p.role },
    )?;
    Ok(id)
}

fn insert_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    admin_id: UserId,
    name: &str,
    domains: &[&str],
    status: PartnerStatus,
) -> QueryResult<PartnerId> {
    use schema::partners::dsl as p;
    let organisation = organisations::create(conn, name)?;
    let id = diesel::insert_into(p::partners)
        .values((
            p::organisation_id.eq(organisation.id),
            p::enterprise_id.eq(enterprise_id),
            p::name.eq(name),
            p::status.eq(status),
            p::created_by.eq(admin_id),
        ))
        .returning(p::id)
        .get_result(conn)?;
    for d in domains {
        partners::add_domain(conn, enterprise_id, id, d)?;
    }
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id,
            partner_id: Some(id),
            actor_user_id: Some(admin_id),
            actor_label: "Ada Admin <admin@acme.example>",
            actor_membership: "",
            action: AuditAction::PartnerRegistered,
            target: &format!("Partner {name}"),
            details: serde_json::json!({ "domains": domains, "demo": true }),
        },
    )?;
    Ok(id)
}

/// Ids of catalog items by name (the demo catalog is seeded just before).
fn product_id(conn: &mut PgConnection, enterprise_id: EnterpriseId, name: &str) -> QueryResult<Option<i64>> {
    use schema::products::dsl as p;
    p::products.filter(p::enterprise_id.eq(enterprise_id)).filter(p::name.eq(name)).select(p::id).first(conn).optional()
}

fn api_grants(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    enterprise_id: EnterpriseId,
    api: &str,
    environments: &[&str],
) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO partner_api_environments (partner_id, api_id, environment_id)
         SELECT $1, ae.api_id, ae.environment_id
           FROM api_environments ae
           JOIN apis a ON a.id = ae.api_id
           JOIN environments e ON e.id = ae.environment_id
          WHERE a.enterprise_id = $2 AND a.name = $3 AND e.name = ANY($4)
         ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::BigInt, _>(partner_id)
    .bind::<diesel::sql_types::BigInt, _>(enterprise_id)
    .bind::<diesel::sql_types::Text, _>(api)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(environments)
    .execute(conn)
    .map(|_| ())
}

/// Seeds the demo partners unless the enterprise already has partners.
pub fn seed_partners(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    admin_id: UserId,
    hash: &str,
) -> Result<(), AppError> {
    if partners::count_toward_limit(conn, enterprise_id)? > 0 {
        return Ok(());
    }
    let globex = insert_partner(
        conn,
        enterprise_id,
        admin_id,
        "Globex Corporation",
        &["globex.example"],
        PartnerStatus::Active,
    )?;
    let logo = sample_png(64, 64);
    partners::set_logo(conn, globex, "image/png", &logo, 64, 64)?;
    let ana = insert_user(
        conn,
        enterprise_id,
        globex,
        &DemoPerson { email: DEMO_PARTNER_ADMIN, first: "Ana", surname: "Lima", role: UserRole::Admin },
        hash,
    )?;
    insert_user(
        conn,
        enterprise_id,
        globex,
        &DemoPerson { email: DEMO_PARTNER_MEMBER, first: "Mo", surname: "Okafor", role: UserRole::Member },
        hash,
    )?;
    partners::set_account_admin(conn, globex, ana)?;
    for product in ["Payments Hub", "Fraud Shield"] {
        if let Some(pid) = product_id(conn, enterprise_id, product)? {
            use schema::partner_products::dsl as pp;
            diesel::insert_into(pp::partner_products)
                .values((pp::partner_id.eq(globex), pp::product_id.eq(pid), pp::granted_by.eq(admin_id)))
                .on_conflict_do_nothing()
                .execute(conn)?;
        }
    }
    api_grants(conn, globex, enterprise_id, "Payments API v2", &["Development", "Staging", "Production"])?;
    api_grants(conn, globex, enterprise_id, "Accounts API", &["Production"])?;

    let initech =
        insert_partner(conn, enterprise_id, admin_id, "Initech", &["initech.example"], PartnerStatus::Invited)?;
    let token = tokens::random_token();
    invitations::insert(
        conn,
        &invitations::NewInvitation {
            enterprise_id,
            partner_id: Some(initech),
            email: "peter@initech.example",
            first_name: "Peter",
            surname: "Gibbons",
            role: UserRole::Admin,
            for_account_admin: true,
            token_hash: &tokens::token_hash(&token),
            invited_by: Some(admin_id),
            expires_at: Utc::now() + chrono::Duration::days(7),
            note: None,
        },
    )?;

    let umbrella = insert_partner(
        conn,
        enterprise_id,
        admin_id,
        "Umbrella Health",
        &["umbrella.example", "umbrella-health.example"],
        PartnerStatus::Active,
    )?;
    let alice = insert_user(
        conn,
        enterprise_id,
        umbrella,
        &DemoPerson { email: "alice@umbrella.example", first: "Alice", surname: "Abernathy", role: UserRole::Admin },
        hash,
    )?;
    partners::set_account_admin(conn, umbrella, alice)?;
    api_grants(conn, umbrella, enterprise_id, "Identity API", &["Staging", "Production"])?;
    // Something for Globex's Admin to ask for under Request access (SPEC §15).
    diesel::sql_query(
        "UPDATE apis SET requestable = true, request_questions = ARRAY['What will you build with it?']
          WHERE enterprise_id = $1 AND name = 'Identity API'",
    )
    .bind::<diesel::sql_types::BigInt, _>(enterprise_id)
    .execute(conn)?;
    Ok(())
}
