//! The partner's **Applications** (SPEC §18) through the pages: an Admin creates an
//! application and its client credentials, the secret shown once works at `POST /oauth/token`
//! and is never shown again; rename, **Rotate secret** (without and with overlap), **Revoke**
//! and delete take effect at the token endpoint and at introspection at once; bad names,
//! environments without a grant and a partnership that is not active are refused; a Member
//! reads without being able to change anything; another partnership's ids are 404; every
//! change is audited without its secret.

use diesel::{prelude::*, sql_query, sql_types::Text};
use reqwest::StatusCode;

use crate::{
    edge::snapshot,
    fixtures::{audit_actions, grant_api, seed_catalog, CatalogIds, PartnerFixture, UserFixture},
    helpers::{Browser, TestApp},
    oauth_kit::{is_active, request_token, seed_application, seed_credentials, seed_gateway, token, Client},
    page::Page,
};

const ADA: &str = "ada@globex.example";
const MIA: &str = "mia@globex.example";

struct World {
    app: TestApp,
    ids: CatalogIds,
    /// Ada, Globex's Admin, logged in.
    ada: Browser,
    gateway: Client,
}

impl World {
    fn development(&self) -> String {
        self.ids.environments[0].to_string()
    }
    fn staging(&self) -> String {
        self.ids.environments[1].to_string()
    }
    fn production(&self) -> String {
        self.ids.environments[2].to_string()
    }
}

/// Globex (active; Ada its Admin, Mia a Member) holds API One in Development and API One and
/// API Three in Production; nothing in Staging. Acme has a gateway credential.
async fn world() -> World {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin(ADA).named("Ada", "Admin"))
        .user(UserFixture::member(MIA).named("Mia", "Member"));
    let app = TestApp::spawn().with_partner(globex).await;
    let ids = {
        let mut conn = app.conn();
        let ids = seed_catalog(&mut conn, app.enterprise_id());
        grant_api(&mut conn, app.partner_id(), ids.apis[0], ids.environments[0]);
        grant_api(&mut conn, app.partner_id(), ids.apis[0], ids.environments[2]);
        grant_api(&mut conn, app.partner_id(), ids.apis[2], ids.environments[2]);
        ids
    };
    let gateway = seed_gateway(&app, app.enterprise_id(), app.admin_id());
    let ada = app.browser_of(ADA).await;
    World { app, ids, ada, gateway }
}

/// Submits *Create application* with `name`; the response.
async fn create_application(browser: &Browser, name: &str) -> reqwest::Response {
    let list = browser.page("/partner/applications").await;
    list.form("Create application").set("name", name).submit(browser).await
}

/// Creates the application through the page and returns its page's path.
async fn new_application(browser: &Browser, name: &str) -> String {
    let r = create_application(browser, name).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let path = r.headers()["location"].to_str().unwrap().to_string();
    assert!(path.starts_with("/partner/applications/"), "{path}");
    path
}

/// The client id and secret shown once on `page`.
fn shown_client(page: &Page) -> Client {
    Client {
        client_id: page.attr("#client_id", "value").unwrap_or_else(|| panic!("no client id:\n{page}")),
        secret: page.attr("#client_secret", "value").unwrap_or_else(|| panic!("no secret:\n{page}")),
    }
}

/// Presses **Create credentials** of the environment on the application's page.
async fn create_credentials(browser: &Browser, app_path: &str, environment_id: &str) -> reqwest::Response {
    let page = browser.page(app_path).await;
    page.form(&format!("{app_path}/credentials")).set("environment_id", environment_id).submit(browser).await
}

/// Credentials made through the page: the shown-once page and the client on it.
async fn new_credentials(browser: &Browser, app_path: &str, environment_id: &str) -> (Page, Client) {
    let r = create_credentials(browser, app_path, environment_id).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = Page::read(r).await;
    let client = shown_client(&page);
    (page, client)
}

/// The form action of the credential's **Rotate secret** on the application's page.
fn rotate_action(page: &Page) -> String {
    page.form("Rotate secret").action
}

/// Presses **Rotate secret** with the overlap chosen; the shown-once page.
async fn rotate(browser: &Browser, app_path: &str, overlap: &str) -> Page {
    let page = browser.page(app_path).await;
    let r = page.form("Rotate secret").set("overlap", overlap).submit(browser).await;
    assert_eq!(r.status(), StatusCode::OK);
    Page::read(r).await
}

