//! `/api/v1/` writes (SPEC §14, issue 15 item 2): the wizard in one call with the wizard's
//! rules and words, the partner limit under 20 concurrent creates, Idempotency-Key, scopes,
//! tenants, the actor "API token *name*" in the audit log, domains, invitations, grants, the
//! catalog and the audit events, and the per-token rate limit shared by two instances.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use partner_portal::db::schema;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{
    fixtures::{seed_catalog, seed_partners, PartnerFixture},
    helpers::{Options, TestApp, PASSWORD},
    page::Page,
};

const ALL: &[&str] = &["partners:read", "partners:write", "grants:write", "invitations:write", "audit:read"];

/// Creates a token through the UI with `scopes`; returns it.
async fn token(app: &TestApp, name: &str, scopes: &[&str]) -> String {
    let day = (Utc::now().date_naive() + Duration::days(30)).to_string();
    let form =
        app.page("/settings/api-tokens").await.form("Create API token").set("name", name).set("expires_on", &day);
    let form = scopes.iter().fold(form, |f, s| f.add("scope", s));
    let r = form.submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    Page::read(r).await.attr("#token", "value").unwrap()
}

struct Answer {
    status: StatusCode,
    kind: String,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>, key: Option<&str>) -> Answer {
    let client = reqwest::Client::new();
    let mut req = client.request(method.parse().unwrap(), app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let kind = headers.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let text = r.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Answer { status, kind, headers, body }
}

fn globex() -> Value {
    json!({
        "name": "Globex",
        "domains": ["Globex.com"],
        "administrator": { "first_name": "Hank", "surname": "Scorpio", "email": "hank@globex.com" }
    })
}

fn partner_count(app: &TestApp) -> i64 {
    use schema::partners::dsl as p;
    p::partners.filter(p::enterprise_id.eq(app.enterprise_id())).count().get_result(&mut app.conn()).unwrap()
}

fn audit(app: &TestApp) -> Vec<(String, String, Option<i64>)> {
    use schema::audit_events::dsl as a;
    a::audit_events
        .filter(a::enterprise_id.eq(app.enterprise_id()))
        .order(a::id)
        .select((a::action, a::actor_label, a::actor_user_id))
        .load(&mut app.conn())
        .unwrap()
}

fn fields(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_string(), e["message"].as_str().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn the_wizard_in_one_call_registers_a_partner_invites_its_administrator_and_audits_the_token() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let writer = token(&app, "CRM sync", &["partners:read", "partners:write"]).await;
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(globex()), None).await;
    assert_eq!((r.status, r.kind.as_str()), (StatusCode::CREATED, "application/json"), "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.headers.get("location").unwrap(), &format!("/api/v1/partners/{id}"));
    assert_eq!(r.body["name"], "Globex");
    assert_eq!(r.body["status"], "invited");
    assert_eq!(r.body["domains"], json!(["globex.com"]), "normalised as the wizard does");

    // The partner is the UI's: on the list, with the administrator's invitation emailed.
    let list = app.page("/settings/partners").await;
    assert!(list.contains("Globex"));
    app.dispatch_emails().await;
    let link = app.emailed_link("hank@globex.com", "/invitations/").await;
    assert!(link.contains("/invitations/"));
    let mail = app.emails().await.into_iter().find(|m| m.to() == "hank@globex.com").unwrap();
    let text = mail.text().unwrap();
    assert!(text.contains("Acme"), "the invitation names the enterprise: {text}");

    // Audited as the token, with no person behind it.
    let events = audit(&app);
    let registered = events.iter().find(|(a, _, _)| a == "partner.registered").unwrap();
    assert_eq!((registered.1.as_str(), registered.2), ("API token CRM sync", None));
    let activity = app.page("/settings/activity").await;
    assert!(activity.contains("API token CRM sync"));
}

#[tokio::test]
async fn the_wizards_rules_answer_through_the_api_with_the_wizards_words_and_nothing_is_made() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    PartnerFixture::new("Initech").domains(["initech.com"]).active().create(&app);
    let writer = token(&app, "CRM", &["partners:write"]).await;
    let before = partner_count(&app);

    let bad = json!({
        "name": "  ",
        "domains": ["globex.com", "GLOBEX.com", "http://globex.io/x"],
        "administrator": { "first_name": "Hank", "surname": "", "email": "hank@eu.globex.com" }
    });
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(bad), None).await;
    assert_eq!((r.status, r.kind.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"));
    let errors = fields(&r.body);
    let named: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(named, ["name", "domains[1]", "domains[2]", "administrator.surname", "administrator.email"]);
    assert_eq!(errors[1].1, "globex.com is already in the list.");
    assert_eq!(errors[4].1, "The email must use one of the partner's registered domains: globex.com.");

    // The same words as the wizard's Register Domain step for the same input.
    let started = crate::grants::post(&app, "/settings/partners/drafts", &[]).await;
    let draft = crate::helpers::location(&started).rsplit_once('/').unwrap().0.to_string();
    diesel::sql_query("UPDATE partner_drafts SET name = 'Globex'").execute(&mut app.conn()).unwrap();
    let typed = [("domain", "http://globex.io/x"), ("action", "add")];
    let step = crate::grants::post(&app, &format!("{draft}/domains"), &typed).await;
    let step = Page::read(step).await;
    let wizard_words = step.text(".field-error").unwrap_or_default();
    assert!(!wizard_words.is_empty());
    assert!(wizard_words.contains(&errors[2].1), "wizard: {wizard_words:?}, API: {:?}", errors[2].1);

    // Taken name and domain: checked in the transaction, named by field.
    let mut taken = globex();
    taken["name"] = json!("Initech");
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(taken), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        fields(&r.body),
        [("name".into(), "Another partner is already called “Initech”. Choose a different name.".into())]
    );
    let mut taken = globex();
    taken["domains"] = json!(["initech.com"]);
    taken["administrator"]["email"] = json!("hank@initech.com");
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(taken), None).await;
    assert_eq!(fields(&r.body)[0].0, "domains");
    assert!(fields(&r.body)[0].1.contains("initech.com"));

    // A body that isn't the JSON described: 400, the field "body".
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(json!({"name": "Globex"})), None).await;
    assert_eq!((r.status, r.kind.as_str()), (StatusCode::BAD_REQUEST, "application/problem+json"));
    assert_eq!(fields(&r.body)[0].0, "body");
    assert_eq!(partner_count(&app), before, "nothing was made");
}

