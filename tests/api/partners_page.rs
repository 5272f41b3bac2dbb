//! A partner's page: tabs, General (info, domains, administrator), editing, the logo, Users,
//! Activity, tenant isolation and deactivated partners.

use partner_portal::domain::{png_header_only, sample_png};
use reqwest::{multipart, StatusCode};
use scraper::{Html, Selector};

use crate::{
    fixtures::{
        audit_actions, domain_id, domains_of, logo_of, partner_name, seed_invitation, seed_partner, seed_partner_user,
    },
    helpers::{csrf_token, location, text_of, TestApp, PASSWORD},
};

const ADMIN: &str = "erin@acme.example";

async fn logged_in() -> (TestApp, i64) {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    app.login(ADMIN, PASSWORD).await;
    (app, enterprise_id)
}

/// The CSRF token of the logged-in session (every page's menu has the Log out form).
async fn token(app: &TestApp) -> String {
    csrf_token(&app.get_html("/settings/partners").await.1)
}

async fn post(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let t = token(app).await;
    let mut form = vec![("csrf_token", t.as_str())];
    form.extend_from_slice(fields);
    app.client.post(app.url(action)).form(&form).send().await.unwrap()
}

/// Submits Edit partner info like a browser: the token first, then the fields.
async fn post_edit(
    app: &TestApp,
    partner: i64,
    name: &str,
    logo: Option<(Vec<u8>, &str)>,
    remove_logo: bool,
) -> reqwest::Response {
    let mut form = multipart::Form::new().text("csrf_token", token(app).await).text("name", name.to_string());
    form = match logo {
        Some((bytes, file_name)) => form.part("logo", multipart::Part::bytes(bytes).file_name(file_name.to_string())),
        // What a browser sends when no file was chosen.
        None => form.part("logo", multipart::Part::bytes(Vec::new()).file_name("")),
    };
    if remove_logo {
        form = form.text("remove_logo", "1");
    }
    app.client.post(app.url(&format!("/settings/partners/{partner}/edit"))).multipart(form).send().await.unwrap()
}

async fn page(app: &TestApp, path: &str) -> String {
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, StatusCode::OK, "{path}:\n{html}");
    html
}

fn exists(html: &str, selector: &str) -> bool {
    Html::parse_document(html).select(&Selector::parse(selector).unwrap()).next().is_some()
}

