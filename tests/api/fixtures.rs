//! Data put straight into a test's database (the "Arrange" of tests that need partners).

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{PartnerStatus, UserRole};

/// A partner with its domains; `status` is invited, active or deactivated.
pub fn seed_partner(conn: &mut PgConnection, enterprise_id: i64, name: &str, domains: &[&str], status: &str) -> i64 {
    use schema::partners::dsl as p;
    let status: PartnerStatus = status.parse().unwrap();
    let deactivated_at = (status == PartnerStatus::Deactivated).then(chrono::Utc::now);
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
                d_::active.eq(status != PartnerStatus::Deactivated),
            ))
            .execute(conn)
            .unwrap();
    }
    id
}

/// `n` partners named "Partner 1"… with domains partner1.example…
pub fn seed_partners(conn: &mut PgConnection, enterprise_id: i64, n: usize) -> Vec<i64> {
    (1..=n)
        .map(|i| {
            seed_partner(conn, enterprise_id, &format!("Partner {i}"), &[&format!("partner{i}.example")], "invited")
        })
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
pub fn seed_invitation(
    conn: &mut PgConnection,
    enterprise_id: i64,
    partner_id: i64,
    email: &str,
    for_account_admin: bool,
) -> i64 {
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
            role: role.parse::<UserRole>().unwrap(),
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
            role: role.parse::<UserRole>().unwrap(),
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
            role: role.parse::<UserRole>().unwrap(),
            email,
            first_name,
            surname,
            password_hash: Some(&hash),
        },
    )
    .unwrap()
    .id
}

/// The ids of a small catalog made by [`seed_catalog`], in creation order.
pub struct CatalogIds {
    pub products: Vec<i64>,
    pub apis: Vec<i64>,
    pub environments: Vec<i64>,
}

/// A small catalog for the enterprise: environments Development, Staging, Production
/// (positions 1, 2, 3); products "Product One/Two/Three"; APIs "API One/Two/Three", the
/// first two offered in every environment, the third only in Production.
pub fn seed_catalog(conn: &mut PgConnection, enterprise_id: i64) -> CatalogIds {
    use schema::{api_environments::dsl as ae, apis::dsl as a, environments::dsl as e, products::dsl as p};
    let environments: Vec<i64> = ["Development", "Staging", "Production"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            diesel::insert_into(e::environments)
                .values((e::enterprise_id.eq(enterprise_id), e::name.eq(*name), e::position.eq(i as i32 + 1)))
                .returning(e::id)
                .get_result(conn)
                .unwrap()
        })
        .collect();
    let products: Vec<i64> = ["One", "Two", "Three"]
        .iter()
        .map(|n| {
            diesel::insert_into(p::products)
                .values((
                    p::enterprise_id.eq(enterprise_id),
                    p::name.eq(format!("Product {n}")),
                    p::description.eq(format!("The {n} product.")),
                ))
                .returning(p::id)
                .get_result(conn)
                .unwrap()
        })
        .collect();
    let apis: Vec<i64> = ["One", "Two", "Three"]
        .iter()
        .map(|n| {
            diesel::insert_into(a::apis)
                .values((
                    a::enterprise_id.eq(enterprise_id),
                    a::name.eq(format!("API {n}")),
                    a::description.eq(format!("The {n} API.")),
                    a::base_path.eq(format!("/{}/v1", n.to_lowercase())),
                ))
                .returning(a::id)
                .get_result(conn)
                .unwrap()
        })
        .collect();
    for (i, api) in apis.iter().enumerate() {
        let offered: &[i64] = if i == apis.len() - 1 { &environments[2..] } else { &environments };
        for env in offered {
            diesel::insert_into(ae::api_environments)
                .values((ae::api_id.eq(*api), ae::environment_id.eq(*env)))
                .execute(conn)
                .unwrap();
        }
    }
    CatalogIds { products, apis, environments }
}

/// Grants the product to the partner, as a row straight in the database.
pub fn grant_product(conn: &mut PgConnection, partner_id: i64, product_id: i64) {
    use schema::partner_products::dsl as pp;
    diesel::insert_into(pp::partner_products)
        .values((pp::partner_id.eq(partner_id), pp::product_id.eq(product_id)))
        .execute(conn)
        .unwrap();
}

/// Grants the API in the environment to the partner, as a row straight in the database.
pub fn grant_api(conn: &mut PgConnection, partner_id: i64, api_id: i64, environment_id: i64) {
    use schema::partner_api_environments::dsl as pae;
    diesel::insert_into(pae::partner_api_environments)
        .values((pae::partner_id.eq(partner_id), pae::api_id.eq(api_id), pae::environment_id.eq(environment_id)))
        .execute(conn)
        .unwrap();
}
