//! Activity: Settings → Activity and a partner's Activity tab, newest first, 25 a page,
//! filterable by partner and action, a fixed number of statements, and the CSV export.

use partner_portal::domain::{EnterpriseId, PartnerId};
use std::time::Instant;

use diesel::{
    prelude::*,
    sql_types::{BigInt, Nullable, Text},
};
use partner_portal::db::instrumentation;
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::TestApp,
    page::Page,
};

async fn logged_in() -> (TestApp, EnterpriseId) {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();
    (app, enterprise_id)
}

/// An active partner named `name` with the domain `domain`, in `enterprise_id`.
fn active_partner(conn: &mut PgConnection, enterprise_id: EnterpriseId, name: &str, domain: &str) -> PartnerId {
    PartnerFixture::new(name).domains([domain]).active().create_in(conn, enterprise_id).id
}

/// `n` events "{prefix} 1" (oldest) … "{prefix} n" (newest, at `newest`), one minute apart.
fn seed_events(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: Option<PartnerId>,
    action: &str,
    prefix: &str,
    n: i64,
    newest: &str,
) {
    diesel::sql_query(
        "INSERT INTO audit_events (enterprise_id, partner_id, actor_label, action, target, details, created_at)
         SELECT $1, $2, 'Erin Admin <erin@acme.example>', $3, $4 || ' ' || g, jsonb_build_object('n', g),
                $5::timestamptz - make_interval(mins => ($6 - g)::int)
           FROM generate_series(1, $6) AS g",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<Nullable<BigInt>, _>(partner_id)
    .bind::<Text, _>(action)
    .bind::<Text, _>(prefix)
    .bind::<Text, _>(newest)
    .bind::<BigInt, _>(n)
    .execute(conn)
    .unwrap();
}

async fn page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}:\n{}", page.html);
    page
}

fn href(page: &Page, text: &str) -> Option<String> {
    page.link(".pagination a", text)
}

/// The Target column of the page's rows.
fn targets(page: &Page) -> Vec<String> {
    page.texts("tbody td:nth-child(4)")
}

fn range(prefix: &str, from: i64, to: i64) -> Vec<String> {
    (to..=from).rev().map(|i| format!("{prefix} {i}")).collect()
}

