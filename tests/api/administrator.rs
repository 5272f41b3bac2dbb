//! The partner's account administrator, end to end through a real SMTP server: Add Partner
//! emails the first administrator; General → "Partner administrator account" changes them.

use std::time::Duration;

use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_login_user, seed_partner},
    helpers::{csrf_token, location, text_of, Options, TestApp, PASSWORD},
    smtp::TestSmtp,
};

const WAIT: Duration = Duration::from_secs(10);
const ADMIN: &str = "erin@acme.example";
const NEW_PASSWORD: &str = "orange lantern meadow 31";

async fn app_with(smtp: &TestSmtp) -> (TestApp, i64, i64) {
    let app = TestApp::spawn_with(Options {
        env: vec![("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".into())],
        ..Default::default()
    })
    .await;
    let (enterprise_id, user_id) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    (app, enterprise_id, user_id)
}

async fn post(app: &TestApp, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.submit(page, action, fields).await
}

/// Follows an emailed invitation link in a fresh browser and sets a password.
async fn accept(app: &TestApp, link: &str) -> (reqwest::Client, reqwest::Response) {
    let path = url::Url::parse(link).unwrap().path().to_string();
    let (_, browser) = app.new_browser();
    let r = browser.get(app.url(&path)).send().await.unwrap();
    assert_eq!(location(&r), "/invitations/accept");
    let html = browser.get(app.url("/invitations/accept")).send().await.unwrap().text().await.unwrap();
    let t = csrf_token(&html);
    let mut form = vec![("csrf_token", t.as_str())];
    if html.contains("name=\"password\"") {
        form.extend([("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]);
    }
    let r = browser.post(app.url("/invitations/accept")).form(&form).send().await.unwrap();
    (browser, r)
}

#[tokio::test]
async fn add_partner_emails_the_administrator_who_accepts_and_makes_the_partner_active() {
    let smtp = TestSmtp::start().await;
    let (app, _, _) = app_with(&smtp).await;

    // The wizard, as an admin would fill it in.
    let token = csrf_token(&app.get_html("/settings/partners").await.1);
    let r = app
        .client
        .post(app.url("/settings/partners/drafts"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let draft = location(&r).rsplit_once('/').unwrap().0.to_string();
    let form = reqwest::multipart::Form::new().text("csrf_token", token.clone()).text("name", "Globex");
    app.client.post(app.url(&format!("{draft}/info"))).multipart(form).send().await.unwrap();
    post(
        &app,
        &format!("{draft}/domains"),
        &format!("{draft}/domains"),
        &[("domain", "globex.example"), ("action", "next")],
    )
    .await;
    post(
        &app,
        &format!("{draft}/administrator"),
        &format!("{draft}/administrator"),
        &[("first_name", "Ana"), ("surname", "Lima"), ("email", "ana@globex.example")],
    )
    .await;
    let r = post(&app, &format!("{draft}/review"), &format!("{draft}/submit"), &[]).await;
    let partner_page = location(&r);

    let mail = smtp.wait_for(1, WAIT).await.remove(0);
    assert_eq!(mail.to(), "ana@globex.example");
    assert!(mail.subject().contains("Globex"), "{}", mail.subject());
    let text = mail.text().unwrap();
    assert!(text.contains("Acme") && text.contains("Admin") && text.contains("expires"), "{text}");
    assert!(mail.html().unwrap().contains("Globex"));
    let link = mail.link(&app.address).expect("the email carries a link built from PUBLIC_BASE_URL");

    // The admin sees the invitation's state and that its email went out.
    let (_, html) = app.get_html(&partner_page).await;
    assert!(html.contains("Pending") && html.contains("Email sent"), "General shows the invitation and its email");

    let (browser, r) = accept(&app, &link).await;
    assert_eq!(location(&r), "/service-catalog");
    assert_eq!(browser.get(app.url("/service-catalog")).send().await.unwrap().status(), StatusCode::OK);
    let (_, html) = app.get_html(&partner_page).await;
    assert!(html.contains("badge-active"), "the partner is now active");
    assert!(html.contains("ana@globex.example"));
}

#[tokio::test]
async fn a_new_administrator_replaces_the_current_one_only_once_they_accept() {
    let smtp = TestSmtp::start().await;
    let (app, enterprise_id, _) = app_with(&smtp).await;
    let mut conn = app.conn();
    let partner_id = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.example"], "active");
    let old = seed_login_user(&mut conn, enterprise_id, partner_id, "old@globex.example", "admin");
    partner_portal::db::partners::set_account_admin(&mut conn, partner_id, old).unwrap();
    let page = format!("/settings/partners/{partner_id}");

    let (_, html) = app.get_html(&page).await;
    assert!(html.contains("Partner administrator account") && html.contains(">Send invitation<"));
    let r = post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "Nina"), ("surname", "New"), ("email", "nina@globex.example")],
    )
    .await;
    assert_eq!(location(&r), page);

    // Until Nina accepts, the old administrator stays in place.
    let (_, html) = app.get_html(&page).await;
    assert!(html.contains("old@globex.example") && html.contains("nina@globex.example"));
    let account_admin: Option<i64> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(old));

    let link = smtp.wait_for(1, WAIT).await[0].link(&app.address).unwrap();
    let (_, r) = accept(&app, &link).await;
    assert_eq!(location(&r), "/service-catalog");

    let nina = partner_portal::db::users::find_by_email(&mut conn, "nina@globex.example").unwrap().unwrap();
    let account_admin: Option<i64> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(nina.id));
    let old_role: String = schema::users::table.find(old).select(schema::users::role).first(&mut conn).unwrap();
    assert_eq!(old_role, "member");
}

