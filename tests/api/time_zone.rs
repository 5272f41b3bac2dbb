//! The enterprise's time zone (SPEC §17): Settings → Enterprise settings → Time zone, set by
//! Enterprise admins only and audited; times shown in it with the zone named (Activity, the
//! partner's own pages); the Activity *From*/*To* filter as whole days in that zone, on the
//! pages and in the CSV export, whose times stay UTC, with a byte order mark only when asked.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Nullable, Text},
};
use partner_portal::{
    db::schema::enterprises,
    domain::{EnterpriseId, PartnerId, UserRole},
};
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{seed_team_member, TestApp},
    page::Page,
};

const SETTINGS: &str = "/settings/enterprise";
const VIEWER: &str = "vic@acme.example";

/// One event targeted `target` at `at` (an ISO 8601 instant).
fn event_at(conn: &mut PgConnection, enterprise_id: EnterpriseId, partner: Option<PartnerId>, target: &str, at: &str) {
    diesel::sql_query(
        "INSERT INTO audit_events (enterprise_id, partner_id, actor_label, action, target, details, created_at)
         VALUES ($1, $2, 'Erin Admin <erin@acme.example>', 'partner.renamed', $3, '{}', $4::timestamptz)",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<Nullable<BigInt>, _>(partner)
    .bind::<Text, _>(target)
    .bind::<Text, _>(at)
    .execute(conn)
    .unwrap();
}

fn set_zone(conn: &mut PgConnection, enterprise_id: EnterpriseId, zone: &str) {
    diesel::update(enterprises::table.find(enterprise_id)).set(enterprises::time_zone.eq(zone)).execute(conn).unwrap();
}

fn stored_zone(app: &TestApp) -> String {
    enterprises::table.find(app.enterprise_id()).select(enterprises::time_zone).first(&mut app.conn()).unwrap()
}

fn zone_changes(app: &TestApp) -> i64 {
    diesel::select(diesel::dsl::sql::<BigInt>(
        "(SELECT count(*) FROM audit_events WHERE action = 'enterprise.time_zone_changed')",
    ))
    .get_result(&mut app.conn())
    .unwrap()
}

async fn ok_page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}:\n{}", page.html);
    page
}

/// The Target column of the Activity rows.
fn targets(page: &Page) -> Vec<String> {
    page.texts("tbody td:nth-child(4)")
}

/// The selected option of the time zone field.
fn selected_zone(page: &Page) -> Option<String> {
    page.text("#time_zone option[selected]")
}