#[tokio::test]
async fn the_general_tab_shows_the_partner_its_domains_and_the_pending_administrator() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let partner = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com", "globex.io"], "invited");
    seed_invitation(&mut conn, enterprise_id, partner, "ana@globex.com", true);

    let html = page(&app, &format!("/settings/partners/{partner}")).await;

    assert_eq!(text_of(&html, "h1").unwrap(), "Globex");
    assert!(html.contains(r#"<span class="badge badge-invited">Invited</span>"#));
    let tabs: Vec<String> = {
        let doc = Html::parse_document(&html);
        let sel = Selector::parse(r#"nav.tabs[aria-label="Partner sections"] a"#).unwrap();
        doc.select(&sel).map(|a| a.text().collect::<String>()).collect()
    };
    assert_eq!(tabs, ["General", "Products", "APIs", "Users", "Activity", "Delete partner"]);
    assert_eq!(text_of(&html, r#"nav.tabs a[aria-current="page"]"#).unwrap(), "General");
    assert!(html.contains("globex.com") && html.contains("globex.io"));
    for label in ["First Name", "Surname", "Email", "Ana", "Lima", "ana@globex.com", "Pending"] {
        assert!(html.contains(label), "{label}");
    }
    assert!(exists(&html, &format!(r#"a[href="/settings/partners/{partner}/edit"]"#)), "Edit link");
    assert!(exists(&html, r#"label[for="domain"]"#) && html.contains("Add domain"));
    assert!(html.contains(&format!(
        r#"<a class="button button-primary" href="/settings/partners/{partner}/products">Add Products</a>"#
    )));
    assert!(html.contains(&format!(r#"<a class="button" href="/settings/partners/{partner}/apis">Add APIs</a>"#)));
}

#[tokio::test]
async fn the_accepted_administrator_is_shown_by_name() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let partner = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com"], "active");
    let admin = seed_partner_user(&mut conn, enterprise_id, partner, "paula@globex.com", "admin");
    use diesel::prelude::*;
    diesel::sql_query(format!("UPDATE partners SET account_admin_user_id = {admin} WHERE id = {partner}"))
        .execute(&mut conn)
        .unwrap();

    let html = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(html.contains("Paula") && html.contains("Partner") && html.contains("paula@globex.com"));

    let users = page(&app, &format!("/settings/partners/{partner}/users")).await;
    assert!(users.contains("Paula Partner") && users.contains("Account administrator") && users.contains("Admin"));
    assert!(users.contains("No invitations"));
}

#[tokio::test]
async fn the_users_tab_lists_invitations_with_their_state() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let partner = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com"], "invited");
    seed_invitation(&mut conn, enterprise_id, partner, "ana@globex.com", true);

    let html = page(&app, &format!("/settings/partners/{partner}/users")).await;

    assert_eq!(text_of(&html, r#"nav.tabs a[aria-current="page"]"#).unwrap(), "Users");
    assert!(html.contains("No users yet"));
    assert!(html.contains("ana@globex.com") && html.contains("Pending"));
}

#[tokio::test]
async fn another_enterprises_partner_is_not_found_anywhere_and_nothing_changes() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    let other = partner_portal::db::enterprises::insert(&mut conn, "Other", 10).unwrap();
    let theirs = seed_partner(&mut conn, other.id, "Theirs", &["theirs.example", "theirs.io"], "active");
    partner_portal::db::partners::set_logo(&mut conn, theirs, "image/png", &sample_png(8, 8), 8, 8).unwrap();
    let their_domain = domain_id(&mut conn, theirs, "theirs.io");

    for tab in ["", "/products", "/apis", "/users", "/activity", "/delete", "/edit", "/logo"] {
        let r = app.get(&format!("/settings/partners/{theirs}{tab}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "GET {tab}");
    }
    for path in [
        "/settings/partners/abc",
        "/settings/partners/0",
        "/settings/partners/-1/users",
        "/settings/partners/99999999999999999999",
    ] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = post_edit(&app, theirs, "Mine now", Some((sample_png(16, 16), "x.png")), false).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = post(&app, &format!("/settings/partners/{theirs}/domains"), &[("domain", "mine.example")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = post(&app, &format!("/settings/partners/{theirs}/domains/{their_domain}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    assert_eq!(partner_name(&mut conn, theirs), "Theirs");
    assert_eq!(domains_of(&mut conn, theirs), ["theirs.example", "theirs.io"]);
    assert_eq!(logo_of(&mut conn, theirs).unwrap(), sample_png(8, 8));
    assert!(audit_actions(&mut conn, theirs).is_empty());
}

#[tokio::test]
async fn renaming_a_partner_is_saved_and_shows_on_activity() {
    let (app, enterprise_id) = logged_in().await;
    let partner = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "invited");
    let form = page(&app, &format!("/settings/partners/{partner}/edit")).await;
    assert!(
        exists(&form, r#"form[enctype="multipart/form-data"] > input[name="csrf_token"]:first-child"#),
        "token first"
    );
    assert!(exists(&form, r#"input#name[name="name"][value="Globex"]"#) && exists(&form, r#"label[for="name"]"#));
    assert!(exists(&form, r#"input#logo[type="file"][name="logo"][accept="image/png,image/jpeg,image/webp"]"#));
    assert!(
        form.contains("PNG, JPEG or WebP, at most 1 MB") && form.contains("Save changes") && form.contains("Cancel")
    );

    let r = post_edit(&app, partner, "  Globex Corporation ", None, false).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}"));
    let html = page(&app, &location(&r)).await;
    assert!(html.contains("Partner details saved."));
    assert_eq!(text_of(&html, "h1").unwrap(), "Globex Corporation");
    assert_eq!(partner_name(&mut app.conn(), partner), "Globex Corporation");
    let activity = page(&app, &format!("/settings/partners/{partner}/activity")).await;
    assert!(activity.contains("Renamed the partner"));
    assert!(activity.contains("From “Globex” to “Globex Corporation”"));
    assert!(
        Html::parse_document(&activity).root_element().text().any(|t| t == "Erin Admin <erin@acme.example>"),
        "who"
    );
    assert!(activity.contains(" UTC</time>"), "when");
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.renamed"]);
}

#[tokio::test]
async fn renaming_to_another_partners_name_in_different_case_is_refused() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    seed_partner(&mut conn, enterprise_id, "Initech", &["initech.example"], "active");
    let partner = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com"], "invited");

    let r = post_edit(&app, partner, "INITECH", None, false).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(text_of(&html, "#name-error").unwrap().contains("Another partner is already called"));
    assert!(exists(
        &html,
        r#".field.field-invalid input#name[aria-invalid="true"][aria-describedby="name-error"][value="INITECH"]"#
    ));
    assert_eq!(partner_name(&mut conn, partner), "Globex");

    let r = post_edit(&app, partner, "G", None, false).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("at least 2 characters"));
    assert!(audit_actions(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn a_png_logo_is_accepted_and_served_back_byte_identical() {
    let (app, enterprise_id) = logged_in().await;
    let partner = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "invited");
    let png = sample_png(64, 64);

    let r = post_edit(&app, partner, "Globex", Some((png.clone(), "logo.svg")), false).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.get(&format!("/settings/partners/{partner}/logo")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let headers = r.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["cache-control"], "private, max-age=300");
    assert_eq!(headers["content-security-policy"], "default-src 'none'; sandbox");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    let etag = headers["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(app.url(&format!("/settings/partners/{partner}/logo")))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let html = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(exists(&html, &format!(r#"img.logo-preview[src^="/settings/partners/{partner}/logo"]"#)));
    let list = page(&app, "/settings/partners").await;
    assert!(list.contains(&format!(r#"src="/settings/partners/{partner}/logo?v="#)));
    let activity = page(&app, &format!("/settings/partners/{partner}/activity")).await;
    assert!(activity.contains("Changed the logo"));

    // And it can be removed again.
    let form = page(&app, &format!("/settings/partners/{partner}/edit")).await;
    assert!(
        exists(&form, r#"input[type="checkbox"]#remove_logo[name="remove_logo"]"#)
            && form.contains("Remove the current logo")
    );
    assert_eq!(post_edit(&app, partner, "Globex", None, true).await.status(), StatusCode::SEE_OTHER);
    assert!(logo_of(&mut app.conn(), partner).is_none());
    assert_eq!(app.get(&format!("/settings/partners/{partner}/logo")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.logo_changed", "partner.logo_removed"]);
}

#[tokio::test]
async fn unacceptable_logos_are_refused_and_nothing_changes() {
    let (app, enterprise_id) = logged_in().await;
    let partner = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "invited");
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let random: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let bomb = png_header_only(30000, 30000);
    assert!(bomb.len() < 1024 * 1024, "the pixel bomb is small on disk");
    let mut huge = sample_png(64, 64);
    huge.resize(1024 * 1024 + 1, 0);

    for (bytes, file_name, message) in [
        (svg, "logo.png", "SVG"),
        (gif, "logo.gif", "PNG, JPEG or WebP"),
        (random, "logo.png", "PNG, JPEG or WebP"),
        (bomb, "logo.png", "too large in pixels"),
        (huge, "logo.png", "at most 1 MB"),
    ] {
        let r = post_edit(&app, partner, "Globex Renamed", Some((bytes, file_name)), false).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let html = r.text().await.unwrap();
        let error = text_of(&html, "#logo-error").unwrap_or_default();
        assert!(error.contains(message), "{message}: {error}");
        assert!(exists(&html, r#".field-invalid input#logo[aria-invalid="true"]"#));
        assert!(exists(&html, r#"input#name[value="Globex Renamed"]"#), "the name is kept");
    }

    let mut conn = app.conn();
    assert!(logo_of(&mut conn, partner).is_none());
    assert_eq!(partner_name(&mut conn, partner), "Globex");
    assert!(audit_actions(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn an_invalid_or_taken_domain_is_refused_with_the_field_marked() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    seed_partner(&mut conn, enterprise_id, "Initech", &["initech.example"], "active");
    let partner = seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com"], "invited");
    let add = format!("/settings/partners/{partner}/domains");

    let r = post(&app, &add, &[("domain", "http://acme.com/x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert_eq!(text_of(&html, "#domain-error").unwrap(), "Enter a domain like acme.com, without http:// or a path.");
    assert!(exists(
        &html,
        r#".field-invalid input#domain[aria-invalid="true"][aria-describedby="domain-error"][value="http://acme.com/x"]"#
    ));

    let r = post(&app, &add, &[("domain", "Initech.EXAMPLE")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text_of(&r.text().await.unwrap(), "#domain-error")
        .unwrap()
        .contains("already registered to another partner"));

    let r = post(&app, &add, &[("domain", "globex.com.")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        text_of(&r.text().await.unwrap(), "#domain-error").unwrap(),
        "This domain is already registered for this partner."
    );

    assert_eq!(domains_of(&mut conn, partner), ["globex.com"]);
    assert!(audit_actions(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn a_domain_can_be_added_and_removed_and_both_show_on_activity() {
    let (app, enterprise_id) = logged_in().await;
    let partner = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "invited");

    let r = post(&app, &format!("/settings/partners/{partner}/domains"), &[("domain", " Globex.IO ")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}"));
    assert_eq!(domains_of(&mut app.conn(), partner), ["globex.com", "globex.io"]);
    let html = page(&app, &location(&r)).await;
    assert!(html.contains("Domain globex.io added."));

    let id = domain_id(&mut app.conn(), partner, "globex.com");
    let r = post(&app, &format!("/settings/partners/{partner}/domains/{id}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(domains_of(&mut app.conn(), partner), ["globex.io"]);

    let activity = page(&app, &format!("/settings/partners/{partner}/activity")).await;
    // The action filter above the table names every action too: look at the rows only.
    let rows = &activity[activity.find("<tbody").expect("an events table")..];
    assert!(rows.contains("Added a domain") && rows.contains("Removed a domain"));
    assert!(rows.find("Removed a domain") < rows.find("Added a domain"), "newest first");
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.domain_added", "partner.domain_removed"]);
}

#[tokio::test]
async fn a_domain_cannot_be_removed_while_a_pending_invitation_or_a_user_depends_on_it_or_when_it_is_the_last() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let partner =
        seed_partner(&mut conn, enterprise_id, "Globex", &["globex.com", "globex.io", "globex.net"], "invited");
    seed_invitation(&mut conn, enterprise_id, partner, "ana@globex.com", true);
    seed_partner_user(&mut conn, enterprise_id, partner, "paula@globex.io", "member");
    let remove = |domain: &str| {
        let id = domain_id(&mut app.conn(), partner, domain);
        format!("/settings/partners/{partner}/domains/{id}/remove")
    };

    let r = post(&app, &remove("globex.com"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let message = text_of(&r.text().await.unwrap(), "#domains-error").unwrap();
    assert!(message.contains("an invitation to ana@globex.com is pending: revoke it first."), "{message}");

    let r = post(&app, &remove("globex.io"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text_of(&r.text().await.unwrap(), "#domains-error").unwrap().contains("paula@globex.io"));

    assert_eq!(post(&app, &remove("globex.net"), &[]).await.status(), StatusCode::SEE_OTHER);
    let lone = seed_partner(&mut conn, enterprise_id, "Lone", &["lone.example"], "invited");
    let id = domain_id(&mut conn, lone, "lone.example");
    let r = post(&app, &format!("/settings/partners/{lone}/domains/{id}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(text_of(&r.text().await.unwrap(), "#domains-error")
        .unwrap()
        .contains("A partner needs at least one domain."));

    assert_eq!(domains_of(&mut conn, partner), ["globex.com", "globex.io"]);
    assert_eq!(domains_of(&mut conn, lone), ["lone.example"]);
    assert_eq!(audit_actions(&mut conn, partner), ["partner.domain_removed"]);
}

#[tokio::test]
async fn a_script_as_partner_name_comes_back_escaped() {
    let (app, enterprise_id) = logged_in().await;
    let partner =
        seed_partner(&mut app.conn(), enterprise_id, "<script>alert(1)</script>", &["xss.example"], "invited");

    let list = page(&app, "/settings/partners").await;
    let general = page(&app, &format!("/settings/partners/{partner}")).await;
    let edit = page(&app, &format!("/settings/partners/{partner}/edit")).await;

    for html in [&list, &general, &edit] {
        // Askama writes numeric entities (&#60;); either spelling is the same text to a browser.
        assert!(
            html.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
                || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
        );
        assert!(!html.contains("<script>alert(1)"));
        assert!(!exists(html, "script"), "no script element");
    }
    assert_eq!(text_of(&general, "h1").unwrap(), "<script>alert(1)</script>", "shown as text");
    assert!(
        exists(&list, r#"td.cell-main a"#) && text_of(&list, "td.cell-main a").unwrap() == "<script>alert(1)</script>"
    );
}

#[tokio::test]
async fn a_deactivated_partner_is_read_only_and_its_forms_answer_409() {
    let (app, enterprise_id) = logged_in().await;
    let mut conn = app.conn();
    let partner = seed_partner(&mut conn, enterprise_id, "Gone Ltd", &["gone.example", "gone.io"], "deactivated");
    let id = domain_id(&mut conn, partner, "gone.io");

    let html = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(html.contains("This partner is deactivated and can no longer be changed."));
    assert!(!exists(&html, &format!(r#"a[href="/settings/partners/{partner}/edit"]"#)), "no Edit link");
    assert!(!exists(&html, "main form"), "no forms at all");
    assert!(!html.contains("Add Products"), "no next steps");

    let r = post_edit(&app, partner, "Back Again", None, false).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("This partner is deactivated and can no longer be changed."));
    assert_eq!(app.get(&format!("/settings/partners/{partner}/edit")).await.status(), StatusCode::CONFLICT);
    let r = post(&app, &format!("/settings/partners/{partner}/domains"), &[("domain", "new.example")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = post(&app, &format!("/settings/partners/{partner}/domains/{id}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    assert_eq!(partner_name(&mut conn, partner), "Gone Ltd");
    assert_eq!(domains_of(&mut conn, partner), ["gone.example", "gone.io"]);
    assert!(audit_actions(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn unreadable_edit_forms_get_a_clear_4xx() {
    let (app, enterprise_id) = logged_in().await;
    let partner = seed_partner(&mut app.conn(), enterprise_id, "Globex", &["globex.com"], "invited");

    // A urlencoded body where a multipart one is expected.
    let r = post(&app, &format!("/settings/partners/{partner}/edit"), &[("name", "Globex 2")]).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(r.text().await.unwrap().contains("Unsupported form"));

    // A multipart body that ends half-way.
    let t = token(&app).await;
    let body = format!("--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nGlob");
    let r = app
        .client
        .post(app.url(&format!("/settings/partners/{partner}/edit")))
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("The form could not be read."));

    // Larger than any upload form may be.
    let r = post_edit(&app, partner, "Globex 2", Some((vec![0u8; 3 * 1024 * 1024], "big.png")), false).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(partner_name(&mut app.conn(), partner), "Globex");
}
