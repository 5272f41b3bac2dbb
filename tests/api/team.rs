//! Settings → Team (SPEC §16): inviting Enterprise admins and Viewers by email, accepting
//! with a new or an existing account, changing roles, removing people, and the last-admin
//! rule, through HTTP with real SMTP.

use diesel::prelude::*;
use partner_portal::db::{schema, team::LAST_ADMIN_MESSAGE};
use partner_portal::domain::{MembershipId, UserId, UserRole};
use reqwest::StatusCode;

use crate::{
    helpers::{location, seed_team_member, Browser, TestApp, ADMIN, PASSWORD},
    page::Page,
};

const NEW_PASSWORD: &str = "violet kettle harbour 9";
const CARL: &str = "carl@acme.example";

async fn acme() -> TestApp {
    TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await
}

/// Fills and sends the Team page's invite form, like a person pressing **Send invitation**.
async fn invite(app: &TestApp, first: &str, surname: &str, email: &str, role: &str) -> reqwest::Response {
    let page = app.page("/settings/team").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page.form("Send invitation").fill(&[
        ("first_name", first),
        ("surname", surname),
        ("email", email),
        ("role", role),
    ]);
    form.submit(&app.browser).await
}

/// Opens the invitation link in `browser`; returns the accept page.
async fn open_link(browser: &Browser, link: &str) -> Page {
    let r = browser.get(link).await;
    assert_eq!(location(&r), "/invitations/accept", "the link leads to the accept page");
    browser.page("/invitations/accept").await
}

/// The person's team role in the enterprise and whether that membership is still live.
fn team_membership(app: &TestApp, user: UserId) -> Option<(String, bool)> {
    use schema::memberships::dsl as m;
    m::memberships
        .filter(m::user_id.eq(user))
        .filter(m::enterprise_id.eq(app.enterprise_id()))
        .filter(m::partner_id.is_null())
        .select((m::role, m::ended_at.is_null()))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn team_events(app: &TestApp) -> Vec<(String, String)> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::action.like("team.%"))
        .order(a::id)
        .select((a::action, a::actor_membership))
        .load(&mut app.conn())
        .unwrap()
}

/// The Team page's row for `email`: name, email, role, since.
async fn team_row(browser: &Browser, email: &str) -> Option<Vec<String>> {
    let page = browser.page("/settings/team").await;
    page.rows_of("#team").into_iter().find(|row| row.get(1).map(String::as_str) == Some(email))
}

#[tokio::test]
async fn an_invited_viewer_sets_a_password_from_the_emailed_link_and_lands_logged_in_as_a_viewer() {
    let app = acme().await;

    let r = invite(&app, "Vera", "Viewer", "Vera@Elsewhere.example", "viewer").await;

    assert_eq!(location(&r), "/settings/team");
    let page = app.page("/settings/team").await;
    assert!(page.flashes().contains(&"Invitation sent to vera@elsewhere.example.".to_string()), "{page}");
    let pending = page.rows_of("#invitations");
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0][..3], ["Vera Viewer", "vera@elsewhere.example", "Viewer"]);
    let mail = app.emails().await.into_iter().find(|m| m.to() == "vera@elsewhere.example").expect("an email");
    let text = mail.text().unwrap_or_default();
    assert!(text.contains("join the team of Acme on Partner Portal as a Viewer"), "{text}");
    let link = app.emailed_link("vera@elsewhere.example", "/invitations/").await;

    let vera = app.another_browser();
    let accept = open_link(&vera, &link).await;
    assert!(accept.main_text().contains("the team of Acme"), "{accept}");
    let r = accept
        .form("Accept invitation")
        .fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)])
        .submit(&vera)
        .await;

    assert_eq!(location(&r), "/settings/partners", "a team member starts on the partners list");
    let partners = vera.page("/settings/partners").await;
    assert_eq!(partners.status, StatusCode::OK);
    assert!(partners.flashes().contains(&"Welcome to Acme's team!".to_string()), "{partners}");
    assert!(partners.text(".account-meta").unwrap().ends_with("Viewer"));
    let row = team_row(&app.browser, "vera@elsewhere.example").await.expect("Vera is in the team");
    assert_eq!(row[..3], ["Vera Viewer", "vera@elsewhere.example", "Viewer"]);
    assert!(app.page("/settings/team").await.contains("No open invitations"));
    // Read-only: her changes are refused.
    let token = partners.csrf_token();
    assert_eq!(vera.post("/settings/team/invite", &token, &[]).await.status(), StatusCode::FORBIDDEN);
    // And she can log in again with the password she chose.
    let again = app.another_browser();
    assert_eq!(location(&again.login("vera@elsewhere.example", NEW_PASSWORD).await), "/settings/partners");
}

