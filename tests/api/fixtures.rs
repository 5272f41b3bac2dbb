//! Data put straight into a test's database (the "Arrange" of tests that need partners).

use diesel::prelude::*;
use partner_portal::db::{partners, schema};

/// A partner with its domains; `status` is invited, active or deactivated.
pub fn seed_partner(conn: &mut PgConnection, enterprise_id: i64, name: &str, domains: &[&str], status: &str) -> i64 {
    use schema::partners::dsl as p;
    let deactivated_at = (status == partners::STATUS_DEACTIVATED).then(chrono::Utc::now);
    let id: i64 = diesel::insert_into(p::partners)
        .values((
            p::enterprise_id.eq(enterprise_id),
            p::name.eq(name),
            p::status.eq(status),
            p::deactivated_at.eq(deactivated_at),
        ))
        .returning(p::id)
        .get_result(conn)
        .unwrap();
    for d in domains {
        use schema::partner_domains::dsl as d_;
        diesel::insert_into(d_::partner_domains)
            .values((
                d_::partner_id.eq(id),
                d_::enterprise_id.eq(enterprise_id),
                d_::domain.eq(*d),
                d_::active.eq(status != partners::STATUS_DEACTIVATED),
            ))
            .execute(conn)
            .unwrap();
    }
    id
}

/// `n` partners named "Partner 1"… with domains partner1.example…
pub fn seed_partners(conn: &mut PgConnection, enterprise_id: i64, n: usize) -> Vec<i64> {
    (1..=n)
        .map(|i| seed_partner(conn, enterprise_id, &format!("Partner {i}"), &[&format!("partner{i}.example")], "invited"))
        .collect()
}

pub fn partner_count(conn: &mut PgConnection, enterprise_id: i64) -> i64 {
    use schema::partners::dsl as p;
    p::partners.filter(p::enterprise_id.eq(enterprise_id)).count().get_result(conn).unwrap()
}

/// A draft with every step filled in, as if the admin had reached Review.
pub fn seed_complete_draft(conn: &mut PgConnection, enterprise_id: i64, user_id: i64, name: &str, domain: &str) -> i64 {
    use schema::partner_drafts::dsl as d;
    diesel::insert_into(d::partner_drafts)
        .values((
            d::enterprise_id.eq(enterprise_id),
            d::created_by.eq(user_id),
            d::name.eq(name),
            d::domains.eq(vec![domain.to_string()]),
            d::admin_first_name.eq("Ana"),
            d::admin_surname.eq("Lima"),
            d::admin_email.eq(format!("ana@{domain}")),
        ))
        .returning(d::id)
        .get_result(conn)
        .unwrap()
}

/// A pending invitation (expiring in a week) to `email` for the partner.
pub fn seed_invitation(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64, email: &str, for_account_admin: bool) -> i64 {
    use schema::invitations::dsl as i;
    diesel::insert_into(i::invitations)
        .values((
            i::enterprise_id.eq(enterprise_id),
            i::partner_id.eq(partner_id),
            i::email.eq(email),
            i::first_name.eq("Ana"),
            i::surname.eq("Lima"),
            i::role.eq("admin"),
            i::for_account_admin.eq(for_account_admin),
            i::token_hash.eq(uuid::Uuid::new_v4().as_bytes().to_vec()),
            i::expires_at.eq(chrono::Utc::now() + chrono::Duration::days(7)),
        ))
        .returning(i::id)
        .get_result(conn)
        .unwrap()
}

/// A user of the partner with `role` (admin or member) and the test password.
pub fn seed_partner_user(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64, email: &str, role: &str) -> i64 {
    let hash = partner_portal::auth::password::hash_sync(crate::helpers::PASSWORD).unwrap();
    partner_portal::db::users::insert(
        conn,
        &partner_portal::db::users::NewUser {
            enterprise_id,
            partner_id: Some(partner_id),
            role,
            email,
            first_name: "Paula",
            surname: "Partner",
            password_hash: Some(&hash),
        },
    )
    .unwrap()
    .id
}

pub fn partner_name(conn: &mut PgConnection, partner_id: i64) -> String {
    use schema::partners::dsl as p;
    p::partners.find(partner_id).select(p::name).first(conn).unwrap()
}

/// The partner's domains, sorted.
pub fn domains_of(conn: &mut PgConnection, partner_id: i64) -> Vec<String> {
    use schema::partner_domains::dsl as d;
    d::partner_domains.filter(d::partner_id.eq(partner_id)).order(d::domain.asc()).select(d::domain).load(conn).unwrap()
}

pub fn domain_id(conn: &mut PgConnection, partner_id: i64, domain: &str) -> i64 {
    use schema::partner_domains::dsl as d;
    d::partner_domains
        .filter(d::partner_id.eq(partner_id))
        .filter(d::domain.eq(domain))
        .select(d::id)
        .first(conn)
        .unwrap()
}

pub fn logo_of(conn: &mut PgConnection, partner_id: i64) -> Option<Vec<u8>> {
    use schema::partner_logos::dsl as l;
    l::partner_logos.find(partner_id).select(l::bytes).first(conn).optional().unwrap()
}

pub fn audit_actions(conn: &mut PgConnection, partner_id: i64) -> Vec<String> {
    use schema::audit_events::dsl as a;
    a::audit_events.filter(a::partner_id.eq(partner_id)).order(a::id.asc()).select(a::action).load(conn).unwrap()
}

/// An invitation whose token the test knows (as if read from the email). Returns the token.
pub fn plant_invitation(
    conn: &mut PgConnection,
    enterprise_id: i64,
    partner_id: i64,
    email: &str,
    role: &str,
    for_account_admin: bool,
    expires_in: chrono::Duration,
) -> String {
    use schema::invitations::dsl as i;
    let token = partner_portal::auth::tokens::random_token();
    diesel::insert_into(i::invitations)
        .values((
            i::enterprise_id.eq(enterprise_id),
            i::partner_id.eq(partner_id),
            i::email.eq(email),
            i::first_name.eq("Ivy"),
            i::surname.eq("Invitee"),
            i::role.eq(role),
            i::for_account_admin.eq(for_account_admin),
            i::token_hash.eq(partner_portal::auth::tokens::token_hash(&token)),
            i::expires_at.eq(chrono::Utc::now() + expires_in),
        ))
        .execute(conn)
        .unwrap();
    token
}

/// A partner user who can log in with `crate::helpers::PASSWORD`.
pub fn seed_login_user(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64, email: &str, role: &str) -> i64 {
    let hash = partner_portal::auth::password::hash_sync(crate::helpers::PASSWORD).unwrap();
    partner_portal::db::users::insert(
        conn,
        &partner_portal::db::users::NewUser {
            enterprise_id,
            partner_id: Some(partner_id),
            role,
            email,
            first_name: "Pat",
            surname: "Partner",
            password_hash: Some(&hash),
        },
    )
    .unwrap()
    .id
}

/// A partner user with a name of their own, who can log in with `crate::helpers::PASSWORD`.
pub fn seed_named_user(
    conn: &mut PgConnection,
    enterprise_id: i64,
    partner_id: i64,
    email: &str,
    role: &str,
    (first_name, surname): (&str, &str),
) -> i64 {
    let hash = partner_portal::auth::password::hash_sync(crate::helpers::PASSWORD).unwrap();
    partner_portal::db::users::insert(
        conn,
        &partner_portal::db::users::NewUser {
            enterprise_id,
            partner_id: Some(partner_id),
            role,
            email,
            first_name,
            surname,
            password_hash: Some(&hash),
        },
    )
    .unwrap()
    .id
}