fn audit_details(app: &TestApp) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        details: String,
    }
    let rows: Vec<Row> =
        sql_query("SELECT details::text AS details FROM audit_events ORDER BY id").load(&mut app.conn()).unwrap();
    rows.into_iter().map(|r| r.details).collect()
}

#[tokio::test]
async fn an_admin_creates_credentials_whose_secret_works_and_is_shown_only_once() {
    let w = world().await;
    let menu = w.ada.page("/service-catalog").await;
    assert_eq!(menu.link("nav a", "Applications").as_deref(), Some("/partner/applications"));

    let path = new_application(&w.ada, "Billing sync").await;
    let page = w.ada.page(&path).await;
    assert_eq!(page.flashes(), ["Application Billing sync created."]);
    assert_eq!(page.text("h1").as_deref(), Some("Billing sync"));
    // Granted environments only, each offering credentials.
    assert_eq!(
        page.texts("main section h2").iter().take(2).cloned().collect::<Vec<_>>(),
        ["Development", "Production"]
    );
    assert!(!page.main_text().contains("Staging"));
    assert_eq!(
        page.texts(".apis-carried"),
        ["Tokens carry: API One (/one/v1)", "Tokens carry: API One (/one/v1), API Three (/three/v1)"],
        "what a token for each environment carries"
    );
    assert_eq!(page.count(r#"main button[type="submit"]"#), 3, "two Create credentials and Rename:\n{page}");

    let r = create_credentials(&w.ada, &path, &w.production()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = Page::read(r).await;
    let client = shown_client(&shown);
    assert!(client.client_id.starts_with(&format!("ppc_{}_", w.app.enterprise_id())), "{}", client.client_id);
    assert!(client.secret.starts_with("pps_"));
    assert!(shown.main_text().contains("it won't be shown again"), "{shown}");
    assert_eq!(shown.attr("#token_url", "value"), Some(w.app.settings.link("/oauth/token")));
    assert!(shown.text("#curl-example").unwrap().contains(&client.client_id));
    for field in ["client_id", "client_secret", "token_url"] {
        assert!(shown.exists(&format!(r#"label[for="{field}"]"#)), "{field} has a label");
    }

    let (status, body) = request_token(&w.app, &client, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "/one/v1 /three/v1");
    assert!(is_active(&w.app, &w.gateway, body["access_token"].as_str().unwrap()).await);

    let again = w.ada.page(&path).await;
    assert!(!again.contains(&client.secret), "the secret is never shown again");
    assert!(again.contains(&client.client_id));
    let hint = &client.secret[client.secret.len() - 4..];
    assert!(again.main_text().contains(&format!("…{hint}")), "{again}");
    assert_eq!(again.count(r#"form[action$="/credentials"]"#), 1, "Development still offers credentials");
    let list = w.ada.page("/partner/applications").await;
    assert_eq!(list.rows_of("#applications")[0][0], "Billing sync");
    assert_eq!(list.rows_of("#applications")[0][2], "Production");
    assert!(!list.contains(&client.secret));

    let actions = audit_actions(&mut w.app.conn(), w.app.partner_id());
    assert_eq!(actions, ["partner.application_created", "partner.credentials_created"]);
    let details = audit_details(&w.app);
    assert!(details.iter().any(|d| d.contains(&client.client_id) && d.contains("Production")), "{details:?}");
    assert!(details.iter().all(|d| !d.contains(&client.secret)), "no secret in the audit trail");
}

#[tokio::test]
async fn a_bad_or_taken_application_name_is_refused_with_the_form_kept() {
    let w = world().await;
    new_application(&w.ada, "Billing sync").await;

    for (name, error) in [
        ("  bILLING SYNC ", "Another application of yours already has this name. Choose another one."),
        ("   ", "Enter a name."),
        (&"x".repeat(81), "The name can be at most 80 characters long."),
    ] {
        let r = create_application(&w.ada, name).await;

        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let page = Page::read(r).await;
        assert_eq!(page.field_error("name").as_deref(), Some(error));
        assert_eq!(page.form("Create application").value("name"), Some(name), "the input is kept");
    }
    let list = w.ada.page("/partner/applications").await;
    assert_eq!(list.rows_of("#applications").len(), 1);
    assert_eq!(audit_actions(&mut w.app.conn(), w.app.partner_id()), ["partner.application_created"]);
}

#[tokio::test]
async fn renaming_an_application_keeps_its_credentials_and_refuses_a_taken_name() {
    let w = world().await;
    new_application(&w.ada, "Invoices").await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, client) = new_credentials(&w.ada, &path, &w.production()).await;

    let page = w.ada.page(&path).await;
    let r = page.form("Rename").set("name", "Billing sync v2").submit(&w.ada).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = w.ada.page(&path).await;
    assert_eq!(page.flashes(), ["Application Billing sync renamed to Billing sync v2."]);
    assert_eq!(page.text("h1").as_deref(), Some("Billing sync v2"));
    token(&w.app, &client).await;

    let r = page.form("Rename").set("name", "invoices").submit(&w.ada).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = Page::read(r).await;
    assert_eq!(
        refused.field_error("name").as_deref(),
        Some("Another application of yours already has this name. Choose another one.")
    );
    assert_eq!(refused.form("Rename").value("name"), Some("invoices"));
    assert_eq!(w.ada.page(&path).await.text("h1").as_deref(), Some("Billing sync v2"));
    let actions = audit_actions(&mut w.app.conn(), w.app.partner_id());
    assert_eq!(actions.iter().filter(|a| *a == "partner.application_renamed").count(), 1, "{actions:?}");
}

#[tokio::test]
async fn rotating_without_overlap_stops_the_old_secret_and_its_tokens_at_once() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, old) = new_credentials(&w.ada, &path, &w.production()).await;
    let earlier = token(&w.app, &old).await;
    let page = w.ada.page(&path).await;
    let options = page.texts(r#"select[name="overlap"] option"#);
    assert_eq!(options, ["No overlap — the current secret stops now", "1 hour", "24 hours", "7 days"]);
    assert!(page.exists(r#"label[for^="overlap-"]"#));
    assert!(rotate_action(&page).ends_with("/rotate"));

    let shown = rotate(&w.ada, &path, "none").await;

    let new = shown_client(&shown);
    assert_eq!(new.client_id, old.client_id, "the client id stays");
    assert_ne!(new.secret, old.secret);
    assert!(shown.text("#previous-secret").unwrap().contains("stopped working now"), "{shown}");
    assert!(shown.main_text().contains("it won't be shown again"));
    let (status, body) = request_token(&w.app, &old, &[]).await;
    assert_eq!(status, 401, "the old secret is refused: {body}");
    token(&w.app, &new).await;
    assert!(!is_active(&w.app, &w.gateway, &earlier).await, "a token of the old secret stopped too");
    let page = w.ada.page(&path).await;
    assert_eq!(page.count(".secrets li"), 1, "{page}");
    assert!(!page.contains(&new.secret));
    assert!(audit_actions(&mut w.app.conn(), w.app.partner_id()).contains(&"partner.secret_rotated".to_string()));
    assert!(audit_details(&w.app).iter().all(|d| !d.contains(&new.secret)));
}

#[tokio::test]
async fn rotating_with_an_hour_of_overlap_keeps_both_secrets_working() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, old) = new_credentials(&w.ada, &path, &w.production()).await;

    let shown = rotate(&w.ada, &path, "1h").await;

    let new = shown_client(&shown);
    assert!(shown.text("#previous-secret").unwrap().contains("keeps working until"), "{shown}");
    token(&w.app, &old).await;
    token(&w.app, &new).await;
    let page = w.ada.page(&path).await;
    let secrets = page.texts(".secrets li");
    assert_eq!(secrets.len(), 2, "{page}");
    assert!(
        secrets[0].contains(&format!("…{}", &new.secret[new.secret.len() - 4..])) && secrets[0].contains("Current")
    );
    assert!(secrets[1].contains(&format!("…{}", &old.secret[old.secret.len() - 4..])));
    assert!(secrets[1].contains("valid until"), "{secrets:?}");
}

#[tokio::test]
async fn an_unknown_overlap_is_refused_and_changes_nothing() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, client) = new_credentials(&w.ada, &path, &w.production()).await;
    let before = snapshot(&w.app);

    let page = w.ada.page(&path).await;
    let r = page.form("Rotate secret").set("overlap", "forever").submit(&w.ada).await;

    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(snapshot(&w.app), before);
    token(&w.app, &client).await;
}

#[tokio::test]
async fn revoking_credentials_stops_the_token_endpoint_and_earlier_tokens() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, client) = new_credentials(&w.ada, &path, &w.production()).await;
    let earlier = token(&w.app, &client).await;
    let page = w.ada.page(&path).await;
    let confirm_path = page.link("main a", "Revoke").expect("a Revoke link");

    let confirm = w.ada.page(&confirm_path).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.main_text().contains(&client.client_id));
    assert!(confirm.main_text().contains("every access token they obtained"), "{confirm}");
    let r = confirm.form("Revoke").submit(&w.ada).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], path.as_str());
    let (status, _) = request_token(&w.app, &client, &[]).await;
    assert_eq!(status, 401);
    assert!(!is_active(&w.app, &w.gateway, &earlier).await);
    let page = w.ada.page(&path).await;
    assert!(page.flashes()[0].contains("were revoked"), "{:?}", page.flashes());
    assert!(!page.contains(&client.client_id));
    assert_eq!(page.count(r#"form[action$="/credentials"]"#), 2, "Production offers new credentials");
    assert_eq!(w.ada.get(&confirm_path).await.status(), StatusCode::NOT_FOUND, "revoked: nothing to revoke");
    assert!(audit_actions(&mut w.app.conn(), w.app.partner_id()).contains(&"partner.credentials_revoked".to_string()));

    // New credentials in the same environment get a new client id.
    let (_, again) = new_credentials(&w.ada, &path, &w.production()).await;
    assert_ne!(again.client_id, client.client_id);
    token(&w.app, &again).await;
}

#[tokio::test]
async fn deleting_an_application_stops_every_token_it_obtained() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, production) = new_credentials(&w.ada, &path, &w.production()).await;
    let (_, development) = new_credentials(&w.ada, &path, &w.development()).await;
    let earlier = token(&w.app, &production).await;
    let page = w.ada.page(&path).await;

    let confirm = w.ada.page(&page.link("main a", "Delete application").unwrap()).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.main_text().contains("every access token it obtained stops working"), "{confirm}");
    let r = confirm.form("Delete application").submit(&w.ada).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/partner/applications");
    assert_eq!(request_token(&w.app, &production, &[]).await.0, 401);
    assert_eq!(request_token(&w.app, &development, &[]).await.0, 401);
    assert!(!is_active(&w.app, &w.gateway, &earlier).await);
    let list = w.ada.page("/partner/applications").await;
    assert!(list.flashes()[0].contains("Billing sync deleted"), "{:?}", list.flashes());
    assert!(list.rows_of("#applications").is_empty());
    assert_eq!(w.ada.get(&path).await.status(), StatusCode::NOT_FOUND);
    let actions = audit_actions(&mut w.app.conn(), w.app.partner_id());
    assert_eq!(actions.last().map(String::as_str), Some("partner.application_deleted"));
}

