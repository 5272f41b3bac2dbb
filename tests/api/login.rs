//! Logging in and out, throttling, sessions.

use crate::{
    helpers::{location, TestApp, PASSWORD},
    page::Page,
};
use reqwest::StatusCode;

#[tokio::test]
async fn an_admin_with_the_right_password_lands_on_the_partners_page() {
    let app = TestApp::spawn().with_enterprise_admin().await;

    let r = app.login("Erin@Acme.example", PASSWORD).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/settings/partners");
    let (status, html) = app.get_html("/settings/partners").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Erin Admin"), "the menu names the person");
    assert!(html.contains(">Partners<"), "the Settings → Partners menu entry is there");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn().with_enterprise_admin().await;

    let wrong = app.login("erin@acme.example", "not the password at all").await;
    let wrong_status = wrong.status();
    let wrong_page = Page::read(wrong).await;
    let unknown = app.login("nobody@acme.example", "not the password at all").await;
    let unknown_status = unknown.status();
    let unknown_page = Page::read(unknown).await;

    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_status, unknown_status);
    let wrong_msg = wrong_page.text("#login-error").unwrap();
    assert_eq!(wrong_msg, unknown_page.text("#login-error").unwrap());
    assert_eq!(wrong_msg, "The email or password is incorrect.");
    assert_eq!(location(&app.get("/settings/partners").await), "/login", "still anonymous");
}

#[tokio::test]
async fn repeated_failures_for_one_account_pause_logins_even_with_the_right_password() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    for _ in 0..5 {
        assert_eq!(app.login("erin@acme.example", "guess guess guess").await.status(), StatusCode::UNAUTHORIZED);
    }

    let r = app.login("erin@acme.example", PASSWORD).await;

    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(Page::read(r).await.text("#login-error").unwrap().starts_with("Too many failed attempts"));
    // The same answer for an address that has no account: nothing to learn from it.
    for _ in 0..5 {
        app.login("ghost@acme.example", "guess guess guess").await;
    }
    let ghost = app.login("ghost@acme.example", "guess guess guess").await;
    assert_eq!(ghost.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(location(&app.get("/settings/partners").await), "/login");
}

#[tokio::test]
async fn many_failures_from_one_client_pause_logins_for_every_account() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    for i in 0..30 {
        app.login(&format!("user{i}@acme.example"), "guess guess guess").await;
    }

    let r = app.login("erin@acme.example", PASSWORD).await;

    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_session_id_changes_at_login_so_a_planted_cookie_is_useless() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    app.get("/login").await;
    let before = app.session_cookie().expect("the login form starts a session");

    app.login("erin@acme.example", PASSWORD).await;
    let after = app.session_cookie().unwrap();

    assert_ne!(before, after);
    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = replay.get(app.url("/settings/partners")).header("cookie", before).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
}

#[tokio::test]
async fn a_cookie_replayed_after_logout_is_anonymous() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let cookie = app.session_cookie().unwrap();

    let r = app.page("/settings/partners").await.form("/logout").submit(&app.browser).await;
    assert_eq!(location(&r), "/login?logged_out=1");

    let replay = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = replay.get(app.url("/settings/partners")).header("cookie", cookie).send().await.unwrap();
    assert_eq!(location(&r), "/login");
    let (_, html) = app.get_html("/login?logged_out=1").await;
    assert!(html.contains("You have been logged out."));
}