#[tokio::test]
async fn the_activity_page_shows_the_25_newest_events_and_older_pages_follow() {
    let (app, enterprise_id) = logged_in().await;
    seed_events(&mut app.conn(), enterprise_id, None, "catalog.product_created", "Event", 60, "2026-11-21 14:05:00+00");

    let first = page(&app, "/settings/activity").await;

    assert_eq!(first.text(r#".menu a[aria-current="page"]"#).unwrap(), "Activity");
    assert_eq!(targets(&first), range("Event", 60, 36));
    assert_eq!(first.texts("thead th"), ["When", "Who", "What", "Target", "Partner"]);
    assert!(first.html.contains(
        r#"<time datetime="2026-11-21T14:05:00Z" title="2026-11-21 14:05 UTC">21 Nov 2026, 14:05 UTC</time>"#
    ));
    assert_eq!(first.texts("tbody td.cell-main")[0], "Created a product");
    assert_eq!(href(&first, "Newer"), None);
    let older = href(&first, "Older").unwrap();
    assert_eq!(older, "/settings/activity?page=2");

    let second = page(&app, &older).await;
    assert_eq!(targets(&second), range("Event", 35, 11));
    assert_eq!(href(&second, "Newer").unwrap(), "/settings/activity");
    let third = page(&app, &href(&second, "Older").unwrap()).await;
    assert_eq!(targets(&third), range("Event", 10, 1));
    assert_eq!(href(&third, "Older"), None);
    assert_eq!(href(&third, "Newer").unwrap(), "/settings/activity?page=2");

    let beyond = page(&app, "/settings/activity?page=9").await;
    assert!(beyond.html.contains("No older events"));
    assert_eq!(
        targets(&page(&app, "/settings/activity?page=nonsense").await),
        range("Event", 60, 36),
        "an unreadable page is the first"
    );
}

#[tokio::test]
async fn the_activity_can_be_filtered_by_partner_and_by_action() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let globex = active_partner(&mut conn, enterprise_id, "Globex", "globex.example");
    let initech = active_partner(&mut conn, enterprise_id, "Initech", "initech.example");
    seed_events(
        &mut conn,
        enterprise_id,
        Some(globex),
        "partner.renamed",
        "Globex renamed",
        30,
        "2026-11-21 12:00:00+00",
    );
    seed_events(
        &mut conn,
        enterprise_id,
        Some(globex),
        "partner.domain_added",
        "Globex domain",
        2,
        "2026-11-21 13:00:00+00",
    );
    seed_events(
        &mut conn,
        enterprise_id,
        Some(initech),
        "partner.domain_added",
        "Initech domain",
        3,
        "2026-11-21 14:00:00+00",
    );
    seed_events(&mut conn, enterprise_id, None, "catalog.product_created", "Product", 4, "2026-11-21 15:00:00+00");

    let all = page(&app, "/settings/activity").await;
    assert_eq!(all.text(r#"label[for="partner"]"#).unwrap(), "Partner");
    assert_eq!(all.text(r#"label[for="action"]"#).unwrap(), "Action");
    assert_eq!(all.texts("#partner option"), ["All partners", "Globex", "Initech"]);
    assert_eq!(
        all.texts("#action option"),
        ["All actions", "Added a domain", "Created a product", "Renamed the partner"]
    );

    let by_partner = page(&app, &format!("/settings/activity?partner={globex}")).await;
    let shown = targets(&by_partner);
    assert_eq!(shown.len(), 25);
    assert!(shown.iter().all(|t| t.starts_with("Globex")), "{shown:?}");
    assert_eq!(by_partner.texts("tbody td:nth-child(5) a")[0], "Globex");
    assert!(by_partner.html.contains(&format!(r#"<option value="{globex}" selected>Globex</option>"#)));
    assert_eq!(href(&by_partner, "Older").unwrap(), format!("/settings/activity?partner={globex}&page=2"));
    assert_eq!(targets(&page(&app, &format!("/settings/activity?partner={globex}&page=2")).await).len(), 7);

    let by_action = page(&app, "/settings/activity?action=partner.domain_added").await;
    assert_eq!(
        targets(&by_action),
        ["Initech domain 3", "Initech domain 2", "Initech domain 1", "Globex domain 2", "Globex domain 1"]
    );

    let both = page(&app, &format!("/settings/activity?partner={initech}&action=partner.domain_added")).await;
    assert_eq!(targets(&both), range("Initech domain", 3, 1));
    let none = page(&app, &format!("/settings/activity?partner={initech}&action=partner.renamed")).await;
    assert!(none.html.contains("No events match these filters"));
    assert!(none.html.contains("Clear filters"));
}

#[tokio::test]
async fn the_partner_activity_tab_is_paginated_and_filtered_by_action() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let globex = active_partner(&mut conn, enterprise_id, "Globex", "globex.example");
    let initech = active_partner(&mut conn, enterprise_id, "Initech", "initech.example");
    seed_events(
        &mut conn,
        enterprise_id,
        Some(globex),
        "partner.renamed",
        "Globex renamed",
        28,
        "2026-11-21 12:00:00+00",
    );
    seed_events(
        &mut conn,
        enterprise_id,
        Some(globex),
        "partner.domain_added",
        "Globex domain",
        2,
        "2026-11-21 13:00:00+00",
    );
    seed_events(
        &mut conn,
        enterprise_id,
        Some(initech),
        "partner.domain_added",
        "Initech domain",
        3,
        "2026-11-21 14:00:00+00",
    );
    let tab = format!("/settings/partners/{globex}/activity");

    let first = page(&app, &tab).await;

    assert_eq!(first.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "Activity");
    assert_eq!(first.texts("thead th"), ["When", "Who", "What", "Target"]);
    let shown = targets(&first);
    assert_eq!(shown.len(), 25);
    assert_eq!(shown[..3], ["Globex domain 2", "Globex domain 1", "Globex renamed 28"]);
    assert!(!first.html.contains("Initech domain"));
    let second = page(&app, &href(&first, "Older").unwrap()).await;
    assert_eq!(targets(&second), range("Globex renamed", 5, 1));
    let filtered = page(&app, &format!("{tab}?action=partner.domain_added")).await;
    assert_eq!(targets(&filtered), ["Globex domain 2", "Globex domain 1"]);
    assert_eq!(filtered.texts("#action option"), ["All actions", "Added a domain", "Renamed the partner"]);
    assert_eq!(first.form("Export CSV").action, format!("/settings/partners/{globex}/activity.csv"));
}

/// Statements one load of `path` runs; the fewest of three (the outbox worker polls the same
/// database in the background).
async fn statements_of(app: &TestApp, path: &str) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = instrumentation::statements(&app.db.name);
        page(app, path).await;
        fewest = fewest.min(instrumentation::statements(&app.db.name) - before);
    }
    fewest
}

#[tokio::test]
async fn the_activity_pages_run_the_same_number_of_statements_with_30_and_with_300_events() {
    instrumentation::enable();
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let globex = active_partner(&mut conn, enterprise_id, "Globex", "globex.example");
    seed_events(&mut conn, enterprise_id, Some(globex), "partner.renamed", "Event", 30, "2026-11-21 12:00:00+00");
    let paths = [
        "/settings/activity".to_string(),
        format!("/settings/activity?partner={globex}&action=partner.renamed&page=2"),
        format!("/settings/partners/{globex}/activity"),
        format!("/settings/partners/{globex}/activity?action=partner.renamed&page=2"),
    ];
    for p in &paths {
        page(&app, p).await; // warm up
    }
    let mut with_30 = Vec::new();
    for p in &paths {
        with_30.push(statements_of(&app, p).await);
    }

    seed_events(&mut conn, enterprise_id, Some(globex), "partner.renamed", "Later", 270, "2026-11-22 12:00:00+00");
    let mut with_300 = Vec::new();
    for p in &paths {
        with_300.push(statements_of(&app, p).await);
    }

    println!("Activity pages {paths:?} ran {with_30:?} SQL statements with 30 events and {with_300:?} with 300 (session included)");
    assert_eq!(with_30, with_300);
}

#[tokio::test]
async fn the_csv_export_quotes_neutralises_formulas_and_holds_only_this_enterprise() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let partner = active_partner(&mut conn, enterprise_id, "-Evil, Inc", "evil.example");
    let payload = "=HYPERLINK(\"http://evil.example\",\"click\"), with \"quotes\"\nline two";
    diesel::sql_query(
        "INSERT INTO audit_events (enterprise_id, partner_id, actor_label, action, target, details, created_at)
         VALUES ($1, $2, '@attacker <a@evil.example>', 'partner.renamed', $3, '{\"from\": \"a\", \"to\": \"b\"}', '2026-11-21 14:05:09+00')",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(partner)
    .bind::<Text, _>(payload)
    .execute(&mut conn)
    .unwrap();
    seed_events(&mut conn, enterprise_id, None, "catalog.product_created", "Product", 3, "2026-11-20 10:00:00+00");
    let other = partner_portal::db::enterprises::insert(&mut conn, "Umbrella", 10).unwrap();
    let theirs = active_partner(&mut conn, other.id, "Umbrella Partner", "umbrella.example");
    seed_events(&mut conn, other.id, Some(theirs), "partner.renamed", "Umbrella secret", 3, "2026-11-21 15:00:00+00");

    let html = page(&app, "/settings/activity").await;
    assert_eq!(html.form("Export CSV").action, "/settings/activity.csv");
    let r = app.get("/settings/activity.csv").await;

    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers()["content-disposition"].to_str().unwrap().to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"activity-") && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = r.text().await.unwrap();
    let expected_first = concat!(
        "when_utc,actor,action,target,partner,details\r\n",
        "2026-11-21T14:05:09Z,'@attacker <a@evil.example>,partner.renamed,",
        "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\"), with \"\"quotes\"\"\nline two\",",
        "\"'-Evil, Inc\",",
        "\"{\"\"from\"\":\"\"a\"\",\"\"to\"\":\"\"b\"\"}\"\r\n",
    );
    assert!(body.starts_with(expected_first), "{body}");
    assert_eq!(body.matches("\r\n").count(), 1 + 1 + 3);
    assert!(body.contains("Product 3") && body.contains("Product 1"));
    assert!(!body.contains("Umbrella"), "nothing of another enterprise");

    // The same filters as the page.
    let filtered = app.get("/settings/activity.csv?action=catalog.product_created").await.text().await.unwrap();
    assert_eq!(filtered.matches("\r\n").count(), 1 + 3);
    let of_partner = app.get(&format!("/settings/partners/{partner}/activity.csv")).await;
    assert!(of_partner.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains(&format!("activity-partner-{partner}-")));
    let of_partner = of_partner.text().await.unwrap();
    assert_eq!(of_partner.matches("\r\n").count(), 1 + 1);
    assert!(of_partner.contains("HYPERLINK") && !of_partner.contains("Product 1"));
}

#[tokio::test]
async fn another_enterprises_activity_is_not_found_and_partner_users_are_refused() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    let other = partner_portal::db::enterprises::insert(&mut conn, "Umbrella", 10).unwrap();
    let theirs = active_partner(&mut conn, other.id, "Umbrella Partner", "umbrella.example");
    seed_events(&mut conn, other.id, Some(theirs), "partner.renamed", "Umbrella secret", 3, "2026-11-21 15:00:00+00");

    for path in [
        format!("/settings/partners/{theirs}/activity"),
        format!("/settings/partners/{theirs}/activity.csv"),
        format!("/settings/activity?partner={theirs}"),
        format!("/settings/activity.csv?partner={theirs}"),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!r.text().await.unwrap().contains("Umbrella secret"));
    }
    assert!(!page(&app, "/settings/activity").await.html.contains("Umbrella"));

    let ours = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .user(UserFixture::admin("ada@globex.example"))
        .create(&app)
        .id;
    let browser = app.browser_of("ada@globex.example").await;
    for path in [
        "/settings/activity".to_string(),
        "/settings/activity.csv".to_string(),
        format!("/settings/partners/{ours}/activity.csv"),
    ] {
        assert_eq!(browser.get(&path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn catalog_changes_appear_in_the_activity_as_sentences() {
    let (app, _) = logged_in().await;
    let r = app
        .submit("/catalog/products/new", "/catalog/products", &[("name", "Payments Hub"), ("description", "")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .submit("/catalog/environments/new", "/catalog/environments", &[("name", "Staging"), ("position", "2")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let html = page(&app, "/settings/activity").await;

    assert_eq!(html.texts("tbody td.cell-main"), ["Created an environment", "Created a product"]);
    assert_eq!(targets(&html), ["Environment Staging", "Product Payments Hub"]);
    let who = &html.texts("tbody td:nth-child(2)")[0];
    assert!(who.starts_with("Erin Admin <erin@acme.example>"), "{who}");
    assert!(who.ends_with("as Enterprise admin of Acme"), "which membership acted: {who}");
    assert_eq!(html.texts("tbody td:nth-child(5)"), ["—", "—"], "not about a partner");
}
#[tokio::test]
async fn the_activity_page_stays_fast_with_10000_events() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let globex = active_partner(&mut conn, enterprise_id, "Globex", "globex.example");
    seed_events(&mut conn, enterprise_id, Some(globex), "partner.renamed", "Renamed", 9_000, "2026-11-21 12:00:00+00");
    seed_events(&mut conn, enterprise_id, None, "catalog.product_created", "Product", 1_000, "2026-11-22 12:00:00+00");
    diesel::sql_query("ANALYZE audit_events").execute(&mut conn).unwrap();
    page(&app, "/settings/activity").await; // warm up

    let mut timings = Vec::new();
    for path in [
        "/settings/activity".to_string(),
        "/settings/activity?page=400".to_string(),
        "/settings/activity?action=catalog.product_created&page=40".to_string(),
        format!("/settings/partners/{globex}/activity?page=360"),
    ] {
        let start = Instant::now();
        let html = page(&app, &path).await;
        timings.push((path, start.elapsed().as_millis()));
        assert!(!targets(&html).is_empty());
    }
    let start = Instant::now();
    let csv = app.get("/settings/activity.csv").await.text().await.unwrap();
    let csv_ms = start.elapsed().as_millis();

    println!("with 10,000 events: {timings:?} ms; the CSV export of all of them took {csv_ms} ms");
    assert_eq!(csv.matches("\r\n").count(), 10_001, "header + every event");
    for (path, ms) in timings {
        assert!(ms < 2_000, "{path} took {ms} ms");
    }
}

/// A partner Admin's own **Activity** (`/partner/activity`, SPEC §15): their partner's events,
/// newest first, paginated and filtered like the enterprise's tab, and nothing about another
/// partner or the enterprise alone, whatever the query says. Members and the enterprise's own
/// team are refused.
#[tokio::test]
async fn a_partner_admin_sees_their_own_partners_activity_and_nothing_else() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .user(UserFixture::admin("ada@globex.example"))
        .user(UserFixture::member("mo@globex.example"))
        .create(&app)
        .id;
    let initech = active_partner(&mut conn, enterprise_id, "Initech", "initech.example");
    seed_events(
        &mut conn,
        enterprise_id,
        Some(globex),
        "partner.renamed",
        "Globex change",
        30,
        "2026-11-21 15:00:00+00",
    );
    seed_events(
        &mut conn,
        enterprise_id,
        Some(initech),
        "partner.renamed",
        "Initech secret",
        3,
        "2026-11-21 16:00:00+00",
    );
    seed_events(
        &mut conn,
        enterprise_id,
        None,
        "enterprise.settings_changed",
        "Enterprise secret",
        2,
        "2026-11-21 16:00:00+00",
    );

    // A change made through the enterprise's forms shows up too.
    let catalog = crate::fixtures::seed_catalog(&mut conn, enterprise_id);
    let product = catalog.products[0].to_string();
    let r = crate::grants::post_confirmed(
        &app,
        &format!("/settings/partners/{globex}/products/add"),
        &[("product", &product)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let ada = app.browser_of("ada@globex.example").await;
    let first = Page::read(ada.get("/partner/activity").await).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.html);
    assert_eq!(first.attr(r#"nav a[href="/partner/activity"]"#, "aria-current").as_deref(), Some("page"));
    let mut expected = vec!["+ Product One".to_string()];
    expected.extend(range("Globex change", 30, 7));
    assert_eq!(targets(&first).len(), 25);
    assert!(first.contains("Changed access"), "the grant made by the enterprise is listed:\n{first}");
    assert_eq!(targets(&first)[0], expected[0], "the reviewed change, newest first");
    assert_eq!(targets(&first)[1..], expected[1..]);
    for secret in ["Initech secret", "Enterprise secret", "Initech"] {
        assert!(!first.contains(secret), "{secret} must not be shown to Globex's Admin");
    }
    let older = href(&first, "Older").expect("an Older link");
    assert_eq!(older, "/partner/activity?page=2");
    let second = Page::read(ada.get(&older).await).await;
    assert_eq!(targets(&second), range("Globex change", 6, 1));

    // Another partner's id in the query changes nothing; the action filter narrows.
    let asked = Page::read(ada.get(&format!("/partner/activity?partner={initech}")).await).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(!asked.contains("Initech secret"));
    let granted = Page::read(ada.get("/partner/activity?action=partner.access_changed").await).await;
    assert_eq!(targets(&granted), ["+ Product One"]);
    let bad = Page::read(ada.get("/partner/activity?from=2026-13-01").await).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.contains("The From date must be a day between 2000 and 9999"));

    // A Member has no such menu entry and is refused; so is the enterprise's own admin.
    let mo = app.browser_of("mo@globex.example").await;
    let catalog_page = Page::read(mo.get("/service-catalog").await).await;
    assert!(!catalog_page.exists(r#"nav a[href="/partner/activity"]"#));
    assert_eq!(mo.get("/partner/activity").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/partner/activity").await.status(), StatusCode::FORBIDDEN);
}