#[tokio::test]
async fn an_enterprise_admin_sets_the_time_zone_and_the_activity_shows_times_in_it_with_the_zone_named() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    event_at(&mut app.conn(), app.enterprise_id(), None, "Known event", "2026-11-21T14:05:09Z");
    let before = ok_page(&app, "/settings/activity").await;
    assert!(before.html.contains(r#"datetime="2026-11-21T14:05:09Z""#));
    assert!(before.main_text().contains("21 Nov 2026, 14:05 UTC"), "UTC until a zone is chosen");

    let settings = ok_page(&app, SETTINGS).await;
    assert_eq!(settings.text(r#".menu a[aria-current="page"]"#).unwrap(), "Enterprise settings");
    assert_eq!(settings.text("#time-zone-heading").unwrap(), "Time zone");
    assert_eq!(settings.text(r#"label[for="time_zone"]"#).unwrap(), "Time zone");
    assert_eq!(selected_zone(&settings).as_deref(), Some("UTC"));
    assert!(settings.count("#time_zone optgroup") >= 10, "grouped by region");
    assert!(settings.count("#time_zone option") > 300);
    let r = settings.form("Save time zone").set("time_zone", "Asia/Tokyo").submit(&app.browser).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], SETTINGS);
    let after = ok_page(&app, SETTINGS).await;
    assert_eq!(after.flashes(), ["Time zone set to Asia/Tokyo. Times are now shown in it."]);
    assert_eq!(selected_zone(&after).as_deref(), Some("Asia/Tokyo"));
    assert_eq!(stored_zone(&app), "Asia/Tokyo");

    let activity = ok_page(&app, "/settings/activity").await;
    assert!(activity.text(".page-subtitle").unwrap().contains("Times are in Asia/Tokyo"));
    let rows = activity.each("tbody tr");
    let known = &rows[1];
    assert_eq!(known.text("td:nth-child(4)").unwrap(), "Known event");
    assert_eq!(known.text("time").unwrap(), "21 Nov 2026, 23:05 JST", "14:05 UTC is 23:05 in Tokyo");
    assert_eq!(known.attr("time", "datetime").unwrap(), "2026-11-21T14:05:09Z", "the instant stays UTC");
    assert_eq!(known.attr("time", "title").unwrap(), "2026-11-21 14:05 UTC");
    // The change itself, newest, with what it replaced, and when: just now.
    let change = &rows[0];
    assert_eq!(change.words("td.cell-main"), ["Changed the time zone From UTC to Asia/Tokyo"]);
    assert_eq!(change.text("td:nth-child(4)").unwrap(), "Enterprise Acme");
    assert!(change.text("time").unwrap().ends_with(" JST"));
    assert_eq!(change.text(".relative").unwrap(), "(just now)");
    assert_eq!(zone_changes(&app), 1);

    // Saving the same zone again changes nothing and records nothing.
    let again = ok_page(&app, SETTINGS).await.form("Save time zone").submit(&app.browser).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok_page(&app, SETTINGS).await.flashes(), ["The time zone already was Asia/Tokyo; nothing changed."]);
    assert_eq!(zone_changes(&app), 1);
}

#[tokio::test]
async fn a_viewer_reads_the_time_zone_but_gets_403_when_changing_it() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    set_zone(&mut app.conn(), app.enterprise_id(), "Europe/Berlin");
    seed_team_member(&app, app.enterprise_id(), VIEWER, UserRole::Viewer);
    let viewer = app.browser_of(VIEWER).await;

    let page = viewer.page(SETTINGS).await;

    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("#current-time-zone").unwrap(), "Europe/Berlin");
    assert!(!page.exists("#time_zone") && !page.main_text().contains("Save"), "no form for a Viewer");
    let token = page.csrf_token();
    let r = viewer.post("/settings/enterprise/time-zone", &token, &[("time_zone", "Asia/Tokyo")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_zone(&app), "Europe/Berlin");
    assert_eq!(zone_changes(&app), 0);
}

#[tokio::test]
async fn an_unknown_time_zone_is_refused_with_422_and_changes_nothing() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let form = ok_page(&app, SETTINGS).await.form("Save time zone");

    for (bad, message) in [
        ("Mars/Olympus_Mons", "“Mars/Olympus_Mons” is not a time zone the portal knows. Choose one from the list."),
        ("", "Choose a time zone from the list."),
        ("asia/tokyo", "“asia/tokyo” is not a time zone the portal knows. Choose one from the list."),
    ] {
        let r = form.clone().set("time_zone", bad).submit(&app.browser).await;

        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let page = Page::read(r).await;
        assert_eq!(page.field_error("time_zone").as_deref(), Some(message));
        assert_eq!(page.attr("#time_zone", "aria-invalid").as_deref(), Some("true"));
        assert_eq!(selected_zone(&page).as_deref(), Some("UTC"), "the zone in use stays selected");
    }
    assert_eq!(stored_zone(&app), "UTC");
    assert_eq!(zone_changes(&app), 0);
}

#[tokio::test]
async fn partner_users_see_their_enterprises_time_zone() {
    let app = TestApp::spawn()
        .logged_in_as_partner_admin(
            PartnerFixture::new("Globex")
                .domains(["globex.example"])
                .active()
                .account_admin(UserFixture::admin("ada@globex.example")),
        )
        .await;
    let mut conn = app.conn();
    set_zone(&mut conn, app.enterprise_id(), "Asia/Tokyo");
    // 23:30 UTC on the 5th is already the 6th in Tokyo.
    diesel::sql_query(
        "UPDATE memberships SET created_at = '2026-12-05T23:30:00Z'
          WHERE user_id = (SELECT id FROM users WHERE email = 'ada@globex.example')",
    )
    .execute(&mut conn)
    .unwrap();

    let members = ok_page(&app, "/members").await;

    let ada = &members.each("tbody tr")[0];
    assert_eq!(ada.text("time").unwrap(), "6 Dec 2026");
    assert_eq!(ada.attr("time", "datetime").unwrap(), "2026-12-06");
}

