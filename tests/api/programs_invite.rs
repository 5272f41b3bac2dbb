//! **Invite to apply** and the **Profile** tab (SPEC §12, issue 14 item 4): the wizard's Review
//! tab registers the partner `applied` (list, filter, badge, API), its administrator accepts,
//! answers the group's form, the enterprise approves it under **Applications** and the
//! partnership becomes `active`; the Profile tab shows the answers.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::PartnerId;
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_complete_draft, PartnerFixture},
    helpers::{location, TestApp, PASSWORD},
    page::Page,
    programs::{add_question, answer_field},
};

fn status_of(app: &TestApp, partner: PartnerId) -> String {
    use schema::partners::dsl as p;
    p::partners.find(partner).select(p::status).first(&mut app.conn()).unwrap()
}

async fn api_token(app: &TestApp) -> String {
    let day = (Utc::now().date_naive() + Duration::days(30)).to_string();
    let form =
        app.page("/settings/api-tokens").await.form("Create API token").set("name", "CRM").set("expires_on", &day);
    let r = form.add("scope", "partners:read").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    Page::read(r).await.attr("#token", "value").unwrap()
}

/// Acme (with SMTP) whose default group asks one required question; Initech registered through
/// the wizard with **Invite to apply**: (app, partner).
async fn invited_to_apply() -> (TestApp, PartnerId) {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let default_group: i64 = {
        use schema::partner_groups::dsl as g;
        g::partner_groups.filter(g::is_default.eq(true)).select(g::id).first(&mut app.conn()).unwrap()
    };
    add_question(&app, default_group, "What do you build?", "long_text", true, "").await;
    let draft = seed_complete_draft(&mut app.conn(), app.enterprise_id(), app.admin_id(), "Initech", "initech.example");
    let review = app.page(&format!("/settings/partners/drafts/{draft}/review")).await;
    assert_eq!(review.texts("form.actions button"), ["Add Partner", "Invite to apply"]);
    let r = review.form("Invite to apply").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let partner: PartnerId = location(&r).rsplit('/').next().unwrap().parse().unwrap();
    (app, partner)
}

