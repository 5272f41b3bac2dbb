//! Catalog (enterprise admins): products, APIs and environments: creating, editing,
//! validation, archiving, deleting only what was never granted, tenant isolation, the audit
//! trail and the demo seed.

use diesel::prelude::*;
use partner_portal::{db::schema, domain::EnterpriseId};
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

async fn with_catalog() -> (TestApp, EnterpriseId, CatalogIds) {
    let (app, enterprise_id) = logged_in().await;
    let ids = seed_catalog(&mut app.conn(), enterprise_id);
    (app, enterprise_id, ids)
}

/// Posts `fields` (keys may repeat) with the session's CSRF token, like the page's form.
async fn post(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.page("/catalog").await.csrf_token();
    app.browser.post(action, &token, fields).await
}

async fn page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}:\n{}", page.html);
    page
}

/// (action, target, partner_id) of the enterprise's catalog events, oldest first.
fn catalog_events(app: &TestApp, enterprise_id: EnterpriseId) -> Vec<(String, String, Option<i64>)> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::enterprise_id.eq(enterprise_id))
        .filter(a::action.like("catalog.%"))
        .order(a::id.asc())
        .select((a::action, a::target, a::partner_id))
        .load(&mut app.conn())
        .unwrap()
}

fn product_names(app: &TestApp, enterprise_id: EnterpriseId) -> Vec<String> {
    use schema::products::dsl as p;
    p::products
        .filter(p::enterprise_id.eq(enterprise_id))
        .order(p::id.asc())
        .select(p::name)
        .load(&mut app.conn())
        .unwrap()
}

fn offered_in(app: &TestApp, api: i64) -> Vec<i64> {
    use schema::api_environments::dsl as ae;
    ae::api_environments
        .filter(ae::api_id.eq(api))
        .order(ae::environment_id.asc())
        .select(ae::environment_id)
        .load(&mut app.conn())
        .unwrap()
}

// ---- products --------------------------------------------------------------------------------

