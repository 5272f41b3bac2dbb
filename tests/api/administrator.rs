//! The partner's account administrator, end to end through a real SMTP server: Add Partner
//! emails the first administrator; General → "Partner administrator account" changes them.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{InvitationId, UserId};
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{location, Browser, Spawn, TestApp, PASSWORD},
    page::Page,
};

const NEW_PASSWORD: &str = "orange lantern meadow 31";

/// With the test SMTP server; Erin, Acme's admin, logged in.
fn app_with_smtp() -> Spawn {
    TestApp::spawn().with_smtp().logged_in_as_enterprise_admin()
}

async fn post(app: &TestApp, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.submit(page, action, fields).await
}

/// Sends the emails, follows the link in the newest one to `to` in a fresh browser and sets
/// a password.
async fn accept(app: &TestApp, to: &str) -> (Browser, reqwest::Response) {
    let path = app.emailed_link(to, "/invitations/").await;
    let browser = app.another_browser();
    let r = browser.get(&path).await;
    assert_eq!(location(&r), "/invitations/accept");
    let page = browser.page("/invitations/accept").await;
    let mut form = page.form("/invitations/accept");
    if form.value("password_confirmation").is_some() {
        form = form.fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]);
    } else if form.value("password").is_some() {
        // An existing account logs in with its own password (fixtures use PASSWORD).
        form = form.fill(&[("password", PASSWORD)]);
    }
    let r = form.submit(&browser).await;
    (browser, r)
}

/// Globex (active) whose account administrator is old@globex.example.
fn globex_with_old_admin() -> PartnerFixture {
    PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("old@globex.example"))
}

#[tokio::test]
async fn add_partner_emails_the_administrator_who_accepts_and_makes_the_partner_active() {
    let app = app_with_smtp().await;

    // The wizard, as an admin would fill it in.
    let token = app.page("/settings/partners").await.csrf_token();
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

    let mail = app.emails().await.remove(0);
    assert_eq!(mail.to(), "ana@globex.example");
    assert!(mail.subject().contains("Globex"), "{}", mail.subject());
    let text = mail.text().unwrap();
    assert!(text.contains("Acme") && text.contains("Admin") && text.contains("expires"), "{text}");
    assert!(mail.html().unwrap().contains("Globex"));
    assert!(mail.link(&app.address).is_some(), "the email carries a link built from PUBLIC_BASE_URL");

    // The admin sees the invitation's state and that its email went out.
    let (_, html) = app.get_html(&partner_page).await;
    assert!(html.contains("Pending") && html.contains("Email sent"), "General shows the invitation and its email");

    let (browser, r) = accept(&app, "ana@globex.example").await;
    assert_eq!(location(&r), "/service-catalog");
    assert_eq!(browser.get("/service-catalog").await.status(), StatusCode::OK);
    let (_, html) = app.get_html(&partner_page).await;
    assert!(html.contains("badge-active"), "the partner is now active");
    assert!(html.contains("ana@globex.example"));
}

#[tokio::test]
async fn a_new_administrator_replaces_the_current_one_only_once_they_accept() {
    let app = app_with_smtp().with_partner(globex_with_old_admin()).await;
    let (partner_id, old) = (app.partner_id(), app.partner().account_admin.unwrap());
    let mut conn = app.conn();
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
    let account_admin: Option<UserId> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(old));

    let (_, r) = accept(&app, "nina@globex.example").await;
    assert_eq!(location(&r), "/service-catalog");

    let nina = partner_portal::db::users::find_by_email(&mut conn, "nina@globex.example").unwrap().unwrap();
    let account_admin: Option<UserId> = schema::partners::table
        .find(partner_id)
        .select(schema::partners::account_admin_user_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(account_admin, Some(nina.id));
    let old_role: String = schema::memberships::table
        .filter(schema::memberships::user_id.eq(old))
        .filter(schema::memberships::partner_id.eq(partner_id))
        .select(schema::memberships::role)
        .first(&mut conn)
        .unwrap();
    assert_eq!(old_role, "member");
}

