//! Accepting invitations: the link, the accept page, the account, the partner's activation.

use chrono::Duration;
use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    fixtures::{plant_invitation, seed_login_user, seed_partner},
    helpers::{csrf_token, location, TestApp, PASSWORD},
};

const NEW_PASSWORD: &str = "violet kettle harbour 9";

struct Arranged {
    app: TestApp,
    enterprise_id: i64,
    partner_id: i64,
}

async fn arrange(status: &str) -> Arranged {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    let partner_id = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.example"], status);
    Arranged { app, enterprise_id, partner_id }
}

/// Opens the link in `client` and accepts with a new password; returns the final response.
pub async fn accept_with(app: &TestApp, client: &reqwest::Client, token: &str) -> reqwest::Response {
    let r = client.get(app.url(&format!("/invitations/{token}"))).send().await.unwrap();
    assert_eq!(location(&r), "/invitations/accept");
    let html = client.get(app.url("/invitations/accept")).send().await.unwrap().text().await.unwrap();
    let t = csrf_token(&html);
    client
        .post(app.url("/invitations/accept"))
        .form(&[("csrf_token", t.as_str()), ("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_first_administrator_accepting_activates_the_partner_and_lands_in_the_service_catalog() {
    let Arranged { app, enterprise_id, partner_id } = arrange("invited").await;
    let token = plant_invitation(
        &mut app.conn(),
        enterprise_id,
        partner_id,
        "ivy@globex.example",
        "admin",
        true,
        Duration::days(7),
    );

    let r = app.get(&format!("/invitations/{token}")).await;
    assert_eq!(location(&r), "/invitations/accept", "the token leaves the address bar");
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    let r = app.get("/invitations/accept").await;
    assert_eq!(r.headers().get("referrer-policy").unwrap(), "no-referrer");
    let html = r.text().await.unwrap();
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
    let r = app
        .client
        .post(app.url("/invitations/accept"))
        .form(&[
            ("csrf_token", csrf_token(&html).as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirmation", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/service-catalog");
    assert_eq!(app.get("/service-catalog").await.status(), StatusCode::OK, "logged in");

    let mut conn = app.conn();
    let (status, admin): (String, Option<i64>) = schema::partners::table
        .find(partner_id)
        .select((schema::partners::status, schema::partners::account_admin_user_id))
        .first(&mut conn)
        .unwrap();
    let user = partner_portal::db::users::find_by_email(&mut conn, "ivy@globex.example").unwrap().unwrap();
    assert_eq!(status, "active");
    assert_eq!(admin, Some(user.id));
    assert_eq!(user.role.as_str(), "admin");
    let actions: Vec<String> = schema::audit_events::table
        .filter(schema::audit_events::partner_id.eq(partner_id))
        .order(schema::audit_events::id)
        .select(schema::audit_events::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(actions, ["invitation.accepted", "partner.administrator_changed", "partner.activated"]);

    // The new password works for logging in later.
    let (_, other) = app.new_browser();
    let html = other.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let r = other
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", csrf_token(&html).as_str()),
            ("email", "ivy@globex.example"),
            ("password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/service-catalog");
}

#[tokio::test]
async fn a_used_link_an_expired_link_a_revoked_link_and_an_unknown_link_each_say_so() {
    let Arranged { app, enterprise_id, partner_id } = arrange("invited").await;
    let mut conn = app.conn();
    let used = plant_invitation(
        &mut conn,
        enterprise_id,
        partner_id,
        "used@globex.example",
        "member",
        false,
        Duration::days(7),
    );
    let expired = plant_invitation(
        &mut conn,
        enterprise_id,
        partner_id,
        "late@globex.example",
        "member",
        false,
        Duration::minutes(-1),
    );
    let revoked = plant_invitation(
        &mut conn,
        enterprise_id,
        partner_id,
        "gone@globex.example",
        "member",
        false,
        Duration::days(7),
    );
    diesel::update(schema::invitations::table.filter(schema::invitations::email.eq("gone@globex.example")))
        .set(schema::invitations::status.eq("revoked"))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(location(&accept_with(&app, &app.client, &used).await), "/service-catalog");

    for (token, says) in [
        (used.as_str(), "already been used"),
        (expired.as_str(), "has expired"),
        (revoked.as_str(), "withdrawn"),
        ("bm90LWEtcmVhbC10b2tlbi1hdC1hbGwtMDEyMzQ1Njc4OQ", "not valid"),
    ] {
        let (_, fresh) = app.new_browser();
        let r = fresh.get(app.url(&format!("/invitations/{token}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::GONE);
        let html = r.text().await.unwrap();
        assert!(html.contains(says), "{says}");
        assert!(html.contains("Ask") || html.contains("ask"), "the page says what to do next");
    }
}

#[tokio::test]
async fn twenty_concurrent_accepts_of_one_link_create_exactly_one_account() {
    let Arranged { app, enterprise_id, partner_id } = arrange("invited").await;
    let token = plant_invitation(
        &mut app.conn(),
        enterprise_id,
        partner_id,
        "ivy@globex.example",
        "admin",
        true,
        Duration::days(7),
    );
    let mut ready = Vec::new();
    for _ in 0..20 {
        let (_, browser) = app.new_browser();
        browser.get(app.url(&format!("/invitations/{token}"))).send().await.unwrap();
        let html = browser.get(app.url("/invitations/accept")).send().await.unwrap().text().await.unwrap();
        ready.push((browser, csrf_token(&html)));
    }

    let accepts = ready.iter().map(|(browser, t)| {
        let req = browser.post(app.url("/invitations/accept")).form(&[
            ("csrf_token", t.as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirmation", NEW_PASSWORD),
        ]);
        async move { req.send().await.unwrap().status() }
    });
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
    let Arranged { app, enterprise_id, partner_id } = arrange("invited").await;
    let token = plant_invitation(
        &mut app.conn(),
        enterprise_id,
        partner_id,
        "ivy@globex.example",
        "admin",
        true,
        Duration::days(7),
    );
    app.get(&format!("/invitations/{token}")).await;
    let html = app.get_html("/invitations/accept").await.1;

    let r = app
        .client
        .post(app.url("/invitations/accept"))
        .form(&[
            ("csrf_token", csrf_token(&html).as_str()),
            ("password", "password1234"),
            ("password_confirmation", "password1234"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("accept-error"));
    assert_eq!(location(&accept_with(&app, &app.client, &token).await), "/service-catalog");
}

#[tokio::test]
async fn an_existing_member_made_administrator_is_promoted_and_the_previous_administrator_becomes_a_member() {
    let Arranged { app, enterprise_id, partner_id } = arrange("active").await;
    let mut conn = app.conn();
    let old_admin = seed_login_user(&mut conn, enterprise_id, partner_id, "old@globex.example", "admin");
    let member = seed_login_user(&mut conn, enterprise_id, partner_id, "mia@globex.example", "member");
    partner_portal::db::partners::set_account_admin(&mut conn, partner_id, old_admin).unwrap();
    let token =
        plant_invitation(&mut conn, enterprise_id, partner_id, "mia@globex.example", "admin", true, Duration::days(7));
    // The old administrator is logged in elsewhere and can manage members.
    let (_, old_browser) = app.new_browser();
    let html = old_browser.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    old_browser
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", "old@globex.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(old_browser.get(app.url("/members")).send().await.unwrap().status(), StatusCode::OK);

    app.get(&format!("/invitations/{token}")).await;
    let html = app.get_html("/invitations/accept").await.1;
    assert!(html.contains("You already have an account"), "no password asked of an existing user");
    let r = app
        .client
        .post(app.url("/invitations/accept"))
        .form(&[("csrf_token", csrf_token(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/service-catalog");

    let account_admin: Option<i64> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(member));
    let roles: Vec<(String, String)> = schema::users::table
        .filter(schema::users::partner_id.eq(partner_id))
        .order(schema::users::email)
        .select((schema::users::email, schema::users::role))
        .load(&mut conn)
        .unwrap();
    assert_eq!(roles, [("mia@globex.example".into(), "admin".into()), ("old@globex.example".into(), "member".into())]);
    assert_eq!(
        old_browser.get(app.url("/members")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "the previous administrator's open session has the new role at once"
    );
}

#[tokio::test]
async fn a_new_person_made_administrator_replaces_the_previous_one() {
    let Arranged { app, enterprise_id, partner_id } = arrange("active").await;
    let mut conn = app.conn();
    let old_admin = seed_login_user(&mut conn, enterprise_id, partner_id, "old@globex.example", "admin");
    partner_portal::db::partners::set_account_admin(&mut conn, partner_id, old_admin).unwrap();
    let token =
        plant_invitation(&mut conn, enterprise_id, partner_id, "new@globex.example", "admin", true, Duration::days(7));

    assert_eq!(location(&accept_with(&app, &app.client, &token).await), "/service-catalog");

    let new_admin = partner_portal::db::users::find_by_email(&mut conn, "new@globex.example").unwrap().unwrap();
    let account_admin: Option<i64> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(new_admin.id));
    let old_role: String = schema::users::table.find(old_admin).select(schema::users::role).first(&mut conn).unwrap();
    assert_eq!(old_role, "member");
}

#[tokio::test]
async fn an_invitation_of_a_deactivated_partner_no_longer_works() {
    let Arranged { app, enterprise_id, partner_id } = arrange("deactivated").await;
    let token = plant_invitation(
        &mut app.conn(),
        enterprise_id,
        partner_id,
        "ivy@globex.example",
        "admin",
        true,
        Duration::days(7),
    );

    let r = app.get(&format!("/invitations/{token}")).await;

    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("withdrawn"));
}

#[tokio::test]
async fn a_removed_member_invited_back_chooses_a_new_password_and_is_enabled_again() {
    let Arranged { app, enterprise_id, partner_id } = arrange("active").await;
    let mut conn = app.conn();
    let removed = seed_login_user(&mut conn, enterprise_id, partner_id, "back@globex.example", "member");
    diesel::update(schema::users::table.find(removed))
        .set(schema::users::disabled_at.eq(chrono::Utc::now()))
        .execute(&mut conn)
        .unwrap();
    let token = plant_invitation(
        &mut conn,
        enterprise_id,
        partner_id,
        "back@globex.example",
        "member",
        false,
        Duration::days(7),
    );

    let r = accept_with(&app, &app.client, &token).await;

    assert_eq!(location(&r), "/service-catalog");
    let user = partner_portal::db::users::find(&mut conn, removed).unwrap().unwrap();
    assert!(user.disabled_at.is_none(), "enabled again, same account (history kept)");
    assert_eq!(app.get("/service-catalog").await.status(), StatusCode::OK);
}
