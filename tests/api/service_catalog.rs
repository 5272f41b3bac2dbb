//! Service Catalog (partner users): exactly the partner's grants, to Admins and Members alike;
//! never another partner's grants, ungranted or other tenants' items; removed people are out.

use diesel::prelude::*;
use partner_portal::db::{instrumentation, schema};
use reqwest::StatusCode;

use crate::{
    fixtures::{grant_api, grant_product, seed_catalog, CatalogIds, PartnerFixture, UserFixture},
    helpers::{location, Browser, TestApp, PASSWORD},
    page::Page,
};

struct World {
    app: TestApp,
    ids: CatalogIds,
}

/// Acme's catalog; Globex (Ada, Admin; Max, Member) has Product One, API One in Development
/// and Production and API Three in Production; Initech has Product Two and API Two in
/// Staging; another enterprise has a catalog of its own.
async fn world() -> World {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
        .user(UserFixture::member("max@globex.example").named("Max", "Member"));
    let app = TestApp::spawn().with_partner(globex).await;
    let (enterprise_id, globex) = (app.enterprise_id(), app.partner_id());
    let mut conn = app.conn();
    let ids = seed_catalog(&mut conn, enterprise_id);
    grant_product(&mut conn, globex, ids.products[0]);
    grant_api(&mut conn, globex, ids.apis[0], ids.environments[2]);
    grant_api(&mut conn, globex, ids.apis[0], ids.environments[0]);
    grant_api(&mut conn, globex, ids.apis[2], ids.environments[2]);

    let initech = PartnerFixture::new("Initech").domains(["initech.example"]).active().create(&app).id;
    grant_product(&mut conn, initech, ids.products[1]);
    grant_api(&mut conn, initech, ids.apis[1], ids.environments[1]);

    let other = partner_portal::db::enterprises::insert(&mut conn, "Umbrella", 10).unwrap();
    diesel::insert_into(schema::products::table)
        .values((schema::products::enterprise_id.eq(other.id), schema::products::name.eq("Umbrella Secret Product")))
        .execute(&mut conn)
        .unwrap();
    World { app, ids }
}

/// A fresh browser logged in as `email`.
async fn browser_of(app: &TestApp, email: &str) -> Browser {
    let browser = app.another_browser();
    let r = browser.login(email, PASSWORD).await;
    assert_eq!(location(&r), "/service-catalog", "{email} lands in the Service Catalog");
    browser
}

async fn service_catalog(browser: &Browser) -> Page {
    let page = browser.page("/service-catalog").await;
    assert_eq!(page.status, StatusCode::OK);
    page
}

/// The API names shown (the first text of each row header) with their environment badges.
fn apis_shown(page: &Page) -> Vec<(String, Vec<String>)> {
    page.each("section[aria-labelledby=apis-heading] tbody tr")
        .iter()
        .map(|row| (row.first_text("th").unwrap(), row.texts(".chip")))
        .collect()
}

