//! A partner's page: tabs, General (info, domains, administrator), editing, the logo, Users,
//! Activity, tenant isolation and deactivated partners.

use partner_portal::domain::{png_header_only, sample_png, EnterpriseId, PartnerId};
use reqwest::{multipart, StatusCode};

use crate::{
    fixtures::{
        audit_actions, domain_id, domains_of, logo_of, partner_name, InvitationFixture, PartnerFixture, UserFixture,
    },
    helpers::{location, TestApp},
    page::Page,
};

async fn logged_in() -> (TestApp, EnterpriseId) {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();
    (app, enterprise_id)
}

/// The CSRF token of the logged-in session (every page's menu has the Log out form).
async fn token(app: &TestApp) -> String {
    app.page("/settings/partners").await.csrf_token()
}

async fn post(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let t = token(app).await;
    app.browser.post(action, &t, fields).await
}

/// Submits Edit partner info like a browser: the token first, then the fields.
async fn post_edit(
    app: &TestApp,
    partner: PartnerId,
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

async fn page(app: &TestApp, path: &str) -> Page {
    let page = app.page(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}:\n{page}");
    page
}

#[tokio::test]
async fn the_general_tab_shows_the_partner_its_domains_and_the_pending_administrator() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com", "globex.io"]).create(&app).id;
    InvitationFixture::new(partner, "ana@globex.com").for_account_admin(true).create(&app);

    let html = page(&app, &format!("/settings/partners/{partner}")).await;

    assert_eq!(html.text("h1").unwrap(), "Globex");
    assert!(html.contains(r#"<span class="badge badge-invited">Invited</span>"#));
    let tabs = html.texts(r#"nav.tabs[aria-label="Partner sections"] a"#);
    assert_eq!(tabs, ["General", "Products", "APIs", "Users", "Profile", "Applications", "Activity", "Delete partner"]);
    assert_eq!(html.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "General");
    assert!(html.contains("globex.com") && html.contains("globex.io"));
    for label in ["First Name", "Surname", "Email", "Ana", "Lima", "ana@globex.com", "Pending"] {
        assert!(html.contains(label), "{label}");
    }
    assert!(html.exists(&format!(r#"a[href="/settings/partners/{partner}/edit"]"#)), "Edit link");
    assert!(html.exists(r#"label[for="domain"]"#) && html.contains("Add domain"));
    assert!(html.contains(&format!(
        r#"<a class="button button-primary" href="/settings/partners/{partner}/products">Add Products</a>"#
    )));
    assert!(html.contains(&format!(r#"<a class="button" href="/settings/partners/{partner}/apis">Add APIs</a>"#)));
}

#[tokio::test]
async fn the_accepted_administrator_is_shown_by_name() {
    let (app, _) = logged_in().await;
    let paula = UserFixture::admin("paula@globex.com").named("Paula", "Partner");
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).active().account_admin(paula).create(&app).id;

    let html = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(html.contains("Paula") && html.contains("Partner") && html.contains("paula@globex.com"));

    let users = page(&app, &format!("/settings/partners/{partner}/users")).await;
    assert!(users.contains("Paula Partner") && users.contains("Account administrator") && users.contains("Admin"));
    assert!(users.contains("No invitations"));
}

#[tokio::test]
async fn the_users_tab_lists_invitations_with_their_state() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;
    InvitationFixture::new(partner, "ana@globex.com").for_account_admin(true).create(&app);

    let html = page(&app, &format!("/settings/partners/{partner}/users")).await;

    assert_eq!(html.text(r#"nav.tabs a[aria-current="page"]"#).unwrap(), "Users");
    assert!(html.contains("No users yet"));
    assert!(html.contains("ana@globex.com") && html.contains("Pending"));
}

#[tokio::test]
async fn another_enterprises_partner_is_not_found_anywhere_and_nothing_changes() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    let other = partner_portal::db::enterprises::insert(&mut conn, "Other", 10).unwrap();
    let theirs = PartnerFixture::new("Theirs")
        .domains(["theirs.example", "theirs.io"])
        .active()
        .create_in(&mut conn, other.id)
        .id;
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
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;
    let form = page(&app, &format!("/settings/partners/{partner}/edit")).await;
    assert!(
        form.exists(r#"form[enctype="multipart/form-data"] > input[name="csrf_token"]:first-child"#),
        "token first"
    );
    assert!(form.exists(r#"input#name[name="name"][value="Globex"]"#) && form.exists(r#"label[for="name"]"#));
    assert!(form.exists(r#"input#logo[type="file"][name="logo"][accept="image/png,image/jpeg,image/webp"]"#));
    assert!(
        form.contains("PNG, JPEG or WebP, at most 1 MB") && form.contains("Save changes") && form.contains("Cancel")
    );

    let r = post_edit(&app, partner, "  Globex Corporation ", None, false).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/settings/partners/{partner}"));
    let html = page(&app, &location(&r)).await;
    assert!(html.contains("Partner details saved."));
    assert_eq!(html.text("h1").unwrap(), "Globex Corporation");
    assert_eq!(partner_name(&mut app.conn(), partner), "Globex Corporation");
    let activity = page(&app, &format!("/settings/partners/{partner}/activity")).await;
    assert!(activity.contains("Renamed the partner"));
    assert!(activity.contains("From “Globex” to “Globex Corporation”"));
    assert!(
        activity.texts("tbody td:nth-child(2)").iter().any(|t| t.starts_with("Erin Admin <erin@acme.example>")),
        "who"
    );
    assert!(activity.contains(" UTC</time>"), "when");
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.renamed"]);
}

#[tokio::test]
async fn renaming_to_another_partners_name_in_different_case_is_refused() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    PartnerFixture::new("Initech").domains(["initech.example"]).active().create(&app);
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;

    let r = post_edit(&app, partner, "INITECH", None, false).await;

    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(r).await;
    assert!(html.text("#name-error").unwrap().contains("Another partner is already called"));
    assert!(html.exists(
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
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;
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
    assert!(html.exists(&format!(r#"img.logo-preview[src^="/settings/partners/{partner}/logo"]"#)));
    let list = page(&app, "/settings/partners").await;
    assert!(list.contains(&format!(r#"src="/settings/partners/{partner}/logo?v="#)));
    let activity = page(&app, &format!("/settings/partners/{partner}/activity")).await;
    assert!(activity.contains("Changed the logo"));

    // And it can be removed again.
    let form = page(&app, &format!("/settings/partners/{partner}/edit")).await;
    assert!(
        form.exists(r#"input[type="checkbox"]#remove_logo[name="remove_logo"]"#)
            && form.contains("Remove the current logo")
    );
    assert_eq!(post_edit(&app, partner, "Globex", None, true).await.status(), StatusCode::SEE_OTHER);
    assert!(logo_of(&mut app.conn(), partner).is_none());
    assert_eq!(app.get(&format!("/settings/partners/{partner}/logo")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.logo_changed", "partner.logo_removed"]);
}

#[tokio::test]
async fn unacceptable_logos_are_refused_and_nothing_changes() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;
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
        let html = Page::read(r).await;
        let error = html.text("#logo-error").unwrap_or_default();
        assert!(error.contains(message), "{message}: {error}");
        assert!(html.exists(r#".field-invalid input#logo[aria-invalid="true"]"#));
        assert!(html.exists(r#"input#name[value="Globex Renamed"]"#), "the name is kept");
    }

    let mut conn = app.conn();
    assert!(logo_of(&mut conn, partner).is_none());
    assert_eq!(partner_name(&mut conn, partner), "Globex");
    assert!(audit_actions(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn an_invalid_or_taken_domain_is_refused_with_the_field_marked() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    PartnerFixture::new("Initech").domains(["initech.example"]).active().create(&app);
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;
    let add = format!("/settings/partners/{partner}/domains");

    let r = post(&app, &add, &[("domain", "http://acme.com/x")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(r).await;
    assert_eq!(html.text("#domain-error").unwrap(), "Enter a domain like acme.com, without http:// or a path.");
    assert!(html.exists(
r#".field-invalid input#domain[aria-invalid="true"][aria-describedby="domain-error"][value="http://acme.com/x"]"#
    ));

    let r = post(&app, &add, &[("domain", "Initech.EXAMPLE")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.text("#domain-error").unwrap().contains("already registered to another partner"));

    let r = post(&app, &add, &[("domain", "globex.com.")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        Page::read(r).await.text("#domain-error").unwrap(),
        "This domain is already registered for this partner."
    );

    assert_eq!(domains_of(&mut conn, partner), ["globex.com"]);
    assert!(audit_actions(&mut conn, partner).is_empty());
}

#[tokio::test]
async fn a_public_suffix_or_a_free_mail_domain_is_refused_next_to_the_field_and_nothing_changes() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Acme").domains(["acme.com"]).create(&app).id;
    let add = format!("/settings/partners/{partner}/domains");

    for (typed, message) in [
        (
            "gmail.com",
            "gmail.com is a free or disposable email service: anyone can get an address there. \
             Enter your organisation's own domain, like acme.com.",
        ),
        (
            " Outlook.COM. ",
            "outlook.com is a free or disposable email service: anyone can get an address there. \
             Enter your organisation's own domain, like acme.com.",
        ),
        (
            "co.uk",
            "co.uk is shared by many unrelated organisations (it is a public suffix). \
             Enter your organisation's own domain, like acme.co.uk.",
        ),
        (
            "s3.amazonaws.com",
            "s3.amazonaws.com is shared by many unrelated organisations (it is a public suffix). \
             Enter your organisation's own domain, like acme.s3.amazonaws.com.",
        ),
    ] {
        let r = post(&app, &add, &[("domain", typed)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed} refused");
        let html = Page::read(r).await;
        assert_eq!(html.text("#domain-error").unwrap(), message);
        assert!(html.exists(&format!(
            r#".field-invalid input#domain[aria-invalid="true"][aria-describedby="domain-error"][value="{typed}"]"#
        )));
    }
    assert_eq!(domains_of(&mut app.conn(), partner), ["acme.com"]);
    assert!(audit_actions(&mut app.conn(), partner).is_empty());

    let r = post(&app, &add, &[("domain", "Acme.CO.UK")]).await;
    assert_eq!(location(&r), format!("/settings/partners/{partner}"));
    assert_eq!(domains_of(&mut app.conn(), partner), ["acme.co.uk", "acme.com"]);
    assert!(page(&app, &location(&r)).await.contains("Domain acme.co.uk added."));
}

#[tokio::test]
async fn a_free_mail_domain_stored_before_the_rule_is_still_shown_and_can_be_removed() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Old Co").domains(["oldco.example", "gmail.com"]).create(&app).id;
    let html = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(html.contains("gmail.com"));
    let id = domain_id(&mut app.conn(), partner, "gmail.com");
    let r = post(&app, &format!("/settings/partners/{partner}/domains/{id}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(domains_of(&mut app.conn(), partner), ["oldco.example"]);
}

#[tokio::test]
async fn a_domain_can_be_added_and_removed_and_both_show_on_activity() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;

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
    let rows = &activity.html[activity.html.find("<tbody").expect("an events table")..];
    assert!(rows.contains("Added a domain") && rows.contains("Removed a domain"));
    assert!(rows.find("Removed a domain") < rows.find("Added a domain"), "newest first");
    assert_eq!(audit_actions(&mut app.conn(), partner), ["partner.domain_added", "partner.domain_removed"]);
}

#[tokio::test]
async fn a_domain_cannot_be_removed_while_a_pending_invitation_or_a_user_depends_on_it_or_when_it_is_the_last() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    let partner = PartnerFixture::new("Globex").domains(["globex.com", "globex.io", "globex.net"]).create(&app).id;
    InvitationFixture::new(partner, "ana@globex.com").for_account_admin(true).create(&app);
    UserFixture::member("paula@globex.io").named("Paula", "Partner").create(&app, partner);
    let remove = |domain: &str| {
        let id = domain_id(&mut app.conn(), partner, domain);
        format!("/settings/partners/{partner}/domains/{id}/remove")
    };

    let r = post(&app, &remove("globex.com"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let message = Page::read(r).await.text("#domains-error").unwrap();
    assert!(message.contains("an invitation to ana@globex.com is pending: revoke it first."), "{message}");

    let r = post(&app, &remove("globex.io"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(Page::read(r).await.text("#domains-error").unwrap().contains("paula@globex.io"));

    assert_eq!(post(&app, &remove("globex.net"), &[]).await.status(), StatusCode::SEE_OTHER);
    let lone = PartnerFixture::new("Lone").domains(["lone.example"]).create(&app).id;
    let id = domain_id(&mut conn, lone, "lone.example");
    let r = post(&app, &format!("/settings/partners/{lone}/domains/{id}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(Page::read(r).await.text("#domains-error").unwrap().contains("A partner needs at least one domain."));

    assert_eq!(domains_of(&mut conn, partner), ["globex.com", "globex.io"]);
    assert_eq!(domains_of(&mut conn, lone), ["lone.example"]);
    assert_eq!(audit_actions(&mut conn, partner), ["partner.domain_removed"]);
}

#[tokio::test]
async fn a_script_as_partner_name_comes_back_escaped() {
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("<script>alert(1)</script>").domains(["xss.example"]).create(&app).id;

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
        assert!(!html.exists("script"), "no script element");
    }
    assert_eq!(general.text("h1").unwrap(), "<script>alert(1)</script>", "shown as text");
    assert!(list.exists(r#"td.cell-main a"#) && list.text("td.cell-main a").unwrap() == "<script>alert(1)</script>");
}

#[tokio::test]
async fn a_deactivated_partner_is_read_only_and_its_forms_answer_409() {
    let (app, _) = logged_in().await;
    let mut conn = app.conn();
    let partner = PartnerFixture::new("Gone Ltd").domains(["gone.example", "gone.io"]).deactivated().create(&app).id;
    let id = domain_id(&mut conn, partner, "gone.io");

    let html = page(&app, &format!("/settings/partners/{partner}")).await;
    assert!(html.contains("This partner is deactivated and can no longer be changed."));
    assert!(!html.exists(&format!(r#"a[href="/settings/partners/{partner}/edit"]"#)), "no Edit link");
    assert!(!html.exists("main form"), "no forms at all");
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
    let (app, _) = logged_in().await;
    let partner = PartnerFixture::new("Globex").domains(["globex.com"]).create(&app).id;

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
