//! Bad input: clear 4xx pages. (The database going away: tests/timing/database_outage.rs.)

use crate::helpers::TestApp;
use reqwest::StatusCode;

#[tokio::test]
async fn an_oversized_form_gets_413_and_changes_nothing() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    let token = app.page("/login").await.csrf_token();
    let huge = "x".repeat(100 * 1024);

    let r = app.browser.post("/login", &token, &[("email", "erin@acme.example"), ("password", huge.as_str())]).await;

    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.text().await.unwrap().contains("That was too large"));
}

#[tokio::test]
async fn a_malformed_form_gets_a_clear_400_page() {
    let app = TestApp::spawn().await;
    let token = app.page("/login").await.csrf_token();

    let r = app.browser.post("/login", &token, &[]).await;

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
