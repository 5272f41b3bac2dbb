//! Settings → Partners: the list, its search and filter, the usage meter and the limit.

use partner_portal::db::instrumentation;
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::{
    fixtures::{seed_complete_draft, seed_invitation, seed_partner, seed_partner_user, seed_partners},
    helpers::{location, TestApp, PASSWORD},
};

const ADMIN: &str = "erin@acme.example";

async fn logged_in() -> (TestApp, i64, i64) {
    let app = TestApp::spawn().await;
    let (enterprise_id, user_id) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    (app, enterprise_id, user_id)
}

async fn list(app: &TestApp, query: &str) -> String {
    let (status, html) = app.get_html(&format!("/settings/partners{query}")).await;
    assert_eq!(status, StatusCode::OK);
    html
}

/// The names in the table, in order.
fn listed_names(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse("table tbody td.cell-main a").unwrap();
    doc.select(&sel).map(|e| e.text().collect::<String>().trim().to_string()).collect()
}

/// The Register partners button (it must be there on every list page).
fn register_button(html: &str) -> (bool, String) {
    let doc = Html::parse_document(html);
    let form =
        Selector::parse(r#"form[method="post"][action="/settings/partners/drafts"] button[type="submit"]"#).unwrap();
    let button = doc.select(&form).next().unwrap_or_else(|| panic!("no Register partners form:\n{html}"));
    (button.value().attr("disabled").is_some(), button.text().collect::<String>().trim().to_string())
}

#[tokio::test]
async fn the_list_shows_each_partners_name_domains_administrator_status_and_the_meter() {
    let (app, enterprise_id, _) = logged_in().await;
    let mut conn = app.conn();
    let globex = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com", "globex.io"], "active");
    seed_partner(&mut conn, enterprise_id, "Initech", &["initech.example"], "invited");
    seed_partner(&mut conn, enterprise_id, "Umbrella", &["umbrella.example"], "deactivated");
    seed_invitation(&mut conn, enterprise_id, globex, "ana@globex.com", true);

    let html = list(&app, "").await;

    assert_eq!(listed_names(&html), ["Initech", "Globex", "Umbrella"], "newest first, deactivated last");
    assert!(html.contains(">globex.com</span>") && html.contains(">globex.io</span>"), "domains are listed");
    assert!(html.contains("ana@globex.com") && html.contains("Ana Lima"), "the administrator is named");
    assert!(html.contains("Invitation pending"));
    assert!(html.contains(r#"<span class="badge badge-active">Active</span>"#));
    assert!(html.contains(r#"<span class="badge badge-invited">Invited</span>"#));
    assert!(html.contains(r#"<span class="badge badge-deactivated">Deactivated</span>"#));
    assert!(html.contains("2 of 10 partners registered"), "the deactivated partner does not count");
    assert!(
        html.contains(r#"<span class="avatar avatar-sm" aria-hidden="true">GL</span>"#),
        "initials stand in for a logo"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(html.contains(&today), "registration date");
    let (disabled, text) = register_button(&html);
    assert_eq!((disabled, text.as_str()), (false, "Register partners"));
}

#[tokio::test]
async fn search_by_name_or_domain_and_the_status_filter_narrow_the_list() {
    let (app, enterprise_id, _) = logged_in().await;
    let mut conn = app.conn();
    seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com"], "active");
    seed_partner(&mut conn, enterprise_id, "Initech", &["initech.example", "initrode.example"], "invited");
    seed_partner(&mut conn, enterprise_id, "Umbrella", &["umbrella.example"], "deactivated");

    assert_eq!(listed_names(&list(&app, "?q=glob").await), ["Globex"], "by name, any case");
    assert_eq!(listed_names(&list(&app, "?q=INITRODE.example").await), ["Initech"], "by domain");
    assert_eq!(listed_names(&list(&app, "?q=&status=deactivated").await), ["Umbrella"]);
    assert_eq!(listed_names(&list(&app, "?q=example&status=invited").await), ["Initech"]);
    assert_eq!(listed_names(&list(&app, "?q=%25").await), Vec::<String>::new(), "% is matched literally");
    assert_eq!(listed_names(&list(&app, "?status=bogus").await).len(), 3, "an unknown status shows all");

    let html = list(&app, "?q=glob&status=active").await;
    let doc = Html::parse_document(&html);
    let search = Selector::parse(r#"form[method="get"] input[type="search"][name="q"][value="glob"]"#).unwrap();
    assert!(doc.select(&search).next().is_some(), "the search is kept in the form");
    assert!(
        html.contains(r#"<label for="q">Search</label>"#) && html.contains(r#"<label for="status">Status</label>"#)
    );
    assert!(html.contains(r#"<option value="active" selected>"#));
}

#[tokio::test]
async fn the_empty_states_say_what_is_going_on() {
    let (app, enterprise_id, _) = logged_in().await;

    let html = list(&app, "").await;
    assert!(html.contains("No partners yet"));
    assert!(html.contains("0 of 10 partners registered"));

    seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "active");
    let html = list(&app, "?q=nothing-like-this").await;
    assert!(html.contains("No partners match your search."));
    assert!(html.contains(r#"<a href="/settings/partners">Clear filters</a>"#));
    assert!(!html.contains("No partners yet"));
}

#[tokio::test]
async fn the_list_runs_the_same_number_of_statements_with_1_and_with_10_partners() {
    instrumentation::enable();
    let (app, enterprise_id, _) = logged_in().await;
    let mut conn = app.conn();
    seed_partners(&mut conn, enterprise_id, 1);
    list(&app, "").await; // warm up: every connection the page needs is open

    let before = instrumentation::statements(&app.db.name);
    let html = list(&app, "").await;
    let with_one = instrumentation::statements(&app.db.name) - before;
    assert_eq!(listed_names(&html).len(), 1);

    for i in 2..=9 {
        seed_partner(
            &mut conn,
            enterprise_id,
            &format!("More {i}"),
            &[&format!("m{i}.example"), &format!("n{i}.example")],
            "active",
        );
    }
    let last = seed_partner(&mut conn, enterprise_id, "Logo Ltd", &["logo.example"], "invited");
    seed_invitation(&mut conn, enterprise_id, last, "ana@logo.example", true);
    partner_portal::db::partners::set_logo(
        &mut conn,
        last,
        "image/png",
        &partner_portal::domain::sample_png(8, 8),
        8,
        8,
    )
    .unwrap();
    let before = instrumentation::statements(&app.db.name);
    let html = list(&app, "?status=all").await;
    let with_ten = instrumentation::statements(&app.db.name) - before;

    println!("Settings → Partners ran {with_one} SQL statements with 1 partner and {with_ten} with 10");
    assert_eq!(listed_names(&html).len(), 10);
    assert!(html.contains(&format!(r#"<img class="avatar avatar-sm" src="/settings/partners/{last}/logo?v="#)));
    assert_eq!(with_one, with_ten);
    assert!(with_one <= 5, "session + list + meter + draft, got {with_one}");
}

#[tokio::test]
async fn at_the_limit_register_partners_is_disabled_with_an_explanation() {
    let (app, enterprise_id, _) = logged_in().await;
    seed_partners(&mut app.conn(), enterprise_id, 10);

    let html = list(&app, "").await;

    let (disabled, text) = register_button(&html);
    assert!(disabled, "the button is disabled at 10 of 10");
    assert_eq!(text, "Register partners");
    assert!(html.contains("10 of 10 partners registered. Deactivate a partner to register another."));
}

#[tokio::test]
async fn a_deactivated_partner_does_not_count_toward_the_limit() {
    let (app, enterprise_id, _) = logged_in().await;
    let mut conn = app.conn();
    seed_partners(&mut conn, enterprise_id, 9);
    seed_partner(&mut conn, enterprise_id, "Gone Ltd", &["gone.example"], "deactivated");

    let html = list(&app, "").await;

    assert!(!register_button(&html).0, "the button is enabled");
    assert!(html.contains("9 of 10 partners registered"));
    assert!(!html.contains("Deactivate a partner to register another."));
    assert_eq!(listed_names(&html).len(), 10, "the deactivated partner is still listed");
}

#[tokio::test]
async fn an_unfinished_registration_is_offered_again() {
    let (app, enterprise_id, user_id) = logged_in().await;
    let draft = seed_complete_draft(&mut app.conn(), enterprise_id, user_id, "Hooli", "hooli.example");

    let html = list(&app, "").await;

    assert!(html.contains("You have an unfinished registration for Hooli."));
    assert!(html.contains(&format!(r#"<a href="/settings/partners/drafts/{draft}/info">Continue registration</a>"#)));
}

#[tokio::test]
async fn a_partner_user_is_not_allowed_on_the_list_or_a_partner_page() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let partner = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "active");
    seed_partner_user(&mut app.conn(), enterprise_id, partner, "paula@globex.com", "member");
    assert_eq!(location(&app.login("paula@globex.com", PASSWORD).await), "/service-catalog");

    assert_eq!(app.get("/settings/partners").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/settings/partners/{partner}")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&format!("/settings/partners/{partner}/logo")).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_log_in() {
    let app = TestApp::spawn().await;
    assert_eq!(location(&app.get("/settings/partners").await), "/login");
    assert_eq!(location(&app.get("/settings/partners/1").await), "/login");
}
