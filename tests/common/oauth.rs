//! Applications, client credentials and gateway credentials put straight into the database
//! (through the portal's own `db` functions and key), and the two OAuth calls a client and a
//! gateway make (tests/api/oauth.rs, tests/api/gateway.rs).

use base64::Engine as _;
use partner_portal::{
    auth::credentials::{self, ClientKind},
    db::{applications, oauth},
    domain::{ApplicationId, CredentialId, EnterpriseId, EnvironmentId, PartnerId, UserId},
};
use serde_json::Value;

use super::helpers::TestApp;

/// A client id and its secret, as shown once.
#[derive(Clone, Debug)]
pub struct Client {
    pub client_id: String,
    pub secret: String,
}

impl Client {
    /// `Authorization: Basic …` for these credentials (RFC 6749 §2.3.1 form-encoding is a
    /// no-op for the portal's ids and secrets).
    pub fn basic(&self) -> String {
        let raw = format!("{}:{}", self.client_id, self.secret);
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
    }
}

pub fn key(app: &TestApp) -> Vec<u8> {
    app.settings.oauth.credential_key.expose().clone()
}

pub fn seed_application(
    app: &TestApp,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    name: &str,
    by: UserId,
) -> ApplicationId {
    let mut conn = app.db.connect();
    applications::create(&mut conn, enterprise_id, partner_id, name, by).unwrap()
}

/// Live credentials of the application in the environment.
pub fn seed_credentials(
    app: &TestApp,
    enterprise_id: EnterpriseId,
    application_id: ApplicationId,
    environment_id: i64,
    by: UserId,
) -> (CredentialId, Client) {
    let mut conn = app.db.connect();
    let client_id = credentials::new_client_id(ClientKind::Application, enterprise_id);
    let secret = credentials::new_secret();
    let hash = credentials::hash(&key(app), &secret);
    let id = applications::create_credential(
        &mut conn,
        enterprise_id,
        application_id,
        EnvironmentId::new(environment_id),
        &client_id,
        &applications::NewSecret { hash: &hash, hint: &credentials::hint(&secret) },
        by,
    )
    .unwrap()
    .expect("no live credentials there yet");
    (id, Client { client_id, secret })
}

pub fn seed_gateway(app: &TestApp, enterprise_id: EnterpriseId, by: UserId) -> Client {
    let mut conn = app.db.connect();
    let client_id = credentials::new_client_id(ClientKind::Gateway, enterprise_id);
    let secret = credentials::new_secret();
    let hash = credentials::hash(&key(app), &secret);
    oauth::create_gateway_credential(
        &mut conn,
        &oauth::NewGatewayCredential {
            enterprise_id,
            name: "Test gateway",
            client_id: &client_id,
            hash: &hash,
            hint: &credentials::hint(&secret),
            by,
        },
    )
    .unwrap();
    Client { client_id, secret }
}

/// `POST /oauth/token` with `client_secret_basic` and these extra parameters; the status and
/// the JSON answer.
pub async fn request_token(app: &TestApp, client: &Client, params: &[(&str, &str)]) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(params);
    let res = reqwest::Client::new()
        .post(format!("{}/oauth/token", app.address))
        .header("Authorization", client.basic())
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

/// A token for the client (asserting that it was issued).
pub async fn token(app: &TestApp, client: &Client) -> String {
    let (status, body) = request_token(app, client, &[]).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_string()
}

/// `POST /oauth/introspect` as the gateway; the status and the JSON answer.
pub async fn introspect(app: &TestApp, gateway: &Client, token: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/oauth/introspect", app.address))
        .header("Authorization", gateway.basic())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null))
}

/// Whether introspection answers `active: true` for the token.
pub async fn is_active(app: &TestApp, gateway: &Client, token: &str) -> bool {
    let (status, body) = introspect(app, gateway, token).await;
    assert_eq!(status, 200, "{body}");
    body["active"].as_bool().unwrap()
}

/// Globex, active, with Ada Admin as its account administrator: the partner the OAuth tests
/// (tests/api/oauth.rs, gateway.rs, gateway_credentials.rs) work with.
pub fn globex() -> super::fixtures::PartnerFixture {
    super::fixtures::PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(super::fixtures::UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
}

/// What [`seed_billing_sync`] made.
pub struct BillingSync {
    pub ids: super::fixtures::CatalogIds,
    /// Credentials in Production (API One and API Three granted there) ...
    pub production: Client,
    pub production_id: CredentialId,
    /// ... and in Development (API One).
    pub development: Client,
    /// A gateway credential of the app's enterprise.
    pub gateway: Client,
}

/// The small catalog; the app's first partner granted API One and API Three in Production and
/// API One in Development; its application "Billing sync" with credentials in both; a gateway.
pub fn seed_billing_sync(app: &TestApp) -> BillingSync {
    let (enterprise_id, partner_id, admin) = (app.enterprise_id(), app.partner_id(), app.admin_id());
    let ids = {
        let mut conn = app.conn();
        let ids = super::fixtures::seed_catalog(&mut conn, enterprise_id);
        super::fixtures::grant_api(&mut conn, partner_id, ids.apis[0], ids.environments[2]);
        super::fixtures::grant_api(&mut conn, partner_id, ids.apis[2], ids.environments[2]);
        super::fixtures::grant_api(&mut conn, partner_id, ids.apis[0], ids.environments[0]);
        ids
    };
    let application = seed_application(app, enterprise_id, partner_id, "Billing sync", admin);
    let (production_id, production) = seed_credentials(app, enterprise_id, application, ids.environments[2], admin);
    let (_, development) = seed_credentials(app, enterprise_id, application, ids.environments[0], admin);
    let gateway = seed_gateway(app, enterprise_id, admin);
    BillingSync { ids, production, production_id, development, gateway }
}
