//! Settings → Partners: the list, its search and filter, pages, sorting, the Show deactivated
//! switch, the usage meter and the limit.

use diesel::prelude::*;
use partner_portal::db::{instrumentation, schema::enterprises};
use partner_portal::domain::{EnterpriseId, UserId, UserRole};
use reqwest::StatusCode;

use crate::{
    fixtures::{seed_complete_draft, seed_partners, InvitationFixture, PartnerFixture, UserFixture},
    helpers::{location, seed_team_member, TestApp, PASSWORD},
    page::Page,
};

async fn logged_in() -> (TestApp, EnterpriseId, UserId) {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let (enterprise_id, user_id) = (app.enterprise_id(), app.admin_id());
    (app, enterprise_id, user_id)
}

async fn list(app: &TestApp, query: &str) -> Page {
    let page = app.page(&format!("/settings/partners{query}")).await;
    assert_eq!(page.status, StatusCode::OK);
    page
}

/// The names in the table, in order.
fn listed_names(page: &Page) -> Vec<String> {
    page.texts("table tbody td.cell-main a")
}

/// The Register partners button (it must be there on every list page).
fn register_button(page: &Page) -> (bool, String) {
    let button = r#"form[method="post"][action="/settings/partners/drafts"] button[type="submit"]"#;
    let text = page.text(button).unwrap_or_else(|| panic!("no Register partners form:\n{page}"));
    (page.exists(&format!("{button}[disabled]")), text)
}

#[tokio::test]
async fn the_list_shows_each_partners_name_domains_administrator_status_and_the_meter() {
    let (app, _, _) = logged_in().await;
    let globex = PartnerFixture::new("Globex").domains(["globex.com", "globex.io"]).active().create(&app).id;
    PartnerFixture::new("Initech").domains(["initech.example"]).create(&app);
    PartnerFixture::new("Umbrella").domains(["umbrella.example"]).deactivated().create(&app);
    InvitationFixture::new(globex, "ana@globex.com").for_account_admin(true).create(&app);

    let html = list(&app, "?show_deactivated=1").await;

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
    // In the enterprise's time zone (UTC unless set), as "6 Dec 2026".
    let today = chrono::Utc::now().format("%-d %b %Y").to_string();
    assert!(html.contains(&today), "registration date");
    let (disabled, text) = register_button(&html);
    assert_eq!((disabled, text.as_str()), (false, "Register partners"));
}

