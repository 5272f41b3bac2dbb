//! Bad input and faults: clear 4xx pages, 503 while the database is away, recovery.

use std::time::{Duration, Instant};

use crate::{
    helpers::{location, Options, TestApp, TestDatabase, PASSWORD},
    proxy::{target_of, DbProxy},
};
use reqwest::StatusCode;

#[tokio::test]
async fn an_oversized_form_gets_413_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    let (_, html) = app.get_html("/login").await;
    let token = crate::helpers::csrf_token(&html);
    let huge = "x".repeat(100 * 1024);

    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("csrf_token", token.as_str()), ("email", "erin@acme.example"), ("password", huge.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("That was too large"));
}

#[tokio::test]
async fn a_malformed_form_gets_a_clear_400_page() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get_html("/login").await;
    let token = crate::helpers::csrf_token(&html);

    let r = app.client.post(app.url("/login")).form(&[("csrf_token", token.as_str())]).send().await.unwrap();

    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body = r.text().await.unwrap();
    assert!(body.contains("The form could not be read"), "{body}");
}

#[tokio::test]
async fn unknown_pages_and_wrong_methods_get_styled_pages() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_html("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found") && html.contains("/static/css/app.css"));

    let r = app.client.put(app.url("/login")).send().await.unwrap();
    assert!(r.status().is_client_error());
    assert!(r.text().await.unwrap().contains("<h1>"));
}

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
    let app = TestApp::spawn_on(
        db,
        Options { database_url: Some(url), env: vec![("DATABASE_CONNECT_TIMEOUT_SECS", "1".into())] },
    )
    .await;
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
    let app = TestApp::spawn_on(
        db,
        Options { database_url: Some(url), env: vec![("DATABASE_CONNECT_TIMEOUT_SECS", "1".into())] },
    )
    .await;

    assert_eq!(app.get("/readyz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    let r = app.get("/login").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);

    proxy.up();
    assert!(wait_for(&app, "/readyz", StatusCode::OK, Duration::from_secs(15)).await);
    app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    assert_eq!(location(&app.login("erin@acme.example", PASSWORD).await), "/settings/partners");
}
