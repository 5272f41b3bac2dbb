//! Defects found by trying the portal as a new user would: each test replays one and checks
//! what a person (or an assistive technology) notices.

use diesel::prelude::*;
use partner_portal::domain::{EnterpriseId, PartnerId};
use partner_portal::{db::schema, domain::sample_png};
use reqwest::StatusCode;
use scraper::{ElementRef, Html, Node, Selector};

use crate::{
    fixtures::{seed_complete_draft, PartnerFixture, UserFixture},
    helpers::{csrf_token, Options, TestApp, TestDatabase, PASSWORD},
    proxy::{target_of, DbProxy},
};

const ADMIN: &str = "erin@acme.example";

fn product_names(app: &TestApp, enterprise_id: EnterpriseId) -> Vec<String> {
    use schema::products::dsl as p;
    p::products.filter(p::enterprise_id.eq(enterprise_id)).select(p::name).load(&mut app.conn()).unwrap()
}

// ---- a form posted while the database is down ------------------------------------------------

#[tokio::test]
async fn a_form_posted_while_the_database_is_down_answers_503_and_changes_nothing() {
    let db = TestDatabase::create();
    let proxy = DbProxy::start(target_of(&db.url)).await;
    let url = proxy.url_for(&db.url);
    let app = TestApp::spawn_on(
        db,
        Options {
            database_url: Some(url),
            env: vec![("DATABASE_CONNECT_TIMEOUT_SECS", "1".into())],
            ..Options::default()
        },
    )
    .await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let token = csrf_token(&app.get_html("/catalog/products/new").await.1);

    proxy.down();
    let r = app
        .client
        .post(app.url("/catalog/products"))
        .form(&[("csrf_token", token.as_str()), ("name", "Payments Hub"), ("description", "")])
        .send()
        .await
        .unwrap();

    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers().get("retry-after").unwrap(), "5");
    let body = r.text().await.unwrap();
    assert!(body.contains("temporarily unavailable"), "{body}");
    assert!(!body.contains("This form has expired"), "{body}");

    proxy.up();
    let start = std::time::Instant::now();
    while app.get("/catalog").await.status() != StatusCode::OK {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "the portal recovers by itself");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(product_names(&app, enterprise_id).is_empty(), "nothing was saved");
}

// ---- accessible names ------------------------------------------------------------------------