#[tokio::test]
async fn invite_to_apply_registers_an_applied_partner_shown_everywhere_a_status_is() {
    let (app, partner) = invited_to_apply().await;
    assert_eq!(status_of(&app, partner), "applied");
    let general = app.page(&format!("/settings/partners/{partner}")).await;
    assert_eq!(general.text(".page-subtitle .badge").as_deref(), Some("Applied"));
    assert!(general.exists("#applied-note"));
    let list = app.page("/settings/partners").await;
    let row = list.row_with(".badge-applied").expect("the list shows the badge");
    assert!(row.contains("Initech"));
    assert!(list.texts("#status option").contains(&"Applied".to_string()));
    let filtered = app.page("/settings/partners?status=applied").await;
    assert_eq!(filtered.count("tbody tr"), 1);
    assert_eq!(app.page("/settings/partners?status=invited").await.count("tbody tr .badge-invited"), 0);
    assert_eq!(
        list.text("#partner-usage").as_deref(),
        Some("1 of 10 partners registered"),
        "it counts toward the limit"
    );

    let token = api_token(&app).await;
    let body: serde_json::Value = reqwest::Client::new()
        .get(app.url("/api/v1/partners?status=applied"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    let statuses: Vec<&str> = body["data"].as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["applied"], "{body}");
    let doc: serde_json::Value =
        serde_json::from_str(&reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().text().await.unwrap())
            .unwrap();
    let values = &doc["components"]["schemas"]["StatusValue"]["enum"];
    assert!(values.as_array().unwrap().iter().any(|v| v == "applied"), "{values}");
}

#[tokio::test]
async fn the_invited_administrator_accepts_applies_and_the_approval_makes_the_partner_active() {
    let (app, partner) = invited_to_apply().await;
    let profile = app.page(&format!("/settings/partners/{partner}/profile")).await;
    assert_eq!(profile.text(r#"nav.tabs a[aria-current="page"]"#).as_deref(), Some("Profile"));
    assert!(profile.text("#no-application").is_some(), "nothing submitted yet");

    // Ana accepts the emailed invitation: a password, then the group's application form.
    let link = app.emailed_link("ana@initech.example", "/invitations/").await;
    let ana = app.another_browser();
    let r = ana.get(&link).await;
    assert_eq!(location(&r), "/invitations/accept");
    let form = ana.page("/invitations/accept").await.form("Accept invitation");
    let r = form.set("password", PASSWORD).set("password_confirmation", PASSWORD).submit(&ana).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/apply/{partner}"));
    assert_eq!(status_of(&app, partner), "applied", "accepting does not activate it");
    let page = ana.page(&format!("/apply/{partner}")).await;
    assert_eq!(page.text("h1").as_deref(), Some("Apply to Acme"));
    assert!(!page.exists("#partner_name"), "the name and domains come from the wizard");
    // Until approved its people can't use the Service Catalog; logging in again leads back to
    // the application form.
    assert_ne!(ana.get("/service-catalog").await.status(), StatusCode::OK);
    let again = app.another_browser();
    let r = again.login("ana@initech.example", PASSWORD).await;
    assert_eq!(location(&r), format!("/apply/{partner}"));
    assert_eq!(again.page(&format!("/apply/{partner}")).await.text("h1").as_deref(), Some("Apply to Acme"));
    assert_ne!(again.get("/service-catalog").await.status(), StatusCode::OK);
    let r = app.another_browser().login("ana@initech.example", "not the password 1").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let field = answer_field(&page, "What do you build?");
    let r = page.form("Submit application").submit(&ana).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::read(r).await.text(&format!("#{field}-error")).as_deref(),
        Some("Answer this question: it is required.")
    );
    let r = page.form("Submit application").set(&field, "Staplers & TPS reports").submit(&ana).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(ana.page(&format!("/apply/{partner}")).await.exists("#submitted"));
    // Someone else (or another partner's id) finds nothing there.
    assert_eq!(app.another_browser().get(&format!("/apply/{partner}")).await.status(), StatusCode::OK, "a login form");
    let other = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    assert_eq!(ana.get(&format!("/apply/{other}")).await.status(), StatusCode::NOT_FOUND);

    let profile = app.page(&format!("/settings/partners/{partner}/profile")).await;
    assert!(profile.text("#application-state").unwrap().starts_with("Application waiting for an answer"));
    assert_eq!(profile.texts("#answers dt"), ["What do you build?"]);
    assert_eq!(profile.texts("#answers dd"), ["Staplers & TPS reports"]);

    let applications = app.page("/settings/partners/applications").await;
    let id: i64 = {
        use schema::program_applications::dsl as a;
        a::program_applications.filter(a::partner_id.eq(partner)).select(a::id).first(&mut app.conn()).unwrap()
    };
    let card = applications.each(&format!("#application-{id}")).remove(0);
    assert!(card.text(".card-header p").unwrap().contains("after Invite to apply"));
    let r = applications.form(&format!("/settings/partners/applications/{id}/approve")).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, partner), "active");
    let profile = app.page(&format!("/settings/partners/{partner}/profile")).await;
    assert!(profile.text("#application-state").unwrap().starts_with("Application approved"));

    let r = app.another_browser().login("ana@initech.example", PASSWORD).await;
    assert_eq!(location(&r), "/service-catalog", "an active partner's Admin");
}

#[tokio::test]
async fn declining_an_invited_application_ends_the_partnership_and_frees_its_place() {
    let (app, partner) = invited_to_apply().await;
    let link = app.emailed_link("ana@initech.example", "/invitations/").await;
    let ana = app.another_browser();
    ana.get(&link).await;
    let form = ana.page("/invitations/accept").await.form("Accept invitation");
    form.set("password", PASSWORD).set("password_confirmation", PASSWORD).submit(&ana).await;
    let page = ana.page(&format!("/apply/{partner}")).await;
    let field = answer_field(&page, "What do you build?");
    let r = page.form("Submit application").set(&field, "Printers").submit(&ana).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.page("/settings/partners/applications").await.form("Decline").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, partner), "declined");
    assert_eq!(
        app.page("/settings/partners").await.text("#partner-usage").as_deref(),
        Some("0 of 10 partners registered")
    );
}
