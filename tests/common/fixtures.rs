//! Data put straight into a test's database (the "Arrange" of tests that need partners):
//! builders such as `PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app)`,
//! and small readers of what the portal wrote.

use diesel::prelude::*;
use partner_portal::db::{partners, schema};
use partner_portal::domain::{DomainId, DraftId, EnterpriseId, InvitationId, PartnerId, UserId};
use partner_portal::domain::{PartnerStatus, UserRole};

use super::helpers::{TestApp, PASSWORD};

/// A partner to create: `PartnerFixture::new("Globex").domains(["globex.com"]).active()
/// .account_admin(UserFixture::admin("ada@globex.com").named("Ada", "Admin")).create(&app)`.
/// By default invited, without domains or people, in the app's enterprise.
#[derive(Clone, Debug)]
pub struct PartnerFixture {
    name: String,
    domains: Vec<String>,
    status: String,
    enterprise_id: Option<EnterpriseId>,
    users: Vec<UserFixture>,
    /// Index in `users` of the account administrator.
    account_admin: Option<usize>,
}

/// A partner made by [`PartnerFixture::create`]: its id and its people's ids, in order.
#[derive(Clone, Debug)]
pub struct Partner {
    pub id: PartnerId,
    pub users: Vec<UserId>,
    pub account_admin: Option<UserId>,
}

impl PartnerFixture {
    pub fn new(name: &str) -> Self {
        PartnerFixture {
            name: name.to_string(),
            domains: Vec::new(),
            status: PartnerStatus::Invited.as_str().to_string(),
            enterprise_id: None,
            users: Vec::new(),
            account_admin: None,
        }
    }

    pub fn domains<S: Into<String>>(mut self, domains: impl IntoIterator<Item = S>) -> Self {
        self.domains.extend(domains.into_iter().map(Into::into));
        self
    }

    /// invited (the default), active or deactivated (its domains then inactive).
    pub fn status(mut self, status: &str) -> Self {
        self.status = status.to_string();
        self
    }

    pub fn active(self) -> Self {
        self.status(PartnerStatus::Active.as_str())
    }

    pub fn deactivated(self) -> Self {
        self.status(PartnerStatus::Deactivated.as_str())
    }

    /// In this enterprise rather than the app's.
    pub fn enterprise(mut self, enterprise_id: EnterpriseId) -> Self {
        self.enterprise_id = Some(enterprise_id);
        self
    }

    /// A person of the partner (see [`UserFixture`]).
    pub fn user(mut self, user: UserFixture) -> Self {
        self.users.push(user);
        self
    }

    /// The partner's account administrator (made an Admin).
    pub fn account_admin(mut self, user: UserFixture) -> Self {
        self.account_admin = Some(self.users.len());
        self.users.push(user.role("admin"));
        self
    }

    pub fn account_admin_email(&self) -> Option<String> {
        self.account_admin.map(|i| self.users[i].email.clone())
    }

    pub fn create(self, app: &TestApp) -> Partner {
        let enterprise_id = self.enterprise_id.unwrap_or_else(|| app.enterprise_id());
        self.create_in(&mut app.conn(), enterprise_id)
    }

    pub fn create_in(self, conn: &mut PgConnection, enterprise_id: EnterpriseId) -> Partner {
        let enterprise_id = self.enterprise_id.unwrap_or(enterprise_id);
        let id = insert_partner(conn, enterprise_id, &self.name, &self.domains, &self.status);
        let users: Vec<UserId> = self.users.iter().map(|u| u.insert(conn, enterprise_id, id)).collect();
        let account_admin = self.account_admin.map(|i| users[i]);
        if let Some(admin) = account_admin {
            partners::set_account_admin(conn, id, admin).unwrap();
        }
        Partner { id, users, account_admin }
    }
}

/// A partner's person who can log in with `PASSWORD`: `UserFixture::member("mia@globex.com")
/// .named("Mia", "Member").create(&app, partner_id)`. Named Pat Partner by default.
#[derive(Clone, Debug)]
pub struct UserFixture {
    email: String,
    role: String,
    name: (String, String),
}