/// What assistive technology reads for `element`: its text without `aria-hidden` parts,
/// whitespace collapsed.
fn accessible_name(element: ElementRef) -> String {
    fn walk(element: ElementRef, out: &mut String) {
        for child in element.children() {
            match child.value() {
                Node::Text(text) => out.push_str(text),
                Node::Element(e) if e.attr("aria-hidden") == Some("true") => {}
                Node::Element(_) => walk(ElementRef::wrap(child).unwrap(), out),
                _ => {}
            }
        }
    }
    let mut out = String::new();
    walk(element, &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn names_of(html: &str, selector: &str) -> Vec<String> {
    Html::parse_document(html).select(&Selector::parse(selector).unwrap()).map(accessible_name).collect()
}

#[tokio::test]
async fn finished_wizard_tabs_are_named_by_their_label_alone_and_still_show_a_check_mark() {
    let app = TestApp::spawn().await;
    let (enterprise_id, user_id) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let draft = seed_complete_draft(&mut app.conn(), enterprise_id, user_id, "Globex", "globex.example");

    let (status, html) = app.get_html(&format!("/settings/partners/drafts/{draft}/domains")).await;

    assert_eq!(status, StatusCode::OK, "{html}");
    let tabs = r#"nav[aria-label="Registration steps"] li > a"#;
    assert_eq!(names_of(&html, tabs), ["Partner info", "Register Domain", "Partner account administrator", "Review"]);
    let done = names_of(&html, r#"nav[aria-label="Registration steps"] li.tab-done > a"#);
    assert_eq!(done, ["Partner info", "Register Domain", "Partner account administrator"]);
    let marks: Vec<String> = Html::parse_document(&html)
        .select(&Selector::parse(r#"li.tab-done > a > [aria-hidden="true"]"#).unwrap())
        .map(|e| e.text().collect())
        .collect();
    assert_eq!(marks, ["✓", "✓", "✓"], "the check mark is still shown, hidden from assistive technology");
}

#[tokio::test]
async fn the_login_pages_link_is_named_forgot_password() {
    let app = TestApp::spawn().await;

    let (_, html) = app.get_html("/login").await;

    let links = names_of(&html, r#"a[href="/password/forgot"]"#);
    assert_eq!(links, ["Forgot password"]);
}

// ---- the partners list's logos ---------------------------------------------------------------

fn img_src(html: &str, selector: &str) -> String {
    let doc = Html::parse_document(html);
    let img = doc.select(&Selector::parse(selector).unwrap()).next().unwrap_or_else(|| panic!("no {selector}"));
    img.value().attr("src").unwrap().to_string()
}

async fn save_logo(app: &TestApp, partner: PartnerId, png: Vec<u8>) {
    let token = csrf_token(&app.get_html("/settings/partners").await.1);
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("name", "Globex")
        .part("logo", reqwest::multipart::Part::bytes(png).file_name("logo.png"));
    let r =
        app.client.post(app.url(&format!("/settings/partners/{partner}/edit"))).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_partners_list_shows_the_same_versioned_logo_as_the_partner_page_and_a_new_logo_changes_it() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let partner =
        PartnerFixture::new("Globex").domains(["globex.example"]).active().create_in(&mut app.conn(), enterprise_id).id;
    save_logo(&app, partner, sample_png(32, 32)).await;
    let page_logo = |html: &str| img_src(html, ".page-header img.avatar");

    let list = app.get_html("/settings/partners").await.1;
    let page = app.get_html(&format!("/settings/partners/{partner}")).await.1;

    let first = img_src(&list, "img.avatar-sm");
    assert!(first.starts_with(&format!("/settings/partners/{partner}/logo?v=")), "{first}");
    assert_eq!(first, page_logo(&page), "the list and the partner page name the same version");

    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    save_logo(&app, partner, sample_png(48, 48)).await;
    let list = app.get_html("/settings/partners").await.1;
    let page = app.get_html(&format!("/settings/partners/{partner}")).await.1;

    let second = img_src(&list, "img.avatar-sm");
    assert_ne!(second, first, "a new logo gets a new address, so no browser shows the old one");
    assert_eq!(second, page_logo(&page));
    assert_eq!(app.get(&second).await.status(), StatusCode::OK);
}

// ---- text that is not text -------------------------------------------------------------------

/// Rows of everything a request could change (sessions aside: every visit touches its own).
fn row_counts(app: &TestApp) -> [i64; 7] {
    use schema::*;
    let mut c = app.conn();
    [
        products::table.count().get_result(&mut c).unwrap(),
        invitations::table.count().get_result(&mut c).unwrap(),
        outbox_emails::table.count().get_result(&mut c).unwrap(),
        audit_events::table.count().get_result(&mut c).unwrap(),
        login_failures::table.count().get_result(&mut c).unwrap(),
        users::table.count().get_result(&mut c).unwrap(),
        partners::table.count().get_result(&mut c).unwrap(),
    ]
}

/// Posts a urlencoded body written by hand (`fields` already percent-encoded), with the
/// session's CSRF token taken from `page`.
async fn post_raw(app: &TestApp, page: &str, action: &str, fields: &str) -> reqwest::Response {
    let token = csrf_token(&app.get_html(page).await.1);
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    app.client
        .post(app.url(action))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={token}&{fields}"))
        .send()
        .await
        .unwrap()
}

async fn assert_unreadable(r: reqwest::Response, what: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
    let body = r.text().await.unwrap();
    assert!(body.contains("could not be read") || body.contains("could not read"), "{what}:\n{body}");
    assert!(body.contains("Nothing was changed"), "{what}:\n{body}");
}

#[tokio::test]
async fn a_catalog_product_name_that_is_not_text_is_refused_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    let before = row_counts(&app);

    for name in ["Caf%E9", "Caf%C3%A9%00", "%FF%FE"] {
        let r =
            post_raw(&app, "/catalog/products/new", "/catalog/products", &format!("name={name}&description=x")).await;
        assert_unreadable(r, name).await;
    }

    assert!(product_names(&app, enterprise_id).is_empty());
    assert_eq!(row_counts(&app), before);
    let r = post_raw(&app, "/catalog/products/new", "/catalog/products", "name=Caf%C3%A9&description=").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "real text still works");
    assert_eq!(product_names(&app, enterprise_id), ["Café"]);
}

#[tokio::test]
async fn a_member_invitation_that_is_not_text_is_refused_and_no_email_is_queued() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let mut conn = app.conn();
    PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
        .create_in(&mut conn, enterprise_id);
    app.login("ada@globex.example", PASSWORD).await;
    let before = row_counts(&app);

    for fields in [
        "first_name=Mi%E9&surname=Member&email=mia%40globex.example&role=member",
        "first_name=Mia&surname=Member&email=mi%E9%40globex.example&role=member",
        "first_name=Mia%00&surname=Member&email=mia%40globex.example&role=member",
    ] {
        assert_unreadable(post_raw(&app, "/members", "/members/invite", fields).await, fields).await;
    }

    assert_eq!(row_counts(&app), before, "no invitation, no email, no audit event");
}

#[tokio::test]
async fn a_login_email_that_is_not_text_is_refused_without_counting_a_failure() {
    let app = TestApp::spawn().await;
    app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let before = row_counts(&app);
    let password: String = url::form_urlencoded::byte_serialize(PASSWORD.as_bytes()).collect();

    for email in ["erin%00%40acme.example", "erin%E9%40acme.example"] {
        let r = post_raw(&app, "/login", "/login", &format!("email={email}&password={password}")).await;
        assert_unreadable(r, email).await;
    }

    assert_eq!(row_counts(&app), before);
    let r = post_raw(&app, "/login", "/login", &format!("email=erin%40acme.example&password={password}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the real address still logs in");
}

#[tokio::test]
async fn an_activity_action_filter_that_is_not_text_is_refused_on_both_pages_and_the_csv() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let partner =
        PartnerFixture::new("Globex").domains(["globex.example"]).active().create_in(&mut app.conn(), enterprise_id).id;
    app.login(ADMIN, PASSWORD).await;
    let before = row_counts(&app);

    for page in [
        "/settings/activity".to_string(),
        "/settings/activity.csv".to_string(),
        format!("/settings/partners/{partner}/activity"),
        format!("/settings/partners/{partner}/activity.csv"),
    ] {
        for action in ["partner.renamed%00", "partner.%E9"] {
            let path = format!("{page}?action={action}");
            assert_unreadable(app.get(&path).await, &path).await;
        }
        assert_eq!(app.get(&format!("{page}?action=partner.renamed")).await.status(), StatusCode::OK, "{page}");
    }

    assert_eq!(row_counts(&app), before);
}

#[tokio::test]
async fn a_partner_name_in_an_upload_form_that_is_not_text_is_refused_and_the_name_kept() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let partner =
        PartnerFixture::new("Globex").domains(["globex.example"]).active().create_in(&mut app.conn(), enterprise_id).id;
    app.login(ADMIN, PASSWORD).await;
    let before = row_counts(&app);

    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf_token(&app.get_html("/settings/partners").await.1))
        .part("name", reqwest::multipart::Part::bytes(b"Glob\xE9x".to_vec()))
        .part("logo", reqwest::multipart::Part::bytes(Vec::new()).file_name(""));
    let r =
        app.client.post(app.url(&format!("/settings/partners/{partner}/edit"))).multipart(form).send().await.unwrap();

    assert_unreadable(r, "multipart name").await;
    assert_eq!(crate::fixtures::partner_name(&mut app.conn(), partner), "Globex");
    assert_eq!(row_counts(&app), before);
}

/// SPEC §9: decorations are hidden from assistive technology. CSS generated content is read
/// as part of an element's text (a flash's "✓", a field error's "!") unless its alternative
/// text is empty, so every visible `content:` in the stylesheet is written with `/ ""` and only
/// so: no plain fallback declaration, which a browser without the syntax would read out (it
/// drops the declaration instead, and shows no decoration).
#[test]
fn generated_content_in_the_stylesheet_is_hidden_from_assistive_technology() {
    let css = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/static/css/app.css")).unwrap();
    let mut decorations = 0;
    for (i, line) in css.lines().map(str::trim).enumerate() {
        let Some(rest) = line.strip_prefix("content: \"") else { continue };
        if rest.starts_with("\";") {
            continue; // empty content: nothing to read
        }
        decorations += 1;
        let (value, tail) = rest.split_once('"').unwrap_or((rest, ""));
        assert!(
            tail.starts_with(" / \"\";"),
            "line {}: generated content {value:?} is not hidden (`content: \"{value}\" / \"\";` only): {line:?}",
            i + 1
        );
    }
    assert!(decorations >= 5, "the stylesheet's decorations were found ({decorations})");
}
