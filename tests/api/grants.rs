//! Products and APIs granted to a partner: the Products tab and Add Products, the APIs tab and
//! the Add APIs matrix, revoking, refusals of forged forms, deactivated partners, tenants.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{EnterpriseId, PartnerId};
use reqwest::StatusCode;

use crate::{
    fixtures::{grant_api, grant_product, seed_catalog, CatalogIds, PartnerFixture, UserFixture},
    helpers::{location, TestApp, PASSWORD},
    page::Page,
};

async fn logged_in() -> (TestApp, EnterpriseId) {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();
    (app, enterprise_id)
}

/// A logged-in admin, an active partner "Globex" and the small catalog of `seed_catalog`.
async fn arranged() -> (TestApp, EnterpriseId, PartnerId, CatalogIds) {
    let (app, enterprise_id) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let catalog = seed_catalog(&mut app.conn(), enterprise_id);
    (app, enterprise_id, partner, catalog)
}

/// The CSRF token of the logged-in session (every page's menu has the Log out form).
pub async fn token(app: &TestApp) -> String {
    app.page("/settings/partners").await.csrf_token()
}

pub async fn post(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let t = token(app).await;
    app.browser.post(action, &t, fields).await
}

async fn page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}:\n{}", page.html);
    page
}

/// Every checkbox has an id and a `<label for>` naming it; returns the labels' texts.
fn checkbox_labels(page: &Page) -> Vec<String> {
    let ids = page.attrs(r#"main input[type="checkbox"]"#, "id");
    ids.iter()
        .map(|id| {
            let label = page.text(&format!(r#"label[for="{id}"]"#));
            label.unwrap_or_else(|| panic!("checkbox {id} has no label"))
        })
        .collect()
}

pub fn product_grants(conn: &mut PgConnection, partner: PartnerId) -> Vec<i64> {
    use schema::partner_products::dsl as pp;
    pp::partner_products
        .filter(pp::partner_id.eq(partner))
        .order(pp::product_id)
        .select(pp::product_id)
        .load(conn)
        .unwrap()
}

pub fn api_cells(conn: &mut PgConnection, partner: PartnerId) -> Vec<(i64, i64)> {
    use schema::partner_api_environments::dsl as g;
    g::partner_api_environments
        .filter(g::partner_id.eq(partner))
        .order((g::api_id, g::environment_id))
        .select((g::api_id, g::environment_id))
        .load(conn)
        .unwrap()
}

/// The partner's audit events as (action, target), oldest first.
pub fn events(conn: &mut PgConnection, partner: PartnerId) -> Vec<(String, String)> {
    use schema::audit_events::dsl as a;
    a::audit_events.filter(a::partner_id.eq(partner)).order(a::id).select((a::action, a::target)).load(conn).unwrap()
}

fn archive_product(conn: &mut PgConnection, id: i64) {
    diesel::sql_query(format!("UPDATE products SET archived_at = now() WHERE id = {id}")).execute(conn).unwrap();
}

fn archive_api(conn: &mut PgConnection, id: i64) {
    diesel::sql_query(format!("UPDATE apis SET archived_at = now() WHERE id = {id}")).execute(conn).unwrap();
}

fn cell(api: i64, env: i64) -> String {
    format!("{api}:{env}")
}

/// Submits the Add APIs matrix showing every API in `apis` with `cells` checked: the review
/// of what that changes (or the refusal, or "no changes").
pub async fn review_matrix(app: &TestApp, partner: PartnerId, apis: &[i64], cells: &[(i64, i64)]) -> reqwest::Response {
    let api_values: Vec<String> = apis.iter().map(|a| a.to_string()).collect();
    let cell_values: Vec<String> = cells.iter().map(|(a, e)| cell(*a, *e)).collect();
    let mut fields: Vec<(&str, &str)> = api_values.iter().map(|v| ("api", v.as_str())).collect();
    fields.extend(cell_values.iter().map(|v| ("grant", v.as_str())));
    post(app, &format!("/settings/partners/{partner}/apis/add"), &fields).await
}

/// Saves the matrix as an admin does: **Save**, then **Confirm changes** on the review when
/// one is shown. Returns the last response.
pub async fn save_matrix(app: &TestApp, partner: PartnerId, apis: &[i64], cells: &[(i64, i64)]) -> reqwest::Response {
    confirm_review(app, review_matrix(app, partner, apis, cells).await).await
}

/// Presses **Confirm changes** when `r` is a review page; any other response is returned as it is.
pub async fn confirm_review(app: &TestApp, r: reqwest::Response) -> reqwest::Response {
    if r.status() != StatusCode::OK {
        return r;
    }
    let review = Page::read(r).await;
    assert_eq!(review.text("main h2").as_deref(), Some("Review changes"), "{}", review.html);
    review.form("Confirm changes").submit(&app.browser).await
}

/// Posts an Add Products (or other reviewed) form and confirms its review.
pub async fn post_confirmed(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    confirm_review(app, post(app, action, fields).await).await
}

// ---- Products --------------------------------------------------------------------------------

#[tokio::test]
async fn granted_products_appear_on_the_products_tab_and_revoking_one_removes_it() {
    let (app, _, partner, catalog) = arranged().await;
    let [one, two, _] = catalog.products[..] else { panic!() };

    let tab = page(&app, &format!("/settings/partners/{partner}/products")).await;
    assert_eq!(tab.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "Products");
    assert!(tab.contains("No products granted"));
    let add = format!("/settings/partners/{partner}/products/add");
    assert_eq!(tab.attrs("main a.button", "href"), [add.as_str()], "one clear way to add");
    assert_eq!(tab.texts("main a.button"), ["Add Products"]);

    let form = page(&app, &add).await;
    assert_eq!(checkbox_labels(&form), ["Product One", "Product Three", "Product Two"]);
    assert!(form.exists(r#"label[for="q"]"#) && form.exists(r#"form[method="get"] input[name="q"]"#));
    assert_eq!(form.texts(r#"main form[method="post"] button[type="submit"]"#), ["Save"]);

    let (a, b) = (one.to_string(), two.to_string());
    // Save shows what will change; nothing is granted until Confirm changes.
    let r = post(&app, &add, &[("product", a.as_str()), ("product", b.as_str())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let review = Page::read(r).await;
    assert_eq!(review.texts(".change-list li"), ["+ Product One", "+ Product Two"]);
    assert!(product_grants(&mut app.conn(), partner).is_empty(), "the review writes nothing");
    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}/products"));
    let tab = page(&app, &format!("/settings/partners/{partner}/products")).await;
    assert!(tab.contains("Products granted: Product One and Product Two."), "flash");
    assert_eq!(tab.texts("tbody td.cell-main"), ["Product OneThe One product.", "Product TwoThe Two product."]);
    assert_eq!(tab.texts("tbody button"), ["Revoke Product One", "Revoke Product Two"]);
    assert_eq!(product_grants(&mut app.conn(), partner), [one, two]);

    // What is granted is no longer offered.
    assert_eq!(checkbox_labels(&page(&app, &add).await), ["Product Three"]);

    let r = post(&app, &format!("/settings/partners/{partner}/products/{one}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let tab = page(&app, &format!("/settings/partners/{partner}/products")).await;
    assert!(tab.contains("Product One revoked"));
    assert_eq!(tab.texts("tbody td.cell-main"), ["Product TwoThe Two product."]);
    assert_eq!(product_grants(&mut app.conn(), partner), [two]);

    assert_eq!(
        events(&mut app.conn(), partner),
        [
            ("partner.access_changed".to_string(), "2 added".to_string()),
            ("partner.product_revoked".to_string(), "Product One".to_string()),
        ]
    );
}

#[tokio::test]
async fn the_search_box_narrows_the_products_offered_without_javascript() {
    let (app, _, partner, _) = arranged().await;

    let html = page(&app, &format!("/settings/partners/{partner}/products/add?q=tWo")).await;
    assert_eq!(checkbox_labels(&html), ["Product Two"]);
    let html = page(&app, &format!("/settings/partners/{partner}/products/add?q=three+product")).await;
    assert_eq!(checkbox_labels(&html), ["Product Three"], "descriptions match too");
    let html = page(&app, &format!("/settings/partners/{partner}/products/add?q=%25")).await;
    assert!(checkbox_labels(&html).is_empty() && html.contains("No products match"));
}

#[tokio::test]
async fn archived_products_are_not_offered_and_a_forged_grant_of_one_changes_nothing() {
    let (app, _, partner, catalog) = arranged().await;
    let [one, two, three] = catalog.products[..] else { panic!() };
    let mut conn = app.conn();
    archive_product(&mut conn, two);
    grant_product(&mut conn, partner, three);
    archive_product(&mut conn, three);

    let add = format!("/settings/partners/{partner}/products/add");
    assert_eq!(checkbox_labels(&page(&app, &add).await), ["Product One"]);

    let (a, b) = (one.to_string(), two.to_string());
    let r = post(&app, &add, &[("product", a.as_str()), ("product", b.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(r).await;
    assert!(
        html.contains("Product Two is archived and can&#39;t be granted")
            || html.contains("Product Two is archived and can't be granted"),
        "{html}"
    );
    assert_eq!(html.attrs("input[checked]", "value"), [a.as_str()], "the choice is kept");
    assert_eq!(product_grants(&mut conn, partner), [three]);
    assert!(events(&mut conn, partner).is_empty());

    // A product granted before it was archived is still listed, marked Archived.
    let tab = page(&app, &format!("/settings/partners/{partner}/products")).await;
    assert_eq!(tab.texts("tbody .badge"), ["Archived"]);

    // Nothing chosen, or a number that isn't a product: refused too.
    let r = post(&app, &add, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Choose at least one product"));
    let r = post(&app, &add, &[("product", a.as_str()), ("product", "999999")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A forged confirmation is refused the same way.
    let confirm = format!("{add}/confirm");
    let r = post(&app, &confirm, &[("product", b.as_str()), ("line", "+ Product Two")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(&app, &add, &[("product", "one")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(product_grants(&mut conn, partner), [three]);
}

#[tokio::test]
async fn another_enterprises_product_or_api_cannot_be_granted() {
    let (app, _, partner, catalog) = arranged().await;
    let mut conn = app.conn();
    let (other_enterprise, _) = app.create_enterprise_admin("Umbrella", "ada@umbrella.example", PASSWORD);
    let theirs = seed_catalog(&mut conn, other_enterprise);

    let p = theirs.products[0].to_string();
    let r = post(&app, &format!("/settings/partners/{partner}/products/add"), &[("product", p.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not in your catalog"));

    let r = save_matrix(&app, partner, &[theirs.apis[0]], &[(theirs.apis[0], theirs.environments[0])]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Our API in their environment.
    let r = save_matrix(&app, partner, &[catalog.apis[0]], &[(catalog.apis[0], theirs.environments[0])]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert!(product_grants(&mut conn, partner).is_empty());
    assert!(api_cells(&mut conn, partner).is_empty());
    assert!(events(&mut conn, partner).is_empty());
}

// ---- APIs ------------------------------------------------------------------------------------

#[tokio::test]
async fn the_api_matrix_has_a_labelled_checkbox_only_where_the_api_is_offered() {
    let (app, _, partner, _) = arranged().await;

    let tab = page(&app, &format!("/settings/partners/{partner}/apis")).await;
    assert_eq!(tab.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "APIs");
    assert!(tab.contains("No API access"));
    assert_eq!(tab.texts("main a.button"), ["Add APIs"]);
    assert_eq!(tab.attrs("main a.button", "href"), [format!("/settings/partners/{partner}/apis/add")]);

    let html = page(&app, &format!("/settings/partners/{partner}/apis/add")).await;
    assert_eq!(html.texts("table.matrix thead th"), ["API", "Development", "Staging", "Production"]);
    assert_eq!(html.texts("table.matrix tbody th"), ["API One/one/v1", "API Three/three/v1", "API Two/two/v1"]);
    assert_eq!(
        checkbox_labels(&html),
        [
            "API One in Development",
            "API One in Staging",
            "API One in Production",
            "API Three in Production",
            "API Two in Development",
            "API Two in Staging",
            "API Two in Production",
        ]
    );
    assert_eq!(html.texts("table.matrix td.not-available"), ["—not offered", "—not offered"]);
    assert!(html.attrs("input[checked]", "value").is_empty());
    assert_eq!(html.texts(r#"main form[method="post"] button[type="submit"]"#), ["Save"]);
}

#[tokio::test]
async fn saving_the_matrix_grants_per_environment_and_unchecking_revokes() {
    let (app, _, partner, catalog) = arranged().await;
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, stg, prod] = catalog.environments[..] else { panic!() };

    let r = save_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod), (a1, dev), (a3, prod)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}/apis"));
    let mut expected = vec![(a1, dev), (a1, prod), (a3, prod)];
    expected.sort();
    assert_eq!(api_cells(&mut app.conn(), partner), expected);

    let tab = page(&app, &format!("/settings/partners/{partner}/apis")).await;
    assert!(
        tab.contains("API access granted: API One in Development, API One in Production and API Three in Production."),
        "{tab}"
    );
    assert_eq!(tab.texts("tbody td.cell-main"), ["API OneThe One API.", "API ThreeThe Three API."]);
    assert_eq!(tab.texts("tbody .chip"), ["Development", "Production", "Production"], "in environment order");
    let matrix = page(&app, &format!("/settings/partners/{partner}/apis/add")).await;
    let checked = matrix.attrs("input[checked]", "value");
    assert_eq!(checked, [cell(a1, dev), cell(a1, prod), cell(a3, prod)], "grants come pre-checked");

    // Uncheck API One in Development and API Three; check API Two in Staging: the review
    // lists the addition, then the removals, each API in environment order.
    let r = review_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod), (a2, stg)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let review = Page::read(r).await;
    assert_eq!(
        review.texts(".change-list li"),
        ["+ API Two — Staging", "− API One — Development", "− API Three — Production"]
    );
    assert_eq!(review.texts(".change-list li.change-removed").len(), 2);
    assert_eq!(api_cells(&mut app.conn(), partner).len(), 3, "the review writes nothing");
    let r = review.form("Confirm changes").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut expected = vec![(a1, prod), (a2, stg)];
    expected.sort();
    assert_eq!(api_cells(&mut app.conn(), partner), expected);

    // Saving the same thing again changes nothing and records nothing.
    let before = events(&mut app.conn(), partner).len();
    let r = save_matrix(&app, partner, &[a1, a2, a3], &[(a1, prod), (a2, stg)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(page(&app, &format!("/settings/partners/{partner}/apis")).await.contains("No changes"));

    let log = events(&mut app.conn(), partner);
    assert_eq!(log.len(), before);
    let changed = |t: &str| ("partner.access_changed".to_string(), t.to_string());
    assert_eq!(log, [changed("3 added"), changed("1 added, 2 removed")], "one event per confirmed review");
}

#[tokio::test]
async fn forged_matrix_cells_are_refused_and_change_nothing() {
    let (app, _, partner, catalog) = arranged().await;
    let [a1, a2, a3] = catalog.apis[..] else { panic!() };
    let [dev, stg, _prod] = catalog.environments[..] else { panic!() };
    let mut conn = app.conn();
    grant_api(&mut conn, partner, a1, dev);

    // API Three is offered in Production only.
    let r = save_matrix(&app, partner, &[a1, a2, a3], &[(a1, stg), (a3, dev)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(r).await;
    assert!(html.contains("API Three is not offered in Development.") && html.contains("Nothing was saved."), "{html}");
    assert_eq!(html.attrs("input[checked]", "value"), [cell(a1, stg)], "the checked cells are kept");

    // A new grant of an archived API.
    archive_api(&mut conn, a2);
    let r = save_matrix(&app, partner, &[a1, a2], &[(a1, dev), (a2, dev)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("API Two is archived"));

    // An API or environment that does not exist; a value that isn't a cell.
    let r = save_matrix(&app, partner, &[999_999], &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = save_matrix(&app, partner, &[a1], &[(a1, 999_999)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(&app, &format!("/settings/partners/{partner}/apis/add"), &[("grant", "1-2")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    assert_eq!(api_cells(&mut conn, partner), [(a1, dev)]);
    assert!(events(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn an_archived_api_keeps_its_grants_outside_the_matrix_and_shows_archived() {
    let (app, _, partner, catalog) = arranged().await;
    let [a1, a2, _] = catalog.apis[..] else { panic!() };
    let [dev, _, _] = catalog.environments[..] else { panic!() };
    let mut conn = app.conn();
    grant_api(&mut conn, partner, a2, dev);
    archive_api(&mut conn, a2);

    let tab = page(&app, &format!("/settings/partners/{partner}/apis")).await;
    assert_eq!(tab.texts("tbody .badge"), ["Archived"]);
    let matrix = page(&app, &format!("/settings/partners/{partner}/apis/add")).await;
    assert!(!matrix.texts("table.matrix tbody th").iter().any(|t| t.starts_with("API Two")));
    assert!(matrix.contains("Archived and not shown: API Two"));

    // Saving the matrix (which doesn't show API Two) leaves its grant alone.
    let shown: Vec<i64> = vec![a1, catalog.apis[2]];
    let r = save_matrix(&app, partner, &shown, &[(a1, dev)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut expected = vec![(a1, dev), (a2, dev)];
    expected.sort();
    assert_eq!(api_cells(&mut conn, partner), expected);
}

#[tokio::test]
async fn revoking_one_environment_or_a_whole_api() {
    let (app, _, partner, catalog) = arranged().await;
    let [a1, a2, _] = catalog.apis[..] else { panic!() };
    let [dev, stg, prod] = catalog.environments[..] else { panic!() };
    let mut conn = app.conn();
    grant_api(&mut conn, partner, a1, dev);
    grant_api(&mut conn, partner, a1, prod);
    grant_api(&mut conn, partner, a2, dev);
    grant_api(&mut conn, partner, a2, stg);

    let tab = page(&app, &format!("/settings/partners/{partner}/apis")).await;
    assert_eq!(
        tab.texts("tbody button"),
        [
            "Revoke API One in Development",
            "Revoke API One in Production",
            "Revoke all API One",
            "Revoke API Two in Development",
            "Revoke API Two in Staging",
            "Revoke all API Two",
        ]
    );

    let r = post(&app, &format!("/settings/partners/{partner}/apis/{a1}/environments/{dev}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(page(&app, &format!("/settings/partners/{partner}/apis"))
        .await
        .contains("API access revoked: API One in Development."));
    let r = post(&app, &format!("/settings/partners/{partner}/apis/{a2}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(page(&app, &format!("/settings/partners/{partner}/apis"))
        .await
        .contains("API access revoked: API Two in Development and Staging."));
    assert_eq!(api_cells(&mut conn, partner), [(a1, prod)]);

    // Revoking what isn't granted changes nothing and records nothing.
    let r = post(&app, &format!("/settings/partners/{partner}/apis/{a2}/revoke"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        events(&mut conn, partner),
        [
            ("partner.api_environment_revoked".to_string(), "API One in Development".to_string()),
            ("partner.api_revoked".to_string(), "API Two".to_string()),
        ]
    );
}

// ---- deactivated partners, roles and tenants -------------------------------------------------

#[tokio::test]
async fn a_deactivated_partners_grants_cannot_change() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise_id);
    let partner = PartnerFixture::new("Gone Ltd").domains(["gone.example"]).deactivated().create(&app).id;
    let [p1, p2, _] = catalog.products[..] else { panic!() };
    let [a1, _, _] = catalog.apis[..] else { panic!() };
    let [dev, _, _] = catalog.environments[..] else { panic!() };
    grant_product(&mut conn, partner, p1);

    let tab = page(&app, &format!("/settings/partners/{partner}/products")).await;
    assert!(tab.contains("Product One") && !tab.contains("Add Products") && !tab.exists("tbody form"));
    assert!(!page(&app, &format!("/settings/partners/{partner}/apis")).await.contains("Add APIs"));

    let base = format!("/settings/partners/{partner}");
    for path in [format!("{base}/products/add"), format!("{base}/apis/add")] {
        assert_eq!(app.get(&path).await.status(), StatusCode::CONFLICT, "{path}");
    }
    let (p2s, cell) = (p2.to_string(), cell(a1, dev));
    let posts = [
        (format!("{base}/products/add"), vec![("product", p2s.as_str())]),
        (format!("{base}/products/{p1}/revoke"), vec![]),
        (format!("{base}/products/add/confirm"), vec![("product", p2s.as_str()), ("line", "+ Product Two")]),
        (format!("{base}/apis/add"), vec![("grant", cell.as_str())]),
        (format!("{base}/apis/add/confirm"), vec![("grant", cell.as_str()), ("line", "+ API One — Development")]),
        (format!("{base}/apis/revoke-all-access"), vec![]),
        (format!("{base}/apis/{a1}/revoke"), vec![]),
        (format!("{base}/apis/{a1}/environments/{dev}/revoke"), vec![]),
    ];
    for (action, fields) in posts {
        let r = post(&app, &action, &fields).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{action}");
        assert!(r.text().await.unwrap().contains("This partner is deactivated and can no longer be changed."));
    }
    assert_eq!(product_grants(&mut conn, partner), [p1]);
    assert!(api_cells(&mut conn, partner).is_empty());
    assert!(events(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn another_tenants_partner_is_not_found_on_every_grant_and_deactivation_route() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let ours = seed_catalog(&mut conn, enterprise_id);
    let (other_enterprise, _) = app.create_enterprise_admin("Umbrella", "ada@umbrella.example", PASSWORD);
    let theirs = seed_catalog(&mut conn, other_enterprise);
    let partner = PartnerFixture::new("Their Partner")
        .domains(["their.example"])
        .active()
        .create_in(&mut conn, other_enterprise)
        .id;
    grant_product(&mut conn, partner, theirs.products[0]);
    let base = format!("/settings/partners/{partner}");
    let (p, a, e) = (theirs.products[0], theirs.apis[0], theirs.environments[0]);

    for path in ["/products", "/products/add", "/apis", "/apis/add", "/delete"] {
        assert_eq!(app.get(&format!("{base}{path}")).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (ps, cs) = (p.to_string(), cell(a, e));
    let posts = [
        (format!("{base}/products/add"), vec![("product", ps.as_str())]),
        (format!("{base}/products/{p}/revoke"), vec![]),
        (format!("{base}/products/add/confirm"), vec![("product", ps.as_str()), ("line", "+ Product One")]),
        (format!("{base}/apis/add"), vec![("grant", cs.as_str())]),
        (format!("{base}/apis/add/confirm"), vec![("grant", cs.as_str()), ("line", "+ API One — Development")]),
        (format!("{base}/apis/revoke-all-access"), vec![]),
        (format!("{base}/apis/{a}/revoke"), vec![]),
        (format!("{base}/apis/{a}/environments/{e}/revoke"), vec![]),
        (format!("{base}/deactivate"), vec![("confirm_name", "Their Partner")]),
    ];
    for (action, fields) in posts {
        assert_eq!(post(&app, &action, &fields).await.status(), StatusCode::NOT_FOUND, "{action}");
    }
    // Our partner, their product or API: not found either.
    let mine = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let mbase = format!("/settings/partners/{mine}");
    assert_eq!(post(&app, &format!("{mbase}/products/{p}/revoke"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(&app, &format!("{mbase}/apis/{a}/revoke"), &[]).await.status(), StatusCode::NOT_FOUND);
    let path = format!("{mbase}/apis/{}/environments/{e}/revoke", ours.apis[0]);
    assert_eq!(post(&app, &path, &[]).await.status(), StatusCode::NOT_FOUND);

    assert_eq!(product_grants(&mut conn, partner), [p]);
    assert!(events(&mut conn, partner).is_empty());
    let status: String =
        schema::partners::table.find(partner).select(schema::partners::status).first(&mut conn).unwrap();
    assert_eq!(status, "active");
}

#[tokio::test]
async fn partner_users_cannot_open_the_grant_pages() {
    let (app, _, partner, _) = arranged().await;
    UserFixture::admin("pat@globex.com").create(&app, partner);
    let browser = app.another_browser();
    let r = browser.login("pat@globex.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    for path in ["/products", "/products/add", "/apis", "/apis/add", "/delete"] {
        let r = browser.get(&format!("/settings/partners/{partner}{path}")).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
