//! Forgot password: the same answer for every address, the emailed link, its effects, the
//! rate limit.

use std::time::Duration;

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_named_user, seed_partner},
    helpers::{csrf_token, location, text_of, Options, TestApp, PASSWORD},
    smtp::TestSmtp,
};

const WAIT: Duration = Duration::from_secs(15);
const NEW_PASSWORD: &str = "amber lantern orchard 31";
const ANSWER: &str =
    "If an account exists for that address, we've sent a link to reset the password. It expires in 24 hours.";

async fn app_with(smtp: &TestSmtp) -> TestApp {
    let app = TestApp::spawn_with(Options {
        env: vec![("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".into())],
        ..Default::default()
    })
    .await;
    app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    app
}

/// Asks for a reset link in a fresh browser, like a person who forgot: returns the POST's
/// status and location and the text of the page it leads to.
async fn ask(app: &TestApp, email: &str) -> (StatusCode, String, String) {
    let (_, browser) = app.new_browser();
    let form = browser.get(app.url("/password/forgot")).send().await.unwrap().text().await.unwrap();
    let r = browser
        .post(app.url("/password/forgot"))
        .form(&[("csrf_token", csrf_token(&form).as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    let (status, to) = (r.status(), location(&r));
    let page = browser.get(app.url(&to)).send().await.unwrap().text().await.unwrap();
    (status, to, text_of(&page, "main").unwrap_or_default())
}

async fn log_in(app: &TestApp, client: &reqwest::Client, email: &str, password: &str) -> reqwest::Response {
    let html = client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    client
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

fn path_of(link: &str) -> String {
    url::Url::parse(link).unwrap().path().to_string()
}

/// Lets the background work and the outbox worker finish, then returns what arrived.
async fn settled(smtp: &TestSmtp) -> Vec<crate::smtp::Received> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    smtp.messages()
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
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;

    let unknown = ask(&app, "nobody@acme.example").await;
    let known = ask(&app, "Erin@ACME.example").await;

    assert_eq!(known, unknown, "status, next page and its text are identical");
    assert_eq!(known.0, StatusCode::SEE_OTHER);
    assert!(known.2.contains(ANSWER), "{}", known.2);
    let messages = {
        smtp.wait_for(1, WAIT).await;
        settled(&smtp).await
    };
    assert_eq!(messages.len(), 1, "only the known address receives an email");
    assert_eq!(messages[0].to(), "erin@acme.example");
    assert!(messages[0].link(&format!("{}/password/set/", app.address)).is_some());
}

#[tokio::test]
async fn the_emailed_link_sets_a_new_password_ends_other_sessions_and_the_old_password_stops_working() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (_, elsewhere) = app.new_browser();
    assert_eq!(location(&log_in(&app, &elsewhere, "erin@acme.example", PASSWORD).await), "/settings/partners");
    ask(&app, "erin@acme.example").await;
    let link = smtp.wait_for(1, WAIT).await[0].link(&format!("{}/password/set/", app.address)).unwrap();

    let (_, browser) = app.new_browser();
    let r = browser.get(app.url(&path_of(&link))).send().await.unwrap();
    assert_eq!(location(&r), "/password/new", "the token leaves the address bar");
    let form = browser.get(app.url("/password/new")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text_of(&form, "h1").as_deref(), Some("Choose a new password"));
    let r = browser
        .post(app.url("/password/new"))
        .form(&[
            ("csrf_token", csrf_token(&form).as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirmation", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(location(&r), "/");
    assert_eq!(location(&browser.get(app.url("/")).send().await.unwrap()), "/settings/partners", "logged in");
    let r = elsewhere.get(app.url("/settings/partners")).send().await.unwrap();
    assert_eq!(location(&r), "/login", "the other open session is ended");
    let (_, fresh) = app.new_browser();
    assert_eq!(
        log_in(&app, &fresh, "erin@acme.example", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old password stops working"
    );
    assert_eq!(location(&log_in(&app, &fresh, "erin@acme.example", NEW_PASSWORD).await), "/settings/partners");
    let (_, again) = app.new_browser();
    let r = again.get(app.url(&path_of(&link))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("already been used"), "the link works once");
}

#[tokio::test]
async fn a_new_reset_link_makes_the_previous_unused_one_stop_working() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    ask(&app, "erin@acme.example").await;
    let first = smtp.wait_for(1, WAIT).await[0].link(&format!("{}/password/set/", app.address)).unwrap();

    ask(&app, "erin@acme.example").await;
    let second = smtp.wait_for(2, WAIT).await[1].link(&format!("{}/password/set/", app.address)).unwrap();

    let (_, browser) = app.new_browser();
    let r = browser.get(app.url(&path_of(&first))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(location(&browser.get(app.url(&path_of(&second))).send().await.unwrap()), "/password/new");
    let (purpose, hashes): (Vec<String>, i64) = {
        let mut conn = app.conn();
        let p = schema::password_tokens::table.select(schema::password_tokens::purpose).load(&mut conn).unwrap();
        (p, schema::password_tokens::table.count().get_result(&mut conn).unwrap())
    };
    assert_eq!((purpose, hashes), (vec!["reset".to_string(), "reset".to_string()], 2));
}

#[tokio::test]
async fn beyond_the_rate_limit_the_answer_is_the_same_but_nothing_is_sent() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Initech", "ian@initech.example", PASSWORD);
    let partner_id = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.example"], "active");
    seed_named_user(&mut app.conn(), enterprise_id, partner_id, "mia@globex.example", "member", ("Mia", "Member"));
    let normal = ask(&app, "erin@acme.example").await;

    // Per address: 3 within the window.
    for _ in 0..4 {
        assert_eq!(ask(&app, "erin@acme.example").await, normal);
    }
    smtp.wait_for(3, WAIT).await;
    assert_eq!(settled(&smtp).await.len(), 3, "three links per address per window");

    // Per client: 20 within the window (3 so far), whatever the address.
    for i in 0..17 {
        assert_eq!(ask(&app, &format!("nobody{i}@acme.example")).await, normal);
    }
    assert_eq!(ask(&app, "mia@globex.example").await, normal);
    let messages = settled(&smtp).await;
    assert_eq!(messages.len(), 3, "the client is over its limit: nothing more is sent");
    assert!(messages.iter().all(|m| m.to() == "erin@acme.example"));
}

#[tokio::test]
async fn a_removed_members_address_gets_the_same_answer_and_no_link() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Initech", "ian@initech.example", PASSWORD);
    let partner_id = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.example"], "active");
    let mia =
        seed_named_user(&mut app.conn(), enterprise_id, partner_id, "mia@globex.example", "member", ("Mia", "Member"));
    diesel::update(schema::users::table.find(mia))
        .set(schema::users::disabled_at.eq(diesel::dsl::now))
        .execute(&mut app.conn())
        .unwrap();

    let answer = ask(&app, "mia@globex.example").await;

    assert_eq!(answer, ask(&app, "nobody@globex.example").await);
    assert!(settled(&smtp).await.is_empty());
    let tokens: i64 = schema::password_tokens::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(tokens, 0);
}

#[tokio::test]
async fn a_malformed_address_is_refused_with_the_field_marked() {
    let app = TestApp::spawn().await;

    let r =
        app.submit("/password/forgot", "/password/forgot", &[("email", "erin@acme.example\r\nBcc: x@evil.com")]).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(r#"id="email-error""#));
}
