//! Pages and sorting by plain links on Members (`/members`) and a partner's Users tab: 25 a
//! page with **Previous** / **Next** and "Showing 26–50 of 60 people", headers that sort by
//! name, role and joined both ways with `aria-sort`. (The partners list's pages, sorting and
//! **Show deactivated** switch are tested in `partners_list`.)

use diesel::prelude::*;
use partner_portal::auth::password::hash_sync;
use partner_portal::db::schema;
use partner_portal::domain::{PartnerId, UserRole};
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{member_of, Browser, TestApp, PASSWORD},
    page::Page,
};

/// Globex with Ada (account administrator) and 59 more people: `m00@…` … `m58@…`, named
/// "M00 Tester" …, every third an Admin, joined one minute apart (m00 the longest ago, Ada
/// the newest).
async fn sixty(spawn_as_partner_admin: bool) -> TestApp {
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"));
    let app = if spawn_as_partner_admin {
        TestApp::spawn().logged_in_as_partner_admin(globex).await
    } else {
        TestApp::spawn().logged_in_as_enterprise_admin().with_partner(globex).await
    };
    let partner = app.partner_id();
    let mut conn = app.conn();
    let hash = hash_sync(PASSWORD).unwrap();
    for n in 0..59 {
        let role = if n % 3 == 0 { UserRole::Admin } else { UserRole::Member };
        let email = format!("m{n:02}@globex.example");
        member_of(&mut conn, &email, (&format!("M{n:02}"), "Tester"), &hash, app.enterprise_id(), Some(partner), role);
    }
    diesel::sql_query(
        "UPDATE memberships m SET created_at = now() - make_interval(mins => 100 - substr(u.email, 2, 2)::int)
           FROM users u WHERE u.id = m.user_id AND m.partner_id = $1 AND u.email LIKE 'm__@globex.example'",
    )
    .bind::<diesel::sql_types::BigInt, _>(partner)
    .execute(&mut conn)
    .unwrap();
    app
}

fn emails(page: &Page, table: &str) -> Vec<String> {
    page.rows_of(table).into_iter().map(|r| r[1].clone()).collect()
}

fn showing(page: &Page) -> String {
    page.text("#showing").unwrap_or_default()
}

async fn follow(browser: &Browser, page: &Page, text: &str) -> Page {
    let href = page.link("nav.pagination a, thead th a", text).unwrap_or_else(|| panic!("no {text} link"));
    browser.page(&href).await
}

#[tokio::test]
async fn sixty_members_are_shown_25_a_page_with_previous_and_next() {
    let app = sixty(true).await;

    let first = app.page("/members").await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.rows_of("#members").len(), 25);
    assert_eq!(showing(&first), "Showing 1–25 of 60 people · page 1 of 3");
    assert!(first.link("nav.pagination a", "Previous").is_none());
    assert_eq!(emails(&first, "#members")[0], "ada@globex.example", "by name, A–Z");
    let second = follow(&app.browser, &first, "Next").await;
    assert_eq!(second.rows_of("#members").len(), 25);
    assert_eq!(showing(&second), "Showing 26–50 of 60 people · page 2 of 3");
    let third = follow(&app.browser, &second, "Next").await;
    assert_eq!(third.rows_of("#members").len(), 10);
    assert_eq!(showing(&third), "Showing 51–60 of 60 people · page 3 of 3");
    assert!(third.link("nav.pagination a", "Next").is_none());
    assert_eq!(emails(&third, "#members").last().map(String::as_str), Some("m58@globex.example"));
    let back = follow(&app.browser, &third, "Previous").await;
    assert_eq!(emails(&back, "#members"), emails(&second, "#members"));
    let mut all: Vec<String> = [&first, &second, &third].iter().flat_map(|p| emails(p, "#members")).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 60, "every person once");
}