#[tokio::test]
async fn twenty_concurrent_creates_at_nine_of_ten_make_exactly_one_partner() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    seed_partners(&mut app.conn(), app.enterprise_id(), 9);
    let writer = token(&app, "CRM", &["partners:write"]).await;
    let requests = (0..20).map(|i| {
        let body = json!({
            "name": format!("Racer {i}"),
            "domains": [format!("racer{i}.example")],
            "administrator": { "first_name": "Ray", "surname": "Cer", "email": format!("ray@racer{i}.example") }
        });
        let (app, writer) = (&app, &writer);
        async move { call(app, "POST", "/api/v1/partners", writer, Some(body), None).await }
    });
    let answers = futures_util::future::join_all(requests).await;
    let created = answers.iter().filter(|a| a.status == StatusCode::CREATED).count();
    let refused: Vec<&Answer> = answers.iter().filter(|a| a.status == StatusCode::CONFLICT).collect();
    println!("20 concurrent API creates at 9 partners: {created} created, {} refused", refused.len());
    assert_eq!((created, refused.len()), (1, 19));
    assert_eq!(
        refused[0].body["detail"],
        "Your enterprise already has 10 of 10 partners registered. Deactivate a partner before registering another."
    );
    assert_eq!(partner_count(&app), 10);
}