/// Four events around 6 December 2026 in Tokyo (UTC+9): the last second of the 5th, the first
/// and last seconds of the 6th, the first second of the 7th.
fn around_the_6th_in_tokyo(conn: &mut PgConnection, enterprise_id: EnterpriseId, partner: Option<PartnerId>) {
    set_zone(conn, enterprise_id, "Asia/Tokyo");
    event_at(conn, enterprise_id, partner, "5th 23:59:59", "2026-12-05T14:59:59Z");
    event_at(conn, enterprise_id, partner, "6th 00:00:00", "2026-12-05T15:00:00Z");
    event_at(conn, enterprise_id, partner, "6th 23:59:59", "2026-12-06T14:59:59Z");
    event_at(conn, enterprise_id, partner, "7th 00:00:00", "2026-12-06T15:00:00Z");
}

#[tokio::test]
async fn the_date_range_keeps_whole_days_in_the_enterprises_time_zone() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    let globex = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    around_the_6th_in_tokyo(&mut conn, app.enterprise_id(), Some(globex));

    let all = ok_page(&app, "/settings/activity").await;
    assert_eq!(all.text(r#"label[for="from"]"#).unwrap(), "From");
    assert_eq!(all.text(r#"label[for="to"]"#).unwrap(), "To");
    assert_eq!(all.attr("#from", "type").as_deref(), Some("date"));
    assert_eq!(targets(&all), ["7th 00:00:00", "6th 23:59:59", "6th 00:00:00", "5th 23:59:59"]);
    assert_eq!(all.texts("tbody time")[1], "6 Dec 2026, 23:59 JST");

    // Filled in and sent like a person would, without script.
    let r = all.form("Filter").fill(&[("from", "2026-12-06"), ("to", "2026-12-06")]).submit(&app.browser).await;
    let the_6th = Page::read(r).await;
    assert_eq!(targets(&the_6th), ["6th 23:59:59", "6th 00:00:00"]);
    assert_eq!(the_6th.attr("#from", "value").as_deref(), Some("2026-12-06"), "the form keeps the days");
    assert_eq!(the_6th.attr("#to", "value").as_deref(), Some("2026-12-06"));
    assert!(the_6th.exists(r#"a[href="/settings/activity"]"#), "Clear filters");

    let from_the_6th = ok_page(&app, "/settings/activity?from=2026-12-06").await;
    assert_eq!(targets(&from_the_6th), ["7th 00:00:00", "6th 23:59:59", "6th 00:00:00"]);
    let to_the_6th = ok_page(&app, "/settings/activity?to=2026-12-06").await;
    assert_eq!(targets(&to_the_6th), ["6th 23:59:59", "6th 00:00:00", "5th 23:59:59"]);
    let the_5th = ok_page(&app, "/settings/activity?from=2026-12-05&to=2026-12-05").await;
    assert_eq!(targets(&the_5th), ["5th 23:59:59"]);
    let nothing = ok_page(&app, "/settings/activity?from=2026-12-08").await;
    assert!(nothing.main_text().contains("No events match these filters"));

    // The partner's tab filters the same way.
    let tab = ok_page(&app, &format!("/settings/partners/{globex}/activity?from=2026-12-06&to=2026-12-06")).await;
    assert_eq!(targets(&tab), ["6th 23:59:59", "6th 00:00:00"]);

    // In UTC the same range is another set of events.
    set_zone(&mut conn, app.enterprise_id(), "UTC");
    let utc_6th = ok_page(&app, "/settings/activity?from=2026-12-06&to=2026-12-06").await;
    assert_eq!(targets(&utc_6th), ["7th 00:00:00", "6th 23:59:59"]);
}

#[tokio::test]
async fn the_range_is_kept_in_the_pagination_links_and_in_the_export_form() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    set_zone(&mut conn, app.enterprise_id(), "Asia/Tokyo");
    for minute in 0..30 {
        event_at(
            &mut conn,
            app.enterprise_id(),
            None,
            &format!("Event {minute}"),
            &format!("2026-12-06T01:{minute:02}:00Z"),
        );
    }

    let first = ok_page(&app, "/settings/activity?from=2026-12-06&to=2026-12-06").await;

    let older = first.link(".pagination a", "Older").unwrap();
    assert_eq!(older, "/settings/activity?from=2026-12-06&to=2026-12-06&page=2");
    assert_eq!(targets(&ok_page(&app, &older).await).len(), 5);
    let export = first.form("Export CSV");
    assert_eq!(export.action, "/settings/activity.csv");
    assert_eq!(export.value("from"), Some("2026-12-06"));
    assert_eq!(export.value("to"), Some("2026-12-06"));
    assert_eq!(export.value("bom"), None, "no byte order mark unless asked");
}

#[tokio::test]
async fn bad_dates_and_a_reversed_range_are_refused_with_a_clear_message() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    event_at(&mut app.conn(), app.enterprise_id(), None, "Known event", "2026-12-06T03:00:00Z");

    for (query, message) in [
        ("from=2026-13-01", "The From date must be a day between 2000 and 9999, written like 2026-12-06."),
        ("to=yesterday", "The To date must be a day between 2000 and 9999, written like 2026-12-06."),
        ("from=1999-12-31", "The From date must be a day between 2000 and 9999, written like 2026-12-06."),
        (
            "from=2026-12-07&to=2026-12-06",
            "The From date (2026-12-07) is after the To date (2026-12-06). Choose a From date on or before the To date.",
        ),
    ] {
        // The page shows the message under its field (422) and lists the events unfiltered.
        let page = app.page(&format!("/settings/activity?{query}")).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let field = if query.starts_with("to=") { "to" } else { "from" };
        assert_eq!(page.field_error(field).as_deref(), Some(message), "{query}");
        assert_eq!(page.attr(&format!("#{field}"), "aria-invalid").as_deref(), Some("true"));
        assert_eq!(targets(&page), ["Known event"], "nothing filtered by a day that was refused");
        // The CSV has no form: a 400 saying the same.
        let (status, html) = app.get_html(&format!("/settings/activity.csv?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(Page::from_html(&html).main_text().contains(message), "{query}: {html}");
    }
    let typed = app.page("/settings/activity?to=yesterday").await;
    assert_eq!(typed.attr("#to", "value").as_deref(), Some("yesterday"), "kept as typed");
    assert_eq!(ok_page(&app, "/settings/activity?from=&to=").await.status, StatusCode::OK, "empty days: no filter");
}

#[tokio::test]
async fn the_csv_export_applies_the_range_keeps_utc_and_adds_a_byte_order_mark_only_when_asked() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let mut conn = app.conn();
    let globex = PartnerFixture::new("Globex").domains(["globex.example"]).active().create(&app).id;
    around_the_6th_in_tokyo(&mut conn, app.enterprise_id(), Some(globex));
    event_at(&mut conn, app.enterprise_id(), None, "=cmd|' /C calc'!A0", "2026-12-06T03:00:00Z");

    let r = app.get("/settings/activity.csv?from=2026-12-06&to=2026-12-06").await;

    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"when_utc,"), "no byte order mark by default");
    let body = String::from_utf8(bytes.to_vec()).unwrap();
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 1 + 3, "{body}");
    assert!(lines[1].starts_with("2026-12-06T14:59:59Z,"), "UTC, not Tokyo time: {body}");
    assert!(lines[2].starts_with("2026-12-06T03:00:00Z,") && lines[2].contains(",'=cmd|"), "neutralised: {body}");
    assert!(lines[3].starts_with("2026-12-05T15:00:00Z,"), "{body}");

    // The page's export form, with the box ticked, as a person would send it.
    let page = ok_page(&app, &format!("/settings/partners/{globex}/activity?from=2026-12-06&to=2026-12-06")).await;
    assert_eq!(page.text(r#"label[for="bom"]"#).unwrap(), "Add a byte order mark for Excel");
    let r = page.form("Export CSV").set("bom", "1").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFwhen_utc,"), "{:?}", &bytes[..12]);
    let body = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert_eq!(body.matches("\r\n").count(), 1 + 2, "the partner's two events of the 6th: {body}");
    assert!(!body.contains("calc"), "not the partner's");
}
