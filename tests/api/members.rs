//! Members (partner Admins): inviting, resending, revoking, changing roles, removing; who may.

use diesel::prelude::*;
use partner_portal::db::{instrumentation, schema};
use partner_portal::domain::{PartnerId, UserId};
use reqwest::StatusCode;

use crate::{
    fixtures::{audit_actions, InvitationFixture, PartnerFixture, UserFixture},
    helpers::{location, Browser, Spawn, TestApp, PASSWORD},
    page::Page,
};

const NEW_PASSWORD: &str = "violet kettle harbour 9";
const ACCOUNT_ADMIN_REFUSAL: &str =
    "The account administrator can only change through an administrator change by the enterprise.";

struct Team {
    app: TestApp,
    partner_id: PartnerId,
    /// Ada Admin, the account administrator, logged in in `app.client`.
    ada: UserId,
}

/// Globex (globex.example) with Ada as its account administrator, logged in.
async fn team_with(spawn: Spawn) -> Team {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"));
    let app = spawn.logged_in_as_partner_admin(globex).await;
    assert_eq!(location(&app.get("/").await), "/service-catalog");
    let (partner_id, ada) = (app.partner_id(), app.partner().users[0]);
    Team { app, partner_id, ada }
}

async fn team() -> Team {
    team_with(TestApp::spawn()).await
}

/// Another browser, logged in as `email`.
async fn browser_of(app: &TestApp, email: &str, password: &str) -> Browser {
    let client = app.another_browser();
    let r = client.login(email, password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} logs in");
    client
}

async fn get_status(client: &Browser, path: &str) -> StatusCode {
    client.get(path).await.status()
}

async fn invite(app: &TestApp, first: &str, surname: &str, email: &str, role: &str) -> reqwest::Response {
    app.submit(
        "/members",
        "/members/invite",
        &[("first_name", first), ("surname", surname), ("email", email), ("role", role)],
    )
    .await
}

/// Follows an emailed invitation link in a fresh browser and accepts it; returns that browser.
async fn accept_in_fresh_browser(app: &TestApp, link: &str) -> (Browser, reqwest::Response) {
    let fresh = app.another_browser();
    let path = url::Url::parse(link).unwrap().path().to_string();
    let r = fresh.get(&path).await;
    if location(&r) != "/invitations/accept" {
        return (fresh, r);
    }
    let token = fresh.page("/invitations/accept").await.csrf_token();
    let r = fresh
        .post("/invitations/accept", &token, &[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)])
        .await;
    (fresh, r)
}

/// The page's main text as a person reads it (entities decoded).
async fn shown(r: reqwest::Response) -> String {
    Page::read(r).await.text("main").unwrap_or_default()
}