#[tokio::test]
async fn a_member_reads_the_applications_but_every_change_is_refused() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    let (_, client) = new_credentials(&w.ada, &path, &w.production()).await;
    let mia = w.app.browser_of(MIA).await;
    let cred = {
        let page = w.ada.page(&path).await;
        let action = rotate_action(&page);
        action.trim_end_matches("/rotate").to_string()
    };
    let before = snapshot(&w.app);

    let list = mia.page("/partner/applications").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.link("nav a", "Applications").as_deref(), Some("/partner/applications"));
    assert_eq!(list.rows_of("#applications")[0][0], "Billing sync");
    let page = mia.page(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains(&client.client_id));
    for p in [&list, &page] {
        let actions = p.attrs(r#"form[method="post"]"#, "action");
        assert_eq!(actions, ["/logout"], "a Member gets no form:\n{p}");
        assert!(p.link("main a", "Revoke").is_none() && p.link("main a", "Delete application").is_none());
    }
    let token_ = list.csrf_token();
    for (action, fields) in [
        ("/partner/applications".to_string(), vec![("name", "Other".to_string())]),
        (format!("{path}/rename"), vec![("name", "Other".to_string())]),
        (format!("{path}/credentials"), vec![("environment_id", w.development())]),
        (format!("{cred}/rotate"), vec![("overlap", "none".to_string())]),
        (format!("{cred}/revoke"), vec![]),
        (format!("{path}/delete"), vec![]),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = mia.post(&action, &token_, &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "POST {action}");
    }
    for confirm in [format!("{cred}/revoke"), format!("{path}/delete")] {
        assert_eq!(mia.get(&confirm).await.status(), StatusCode::FORBIDDEN, "GET {confirm}");
    }
    assert_eq!(snapshot(&w.app), before, "nothing changed");
    token(&w.app, &client).await;
}

