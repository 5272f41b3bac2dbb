//! The enterprise's side of SPEC §18 through the pages: the partner page's **Applications**
//! tab lists a partner's applications and live credentials (read-only, Viewers too), and
//! Settings → **Gateway credentials** makes a credential whose secret, shown once, works at
//! `POST /oauth/introspect` until it is revoked there. A Viewer reads and changes nothing.

use reqwest::StatusCode;

use crate::{
    edge::snapshot,
    fixtures::{grant_api, seed_catalog},
    helpers::{seed_team_member, Browser, TestApp, ADMIN},
    oauth_kit::{introspect, seed_application, seed_credentials, token, Client},
    page::Page,
};
use partner_portal::domain::UserRole;

const VIEWER: &str = "vic@acme.example";

struct World {
    app: TestApp,
    /// Erin, Acme's Enterprise admin.
    erin: Browser,
    /// Globex's "Billing sync" credentials in Production.
    production: Client,
}

/// Globex (active) holds API One in Production; its "Billing sync" has credentials there and
/// "Reports" has none.
async fn world() -> World {
    let app = TestApp::spawn().with_partner(crate::oauth_kit::globex()).await;
    let (enterprise, partner, admin) = (app.enterprise_id(), app.partner_id(), app.admin_id());
    let ids = seed_catalog(&mut app.conn(), enterprise);
    grant_api(&mut app.conn(), partner, ids.apis[0], ids.environments[2]);
    let billing = seed_application(&app, enterprise, partner, "Billing sync", admin);
    seed_application(&app, enterprise, partner, "Reports", admin);
    let (_, production) = seed_credentials(&app, enterprise, billing, ids.environments[2], admin);
    let erin = app.browser_of(ADMIN).await;
    World { app, erin, production }
}

/// Submits *Create gateway credential* with `name`.
async fn create_gateway(browser: &Browser, name: &str) -> reqwest::Response {
    let page = browser.page("/settings/gateways").await;
    page.form("Create gateway credential").set("name", name).submit(browser).await
}