#[tokio::test]
async fn an_existing_account_of_another_enterprise_logs_in_on_the_accept_page_and_gets_the_membership() {
    let app = acme().await;
    let (initech, olga) = app.create_enterprise_admin("Initech", "olga@initech.example", PASSWORD);

    assert_eq!(
        location(&invite(&app, "Olga", "Other", "olga@initech.example", "enterprise_admin").await),
        "/settings/team"
    );
    let link = app.emailed_link("olga@initech.example", "/invitations/").await;
    let browser = app.another_browser();
    let accept = open_link(&browser, &link).await;
    assert!(accept.main_text().contains("already has an account"), "no new password asked:\n{accept}");
    assert!(!accept.exists("#password_confirmation"));

    let wrong = accept.form("Log in").set("password", "not her password at all").submit(&browser).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "a wrong password is refused");
    let accept = browser.page("/invitations/accept").await;
    let r = accept.form("Log in").set("password", PASSWORD).submit(&browser).await;

    assert_eq!(location(&r), "/settings/partners");
    let page = browser.page("/settings/partners").await;
    assert_eq!(page.text(".org-name").unwrap(), "Acme", "she acts in Acme now");
    let row = team_row(&app.browser, "olga@initech.example").await.expect("Olga is in Acme's team");
    assert_eq!(row[2], "Enterprise admin");
    let live = partner_portal::db::memberships::live_for_user(&mut app.conn(), olga).unwrap();
    let mut enterprises: Vec<_> = live.iter().map(|m| (m.enterprise_id, m.role)).collect();
    enterprises.sort_by_key(|(enterprise, _)| *enterprise);
    assert_eq!(enterprises, [(app.enterprise_id(), UserRole::EnterpriseAdmin), (initech, UserRole::EnterpriseAdmin)]);
}

