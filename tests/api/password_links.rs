//! The set-password link printed by `enterprise create`.

use crate::helpers::{location, TestApp};
use partner_portal::commands;
use reqwest::StatusCode;

const NEW_PASSWORD: &str = "plum tractor velvet 42";

async fn created(app: &TestApp) -> String {
    let mut conn = app.conn();
    commands::create_enterprise(&mut conn, &app.settings, "Globex", "hank@globex.example", "Hank", "Scorpio")
        .unwrap()
        .set_password_link
}

fn path_of(link: &str) -> String {
    url::Url::parse(link).unwrap().path().to_string()
}

#[tokio::test]
async fn the_set_password_link_lets_the_new_admin_choose_a_password_and_log_in() {
    let app = TestApp::spawn().await;
    let link = created(&app).await;
    assert!(link.starts_with(&app.address), "links are built from PUBLIC_BASE_URL");

    let r = app.get(&path_of(&link)).await;
    assert_eq!(location(&r), "/password/new", "the token leaves the address bar at once");
    let (status, html) = app.get_html("/password/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("hank@globex.example"));

    let r = app
        .submit(
            "/password/new",
            "/password/new",
            &[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(location(&r), "/");
    assert_eq!(location(&app.get("/").await), "/settings/partners", "logged in");
    use diesel::prelude::*;
    let actions: Vec<String> = partner_portal::db::schema::audit_events::table
        .select(partner_portal::db::schema::audit_events::action)
        .order(partner_portal::db::schema::audit_events::id)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["enterprise.created", "user.password_set"], "setting a password is audited");

    let r = app.another_browser().login("hank@globex.example", NEW_PASSWORD).await;
    assert_eq!(location(&r), "/settings/partners", "the new password works");
}

#[tokio::test]
async fn a_used_link_and_an_unknown_link_say_so() {
    let app = TestApp::spawn().await;
    let link = created(&app).await;
    app.get(&path_of(&link)).await;
    app.submit(
        "/password/new",
        "/password/new",
        &[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)],
    )
    .await;

    let other = app.another_browser();
    let r = other.get(&path_of(&link)).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("already been used"));

    let r = other.get("/password/set/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("This link is not valid"));
}

#[tokio::test]
async fn an_expired_link_says_so() {
    let app = TestApp::spawn().await;
    let link = created(&app).await;
    use diesel::prelude::*;
    diesel::sql_query("UPDATE password_tokens SET expires_at = now() - interval '1 minute'")
        .execute(&mut app.conn())
        .unwrap();

    let r = app.get(&path_of(&link)).await;

    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("This link has expired"));
}

#[tokio::test]
async fn a_weak_or_mismatched_password_is_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let link = created(&app).await;
    app.get(&path_of(&link)).await;

    let r = app
        .submit("/password/new", "/password/new", &[("password", "short"), ("password_confirmation", "short")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("12"));
    let r = app
        .submit(
            "/password/new",
            "/password/new",
            &[("password", NEW_PASSWORD), ("password_confirmation", "something else entirely")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("The two passwords don"));
    assert_eq!(location(&app.get("/").await), "/login", "nobody is logged in");
}