#[tokio::test]
async fn members_sort_by_name_role_and_joined_both_ways() {
    let app = sixty(true).await;
    let home = app.page("/members").await;
    assert_eq!(home.attr("th[aria-sort]", "aria-sort").as_deref(), Some("ascending"));
    assert_eq!(home.text("th[aria-sort] a").as_deref(), Some("Name"), "the arrow is not in the name");

    let by_name_desc = follow(&app.browser, &home, "Name").await;
    assert_eq!(by_name_desc.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"));
    assert_eq!(emails(&by_name_desc, "#members")[0], "m58@globex.example");

    let by_role = follow(&app.browser, &home, "Role").await;
    assert_eq!(by_role.attr("th[aria-sort] a", "href").as_deref(), Some("/members?sort=role&dir=desc"));
    assert_eq!(by_role.attr("th[aria-sort]", "aria-sort").as_deref(), Some("ascending"));
    let roles: Vec<String> = by_role.rows_of("#members").into_iter().map(|r| r[2].clone()).collect();
    assert!(roles.iter().take(21).all(|r| r == "Admin"), "Ada and m00, m03 … m57 (21 Admins) first: {roles:?}");
    assert!(roles.iter().skip(21).all(|r| r == "Member"), "{roles:?}");
    let by_role_desc = follow(&app.browser, &by_role, "Role").await;
    assert_eq!(by_role_desc.rows_of("#members")[0][2], "Member");
    assert_eq!(by_role_desc.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"));

    let newest = follow(&app.browser, &home, "Joined").await;
    assert_eq!(newest.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"), "newest first");
    assert_eq!(&emails(&newest, "#members")[..2], ["ada@globex.example", "m58@globex.example"]);
    let page2 = follow(&app.browser, &newest, "Next").await;
    assert_eq!(page2.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"), "Next keeps the sort");
    assert_eq!(emails(&page2, "#members")[0], "m34@globex.example");
    let oldest = follow(&app.browser, &newest, "Joined").await;
    assert_eq!(oldest.attr("th[aria-sort]", "aria-sort").as_deref(), Some("ascending"));
    assert_eq!(emails(&oldest, "#members")[0], "m00@globex.example");
}

#[tokio::test]
async fn a_bad_sort_is_a_400_and_a_page_past_the_end_is_the_last_page() {
    let app = sixty(true).await;
    for bad in ["?sort=email", "?dir=up", "?page=0", "?page=x"] {
        assert_eq!(app.get(&format!("/members{bad}")).await.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let past = app.page("/members?page=9").await;
    assert_eq!(past.status, StatusCode::OK);
    assert_eq!(showing(&past), "Showing 51–60 of 60 people · page 3 of 3");
}

fn end_membership(app: &TestApp, partner: PartnerId, email: &str) {
    use schema::{memberships::dsl as m, users::dsl as u};
    let user: i64 = u::users.filter(u::email.eq(email)).select(u::id).first(&mut app.conn()).unwrap();
    diesel::update(m::memberships.filter(m::partner_id.eq(partner)).filter(m::user_id.eq(user)))
        .set(m::ended_at.eq(diesel::dsl::now))
        .execute(&mut app.conn())
        .unwrap();
}

#[tokio::test]
async fn the_users_tab_pages_and_sorts_the_same_way_and_shows_removed_people() {
    let app = sixty(false).await;
    let id = app.partner_id();
    end_membership(&app, id, "m01@globex.example");
    let base = format!("/settings/partners/{id}/users");

    let first = app.page(&base).await;

    assert_eq!(first.rows_of("#users").len(), 25);
    assert_eq!(showing(&first), "Showing 1–25 of 60 people · page 1 of 3");
    let third = follow(&app.browser, &follow(&app.browser, &first, "Next").await, "Next").await;
    assert_eq!(third.rows_of("#users").len(), 10);
    let since = follow(&app.browser, &first, "Since").await;
    assert_eq!(since.attr("th[aria-sort]", "aria-sort").as_deref(), Some("descending"));
    let oldest = follow(&app.browser, &since, "Since").await;
    let top = &oldest.rows_of("#users")[..2];
    assert_eq!(top[0][1], "m00@globex.example");
    assert!(top[1][0].contains("Disabled"), "a removed person is listed, marked: {top:?}");
    let by_role = app.page(&format!("{base}?sort=role&dir=desc&page=3")).await;
    assert_eq!(showing(&by_role), "Showing 51–60 of 60 people · page 3 of 3");
    assert!(by_role.rows_of("#users").iter().all(|r| r[2] == "Admin"));
    assert_eq!(
        by_role.link("nav.pagination a", "Previous").as_deref(),
        Some(format!("{base}?sort=role&dir=desc&page=2").as_str())
    );
}
