//! Tests that walk the route table (`routes::TABLE`), so a new route is covered without being
//! listed here: an id that is not an id is a 404 on every route that takes one, and text that
//! is not UTF-8 or carries NUL is refused with a 400 on every route, in the query string and
//! in the form body, with nothing in the database changed.

use diesel::{prelude::*, sql_query, sql_types::Text};
use partner_portal::routes::TABLE;
use reqwest::StatusCode;

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{csrf_token, Browser, TestApp},
};

const PARTNER_ADMIN: &str = "paula@globex.com";

/// Acme's enterprise admin in the app's browser, and Globex's administrator in a second one
/// (the Members screens are hers).
async fn app_with_both_sides() -> (TestApp, Browser) {
    let app = TestApp::spawn()
        .logged_in_as_enterprise_admin()
        .with_partner(
            PartnerFixture::new("Globex").domains(["globex.com"]).account_admin(UserFixture::admin(PARTNER_ADMIN)),
        )
        .await;
    let partner_admin = app.browser_of(PARTNER_ADMIN).await;
    (app, partner_admin)
}

/// Who may open a route: the partner's administrator for Members, the Service Catalog and the
/// `/partner/…` pages (Partner profile), the enterprise admin for everything else behind login.
fn browser_for<'a>(path: &str, app: &'a TestApp, partner_admin: &'a Browser) -> &'a Browser {
    if path.starts_with("/members") || path.starts_with("/service-catalog") || path.starts_with("/partner/") {
        partner_admin
    } else {
        &app.browser
    }
}

/// The route's path with every `{param}` replaced: ids by `id`, other parameters (tokens) by
/// a value that is not a token.
fn fill(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map(|e| start + e).expect("a closed {param}");
        let name = &rest[start + 1..end];
        out.push_str(if name == "token" { "not-a-token" } else { id });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn takes_an_id(path: &str) -> bool {
    path.split('/').any(|segment| segment.starts_with('{') && segment != "{token}")
}

async fn token_of(browser: &Browser) -> String {
    let (status, html) = browser.get_html("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "home redirects a logged-in person");
    let _ = html;
    let home = browser.get("/").await;
    let start = home.headers()["location"].to_str().unwrap().to_string();
    let (_, html) = browser.get_html(&start).await;
    csrf_token(&html)
}

async fn send(browser: &Browser, method: &str, path: &str, token: &str, body_extra: &str) -> reqwest::Response {
    match method {
        "get" => browser.client.get(browser.url(path)).send().await.unwrap(),
        "post" => browser
            .client
            .post(browser.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf_token={}{body_extra}", urlencode(token)))
            .send()
            .await
            .unwrap(),
        other => panic!("the route table has a method the test does not know: {other}"),
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Every table's rows, hashed, except the session rows (a request may extend its own session).
pub fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        table_name: String,
    }
    #[derive(QueryableByName)]
    struct Digest {
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        digest: Option<String>,
    }
    let mut conn = app.conn();
    let tables: Vec<Name> = sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables
          WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
            AND table_name NOT IN ('sessions', '__diesel_schema_migrations') ORDER BY 1",
    )
    .load(&mut conn)
    .unwrap();
    tables
        .into_iter()
        .map(|t| {
            let d: Digest = sql_query(format!(
                "SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) AS digest FROM \"{}\" x",
                t.table_name
            ))
            .get_result(&mut conn)
            .unwrap();
            (t.table_name, d.digest.unwrap_or_default())
        })
        .collect()
}

#[tokio::test]
async fn an_id_that_is_not_a_positive_number_is_not_found_on_every_route_that_takes_one() {
    let (app, partner_admin) = app_with_both_sides().await;
    let routes: Vec<_> = TABLE.iter().filter(|(_, path)| takes_an_id(path)).collect();
    assert!(routes.len() > 30, "the table lists the routes with ids ({})", routes.len());
    for (method, pattern) in routes {
        let browser = browser_for(pattern, &app, &partner_admin);
        let token = token_of(browser).await;
        for bad in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
            let path = fill(pattern, bad);
            let r = send(browser, method, &path, &token, "").await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{} {path} (route {pattern})", method.to_uppercase());
        }
    }
}

#[tokio::test]
async fn text_that_is_not_utf8_or_holds_nul_is_refused_on_every_route_and_changes_nothing() {
    let (app, partner_admin) = app_with_both_sides().await;
    let partner = app.partner_id().to_string();
    let before = snapshot(&app);
    let mut checked = 0;
    for (method, pattern) in TABLE {
        let browser = browser_for(pattern, &app, &partner_admin);
        let token = token_of(browser).await;
        let path = fill(pattern, &partner);
        for bad in ["Caf%E9", "a%00b", "%FF%FE"] {
            // In the query string, on every route.
            let r = send(browser, method, &format!("{path}?q={bad}&name={bad}"), &token, "").await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{} {path}?q={bad}", method.to_uppercase());
            let body = r.text().await.unwrap();
            assert!(body.contains("not valid text"), "a clear page for {path}?q={bad}: {body}");
            // In the form body, on every POST route: every field a form might have.
            if *method == "post" {
                let fields = format!("&name={bad}&email={bad}&description={bad}&domain={bad}&action={bad}");
                let r = send(browser, method, &path, &token, &fields).await;
                assert_eq!(r.status(), StatusCode::BAD_REQUEST, "POST {path} with {bad} in the body");
            }
            checked += 1;
        }
    }
    assert!(checked >= TABLE.len() * 3);
    assert_eq!(snapshot(&app), before, "no table changed");
}