#[tokio::test]
async fn an_admin_and_a_member_see_exactly_their_partners_grants() {
    let w = world().await;

    for email in ["ada@globex.example", "max@globex.example"] {
        let browser = browser_of(&w.app, email).await;
        let html = service_catalog(&browser).await;

        assert_eq!(html.texts("section[aria-labelledby=products-heading] h3"), ["Product One"], "{email}");
        assert!(html.contains("The One product."));
        assert_eq!(
            apis_shown(&html),
            [
                ("API One".to_string(), vec!["Development".to_string(), "Production".to_string()]),
                ("API Three".to_string(), vec!["Production".to_string()]),
            ],
            "{email}: environments in environment order, only those granted"
        );
        for absent in ["Product Two", "Product Three", "API Two", "Staging", "Umbrella Secret Product", "Initech"] {
            assert!(!html.contains(absent), "{email} must not see {absent}");
        }
        assert!(html.contains(r#"<a href="/service-catalog" aria-current="page">Service Catalog</a>"#));
    }
}

#[tokio::test]
async fn archived_items_still_granted_are_marked_retiring_and_archived_ungranted_ones_stay_hidden() {
    let w = world().await;
    let mut conn = w.app.conn();
    let now = chrono::Utc::now();
    diesel::update(schema::products::table.filter(schema::products::id.eq_any([w.ids.products[0], w.ids.products[2]])))
        .set(schema::products::archived_at.eq(now))
        .execute(&mut conn)
        .unwrap();
    diesel::update(schema::apis::table.find(w.ids.apis[2]))
        .set(schema::apis::archived_at.eq(now))
        .execute(&mut conn)
        .unwrap();

    let html = service_catalog(&browser_of(&w.app, "max@globex.example").await).await;

    assert_eq!(html.texts("section[aria-labelledby=products-heading] h3"), ["Product One Retiring"]);
    assert!(!html.contains("Product Three"));
    let retiring: Vec<String> = html
        .each("tbody th")
        .iter()
        .filter(|th| th.text("th").unwrap().contains("Retiring"))
        .map(|th| th.first_text("th").unwrap())
        .collect();
    assert_eq!(retiring, ["API Three"]);
}

#[tokio::test]
async fn a_partner_without_grants_sees_friendly_empty_states() {
    let w = world().await;
    let hooli = PartnerFixture::new("Hooli").domains(["hooli.example"]).active().create(&w.app).id;
    UserFixture::member("gavin@hooli.example").named("Gavin", "Belson").create(&w.app, hooli);

    let html = service_catalog(&browser_of(&w.app, "gavin@hooli.example").await).await;

    assert_eq!(
        html.texts(".empty-state p"),
        [
            "Your administrator at Acme hasn't shared any products yet.",
            "Your administrator at Acme hasn't shared any APIs yet."
        ]
    );
    for absent in ["Product One", "API One", "Product Two", "API Two"] {
        assert!(!html.contains(absent), "{absent}");
    }
}

#[tokio::test]
async fn a_removed_member_can_no_longer_reach_the_service_catalog() {
    let w = world().await;
    let max_browser = browser_of(&w.app, "max@globex.example").await;
    service_catalog(&max_browser).await;
    let max: i64 = schema::users::table
        .filter(schema::users::email.eq("max@globex.example"))
        .select(schema::users::id)
        .first(&mut w.app.conn())
        .unwrap();

    // Ada, the partner's Admin, removes Max.
    let ada = browser_of(&w.app, "ada@globex.example").await;
    let remove = format!("/members/{max}/remove");
    let r = ada.page(&remove).await.form(&remove).submit(&ada).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = max_browser.get("/service-catalog").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the open session stops working");
    assert_eq!(location(&r), "/login");
    let fresh = w.app.another_browser();
    let again = fresh.login("max@globex.example", PASSWORD).await;
    assert_ne!(location(&again), "/service-catalog", "and can't log in again");
    assert_eq!(fresh.get("/service-catalog").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn enterprise_admins_are_refused_the_service_catalog() {
    let w = world().await;
    w.app.login("erin@acme.example", PASSWORD).await;
    assert_eq!(w.app.get("/service-catalog").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_service_catalog_runs_the_same_statements_with_1_and_with_many_grants() {
    instrumentation::enable();
    let w = world().await;
    let mut conn = w.app.conn();
    let hooli = PartnerFixture::new("Hooli").domains(["hooli.example"]).active().create(&w.app).id;
    UserFixture::member("gavin@hooli.example").named("Gavin", "Belson").create(&w.app, hooli);
    grant_product(&mut conn, hooli, w.ids.products[0]);
    let browser = browser_of(&w.app, "gavin@hooli.example").await;
    service_catalog(&browser).await; // warm up

    let one = statements(&w.app, &browser).await;
    for p in &w.ids.products[1..] {
        grant_product(&mut conn, hooli, *p);
    }
    for (api, envs) in
        w.ids.apis.iter().zip([&w.ids.environments[..], &w.ids.environments[..], &w.ids.environments[2..]])
    {
        for env in envs {
            grant_api(&mut conn, hooli, *api, *env);
        }
    }
    let many = statements(&w.app, &browser).await;
    let html = service_catalog(&browser).await;

    println!("/service-catalog ran {one} SQL statements with 1 grant and {many} with 3 products and 7 API environments (session included)");
    assert_eq!(apis_shown(&html).len(), 3);
    assert_eq!(one, many);
    assert!(many <= 4, "the session plus at most 3");
}

async fn statements(app: &TestApp, browser: &Browser) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = instrumentation::statements(&app.db.name);
        service_catalog(browser).await;
        fewest = fewest.min(instrumentation::statements(&app.db.name) - before);
    }
    fewest
}

/// The Service Catalog reads a per-partner row that triggers rebuild: every change an
/// enterprise admin makes in the portal shows on the partner's next page view.
#[tokio::test]
async fn renames_archiving_reordering_and_revoking_in_the_portal_show_at_once() {
    use crate::grants::post;
    let w = world().await;
    w.app.login("erin@acme.example", PASSWORD).await;
    let max = browser_of(&w.app, "max@globex.example").await;
    let globex: i64 = schema::partners::table
        .filter(schema::partners::name.eq("Globex"))
        .select(schema::partners::id)
        .first(&mut w.app.conn())
        .unwrap();
    let (product, api_one, api_three, production) =
        (w.ids.products[0], w.ids.apis[0], w.ids.apis[2], w.ids.environments[2]);

    let r = post(
        &w.app,
        &format!("/catalog/products/{product}/edit"),
        &[("name", "Payments Hub"), ("description", "New words.")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(&w.app, &format!("/catalog/apis/{api_three}/archive"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r =
        post(&w.app, &format!("/catalog/environments/{production}/edit"), &[("name", "Live"), ("position", "0")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let html = service_catalog(&max).await;
    assert_eq!(html.texts("section[aria-labelledby=products-heading] h3"), ["Payments Hub"]);
    assert!(html.contains("New words.") && !html.contains("The One product."));
    assert_eq!(
        apis_shown(&html),
        [
            ("API One".to_string(), vec!["Live".to_string(), "Development".to_string()]),
            ("API Three".to_string(), vec!["Live".to_string()]),
        ],
        "the renamed environment, now first"
    );
    assert!(html.texts("section[aria-labelledby=apis-heading] tbody th")[1].contains("Retiring"), "archived: retiring");

    let r = post(&w.app, &format!("/settings/partners/{globex}/apis/{api_one}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(&w.app, &format!("/settings/partners/{globex}/products/{product}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = service_catalog(&max).await;
    assert_eq!(html.texts("section[aria-labelledby=products-heading] h3"), ["No products yet"]);
    assert_eq!(apis_shown(&html), [("API Three".to_string(), vec!["Live".to_string()])]);
}
