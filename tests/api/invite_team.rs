//! **Invite a team** (SPEC §13): a partner Admin on Members and an Enterprise admin on a
//! partner's Users tab invite up to 50 addresses at once, one role for all; the result lists
//! each address as invited or refused with the reason; the emails carry the personal note.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{PartnerId, UserRole};
use reqwest::StatusCode;

use crate::{
    fixtures::{audit_actions, InvitationFixture, PartnerFixture, UserFixture},
    helpers::{seed_team_member, TestApp, PASSWORD},
    page::Page,
};

const NOTE: &str = "Welcome aboard!\n<script>alert(1)</script> & see \"you\" soon";

/// Globex (globex.example), Ada its account administrator (logged in), Bo a member, and a
/// pending invitation to Cy.
async fn globex_admin() -> TestApp {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
        .user(UserFixture::member("bo.berg@globex.example").named("Bo", "Berg"));
    let app = TestApp::spawn().with_smtp().logged_in_as_partner_admin(globex).await;
    InvitationFixture::new(app.partner_id(), "cy.chan@globex.example").role("member").create(&app);
    app
}

fn pending_invitations(app: &TestApp, partner_id: PartnerId) -> Vec<(String, String, String, Option<String>)> {
    use schema::invitations::dsl as i;
    i::invitations
        .filter(i::partner_id.eq(partner_id))
        .filter(i::status.eq("pending"))
        .order(i::email.asc())
        .select((i::email, i::first_name, i::surname, i::note))
        .load::<(String, String, String, Option<String>)>(&mut app.conn())
        .unwrap()
}

fn outbox_count(app: &TestApp) -> i64 {
    use schema::outbox_emails::dsl as o;
    o::outbox_emails.count().get_result(&mut app.conn()).unwrap()
}

/// The result table: (address, Invited/Refused, reason).
fn results(page: &Page) -> Vec<(String, String, String)> {
    page.rows_of("#results").into_iter().map(|r| (r[0].clone(), r[1].clone(), r[2].clone())).collect()
}

