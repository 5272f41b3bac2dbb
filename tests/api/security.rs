//! CSRF, security headers, labels.

use crate::helpers::{location, TestApp, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn a_login_without_a_csrf_token_is_refused_and_logs_nobody_in() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    app.get("/login").await;

    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "erin@acme.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("This form has expired"));
    assert_eq!(location(&app.get("/settings/partners").await), "/login");
}

#[tokio::test]
async fn a_wrong_csrf_token_is_refused_and_the_session_survives() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;

    let r = app.client.post(app.url("/logout")).form(&[("csrf_token", "forged")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app.client.post(app.url("/logout")).form(&[("other", "x")]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    assert_eq!(app.get("/settings/partners").await.status(), StatusCode::OK, "still logged in");
}

#[tokio::test]
async fn a_token_from_another_session_does_not_work() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    let foreign = app.another_browser().page("/login").await.csrf_token();
    app.get("/login").await;

    let r = app.browser.post("/login", &foreign, &[("email", "erin@acme.example"), ("password", PASSWORD)]).await;

    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

fn assert_security_headers(r: &reqwest::Response) {
    let h = r.headers();
    let csp = h.get("content-security-policy").expect("CSP").to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert!(h.get("referrer-policy").is_some());
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::spawn().with_enterprise_admin().await;

    let login = app.get("/login").await;
    assert_security_headers(&login);
    assert!(login.headers().get("set-cookie").unwrap().to_str().unwrap().contains("HttpOnly"));
    assert!(login.headers().get("set-cookie").unwrap().to_str().unwrap().contains("SameSite=Lax"));
    assert_security_headers(&app.get("/no/such/page").await);
    assert_security_headers(&app.get("/static/css/app.css").await);
    assert_security_headers(&app.client.post(app.url("/login")).send().await.unwrap());

    app.login("erin@acme.example", PASSWORD).await;
    let page = app.get("/settings/partners").await;
    assert_security_headers(&page);
    assert_eq!(page.headers().get("cache-control").unwrap(), "no-store", "pages behind login are never cached");
}

#[tokio::test]
async fn an_https_portal_sets_a_secure_host_prefixed_cookie() {
    let app = TestApp::spawn().env("PUBLIC_BASE_URL", "https://portal.example").await;

    let r = app.get("/login").await;

    let cookie = r.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("__Host-pp_session="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("Path=/"));
}

#[tokio::test]
async fn an_https_portal_tells_browsers_to_use_https_only_on_every_response() {
    let app = TestApp::spawn_with(crate::helpers::Options {
        env: vec![("PUBLIC_BASE_URL", "https://portal.example".into())],
        ..Default::default()
    })
    .await;

    for r in [app.get("/login").await, app.get("/no/such/page").await, app.get("/static/css/app.css").await] {
        let hsts = r.headers().get("strict-transport-security");
        assert_eq!(hsts.unwrap(), "max-age=63072000; includeSubDomains", "{}", r.url());
    }
}

#[tokio::test]
async fn a_development_portal_on_http_sends_no_strict_transport_security() {
    let app = TestApp::spawn().await;

    for r in [app.get("/login").await, app.get("/no/such/page").await, app.get("/static/css/app.css").await] {
        assert!(r.headers().get("strict-transport-security").is_none(), "{}", r.url());
    }
}

#[tokio::test]
async fn every_input_on_the_login_page_has_a_label() {
    let app = TestApp::spawn().await;
    let page = app.page("/login").await;
    let inputs = "input:not([type=hidden]), select, textarea";
    let ids = page.attrs(inputs, "id");
    assert_eq!(ids.len(), page.count(inputs), "every input has an id");
    for id in &ids {
        assert!(page.exists(&format!("label[for=\"{id}\"]")), "no label for #{id}");
    }
    assert_eq!(ids.len(), 2);
    assert_eq!(page.text("button[type=submit]").unwrap(), "Log in");
}