#[tokio::test]
async fn another_partnerships_applications_and_credentials_are_not_found() {
    let w = world().await;
    let initech = PartnerFixture::new("Initech")
        .domains(["initech.example"])
        .active()
        .account_admin(UserFixture::admin("ian@initech.example"))
        .create(&w.app);
    grant_api(&mut w.app.conn(), initech.id, w.ids.apis[0], w.ids.environments[2]);
    let theirs = seed_application(&w.app, w.app.enterprise_id(), initech.id, "Their app", w.app.admin_id());
    let (their_cred, their_client) =
        seed_credentials(&w.app, w.app.enterprise_id(), theirs, w.ids.environments[2], w.app.admin_id());
    let mine = new_application(&w.ada, "Billing sync").await;
    let before = snapshot(&w.app);
    let token_ = w.ada.page("/partner/applications").await.csrf_token();

    let other = format!("/partner/applications/{theirs}");
    for get in [other.clone(), format!("{other}/delete"), format!("{other}/credentials/{their_cred}/revoke")] {
        assert_eq!(w.ada.get(&get).await.status(), StatusCode::NOT_FOUND, "GET {get}");
    }
    // Their credential under my application is not mine either.
    assert_eq!(w.ada.get(&format!("{mine}/credentials/{their_cred}/revoke")).await.status(), StatusCode::NOT_FOUND);
    for (action, fields) in [
        (format!("{other}/rename"), vec![("name", "Mine now".to_string())]),
        (format!("{other}/credentials"), vec![("environment_id", w.production())]),
        (format!("{other}/credentials/{their_cred}/rotate"), vec![("overlap", "none".to_string())]),
        (format!("{mine}/credentials/{their_cred}/rotate"), vec![("overlap", "none".to_string())]),
        (format!("{other}/credentials/{their_cred}/revoke"), vec![]),
        (format!("{mine}/credentials/{their_cred}/revoke"), vec![]),
        (format!("{other}/delete"), vec![]),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let r = w.ada.post(&action, &token_, &fields).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {action}");
    }
    assert_eq!(snapshot(&w.app), before);
    assert!(!w.ada.page("/partner/applications").await.contains("Their app"));
    token(&w.app, &their_client).await;
}

