//! Accepting invitations: the link, the accept page, the account, the partner's activation.

use chrono::Duration;
use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{PartnerId, UserId};
use reqwest::StatusCode;

use crate::{
    fixtures::{InvitationFixture, PartnerFixture, UserFixture},
    helpers::{location, Browser, TestApp, PASSWORD},
};

const NEW_PASSWORD: &str = "violet kettle harbour 9";

struct Arranged {
    app: TestApp,
    partner_id: PartnerId,
}

async fn arrange(status: &str) -> Arranged {
    let app =
        TestApp::spawn().with_partner(PartnerFixture::new("Globex").domains(["globex.example"]).status(status)).await;
    let partner_id = app.partner_id();
    Arranged { app, partner_id }
}

/// Opens the link in `browser` and accepts with a new password; returns the final response.
pub async fn accept_with(browser: &Browser, token: &str) -> reqwest::Response {
    let r = browser.get(&format!("/invitations/{token}")).await;
    assert_eq!(location(&r), "/invitations/accept");
    let form = browser.page("/invitations/accept").await.form("Accept invitation");
    form.fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]).submit(browser).await
}

/// Opens the link in `browser` and accepts as the existing account: **Log in** with its
/// password on the accept page.
pub async fn accept_by_logging_in(browser: &Browser, token: &str, password: &str) -> reqwest::Response {
    let r = browser.get(&format!("/invitations/{token}")).await;
    assert_eq!(location(&r), "/invitations/accept");
    let page = browser.page("/invitations/accept").await;
    assert!(page.contains("already has an account"), "an existing account is asked to log in, not for a new password");
    page.form("Log in").fill(&[("password", password)]).submit(browser).await
}

#[tokio::test]
async fn the_first_administrator_accepting_activates_the_partner_and_lands_in_the_service_catalog() {
    let Arranged { app, partner_id } = arrange("invited").await;
    let token = InvitationFixture::new(partner_id, "ivy@globex.example").for_account_admin(true).create(&app).token;

    let r = app.get(&format!("/invitations/{token}")).await;
    assert_eq!(location(&r), "/invitations/accept", "the token leaves the address bar");
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    let r = app.get("/invitations/accept").await;
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    let html = crate::page::Page::read(r).await;
    for shown in [
        "Acme",
        "Globex",
        "Admin",
        "account administrator",
        "ivy@globex.example",
        ">Password</label>",
        ">Confirm password</label>",
    ] {
        assert!(html.contains(shown), "the accept page shows {shown}");
    }
    let form =
        html.form("Accept invitation").fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]);
    let r = form.submit(&app.browser).await;
    assert_eq!(location(&r), "/service-catalog");
    assert_eq!(app.get("/service-catalog").await.status(), StatusCode::OK, "logged in");

    let mut conn = app.conn();
    let (status, admin): (String, Option<UserId>) = schema::partners::table
        .find(partner_id)
        .select((schema::partners::status, schema::partners::account_admin_user_id))
        .first(&mut conn)
        .unwrap();
    let user = partner_portal::db::users::find_by_email(&mut conn, "ivy@globex.example").unwrap().unwrap();
    assert_eq!(status, "active");
    assert_eq!(admin, Some(user.id));
    let role = partner_portal::db::memberships::find_in_partner(&mut conn, partner_id, user.id).unwrap().unwrap().role;
    assert_eq!(role.as_str(), "admin");
    let actions: Vec<String> = schema::audit_events::table
        .filter(schema::audit_events::partner_id.eq(partner_id))
        .order(schema::audit_events::id)
        .select(schema::audit_events::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(actions, ["invitation.accepted", "partner.administrator_changed", "partner.activated"]);

    // The new password works for logging in later.
    let r = app.another_browser().login("ivy@globex.example", NEW_PASSWORD).await;
    assert_eq!(location(&r), "/service-catalog");
}

#[tokio::test]
async fn a_used_link_an_expired_link_a_revoked_link_and_an_unknown_link_each_say_so() {
    let Arranged { app, partner_id } = arrange("invited").await;
    let mut conn = app.conn();
    let used = InvitationFixture::new(partner_id, "used@globex.example").role("member").create(&app).token;
    let expired = InvitationFixture::new(partner_id, "late@globex.example")
        .role("member")
        .expires_in(Duration::minutes(-1))
        .create(&app)
        .token;
    let revoked = InvitationFixture::new(partner_id, "gone@globex.example").role("member").create(&app).token;
    diesel::update(schema::invitations::table.filter(schema::invitations::email.eq("gone@globex.example")))
        .set(schema::invitations::status.eq("revoked"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(location(&accept_with(&app.browser, &used).await), "/service-catalog");

    for (token, says) in [
        (used.as_str(), "already been used"),
        (expired.as_str(), "has expired"),
        (revoked.as_str(), "withdrawn"),
        ("bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtMDEyMzQ1Njc4OQ", "not valid"),
    ] {
        let r = app.another_browser().get(&format!("/invitations/{token}")).await;
        assert_eq!(r.status(), StatusCode::GONE);
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{says}");
        assert!(html.contains("Ask") || html.contains("ask"), "the page says what to do next");
    }
}

#[tokio::test]
async fn twenty_concurrent_accepts_of_one_link_create_exactly_one_account() {
    let Arranged { app, partner_id } = arrange("invited").await;
    let token = InvitationFixture::new(partner_id, "ivy@globex.example").for_account_admin(true).create(&app).token;
    let mut ready = Vec::new();
    for _ in 0..20 {
        let browser = app.another_browser();
        browser.get(&format!("/invitations/{token}")).await;
        let form = browser.page("/invitations/accept").await.form("Accept invitation");
        ready.push((browser, form.fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)])));
    }

    let accepts = ready.iter().map(|(browser, form)| async move { form.clone().submit(browser).await.status() });
    let statuses = futures_util::future::join_all(accepts).await;

    let winners = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    println!("20 concurrent accepts: {winners} account created, statuses {statuses:?}");
    assert_eq!(winners, 1);
    assert!(statuses.iter().all(|s| *s == StatusCode::SEE_OTHER || *s == StatusCode::GONE));
    let users: i64 = schema::users::table
        .filter(schema::users::email.eq("ivy@globex.example"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(users, 1);
}

#[tokio::test]
async fn a_weak_password_is_refused_and_the_invitation_stays_usable() {
    let Arranged { app, partner_id } = arrange("invited").await;
    let token = InvitationFixture::new(partner_id, "ivy@globex.example").for_account_admin(true).create(&app).token;
    app.get(&format!("/invitations/{token}")).await;
    let form = app.page("/invitations/accept").await.form("Accept invitation");

    let r = form
        .fill(&[("password", "password1234"), ("password_confirmation", "password1234")])
        .submit(&app.browser)
        .await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("accept-error"));
    assert_eq!(location(&accept_with(&app.browser, &token).await), "/service-catalog");
}