fn invitation_id(app: &TestApp, email: &str) -> i64 {
    use schema::invitations::dsl as i;
    i::invitations.filter(i::email.eq(email)).select(i::id).first(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn a_member_invite_outside_the_registered_domains_or_not_a_plain_address_is_refused_with_the_field_marked() {
    let Team { app, .. } = team().await;
    for bad in [
        "ana@sub.globex.example",
        "ana@globex.example.evil.com",
        "Ana Lima <ana@globex.example>",
        "\"ana\"@globex.example",
        "ana@evil.com@globex.example",
        "ana@globex.example\r\nBcc: spy@evil.com",
        "ana@globex.example\nx",
    ] {
        let r = invite(&app, "Ana", "Lima", bad, "member").await;

        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let html = Page::read(r).await;
        assert!(html.contains(r#"id="email-error""#), "{bad:?}: the Email field is marked");
        assert!(html.contains(r#"value="Ana""#) && html.contains(r#"value="Lima""#), "{bad:?}: the input is kept");
    }
    let r = invite(&app, "", "Lima", "ana@globex.example", "owner").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(r).await;
    assert!(html.contains(r#"id="first_name-error""#) && html.contains(r#"id="role-error""#));
    assert!(html.contains(r#"value="ana@globex.example""#), "the email is kept");

    let invitations: i64 = schema::invitations::table.count().get_result(&mut app.conn()).unwrap();
    let emails: i64 = schema::outbox_emails::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!((invitations, emails), (0, 0), "nothing was invited or queued");
}

#[tokio::test]
async fn an_invited_member_follows_the_emailed_link_lands_in_the_service_catalog_and_cannot_manage_members() {
    let Team { app, partner_id, .. } = team_with(TestApp::spawn().with_smtp()).await;

    let r = invite(&app, "Mia", "Member", "Mia@Globex.example", "member").await;

    assert_eq!(location(&r), "/members");
    let html = app.get_html("/members").await.1;
    assert!(html.contains("Invitation sent to mia@globex.example"), "the flash names the address");
    assert!(html.contains("Mia Member") && html.contains("Pending"));
    let mail = app.emails().await.remove(0);
    assert!(app.get_html("/members").await.1.contains("Email sent"));
    assert_eq!(mail.to(), "mia@globex.example");
    let link = mail.link(&format!("{}/invitations/", app.address)).expect("an invitation link");

    let (mia, r) = accept_in_fresh_browser(&app, &link).await;

    assert_eq!(location(&r), "/service-catalog");
    let catalog = mia.get("/service-catalog").await;
    assert_eq!(catalog.status(), StatusCode::OK);
    assert!(!catalog.text().await.unwrap().contains(r#"href="/members""#), "no Members entry in a Member's menu");
    assert_eq!(get_status(&mia, "/members").await, StatusCode::FORBIDDEN);
    let html = app.get_html("/members").await.1;
    assert!(
        html.contains("mia@globex.example") && html.contains("No open invitations"),
        "Mia is now listed as a member"
    );
    let actions = audit_actions(&mut app.conn(), partner_id);
    assert!(
        actions.contains(&"invitation.sent".to_string()) && actions.contains(&"invitation.accepted".to_string()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn resending_an_invitation_kills_the_old_link_and_the_new_one_works() {
    let Team { app, partner_id, .. } = team_with(TestApp::spawn().with_smtp()).await;
    invite(&app, "Mia", "Member", "mia@globex.example", "member").await;
    let first = app.emails().await[0].link(&format!("{}/invitations/", app.address)).unwrap();
    let id = invitation_id(&app, "mia@globex.example");

    let r = app.submit("/members", &format!("/members/invitations/{id}/resend"), &[]).await;

    assert_eq!(location(&r), "/members");
    assert!(app.get_html("/members").await.1.contains("Invitation resent to mia@globex.example"));
    let second = app.emails().await[1].link(&format!("{}/invitations/", app.address)).unwrap();
    assert_ne!(first, second);
    let (_, r) = accept_in_fresh_browser(&app, &first).await;
    assert_eq!(r.status(), StatusCode::GONE, "the old link is dead");
    let page = shown(r).await;
    assert!(page.contains("replaced by a newer invitation"), "the old link says why:\n{page}");
    assert!(!page.contains("opened the whole link"), "{page}");
    let (_, r) = accept_in_fresh_browser(&app, &second).await;
    assert_eq!(location(&r), "/service-catalog", "the new link works");
    assert!(audit_actions(&mut app.conn(), partner_id).contains(&"invitation.resent".to_string()));
}

#[tokio::test]
async fn revoking_an_invitation_kills_its_link() {
    let Team { app, partner_id, .. } = team_with(TestApp::spawn().with_smtp()).await;
    invite(&app, "Mia", "Member", "mia@globex.example", "member").await;
    let link = app.emails().await[0].link(&format!("{}/invitations/", app.address)).unwrap();
    let id = invitation_id(&app, "mia@globex.example");

    let r = app.submit("/members", &format!("/members/invitations/{id}/revoke"), &[]).await;

    assert_eq!(location(&r), "/members");
    let html = app.get_html("/members").await.1;
    assert!(html.contains("The invitation to mia@globex.example was revoked"));
    assert!(html.contains("No open invitations"));
    let (_, r) = accept_in_fresh_browser(&app, &link).await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert!(r.text().await.unwrap().contains("withdrawn"));
    assert!(audit_actions(&mut app.conn(), partner_id).contains(&"invitation.revoked".to_string()));
}

#[tokio::test]
async fn inviting_an_address_already_invited_or_already_a_member_is_refused_with_a_clear_message() {
    let Team { app, .. } = team().await;
    assert_eq!(location(&invite(&app, "Mia", "Member", "mia@globex.example", "member").await), "/members");

    let again = invite(&app, "Mia", "Member", "mia@globex.example", "admin").await;
    let member = invite(&app, "Ada", "Admin", "ada@globex.example", "member").await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already pending"));
    assert_eq!(member.status(), StatusCode::CONFLICT);
    assert!(member.text().await.unwrap().contains("already a member"));
}

#[tokio::test]
async fn an_admin_changes_a_members_role_with_immediate_effect_but_not_the_account_administrators_nor_their_own() {
    let Team { app, partner_id, ada, .. } = team().await;
    let mut conn = app.conn();
    let mia = UserFixture::member("mia@globex.example").named("Mia", "Member").create(&app, partner_id);
    let bo = UserFixture::admin("bo@globex.example").named("Bo", "Second").create(&app, partner_id);
    let mia_browser = browser_of(&app, "mia@globex.example", PASSWORD).await;
    assert_eq!(get_status(&mia_browser, "/members").await, StatusCode::FORBIDDEN);

    let r = app.submit("/members", &format!("/members/{mia}/role"), &[("role", "admin")]).await;

    assert_eq!(location(&r), "/members");
    assert!(app.get_html("/members").await.1.contains("Mia Member is now an Admin."));
    assert_eq!(
        get_status(&mia_browser, "/members").await,
        StatusCode::OK,
        "Mia's open session has the new role at once"
    );
    assert!(audit_actions(&mut conn, partner_id).contains(&"member.role_changed".to_string()));

    // Bo, another Admin, can neither demote the account administrator nor change their own role.
    let bo_client = browser_of(&app, "bo@globex.example", PASSWORD).await;
    let token = bo_client.page("/members").await.csrf_token();
    for (target, refusal) in [(ada, ACCOUNT_ADMIN_REFUSAL), (bo, "You can't change your own role")] {
        let r = bo_client.post(&format!("/members/{target}/role"), &token, &[("role", "member")]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(shown(r).await.contains(refusal));
    }
    let roles: Vec<String> = schema::memberships::table
        .filter(schema::memberships::user_id.eq_any([ada, bo]))
        .order(schema::memberships::user_id)
        .select(schema::memberships::role)
        .load(&mut conn)
        .unwrap();
    assert_eq!(roles, ["admin", "admin"]);
}

#[tokio::test]
async fn a_removed_member_is_logged_out_on_their_next_request_and_cannot_log_in_again() {
    let Team { app, partner_id, .. } = team().await;
    let mut conn = app.conn();
    let mia = UserFixture::member("mia@globex.example").named("Mia", "Member").create(&app, partner_id);
    let mia_browser = browser_of(&app, "mia@globex.example", PASSWORD).await;
    assert_eq!(get_status(&mia_browser, "/service-catalog").await, StatusCode::OK);

    let html = app.page(&format!("/members/{mia}/remove")).await;
    assert_eq!(html.status, StatusCode::OK);
    assert_eq!(html.text("h1").as_deref(), Some("Remove Mia Member?"));
    assert!(html.contains(">Remove member</button>"));
    let r = app.submit(&format!("/members/{mia}/remove"), &format!("/members/{mia}/remove"), &[]).await;

    assert_eq!(location(&r), "/members");
    let html = app.get_html("/members").await.1;
    assert!(html.contains("Mia Member was removed"));
    assert!(!html.contains("mia@globex.example"), "no longer listed");
    let r = mia_browser.get("/service-catalog").await;
    assert_eq!(location(&r), "/login", "the open session is dead");
    let again = app.another_browser();
    let r = again.login("mia@globex.example", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let disabled: Option<chrono::DateTime<chrono::Utc>> = schema::memberships::table
        .filter(schema::memberships::user_id.eq(mia))
        .select(schema::memberships::ended_at)
        .first(&mut conn)
        .unwrap();
    assert!(disabled.is_some(), "the row is kept, disabled, for the history");
    assert!(audit_actions(&mut conn, partner_id).contains(&"member.removed".to_string()));
}

#[tokio::test]
async fn the_account_administrator_cannot_be_removed_and_an_admin_cannot_remove_themselves() {
    let Team { app, partner_id, ada, .. } = team().await;
    let bo = UserFixture::admin("bo@globex.example").named("Bo", "Second").create(&app, partner_id);
    let bo_client = browser_of(&app, "bo@globex.example", PASSWORD).await;
    let token = bo_client.page("/members").await.csrf_token();

    for (target, refusal) in [(ada, ACCOUNT_ADMIN_REFUSAL), (bo, "You can't remove yourself")] {
        let page = bo_client.get(&format!("/members/{target}/remove")).await;
        assert_eq!(page.status(), StatusCode::CONFLICT);
        assert!(shown(page).await.contains(refusal));
        let r = bo_client.post(&format!("/members/{target}/remove"), &token, &[]).await;
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert!(shown(r).await.contains(refusal));
    }
    let disabled: i64 = schema::memberships::table
        .filter(schema::memberships::ended_at.is_not_null())
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(disabled, 0);
}

#[tokio::test]
async fn members_and_enterprise_admins_get_403_on_every_members_route() {
    let Team { app, partner_id, ada, .. } = team().await;
    let mut conn = app.conn();
    UserFixture::member("mia@globex.example").named("Mia", "Member").create(&app, partner_id);
    let invitation = InvitationFixture::new(partner_id, "ivy@globex.example").create(&app).id;

    for (who, home) in [("mia@globex.example", "/service-catalog"), ("erin@acme.example", "/settings/partners")] {
        let client = browser_of(&app, who, PASSWORD).await;
        let page = client.page(home).await;
        assert!(!page.contains(r#"href="/members""#), "{who} has no Members menu entry");
        let token = page.csrf_token();
        for path in ["/members".to_string(), format!("/members/{ada}/remove")] {
            assert_eq!(get_status(&client, &path).await, StatusCode::FORBIDDEN, "{who} GET {path}");
        }
        for (path, fields) in [
            (
                "/members/invite".to_string(),
                vec![("first_name", "X"), ("surname", "Y"), ("email", "x@globex.example"), ("role", "admin")],
            ),
            (format!("/members/{ada}/role"), vec![("role", "member")]),
            (format!("/members/{ada}/remove"), vec![]),
            (format!("/members/invitations/{invitation}/resend"), vec![]),
            (format!("/members/invitations/{invitation}/revoke"), vec![]),
        ] {
            let r = client.post(&path, &token, &fields).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} POST {path}");
        }
    }
    let pending: String =
        schema::invitations::table.find(invitation).select(schema::invitations::status).first(&mut conn).unwrap();
    assert_eq!(pending, "pending", "nothing changed");
}

#[tokio::test]
async fn another_partners_members_and_invitations_answer_404() {
    let Team { app, .. } = team().await;
    let mut conn = app.conn();
    let other = PartnerFixture::new("Initech").domains(["initech.example"]).active().create(&app).id;
    let stranger = UserFixture::member("sam@initech.example").named("Sam", "Stranger").create(&app, other);
    let invitation = InvitationFixture::new(other, "ivy@initech.example").create(&app).id;

    assert_eq!(app.get(&format!("/members/{stranger}/remove")).await.status(), StatusCode::NOT_FOUND);
    for (path, fields) in [
        (format!("/members/{stranger}/role"), vec![("role", "admin")]),
        (format!("/members/{stranger}/remove"), vec![]),
        (format!("/members/invitations/{invitation}/resend"), vec![]),
        (format!("/members/invitations/{invitation}/revoke"), vec![]),
        ("/members/not-a-number/remove".to_string(), vec![]),
    ] {
        let r = app.submit("/members", &path, &fields).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let (role, disabled): (String, Option<chrono::DateTime<chrono::Utc>>) = schema::memberships::table
        .filter(schema::memberships::user_id.eq(stranger))
        .select((schema::memberships::role, schema::memberships::ended_at))
        .first(&mut conn)
        .unwrap();
    let status: String =
        schema::invitations::table.find(invitation).select(schema::invitations::status).first(&mut conn).unwrap();
    assert_eq!((role.as_str(), disabled, status.as_str()), ("member", None, "pending"));
}

/// Statements one load of /members runs: the fewest of three loads (as when the outbox
/// worker polled the same database).
async fn statements_of_members_page(app: &TestApp) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = instrumentation::statements(&app.db.name);
        let (status, _) = app.get_html("/members").await;
        assert_eq!(status, StatusCode::OK);
        fewest = fewest.min(instrumentation::statements(&app.db.name) - before);
    }
    fewest
}

#[tokio::test]
async fn the_members_page_runs_the_same_number_of_statements_with_1_and_with_10_people() {
    instrumentation::enable();
    let Team { app, partner_id, .. } = team().await;
    InvitationFixture::new(partner_id, "ivy0@globex.example").create(&app);
    app.get_html("/members").await; // warm up: every connection the page needs is open

    let with_one = statements_of_members_page(&app).await;

    for i in 1..=9 {
        UserFixture::member(&format!("p{i}@globex.example")).named("Pia", "Person").create(&app, partner_id);
        InvitationFixture::new(partner_id, &format!("ivy{i}@globex.example")).create(&app);
    }
    let with_ten = statements_of_members_page(&app).await;
    let html = app.get_html("/members").await.1;

    println!("/members ran {with_one} SQL statements with 1 person and {with_ten} with 10");
    assert_eq!(html.matches(r#"<tr id="member-"#).count(), 10);
    assert_eq!(html.matches(r#"<tr id="invitation-"#).count(), 10);
    assert_eq!(with_one, with_ten);
}
