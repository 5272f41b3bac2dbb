//! Bulk actions on Settings → Partners (SPEC §13, issue 14 item 6): a labelled checkbox per
//! partner in one form without JavaScript; **Move to group**, **Resend invitations**, **Send
//! invitations** and **Deactivate** each show what will happen to each selected partner, and
//! their button does it for the ones that can; **Export CSV** downloads. Tenants, Viewers and
//! an empty selection.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{PartnerId, UserRole};
use reqwest::{multipart, StatusCode};

use crate::{
    fixtures::{audit_actions, grant_api, seed_catalog, PartnerFixture, UserFixture},
    grants::post,
    helpers::{location, seed_team_member, Browser, TestApp, PASSWORD},
    page::Page,
};

const LIST: &str = "/settings/partners";

/// Ticks the partners' checkboxes on the list and presses `button`: the page it answers.
async fn press(browser: &Browser, query: &str, button: &str, partners: &[PartnerId]) -> reqwest::Response {
    let list = browser.page(&format!("{LIST}{query}")).await;
    let mut form = list.form(button);
    for p in partners {
        let checkbox = format!(r#"input[type="checkbox"][name="partner"][value="{p}"]"#);
        assert!(list.exists(&checkbox), "{p} has a checkbox on the list");
        form = form.add("partner", &p.to_string());
    }
    form.submit(browser).await
}

/// Selects the partners (deactivated ones shown too) and presses `button`: its confirmation.
async fn confirmation(app: &TestApp, button: &str, partners: &[PartnerId]) -> Page {
    let page = Page::read(press(&app.browser, "?show_deactivated=1", button, partners).await).await;
    assert_eq!(page.status, StatusCode::OK, "{page}");
    page
}

/// Each selected partner's line on a confirmation page.
fn outcomes(page: &Page) -> Vec<String> {
    page.squeezed_texts("#outcomes li")
}

fn group_of(app: &TestApp, partner: PartnerId) -> String {
    use schema::{partner_groups::dsl as g, partners::dsl as p};
    p::partners
        .inner_join(g::partner_groups.on(g::id.eq(p::group_id)))
        .filter(p::id.eq(partner))
        .select(g::name)
        .first(&mut app.conn())
        .unwrap()
}

fn status_of(app: &TestApp, partner: PartnerId) -> String {
    use schema::partners::dsl as p;
    p::partners.find(partner).select(p::status).first(&mut app.conn()).unwrap()
}

fn id_of(app: &TestApp, name: &str) -> PartnerId {
    use schema::partners::dsl as p;
    p::partners.filter(p::name.eq(name)).select(p::id).first(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn the_list_has_a_checkbox_labelled_with_each_partners_name_and_the_bulk_buttons() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    seed_team_member(&app, app.enterprise_id(), "vic@acme.example", UserRole::Viewer);

    let list = app.page(LIST).await;

    assert_eq!(list.text(&format!(r#"label[for="select-{globex}"]"#)).as_deref(), Some("Globex"));
    assert_eq!(list.attr(&format!("#select-{globex}"), "name").as_deref(), Some("partner"));
    assert_eq!(
        list.texts("#bulk button"),
        ["Move to group", "Resend invitations", "Send invitations", "Deactivate", "Export CSV"]
    );
    assert_eq!(list.attr("#bulk", "method").as_deref(), Some("get"), "no JavaScript: a plain form");
    let viewer = app.browser_of("vic@acme.example").await;
    assert_eq!(viewer.page(LIST).await.texts("#bulk button"), ["Export CSV"], "a Viewer changes nothing");
}

/// Creates a group through the page, with Product One and API One in Production as its
/// default access; its id.
async fn resellers(app: &TestApp) -> i64 {
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let r = post(app, "/settings/partners/groups", &[("name", "Resellers"), ("description", "")]).await;
    let id: i64 = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    let cell = format!("{}:{}", catalog.apis[0], catalog.environments[2]);
    let product = catalog.products[0].to_string();
    let r =
        post(app, &format!("/settings/partners/groups/{id}/access"), &[("product", &product), ("cell", &cell)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    id
}

#[tokio::test]
async fn move_to_group_lists_each_partners_move_and_moves_the_ones_that_can_with_the_groups_access() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let group = resellers(&app).await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let initech = PartnerFixture::new("Initech").domains(["initech.com"]).create(&app).id;
    let umbrella = PartnerFixture::new("Umbrella").domains(["umbrella.com"]).deactivated().create(&app).id;
    let already = PartnerFixture::new("Hooli").domains(["hooli.com"]).active().create(&app).id;
    diesel::update(schema::partners::table.find(already))
        .set(schema::partners::group_id.eq(group))
        .execute(&mut app.conn())
        .unwrap();

    let choose = confirmation(&app, "Move to group", &[globex, initech, umbrella, already]).await;
    assert_eq!(choose.text(r#"label[for="group"]"#).as_deref(), Some("Group"));
    let preview =
        Page::read(choose.form("Preview move").set("group", &group.to_string()).submit(&app.browser).await).await;

    assert_eq!(
        outcomes(&preview),
        [
            "Globex will be moved to Resellers (grants Product One, API One — Production).",
            "Hooli is already in Resellers.",
            "Initech will be moved to Resellers (grants Product One, API One — Production).",
            "Umbrella is deactivated: it can no longer be changed.",
        ]
    );
    assert_eq!(preview.text(r#"label[for="grant_access"]"#).as_deref(), Some("Grant the group's default access"));
    assert_eq!(group_of(&app, globex), "Partners", "the preview changes nothing");

    let r = preview.form("Move to group").submit(&app.browser).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), LIST);
    let flash = app.page(LIST).await.flashes();
    assert_eq!(flash.len(), 1);
    assert!(flash[0].starts_with("2 partners moved to Resellers with its default access."), "{flash:?}");
    assert!(flash[0].contains("Umbrella is deactivated"), "{flash:?}");
    assert_eq!(
        [globex, initech, umbrella, already].map(|p| group_of(&app, p)),
        ["Resellers", "Resellers", "Partners", "Resellers"]
    );
    assert_eq!(crate::grants::product_grants(&mut app.conn(), globex).len(), 1, "the default access was granted");
    assert!(audit_actions(&mut app.conn(), globex).contains(&"partner.group_changed".to_string()));
    assert!(!audit_actions(&mut app.conn(), umbrella).contains(&"partner.group_changed".to_string()));
}

/// Imports `csv` with *Send invitation emails* off: the invitations are held.
async fn import_held(app: &TestApp, csv: &str) {
    let token = app.page(LIST).await.csrf_token();
    let part = multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("p.csv").mime_str("text/csv").unwrap();
    let form = multipart::Form::new().text("csrf_token", token).part("csv", part);
    let r = app.client.post(app.url("/settings/partners/import/preview")).multipart(form).send().await.unwrap();
    let preview = Page::read(r).await;
    let mut import = preview.form("Import");
    import.fields.retain(|(name, _)| name != "send_invitations");
    assert_eq!(import.submit(&app.browser).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn send_invitations_sends_what_the_import_held_and_resend_invitations_sends_them_again() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    import_held(
        &app,
        "name,domains,first_name,surname,email\n\
         Initech,initech.example,Bill,Lumbergh,bill@initech.example\n\
         Globex,globex.example,Hank,Scorpio,hank@globex.example\n",
    )
    .await;
    let (initech, globex) = (id_of(&app, "Initech"), id_of(&app, "Globex"));
    let settled = PartnerFixture::new("Hooli").domains(["hooli.com"]).active().create(&app).id;
    assert!(app.emails().await.is_empty(), "held");

    // Resend has nothing to resend yet: the held ones must be sent first.
    let resend = confirmation(&app, "Resend invitations", &[initech, settled]).await;
    assert_eq!(
        outcomes(&resend),
        [
            "Hooli has no pending invitation.",
            "Initech its invitation to bill@initech.example has not been sent yet: use Send invitations.",
        ]
    );
    assert!(!resend.exists("#outcomes ~ form"), "nothing to confirm");

    let send = confirmation(&app, "Send invitations", &[initech, globex, settled]).await;
    assert_eq!(
        outcomes(&send),
        [
            "Globex its invitation to hank@globex.example, held since the import, will be sent.",
            "Hooli has no pending invitation.",
            "Initech its invitation to bill@initech.example, held since the import, will be sent.",
        ]
    );
    let r = send.form("Send invitations").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.page(LIST).await.flashes(),
        ["Invitations sent for 2 partners. Left as they were: Hooli has no pending invitation."]
    );
    let mut to: Vec<String> = app.emails().await.iter().map(|m| m.to().to_string()).collect();
    to.sort();
    assert_eq!(to, ["bill@initech.example", "hank@globex.example"], "by real SMTP");
    let first_link = app.emailed_link("bill@initech.example", "/invitations/").await;
    assert!(audit_actions(&mut app.conn(), initech).contains(&"invitation.sent".to_string()));

    // Now Send has nothing left; Resend sends Initech's again with a new link.
    let send_again = confirmation(&app, "Send invitations", &[initech]).await;
    assert_eq!(
        outcomes(&send_again),
        ["Initech its invitation to bill@initech.example was already sent: use Resend invitations to send it again."]
    );
    let resend = confirmation(&app, "Resend invitations", &[initech]).await;
    assert_eq!(
        outcomes(&resend),
        ["Initech its pending invitation to bill@initech.example will be sent again; the previous link stops working."]
    );
    let r = resend.form("Resend invitations").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.emails().await.len(), 3);
    let second_link = app.emailed_link("bill@initech.example", "/invitations/").await;
    assert_ne!(first_link, second_link);
    assert_eq!(location(&app.another_browser().get(&second_link).await), "/invitations/accept", "the new link works");
    let old = app.another_browser().get(&first_link).await;
    assert_eq!(old.status(), StatusCode::GONE, "the previous link no longer works");
    assert!(audit_actions(&mut app.conn(), initech).contains(&"invitation.resent".to_string()));
}

#[tokio::test]
async fn deactivate_acts_only_on_partners_without_api_access_and_says_why_for_the_others() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.com"])
        .user(UserFixture::admin("hank@globex.com"))
        .active()
        .create(&app)
        .id;
    let initech = PartnerFixture::new("Initech").domains(["initech.com"]).active().create(&app).id;
    grant_api(&mut app.conn(), initech, catalog.apis[0], catalog.environments[0]);
    let umbrella = PartnerFixture::new("Umbrella").domains(["umbrella.com"]).deactivated().create(&app).id;

    let page = confirmation(&app, "Deactivate", &[globex, initech, umbrella]).await;
    assert_eq!(
        outcomes(&page),
        [
            "Globex will be deactivated: 1 user will no longer be able to log in and 0 pending invitations will be revoked.",
            "Initech can't be deactivated: it has API access — revoke its APIs first.",
            "Umbrella is already deactivated.",
        ]
    );

    // Irreversible: the box must be ticked.
    let form = page.form("Deactivate");
    let unticked = Page::read(form.clone().submit(&app.browser).await).await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unticked.text("#understood-error").unwrap().starts_with("Tick the box to confirm"));
    assert_eq!(status_of(&app, globex), "active", "nothing changed");

    let r = form.set("understood", "on").submit(&app.browser).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let flash = app.page(LIST).await.flashes();
    assert!(flash[0].starts_with("1 partner deactivated"), "{flash:?}");
    assert!(flash[0].contains("Initech can't be deactivated: it has API access — revoke its APIs first;"), "{flash:?}");
    assert_eq!([globex, initech, umbrella].map(|p| status_of(&app, p)), ["deactivated", "active", "deactivated"]);
    assert!(audit_actions(&mut app.conn(), globex).contains(&"partner.deactivated".to_string()));
    assert!(!audit_actions(&mut app.conn(), initech).contains(&"partner.deactivated".to_string()));
    let hank = app.another_browser();
    assert_ne!(hank.login("hank@globex.com", PASSWORD).await.status(), StatusCode::SEE_OTHER, "can't log in");

    // Only partners with API access selected: nothing to confirm, nothing changes.
    let page = confirmation(&app, "Deactivate", &[initech]).await;
    assert_eq!(page.text("#acting").as_deref(), Some("None of the selected partners can be changed."));
    let token = page.csrf_token();
    let id = initech.to_string();
    let r =
        app.browser.post("/settings/partners/bulk/deactivate", &token, &[("partner", &id), ("understood", "on")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(status_of(&app, initech), "active");
}

/// The CSV's lines.
async fn csv_of(r: reqwest::Response) -> Vec<String> {
    assert_eq!(r.status(), StatusCode::OK);
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(disposition.starts_with("attachment; filename=\"partners-"), "{disposition}");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    r.text().await.unwrap().split("\r\n").filter(|l| !l.is_empty()).map(str::to_string).collect()
}

#[tokio::test]
async fn export_csv_downloads_the_selection_or_the_filter_with_formula_cells_neutralised() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let evil = PartnerFixture::new("=HYPERLINK(\"http://x\")")
        .domains(["evil.example", "evil.org"])
        .account_admin(UserFixture::admin("boss@evil.example"))
        .active()
        .create(&app)
        .id;
    let plus = PartnerFixture::new("+Plus, Ltd").domains(["plus.example"]).create(&app).id;
    PartnerFixture::new("-Minus").domains(["minus.example"]).deactivated().create(&app);
    PartnerFixture::new("@Home").domains(["home.example"]).active().create(&app);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();

    let lines = csv_of(press(&app.browser, "", "Export CSV", &[evil, plus]).await).await;

    assert_eq!(
        lines,
        [
            "name,status,group,domains,administrator_email,registered".to_string(),
            format!("\"'+Plus, Ltd\",Invited,Partners,plus.example,,{today}"),
            format!(
                "\"'=HYPERLINK(\"\"http://x\"\")\",Active,Partners,evil.example; evil.org,boss@evil.example,{today}"
            ),
        ]
    );

    // Nothing selected: the list's filter, every page of it.
    let lines = csv_of(press(&app.browser, "?show_deactivated=1", "Export CSV", &[]).await).await;
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert!(lines[2].starts_with("'-Minus,Deactivated,Partners"), "{lines:?}");
    assert!(lines[4].starts_with("'@Home,Active,Partners,home.example"), "{lines:?}");
    let lines = csv_of(press(&app.browser, "?status=active", "Export CSV", &[]).await).await;
    assert_eq!(lines.len(), 3, "only the active ones: {lines:?}");
    let lines = csv_of(press(&app.browser, "", "Export CSV", &[]).await).await;
    assert_eq!(lines.len(), 4, "without Show deactivated, the live ones: {lines:?}");
}

#[tokio::test]
async fn another_enterprises_partner_in_the_selection_answers_404_and_nothing_changes() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let (other, _) = app.create_enterprise_admin("Other Corp", "olga@other.example", PASSWORD);
    let foreign =
        PartnerFixture::new("Foreign").domains(["foreign.example"]).enterprise(other).active().create(&app).id;
    let (mine, theirs) = (globex.to_string(), foreign.to_string());
    let both = format!("partner={mine}&partner={theirs}");

    for path in ["move", "resend", "send", "deactivate", "export"] {
        let r = app.get(&format!("/settings/partners/bulk/{path}?{both}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let token = app.page(LIST).await.csrf_token();
    let default_group: i64 =
        schema::partners::table.find(globex).select(schema::partners::group_id).first(&mut app.conn()).unwrap();
    let group = default_group.to_string();
    for path in ["move", "resend", "send", "deactivate"] {
        let fields =
            [("partner", mine.as_str()), ("partner", theirs.as_str()), ("understood", "on"), ("group", group.as_str())];
        let r = app.browser.post(&format!("/settings/partners/bulk/{path}"), &token, &fields).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!([globex, foreign].map(|p| status_of(&app, p)), ["active", "active"]);
    assert!(audit_actions(&mut app.conn(), foreign).is_empty());
}

#[tokio::test]
async fn an_empty_selection_is_refused_with_a_page_saying_to_select_a_partner() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;

    for button in ["Move to group", "Resend invitations", "Send invitations", "Deactivate"] {
        let page = Page::read(press(&app.browser, "", button, &[]).await).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{button}");
        assert!(page.main_text().contains("Select at least one partner"), "{button}: {page}");
    }
    let token = app.page(LIST).await.csrf_token();
    let r = app.browser.post("/settings/partners/bulk/deactivate", &token, &[("understood", "on")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(&app, globex), "active");
}

#[tokio::test]
async fn a_viewer_may_export_but_not_open_or_confirm_an_action() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    seed_team_member(&app, app.enterprise_id(), "vic@acme.example", UserRole::Viewer);
    let viewer = app.browser_of("vic@acme.example").await;
    let id = globex.to_string();

    for path in ["move", "resend", "send", "deactivate"] {
        let r = viewer.get(&format!("/settings/partners/bulk/{path}?partner={id}")).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let token = viewer.page(LIST).await.csrf_token();
    for path in ["move", "resend", "send", "deactivate"] {
        let r = viewer
            .post(&format!("/settings/partners/bulk/{path}"), &token, &[("partner", &id), ("understood", "on")])
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(status_of(&app, globex), "active");
    let lines = csv_of(press(&viewer, "", "Export CSV", &[globex]).await).await;
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with("Globex,Active,Partners,globex.com"));
}