#[tokio::test]
async fn an_enterprise_admin_changes_a_colleagues_role_with_immediate_effect() {
    let app = acme().await;
    let carl = seed_team_member(&app, app.enterprise_id(), CARL, UserRole::Viewer);
    let carl_browser = app.browser_of(CARL).await;
    assert_eq!(carl_browser.get("/catalog/products/new").await.status(), StatusCode::FORBIDDEN);

    let page = app.page("/settings/team").await;
    let r =
        page.form(&format!("/settings/team/{carl}/role")).set("role", "enterprise_admin").submit(&app.browser).await;

    assert_eq!(location(&r), "/settings/team");
    assert!(app
        .page("/settings/team")
        .await
        .flashes()
        .contains(&"Carl Colleague is now an Enterprise admin.".to_string()));
    assert_eq!(team_membership(&app, carl), Some(("enterprise_admin".into(), true)));
    assert_eq!(carl_browser.get("/catalog/products/new").await.status(), StatusCode::OK, "at his very next request");
    assert_eq!(team_row(&app.browser, CARL).await.unwrap()[2], "Enterprise admin");

    let r = app.submit("/settings/team", &format!("/settings/team/{carl}/role"), &[("role", "viewer")]).await;
    assert_eq!(location(&r), "/settings/team");
    assert_eq!(carl_browser.get("/catalog/products/new").await.status(), StatusCode::FORBIDDEN);
    let r = app.submit("/settings/team", &format!("/settings/team/{carl}/role"), &[("role", "admin")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a partner role is not a team role");
    assert_eq!(
        team_events(&app),
        vec![("team.role_changed".to_string(), "Enterprise admin of Acme".to_string()); 2],
        "each change is recorded with the membership that made it"
    );
}

#[tokio::test]
async fn a_removed_team_member_loses_access_at_their_next_request_and_their_other_memberships_keep_working() {
    let app = acme().await;
    let carl = seed_team_member(&app, app.enterprise_id(), CARL, UserRole::EnterpriseAdmin);
    let (initech, _) = app.create_enterprise_admin("Initech", "ida@initech.example", PASSWORD);
    seed_team_member(&app, initech, CARL, UserRole::Viewer);
    let carl_browser = app.another_browser();
    assert_eq!(location(&carl_browser.login(CARL, PASSWORD).await), "/organisations", "two memberships: he picks");
    let acme_membership: MembershipId = {
        use schema::memberships::dsl as m;
        m::memberships
            .filter(m::user_id.eq(carl))
            .filter(m::enterprise_id.eq(app.enterprise_id()))
            .select(m::id)
            .first(&mut app.conn())
            .unwrap()
    };
    let token = carl_browser.page("/organisations").await.csrf_token();
    let membership = acme_membership.to_string();
    carl_browser.post("/organisations", &token, &[("membership_id", membership.as_str())]).await;
    assert_eq!(carl_browser.get("/settings/partners").await.status(), StatusCode::OK);

    let confirm = app.page(&format!("/settings/team/{carl}/remove")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert_eq!(confirm.text("h1").unwrap(), "Remove Carl Colleague?");
    let r = confirm.form("Remove from the team").submit(&app.browser).await;

    assert_eq!(location(&r), "/settings/team");
    let page = app.page("/settings/team").await;
    assert!(page.flashes()[0].starts_with("Carl Colleague was removed from the team"), "{page}");
    assert!(team_row(&app.browser, CARL).await.is_none(), "no longer listed");
    assert_eq!(team_membership(&app, carl), Some(("enterprise_admin".into(), false)), "ended, not deleted");
    let next = carl_browser.get("/settings/partners").await;
    assert_eq!(location(&next), "/organisations", "his open session lost Acme at once");
    let choices = carl_browser.page("/organisations").await;
    assert!(!choices.main_text().contains("Acme"), "{choices}");
    let initech_membership = choices.attr(r#"input[name="membership_id"]"#, "value").unwrap();
    let r = carl_browser.post("/organisations", &choices.csrf_token(), &[("membership_id", &initech_membership)]).await;
    assert_eq!(location(&r), "/settings/partners");
    let initech_page = carl_browser.page("/settings/partners").await;
    assert_eq!(initech_page.status, StatusCode::OK, "Initech keeps working");
    assert_eq!(initech_page.text(".org-name").unwrap(), "Initech");
    assert_eq!(team_events(&app), [("team.member_removed".to_string(), "Enterprise admin of Acme".to_string())]);
}

#[tokio::test]
async fn the_only_enterprise_admin_can_neither_demote_nor_remove_themselves_and_nothing_changes() {
    let app = acme().await;
    let erin = app.admin_id();
    let token = app.page("/settings/team").await.csrf_token();

    let demote = app.browser.post(&format!("/settings/team/{erin}/role"), &token, &[("role", "viewer")]).await;
    let confirm = app.get(&format!("/settings/team/{erin}/remove")).await;
    let remove = app.browser.post(&format!("/settings/team/{erin}/remove"), &token, &[]).await;

    for r in [demote, confirm, remove] {
        assert_eq!(r.status(), StatusCode::CONFLICT);
        let page = Page::read(r).await;
        assert!(page.main_text().contains("Ask another Enterprise admin"), "{page}");
    }
    assert_eq!(team_membership(&app, erin), Some(("enterprise_admin".into(), true)));
    assert!(team_events(&app).is_empty());
    assert!(!app.page("/settings/team").await.exists(&format!(r#"form[action="/settings/team/{erin}/role"]"#)));
}

/// Waits until `n` of the app's statements wait for a lock another connection holds.
async fn wait_for_lock_waits(app: &TestApp, n: i64) {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.conn();
    for _ in 0..500 {
        let w: Waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .get_result(&mut conn)
        .unwrap();
        if w.n >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the two requests never both waited for the enterprise lock");
}

#[tokio::test]
async fn two_enterprise_admins_demoting_or_removing_each_other_at_once_leave_one_enterprise_admin() {
    for action in ["role", "remove"] {
        let app = acme().await;
        let erin = app.admin_id();
        let carl = seed_team_member(&app, app.enterprise_id(), CARL, UserRole::EnterpriseAdmin);
        let carl_browser = app.browser_of(CARL).await;
        let erin_token = app.page("/settings/team").await.csrf_token();
        let carl_token = carl_browser.page("/settings/team").await.csrf_token();
        // Both sessions are loaded and both changes checked while the enterprise row is held,
        // so each would see "another Enterprise admin is left" without the lock.
        let mut holder = app.conn();
        diesel::sql_query("BEGIN").execute(&mut holder).unwrap();
        diesel::sql_query(format!("SELECT id FROM enterprises WHERE id = {} FOR UPDATE", app.enterprise_id()))
            .execute(&mut holder)
            .unwrap();
        let send = |b: &Browser, target: UserId, token: String| {
            let request = b
                .client
                .post(b.url(&format!("/settings/team/{target}/{action}")))
                .form(&[("csrf_token", token.as_str()), ("role", "viewer")]);
            tokio::spawn(request.send())
        };
        let first = send(&app.browser, carl, erin_token);
        let second = send(&carl_browser, erin, carl_token);
        wait_for_lock_waits(&app, 2).await;
        diesel::sql_query("COMMIT").execute(&mut holder).unwrap();
        let responses = [first.await.unwrap().unwrap(), second.await.unwrap().unwrap()];

        let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
        statuses.sort();
        assert_eq!(statuses, [303, 409], "{action}: exactly one change goes through");
        for r in responses {
            if r.status() == StatusCode::CONFLICT {
                assert!(Page::read(r).await.main_text().contains(LAST_ADMIN_MESSAGE), "{action}: the refusal says why");
            }
        }
        let admins = partner_portal::db::memberships::count_team_admins(&mut app.conn(), app.enterprise_id()).unwrap();
        assert_eq!(admins, 1, "{action}: the enterprise keeps an Enterprise admin");
        assert_eq!(team_events(&app).len(), 1, "{action}");
    }
}

#[tokio::test]
async fn inviting_someone_already_in_the_team_or_already_invited_is_refused_with_a_clear_message() {
    let app = acme().await;
    assert_eq!(location(&invite(&app, "Vera", "Viewer", "vera@elsewhere.example", "viewer").await), "/settings/team");

    let again = invite(&app, "Vera", "Viewer", "vera@elsewhere.example", "enterprise_admin").await;
    let member = invite(&app, "Erin", "Admin", ADMIN, "viewer").await;
    let bad = invite(&app, "", "Viewer", "not an address", "admin").await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    let again = Page::read(again).await;
    assert_eq!(
        again.field_error("email").unwrap(),
        "An invitation to vera@elsewhere.example is already pending. Resend it instead."
    );
    assert!(again.contains(r#"value="Vera""#), "the input is kept");
    assert_eq!(member.status(), StatusCode::CONFLICT);
    assert_eq!(Page::read(member).await.field_error("email").unwrap(), format!("{ADMIN} is already in the team."));
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = Page::read(bad).await;
    for field in ["first_name", "email", "role"] {
        assert!(bad.field_error(field).is_some(), "{field} is marked:\n{bad}");
    }
    let invitations: i64 = schema::invitations::table.count().get_result(&mut app.conn()).unwrap();
    assert_eq!(invitations, 1, "only the first invitation exists");
    assert_eq!(app.emails().await.len(), 1, "and only its email was sent");
}

#[tokio::test]
async fn resending_a_team_invitation_replaces_its_link_and_revoking_kills_it() {
    let app = acme().await;
    invite(&app, "Vera", "Viewer", "vera@elsewhere.example", "viewer").await;
    let first = app.emailed_link("vera@elsewhere.example", "/invitations/").await;
    let id: i64 = schema::invitations::table.select(schema::invitations::id).first(&mut app.conn()).unwrap();
    // Another enterprise's admin can't touch it.
    app.create_enterprise_admin("Initech", "ida@initech.example", PASSWORD);
    let ida = app.browser_of("ida@initech.example").await;
    let ida_token = ida.page("/settings/team").await.csrf_token();
    for action in ["resend", "revoke"] {
        let r = ida.post(&format!("/settings/team/invitations/{id}/{action}"), &ida_token, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action} by another enterprise");
    }

    let page = app.page("/settings/team").await;
    let r = page.form(&format!("/settings/team/invitations/{id}/resend")).submit(&app.browser).await;

    assert_eq!(location(&r), "/settings/team");
    assert!(app.page("/settings/team").await.flashes()[0].starts_with("Invitation resent to vera@elsewhere.example"));
    let second = app.emailed_link("vera@elsewhere.example", "/invitations/").await;
    assert_ne!(first, second);
    assert_eq!(app.another_browser().get(&first).await.status(), StatusCode::GONE, "the old link is dead");
    open_link(&app.another_browser(), &second).await;

    let page = app.page("/settings/team").await;
    let r = page.form(&format!("/settings/team/invitations/{id}/revoke")).submit(&app.browser).await;

    assert_eq!(location(&r), "/settings/team");
    let page = app.page("/settings/team").await;
    assert!(page.flashes()[0].starts_with("The invitation to vera@elsewhere.example was revoked"));
    assert!(page.contains("No open invitations"));
    assert_eq!(app.another_browser().get(&second).await.status(), StatusCode::GONE);
    let actions: Vec<String> = schema::audit_events::table
        .filter(schema::audit_events::partner_id.is_null())
        .order(schema::audit_events::id)
        .select(schema::audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["invitation.sent", "invitation.resent", "invitation.revoked"]);
}