#[tokio::test]
async fn an_admin_creates_a_product_and_sees_it_in_the_catalog() {
    let (app, enterprise_id) = logged_in().await;

    let empty = page(&app, "/catalog").await;
    assert!(empty.html.contains("No products yet"));
    assert_eq!(empty.text(r#".menu a[aria-current="page"]"#).unwrap(), "Catalog");
    assert_eq!(empty.texts(r#"nav.tabs[aria-label="Catalog sections"] a"#), ["Products", "APIs", "Environments"]);
    let form = page(&app, "/catalog/products/new").await;
    assert!(form.exists(r#"label[for="name"]"#) && form.exists(r#"label[for="description"]"#));
    assert_eq!(form.text(r#"label[for="name"]"#).unwrap(), "Name");

    let r = post(
        &app,
        "/catalog/products",
        &[("name", "  Payments Hub "), ("description", "Accept payments, everywhere.")],
    )
    .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/catalog");
    let html = page(&app, "/catalog").await;
    assert!(html.html.contains("Product “Payments Hub” created."));
    assert_eq!(html.texts("tbody td.cell-main"), ["Payments Hub"]);
    assert!(html.html.contains("Accept payments, everywhere."));
    assert_eq!(html.texts("tbody td.num"), ["0"], "granted to no partner");
    assert_eq!(
        catalog_events(&app, enterprise_id),
        [("catalog.product_created".to_string(), "Product Payments Hub".to_string(), None)]
    );
}

#[tokio::test]
async fn an_invalid_product_is_refused_with_the_field_marked_and_the_input_kept() {
    let (app, enterprise_id) = logged_in().await;

    for (name, description, field, message) in [
        ("   ", "Kept description", "name", "Enter a name."),
        (&"x".repeat(101) as &str, "Kept description", "name", "at most 100 characters"),
        ("Line\nbreak", "Kept description", "name", "control characters"),
        ("Fine name", &"d".repeat(501) as &str, "description", "at most 500 characters"),
    ] {
        let r = post(&app, "/catalog/products", &[("name", name), ("description", description)]).await;

        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let html = Page::read(r).await;
        assert!(html.exists(&format!(r#"#{field}[aria-invalid="true"]"#)), "{field} marked for {name:?}");
        assert!(html.text(&format!("#{field}-error")).unwrap().contains(message), "{html}");
        assert!(html.html.contains("Nothing was saved"));
        let kept_description = html.text("#description").unwrap();
        assert_eq!(kept_description, description.trim(), "description kept");
    }
    assert!(product_names(&app, enterprise_id).is_empty());
    assert!(catalog_events(&app, enterprise_id).is_empty());
}

#[tokio::test]
async fn a_duplicate_name_ignoring_case_is_refused_for_products_apis_and_environments() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let env = ids.environments[0].to_string();

    let product = post(&app, "/catalog/products", &[("name", "PRODUCT one"), ("description", "")]).await;
    let api = post(&app, "/catalog/apis", &[("name", "api ONE"), ("environments", &env)]).await;
    let environment = post(&app, "/catalog/environments", &[("name", "production"), ("position", "9")]).await;
    let rename = post(
        &app,
        &format!("/catalog/products/{}/edit", ids.products[1]),
        &[("name", "product one"), ("description", "")],
    )
    .await;

    for (r, what) in [(product, "product"), (api, "API"), (environment, "environment"), (rename, "product")] {
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = Page::read(r).await;
        assert!(html.exists(r#"#name[aria-invalid="true"]"#));
        assert!(html.text("#name-error").unwrap().contains(&format!("Another {what} is already called")), "{html}");
    }
    assert_eq!(product_names(&app, enterprise_id), ["Product One", "Product Two", "Product Three"]);
}

#[tokio::test]
async fn editing_a_product_saves_it_and_records_what_changed() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let id = ids.products[0];

    let form = page(&app, &format!("/catalog/products/{id}/edit")).await;
    assert!(form.html.contains(r#"value="Product One""#));
    let r =
        post(&app, &format!("/catalog/products/{id}/edit"), &[("name", "Payments Hub"), ("description", "New words.")])
            .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, "/catalog").await;
    assert!(
        html.html.contains("Payments Hub") && html.html.contains("New words.") && !html.html.contains("Product One")
    );
    use schema::audit_events::dsl as a;
    let details: serde_json::Value = a::audit_events
        .filter(a::action.eq("catalog.product_updated"))
        .select(a::details)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(details["name"]["from"], "Product One");
    assert_eq!(details["name"]["to"], "Payments Hub");
    assert_eq!(catalog_events(&app, enterprise_id).len(), 1);
}

#[tokio::test]
async fn archiving_and_unarchiving_a_product_marks_it_and_is_audited() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let id = ids.products[0];

    let r = post(&app, &format!("/catalog/products/{id}/archive"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, "/catalog").await;
    let row = format!("#product-{id}");
    assert_eq!(html.text(&format!("{row} .badge")).unwrap(), "Archived");
    assert_eq!(html.text(&format!("{row} form button")).unwrap(), "Unarchive");
    assert!(html.html.contains("Product “Product One” archived"));

    post(&app, &format!("/catalog/products/{id}/archive"), &[]).await; // twice: nothing more happens
    let r = post(&app, &format!("/catalog/products/{id}/unarchive"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page(&app, "/catalog").await;
    assert!(!html.exists(&format!("{row} .badge")));
    assert_eq!(html.text(&format!("{row} form button")).unwrap(), "Archive");

    let actions: Vec<String> = catalog_events(&app, enterprise_id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["catalog.product_archived", "catalog.product_unarchived"]);
}

#[tokio::test]
async fn a_granted_product_has_no_delete_button_and_its_deletion_is_refused() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    let id = ids.products[0];
    grant_product(&mut app.conn(), partner, id);

    let html = page(&app, "/catalog").await;
    assert!(!html.exists(&format!(r#"a[href="/catalog/products/{id}/delete"]"#)));
    assert!(html.exists(&format!(r#"a[href="/catalog/products/{}/delete"]"#, ids.products[1])));
    assert_eq!(html.text(&format!("#product-{id} td.num")).unwrap(), "1");
    let confirm = page(&app, &format!("/catalog/products/{id}/delete")).await;
    assert!(confirm.html.contains("is granted to 1 partner") && confirm.html.contains("Archive"));

    let r = post(&app, &format!("/catalog/products/{id}/delete"), &[]).await;

    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("“Product One” is granted to 1 partner; archive it instead."));
    assert_eq!(product_names(&app, enterprise_id).len(), 3);
    assert!(catalog_events(&app, enterprise_id).is_empty());
}

#[tokio::test]
async fn a_product_never_granted_is_deleted_after_confirmation() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let id = ids.products[2];

    let confirm = page(&app, &format!("/catalog/products/{id}/delete")).await;
    assert_eq!(confirm.text("h1").unwrap(), "Delete Product Three?");
    assert_eq!(confirm.text("form button.button-danger").unwrap(), "Delete");
    let r = post(&app, &format!("/catalog/products/{id}/delete"), &[]).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(product_names(&app, enterprise_id), ["Product One", "Product Two"]);
    assert!(page(&app, "/catalog").await.html.contains("Product “Product Three” deleted."));
    assert_eq!(
        catalog_events(&app, enterprise_id),
        [("catalog.product_deleted".to_string(), "Product Product Three".to_string(), None)]
    );
}

// ---- APIs ------------------------------------------------------------------------------------

#[tokio::test]
async fn an_api_is_created_with_the_environments_it_is_offered_in() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let (dev, prod) = (ids.environments[0].to_string(), ids.environments[2].to_string());

    let form = page(&app, "/catalog/apis/new").await;
    assert_eq!(form.text("fieldset legend").unwrap(), "Environments");
    assert_eq!(form.texts("fieldset label"), ["Development", "Staging", "Production"]);
    assert_eq!(form.text(r#"label[for="base_path"]"#).unwrap(), "Base path (optional)");
    let r = post(
        &app,
        "/catalog/apis",
        &[
            ("name", "Payments API v2"),
            ("description", "Pay."),
            ("base_path", "/payments/v2"),
            ("environments", &prod),
            ("environments", &dev),
        ],
    )
    .await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/catalog/apis");
    let html = page(&app, "/catalog/apis").await;
    let id: i64 = schema::apis::table
        .filter(schema::apis::name.eq("Payments API v2"))
        .select(schema::apis::id)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(html.texts(&format!("#api-{id} .chip")), ["Development", "Production"], "in environment order");
    assert!(html.html.contains("/payments/v2"));
    assert_eq!(html.texts(&format!("#api-{}-name", ids.apis[2])), ["API Three"]);
    assert_eq!(html.texts(&format!("#api-{} .chip", ids.apis[2])), ["Production"]);
    assert_eq!(offered_in(&app, id), [ids.environments[0], ids.environments[2]]);
    let events = catalog_events(&app, enterprise_id);
    assert_eq!(events, [("catalog.api_created".to_string(), "API Payments API v2".to_string(), None)]);
}

#[tokio::test]
async fn an_api_without_environments_or_with_a_bad_base_path_is_refused_and_the_input_kept() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let staging = ids.environments[1].to_string();

    let none = post(&app, "/catalog/apis", &[("name", "Kept API"), ("base_path", "/kept/v1")]).await;
    let bad_path =
        post(&app, "/catalog/apis", &[("name", "Kept API"), ("base_path", "payments v2"), ("environments", &staging)])
            .await;
    let foreign_env = post(&app, "/catalog/apis", &[("name", "Kept API"), ("environments", "999999")]).await;

    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(none).await;
    assert!(html.text("#environments-error").unwrap().contains("Choose at least one environment"));
    assert!(html.html.contains(r#"value="Kept API""#) && html.html.contains(r#"value="/kept/v1""#));
    assert_eq!(bad_path.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(bad_path).await;
    assert!(html.exists(r#"#base_path[aria-invalid="true"]"#));
    assert!(html.exists(&format!(r#"#environment-{staging}[checked]"#)), "the ticked box stays ticked");
    assert!(!html.exists(&format!(r#"#environment-{}[checked]"#, ids.environments[0])));
    assert_eq!(foreign_env.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        schema::apis::table
            .filter(schema::apis::enterprise_id.eq(enterprise_id))
            .count()
            .get_result::<i64>(&mut app.conn())
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn removing_an_environment_in_which_the_api_is_granted_is_refused() {
    let (app, _, ids) = with_catalog().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    let (api, [dev, staging, prod]) = (ids.apis[0], [ids.environments[0], ids.environments[1], ids.environments[2]]);
    grant_api(&mut app.conn(), partner, api, dev);
    let (s, p) = (staging.to_string(), prod.to_string());

    let form = page(&app, &format!("/catalog/apis/{api}/edit")).await;
    assert!(form.html.contains("Granted to 1 partner here"));
    let refused = post(
        &app,
        &format!("/catalog/apis/{api}/edit"),
        &[("name", "API One"), ("environments", &s), ("environments", &p)],
    )
    .await;

    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let html = Page::read(refused).await;
    let message = html.text("#environments-error").unwrap();
    assert!(
        message.contains("“API One” is granted to partners in Development (1 partner)") && message.contains("Revoke"),
        "{message}"
    );
    assert_eq!(offered_in(&app, api), [dev, staging, prod]);

    // Removing an environment nobody is granted in is fine.
    let d = dev.to_string();
    let r = post(
        &app,
        &format!("/catalog/apis/{api}/edit"),
        &[("name", "API One"), ("environments", &d), ("environments", &p)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(offered_in(&app, api), [dev, prod]);
    use schema::audit_events::dsl as a;
    let details: serde_json::Value =
        a::audit_events.filter(a::action.eq("catalog.api_updated")).select(a::details).first(&mut app.conn()).unwrap();
    assert_eq!(details["environments_removed"], serde_json::json!(["Staging"]));
}

#[tokio::test]
async fn a_granted_api_cannot_be_deleted_but_archived_and_an_ungranted_one_can_be_deleted() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    grant_api(&mut app.conn(), partner, ids.apis[0], ids.environments[2]);

    let html = page(&app, "/catalog/apis").await;
    assert!(!html.exists(&format!(r#"a[href="/catalog/apis/{}/delete"]"#, ids.apis[0])));
    let refused = post(&app, &format!("/catalog/apis/{}/delete", ids.apis[0]), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("is granted to 1 partner; archive it instead."));

    let archived = post(&app, &format!("/catalog/apis/{}/archive", ids.apis[0]), &[]).await;
    let deleted = post(&app, &format!("/catalog/apis/{}/delete", ids.apis[2]), &[]).await;

    assert_eq!(archived.status(), StatusCode::SEE_OTHER);
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let html = page(&app, "/catalog/apis").await;
    assert_eq!(html.text(&format!("#api-{} .badge", ids.apis[0])).unwrap(), "Archived");
    assert_eq!(html.texts("tbody td.cell-main span[id$=-name]"), ["API Two", "API One"], "archived last");
    assert!(offered_in(&app, ids.apis[2]).is_empty());
    let actions: Vec<String> = catalog_events(&app, enterprise_id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["catalog.api_archived", "catalog.api_deleted"]);
}

// ---- environments ---------------------------------------------------------------------------

#[tokio::test]
async fn environments_are_listed_by_position_and_validated() {
    let (app, enterprise_id, ids) = with_catalog().await;

    let form = page(&app, "/catalog/environments/new").await;
    assert!(form.html.contains(r#"value="4""#), "the next position is offered");
    assert_eq!(form.text(r#"label[for="position"]"#).unwrap(), "Position");
    let bad = post(&app, "/catalog/environments", &[("name", "Sandbox"), ("position", "first")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(bad).await;
    assert!(html.exists(r#"#position[aria-invalid="true"]"#) && html.html.contains(r#"value="Sandbox""#));

    let r = post(&app, "/catalog/environments", &[("name", "Sandbox"), ("position", "0")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let moved = post(
        &app,
        &format!("/catalog/environments/{}/edit", ids.environments[2]),
        &[("name", "Live"), ("position", "2")],
    )
    .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);

    let html = page(&app, "/catalog/environments").await;
    assert_eq!(html.texts("tbody td.cell-main"), ["Sandbox", "Development", "Live", "Staging"]);
    let actions: Vec<String> = catalog_events(&app, enterprise_id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["catalog.environment_created", "catalog.environment_updated"]);
}

#[tokio::test]
async fn an_environment_with_grants_cannot_be_deleted_and_one_without_can() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    grant_api(&mut app.conn(), partner, ids.apis[0], ids.environments[2]);

    let refused = post(&app, &format!("/catalog/environments/{}/delete", ids.environments[2]), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let text = Page::read(refused).await.texts("main").join(" ");
    assert!(text.contains("“Production” can't be deleted: 1 partner is granted APIs in it."), "{text}");

    let confirm = page(&app, &format!("/catalog/environments/{}/delete", ids.environments[1])).await;
    assert!(confirm.html.contains("2 APIs are offered in “Staging”"));
    let r = post(&app, &format!("/catalog/environments/{}/delete", ids.environments[1]), &[]).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(offered_in(&app, ids.apis[0]), [ids.environments[0], ids.environments[2]]);
    let html = page(&app, "/catalog/environments").await;
    assert_eq!(html.texts("tbody td.cell-main"), ["Development", "Production"]);
    assert!(!html.exists(&format!(r#"a[href="/catalog/environments/{}/delete"]"#, ids.environments[2])));
    let actions: Vec<String> = catalog_events(&app, enterprise_id).into_iter().map(|e| e.0).collect();
    assert_eq!(actions, ["catalog.environment_deleted"]);
}

// ---- who may ---------------------------------------------------------------------------------

#[tokio::test]
async fn another_enterprises_catalog_is_not_found_and_nothing_changes() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let other = partner_portal::db::enterprises::insert(&mut conn, "Other", 10).unwrap();
    let theirs = seed_catalog(&mut conn, other.id);
    let (product, api, env) = (theirs.products[0], theirs.apis[0], theirs.environments[0]);

    for path in [
        format!("/catalog/products/{product}/edit"),
        format!("/catalog/products/{product}/delete"),
        format!("/catalog/apis/{api}/edit"),
        format!("/catalog/apis/{api}/delete"),
        format!("/catalog/environments/{env}/edit"),
        format!("/catalog/environments/{env}/delete"),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
    }
    let e = env.to_string();
    for (path, fields) in [
        (format!("/catalog/products/{product}/edit"), vec![("name", "Mine now"), ("description", "")]),
        (format!("/catalog/products/{product}/archive"), vec![]),
        (format!("/catalog/products/{product}/delete"), vec![]),
        (format!("/catalog/apis/{api}/edit"), vec![("name", "Mine now"), ("environments", e.as_str())]),
        (format!("/catalog/apis/{api}/archive"), vec![]),
        (format!("/catalog/apis/{api}/unarchive"), vec![]),
        (format!("/catalog/apis/{api}/delete"), vec![]),
        (format!("/catalog/environments/{env}/edit"), vec![("name", "Mine now"), ("position", "1")]),
        (format!("/catalog/environments/{env}/delete"), vec![]),
    ] {
        assert_eq!(post(&app, &path, &fields).await.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    // A made-up environment id of theirs can't be attached to one of our APIs either.
    let ours = seed_catalog(&mut conn, enterprise_id);
    let r =
        post(&app, &format!("/catalog/apis/{}/edit", ours.apis[0]), &[("name", "API One"), ("environments", &e)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let html = page(&app, "/catalog").await;
    assert!(!html.html.contains("Mine now"));
    assert_eq!(product_names(&app, other.id), ["Product One", "Product Two", "Product Three"]);
    assert_eq!(offered_in(&app, api), theirs.environments);
    assert!(schema::products::table
        .find(product)
        .select(schema::products::archived_at)
        .first::<Option<chrono::DateTime<chrono::Utc>>>(&mut conn)
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn partner_users_are_refused_the_catalog() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();
    let mut conn = app.conn();
    let ids = seed_catalog(&mut conn, enterprise_id);
    let partner = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    UserFixture::admin("ada@globex.example").create(&app, partner);
    app.login("ada@globex.example", PASSWORD).await;

    for path in ["/catalog", "/catalog/apis", "/catalog/environments", "/catalog/products/new"] {
        assert_eq!(app.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let token = app.page("/service-catalog").await.csrf_token();
    for action in [
        "/catalog/products".to_string(),
        format!("/catalog/products/{}/archive", ids.products[0]),
        format!("/catalog/products/{}/delete", ids.products[0]),
    ] {
        let r = app.browser.post(&action, &token, &[("name", "Sneaky")]).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(product_names(&app, enterprise_id), ["Product One", "Product Two", "Product Three"]);
}

#[tokio::test]
async fn the_catalog_tabs_run_one_statement_whatever_their_size() {
    use partner_portal::db::instrumentation;
    instrumentation::enable();
    let (app, enterprise_id, _) = with_catalog().await;
    for path in ["/catalog", "/catalog/apis", "/catalog/environments"] {
        page(&app, path).await; // warm up
    }
    let small = statements_of(&app).await;
    let mut conn = app.conn();
    for i in 0..20 {
        seed_catalog_more(&mut conn, enterprise_id, i);
    }
    let large = statements_of(&app).await;
    println!("Catalog tabs (products, APIs, environments) ran {small:?} SQL statements with 3 items each and {large:?} with 23");
    assert_eq!(small, large);
}

async fn statements_of(app: &TestApp) -> Vec<u64> {
    use partner_portal::db::instrumentation;
    let mut counts = Vec::new();
    for path in ["/catalog", "/catalog/apis", "/catalog/environments"] {
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            let before = instrumentation::statements(&app.db.name);
            page(app, path).await;
            fewest = fewest.min(instrumentation::statements(&app.db.name) - before);
        }
        counts.push(fewest);
    }
    counts
}

fn seed_catalog_more(conn: &mut PgConnection, enterprise_id: EnterpriseId, i: usize) {
    use schema::{api_environments::dsl as ae, apis::dsl as a, environments::dsl as e, products::dsl as p};
    let env: i64 = diesel::insert_into(e::environments)
        .values((e::enterprise_id.eq(enterprise_id), e::name.eq(format!("Env {i}")), e::position.eq(10 + i as i32)))
        .returning(e::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(p::products)
        .values((p::enterprise_id.eq(enterprise_id), p::name.eq(format!("Extra product {i}"))))
        .execute(conn)
        .unwrap();
    let api: i64 = diesel::insert_into(a::apis)
        .values((a::enterprise_id.eq(enterprise_id), a::name.eq(format!("Extra API {i}"))))
        .returning(a::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(ae::api_environments)
        .values((ae::api_id.eq(api), ae::environment_id.eq(env)))
        .execute(conn)
        .unwrap();
}

#[tokio::test]
async fn the_demo_seed_fills_an_empty_catalog_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();

    partner_portal::commands::seed_demo(&mut conn, &app.settings).unwrap();
    partner_portal::commands::seed_demo(&mut conn, &app.settings).unwrap();

    let enterprise = partner_portal::db::enterprises::find_by_name(&mut conn, "Acme Corp").unwrap().unwrap();
    let envs = partner_portal::db::catalog::environments(&mut conn, enterprise.id).unwrap();
    assert_eq!(envs.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["Development", "Staging", "Production"]);
    let products = partner_portal::db::catalog::product_rows(&mut conn, enterprise.id).unwrap();
    assert_eq!(products.len(), 5);
    assert!(products.iter().all(|p| !p.description.is_empty()));
    let apis = partner_portal::db::catalog::api_rows(&mut conn, enterprise.id).unwrap();
    assert_eq!(apis.len(), 7);
    assert!(apis.iter().all(|a| !a.environments.is_empty() && a.base_path.starts_with('/')));
    let payments = apis.iter().find(|a| a.name == "Payments API v2").unwrap();
    assert_eq!(payments.environments, ["Development", "Staging", "Production"]);
}

// ---- products and APIs alike, ids in paths ---------------------------------------------------

/// What a product and an API show differently on the pages they share.
struct Kind {
    /// Where an item's pages are: `{path}/{id}/archive`.
    path: &'static str,
    /// Its Catalog tab.
    list: &'static str,
    /// How the flash messages and the activity history name it.
    title: &'static str,
    /// The prefix of its audit actions.
    action: &'static str,
}

const PRODUCTS: Kind =
    Kind { path: "/catalog/products", list: "/catalog", title: "Product", action: "catalog.product" };
const APIS: Kind = Kind { path: "/catalog/apis", list: "/catalog/apis", title: "API", action: "catalog.api" };

#[tokio::test]
async fn archiving_unarchiving_and_deleting_behave_the_same_for_a_product_and_an_api() {
    for kind in [PRODUCTS, APIS] {
        let (app, enterprise_id, ids) = with_catalog().await;
        let partner = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
        let (granted, free) = if kind.title == "Product" {
            grant_product(&mut app.conn(), partner, ids.products[0]);
            (ids.products[0], ids.products[2])
        } else {
            grant_api(&mut app.conn(), partner, ids.apis[0], ids.environments[0]);
            (ids.apis[0], ids.apis[2])
        };
        let (granted_name, free_name) = (format!("{} One", kind.title), format!("{} Three", kind.title));

        let archived = post(&app, &format!("{}/{granted}/archive", kind.path), &[]).await;
        assert_eq!(archived.status(), StatusCode::SEE_OTHER, "{}", kind.title);
        assert_eq!(location(&archived), kind.list);
        assert_eq!(
            page(&app, kind.list).await.text(".flash").unwrap(),
            format!(
                "{} “{granted_name}” archived: partners who have it keep it, and it can't be granted to anyone else until you unarchive it.",
                kind.title
            )
        );
        post(&app, &format!("{}/{granted}/archive", kind.path), &[]).await; // twice: nothing more happens
        let unarchived = post(&app, &format!("{}/{granted}/unarchive", kind.path), &[]).await;
        assert_eq!(location(&unarchived), kind.list);
        assert_eq!(
            page(&app, kind.list).await.text(".flash").unwrap(),
            format!("{} “{granted_name}” unarchived: it can be granted to partners again.", kind.title)
        );

        let confirm = page(&app, &format!("{}/{granted}/delete", kind.path)).await;
        assert!(confirm
            .text(".callout-warning")
            .unwrap()
            .starts_with(&format!("“{granted_name}” is granted to 1 partner, so it can't be deleted.")));
        assert!(confirm.exists(&format!(r#"form[action="{}/{granted}/archive"]"#, kind.path)));
        assert!(!confirm.exists("button.button-danger"));
        let refused = post(&app, &format!("{}/{granted}/delete", kind.path), &[]).await;
        assert_eq!(refused.status(), StatusCode::CONFLICT);
        assert!(refused
            .text()
            .await
            .unwrap()
            .contains(&format!("“{granted_name}” is granted to 1 partner; archive it instead.")));

        let confirm = page(&app, &format!("{}/{free}/delete", kind.path)).await;
        assert_eq!(confirm.text("h1").unwrap(), format!("Delete {free_name}?"));
        assert!(confirm.exists(&format!(r#"form[action="{}/{free}/delete"] button.button-danger"#, kind.path)));
        let deleted = post(&app, &format!("{}/{free}/delete", kind.path), &[]).await;
        assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&deleted), kind.list);
        let list = page(&app, kind.list).await;
        assert_eq!(list.text(".flash").unwrap(), format!("{} “{free_name}” deleted.", kind.title));
        assert!(!list.contains(&format!(">{free_name}<")));
        assert!(list.contains(&format!(">{granted_name}<")));
        assert_eq!(app.get(&format!("{}/{free}/delete", kind.path)).await.status(), StatusCode::NOT_FOUND);

        let a = kind.action;
        assert_eq!(
            catalog_events(&app, enterprise_id),
            [
                (format!("{a}_archived"), format!("{} {granted_name}", kind.title), None),
                (format!("{a}_unarchived"), format!("{} {granted_name}", kind.title), None),
                (format!("{a}_deleted"), format!("{} {free_name}", kind.title), None),
            ]
        );
    }
}

#[tokio::test]
async fn a_catalog_id_that_is_not_a_positive_number_is_not_found() {
    let (app, _, _) = with_catalog().await;

    for path in [
        "/catalog/products/abc/edit",
        "/catalog/products/0/delete",
        "/catalog/apis/0/delete",
        "/catalog/apis/1.5/edit",
        "/catalog/environments/-1/edit",
        "/catalog/environments/99999999999999999999/delete",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "GET {path}");
        assert!(r.text().await.unwrap().contains("Page not found"), "GET {path}");
    }
    for path in ["/catalog/products/abc/archive", "/catalog/apis/-1/unarchive", "/catalog/environments/x/delete"] {
        assert_eq!(post(&app, path, &[]).await.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
}

#[tokio::test]
async fn a_name_saved_by_another_admin_during_a_create_is_shown_next_to_the_name() {
    let (app, enterprise_id, ids) = with_catalog().await;
    let env = ids.environments[0].to_string();
    let cases = [
        ("/catalog/products", vec![("name", "Racing Hub"), ("description", "")], "products", "product"),
        ("/catalog/apis", vec![("name", "Racing Hub"), ("environments", env.as_str())], "apis", "API"),
        ("/catalog/environments", vec![("name", "Racing Hub"), ("position", "7")], "environments", "environment"),
    ];
    for (action, fields, table, what) in cases {
        // The other admin's row is written but not committed: our check can't see it, and our
        // insert waits on the unique index until theirs commits.
        let mut other = app.conn();
        let extra = if table == "environments" { ", position" } else { "" };
        let values = if table == "environments" { ", 8" } else { "" };
        diesel::sql_query("BEGIN").execute(&mut other).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO {table} (enterprise_id, name{extra}) VALUES ({enterprise_id}, 'racing hub'{values})"
        ))
        .execute(&mut other)
        .unwrap();
        let token = app.page("/catalog").await.csrf_token();
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(&fields);
        let request = app.client.post(app.url(action)).form(&form).send();
        let request = tokio::spawn(request);
        wait_for_a_lock_wait(&app).await;
        diesel::sql_query("COMMIT").execute(&mut other).unwrap();
        let r = request.await.unwrap().unwrap();

        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        let html = Page::read(r).await;
        assert!(html.exists(r#"#name[aria-invalid="true"]"#), "{html}");
        assert_eq!(
            html.text("#name-error").unwrap(),
            format!("Another {what} is already called “Racing Hub”. Choose a different name.")
        );
        assert!(html.contains(r#"value="Racing Hub""#), "the input is kept");
    }
    assert!(catalog_events(&app, enterprise_id).is_empty());
}

/// Waits until one of the app's statements is waiting for a lock another connection holds.
async fn wait_for_a_lock_wait(app: &TestApp) {
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
        if w.n > 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the app's insert never waited for the other admin's");
}