#[tokio::test]
async fn a_person_whose_only_membership_ends_is_logged_out_on_their_next_request() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let user_id = app.admin_id();
    assert_eq!(app.get("/settings/partners").await.status(), StatusCode::OK);

    use diesel::prelude::*;
    diesel::sql_query(format!("UPDATE memberships SET ended_at = now() WHERE user_id = {user_id}"))
        .execute(&mut app.conn())
        .unwrap();

    let r = app.get("/settings/partners").await;
    assert_eq!(location(&r), "/login");
    assert_eq!(app.login("erin@acme.example", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_session_is_anonymous() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;

    use diesel::prelude::*;
    // Idle for longer than 30 minutes.
    diesel::sql_query("UPDATE sessions SET expires_at = now() - interval '1 second'").execute(&mut app.conn()).unwrap();

    assert_eq!(location(&app.get("/settings/partners").await), "/login");
}

#[tokio::test]
async fn using_the_portal_keeps_the_session_alive_but_never_past_its_absolute_lifetime() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;

    use diesel::{prelude::*, sql_types::Double};
    #[derive(QueryableByName)]
    struct Left {
        #[diesel(sql_type = Double)]
        minutes: f64,
    }
    let minutes_left = |app: &TestApp| -> f64 {
        diesel::sql_query("SELECT extract(epoch FROM expires_at - now())::float8 / 60 AS minutes FROM sessions WHERE user_id IS NOT NULL")
            .get_result::<Left>(&mut app.conn())
            .unwrap()
            .minutes
    };
    // Idle for 25 of the 30 minutes: a page view brings the idle expiry back to 30 minutes.
    diesel::sql_query("UPDATE sessions SET expires_at = now() + interval '5 minutes'")
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(app.get_html("/settings/partners").await.0, StatusCode::OK);
    let left = minutes_left(&app);
    assert!((29.0..=30.0).contains(&left), "{left} minutes left after a page view");

    // Close to the 12-hour limit the idle expiry stops there.
    diesel::sql_query("UPDATE sessions SET expires_at = now() + interval '5 minutes', absolute_expires_at = now() + interval '10 minutes'")
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(app.get_html("/settings/partners").await.0, StatusCode::OK);
    let left = minutes_left(&app);
    assert!((9.0..=10.0).contains(&left), "{left} minutes left: the absolute lifetime caps the slide");
}

#[tokio::test]
async fn an_enterprise_admin_cannot_open_partner_pages_and_anonymous_visitors_are_sent_to_login() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    assert_eq!(location(&app.get("/service-catalog").await), "/login");
    app.login("erin@acme.example", PASSWORD).await;

    let (status, html) = app.get_html("/members").await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Not allowed"));
}

fn stored_sessions(app: &TestApp) -> (i64, i64) {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Counts {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        all: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        logged_in: i64,
    }
    let c: Counts = diesel::sql_query("SELECT count(*) AS all, count(user_id) AS logged_in FROM sessions")
        .get_result(&mut app.conn())
        .unwrap();
    (c.all, c.logged_in)
}

#[tokio::test]
async fn visitors_who_never_log_in_leave_no_session_row_and_a_login_stores_one() {
    let app = TestApp::spawn().with_enterprise_admin().await;

    // A visitor opens the login form (a CSRF token), fails to log in (an error shown) and opens
    // a link that puts a value in their session: all of it travels in their cookie.
    let failed = app.login("erin@acme.example", "not the password at all").await;
    assert_eq!(failed.status(), StatusCode::UNAUTHORIZED, "the anonymous session's CSRF token was accepted");
    app.get("/invitations/some-unknown-token").await;
    assert!(app.session_cookie().is_some(), "the visitor has a session cookie");
    assert_eq!(stored_sessions(&app), (0, 0), "nothing stored for an anonymous visitor");

    // An altered anonymous cookie is not read: with it, even the session's own CSRF token
    // is refused.
    let token = app.page("/login").await.csrf_token();
    let cookie = app.session_cookie().expect("the visitor has a session cookie");
    assert!(cookie.contains("a1."), "an anonymous session in the cookie: {cookie}");
    let (jar, other) = app.new_browser();
    let (name, value) = cookie.split_once('=').unwrap();
    let tampered = format!("{name}={}", value.replacen("a1.", "a1.e30", 1));
    jar.add_cookie_str(&format!("{tampered}; Path=/"), &app.url("/").parse().unwrap());
    let forged = other
        .post(app.url("/login"))
        .form(&[("email", "erin@acme.example"), ("password", PASSWORD), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    let r = app.login("erin@acme.example", PASSWORD).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_sessions(&app), (1, 1), "the login is one stored session");
    assert_eq!(app.get("/settings/partners").await.status(), StatusCode::OK);
}
