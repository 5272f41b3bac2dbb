//! Settings → **API tokens** (SPEC §14, issue 15 item 1): a named token with scopes and an
//! end day, shown once, kept only as a hash; its last use; revocation; audit; tenants.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use partner_portal::db::{self, schema};
use reqwest::StatusCode;
use sha2::Digest;

use crate::{
    grants::post,
    helpers::{location, TestApp, PASSWORD},
    page::Page,
};

fn audit_actions(conn: &mut PgConnection) -> Vec<(String, String)> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::action.like("enterprise.api_token_%"))
        .order(a::id)
        .select((a::action, a::target))
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn a_token_is_shown_once_kept_as_a_hash_listed_with_its_last_use_and_revoked() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    let list = app.page("/settings/api-tokens").await;
    assert_eq!(list.attr(r#"nav a[href="/settings/api-tokens"]"#, "aria-current").as_deref(), Some("page"));
    assert_eq!(list.text(r#"label[for="name"]"#).as_deref(), Some("Token name"));
    assert_eq!(list.text(r#"label[for="expires_on"]"#).as_deref(), Some("Expires on"));
    assert_eq!(
        list.texts("fieldset label"),
        ["partners:read", "partners:write", "grants:write", "invitations:write", "audit:read"]
    );
    let day = Utc::now().date_naive() + Duration::days(30);
    let r = list
        .form("Create API token")
        .set("name", "CRM sync")
        .add("scope", "partners:read")
        .add("scope", "grants:write")
        .set("expires_on", &day.to_string())
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let created = Page::read(r).await;
    let token = created.attr("#token", "value").unwrap();
    assert!(token.starts_with("ppat_") && token.len() == 48, "{token}");
    assert!(created.contains("won&#39;t be shown again") || created.contains("won't be shown again"));

    // Only the SHA-256 is stored; the token appears nowhere in the row.
    use schema::api_tokens::dsl as t;
    let (hash, hint): (Vec<u8>, String) = t::api_tokens.select((t::token_hash, t::hint)).first(&mut conn).unwrap();
    assert_eq!(hash, sha2::Sha256::digest(token.as_bytes()).to_vec());
    assert_eq!(hint, &token[token.len() - 4..]);
    let row: String = diesel::dsl::sql::<diesel::sql_types::Text>("SELECT api_tokens::text FROM api_tokens")
        .get_result(&mut conn)
        .unwrap();
    assert!(!row.contains(&token[5..]), "the token itself is not stored");

    let list = app.page("/settings/api-tokens").await;
    let cells = list.words("#api-tokens tbody tr td");
    assert!(cells[0].starts_with("CRM sync Created"));
    assert_eq!(cells[1], format!("ppat_…{hint}"));
    assert_eq!(cells[2], "partners:read grants:write");
    assert_eq!(cells[4], "Never used");
    assert_eq!(cells[5], "Active");

    // The API's authentication finds it and records its use (the API itself is not built yet).
    let found = db::api_tokens::authenticate(&mut conn, &hash).unwrap().expect("a live token");
    assert_eq!(found.scopes(), ["partners:read", "grants:write"]);
    let list = app.page("/settings/api-tokens").await;
    assert_ne!(list.words("#api-tokens tbody tr td")[4], "Never used");

    // Revoke, after a confirmation.
    let id = found.id;
    let confirm = app.page(&format!("/settings/api-tokens/{id}/revoke")).await;
    assert_eq!(confirm.text("h1").as_deref(), Some("Revoke CRM sync?"));
    let r = confirm.form("Revoke").submit(&app.browser).await;
    assert_eq!(location(&r), "/settings/api-tokens");
    assert!(db::api_tokens::authenticate(&mut conn, &hash).unwrap().is_none(), "a revoked token is refused");
    assert_eq!(app.page("/settings/api-tokens").await.words("#api-tokens tbody tr td")[5], "Revoked");
    assert_eq!(app.get(&format!("/settings/api-tokens/{id}/revoke")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&app, &format!("/settings/api-tokens/{id}/revoke"), &[]).await.status(), StatusCode::CONFLICT);
    assert_eq!(
        audit_actions(&mut conn),
        [
            ("enterprise.api_token_created".to_string(), "API token CRM sync".to_string()),
            ("enterprise.api_token_revoked".to_string(), "API token CRM sync".to_string()),
        ]
    );

    // An expired token is refused too.
    diesel::update(t::api_tokens)
        .set((t::revoked_at.eq(None::<chrono::DateTime<Utc>>), t::expires_at.eq(Utc::now() - Duration::seconds(1))))
        .execute(&mut conn)
        .unwrap();
    assert!(db::api_tokens::authenticate(&mut conn, &hash).unwrap().is_none());
    assert_eq!(app.page("/settings/api-tokens").await.words("#api-tokens tbody tr td")[5], "Expired");
}

#[tokio::test]
async fn a_bad_form_is_shown_again_with_each_problem_and_nothing_is_created() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let past = (Utc::now().date_naive() - Duration::days(1)).to_string();
    let r = post(&app, "/settings/api-tokens", &[("name", "  "), ("expires_on", &past)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert!(page.text("#name-error").unwrap().contains("Give the token a name"));
    assert_eq!(page.text("#scopes-error").as_deref(), Some("Choose at least one scope."));
    assert_eq!(page.text("#expires_on-error").as_deref(), Some("Expires on must be a day after today."));
    let r = post(&app, "/settings/api-tokens", &[("name", "X"), ("scope", "everything"), ("expires_on", "2099-01-01")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let n: i64 = schema::api_tokens::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn another_enterprises_token_is_not_found() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let day = (Utc::now().date_naive() + Duration::days(10)).to_string();
    post(&app, "/settings/api-tokens", &[("name", "Acme CRM"), ("scope", "audit:read"), ("expires_on", &day)]).await;
    let id: i64 = schema::api_tokens::table.select(schema::api_tokens::id).first(&mut app.conn()).unwrap();
    app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let una = app.browser_of("una@umbrella.example").await;
    assert!(!una.page("/settings/api-tokens").await.contains("Acme CRM"));
    assert_eq!(una.get(&format!("/settings/api-tokens/{id}/revoke")).await.status(), StatusCode::NOT_FOUND);
    let token = una.page("/settings/partners").await.csrf_token();
    let r = una.post(&format!("/settings/api-tokens/{id}/revoke"), &token, &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let revoked: Option<chrono::DateTime<Utc>> =
        schema::api_tokens::table.find(id).select(schema::api_tokens::revoked_at).first(&mut app.conn()).unwrap();
    assert!(revoked.is_none());
}
