//! Partner groups (SPEC §12, issue 14 item 1): the default group "Partners", new groups,
//! default access, **Move to group** with its preview, the access it grants through Add
//! Products' and Add APIs' rules, new partners joining the default group with its access,
//! deleting, tenants.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::PartnerId;
use reqwest::StatusCode;

use crate::{
    fixtures::{audit_actions, seed_catalog, PartnerFixture},
    grants::post,
    helpers::{location, TestApp, PASSWORD},
};

fn group_of(app: &TestApp, partner: PartnerId) -> String {
    use schema::{partner_groups::dsl as g, partners::dsl as p};
    p::partners
        .inner_join(g::partner_groups.on(g::id.eq(p::group_id)))
        .filter(p::id.eq(partner))
        .select(g::name)
        .first(&mut app.conn())
        .unwrap()
}

fn products_of(app: &TestApp, partner: PartnerId) -> Vec<i64> {
    crate::grants::product_grants(&mut app.conn(), partner)
}

fn cells_of(app: &TestApp, partner: PartnerId) -> Vec<(i64, i64)> {
    use schema::partner_api_environments::dsl as c;
    c::partner_api_environments
        .filter(c::partner_id.eq(partner))
        .order((c::api_id, c::environment_id))
        .select((c::api_id, c::environment_id))
        .load(&mut app.conn())
        .unwrap()
}

