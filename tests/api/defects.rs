//! Defects found by trying the portal as a new user would: each test replays one and checks
//! what a person (or an assistive technology) notices.

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    helpers::{csrf_token, Options, TestApp, TestDatabase, PASSWORD},
    proxy::{target_of, DbProxy},
};

const ADMIN: &str = "erin@acme.example";

fn product_names(app: &TestApp, enterprise_id: i64) -> Vec<String> {
    use schema::products::dsl as p;
    p::products.filter(p::enterprise_id.eq(enterprise_id)).select(p::name).load(&mut app.conn()).unwrap()
}

// ---- a form posted while the database is down ------------------------------------------------

#[tokio::test]
async fn a_form_posted_while_the_database_is_down_answers_503_and_changes_nothing() {
    let db = TestDatabase::create();
    let proxy = DbProxy::start(target_of(&db.url)).await;
    let url = proxy.url_for(&db.url);
    let app = TestApp::spawn_on(
        db,
        Options { database_url: Some(url), env: vec![("DATABASE_CONNECT_TIMEOUT_SECS", "1".into())] },
    )
    .await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let token = csrf_token(&app.get_html("/catalog/products/new").await.1);

    proxy.down();
    let r = app
        .client
        .post(app.url("/catalog/products"))
        .form(&[("csrf_token", token.as_str()), ("name", "Payments Hub"), ("description", "")])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers().get("retry-after").unwrap(), "5");
    let body = r.text().await.unwrap();
    assert!(body.contains("temporarily unavailable"), "{body}");
    assert!(!body.contains("This form has expired"), "{body}");

    proxy.up();
    let start = std::time::Instant::now();
    while app.get("/catalog").await.status() != StatusCode::OK {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "the portal recovers by itself");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(product_names(&app, enterprise_id).is_empty(), "nothing was saved");
}