#[tokio::test]
async fn a_partner_admin_invites_a_team_and_each_address_is_answered() {
    let app = globex_admin().await;
    let members = app.page("/members").await;
    let link = members.link("a", "Invite a team").expect("Members links to Invite a team");
    assert_eq!(link, "/members/invite-team");
    let form_page = app.page(&link).await;
    assert_eq!(form_page.status, StatusCode::OK);
    assert!(form_page.exists(r#"label[for="addresses"]"#) && form_page.exists(r#"label[for="note"]"#));
    assert!(form_page.exists(r#"label[for="role"]"#));
    let addresses = "ana.lima@globex.example\n\
                     Dee Diaz <dee@globex.example>\n\
                     bo.berg@globex.example\n\
                     cy.chan@globex.example\n\
                     eve.evans@initech.example\n\
                     not-an-address\n\
                     \n\
                     ANA.LIMA@globex.example\n\
                     ana@globex.example";

    let r = form_page
        .form("Send invitations")
        .fill(&[("addresses", addresses), ("role", "member"), ("note", NOTE)])
        .submit(&app.browser)
        .await;

    assert_eq!(r.status(), StatusCode::OK);
    let page = Page::read(r).await;
    let invited = |a: &str| (a.to_string(), "Invited".to_string(), String::new());
    let refused = |a: &str, why: &str| (a.to_string(), "Refused".to_string(), why.to_string());
    assert_eq!(
        results(&page),
        vec![
            invited("ana.lima@globex.example"),
            invited("dee@globex.example"),
            refused("bo.berg@globex.example", "bo.berg@globex.example is already a member of this partner."),
            refused(
                "cy.chan@globex.example",
                "An invitation to cy.chan@globex.example is already pending. Resend it instead."
            ),
            refused("eve.evans@initech.example", "Not in Globex's registered domains: globex.example."),
            refused("not-an-address", "Enter an email address with an @, like name@acme.com."),
            refused("ana.lima@globex.example", "This address is already higher up in the list."),
            refused(
                "ana@globex.example",
                "The name can't be read from this address. Write the line as First name Surname <address>."
            ),
        ]
    );
    assert_eq!(page.text("#invite-team-summary").as_deref(), Some("2 invited as Member, 6 refused."));
    let note = Some(NOTE.to_string());
    assert_eq!(
        pending_invitations(&app, app.partner_id()),
        vec![
            ("ana.lima@globex.example".into(), "Ana".into(), "Lima".into(), note.clone()),
            ("cy.chan@globex.example".into(), "Ana".into(), "Lima".into(), None),
            ("dee@globex.example".into(), "Dee".into(), "Diaz".into(), note),
        ]
    );

    let emails = app.emails().await;
    let mut to: Vec<String> = emails.iter().map(|m| m.to()).collect();
    to.sort();
    assert_eq!(to, ["ana.lima@globex.example", "dee@globex.example"], "one email per invited address");
    for mail in &emails {
        let text = mail.text().unwrap().replace("\r\n", "\n");
        assert!(text.contains(&format!("Ada Admin added a personal note:\n\n{NOTE}\n")), "{text}");
        let html = mail.html().unwrap();
        assert!(!html.contains("<script>"), "the note is text in the HTML part: {html}");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; see &#34;you&#34; soon"), "{html}");
    }
    let actions = audit_actions(&mut app.conn(), app.partner_id());
    assert_eq!(actions.iter().filter(|a| *a == "invitation.sent").count(), 2, "{actions:?}");

    let members = app.page("/members").await;
    let open: Vec<String> = members.rows_of("#invitations").into_iter().map(|r| r[1].clone()).collect();
    assert!(open.contains(&"dee@globex.example".to_string()), "{open:?}");
}

#[tokio::test]
async fn fifty_one_addresses_are_refused_whole_and_nothing_is_sent_while_fifty_are_all_invited() {
    let app = globex_admin().await;
    let before = outbox_count(&app);
    let list = |n: usize| (0..n).map(|i| format!("p.n{i:02}@globex.example")).collect::<Vec<_>>().join("\n");

    let r = app
        .submit("/members/invite-team", "/members/invite-team", &[("addresses", &list(51)), ("role", "member")])
        .await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(
        page.text("#addresses-error").as_deref(),
        Some("At most 50 addresses at a time: this list has 51. Nothing was sent; split the list and send each part.")
    );
    assert!(page.text("#addresses").unwrap().contains("p.n50@globex.example"), "the list is kept");
    assert_eq!(pending_invitations(&app, app.partner_id()).len(), 1, "only Cy's, from before");
    assert_eq!(outbox_count(&app), before);

    let r = app
        .submit("/members/invite-team", "/members/invite-team", &[("addresses", &list(50)), ("role", "admin")])
        .await;

    assert_eq!(r.status(), StatusCode::OK);
    let page = Page::read(r).await;
    assert_eq!(page.text("#invite-team-summary").as_deref(), Some("50 invited as Admin, 0 refused."));
    assert_eq!(pending_invitations(&app, app.partner_id()).len(), 51);
    assert_eq!(app.emails().await.len(), 50);
}

#[tokio::test]
async fn an_empty_list_or_a_bad_role_shows_the_form_again() {
    let app = globex_admin().await;
    let r =
        app.submit("/members/invite-team", "/members/invite-team", &[("addresses", " \n "), ("role", "owner")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(page.text("#addresses-error").as_deref(), Some("Enter at least one email address, one per line."));
    assert!(page.exists("#role-error"));
}

/// Acme's admin (logged in) with Globex, active, and its domains.
async fn enterprise_admin() -> TestApp {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example", "globex.test"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"));
    TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().with_partner(globex).await
}

#[tokio::test]
async fn an_enterprise_admin_invites_a_team_from_the_users_tab() {
    let app = enterprise_admin().await;
    let id = app.partner_id();
    let users = app.page(&format!("/settings/partners/{id}/users")).await;
    let link = users.link("a", "Invite a team").expect("the Users tab links to Invite a team");
    let form_page = app.page(&link).await;
    assert_eq!(form_page.status, StatusCode::OK);

    let r = form_page
        .form("Send invitations")
        .fill(&[
            ("addresses", "ana.lima@globex.example\nada@globex.example\nzed.zorn@globex.test\nx.y@elsewhere.example"),
            ("role", "admin"),
            ("note", "From Acme, with <b>thanks</b>"),
        ])
        .submit(&app.browser)
        .await;

    assert_eq!(r.status(), StatusCode::OK);
    let page = Page::read(r).await;
    let shown: Vec<(String, String)> = results(&page).into_iter().map(|(a, r, _)| (a, r)).collect();
    assert_eq!(
        shown,
        [
            ("ana.lima@globex.example".to_string(), "Invited".to_string()),
            ("ada@globex.example".into(), "Refused".into()),
            ("zed.zorn@globex.test".into(), "Invited".into()),
            ("x.y@elsewhere.example".into(), "Refused".into()),
        ]
    );
    assert_eq!(results(&page)[3].2, "Not in Globex's registered domains: globex.example, globex.test.");
    let emails = app.emails().await;
    assert_eq!(emails.len(), 2);
    assert!(emails.iter().all(|m| m
        .text()
        .unwrap()
        .replace("\r\n", "\n")
        .contains("Erin Admin added a personal note:\n\nFrom Acme, with <b>thanks</b>")));
    assert!(emails.iter().all(|m| m.html().unwrap().contains("From Acme, with &#60;b&#62;thanks&#60;/b&#62;")));
    let users = app.page(&format!("/settings/partners/{id}/users")).await;
    let invited: Vec<Vec<String>> = users.rows_of("#invitations");
    assert!(invited.iter().any(|r| r[1] == "zed.zorn@globex.test" && r[2] == "Admin"), "{invited:?}");
}

#[tokio::test]
async fn a_viewer_gets_403_another_enterprise_404_and_a_partner_member_403() {
    let app = enterprise_admin().await;
    let id = app.partner_id();
    let path = format!("/settings/partners/{id}/users/invite-team");

    seed_team_member(&app, app.enterprise_id(), "vic@acme.example", UserRole::Viewer);
    let viewer = app.browser_of("vic@acme.example").await;
    assert_eq!(viewer.get(&path).await.status(), StatusCode::FORBIDDEN);
    let users = viewer.page(&format!("/settings/partners/{id}/users")).await;
    assert!(users.link("a", "Invite a team").is_none(), "a Viewer is offered no form");
    let viewer_token = users.csrf_token();
    let r = viewer.post(&path, &viewer_token, &[("addresses", "ana.lima@globex.example"), ("role", "member")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let other = app.browser_of("una@umbrella.example").await;
    assert_eq!(other.get(&path).await.status(), StatusCode::NOT_FOUND);
    let other_token = other.page("/settings/partners").await.csrf_token();
    let r = other.post(&path, &other_token, &[("addresses", "ana.lima@globex.example"), ("role", "member")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    UserFixture::member("mo.member@globex.example").create(&app, id);
    let member = app.browser_of("mo.member@globex.example").await;
    assert_eq!(member.get("/members/invite-team").await.status(), StatusCode::FORBIDDEN);
    assert!(pending_invitations(&app, id).is_empty(), "nothing was invited");
}

#[tokio::test]
async fn a_deactivated_partner_takes_no_team() {
    let globex = PartnerFixture::new("Globex").domains(["globex.example"]).deactivated();
    let app = TestApp::spawn().logged_in_as_enterprise_admin().with_partner(globex).await;
    let r = app.get(&format!("/settings/partners/{}/users/invite-team", app.partner_id())).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}