impl UserFixture {
    pub fn new(email: &str, role: &str) -> Self {
        UserFixture { email: email.to_string(), role: role.to_string(), name: ("Pat".into(), "Partner".into()) }
    }

    pub fn member(email: &str) -> Self {
        Self::new(email, "member")
    }

    pub fn admin(email: &str) -> Self {
        Self::new(email, "admin")
    }

    pub fn role(mut self, role: &str) -> Self {
        self.role = role.to_string();
        self
    }

    pub fn named(mut self, first_name: &str, surname: &str) -> Self {
        self.name = (first_name.to_string(), surname.to_string());
        self
    }

    /// Creates the person in the partner (of whichever enterprise); returns the user id.
    pub fn create(self, app: &TestApp, partner_id: PartnerId) -> UserId {
        let mut conn = app.conn();
        let enterprise_id = enterprise_of(&mut conn, partner_id);
        self.insert(&mut conn, enterprise_id, partner_id)
    }

    fn insert(&self, conn: &mut PgConnection, enterprise_id: EnterpriseId, partner_id: PartnerId) -> UserId {
        let hash = partner_portal::auth::password::hash_sync(PASSWORD).unwrap();
        super::helpers::member_of(
            conn,
            &self.email,
            (&self.name.0, &self.name.1),
            &hash,
            enterprise_id,
            Some(partner_id),
            UserRole::from_stored(&self.role).unwrap(),
        )
    }
}

/// A pending invitation: `InvitationFixture::new(partner_id, "ivy@globex.com").role("member")
/// .create(&app)`. By default for an Admin (not the account administrator), to Ana Lima,
/// expiring in a week.
#[derive(Clone, Debug)]
pub struct InvitationFixture {
    partner_id: PartnerId,
    email: String,
    role: String,
    name: (String, String),
    for_account_admin: bool,
    expires_in: chrono::Duration,
}

/// A created invitation and the token of its link (as if read from the email).
#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: InvitationId,
    pub token: String,
}

impl InvitationFixture {
    pub fn new(partner_id: PartnerId, email: &str) -> Self {
        InvitationFixture {
            partner_id,
            email: email.to_string(),
            role: "admin".to_string(),
            name: ("Ana".into(), "Lima".into()),
            for_account_admin: false,
            expires_in: chrono::Duration::days(7),
        }
    }

    pub fn role(mut self, role: &str) -> Self {
        self.role = role.to_string();
        self
    }

    pub fn named(mut self, first_name: &str, surname: &str) -> Self {
        self.name = (first_name.to_string(), surname.to_string());
        self
    }

    /// The invitation of the partner's (next) account administrator.
    pub fn for_account_admin(mut self, yes: bool) -> Self {
        self.for_account_admin = yes;
        self
    }

    /// Expires this long from now (negative: already expired).
    pub fn expires_in(mut self, d: chrono::Duration) -> Self {
        self.expires_in = d;
        self
    }

    pub fn create(self, app: &TestApp) -> Invitation {
        self.create_in(&mut app.conn())
    }

    pub fn create_in(self, conn: &mut PgConnection) -> Invitation {
        use schema::invitations::dsl as i;
        let enterprise_id = enterprise_of(conn, self.partner_id);
        let token = partner_portal::auth::tokens::random_token();
        let id = diesel::insert_into(i::invitations)
            .values((
                i::enterprise_id.eq(enterprise_id),
                i::partner_id.eq(self.partner_id),
                i::email.eq(&self.email),
                i::first_name.eq(&self.name.0),
                i::surname.eq(&self.name.1),
                i::role.eq(&self.role),
                i::for_account_admin.eq(self.for_account_admin),
                i::token_hash.eq(partner_portal::auth::tokens::token_hash(&token)),
                i::expires_at.eq(chrono::Utc::now() + self.expires_in),
            ))
            .returning(i::id)
            .get_result(conn)
            .unwrap();
        Invitation { id, token }
    }
}

