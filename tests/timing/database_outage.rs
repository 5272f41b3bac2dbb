//! The database going away and coming back: 503 pages quickly, then recovery by itself.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::{
    helpers::{location, TestApp, TestDatabase, PASSWORD},
    proxy::{target_of, DbProxy},
};

async fn wait_for(app: &TestApp, path: &str, want: StatusCode, within: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if app.get(path).await.status() == want {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

#[tokio::test]
async fn while_the_database_is_down_pages_answer_503_quickly_and_then_recover() {
    let db = TestDatabase::create();
    let proxy = DbProxy::start(target_of(&db.url)).await;
    let url = proxy.url_for(&db.url);
    let app = TestApp::spawn().on(db).database_url(url).env("DATABASE_CONNECT_TIMEOUT_SECS", "1").await;
    app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    app.login("erin@acme.example", PASSWORD).await;
    assert_eq!(app.get("/settings/partners").await.status(), StatusCode::OK);

    proxy.down();
    let started = Instant::now();
    let r = app.get("/settings/partners").await;
    let took = started.elapsed();

    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < Duration::from_secs(5), "a 503 must come quickly, took {took:?}");
    assert!(r.text().await.unwrap().contains("temporarily unavailable"));
    assert_eq!(app.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/login").await.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.up();
    assert!(wait_for(&app, "/readyz", StatusCode::OK, Duration::from_secs(10)).await, "recovers by itself");
    assert!(
        wait_for(&app, "/settings/partners", StatusCode::OK, Duration::from_secs(10)).await,
        "the same session works again"
    );
}

#[tokio::test]
async fn a_portal_started_while_the_database_is_down_serves_once_it_returns() {
    let db = TestDatabase::create();
    let proxy = DbProxy::start(target_of(&db.url)).await;
    proxy.down();
    let url = proxy.url_for(&db.url);
    let app = TestApp::spawn().on(db).database_url(url).env("DATABASE_CONNECT_TIMEOUT_SECS", "1").await;

    assert_eq!(app.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    // The login form needs no database (its CSRF token travels in the visitor's cookie);
    // logging in does, and says so.
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
    let r = app.login("erin@acme.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().await.unwrap().contains("temporarily unavailable"));

    proxy.up();
    assert!(wait_for(&app, "/readyz", StatusCode::OK, Duration::from_secs(15)).await);
    app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    assert_eq!(location(&app.login("erin@acme.example", PASSWORD).await), "/settings/partners");
}

#[tokio::test]
async fn while_the_database_is_down_the_oauth_endpoints_answer_503_json_and_then_recover() {
    use crate::{
        fixtures::{grant_api, seed_catalog, PartnerFixture, UserFixture},
        oauth::{introspect, request_token, seed_application, seed_credentials, seed_gateway},
    };
    let db = TestDatabase::create();
    let proxy = DbProxy::start(target_of(&db.url)).await;
    let url = proxy.url_for(&db.url);
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example"));
    let app =
        TestApp::spawn().on(db).database_url(url).env("DATABASE_CONNECT_TIMEOUT_SECS", "1").with_partner(globex).await;
    let (enterprise, partner, admin) = (app.enterprise_id(), app.partner_id(), app.admin_id());
    let ids = seed_catalog(&mut app.conn(), enterprise);
    grant_api(&mut app.conn(), partner, ids.apis[0], ids.environments[0]);
    let application = seed_application(&app, enterprise, partner, "Sync", admin);
    let (_, client) = seed_credentials(&app, enterprise, application, ids.environments[0], admin);
    let gateway = seed_gateway(&app, enterprise, admin);
    let (status, body) = request_token(&app, &client, &[]).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();

    proxy.down();
    let started = Instant::now();
    let (status, body) = introspect(&app, &gateway, &token).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("temporarily_unavailable")), "JSON, never a page: {body}");
    let (status, body) = request_token(&app, &client, &[]).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("temporarily_unavailable")), "{body}");
    assert!(started.elapsed() < Duration::from_secs(8), "refused quickly, took {:?}", started.elapsed());

    proxy.up();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = introspect(&app, &gateway, &token).await;
        if status == 200 {
            assert_eq!(body["active"], true, "the token issued before the outage still works");
            break;
        }
        assert!(Instant::now() < deadline, "introspection did not recover: {status} {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
