//! Request access (SPEC §15): an item the enterprise marks *requestable* with questions; a
//! partner Admin's **Request access**; the enterprise's **Access requests** with **Approve**
//! (optionally with an end) and **Decline** (with a reason); emails both ways; audit.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::PartnerId;
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_catalog, PartnerFixture, UserFixture},
    grants::{api_cells, post, product_grants},
    helpers::{location, Browser, TestApp, ADMIN, PASSWORD},
    page::Page,
};

async fn arranged() -> (TestApp, PartnerId, crate::fixtures::CatalogIds) {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    UserFixture::admin("ada@globex.com").named("Ada", "Lovelace").create(&app, partner);
    UserFixture::member("mo@globex.com").named("Mo", "Member").create(&app, partner);
    (app, partner, catalog)
}

/// Posts from a partner user's `browser` with the CSRF token of its Service Catalog page.
async fn post_as(browser: &Browser, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = browser.page("/service-catalog").await.csrf_token();
    browser.post(action, &token, fields).await
}

/// Posts from an enterprise admin's `browser` with the CSRF token of its partners list.
async fn post_as_team(browser: &Browser, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = browser.page("/settings/partners").await.csrf_token();
    browser.post(action, &token, fields).await
}

fn status_of(conn: &mut PgConnection, id: i64) -> String {
    use schema::access_requests::dsl as r;
    r::access_requests.find(id).select(r::status).first(conn).unwrap()
}

fn request_ids(conn: &mut PgConnection, partner: PartnerId) -> Vec<i64> {
    use schema::access_requests::dsl as r;
    r::access_requests.filter(r::partner_id.eq(partner)).order(r::id).select(r::id).load(conn).unwrap()
}

fn actions(conn: &mut PgConnection, partner: PartnerId) -> Vec<String> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::partner_id.eq(partner))
        .filter(a::action.like("partner.access_request%"))
        .order(a::id)
        .select(a::action)
        .load(conn)
        .unwrap()
}