#[tokio::test]
async fn an_existing_member_is_promoted_by_an_administrator_invitation() {
    let smtp = TestSmtp::start().await;
    let (app, enterprise_id, _) = app_with(&smtp).await;
    let mut conn = app.conn();
    let partner_id = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.example"], "active");
    let old = seed_login_user(&mut conn, enterprise_id, partner_id, "old@globex.example", "admin");
    let mia = seed_login_user(&mut conn, enterprise_id, partner_id, "mia@globex.example", "member");
    partner_portal::db::partners::set_account_admin(&mut conn, partner_id, old).unwrap();
    let page = format!("/settings/partners/{partner_id}");

    post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "Mia"), ("surname", "M"), ("email", "MIA@globex.example")],
    )
    .await;
    let link = smtp.wait_for(1, WAIT).await[0].link(&app.address).unwrap();
    let (_, r) = accept(&app, &link).await;

    assert_eq!(location(&r), "/service-catalog");
    let roles: Vec<(i64, String)> = schema::users::table
        .filter(schema::users::partner_id.eq(partner_id))
        .order(schema::users::id)
        .select((schema::users::id, schema::users::role))
        .load(&mut conn)
        .unwrap();
    assert_eq!(roles, [(old, "member".to_string()), (mia, "admin".to_string())]);
}

#[tokio::test]
async fn resending_kills_the_old_link_and_revoking_kills_the_new_one() {
    let smtp = TestSmtp::start().await;
    let (app, enterprise_id, _) = app_with(&smtp).await;
    let partner_id = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.example"], "invited");
    let page = format!("/settings/partners/{partner_id}");
    post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "Ana"), ("surname", "Lima"), ("email", "ana@globex.example")],
    )
    .await;
    let first = smtp.wait_for(1, WAIT).await[0].link(&app.address).unwrap();
    let invitation_id: i64 = schema::invitations::table.select(schema::invitations::id).first(&mut app.conn()).unwrap();

    let r = post(&app, &page, &format!("{page}/invitations/{invitation_id}/resend"), &[]).await;
    assert_eq!(location(&r), page);
    let second = smtp.wait_for(2, WAIT).await[1].link(&app.address).unwrap();
    assert_ne!(first, second);
    let (_, fresh) = app.new_browser();
    let old = fresh.get(app.url(url::Url::parse(&first).unwrap().path())).send().await.unwrap();
    assert_eq!(old.status(), StatusCode::GONE, "the old link is dead");

    post(&app, &page, &format!("{page}/invitations/{invitation_id}/revoke"), &[]).await;
    let r = fresh.get(app.url(url::Url::parse(&second).unwrap().path())).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("withdrawn"));
    let actions: Vec<String> = schema::audit_events::table
        .filter(schema::audit_events::partner_id.eq(partner_id))
        .order(schema::audit_events::id)
        .select(schema::audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["invitation.sent", "invitation.resent", "invitation.revoked"]);
}

#[tokio::test]
async fn an_administrator_outside_the_partners_domains_or_with_an_account_elsewhere_is_refused() {
    let smtp = TestSmtp::start().await;
    let (app, enterprise_id, _) = app_with(&smtp).await;
    let partner_id = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.example"], "invited");
    let page = format!("/settings/partners/{partner_id}");

    for bad in ["ana@eu.globex.example", "ana@globex.example.evil.com", "Ana <ana@globex.example>"] {
        let r = post(
            &app,
            &page,
            &format!("{page}/administrator"),
            &[("first_name", "Ana"), ("surname", "Lima"), ("email", bad)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let html = r.text().await.unwrap();
        assert!(text_of(&html, "#admin_email-error").is_some());
        assert!(html.contains("value=\"Lima\""), "input kept");
    }
    app.create_enterprise_admin("Other", "boss@globex.example", PASSWORD);
    let r = post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "B"), ("surname", "B"), ("email", "boss@globex.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text_of(&r.text().await.unwrap(), "#admin_email-error").unwrap().contains("another organisation"));
    let invitations: i64 = schema::invitations::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(invitations, 0, "nothing changed");
}

#[tokio::test]
async fn another_tenants_partner_or_a_deactivated_one_cannot_get_an_administrator_invitation() {
    let smtp = TestSmtp::start().await;
    let (app, enterprise_id, _) = app_with(&smtp).await;
    let (other, _) = app.create_enterprise_admin("Other", "olga@other.example", PASSWORD);
    let theirs = seed_partner(&mut app.conn(), other, "Theirs", &["theirs.example"], "invited");
    let gone = seed_partner(&mut app.conn(), enterprise_id, "Gone", &["gone.example"], "deactivated");
    let mine = format!("/settings/partners/{gone}");

    let r = post(
        &app,
        &mine,
        &format!("/settings/partners/{theirs}/administrator"),
        &[("first_name", "A"), ("surname", "B"), ("email", "a@theirs.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = post(
        &app,
        &mine,
        &format!("{mine}/administrator"),
        &[("first_name", "A"), ("surname", "B"), ("email", "a@gone.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(schema::invitations::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 0);
}
