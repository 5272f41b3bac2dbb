//! Service Catalog (partner users): exactly the partner's grants, to Admins and Members alike;
//! never another partner's grants, ungranted or other tenants' items; removed people are out.

use diesel::prelude::*;
use partner_portal::db::{instrumentation, partners, schema};
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::{
    fixtures::{grant_api, grant_product, seed_catalog, seed_named_user, seed_partner, CatalogIds},
    helpers::{csrf_token, location, TestApp, PASSWORD},
};

struct World {
    app: TestApp,
    enterprise_id: i64,
    ids: CatalogIds,
}

/// Acme's catalog; Globex (Ada, Admin; Max, Member) has Product One, API One in Development
/// and Production and API Three in Production; Initech has Product Two and API Two in
/// Staging; another enterprise has a catalog of its own.
async fn world() -> World {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    let mut conn = app.conn();
    let ids = seed_catalog(&mut conn, enterprise_id);
    let globex = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.example"], "active");
    let ada = seed_named_user(&mut conn, enterprise_id, globex, "ada@globex.example", "admin", ("Ada", "Admin"));
    partners::set_account_admin(&mut conn, globex, ada).unwrap();
    seed_named_user(&mut conn, enterprise_id, globex, "max@globex.example", "member", ("Max", "Member"));
    grant_product(&mut conn, globex, ids.products[0]);
    grant_api(&mut conn, globex, ids.apis[0], ids.environments[2]);
    grant_api(&mut conn, globex, ids.apis[0], ids.environments[0]);
    grant_api(&mut conn, globex, ids.apis[2], ids.environments[2]);

    let initech = seed_partner(&mut conn, enterprise_id, "Initech", &["initech.example"], "active");
    grant_product(&mut conn, initech, ids.products[1]);
    grant_api(&mut conn, initech, ids.apis[1], ids.environments[1]);

    let other = partner_portal::db::enterprises::insert(&mut conn, "Umbrella", 10).unwrap();
    diesel::insert_into(schema::products::table)
        .values((schema::products::enterprise_id.eq(other.id), schema::products::name.eq("Umbrella Secret Product")))
        .execute(&mut conn)
        .unwrap();
    World { app, enterprise_id, ids }
}

/// A fresh browser logged in as `email`.
async fn browser_of(app: &TestApp, email: &str) -> reqwest::Client {
    let (_, client) = app.new_browser();
    let html = client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
    let r = client
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/service-catalog", "{email} lands in the Service Catalog");
    client
}