#[tokio::test]
async fn search_by_name_or_domain_and_the_status_filter_narrow_the_list() {
    let (app, _, _) = logged_in().await;
    PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app);
    PartnerFixture::new("Initech").domains(["initech.example", "initrode.example"]).create(&app);
    PartnerFixture::new("Umbrella").domains(["umbrella.example"]).deactivated().create(&app);

    assert_eq!(listed_names(&list(&app, "?q=glob").await), ["Globex"], "by name, any case");
    assert_eq!(listed_names(&list(&app, "?q=INITRODE.example").await), ["Initech"], "by domain");
    assert_eq!(listed_names(&list(&app, "?q=&status=deactivated").await), ["Umbrella"]);
    assert_eq!(listed_names(&list(&app, "?q=example&status=invited").await), ["Initech"]);
    assert_eq!(listed_names(&list(&app, "?q=%25").await), Vec::<String>::new(), "% is matched literally");
    assert_eq!(
        listed_names(&list(&app, "?status=bogus").await),
        ["Initech", "Globex"],
        "an unknown status shows every status (deactivated ones hidden, as without a filter)"
    );
    assert_eq!(listed_names(&list(&app, "?status=bogus&show_deactivated=1").await).len(), 3);

    let html = list(&app, "?q=glob&status=active").await;
    let search = r#"form[method="get"] input[type="search"][name="q"][value="glob"]"#;
    assert!(html.exists(search), "the search is kept in the form");
    assert!(
        html.contains(r#"<label for="q">Search</label>"#) && html.contains(r#"<label for="status">Status</label>"#)
    );
    assert!(html.contains(r#"<option value="active" selected>"#));
}

#[tokio::test]
async fn the_empty_states_say_what_is_going_on() {
    let (app, _, _) = logged_in().await;

    let html = list(&app, "").await;
    assert!(html.contains("No partners yet"));
    assert!(html.contains("0 of 10 partners registered"));

    PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app);
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
        PartnerFixture::new(&format!("More {i}"))
            .domains([&format!("m{i}.example"), &format!("n{i}.example")])
            .active()
            .create(&app);
    }
    let last = PartnerFixture::new("Logo Ltd").domains(["logo.example"]).create(&app).id;
    InvitationFixture::new(last, "ana@logo.example").for_account_admin(true).create(&app);
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
    PartnerFixture::new("Gone Ltd").domains(["gone.example"]).deactivated().create(&app);

    let html = list(&app, "").await;

    assert!(!register_button(&html).0, "the button is enabled");
    assert!(html.contains("9 of 10 partners registered"));
    assert!(!html.contains("Deactivate a partner to register another."));
    assert_eq!(listed_names(&html).len(), 9, "the deactivated partner is hidden by default");
    let html = list(&app, "?show_deactivated=1").await;
    assert_eq!(listed_names(&html).len(), 10, "the deactivated partner is still listed");
    assert!(html.contains("9 of 10 partners registered"));
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
    let app = TestApp::spawn().with_partner(PartnerFixture::new("Globex").domains(["globex.com"]).active()).await;
    let partner = app.partner_id();
    UserFixture::member("paula@globex.com").create(&app, partner);
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

/// An enterprise whose limit was raised to 100, with "Partner 1" … "Partner 60" (60 the newest).
async fn sixty_partners() -> (TestApp, EnterpriseId) {
    let (app, enterprise_id, _) = logged_in().await;
    let mut conn = app.conn();
    diesel::update(enterprises::table.find(enterprise_id))
        .set(enterprises::partner_limit.eq(100))
        .execute(&mut conn)
        .unwrap();
    seed_partners(&mut conn, enterprise_id, 60);
    (app, enterprise_id)
}

fn showing(page: &Page) -> String {
    page.text("#showing").unwrap_or_else(|| panic!("no Showing line:\n{page}"))
}

/// Follows the pagination link reading `text` (Previous or Next).
async fn follow(app: &TestApp, page: &Page, text: &str) -> Page {
    let href = page.link("nav[aria-label=\"Pagination\"] a", text).unwrap_or_else(|| panic!("no {text} link:\n{page}"));
    list(app, href.trim_start_matches("/settings/partners")).await
}

#[tokio::test]
async fn sixty_partners_are_shown_25_a_page_with_previous_and_next_links() {
    let (app, _) = sixty_partners().await;

    let first = list(&app, "").await;
    assert_eq!(listed_names(&first).len(), 25);
    assert_eq!(listed_names(&first)[0], "Partner 60", "newest first, as before pages");
    assert_eq!(showing(&first), "Showing 1–25 of 60 partners · page 1 of 3");
    assert!(first.link("nav a", "Previous").is_none(), "no Previous on page 1");
    assert!(first.contains("60 of 100 partners registered"), "the meter counts every partner, not the page");

    let second = follow(&app, &first, "Next").await;
    assert_eq!(showing(&second), "Showing 26–50 of 60 partners · page 2 of 3");
    assert_eq!(listed_names(&second)[0], "Partner 35");
    let third = follow(&app, &second, "Next").await;
    assert_eq!(showing(&third), "Showing 51–60 of 60 partners · page 3 of 3");
    assert_eq!(listed_names(&third), (1..=10).rev().map(|i| format!("Partner {i}")).collect::<Vec<_>>());
    assert!(third.link("nav a", "Next").is_none(), "no Next on the last page");
    assert_eq!(showing(&follow(&app, &third, "Previous").await), showing(&second));

    let mut seen: Vec<String> = [&first, &second, &third].iter().flat_map(|p| listed_names(p)).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 60, "every partner on exactly one page");
}