/// Creates a group through the page; its id.
async fn new_group(app: &TestApp, name: &str) -> i64 {
    let r = post(app, "/settings/partners/groups", &[("name", name), ("description", "For resale")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name}");
    location(&r).rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn every_partner_is_in_a_group_and_new_groups_are_named_once() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    assert_eq!(group_of(&app, globex), "Partners", "the default group");

    let list = app.page("/settings/partners").await;
    assert!(list.attrs("a[href]", "href").iter().any(|h| h == "/settings/partners/groups"));
    let groups = app.page("/settings/partners/groups").await;
    let rows = groups.rows_of("#groups");
    assert_eq!(rows.len(), 1);
    assert!(rows[0][0].starts_with("Partners Default"), "{rows:?}");
    assert_eq!(rows[0][1], "1");
    assert_eq!(groups.text(r#"label[for="name"]"#).as_deref(), Some("Group name"));

    let id = new_group(&app, "Resellers").await;
    let page = app.page(&format!("/settings/partners/groups/{id}")).await;
    assert!(page.main_text().contains("Group Resellers created"));
    // Refused: empty, taken (whatever the case); the form again with the field marked.
    for (name, error) in [
        ("  ", "Give the group a name."),
        ("resellers", "Another group is already called “resellers”. Choose a different name."),
    ] {
        let r = post(&app, "/settings/partners/groups", &[("name", name)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = crate::page::Page::read(r).await;
        assert_eq!(page.text("#name-error").as_deref(), Some(error));
    }
    let r =
        post(&app, &format!("/settings/partners/groups/{id}"), &[("name", "EU Resellers"), ("description", "")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rows = app.page("/settings/partners/groups").await.rows_of("#groups");
    assert_eq!(rows.len(), 2);
    assert!(rows[1][0].starts_with("EU Resellers"));
    let actions: Vec<String> = {
        use schema::audit_events::dsl as a;
        a::audit_events
            .filter(a::action.like("enterprise.group_%"))
            .order(a::id)
            .select(a::action)
            .load(&mut app.conn())
            .unwrap()
    };
    assert_eq!(actions, ["enterprise.group_created", "enterprise.group_changed"]);
}

#[tokio::test]
async fn move_to_group_previews_the_groups_access_and_grants_it_by_the_add_pages_rules() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let initech = PartnerFixture::new("Initech").domains(["initech.com"]).active().create(&app).id;
    let resellers = new_group(&app, "Resellers").await;
    let (p1, a1, prod) = (catalog.products[0].to_string(), catalog.apis[0], catalog.environments[2]);
    let cell = format!("{a1}:{prod}");
    let r = post(&app, &format!("/settings/partners/groups/{resellers}/access"), &[("product", &p1), ("cell", &cell)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&format!("/settings/partners/groups/{resellers}")).await;
    assert_eq!(page.attrs("input[checked]", "value"), [p1.clone(), cell.clone()]);
    // A cell that isn't offered (API Three is in Production only) is refused, nothing saved.
    let bad = format!("{}:{}", catalog.apis[2], catalog.environments[0]);
    let r = post(&app, &format!("/settings/partners/groups/{resellers}/access"), &[("cell", &bad)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The General tab names the group and offers Move to group; its preview lists the access.
    let general = app.page(&format!("/settings/partners/{globex}")).await;
    let links = general.attrs("dd a[href]", "href");
    assert!(links.iter().any(|h| h.starts_with("/settings/partners/groups/")), "{links:?}");
    assert!(links.contains(&format!("/settings/partners/{globex}/group")), "{links:?}");
    let preview = app.page(&format!("/settings/partners/{globex}/group?group={resellers}")).await;
    assert_eq!(preview.texts("#offer li"), ["+ Product One", "+ API One — Production"]);
    assert_eq!(preview.text(r#"label[for="grant_access"]"#).as_deref(), Some("Grant the group's default access"));
    assert_eq!(products_of(&app, globex), Vec::<i64>::new(), "a preview changes nothing");

    let group = resellers.to_string();
    let r =
        post(&app, &format!("/settings/partners/{globex}/group"), &[("group", &group), ("grant_access", "on")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let general = app.page(&location(&r)).await;
    assert!(
        general.contains("Globex moved to Resellers. Granted: Product One, API One — Production."),
        "{}",
        general.main_text()
    );
    assert_eq!(group_of(&app, globex), "Resellers");
    assert_eq!(products_of(&app, globex), [catalog.products[0]]);
    assert_eq!(cells_of(&app, globex), [(a1, prod)]);
    let actions = audit_actions(&mut app.conn(), globex);
    assert!(
        actions.contains(&"partner.group_changed".to_string())
            && actions.contains(&"partner.access_changed".to_string()),
        "{actions:?}"
    );

    // Without the box: moved, nothing granted. Into its own group: refused.
    let r = post(&app, &format!("/settings/partners/{initech}/group"), &[("group", &group)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!((group_of(&app, initech), products_of(&app, initech)), ("Resellers".to_string(), vec![]));
    let r = post(&app, &format!("/settings/partners/{initech}/group"), &[("group", &group)]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(crate::page::Page::read(r).await.main_text().contains("Initech is already in Resellers."));

    // The group lists its partners; a group with partners can't be deleted, the default never.
    let page = app.page(&format!("/settings/partners/groups/{resellers}")).await;
    assert!(page.contains("Globex") && page.contains("Initech"));
    post(&app, &format!("/settings/partners/groups/{resellers}/delete"), &[]).await;
    assert!(app
        .page(&format!("/settings/partners/groups/{resellers}"))
        .await
        .contains("Resellers still has 2 partners: move them to another group first."));
}

#[tokio::test]
async fn a_new_partner_joins_the_default_group_with_its_default_access_and_empty_groups_go() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let default: i64 = {
        use schema::partner_groups::dsl as g;
        g::partner_groups.filter(g::enterprise_id.eq(app.enterprise_id())).select(g::id).first(&mut app.conn()).unwrap()
    };
    let p2 = catalog.products[1].to_string();
    post(&app, &format!("/settings/partners/groups/{default}/access"), &[("product", &p2)]).await;
    let r = post(&app, &format!("/settings/partners/groups/{default}/delete"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app
        .page(&format!("/settings/partners/groups/{default}"))
        .await
        .main_text()
        .contains("Partners is where new partnerships start: it can't be deleted."));

    // Through the wizard's one-call twin, the REST API: same function, same group.
    let day = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let form = app
        .page("/settings/api-tokens")
        .await
        .form("Create API token")
        .set("name", "CRM")
        .set("expires_on", &day)
        .add("scope", "partners:write");
    let token = crate::page::Page::read(form.submit(&app.browser).await).await.attr("#token", "value").unwrap();
    let body = r#"{"name": "Hooli", "domains": ["hooli.com"], "administrator": {"first_name": "Gavin", "surname": "Belson", "email": "gavin@hooli.com"}}"#;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/partners"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let id: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let hooli = PartnerId::new(id["id"].as_i64().unwrap());
    assert_eq!(group_of(&app, hooli), "Partners");
    assert_eq!(products_of(&app, hooli), [catalog.products[1]]);

    // An empty group is deleted.
    let temp = new_group(&app, "Temporary").await;
    let r = post(&app, &format!("/settings/partners/groups/{temp}/delete"), &[]).await;
    assert_eq!(location(&r), "/settings/partners/groups");
    assert_eq!(app.get(&format!("/settings/partners/groups/{temp}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_enterprises_groups_are_neither_shown_nor_usable_and_a_deactivated_partner_stays() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let gone = PartnerFixture::new("Gone").domains(["gone.com"]).deactivated().create(&app).id;
    let (other, _) = app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let theirs: i64 = {
        use schema::partner_groups::dsl as g;
        g::partner_groups.filter(g::enterprise_id.eq(other)).select(g::id).first(&mut app.conn()).unwrap()
    };
    assert_eq!(app.get(&format!("/settings/partners/groups/{theirs}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/settings/partners/{globex}/group?group={theirs}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = post(&app, &format!("/settings/partners/{globex}/group"), &[("group", &theirs.to_string())]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(group_of(&app, globex), "Partners");
    let mine = new_group(&app, "Resellers").await;
    let r = post(&app, &format!("/settings/partners/{gone}/group"), &[("group", &mine.to_string())]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(group_of(&app, gone), "Partners");
}

#[tokio::test]
async fn groups_are_listed_and_partners_moved_through_the_api_by_the_pages_rules() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let resellers = new_group(&app, "Resellers").await;
    let p1 = catalog.products[0].to_string();
    post(&app, &format!("/settings/partners/groups/{resellers}/access"), &[("product", &p1)]).await;
    let day = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let form =
        app.page("/settings/api-tokens").await.form("Create API token").set("name", "CRM").set("expires_on", &day);
    let form = form.add("scope", "partners:read").add("scope", "partners:write");
    let token = crate::page::Page::read(form.submit(&app.browser).await).await.attr("#token", "value").unwrap();
    let client = reqwest::Client::new();

    let r = client.get(app.url("/api/v1/groups")).bearer_auth(&token).send().await.unwrap();
    let groups: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let names: Vec<(&str, i64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["name"].as_str().unwrap(), g["partners"].as_i64().unwrap()))
        .collect();
    assert_eq!(names, [("Partners", 1), ("Resellers", 0)]);

    let body = format!(r#"{{"group_id": {resellers}, "grant_default_access": true}}"#);
    let send = |body: String| {
        client
            .post(app.url(&format!("/api/v1/partners/{globex}/group")))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let r = send(body.clone()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let moved: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(moved, serde_json::json!({"partner": "Globex", "group": "Resellers", "granted": ["Product One"]}));
    assert_eq!(
        (group_of(&app, globex), products_of(&app, globex)),
        ("Resellers".to_string(), vec![catalog.products[0]])
    );
    let r = send(body).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let who: Vec<String> = {
        use schema::audit_events::dsl as a;
        a::audit_events
            .filter(a::action.eq("partner.group_changed"))
            .select(a::actor_label)
            .load(&mut app.conn())
            .unwrap()
    };
    assert_eq!(who, ["API token CRM"]);
}
