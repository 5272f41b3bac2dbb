//! Forgot password: the same answer for every address, the emailed link, its effects, the
//! rate limit.

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{location, Browser, TestApp, PASSWORD},
    page::Page,
};

const NEW_PASSWORD: &str = "amber lantern orchard 31";
const ANSWER: &str =
    "If an account exists for that address, we've sent a link to reset the password. It expires in 24 hours.";

async fn app_with_smtp() -> TestApp {
    TestApp::spawn().with_smtp().with_enterprise_admin().await
}

/// Asks for a reset link in a fresh browser, like a person who forgot: returns the POST's
/// status and location and the text of the page it leads to.
async fn ask(app: &TestApp, email: &str) -> (StatusCode, String, String) {
    let browser = app.another_browser();
    let form = browser.page("/password/forgot").await.form("Send reset link").set("email", email);
    let r = form.submit(&browser).await;
    let (status, to) = (r.status(), location(&r));
    (status, to.clone(), browser.page(&to).await.main_text())
}

async fn log_in(browser: &Browser, email: &str, password: &str) -> reqwest::Response {
    browser.login(email, password).await
}

/// Lets the handler's own background task (it issues the link after answering, so that the
/// answer takes the same time for every address) finish, sends every queued email, and
/// returns all that arrived.
async fn settled(app: &TestApp) -> Vec<crate::smtp::Received> {
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.emails().await
}

#[tokio::test]
async fn the_forgot_password_form_has_its_labels_and_the_login_page_links_to_it() {
    let app = TestApp::spawn().await;
    let login = app.get_html("/login").await.1;
    assert!(login.contains(r#"href="/password/forgot""#));

    let (status, html) = app.get_html("/password/forgot").await;

    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(r#"<label for="email">Email</label>"#));
    assert!(html.contains(">Send reset link</button>"));
}

#[tokio::test]
async fn a_known_and_an_unknown_address_get_the_same_answer_and_only_the_known_one_gets_an_email() {
    let app = app_with_smtp().await;

    let unknown = ask(&app, "nobody@acme.example").await;
    let known = ask(&app, "Erin@ACME.example").await;

    assert_eq!(known, unknown, "status, next page and its text are identical");
    assert_eq!(known.0, StatusCode::SEE_OTHER);
    assert!(known.2.contains(ANSWER), "{}", known.2);
    let messages = settled(&app).await;
    assert_eq!(messages.len(), 1, "only the known address receives an email");
    assert_eq!(messages[0].to(), "erin@acme.example");
    assert!(messages[0].link(&format!("{}/password/set/", app.address)).is_some());
}

#[tokio::test]
async fn the_emailed_link_sets_a_new_password_ends_other_sessions_and_the_old_password_stops_working() {
    let app = app_with_smtp().await;
    let elsewhere = app.another_browser();
    assert_eq!(location(&log_in(&elsewhere, "erin@acme.example", PASSWORD).await), "/settings/partners");
    ask(&app, "erin@acme.example").await;
    settled(&app).await;
    let link = app.emailed_link("erin@acme.example", "/password/set/").await;

    let browser = app.another_browser();
    let r = browser.get(&link).await;
    assert_eq!(location(&r), "/password/new", "the token leaves the address bar");
    let form = browser.page("/password/new").await;
    assert_eq!(form.text("h1").as_deref(), Some("Choose a new password"));
    let r = form
        .form("/password/new")
        .fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)])
        .submit(&browser)
        .await;

    assert_eq!(location(&r), "/");
    assert_eq!(location(&browser.get("/").await), "/settings/partners", "logged in");
    let r = elsewhere.get("/settings/partners").await;
    assert_eq!(location(&r), "/login", "the other open session is ended");
    let fresh = app.another_browser();
    assert_eq!(
        log_in(&fresh, "erin@acme.example", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old password stops working"
    );
    assert_eq!(location(&log_in(&fresh, "erin@acme.example", NEW_PASSWORD).await), "/settings/partners");
    let again = app.another_browser();
    let r = again.get(&link).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("already been used"), "the link works once");
}

#[tokio::test]
async fn a_new_reset_link_makes_the_previous_unused_one_stop_working() {
    let app = app_with_smtp().await;
    ask(&app, "erin@acme.example").await;
    settled(&app).await;
    let first = app.emailed_link("erin@acme.example", "/password/set/").await;

    ask(&app, "erin@acme.example").await;
    assert_eq!(settled(&app).await.len(), 2);
    let second = app.emailed_link("erin@acme.example", "/password/set/").await;

    let browser = app.another_browser();
    let r = browser.get(&first).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(location(&browser.get(&second).await), "/password/new");
    let (purpose, hashes): (Vec<String>, i64) = {
        let mut conn = app.conn();
        let p = schema::password_tokens::table.select(schema::password_tokens::purpose).load(&mut conn).unwrap();
        (p, schema::password_tokens::table.count().get_result(&mut conn).unwrap())
    };
    assert_eq!((purpose, hashes), (vec!["reset".to_string(), "reset".to_string()], 2));
}

#[tokio::test]
async fn beyond_the_rate_limit_the_answer_is_the_same_but_nothing_is_sent() {
    let app = app_with_smtp().await;
    let (initech, _) = app.create_enterprise_admin("Initech", "ian@initech.example", PASSWORD);
    PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .enterprise(initech)
        .user(UserFixture::member("mia@globex.example").named("Mia", "Member"))
        .create(&app);
    let normal = ask(&app, "erin@acme.example").await;

    // Per address: 3 within the window.
    for _ in 0..4 {
        assert_eq!(ask(&app, "erin@acme.example").await, normal);
    }
    assert_eq!(settled(&app).await.len(), 3, "three links per address per window");

    // Per client: 20 within the window (3 so far), whatever the address.
    for i in 0..17 {
        assert_eq!(ask(&app, &format!("nobody{i}@acme.example")).await, normal);
    }
    assert_eq!(ask(&app, "mia@globex.example").await, normal);
    let messages = settled(&app).await;
    assert_eq!(messages.len(), 3, "the client is over its limit: nothing more is sent");
    assert!(messages.iter().all(|m| m.to() == "erin@acme.example"));
}

#[tokio::test]
async fn a_removed_members_address_gets_the_same_answer_and_no_link() {
    let app = app_with_smtp().await;
    let (initech, _) = app.create_enterprise_admin("Initech", "ian@initech.example", PASSWORD);
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .enterprise(initech)
        .user(UserFixture::member("mia@globex.example").named("Mia", "Member"))
        .create(&app);
    let mia = globex.users[0];
    diesel::update(schema::memberships::table.filter(schema::memberships::user_id.eq(mia)))
        .set(schema::memberships::ended_at.eq(diesel::dsl::now))
        .execute(&mut app.conn())
        .unwrap();

    let answer = ask(&app, "mia@globex.example").await;

    assert_eq!(answer, ask(&app, "nobody@globex.example").await);
    assert!(settled(&app).await.is_empty());
    let tokens: i64 = schema::password_tokens::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(tokens, 0);
}

#[tokio::test]
async fn a_malformed_address_is_refused_with_the_field_marked() {
    let app = TestApp::spawn().await;

    let r =
        app.submit("/password/forgot", "/password/forgot", &[("email", "erin@acme.example\r\nBcc: x@evil.com")]).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.field_error("email").is_some());
}