#[tokio::test]
async fn the_column_headers_sort_by_name_both_ways_and_say_which_is_sorted() {
    let (app, _) = sixty_partners().await;
    let mut by_name: Vec<String> = (1..=60).map(|i| format!("Partner {i}")).collect();
    by_name.sort_by_key(|n| n.to_lowercase());

    let home = list(&app, "").await;
    assert_eq!(home.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"), "registered, newest first");
    let href = home.link("thead th a", "Partner name").expect("a Partner name header link");
    assert_eq!(href, "/settings/partners?sort=name&dir=asc");

    let mut ascending = list(&app, "?sort=name&dir=asc").await;
    assert_eq!(ascending.attr("th[aria-sort] a", "href").as_deref(), Some("/settings/partners?sort=name&dir=desc"));
    assert_eq!(ascending.attr("th[aria-sort]", "aria-sort").as_deref(), Some("ascending"));
    assert_eq!(ascending.text("th[aria-sort] a").as_deref(), Some("Partner name"), "the arrow is not in the name");
    let mut names = listed_names(&ascending);
    while ascending.link("nav a", "Next").is_some() {
        ascending = follow(&app, &ascending, "Next").await;
        names.extend(listed_names(&ascending));
    }
    assert_eq!(names, by_name, "A to Z across the pages, the sort kept by Next");

    let descending = list(&app, "?sort=name&dir=desc").await;
    by_name.reverse();
    assert_eq!(listed_names(&descending), by_name[..25]);
    assert_eq!(descending.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"));
}

#[tokio::test]
async fn deactivated_and_declined_partners_are_hidden_until_show_deactivated_is_ticked() {
    let (app, _, _) = logged_in().await;
    PartnerFixture::new("Umbrella").domains(["umbrella.example"]).deactivated().create(&app);
    PartnerFixture::new("Declined Co").domains(["declined.example"]).status("declined").create(&app);
    PartnerFixture::new("Globex").domains(["globex.com"]).active().create(&app);
    PartnerFixture::new("Initech").domains(["initech.example"]).create(&app);

    let html = list(&app, "").await;
    assert_eq!(listed_names(&html), ["Initech", "Globex"]);
    assert_eq!(showing(&html), "Showing 1–2 of 2 partners");
    assert!(html.exists(r#"input[type="checkbox"][name="show_deactivated"]:not([checked])"#));
    assert!(html.contains(r#"<label for="show_deactivated">Show deactivated</label>"#));

    let form = html.form("Filter").set("show_deactivated", "1");
    let shown = Page::read(form.submit(&app.browser).await).await;
    assert_eq!(listed_names(&shown), ["Initech", "Globex", "Declined Co", "Umbrella"], "live ones first");
    assert!(shown.exists(r#"input[name="show_deactivated"][checked]"#), "the switch stays on");
    let sorted = list(&app, "?show_deactivated=1&sort=name&dir=asc").await;
    assert_eq!(listed_names(&sorted), ["Globex", "Initech", "Declined Co", "Umbrella"], "live ones first, sorted");
    assert!(sorted.link("thead th a", "Status").unwrap().contains("show_deactivated=1"), "headers keep the switch");
    for (query, expected) in [
        ("sort=status&dir=asc", ["Globex", "Initech", "Umbrella", "Declined Co"]),
        ("sort=status&dir=desc", ["Initech", "Globex", "Declined Co", "Umbrella"]),
        ("sort=created&dir=asc", ["Globex", "Initech", "Umbrella", "Declined Co"]),
        ("sort=name&dir=desc", ["Initech", "Globex", "Umbrella", "Declined Co"]),
    ] {
        assert_eq!(listed_names(&list(&app, &format!("?show_deactivated=1&{query}")).await), expected, "{query}");
    }
}

#[tokio::test]
async fn a_bad_page_or_sort_is_a_400_saying_so_and_a_page_past_the_end_is_the_last_page() {
    let (app, _) = sixty_partners().await;

    for query in ["?page=abc", "?page=0", "?page=-1", "?sort=id", "?sort=name&dir=up"] {
        let page = app.page(&format!("/settings/partners{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(
            page.contains("The page number must be a whole number from 1")
                || page.contains("sorted by name, status or created")
                || page.contains("The sort direction must be asc or desc"),
            "{query}: {page}"
        );
    }
    for past in ["?page=4", "?page=99999999999999999999"] {
        let html = list(&app, past).await;
        assert_eq!(showing(&html), "Showing 51–60 of 60 partners · page 3 of 3", "{past}");
    }
    assert_eq!(showing(&list(&app, "?page=").await), "Showing 1–25 of 60 partners · page 1 of 3");
}

#[tokio::test]
async fn a_viewer_sees_the_same_pages() {
    let (app, enterprise_id) = sixty_partners().await;
    seed_team_member(&app, enterprise_id, "vic@acme.example", UserRole::Viewer);
    let viewer = app.browser_of("vic@acme.example").await;

    for query in ["", "?page=2", "?sort=name&dir=desc&page=3"] {
        let theirs = viewer.page(&format!("/settings/partners{query}")).await;
        let admins = list(&app, query).await;
        assert_eq!(theirs.status, StatusCode::OK);
        assert_eq!(listed_names(&theirs), listed_names(&admins), "{query}");
        assert_eq!(showing(&theirs), showing(&admins));
    }
}

/// How many partners are in each status, by status (statuses with none left out).
type StatusCounts = Vec<(String, i64)>;

/// The statuses' counts, as `partner_status_counts` keeps them and as counting the partners
/// gives them.
fn kept_and_counted(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> (StatusCounts, StatusCounts) {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let read = |conn: &mut PgConnection, sql: &str| -> StatusCounts {
        let rows: Vec<Count> = diesel::sql_query(sql).bind::<BigInt, _>(enterprise_id).load(conn).unwrap();
        rows.into_iter().map(|c| (c.status, c.n)).collect()
    };
    (
        read(conn, "SELECT status, n FROM partner_status_counts WHERE enterprise_id = $1 AND n > 0 ORDER BY status"),
        read(
            conn,
            "SELECT status, count(*) AS n FROM partners WHERE enterprise_id = $1 GROUP BY status ORDER BY status",
        ),
    )
}

/// The meter and "Showing … of N" read counts kept per status by triggers: they follow a
/// deactivation through the portal, and changes of many partners in one statement made straight
/// in the database, in each status filter.
#[tokio::test]
async fn the_meter_and_the_counts_follow_status_changes_made_anywhere() {
    let (app, enterprise_id) = sixty_partners().await;
    let mut conn = app.conn();
    let gone = PartnerFixture::new("Gone Ltd").domains(["gone.example"]).create(&app).id;
    assert!(list(&app, "").await.contains("61 of 100 partners registered"));

    let r =
        crate::grants::post(&app, &format!("/settings/partners/{gone}/deactivate"), &[("confirm_name", "Gone Ltd")])
            .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "deactivated through the portal");
    let html = list(&app, "").await;
    assert!(html.contains("60 of 100 partners registered"), "the deactivated partner no longer counts");
    assert_eq!(showing(&html), "Showing 1–25 of 60 partners · page 1 of 3");
    assert_eq!(showing(&list(&app, "?status=deactivated").await), "Showing 1–1 of 1 partner");
    assert_eq!(showing(&list(&app, "?show_deactivated=1").await), "Showing 1–25 of 61 partners · page 1 of 3");

    // One statement changing ten partners, another declining five of them: counted per statement.
    diesel::sql_query(
        "UPDATE partners SET status = 'active' WHERE enterprise_id = $1 AND name IN \
         ('Partner 1', 'Partner 2', 'Partner 3', 'Partner 4', 'Partner 5', \
          'Partner 6', 'Partner 7', 'Partner 8', 'Partner 9', 'Partner 10')",
    )
    .bind::<diesel::sql_types::BigInt, _>(enterprise_id)
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "UPDATE partners SET status = 'declined' WHERE enterprise_id = $1 AND name IN \
         ('Partner 6', 'Partner 7', 'Partner 8', 'Partner 9', 'Partner 10')",
    )
    .bind::<diesel::sql_types::BigInt, _>(enterprise_id)
    .execute(&mut conn)
    .unwrap();
    let (kept, counted) = kept_and_counted(&mut conn, enterprise_id);
    assert_eq!(kept, counted);
    assert_eq!(kept.iter().map(|(_, n)| n).sum::<i64>(), 61);
    let html = list(&app, "").await;
    assert!(html.contains("55 of 100 partners registered"), "declined partners do not count");
    assert_eq!(showing(&list(&app, "?status=active").await), "Showing 1–5 of 5 partners");
    assert_eq!(showing(&list(&app, "?status=declined").await), "Showing 1–5 of 5 partners");
    // A search still counts what it matches (a deactivated partner only when they are shown).
    assert_eq!(showing(&list(&app, "?q=gone&show_deactivated=1").await), "Showing 1–1 of 1 partner");
    assert_eq!(showing(&list(&app, "?q=partner%202").await), "Showing 1–11 of 11 partners");
}

/// A group of the enterprise, made directly; its id.
fn insert_group(app: &TestApp, enterprise_id: EnterpriseId, name: &str) -> i64 {
    use partner_portal::db::schema::partner_groups::dsl as g;
    diesel::insert_into(g::partner_groups)
        .values((g::enterprise_id.eq(enterprise_id), g::name.eq(name), g::description.eq("")))
        .returning(g::id)
        .get_result(&mut app.conn())
        .unwrap()
}

fn put_in_group(app: &TestApp, partners: &[partner_portal::domain::PartnerId], group: i64) {
    use partner_portal::db::schema::partners::dsl as p;
    diesel::update(p::partners.filter(p::id.eq_any(partners)))
        .set(p::group_id.eq(group))
        .execute(&mut app.conn())
        .unwrap();
}

#[tokio::test]
async fn the_group_filter_narrows_the_list_and_its_pages_and_keeps_the_other_filters() {
    instrumentation::enable();
    let (app, enterprise_id, _) = logged_in().await;
    let mut conn = app.conn();
    diesel::update(enterprises::table.find(enterprise_id))
        .set(enterprises::partner_limit.eq(100))
        .execute(&mut conn)
        .unwrap();
    let ids = seed_partners(&mut conn, enterprise_id, 40);
    let resellers = insert_group(&app, enterprise_id, "Resellers");
    insert_group(&app, enterprise_id, "Agencies");
    put_in_group(&app, &ids[..30], resellers);
    // Another enterprise's group (and partner) is never listed through the filter.
    let (other, _) = app.create_enterprise_admin("Other Corp", "olga@other.example", PASSWORD);
    let theirs = insert_group(&app, other, "Theirs");
    let foreign = PartnerFixture::new("Foreign").domains(["foreign.example"]).enterprise(other).create(&app).id;
    put_in_group(&app, &[foreign], theirs);

    let home = list(&app, "").await;
    assert_eq!(home.text(r#"label[for="group"]"#).as_deref(), Some("Group"));
    assert_eq!(home.texts("#group option"), ["All groups", "Partners", "Agencies", "Resellers"], "the default first");
    assert_eq!(showing(&home), "Showing 1–25 of 40 partners · page 1 of 2");

    let before = instrumentation::statements(&app.db.name);
    let first = list(&app, &format!("?group={resellers}")).await;
    let statements = instrumentation::statements(&app.db.name) - before;
    let unfiltered_before = instrumentation::statements(&app.db.name);
    list(&app, "").await;
    let unfiltered = instrumentation::statements(&app.db.name) - unfiltered_before;
    assert_eq!(statements, unfiltered, "the filter and its choices come with the list's one statement");
    assert_eq!(showing(&first), "Showing 1–25 of 30 partners · page 1 of 2", "counts follow the filter");
    assert_eq!(first.attr("#group option[selected]", "value"), Some(resellers.to_string()));
    assert_eq!(listed_names(&first)[0], "Partner 30", "newest of the group first");
    let second = follow(&app, &first, "Next").await;
    assert_eq!(showing(&second), "Showing 26–30 of 30 partners · page 2 of 2", "Next keeps the group");
    assert_eq!(listed_names(&second), (1..=5).rev().map(|i| format!("Partner {i}")).collect::<Vec<_>>());

    // With the sort, a status and a search: all kept together.
    let sorted = list(&app, &format!("?group={resellers}&sort=name&dir=asc")).await;
    let next = sorted.link("nav a", "Next").unwrap();
    assert_eq!(next, format!("/settings/partners?group={resellers}&sort=name&dir=asc&page=2"));
    let searched = list(&app, &format!("?group={resellers}&q=partner+3&status=invited")).await;
    assert_eq!(listed_names(&searched), ["Partner 30", "Partner 3"], "Partner 31…40 are in Partners");
    assert_eq!(showing(&searched), "Showing 1–2 of 2 partners");
    let rest = list(&app, "?group=all&q=partner+3").await;
    assert_eq!(listed_names(&rest).len(), 11, "all groups: Partner 3 and 30–39");

    // Another enterprise's group lets nothing through; a word is not a group.
    let foreign_group = list(&app, &format!("?group={theirs}")).await;
    assert!(listed_names(&foreign_group).is_empty());
    assert!(foreign_group.contains("No partners match your search."));
    assert_eq!(app.get("/settings/partners?group=resellers").await.status(), StatusCode::BAD_REQUEST);
}