#[tokio::test]
async fn the_partner_page_lists_the_partners_applications_and_live_credentials() {
    let w = world().await;
    let tab = format!("/settings/partners/{}/applications", w.app.partner_id());
    let general = w.erin.page(&format!("/settings/partners/{}", w.app.partner_id())).await;
    assert_eq!(general.link(".tabs a", "Applications").as_deref(), Some(tab.as_str()));

    let page = w.erin.page(&tab).await;

    assert_eq!(page.status, StatusCode::OK);
    let rows = page.rows_of("#applications");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0][0].starts_with("Billing sync"));
    assert_eq!(rows[0][1], "Production");
    assert_eq!(rows[0][2], w.production.client_id);
    assert_eq!(rows[0][4], "Never");
    assert!(rows[1][0].starts_with("Reports"));
    assert_eq!(rows[1][1], "No live credentials");
    assert!(!page.contains(&w.production.secret));
    assert_eq!(page.attrs(r#"form[method="post"]"#, "action"), ["/logout"], "read-only");

    token(&w.app, &w.production).await;
    let page = w.erin.page(&tab).await;
    let last_used = &page.rows_of("#applications")[0][4];
    assert!(last_used.ends_with("UTC (just now)"), "last used is shown, in the enterprise's zone: {last_used}");
}

#[tokio::test]
async fn a_gateway_credential_made_in_settings_introspects_until_it_is_revoked() {
    let w = world().await;
    let menu = w.erin.page("/settings/partners").await;
    assert_eq!(menu.link("nav a", "Gateway credentials").as_deref(), Some("/settings/gateways"));
    let access_token = token(&w.app, &w.production).await;

    let r = create_gateway(&w.erin, "Edge nginx").await;

    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let shown = Page::read(r).await;
    assert!(shown.main_text().contains("it won't be shown again"), "{shown}");
    assert_eq!(shown.attr("#introspect_url", "value"), Some(w.app.settings.link("/oauth/introspect")));
    assert_eq!(shown.attr("#check_url", "value"), Some(w.app.settings.link("/gateway/check")));
    let gateway = Client {
        client_id: shown.attr("#client_id", "value").unwrap(),
        secret: shown.attr("#client_secret", "value").unwrap(),
    };
    assert!(gateway.client_id.starts_with(&format!("ppg_{}_", w.app.enterprise_id())));
    let (status, answer) = introspect(&w.app, &gateway, &access_token).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["active"], true);
    assert_eq!(answer["application"]["name"], "Billing sync");

    let list = w.erin.page("/settings/gateways").await;
    let row = &list.rows_of("#gateways")[0];
    assert_eq!(row[0], "Edge nginx");
    assert_eq!(row[1], gateway.client_id);
    assert_eq!(row[2], format!("…{}", &gateway.secret[gateway.secret.len() - 4..]));
    assert!(row[4].contains("Active"));
    assert!(!list.contains(&gateway.secret), "never shown again");
    let confirm = w.erin.page(&list.link("#gateways a", "Revoke").unwrap()).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.main_text().contains(&gateway.client_id));
    let r = confirm.form("Revoke").submit(&w.erin).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/settings/gateways");
    let (status, _) = introspect(&w.app, &gateway, &access_token).await;
    assert_eq!(status, 401, "a revoked gateway is refused");
    let list = w.erin.page("/settings/gateways").await;
    assert!(list.flashes()[0].contains("Edge nginx revoked"), "{:?}", list.flashes());
    assert!(list.rows_of("#gateways")[0][4].contains("Revoked"));
    assert!(list.link("#gateways a", "Revoke").is_none());

    let mut conn = w.app.conn();
    let events: Vec<(String, Option<i64>, String)> = {
        use diesel::prelude::*;
        use partner_portal::db::schema::audit_events::dsl as a;
        a::audit_events
            .filter(a::action.like("enterprise.gateway_%"))
            .order(a::id)
            .select((a::action, a::partner_id, a::target))
            .load::<(String, Option<i64>, String)>(&mut conn)
            .unwrap()
    };
    assert_eq!(
        events,
        [
            ("enterprise.gateway_credential_created".into(), None, "Gateway credential Edge nginx".into()),
            ("enterprise.gateway_credential_revoked".into(), None, "Gateway credential Edge nginx".into()),
        ]
    );
}

#[tokio::test]
async fn a_bad_gateway_name_is_refused_with_the_form_kept() {
    let w = world().await;
    let before = snapshot(&w.app);

    let r = create_gateway(&w.erin, &"g".repeat(81)).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(page.field_error("name").as_deref(), Some("The name can be at most 80 characters long."));
    assert_eq!(page.form("Create gateway credential").value("name"), Some("g".repeat(81).as_str()));
    assert!(!page.exists("#client_secret"));
    assert_eq!(snapshot(&w.app), before);
}

#[tokio::test]
async fn a_viewer_reads_gateway_credentials_and_applications_but_changes_nothing() {
    let w = world().await;
    let r = create_gateway(&w.erin, "Edge nginx").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    seed_team_member(&w.app, w.app.enterprise_id(), VIEWER, UserRole::Viewer);
    let vic = w.app.browser_of(VIEWER).await;
    let before = snapshot(&w.app);

    let list = vic.page("/settings/gateways").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.rows_of("#gateways")[0][0], "Edge nginx");
    assert_eq!(list.attrs(r#"form[method="post"]"#, "action"), ["/logout"]);
    assert!(list.link("main a", "Revoke").is_none());
    let tab = vic.page(&format!("/settings/partners/{}/applications", w.app.partner_id())).await;
    assert_eq!(tab.status, StatusCode::OK);
    assert!(tab.contains(&w.production.client_id));

    let token_ = list.csrf_token();
    let id = {
        let erin_list = w.erin.page("/settings/gateways").await;
        erin_list.link("#gateways a", "Revoke").unwrap()
    };
    assert_eq!(vic.post("/settings/gateways", &token_, &[("name", "Mine")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(vic.post(&id, &token_, &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(vic.get(&id).await.status(), StatusCode::FORBIDDEN, "the confirmation is a form");
    assert_eq!(snapshot(&w.app), before);
}
