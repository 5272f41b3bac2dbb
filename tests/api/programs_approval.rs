//! **Applications** (SPEC §12, issue 14 item 3): pending applications with their answers,
//! **Approve** (the partnership active in the group with its default access, the applicant its
//! Admin; refused at the limit; one of two for the last place), **Decline** (reason emailed),
//! tenants and Viewers.

use diesel::prelude::*;
use partner_portal::db::{self, schema};
use partner_portal::domain::{PartnerId, UserRole};
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_catalog, PartnerFixture},
    grants::post,
    helpers::{location, TestApp, PASSWORD},
    page::Page,
    programs::{apply, confirmed_applicant},
    programs_join::program,
};

/// Ana applied for Initech (initech.example) through the join link of "Resellers": (app, group,
/// code, application id).
async fn applied() -> (TestApp, i64, String, i64) {
    let (app, group, code) = program().await;
    let ana = confirmed_applicant(&app, &code, "ana@initech.example", "Ana").await;
    let r = apply(
        &ana,
        &code,
        "Initech",
        "initech.example",
        &[("Company size", "11-100"), ("Website", "https://initech.example")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = last_application(&app);
    (app, group, code, id)
}

fn last_application(app: &TestApp) -> i64 {
    use schema::program_applications::dsl as a;
    a::program_applications.order(a::id.desc()).select(a::id).first(&mut app.conn()).unwrap()
}

fn status_of(app: &TestApp, id: i64) -> String {
    use schema::program_applications::dsl as a;
    a::program_applications.find(id).select(a::status).first(&mut app.conn()).unwrap()
}

fn partner_named(app: &TestApp, name: &str) -> Option<(i64, String, i64, Option<i64>)> {
    use schema::partners::dsl as p;
    p::partners
        .filter(p::name.eq(name))
        .select((p::id, p::status, p::group_id, p::account_admin_user_id))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn set_limit(app: &TestApp, limit: i32) {
    diesel::sql_query(format!("UPDATE enterprises SET partner_limit = {limit} WHERE id = {}", app.enterprise_id()))
        .execute(&mut app.conn())
        .unwrap();
}

#[tokio::test]
async fn approving_makes_the_partner_active_in_the_group_with_its_access_and_the_applicant_its_admin() {
    let (app, group, _, id) = applied().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let p1 = catalog.products[0].to_string();
    let r = post(&app, &format!("/settings/partners/groups/{group}/access"), &[("product", &p1)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    db::webhooks::insert(
        &mut app.conn(),
        &db::webhooks::NewEndpoint {
            enterprise_id: app.enterprise_id(),
            url: "https://crm.acme.example/hooks",
            events: &["partner.created".to_string(), "partner.activated".to_string()],
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            created_by: app.admin_id(),
        },
    )
    .unwrap();

    let list = app.page("/settings/partners").await;
    assert!(list.attrs("a[href]", "href").iter().any(|h| h == "/settings/partners/applications"));
    let page = app.page("/settings/partners/applications").await;
    let card = page.each(&format!("#application-{id}")).remove(0);
    assert_eq!(card.text("h2").as_deref(), Some("Initech"));
    assert_eq!(card.text(".applicant").as_deref(), Some("Ana Lima (ana@initech.example)"));
    assert_eq!(card.text(".domains").as_deref(), Some("initech.example"));
    assert_eq!(card.texts(".question"), ["Company size", "Website"]);
    assert_eq!(card.texts(".answer"), ["11-100", "https://initech.example"]);
    assert_eq!(card.texts("button"), ["Approve", "Decline"]);

    let r = page.form(&format!("/settings/partners/applications/{id}/approve")).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (partner, status, in_group, admin) = partner_named(&app, "Initech").expect("the partnership exists");
    assert_eq!(location(&r), format!("/settings/partners/{partner}"));
    assert_eq!((status.as_str(), in_group), ("active", group));
    assert_eq!(
        crate::grants::product_grants(&mut app.conn(), PartnerId::new(partner)),
        [catalog.products[0]],
        "the group's default access"
    );
    let ana = db::users::find_by_email(&mut app.conn(), "ana@initech.example").unwrap().unwrap();
    assert_eq!(admin, Some(ana.id.get()), "the applicant is the account administrator");
    assert_eq!(status_of(&app, id), "approved");
    assert!(app.page("/settings/partners/applications").await.exists("#no-applications"));
    let events: Vec<String> = {
        use schema::webhook_deliveries::dsl as d;
        d::webhook_deliveries.order(d::id).select(d::event_type).load(&mut app.conn()).unwrap()
    };
    assert_eq!(events, ["partner.created", "partner.activated"]);
    let actions = crate::fixtures::audit_actions(&mut app.conn(), PartnerId::new(partner));
    assert!(
        actions.contains(&"partner.registered".to_string())
            && actions.contains(&"partner.application_approved".to_string()),
        "{actions:?}"
    );

    // Ana is told, logs in as the partner's Admin and opens the Service Catalog.
    let mail = app.emails().await.into_iter().rev().find(|m| m.to() == "ana@initech.example").unwrap();
    assert_eq!(mail.subject(), "Acme approved the application of Initech");
    let browser = app.another_browser();
    let r = browser.login("ana@initech.example", PASSWORD).await;
    assert_eq!(location(&r), "/service-catalog");
    let catalog_page = browser.page("/service-catalog").await;
    assert_eq!(catalog_page.status, StatusCode::OK);
    assert!(catalog_page.main_text().contains("Product One"));
    assert_eq!(browser.page("/members").await.status, StatusCode::OK, "an Admin of the partner");
}

#[tokio::test]
async fn declining_emails_the_reason_and_frees_the_domain() {
    let (app, _, code, id) = applied().await;
    let page = app.page("/settings/partners/applications").await;
    assert_eq!(page.text(&format!(r#"label[for="reason-{id}"]"#)).as_deref(), Some("Reason for declining"));
    let r = page
        .form("Decline")
        .set("reason", "We only work with <b>resellers</b> & integrators.")
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, id), "declined");
    assert!(partner_named(&app, "Initech").is_none(), "no partnership");
    let mail = app.emails().await.into_iter().rev().find(|m| m.to() == "ana@initech.example").unwrap();
    assert_eq!(mail.subject(), "Acme declined the application of Initech");
    assert!(mail.text().unwrap().contains("We only work with <b>resellers</b> & integrators."), "{:?}", mail.text());
    assert!(mail.html().unwrap().contains("&#60;b&#62;resellers"), "escaped in HTML");
    // Answered once: a second Approve says so and changes nothing.
    let r = post(&app, &format!("/settings/partners/applications/{id}/approve"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        Page::read(r).await.text("#application-error").as_deref(),
        Some("This application was already answered.")
    );
    assert_eq!(status_of(&app, id), "declined");
    // The domain is free for a new application.
    let bo = confirmed_applicant(&app, &code, "bo@initech.example", "Bo").await;
    let r = apply(&bo, &code, "Initech", "initech.example", &[("Company size", "1-10")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn approval_at_the_partner_limit_is_refused_with_the_usual_message_and_the_application_waits() {
    let (app, _, _, id) = applied().await;
    PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app);
    set_limit(&app, 1);
    let page = app.page("/settings/partners/applications").await;
    let r = page.form(&format!("/settings/partners/applications/{id}/approve")).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let refused = Page::read(r).await;
    assert_eq!(
        refused.text("#application-error").as_deref(),
        Some(
            "Your enterprise already has 1 of 1 partners registered. Deactivate a partner before registering another."
        )
    );
    assert_eq!(status_of(&app, id), "pending");
    assert!(partner_named(&app, "Initech").is_none());

    // A name taken meanwhile: the wizard's words.
    set_limit(&app, 10);
    PartnerFixture::new("INITECH").domains(["initech-other.example"]).active().create(&app);
    let r = post(&app, &format!("/settings/partners/applications/{id}/approve"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        Page::read(r).await.text("#application-error").as_deref(),
        Some("Another partner is already called “Initech”. Choose a different name.")
    );
    assert_eq!(status_of(&app, id), "pending");
}

#[tokio::test]
async fn two_admins_approving_two_applications_for_the_last_place_at_once_approve_exactly_one() {
    let (app, _, code, first) = applied().await;
    let bo = confirmed_applicant(&app, &code, "bo@hooli.example", "Bo").await;
    let r = apply(&bo, &code, "Hooli", "hooli.example", &[("Company size", "1-10")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second = last_application(&app);
    set_limit(&app, 1);
    crate::helpers::seed_admin(&app, app.enterprise_id(), "carl@acme.example");
    let carl = app.browser_of("carl@acme.example").await;
    let (t1, t2) =
        (app.page("/settings/partners").await.csrf_token(), carl.page("/settings/partners").await.csrf_token());
    let (p1, p2) = (
        format!("/settings/partners/applications/{first}/approve"),
        format!("/settings/partners/applications/{second}/approve"),
    );
    let (a, b) = tokio::join!(app.browser.post(&p1, &t1, &[]), carl.post(&p2, &t2, &[]));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let mut answers = [status_of(&app, first), status_of(&app, second)];
    answers.sort();
    assert_eq!(answers, ["approved", "pending"]);
    let live: i64 = {
        use schema::partners::dsl as p;
        p::partners.filter(p::status.eq("active")).count().get_result(&mut app.conn()).unwrap()
    };
    assert_eq!(live, 1);
}

#[tokio::test]
async fn viewers_see_applications_without_buttons_and_get_403_and_other_enterprises_get_404() {
    let (app, _, _, id) = applied().await;
    crate::helpers::seed_team_member(&app, app.enterprise_id(), "vic@acme.example", UserRole::Viewer);
    let vic = app.browser_of("vic@acme.example").await;
    let page = vic.page("/settings/partners/applications").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.exists(&format!("#application-{id}")));
    assert!(page.texts("main button").is_empty(), "{:?}", page.texts("main button"));
    let token = page.csrf_token();
    for action in ["approve", "decline"] {
        let r = vic.post(&format!("/settings/partners/applications/{id}/{action}"), &token, &[]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
    }
    app.create_enterprise_admin("Globex Corp", "olga@globex.example", PASSWORD);
    let olga = app.browser_of("olga@globex.example").await;
    let theirs = olga.page("/settings/partners/applications").await;
    assert!(theirs.exists("#no-applications"), "another enterprise's list is empty");
    let token = theirs.csrf_token();
    for action in ["approve", "decline"] {
        let r = olga.post(&format!("/settings/partners/applications/{id}/{action}"), &token, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{action}");
    }
    assert_eq!(status_of(&app, id), "pending");
}