async fn service_catalog(app: &TestApp, client: &reqwest::Client) -> String {
    let r = client.get(app.url("/service-catalog")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    doc.select(&Selector::parse(selector).unwrap()).map(|e| e.text().collect::<String>().trim().to_string()).collect()
}

/// The API names shown (the first text of each row header) with their environment badges.
fn apis_shown(html: &str) -> Vec<(String, Vec<String>)> {
    let doc = Html::parse_document(html);
    let row = Selector::parse("section[aria-labelledby=apis-heading] tbody tr").unwrap();
    let name = Selector::parse("th").unwrap();
    let chip = Selector::parse(".chip").unwrap();
    doc.select(&row)
        .map(|r| {
            let th = r.select(&name).next().unwrap();
            let first = th.text().next().unwrap_or("").trim().to_string();
            (first, r.select(&chip).map(|c| c.text().collect::<String>()).collect())
        })
        .collect()
}

#[tokio::test]
async fn an_admin_and_a_member_see_exactly_their_partners_grants() {
    let w = world().await;

    for email in ["ada@globex.example", "max@globex.example"] {
        let browser = browser_of(&w.app, email).await;
        let html = service_catalog(&w.app, &browser).await;

        assert_eq!(texts(&html, "section[aria-labelledby=products-heading] h3"), ["Product One"], "{email}");
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

    let html = service_catalog(&w.app, &browser_of(&w.app, "max@globex.example").await).await;

    assert_eq!(texts(&html, "section[aria-labelledby=products-heading] h3"), ["Product One Retiring"]);
    assert!(!html.contains("Product Three"));
    let doc = Html::parse_document(&html);
    let retiring: Vec<String> = doc
        .select(&Selector::parse("tbody th").unwrap())
        .filter(|th| th.text().any(|t| t.contains("Retiring")))
        .map(|th| th.text().next().unwrap().trim().to_string())
        .collect();
    assert_eq!(retiring, ["API Three"]);
}

#[tokio::test]
async fn a_partner_without_grants_sees_friendly_empty_states() {
    let w = world().await;
    let mut conn = w.app.conn();
    let hooli = seed_partner(&mut conn, w.enterprise_id, "Hooli", &["hooli.example"], "active");
    seed_named_user(&mut conn, w.enterprise_id, hooli, "gavin@hooli.example", "member", ("Gavin", "Belson"));

    let html = service_catalog(&w.app, &browser_of(&w.app, "gavin@hooli.example").await).await;

    assert_eq!(
        texts(&html, ".empty-state p"),
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
    service_catalog(&w.app, &max_browser).await;
    let max: i64 = schema::users::table
        .filter(schema::users::email.eq("max@globex.example"))
        .select(schema::users::id)
        .first(&mut w.app.conn())
        .unwrap();

    // Ada, the partner's Admin, removes Max.
    let ada = browser_of(&w.app, "ada@globex.example").await;
    let page = ada.get(w.app.url(&format!("/members/{max}/remove"))).send().await.unwrap().text().await.unwrap();
    let r = ada
        .post(w.app.url(&format!("/members/{max}/remove")))
        .form(&[("csrf_token", csrf_token(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = max_browser.get(w.app.url("/service-catalog")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the open session stops working");
    assert_eq!(location(&r), "/login");
    let (_, fresh) = w.app.new_browser();
    let html = fresh.get(w.app.url("/login")).send().await.unwrap().text().await.unwrap();
    let again = fresh
        .post(w.app.url("/login"))
        .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", "max@globex.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_ne!(location(&again), "/service-catalog", "and can't log in again");
    assert_eq!(fresh.get(w.app.url("/service-catalog")).send().await.unwrap().status(), StatusCode::SEE_OTHER);
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
    let hooli = seed_partner(&mut conn, w.enterprise_id, "Hooli", &["hooli.example"], "active");
    seed_named_user(&mut conn, w.enterprise_id, hooli, "gavin@hooli.example", "member", ("Gavin", "Belson"));
    grant_product(&mut conn, hooli, w.ids.products[0]);
    let browser = browser_of(&w.app, "gavin@hooli.example").await;
    service_catalog(&w.app, &browser).await; // warm up

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
    let html = service_catalog(&w.app, &browser).await;

    println!("/service-catalog ran {one} SQL statements with 1 grant and {many} with 3 products and 7 API environments (session included)");
    assert_eq!(apis_shown(&html).len(), 3);
    assert_eq!(one, many);
    assert!(many <= 4, "the session plus at most 3");
}

async fn statements(app: &TestApp, browser: &reqwest::Client) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = instrumentation::statements(&app.db.name);
        service_catalog(app, browser).await;
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

    let html = service_catalog(&w.app, &max).await;
    assert_eq!(texts(&html, "section[aria-labelledby=products-heading] h3"), ["Payments Hub"]);
    assert!(html.contains("New words.") && !html.contains("The One product."));
    assert_eq!(
        apis_shown(&html),
        [
            ("API One".to_string(), vec!["Live".to_string(), "Development".to_string()]),
            ("API Three".to_string(), vec!["Live".to_string()]),
        ],
        "the renamed environment, now first"
    );
    assert!(
        texts(&html, "section[aria-labelledby=apis-heading] tbody th")[1].contains("Retiring"),
        "archived: retiring"
    );

    let r = post(&w.app, &format!("/settings/partners/{globex}/apis/{api_one}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post(&w.app, &format!("/settings/partners/{globex}/products/{product}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = service_catalog(&w.app, &max).await;
    assert_eq!(texts(&html, "section[aria-labelledby=products-heading] h3"), ["No products yet"]);
    assert_eq!(apis_shown(&html), [("API Three".to_string(), vec!["Live".to_string()])]);
}
