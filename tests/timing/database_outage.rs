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
    let r = app.get("/login").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.up();
    assert!(wait_for(&app, "/readyz", StatusCode::OK, Duration::from_secs(15)).await);
    app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    assert_eq!(location(&app.login("erin@acme.example", PASSWORD).await), "/settings/partners");
}