fn enterprise_of(conn: &mut PgConnection, partner_id: PartnerId) -> EnterpriseId {
    use schema::partners::dsl as p;
    p::partners.find(partner_id).select(p::enterprise_id).first(conn).unwrap()
}

fn insert_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    name: &str,
    domains: &[String],
    status: &str,
) -> PartnerId {
    use schema::partners::dsl as p;
    let deactivated_at = (status == PartnerStatus::Deactivated.as_str()).then(chrono::Utc::now);
    let organisation = partner_portal::db::organisations::create(conn, name).unwrap();
    let id: PartnerId = diesel::insert_into(p::partners)
        .values((
            p::organisation_id.eq(organisation.id),
            p::enterprise_id.eq(enterprise_id),
            p::name.eq(name),
            p::status.eq(PartnerStatus::from_stored(status).unwrap()),
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
                d_::domain.eq(d),
                d_::active.eq(status != PartnerStatus::Deactivated.as_str()),
            ))
            .execute(conn)
            .unwrap();
    }
    id
}

/// `n` partners named "Partner 1"… with domains partner1.example…
pub fn seed_partners(conn: &mut PgConnection, enterprise_id: EnterpriseId, n: usize) -> Vec<PartnerId> {
    (1..=n)
        .map(|i| {
            let partner = PartnerFixture::new(&format!("Partner {i}")).domains([format!("partner{i}.example")]);
            partner.create_in(conn, enterprise_id).id
        })
        .collect()
}

pub fn partner_count(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> i64 {
    use schema::partners::dsl as p;
    p::partners.filter(p::enterprise_id.eq(enterprise_id)).count().get_result(conn).unwrap()
}

/// A draft with every step filled in, as if the admin had reached Review.
pub fn seed_complete_draft(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    user_id: UserId,
    name: &str,
    domain: &str,
) -> DraftId {
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

pub fn partner_name(conn: &mut PgConnection, partner_id: PartnerId) -> String {
    use schema::partners::dsl as p;
    p::partners.find(partner_id).select(p::name).first(conn).unwrap()
}

/// The partner's domains, sorted.
pub fn domains_of(conn: &mut PgConnection, partner_id: PartnerId) -> Vec<String> {
    use schema::partner_domains::dsl as d;
    d::partner_domains.filter(d::partner_id.eq(partner_id)).order(d::domain.asc()).select(d::domain).load(conn).unwrap()
}

pub fn domain_id(conn: &mut PgConnection, partner_id: PartnerId, domain: &str) -> DomainId {
    use schema::partner_domains::dsl as d;
    d::partner_domains
        .filter(d::partner_id.eq(partner_id))
        .filter(d::domain.eq(domain))
        .select(d::id)
        .first(conn)
        .unwrap()
}

pub fn logo_of(conn: &mut PgConnection, partner_id: PartnerId) -> Option<Vec<u8>> {
    use schema::partner_logos::dsl as l;
    l::partner_logos.find(partner_id).select(l::bytes).first(conn).optional().unwrap()
}

pub fn audit_actions(conn: &mut PgConnection, partner_id: PartnerId) -> Vec<String> {
    use schema::audit_events::dsl as a;
    a::audit_events.filter(a::partner_id.eq(partner_id)).order(a::id.asc()).select(a::action).load(conn).unwrap()
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
pub fn seed_catalog(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> CatalogIds {
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
pub fn grant_product(conn: &mut PgConnection, partner_id: PartnerId, product_id: i64) {
    use schema::partner_products::dsl as pp;
    diesel::insert_into(pp::partner_products)
        .values((pp::partner_id.eq(partner_id), pp::product_id.eq(product_id)))
        .execute(conn)
        .unwrap();
}

/// Grants the API in the environment to the partner, as a row straight in the database.
pub fn grant_api(conn: &mut PgConnection, partner_id: PartnerId, api_id: i64, environment_id: i64) {
    use schema::partner_api_environments::dsl as pae;
    diesel::insert_into(pae::partner_api_environments)
        .values((pae::partner_id.eq(partner_id), pae::api_id.eq(api_id), pae::environment_id.eq(environment_id)))
        .execute(conn)
        .unwrap();
}