#[tokio::test]
async fn an_existing_member_is_promoted_by_an_administrator_invitation() {
    let app =
        app_with_smtp().with_partner(globex_with_old_admin().user(UserFixture::member("mia@globex.example"))).await;
    let (partner_id, old, mia) = (app.partner_id(), app.partner().users[0], app.partner().users[1]);
    let mut conn = app.conn();
    let page = format!("/settings/partners/{partner_id}");

    post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "Mia"), ("surname", "M"), ("email", "MIA@globex.example")],
    )
    .await;
    let (_, r) = accept(&app, "mia@globex.example").await;

    assert_eq!(location(&r), "/service-catalog");
    let roles: Vec<(UserId, String)> = schema::memberships::table
        .filter(schema::memberships::partner_id.eq(partner_id))
        .order(schema::memberships::user_id)
        .select((schema::memberships::user_id, schema::memberships::role))
        .load(&mut conn)
        .unwrap();
    assert_eq!(roles, [(old, "member".to_string()), (mia, "admin".to_string())]);
}

#[tokio::test]
async fn resending_kills_the_old_link_and_revoking_kills_the_new_one() {
    let app = app_with_smtp().with_partner(PartnerFixture::new("Globex").domains(["globex.example"])).await;
    let partner_id = app.partner_id();
    let page = format!("/settings/partners/{partner_id}");
    post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "Ana"), ("surname", "Lima"), ("email", "ana@globex.example")],
    )
    .await;
    let first = app.emailed_link("ana@globex.example", "/invitations/").await;
    let invitation_id: InvitationId =
        schema::invitations::table.select(schema::invitations::id).first(&mut app.conn()).unwrap();

    let r = post(&app, &page, &format!("{page}/invitations/{invitation_id}/resend"), &[]).await;
    assert_eq!(location(&r), page);
    assert_eq!(app.emails().await.len(), 2);
    let second = app.emailed_link("ana@globex.example", "/invitations/").await;
    assert_ne!(first, second);
    let fresh = app.another_browser();
    let old = fresh.get(&first).await;
    assert_eq!(old.status(), StatusCode::GONE, "the old link is dead");

    post(&app, &page, &format!("{page}/invitations/{invitation_id}/revoke"), &[]).await;
    let r = fresh.get(&second).await;
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
async fn an_administrator_outside_the_partners_domains_is_refused_but_an_account_elsewhere_is_welcome() {
    let app = app_with_smtp().with_partner(PartnerFixture::new("Globex").domains(["globex.example"])).await;
    let partner_id = app.partner_id();
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
        let page = Page::read(r).await;
        assert!(page.field_error("admin_email").is_some());
        assert!(page.html.contains("value=\"Lima\""), "input kept");
    }
    let invitations: i64 = schema::invitations::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(invitations, 0, "nothing changed");

    // One person, many organisations (SPEC §10): an address with an account at another
    // enterprise is invited like anyone; accepting adds a membership.
    app.create_enterprise_admin("Other", "boss@globex.example", PASSWORD);
    let r = post(
        &app,
        &page,
        &format!("{page}/administrator"),
        &[("first_name", "B"), ("surname", "B"), ("email", "boss@globex.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let invitations: i64 = schema::invitations::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(invitations, 1);
}

#[tokio::test]
async fn another_tenants_partner_or_a_deactivated_one_cannot_get_an_administrator_invitation() {
    let app = app_with_smtp().await;
    let (other, _) = app.create_enterprise_admin("Other", "olga@other.example", PASSWORD);
    let theirs = PartnerFixture::new("Theirs").domains(["theirs.example"]).enterprise(other).create(&app).id;
    let gone = PartnerFixture::new("Gone").domains(["gone.example"]).deactivated().create(&app).id;
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