#[tokio::test]
async fn a_retried_create_with_its_idempotency_key_makes_one_partner_and_gets_the_first_answer() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let writer = token(&app, "CRM", &["partners:write"]).await;
    let first = call(&app, "POST", "/api/v1/partners", &writer, Some(globex()), Some("crm-42")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = call(&app, "POST", "/api/v1/partners", &writer, Some(globex()), Some("crm-42")).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body, first.body);
    assert_eq!(again.headers.get("location"), first.headers.get("location"));
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(partner_count(&app), 1);

    // Ten at once with one key: one partner, every answer the same.
    let mut initech = globex();
    initech["name"] = json!("Initech");
    initech["domains"] = json!(["initech.com"]);
    initech["administrator"]["email"] = json!("bill@initech.com");
    let requests =
        (0..10).map(|_| call(&app, "POST", "/api/v1/partners", &writer, Some(initech.clone()), Some("crm-43")));
    let answers = futures_util::future::join_all(requests).await;
    assert!(
        answers.iter().all(|a| a.status == StatusCode::CREATED),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(answers.iter().all(|a| a.body["id"] == answers[0].body["id"]));
    assert_eq!(partner_count(&app), 2);

    // The key with another body: refused, nothing made. A refused request stores nothing: its
    // key is free for the corrected request.
    let mut other = globex();
    other["name"] = json!("Globex Two");
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(other), Some("crm-42")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&r.body)[0].0, "Idempotency-Key");
    let mut bad = globex();
    bad["name"] = json!("");
    bad["domains"] = json!(["hooli.com"]);
    bad["administrator"]["email"] = json!("gavin@hooli.com");
    assert_eq!(
        call(&app, "POST", "/api/v1/partners", &writer, Some(bad.clone()), Some("crm-44")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    bad["name"] = json!("Hooli");
    assert_eq!(
        call(&app, "POST", "/api/v1/partners", &writer, Some(bad), Some("crm-44")).await.status,
        StatusCode::CREATED
    );
    assert_eq!(partner_count(&app), 3);

    // Kept 24 hours: an older key is a new request.
    diesel::sql_query(
        "UPDATE api_idempotency_keys SET created_at = now() - interval '25 hours' WHERE idempotency_key = 'crm-42'",
    )
    .execute(&mut app.conn())
    .unwrap();
    let late = call(&app, "POST", "/api/v1/partners", &writer, Some(globex()), Some("crm-42")).await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY, "a new request: the name is taken now");
    let bad_key = call(&app, "POST", "/api/v1/partners", &writer, Some(globex()), Some("has spaces")).await;
    assert_eq!(bad_key.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn scopes_tokens_and_tenants_are_enforced_on_every_write() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let ours = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let (other, _) = app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let theirs =
        PartnerFixture::new("Their Partner").domains(["their.example"]).active().create_in(&mut app.conn(), other).id;
    let reader = token(&app, "Reader", &["partners:read"]).await;
    let all = token(&app, "All", ALL).await;

    // A partners:read token can't create, rename or deactivate; nothing changes.
    let r = call(&app, "POST", "/api/v1/partners", &reader, Some(globex()), None).await;
    assert_eq!(
        (r.status, r.body["detail"].as_str()),
        (StatusCode::FORBIDDEN, Some("This token lacks the partners:write scope."))
    );
    for (method, path, body) in [
        ("PATCH", format!("/api/v1/partners/{ours}"), Some(json!({"name": "X"}))),
        ("POST", format!("/api/v1/partners/{ours}/deactivate"), None),
        ("POST", format!("/api/v1/partners/{ours}/domains"), Some(json!({"domain": "x.example"}))),
        (
            "POST",
            format!("/api/v1/partners/{ours}/invitations"),
            Some(json!({"first_name": "A", "surname": "B", "email": "a@globex.com"})),
        ),
        ("POST", format!("/api/v1/partners/{ours}/grants/products"), Some(json!({"product_ids": [1]}))),
    ] {
        assert_eq!(
            call(&app, method, &path, &reader, body, None).await.status,
            StatusCode::FORBIDDEN,
            "{method} {path}"
        );
    }
    // Another enterprise's partner: 404 on every call, even with every scope.
    for (method, path, body) in [
        ("GET", format!("/api/v1/partners/{theirs}"), None),
        ("PATCH", format!("/api/v1/partners/{theirs}"), Some(json!({"name": "Mine"}))),
        ("POST", format!("/api/v1/partners/{theirs}/deactivate"), None),
        ("GET", format!("/api/v1/partners/{theirs}/domains"), None),
        ("POST", format!("/api/v1/partners/{theirs}/domains"), Some(json!({"domain": "x.example"}))),
        ("GET", format!("/api/v1/partners/{theirs}/invitations"), None),
        (
            "POST",
            format!("/api/v1/partners/{theirs}/invitations"),
            Some(json!({"first_name": "A", "surname": "B", "email": "a@their.example"})),
        ),
        ("GET", format!("/api/v1/partners/{theirs}/grants"), None),
        ("POST", format!("/api/v1/partners/{theirs}/grants/products"), Some(json!({"product_ids": [1]}))),
        ("PUT", format!("/api/v1/partners/{theirs}/grants/apis/1"), Some(json!({"environment_ids": []}))),
    ] {
        let r = call(&app, method, &path, &all, body, None).await;
        assert_eq!((r.status, r.kind.as_str()), (StatusCode::NOT_FOUND, "application/problem+json"), "{method} {path}");
    }
    use schema::partners::dsl as p;
    let name: String = p::partners.find(theirs).select(p::name).first(&mut app.conn()).unwrap();
    assert_eq!(name, "Their Partner");

    // Revoked and expired tokens: 401 on a write too.
    use schema::api_tokens::dsl as t;
    diesel::update(t::api_tokens.filter(t::name.eq("All")))
        .set(t::revoked_at.eq(Some(Utc::now())))
        .execute(&mut app.conn())
        .unwrap();
    assert_eq!(
        call(&app, "POST", "/api/v1/partners", &all, Some(globex()), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    diesel::update(t::api_tokens.filter(t::name.eq("All")))
        .set((t::revoked_at.eq(None::<chrono::DateTime<Utc>>), t::expires_at.eq(Utc::now() - Duration::seconds(1))))
        .execute(&mut app.conn())
        .unwrap();
    let r = call(&app, "POST", "/api/v1/partners", &all, Some(globex()), None).await;
    assert_eq!((r.status, r.headers.get("www-authenticate").is_some()), (StatusCode::UNAUTHORIZED, true));
    assert_eq!(partner_count(&app), 1);
}

#[tokio::test]
async fn rename_domains_invitations_and_deactivation_follow_the_partner_pages_rules() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let all = token(&app, "Ops", ALL).await;
    let created = call(&app, "POST", "/api/v1/partners", &all, Some(globex()), None).await;
    let id = created.body["id"].as_i64().unwrap();

    let r =
        call(&app, "PATCH", &format!("/api/v1/partners/{id}"), &all, Some(json!({"name": "Globex Corp"})), None).await;
    assert_eq!((r.status, r.body["name"].as_str()), (StatusCode::OK, Some("Globex Corp")));
    let r = call(&app, "PATCH", &format!("/api/v1/partners/{id}"), &all, Some(json!({"name": ""})), None).await;
    assert_eq!((r.status, fields(&r.body)[0].0.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "name"));

    // Domains: added (normalised), a bad one refused with the page's words, the one an
    // invitation uses can't go.
    let r = call(
        &app,
        "POST",
        &format!("/api/v1/partners/{id}/domains"),
        &all,
        Some(json!({"domain": "GLOBEX.io."})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let listed: Vec<&str> = r.body.as_array().unwrap().iter().map(|d| d["domain"].as_str().unwrap()).collect();
    assert_eq!(listed, ["globex.com", "globex.io"]);
    let r =
        call(&app, "POST", &format!("/api/v1/partners/{id}/domains"), &all, Some(json!({"domain": "10.0.0.1"})), None)
            .await;
    assert_eq!((r.status, fields(&r.body)[0].0.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "domain"));
    let domains = call(&app, "GET", &format!("/api/v1/partners/{id}/domains"), &all, None, None).await.body;
    let com_id =
        domains.as_array().unwrap().iter().find(|d| d["domain"] == "globex.com").unwrap()["id"].as_i64().unwrap();
    let r = call(&app, "DELETE", &format!("/api/v1/partners/{id}/domains/{com_id}"), &all, None, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body["detail"].as_str().unwrap().contains("hank@globex.com"), "{}", r.body);

    // Invitations: a new administrator replaces the pending one; resend; revoke.
    let r = call(
        &app,
        "POST",
        &format!("/api/v1/partners/{id}/invitations"),
        &all,
        Some(json!({"first_name": "Mindy", "surname": "Scorpio", "email": "mindy@globex.io"})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let invitation = r.body["id"].as_i64().unwrap();
    assert_eq!((r.body["status"].as_str(), r.body["account_administrator"].as_bool()), (Some("pending"), Some(true)));
    let r = call(
        &app,
        "POST",
        &format!("/api/v1/partners/{id}/invitations"),
        &all,
        Some(json!({"first_name": "Mindy", "surname": "Scorpio", "email": "mindy@elsewhere.example"})),
        None,
    )
    .await;
    assert_eq!(
        fields(&r.body)[0],
        ("email".into(), "The email must use one of the partner's registered domains: globex.com, globex.io.".into())
    );
    let listed = call(&app, "GET", &format!("/api/v1/partners/{id}/invitations"), &all, None, None).await.body;
    let states: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["email"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("mindy@globex.io", "pending"), ("hank@globex.com", "revoked")]);
    let r =
        call(&app, "POST", &format!("/api/v1/partners/{id}/invitations/{invitation}/resend"), &all, None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let r =
        call(&app, "POST", &format!("/api/v1/partners/{id}/invitations/{invitation}/revoke"), &all, None, None).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("revoked")));
    let r =
        call(&app, "POST", &format!("/api/v1/partners/{id}/invitations/{invitation}/revoke"), &all, None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no longer pending");
    // With the invitations revoked, globex.com may go.
    let r = call(&app, "DELETE", &format!("/api/v1/partners/{id}/domains/{com_id}"), &all, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Deactivation; a second one is refused as the page refuses it.
    let r = call(&app, "POST", &format!("/api/v1/partners/{id}/deactivate"), &all, None, None).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("deactivated")));
    let r = call(&app, "POST", &format!("/api/v1/partners/{id}/deactivate"), &all, None, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.body["detail"], "Globex Corp is already deactivated. Nothing was changed.");

    let actions: Vec<String> =
        audit(&app).into_iter().filter(|(_, who, _)| who == "API token Ops").map(|(a, _, _)| a).collect();
    for action in [
        "partner.registered",
        "partner.renamed",
        "partner.domain_added",
        "invitation.sent",
        "invitation.resent",
        "invitation.revoked",
        "partner.domain_removed",
        "partner.deactivated",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

#[tokio::test]
async fn grants_the_catalog_and_the_audit_log_through_the_api() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog_ids = seed_catalog(&mut app.conn(), app.enterprise_id());
    let id = PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app).id;
    let all = token(&app, "Ops", ALL).await;

    let catalog = call(&app, "GET", "/api/v1/catalog", &all, None, None).await.body;
    let names: Vec<&str> =
        catalog["products"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Product One", "Product Three", "Product Two"]);
    assert_eq!(catalog["environments"].as_array().unwrap().len(), 3);
    let api_three = catalog["apis"].as_array().unwrap().iter().find(|a| a["name"] == "API Three").unwrap();
    assert_eq!(api_three["environment_ids"], json!([catalog_ids.environments[2]]));

    let day = (Utc::now().date_naive() + Duration::days(10)).to_string();
    let path = format!("/api/v1/partners/{id}/grants/products");
    let r = call(
        &app,
        "POST",
        &path,
        &all,
        Some(json!({"product_ids": [catalog_ids.products[0]], "expires_on": day})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["granted"], json!(["Product One"]));
    assert_eq!(r.body["grants"]["products"][0]["expires_on"], json!(day));
    let r = call(
        &app,
        "POST",
        &path,
        &all,
        Some(json!({"product_ids": [catalog_ids.products[1]], "expires_on": "2001-01-01"})),
        None,
    )
    .await;
    assert_eq!((r.status, fields(&r.body)[0].0.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "expires_on"));
    let r = call(&app, "POST", &path, &all, Some(json!({"product_ids": [999999]})), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["detail"].as_str().unwrap().contains("not in your catalog"));

    // One API's environments, exactly; API Three is offered in Production only.
    let (api_one, api_three) = (catalog_ids.apis[0], catalog_ids.apis[2]);
    let envs = &catalog_ids.environments;
    let r = call(
        &app,
        "PUT",
        &format!("/api/v1/partners/{id}/grants/apis/{api_one}"),
        &all,
        Some(json!({"environment_ids": [envs[0], envs[2]]})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["granted"], json!(["API One — Development", "API One — Production"]));
    let r = call(
        &app,
        "PUT",
        &format!("/api/v1/partners/{id}/grants/apis/{api_one}"),
        &all,
        Some(json!({"environment_ids": [envs[2]]})),
        None,
    )
    .await;
    assert_eq!(r.body["revoked"], json!(["API One — Development"]));
    let r = call(
        &app,
        "PUT",
        &format!("/api/v1/partners/{id}/grants/apis/{api_three}"),
        &all,
        Some(json!({"environment_ids": [envs[0]]})),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["detail"], "API Three is not offered in Development.");
    let r = call(
        &app,
        "DELETE",
        &format!("/api/v1/partners/{id}/grants/apis/{api_one}/environments/{}", envs[2]),
        &all,
        None,
        None,
    )
    .await;
    assert_eq!(r.body["revoked"], json!(["API One in Production"]));
    let r = call(
        &app,
        "DELETE",
        &format!("/api/v1/partners/{id}/grants/products/{}", catalog_ids.products[0]),
        &all,
        None,
        None,
    )
    .await;
    assert_eq!((r.body["revoked"].clone(), r.body["grants"]["products"].clone()), (json!(["Product One"]), json!([])));

    // The audit log, newest first, by cursor; a token without audit:read can't read it.
    let mut seen = 0;
    let mut path = "/api/v1/audit-events?limit=2".to_string();
    let mut first_page = None;
    loop {
        let r = call(&app, "GET", &path, &all, None, None).await;
        assert_eq!(r.status, StatusCode::OK);
        let page = r.body["data"].as_array().unwrap().clone();
        first_page.get_or_insert(page.clone());
        seen += page.len();
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/audit-events?limit=2&cursor={c}"),
            None => break,
        }
    }
    let total: i64 = {
        use schema::audit_events::dsl as a;
        a::audit_events.filter(a::enterprise_id.eq(app.enterprise_id())).count().get_result(&mut app.conn()).unwrap()
    };
    assert_eq!(seen as i64, total);
    let newest = &first_page.unwrap()[0];
    assert_eq!(
        (newest["action"].as_str(), newest["actor"].as_str()),
        (Some("partner.product_revoked"), Some("API token Ops"))
    );
    let reader = token(&app, "Reader", &["partners:read"]).await;
    assert_eq!(call(&app, "GET", "/api/v1/audit-events", &reader, None, None).await.status, StatusCode::FORBIDDEN);
    let r = call(&app, "GET", &format!("/api/v1/audit-events?partner_id={id}&limit=100"), &all, None, None).await;
    assert!(r.body["data"].as_array().unwrap().iter().all(|e| e["partner_id"] == json!(id)));
}

#[tokio::test]
async fn each_token_is_rate_limited_across_instances_with_retry_after() {
    let app = TestApp::spawn().env("API_RATE_LIMIT_PER_MINUTE", "5").logged_in_as_enterprise_admin().await;
    let other =
        app.spawn_another(Options { env: vec![("API_RATE_LIMIT_PER_MINUTE", "5".into())], ..Default::default() }).await;
    let reader = token(&app, "Reader", &["partners:read"]).await;
    let second = token(&app, "Second", &["partners:read"]).await;
    // Wait for a fresh minute if this one is nearly over, so the five fit in one window.
    let into_minute = Utc::now().timestamp().rem_euclid(60);
    if into_minute > 50 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - into_minute) as u64)).await;
    }
    let mut statuses = Vec::new();
    for i in 0..6 {
        let instance = if i % 2 == 0 { &app } else { &other };
        statuses.push(call(instance, "GET", "/api/v1/partners", &reader, None, None).await);
    }
    let codes: Vec<u16> = statuses.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(codes, [200, 200, 200, 200, 200, 429], "five a minute, counted across both instances");
    let limited = &statuses[5];
    assert_eq!(limited.kind, "application/problem+json");
    let retry: u64 = limited.headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(limited.body["detail"].as_str().unwrap().contains("5 requests a minute"));
    // Another token has its own count.
    assert_eq!(call(&other, "GET", "/api/v1/partners", &second, None, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn changes_made_through_the_api_queue_their_webhooks_like_the_uis() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let catalog_ids = seed_catalog(&mut app.conn(), app.enterprise_id());
    let receiver = app.url("/hooks-never-called");
    let form = app.page("/settings/webhooks").await.form("Add endpoint").set("url", &receiver);
    let form = ["partner.created", "grant.added", "grant.removed", "partner.deactivated"]
        .iter()
        .fold(form, |f, e| f.add("event", e));
    assert_eq!(form.submit(&app.browser).await.status(), StatusCode::CREATED);
    let all = token(&app, "Ops", ALL).await;

    let id = call(&app, "POST", "/api/v1/partners", &all, Some(globex()), None).await.body["id"].as_i64().unwrap();
    let path = format!("/api/v1/partners/{id}/grants/products");
    call(&app, "POST", &path, &all, Some(json!({"product_ids": [catalog_ids.products[0]]})), None).await;
    call(&app, "DELETE", &format!("{path}/{}", catalog_ids.products[0]), &all, None, None).await;
    call(&app, "POST", &format!("/api/v1/partners/{id}/deactivate"), &all, None, None).await;

    use schema::webhook_deliveries::dsl as w;
    let queued: Vec<(String, serde_json::Value)> =
        w::webhook_deliveries.order(w::id).select((w::event_type, w::payload)).load(&mut app.conn()).unwrap();
    let kinds: Vec<&str> = queued.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["partner.created", "grant.added", "grant.removed", "partner.deactivated"]);
    assert_eq!(queued[0].1["data"]["partner_id"], json!(id));
}

#[tokio::test]
async fn the_personal_note_goes_through_the_api_into_the_invitation_emails() {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let writer = token(&app, "CRM sync", ALL).await;
    let note = "Welcome,\n<i>Hank</i> & co";
    let mut body = globex();
    body["administrator"]["note"] = json!(note);

    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(body), None).await;

    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    let mail = app.emails().await.into_iter().find(|m| m.to() == "hank@globex.com").unwrap();
    let text = mail.text().unwrap().replace("\r\n", "\n");
    assert!(text.contains(&format!("added a personal note:\n\n{note}\n")), "{text}");
    let html = mail.html().unwrap();
    assert!(!html.contains("<i>Hank") && html.contains("&#60;i&#62;Hank&#60;/i&#62; &#38; co"), "{html}");

    // A new administrator's invitation with its own note; too long a note is a field error.
    let long = "x".repeat(1001);
    let person =
        |note: Value| json!({ "first_name": "Ivy", "surname": "Ito", "email": "ivy@globex.com", "note": note });
    let path = format!("/api/v1/partners/{id}/invitations");
    let r = call(&app, "POST", &path, &writer, Some(person(json!(long))), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r.body)[0].0, "note");
    let mut long_create = globex();
    long_create["name"] = json!("Initech");
    long_create["domains"] = json!(["initech.com"]);
    long_create["administrator"]["email"] = json!("bill@initech.com");
    long_create["administrator"]["note"] = json!(long);
    let r = call(&app, "POST", "/api/v1/partners", &writer, Some(long_create), None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(fields(&r.body)[0].0, "administrator.note");
    assert_eq!(partner_count(&app), 1, "nothing made");

    let r = call(&app, "POST", &path, &writer, Some(person(json!("See you on Monday."))), None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mail = app.emails().await.into_iter().find(|m| m.to() == "ivy@globex.com").unwrap();
    assert!(mail.text().unwrap().replace("\r\n", "\n").contains("added a personal note:\n\nSee you on Monday.\n"));

    // The OpenAPI document describes the field.
    let doc: Value =
        serde_json::from_str(&reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().text().await.unwrap())
            .unwrap();
    let person = &doc["components"]["schemas"]["PersonJson"]["properties"]["note"];
    assert_eq!(person["maxLength"], 1000, "{person}");
}
