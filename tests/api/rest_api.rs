//! `/api/v1/` (SPEC §14, issue 15, first endpoints): bearer tokens from Settings → API tokens,
//! scopes, `application/problem+json` errors, cursor pages, the list's filters, tenants.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    fixtures::{seed_partners, PartnerFixture},
    helpers::{TestApp, PASSWORD},
    page::Page,
};

/// Creates a token through the UI with `scopes`; returns it.
async fn token(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let day = (Utc::now().date_naive() + Duration::days(30)).to_string();
    let form =
        app.page("/settings/api-tokens").await.form("Create API token").set("name", name).set("expires_on", &day);
    let form = scopes.iter().fold(form, |f, s| f.add("scope", s));
    let r = form.submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    Page::read(r).await.attr("#token", "value").unwrap()
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String, Value) {
    let mut req = reqwest::Client::new().get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let kind = r.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {kind}: {e}: {text:?}"));
    (status, kind, body)
}

#[tokio::test]
async fn without_a_live_token_or_the_scope_the_api_answers_a_problem() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let (status, kind, body) = get(&app, "/api/v1/partners", None).await;
    assert_eq!((status, kind.as_str()), (StatusCode::UNAUTHORIZED, "application/problem+json"));
    assert_eq!(body["status"], 401);
    assert!(body["detail"].as_str().unwrap().contains("Bearer"));
    let (status, _, body) = get(&app, "/api/v1/partners", Some("ppat_not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["detail"], "The API token is unknown, expired or revoked.");

    // A token without partners:read can't list partners.
    let audit_only = token(&app, "Auditor", &["audit:read"]).await;
    let (status, _, body) = get(&app, "/api/v1/partners", Some(&audit_only)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["detail"], "This token lacks the partners:read scope.");

    // Revoked, then expired: 401.
    let reader = token(&app, "Reader", &["partners:read"]).await;
    assert_eq!(get(&app, "/api/v1/partners", Some(&reader)).await.0, StatusCode::OK);
    use schema::api_tokens::dsl as t;
    diesel::update(t::api_tokens.filter(t::name.eq("Reader")))
        .set(t::revoked_at.eq(Some(Utc::now())))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(get(&app, "/api/v1/partners", Some(&reader)).await.0, StatusCode::UNAUTHORIZED);
    diesel::update(t::api_tokens.filter(t::name.eq("Reader")))
        .set((t::revoked_at.eq(None::<chrono::DateTime<Utc>>), t::expires_at.eq(Utc::now() - Duration::seconds(1))))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(get(&app, "/api/v1/partners", Some(&reader)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn partners_are_listed_in_cursor_pages_with_the_lists_filters_and_read_one_by_one() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();
    let globex = PartnerFixture::new("Globex").domains(["globex.com", "globex.io"]).active().create(&app).id;
    seed_partners(&mut app.conn(), enterprise_id, 24);
    let reader = token(&app, "CRM", &["partners:read"]).await;

    // 25 partners, pages of 10: 10, 10, 5, in id order, the last without a cursor.
    let mut seen = Vec::new();
    let mut path = "/api/v1/partners?limit=10".to_string();
    loop {
        let (status, kind, body) = get(&app, &path, Some(&reader)).await;
        assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/json"));
        let page: Vec<i64> = body["data"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect();
        seen.push(page.len());
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/partners?limit=10&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, [10, 10, 5]);

    // Filters as in the UI; a partner read by id.
    let (_, _, body) = get(&app, "/api/v1/partners?q=glob", Some(&reader)).await;
    let found = &body["data"].as_array().unwrap()[0];
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(found["name"], "Globex");
    assert_eq!(found["status"], "active");
    assert_eq!(found["domains"], serde_json::json!(["globex.com", "globex.io"]));
    assert!(found["partner_code"].as_str().unwrap().starts_with("PRT-"));
    let (status, _, one) = get(&app, &format!("/api/v1/partners/{globex}"), Some(&reader)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&one, found);
    let (_, _, active) = get(&app, "/api/v1/partners?status=active&limit=100", Some(&reader)).await;
    assert!(active["data"].as_array().unwrap().iter().all(|p| p["status"] == "active"));

    // Wrong parameters: 400 with each field named.
    let (status, kind, body) = get(&app, "/api/v1/partners?status=sleeping&limit=0&cursor=%21", Some(&reader)).await;
    assert_eq!((status, kind.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"));
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["status", "limit", "cursor"]);
    // An address that isn't text, or a parameter given twice: a problem too, never the HTML page.
    for path in ["/api/v1/partners?cursor=%FF%00", "/api/v1/partners?limit=1&limit=2"] {
        let (status, kind, body) = get(&app, path, Some(&reader)).await;
        assert_eq!((status, kind.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"), "{path}");
        assert_eq!(body["status"], 400);
    }

    // The token's last use is shown.
    let list = app.page("/settings/api-tokens").await;
    assert_ne!(list.words("#api-tokens tbody tr td")[4], "Never used");
}

#[tokio::test]
async fn another_enterprises_partners_are_neither_listed_nor_found() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let reader = token(&app, "CRM", &["partners:read"]).await;
    let (other, _) = app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let theirs =
        PartnerFixture::new("Their Partner").domains(["their.example"]).active().create_in(&mut app.conn(), other).id;
    let (_, _, body) = get(&app, "/api/v1/partners", Some(&reader)).await;
    assert!(body["data"].as_array().unwrap().is_empty());
    let (status, kind, body) = get(&app, &format!("/api/v1/partners/{theirs}"), Some(&reader)).await;
    assert_eq!((status, kind.as_str()), (StatusCode::NOT_FOUND, "application/problem+json"));
    assert_eq!(body["status"], 404);
    assert_eq!(get(&app, "/api/v1/partners/abc", Some(&reader)).await.0, StatusCode::NOT_FOUND);
}