#[tokio::test]
async fn credentials_are_refused_where_there_is_no_grant_or_already_live_ones() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    new_credentials(&w.ada, &path, &w.production()).await;
    let before = snapshot(&w.app);
    let token_ = w.ada.page(&path).await.csrf_token();

    let r = w.ada.post(&format!("{path}/credentials"), &token_, &[("environment_id", &w.staging())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("holds no API grant in that environment"));

    let r = w.ada.post(&format!("{path}/credentials"), &token_, &[("environment_id", &w.production())]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("already has client credentials in Production"));
    assert_eq!(snapshot(&w.app), before, "nothing was created");
}

#[tokio::test]
async fn a_partnership_without_api_grants_is_told_credentials_need_one() {
    let app = TestApp::spawn()
        .with_partner(
            PartnerFixture::new("Globex")
                .domains(["globex.example"])
                .active()
                .account_admin(UserFixture::admin(ADA).named("Ada", "Admin")),
        )
        .await;
    let ada = app.browser_of(ADA).await;

    let list = ada.page("/partner/applications").await;
    assert!(list.text("#no-grants").unwrap().contains("Client credentials need an API grant"), "{list}");
    let path = new_application(&ada, "Billing sync").await;
    let page = ada.page(&path).await;
    assert!(page.exists("#no-grants"));
    assert!(!page.contains("Create credentials"));
}

#[tokio::test]
async fn only_an_active_partnership_gets_credentials() {
    let w = world().await;
    let path = new_application(&w.ada, "Billing sync").await;
    new_credentials(&w.ada, &path, &w.production()).await;
    let page = w.ada.page(&path).await;
    let token_ = page.csrf_token();
    let rotate = rotate_action(&page);
    // The partnership waits for its administrator again (its people keep logging in).
    sql_query("UPDATE partners SET status = 'invited' WHERE id = $1")
        .bind::<diesel::sql_types::BigInt, _>(w.app.partner_id())
        .execute(&mut w.app.conn())
        .unwrap();
    let before = snapshot(&w.app);

    let r = w.ada.post(&format!("{path}/credentials"), &token_, &[("environment_id", &w.development())]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("Only an active partnership can have client credentials"));
    let r = w.ada.post(&rotate, &token_, &[("overlap", "none")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(snapshot(&w.app), before);
}