#[tokio::test]
async fn a_requestable_api_is_asked_for_with_answers_approved_with_an_end_and_both_sides_are_emailed() {
    let (app, partner, catalog) = arranged().await;
    let mut conn = app.conn();
    let [a1, _, _] = catalog.apis[..] else { panic!() };
    let [dev, _, prod] = catalog.environments[..] else { panic!() };

    // The enterprise makes API One requestable, with two questions.
    let list = app.page("/catalog/apis").await;
    let settings = format!("/catalog/apis/{a1}/requests");
    assert!(list.attrs("a.button", "href").contains(&settings));
    let form = app.page(&settings).await;
    assert_eq!(form.text(r#"label[for="requestable"]"#).as_deref(), Some("Requestable"));
    assert_eq!(form.text(r#"label[for="questions"]"#).as_deref(), Some("Questions"));
    let r =
        post(&app, &settings, &[("requestable", "on"), ("questions", "What will you build?\n\nHow many calls a day?")])
            .await;
    assert_eq!(location(&r), "/catalog/apis");

    // Ada, the partner's Admin, asks for it.
    let ada = app.browser_of("ada@globex.com").await;
    let home = ada.page("/partner/request-access").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.attr(r#"nav a[href="/partner/request-access"]"#, "aria-current").as_deref(), Some("page"));
    let ask = format!("/partner/request-access/apis/{a1}");
    assert_eq!(home.attrs("main a.button", "href"), [ask.as_str()]);
    let form = ada.page(&ask).await;
    let labels: Vec<String> = form.texts("fieldset label");
    assert_eq!(labels, ["Development", "Staging", "Production"]);
    assert_eq!(form.text(r#"label[for="answer_0"]"#).as_deref(), Some("What will you build?"));
    assert_eq!(form.text(r#"label[for="answer_1"]"#).as_deref(), Some("How many calls a day?"));

    // Nothing chosen, nothing answered: the form again, each problem marked, nothing sent.
    let r = post_as(&ada, &ask, &[("answer_0", "  "), ("answer_1", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = Page::read(r).await;
    assert_eq!(refused.text("#environments-error").as_deref(), Some("Choose at least one environment."));
    assert_eq!(refused.text("#answer_0-error").as_deref(), Some("Answer this question."));
    assert!(request_ids(&mut conn, partner).is_empty());

    let (d, p) = (dev.to_string(), prod.to_string());
    let fields =
        [("environment", d.as_str()), ("environment", p.as_str()), ("answer_0", "A shop"), ("answer_1", "1000")];
    let r = post_as(&ada, &ask, &fields).await;
    assert_eq!(location(&r), "/partner/request-access");
    let home = ada.page("/partner/request-access").await;
    assert!(home
        .flashes()
        .contains(&"Your request for API One in Development, Production was sent to Acme.".to_string()));
    assert_eq!(home.texts("main .badge-invited"), ["Request waiting", "Waiting for an answer"]);
    // A second request while one waits is refused.
    let r = post_as(&ada, &ask, &fields).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(Page::read(r).await.text("#request-error").unwrap().contains("You already asked for API One"));
    let [id] = request_ids(&mut conn, partner)[..] else { panic!("one request") };

    // Acme's admin is emailed, with the answers.
    let mails = app.emails().await;
    let to_erin = mails.iter().find(|m| m.to() == ADMIN).expect("an email to the enterprise's admin");
    assert_eq!(to_erin.subject(), "Globex asks for access to API One in Development, Production");
    let text = to_erin.text().unwrap().replace("\r\n", "\n");
    println!("Subject: {}\n\n{text}", to_erin.subject());
    assert!(
        text.contains("What will you build?\nA shop")
            && text.contains(&app.url(&format!("/settings/access-requests/{id}")))
    );

    // The queue and the request.
    let queue = app.page("/settings/access-requests").await;
    assert_eq!(queue.attr(r#"nav a[href="/settings/access-requests"]"#, "aria-current").as_deref(), Some("page"));
    assert_eq!(queue.rows()[0][..3], ["Globex", "API One in Development, Production", "Ada Lovelace"]);
    let detail = app.page(&format!("/settings/access-requests/{id}")).await;
    assert_eq!(detail.texts("dl dt"), ["What will you build?", "How many calls a day?"]);
    assert_eq!(detail.texts("dl dd"), ["A shop", "1000"]);

    // Approve until a day: the grants, the request, the audit, Ada's email.
    let day = Utc::now().date_naive() + Duration::days(90);
    let shown = day.format("%-d %b %Y").to_string();
    let r = detail.form("Approve").set("expires_on", &day.to_string()).submit(&app.browser).await;
    assert_eq!(location(&r), "/settings/access-requests");
    let mut expected = vec![(a1, dev), (a1, prod)];
    expected.sort();
    assert_eq!(api_cells(&mut conn, partner), expected);
    assert_eq!(status_of(&mut conn, id), "approved");
    assert_eq!(actions(&mut conn, partner), ["partner.access_requested", "partner.access_request_approved"]);
    let to_ada = app.emails().await.into_iter().find(|m| m.to() == "ada@globex.com").expect("Ada is told");
    assert_eq!(to_ada.subject(), "Acme approved your request for API One in Development, Production");
    println!("Subject: {}\n\n{}", to_ada.subject(), to_ada.text().unwrap());
    assert!(to_ada.text().unwrap().contains(&format!("until {shown}")));
    let catalog_page = ada.page("/service-catalog").await;
    assert_eq!(
        catalog_page.texts(".chip-list li"),
        [format!("Development · until {shown}"), format!("Production · until {shown}")]
    );
    // Staging is still there to ask for; answering twice is refused.
    assert!(ada.page(&ask).await.texts("fieldset label") == ["Staging"]);
    let r = post(&app, &format!("/settings/access-requests/{id}/decline"), &[("reason", "Changed my mind")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(Page::read(r).await.text("#answer-error").unwrap().contains("already approved"));
    assert_eq!(status_of(&mut conn, id), "approved");
}

#[tokio::test]
async fn a_declined_request_needs_a_reason_and_the_partner_is_told_why() {
    let (app, partner, catalog) = arranged().await;
    let mut conn = app.conn();
    let p1 = catalog.products[0];
    post(&app, &format!("/catalog/products/{p1}/requests"), &[("requestable", "on"), ("questions", "")]).await;

    let ada = app.browser_of("ada@globex.com").await;
    let ask = format!("/partner/request-access/products/{p1}");
    let r = post_as(&ada, &ask, &[]).await;
    assert_eq!(location(&r), "/partner/request-access");
    let [id] = request_ids(&mut conn, partner)[..] else { panic!("one request") };

    let detail = format!("/settings/access-requests/{id}");
    let r = post(&app, &format!("{detail}/decline"), &[("reason", "  ")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(Page::read(r).await.text("#reason-error").as_deref(), Some("Give a reason: the partner sees it."));
    assert_eq!(status_of(&mut conn, id), "pending");
    let r = post(&app, &format!("{detail}/decline"), &[("reason", "Product One is for resellers only.")]).await;
    assert_eq!(location(&r), "/settings/access-requests");
    assert_eq!(status_of(&mut conn, id), "declined");
    assert!(product_grants(&mut conn, partner).is_empty());
    assert_eq!(actions(&mut conn, partner), ["partner.access_requested", "partner.access_request_declined"]);

    let mails = app.emails().await;
    let to_ada = mails.iter().find(|m| m.to() == "ada@globex.com").expect("Ada is told");
    assert_eq!(to_ada.subject(), "Acme declined your request for Product One");
    println!("Subject: {}\n\n{}", to_ada.subject(), to_ada.text().unwrap());
    assert!(to_ada.text().unwrap().contains("Their reason: Product One is for resellers only."));
    let home = ada.page("/partner/request-access").await;
    let row = home.words("tbody tr")[0].clone();
    assert!(
        row.starts_with("Product One Ada Lovelace") && row.ends_with("Declined Product One is for resellers only."),
        "{row}"
    );
    // Declined, it can be asked for again.
    let r = post_as(&ada, &ask, &[]).await;
    assert_eq!(location(&r), "/partner/request-access");
    assert_eq!(request_ids(&mut conn, partner).len(), 2);
}

#[tokio::test]
async fn members_unrequestable_items_and_other_tenants_are_refused() {
    let (app, partner, catalog) = arranged().await;
    let mut conn = app.conn();
    let [p1, p2, _] = catalog.products[..] else { panic!() };
    post(&app, &format!("/catalog/products/{p1}/requests"), &[("requestable", "on")]).await;

    // A Member can't request access, nor see the page.
    let mo = app.browser_of("mo@globex.com").await;
    assert!(!mo.page("/service-catalog").await.exists(r#"nav a[href="/partner/request-access"]"#));
    assert_eq!(mo.get("/partner/request-access").await.status(), StatusCode::FORBIDDEN);
    let r = post_as(&mo, &format!("/partner/request-access/products/{p1}"), &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // An item that isn't requestable, or isn't a kind of item, is not found.
    let ada = app.browser_of("ada@globex.com").await;
    assert_eq!(ada.get(&format!("/partner/request-access/products/{p2}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(ada.get(&format!("/partner/request-access/widgets/{p1}")).await.status(), StatusCode::NOT_FOUND);
    let r = post_as(&ada, &format!("/partner/request-access/products/{p2}"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(request_ids(&mut conn, partner).is_empty());

    // Another enterprise's admin can't see or answer Globex's request.
    post_as(&ada, &format!("/partner/request-access/products/{p1}"), &[]).await;
    let [id] = request_ids(&mut conn, partner)[..] else { panic!("one request") };
    app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let una = app.browser_of("una@umbrella.example").await;
    assert_eq!(una.get(&format!("/settings/access-requests/{id}")).await.status(), StatusCode::NOT_FOUND);
    let r = post_as_team(&una, &format!("/settings/access-requests/{id}/approve"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(!una.page("/settings/access-requests").await.contains("Globex"));
    // Nor change Acme's catalog settings.
    let r = post_as_team(&una, &format!("/catalog/products/{p1}/requests"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&mut conn, id), "pending");
    assert!(product_grants(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn approving_a_request_and_deactivating_at_once_never_leave_a_deactivated_partner_with_access() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let (api, env) = (catalog.apis[0], catalog.environments[0]);
    post(&app, &format!("/catalog/apis/{api}/requests"), &[("requestable", "on")]).await;
    let token = app.page("/settings/partners").await.csrf_token();
    for round in 0..6 {
        let name = format!("Race {round}");
        let partner = PartnerFixture::new(&name).domains([format!("race{round}.example")]).active().create(&app).id;
        let admin = format!("ada{round}@race{round}.example");
        UserFixture::admin(&admin).create(&app, partner);
        let ada = app.browser_of(&admin).await;
        let env_value = env.to_string();
        post_as(&ada, &format!("/partner/request-access/apis/{api}"), &[("environment", &env_value)]).await;
        let [id] = request_ids(&mut app.conn(), partner)[..] else { panic!("one request") };

        let (approve_url, deactivate_url) =
            (format!("/settings/access-requests/{id}/approve"), format!("/settings/partners/{partner}/deactivate"));
        let confirm = [("confirm_name", name.as_str())];
        let (approved, deactivated) = tokio::join!(
            app.browser.post(&approve_url, &token, &[]),
            app.browser.post(&deactivate_url, &token, &confirm)
        );
        let mut conn = app.conn();
        let status: String =
            schema::partners::table.find(partner).select(schema::partners::status).first(&mut conn).unwrap();
        let cells = api_cells(&mut conn, partner);
        println!(
            "round {round}: approve {}, deactivate {}, {status}, {cells:?}",
            approved.status(),
            deactivated.status()
        );
        assert!(status != "deactivated" || cells.is_empty(), "a deactivated partner kept access");
        if status == "deactivated" {
            assert_eq!(approved.status(), StatusCode::CONFLICT);
            // The approval was refused; the deactivation closed the request.
            assert_eq!(status_of(&mut conn, id), "declined");
        } else {
            assert_eq!(cells, [(api, env)]);
            assert_eq!(deactivated.status(), StatusCode::CONFLICT);
        }
    }
}