#[tokio::test]
async fn an_existing_member_made_administrator_is_promoted_and_the_previous_administrator_becomes_a_member() {
    let Arranged { app, partner_id } = arrange("active").await;
    let mut conn = app.conn();
    let old_admin = UserFixture::admin("old@globex.example").create(&app, partner_id);
    let member = UserFixture::member("mia@globex.example").create(&app, partner_id);
    partner_portal::db::partners::set_account_admin(&mut conn, partner_id, old_admin).unwrap();
    let token = InvitationFixture::new(partner_id, "mia@globex.example").for_account_admin(true).create(&app).token;
    // The old administrator is logged in elsewhere and can manage members.
    let old_browser = app.browser_of("old@globex.example").await;
    assert_eq!(old_browser.get("/members").await.status(), StatusCode::OK);

    app.get(&format!("/invitations/{token}")).await;
    let page = app.page("/invitations/accept").await;
    assert!(page.contains("already has an account"), "no new password: the existing account logs in");
    let r = page.form("Log in").fill(&[("password", PASSWORD)]).submit(&app.browser).await;
    assert_eq!(location(&r), "/service-catalog");

    let account_admin: Option<UserId> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(member));
    let roles: Vec<(String, String)> = schema::memberships::table
        .inner_join(schema::users::table)
        .filter(schema::memberships::partner_id.eq(partner_id))
        .order(schema::users::email)
        .select((schema::users::email, schema::memberships::role))
        .load(&mut conn)
        .unwrap();
    assert_eq!(roles, [("mia@globex.example".into(), "admin".into()), ("old@globex.example".into(), "member".into())]);
    assert_eq!(
        old_browser.get("/members").await.status(),
        StatusCode::FORBIDDEN,
        "the previous administrator's open session has the new role at once"
    );
}

#[tokio::test]
async fn a_new_person_made_administrator_replaces_the_previous_one() {
    let Arranged { app, partner_id } = arrange("active").await;
    let mut conn = app.conn();
    let old_admin = UserFixture::admin("old@globex.example").create(&app, partner_id);
    partner_portal::db::partners::set_account_admin(&mut conn, partner_id, old_admin).unwrap();
    let token = InvitationFixture::new(partner_id, "new@globex.example").for_account_admin(true).create(&app).token;

    assert_eq!(location(&accept_with(&app.browser, &token).await), "/service-catalog");

    let new_admin = partner_portal::db::users::find_by_email(&mut conn, "new@globex.example").unwrap().unwrap();
    let account_admin: Option<UserId> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(new_admin.id));
    let old_role: String = schema::memberships::table
        .filter(schema::memberships::user_id.eq(old_admin))
        .select(schema::memberships::role)
        .first(&mut conn)
        .unwrap();
    assert_eq!(old_role, "member");
}

#[tokio::test]
async fn an_invitation_of_a_deactivated_partner_no_longer_works() {
    let Arranged { app, partner_id } = arrange("deactivated").await;
    let token = InvitationFixture::new(partner_id, "ivy@globex.example").for_account_admin(true).create(&app).token;

    let r = app.get(&format!("/invitations/{token}")).await;

    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("withdrawn"));
}

#[tokio::test]
async fn a_removed_member_invited_back_logs_in_and_the_same_membership_is_live_again() {
    let Arranged { app, partner_id } = arrange("active").await;
    let mut conn = app.conn();
    let removed = UserFixture::member("back@globex.example").create(&app, partner_id);
    diesel::update(schema::memberships::table.filter(schema::memberships::user_id.eq(removed)))
        .set(schema::memberships::ended_at.eq(chrono::Utc::now()))
        .execute(&mut conn)
        .unwrap();
    let token = InvitationFixture::new(partner_id, "back@globex.example").role("member").create(&app).token;

    let r = accept_by_logging_in(&app.browser, &token, PASSWORD).await;

    assert_eq!(location(&r), "/service-catalog");
    let live = partner_portal::db::memberships::find_in_partner(&mut conn, partner_id, removed).unwrap();
    assert!(live.is_some(), "the membership is live again, same account (history kept)");
    assert_eq!(app.get("/service-catalog").await.status(), StatusCode::OK);
}
