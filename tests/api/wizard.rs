//! The register-partner wizard and Add Partner.

use diesel::prelude::*;
use partner_portal::domain::{DraftId, EnterpriseId, PartnerId, UserId};
use partner_portal::{
    db::schema,
    domain::{png_header_only, sample_png},
};
use reqwest::{multipart, StatusCode};

use crate::{
    fixtures::{partner_count, seed_complete_draft, seed_partners, PartnerFixture},
    helpers::{location, TestApp, PASSWORD},
    page::Page,
};

async fn logged_in() -> (TestApp, EnterpriseId, UserId) {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let (enterprise_id, user_id) = (app.enterprise_id(), app.admin_id());
    (app, enterprise_id, user_id)
}

/// The CSRF token of the logged-in session (every page's menu has the Log out form).
async fn token(app: &TestApp) -> String {
    app.page("/settings/activity").await.csrf_token()
}

async fn post(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let t = token(app).await;
    app.browser.post(action, &t, fields).await
}

async fn post_info(app: &TestApp, draft: &str, name: &str, logo: Option<(Vec<u8>, &str)>) -> reqwest::Response {
    let mut form = multipart::Form::new().text("csrf_token", token(app).await).text("name", name.to_string());
    if let Some((bytes, file_name)) = logo {
        form = form.part("logo", multipart::Part::bytes(bytes).file_name(file_name.to_string()));
    }
    app.client.post(app.url(&format!("{draft}/info"))).multipart(form).send().await.unwrap()
}

/// Register partners → the draft's base path.
async fn start(app: &TestApp) -> String {
    let r = post(app, "/settings/partners/drafts", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    to.rsplit_once('/').unwrap().0.to_string()
}

async fn fill_to_review(app: &TestApp, name: &str, domain: &str) -> String {
    let draft = start(app).await;
    assert_eq!(post_info(app, &draft, name, None).await.status(), StatusCode::SEE_OTHER);
    let r = post(app, &format!("{draft}/domains"), &[("domain", domain), ("action", "next")]).await;
    assert_eq!(location(&r), format!("{draft}/administrator"));
    let email = format!("ana@{domain}");
    let r = post(
        app,
        &format!("{draft}/administrator"),
        &[("first_name", "Ana"), ("surname", "Lima"), ("email", email.as_str())],
    )
    .await;
    assert_eq!(location(&r), format!("{draft}/review"));
    draft
}

#[tokio::test]
async fn the_whole_wizard_registers_a_partner_with_domains_logo_and_administrator_invitation() {
    let (app, enterprise_id, _) = logged_in().await;
    let draft = start(&app).await;
    assert!(draft.starts_with("/settings/partners/drafts/"));

    // Partner info
    let html = app.page(&format!("{draft}/info")).await;
    assert!(html.contains(">Partner name</label>") && html.contains(">Logo</label>"));
    let r = post_info(&app, &draft, "Globex Corporation", Some((sample_png(64, 64), "logo.png"))).await;
    assert_eq!(location(&r), format!("{draft}/domains"));

    // Register Domain: the warning, Add domain, then Next step with a second one typed in
    let html = app.page(&format!("{draft}/domains")).await;
    assert!(html.contains("Add all the domains the Partner Account will use. Invitations can only be sent to members with registered domains."));
    let r = post(&app, &format!("{draft}/domains"), &[("domain", "  Globex.COM. "), ("action", "add")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{draft}/domains"), "Post/Redirect/Get: a reload does not add it again");
    let html = app.page(&format!("{draft}/domains")).await;
    assert!(html.contains("globex.com"), "normalised and listed");
    let r = post(&app, &format!("{draft}/domains"), &[("domain", "globex.de"), ("action", "next")]).await;
    assert_eq!(location(&r), format!("{draft}/administrator"));

    // Partner account administrator
    let r = post(
        &app,
        &format!("{draft}/administrator"),
        &[("first_name", "Ana"), ("surname", "Lima"), ("email", "Ana.Lima@GLOBEX.de")],
    )
    .await;
    assert_eq!(location(&r), format!("{draft}/review"));

    // Review: everything, with a way back to each section
    let (status, html) = app.get_html(&format!("{draft}/review")).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Globex Corporation",
        "globex.com",
        "globex.de",
        "Ana",
        "Lima",
        "ana.lima@globex.de",
        "Edit partner info",
        "Edit domains",
        "Edit administrator",
        ">Add Partner<",
    ] {
        assert!(html.contains(text), "review shows {text}");
    }

    let r = post(&app, &format!("{draft}/submit"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let partner_page = location(&r);
    let partner_id: PartnerId = partner_page.rsplit('/').next().unwrap().parse().unwrap();

    let mut conn = app.conn();
    let (name, status): (String, String) = schema::partners::table
        .find(partner_id)
        .select((schema::partners::name, schema::partners::status))
        .first(&mut conn)
        .unwrap();
    assert_eq!((name.as_str(), status.as_str()), ("Globex Corporation", "invited"));
    let domains: Vec<String> = schema::partner_domains::table
        .filter(schema::partner_domains::partner_id.eq(partner_id))
        .order(schema::partner_domains::domain)
        .select(schema::partner_domains::domain)
        .load(&mut conn)
        .unwrap();
    assert_eq!(domains, ["globex.com", "globex.de"]);
    let (email, role, admin, token_hash): (String, String, bool, Vec<u8>) = schema::invitations::table
        .filter(schema::invitations::partner_id.eq(partner_id))
        .select((
            schema::invitations::email,
            schema::invitations::role,
            schema::invitations::for_account_admin,
            schema::invitations::token_hash,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((email.as_str(), role.as_str(), admin), ("ana.lima@globex.de", "admin", true));
    assert_eq!(token_hash.len(), 32, "only a SHA-256 of the token is stored");
    let logo: Vec<u8> =
        schema::partner_logos::table.find(partner_id).select(schema::partner_logos::bytes).first(&mut conn).unwrap();
    assert_eq!(logo, sample_png(64, 64));
    let actions: Vec<String> = schema::audit_events::table
        .filter(schema::audit_events::partner_id.eq(partner_id))
        .select(schema::audit_events::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(actions, ["partner.registered"]);
    assert_eq!(partner_count(&mut conn, enterprise_id), 1);

    // Going back to the finished wizard leads to the partner, not to a second registration.
    assert_eq!(location(&app.get(&format!("{draft}/review")).await), partner_page);
}

#[tokio::test]
async fn refresh_back_and_reopening_the_wizard_lose_nothing() {
    let (app, _, _) = logged_in().await;
    let draft = start(&app).await;
    post_info(&app, &draft, "Initech", None).await;
    post(&app, &format!("{draft}/domains"), &[("domain", "initech.example"), ("action", "add")]).await;

    // Refresh and back: each step shows what was saved.
    let html = app.page(&format!("{draft}/info")).await;
    assert!(html.contains("value=\"Initech\""));
    let html = app.page(&format!("{draft}/domains")).await;
    assert!(html.contains("initech.example"));

    // Register partners again: the same draft, at the step where the admin left off.
    let r = post(&app, "/settings/partners/drafts", &[]).await;
    assert_eq!(location(&r), format!("{draft}/administrator"));
}

#[tokio::test]
async fn step_tabs_link_only_to_steps_already_reachable() {
    let (app, _, _) = logged_in().await;
    let draft = start(&app).await;
    let html = app.page(&format!("{draft}/info")).await;
    assert!(html.contains(&format!("href=\"{draft}/info\"")));
    assert!(!html.contains(&format!("href=\"{draft}/review\"")));
    assert_eq!(location(&app.get(&format!("{draft}/review")).await), format!("{draft}/info"));
}

#[tokio::test]
async fn partner_info_errors_are_shown_next_to_their_fields_with_the_input_kept() {
    let (app, _, _) = logged_in().await;
    PartnerFixture::new("Umbrella").domains(["umbrella.example"]).active().create(&app);
    let draft = start(&app).await;

    let r = post_info(&app, &draft, "X", None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = Page::read(r).await;
    assert!(html.text("#name-error").is_some());
    assert!(html.contains("value=\"X\""), "input kept");

    let r = post_info(&app, &draft, "UMBRELLA", None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.text("#name-error").unwrap().contains("already called"));

    let svg = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>".to_vec();
    let r = post_info(&app, &draft, "Cyberdyne", Some((svg, "logo.png"))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.text("#logo-error").unwrap().contains("SVG"));

    let r = post_info(&app, &draft, "Cyberdyne", Some((b"GIF89a not really".to_vec(), "logo.gif"))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_info(&app, &draft, "Cyberdyne", Some((vec![0u8; 1024 * 1024 + 1], "big.png"))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_info(&app, &draft, "Cyberdyne", Some((png_header_only(30_000, 30_000), "bomb.png"))).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.text("#logo-error").unwrap().contains("30000"));
    let logo: Option<Option<Vec<u8>>> = schema::partner_drafts::table
        .select(schema::partner_drafts::logo_bytes)
        .first(&mut app.conn())
        .optional()
        .unwrap();
    assert_eq!(logo, Some(None), "no refused file was kept");
}

#[tokio::test]
async fn each_domain_rule_is_enforced_with_a_clear_message() {
    let (app, _, _) = logged_in().await;
    PartnerFixture::new("Umbrella").domains(["umbrella.example"]).active().create(&app);
    PartnerFixture::new("Old Co").domains(["oldco.example"]).deactivated().create(&app);
    let draft = start(&app).await;
    post_info(&app, &draft, "Cyberdyne", None).await;
    let domains = format!("{draft}/domains");

    for bad in [
        "http://cyberdyne.example/x",
        "cyberdyne.example:8080",
        "*.cyberdyne.example",
        "10.0.0.1",
        "localhost",
        "a@cyberdyne.example",
    ] {
        let r = post(&app, &domains, &[("domain", bad), ("action", "add")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad} refused");
        let html = Page::read(r).await;
        assert!(html.text("#domain-error").is_some(), "{bad} has a message");
        assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
    }
    let r = post(&app, &domains, &[("domain", "umbrella.example"), ("action", "add")]).await;
    assert!(Page::read(r).await.text("#domain-error").unwrap().contains("another partner"));

    // A deactivated partner's domain is free again; IDN becomes punycode; repeats are refused.
    assert_eq!(
        post(&app, &domains, &[("domain", "oldco.example"), ("action", "add")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = post(&app, &domains, &[("domain", "Bücher.example"), ("action", "add")]).await;
    assert_eq!(location(&r), domains);
    assert!(app.get_html(&domains).await.1.contains("xn--bcher-kva.example"));
    let r = post(&app, &domains, &[("domain", "OLDCO.example."), ("action", "add")]).await;
    assert!(Page::read(r).await.text("#domain-error").unwrap().contains("already in the list"));

    // Remove one; Next step with none left is refused.
    post(&app, &domains, &[("remove", "oldco.example")]).await;
    post(&app, &domains, &[("remove", "xn--bcher-kva.example")]).await;
    let r = post(&app, &domains, &[("domain", ""), ("action", "next")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.text("#domain-error").unwrap().contains("at least one"));
}

/// The domains saved in the draft (what Next step and Add Partner would use).
fn draft_domains(app: &TestApp, draft: &str) -> Vec<String> {
    let id: DraftId = draft.rsplit('/').next().unwrap().parse().unwrap();
    schema::partner_drafts::table.find(id).select(schema::partner_drafts::domains).first(&mut app.conn()).unwrap()
}

#[tokio::test]
async fn public_suffixes_and_free_mail_domains_are_refused_next_to_the_field_and_not_saved() {
    let (app, _, _) = logged_in().await;
    let draft = start(&app).await;
    post_info(&app, &draft, "Acme", None).await;
    let domains = format!("{draft}/domains");

    for (typed, message) in [
        ("gmail.com", "gmail.com is a free or disposable email service"),
        ("GMAIL.COM", "gmail.com is a free or disposable email service"),
        ("mailinator.com", "mailinator.com is a free or disposable email service"),
        ("co.uk", "co.uk is shared by many unrelated organisations (it is a public suffix)"),
        ("github.io", "github.io is shared by many unrelated organisations (it is a public suffix)"),
    ] {
        for action in ["add", "next"] {
            let r = post(&app, &domains, &[("domain", typed), ("action", action)]).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed} ({action}) refused");
            let html = Page::read(r).await;
            let error = html.text("#domain-error").unwrap_or_else(|| panic!("{typed} has a message"));
            assert!(error.contains(message), "{typed}: {error}");
            assert!(error.contains("Enter your organisation's own domain"), "{typed}: {error}");
            assert!(html.contains("aria-invalid=\"true\""), "the field is marked");
            assert!(html.contains(&format!("value=\"{typed}\"")), "what was typed is kept");
        }
    }
    assert!(draft_domains(&app, &draft).is_empty(), "nothing saved");

    // A registrable domain under a public suffix is fine.
    let r = post(&app, &domains, &[("domain", "acme.co.uk"), ("action", "add")]).await;
    assert_eq!(location(&r), domains);
    assert_eq!(draft_domains(&app, &draft), ["acme.co.uk"]);
    assert!(app.get_html(&domains).await.1.contains("acme.co.uk"));
}

#[tokio::test]
async fn a_draft_holding_a_free_mail_domain_from_before_the_rule_is_not_registered() {
    let (app, enterprise_id, user_id) = logged_in().await;
    let id = seed_complete_draft(&mut app.conn(), enterprise_id, user_id, "Freemail Co", "gmail.com");
    let r = post(&app, &format!("/settings/partners/drafts/{id}/submit"), &[]).await;
    assert_eq!(location(&r), format!("/settings/partners/drafts/{id}"));
    let step = location(&app.get(&format!("/settings/partners/drafts/{id}")).await);
    assert!(app.page(&step).await.contains("Please complete the “Register Domain” step first."));
    assert_eq!(partner_count(&mut app.conn(), enterprise_id), 0);
}

#[tokio::test]
async fn the_administrator_email_must_be_exactly_in_a_registered_domain() {
    let (app, enterprise_id, _) = logged_in().await;
    let draft = start(&app).await;
    post_info(&app, &draft, "Cyberdyne", None).await;
    post(&app, &format!("{draft}/domains"), &[("domain", "cyberdyne.example"), ("action", "next")]).await;
    let admin = format!("{draft}/administrator");

    for bad in [
        "ana@eu.cyberdyne.example",
        "ana@cyberdyne.example.evil.com",
        "Ana <ana@cyberdyne.example>",
        "\"ana lima\"@cyberdyne.example",
        "ana(x)@cyberdyne.example",
        "ana@x@cyberdyne.example",
        "ana@cyberdyne.example\r\nBcc: x@evil.com",
        "ana@other.example",
    ] {
        let r = post(&app, &admin, &[("first_name", "Ana"), ("surname", "Lima"), ("email", bad)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?} refused");
        assert!(Page::read(r).await.text("#email-error").is_some());
    }
    let r = post(&app, &admin, &[("first_name", " "), ("surname", "Lima"), ("email", "ana@cyberdyne.example")]).await;
    assert!(Page::read(r).await.text("#first_name-error").is_some());

    assert_eq!(partner_count(&mut app.conn(), enterprise_id), 0);

    // An address that already has an account elsewhere is welcome (one person, many
    // organisations): the step is saved and the review comes next.
    app.create_enterprise_admin("Other Corp", "boss@cyberdyne.example", PASSWORD);
    let r = post(&app, &admin, &[("first_name", "B"), ("surname", "B"), ("email", "boss@cyberdyne.example")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).ends_with("/review"), "{}", location(&r));
}

#[tokio::test]
async fn text_typed_into_the_wizard_comes_back_escaped() {
    let (app, _, _) = logged_in().await;
    let xss = "<script>alert(1)</script>";
    let draft = start(&app).await;
    post_info(&app, &draft, xss, None).await;
    post(&app, &format!("{draft}/domains"), &[("domain", "xss.example"), ("action", "next")]).await;
    post(&app, &format!("{draft}/administrator"), &[("first_name", xss), ("surname", xss), ("email", "a@xss.example")])
        .await;

    let html = app.page(&format!("{draft}/review")).await;

    assert!(!html.contains(xss));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || html.contains("&#60;script&#62;"));
}

#[tokio::test]
async fn an_eleventh_partner_is_refused_with_a_clear_message() {
    let (app, enterprise_id, _) = logged_in().await;
    seed_partners(&mut app.conn(), enterprise_id, 9);
    let draft = fill_to_review(&app, "Tenth", "tenth.example").await;
    PartnerFixture::new("Sneaked in").domains(["sneaky.example"]).create(&app);

    let r = post(&app, &format!("{draft}/submit"), &[]).await;

    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = Page::read(r).await;
    assert!(html.text("#review-error").unwrap().contains("10 of 10 partners registered"));
    assert_eq!(partner_count(&mut app.conn(), enterprise_id), 10);
    // Register partners is refused up front too.
    let other = post(&app, "/settings/partners/drafts", &[]).await;
    assert_eq!(location(&other), format!("{draft}/review"), "the unfinished draft is resumed, not a new one");
    diesel::delete(schema::partner_drafts::table).execute(&mut app.conn()).unwrap();
    let r = post(&app, "/settings/partners/drafts", &[]).await;
    assert_eq!(location(&r), "/settings/partners");
    assert_eq!(schema::partner_drafts::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 0);
}

#[tokio::test]
async fn a_deactivated_partner_does_not_count_toward_the_limit() {
    let (app, enterprise_id, _) = logged_in().await;
    seed_partners(&mut app.conn(), enterprise_id, 9);
    PartnerFixture::new("Gone").domains(["gone.example"]).deactivated().create(&app);
    let draft = fill_to_review(&app, "Tenth", "tenth.example").await;

    let r = post(&app, &format!("{draft}/submit"), &[]).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(partner_count(&mut app.conn(), enterprise_id), 11, "10 live + 1 deactivated");
}

#[tokio::test]
async fn twenty_concurrent_add_partner_submissions_at_nine_partners_create_exactly_one() {
    let (app, enterprise_id, user_id) = logged_in().await;
    seed_partners(&mut app.conn(), enterprise_id, 9);
    let drafts: Vec<DraftId> = (0..20)
        .map(|i| {
            seed_complete_draft(
                &mut app.conn(),
                enterprise_id,
                user_id,
                &format!("Rush {i}"),
                &format!("rush{i}.example"),
            )
        })
        .collect();
    let t = token(&app).await;

    let requests = drafts.iter().map(|id| {
        let req = app
            .client
            .post(app.url(&format!("/settings/partners/drafts/{id}/submit")))
            .form(&[("csrf_token", t.as_str())]);
        async move { req.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(requests).await;

    let created = statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::CONFLICT).count();
    println!("20 concurrent submissions at 9 partners: {created} created, {refused} refused");
    assert_eq!((created, refused), (1, 19));
    assert_eq!(partner_count(&mut app.conn(), enterprise_id), 10);
}

#[tokio::test]
async fn submitting_the_same_draft_twice_makes_one_partner() {
    let (app, enterprise_id, user_id) = logged_in().await;
    let draft = seed_complete_draft(&mut app.conn(), enterprise_id, user_id, "Twice", "twice.example");
    let t = token(&app).await;
    let submit = || {
        let req = app
            .client
            .post(app.url(&format!("/settings/partners/drafts/{draft}/submit")))
            .form(&[("csrf_token", t.as_str())]);
        async move { req.send().await.unwrap() }
    };

    let (a, b) = tokio::join!(submit(), submit());
    let c = submit().await;

    let targets: Vec<String> = [a, b, c].iter().map(location).collect();
    assert!(targets[0].starts_with("/settings/partners/"));
    assert!(targets.iter().all(|t| *t == targets[0]), "every click lands on the same partner: {targets:?}");
    assert_eq!(partner_count(&mut app.conn(), enterprise_id), 1);
}

#[tokio::test]
async fn another_admins_or_another_tenants_draft_is_not_found() {
    let (app, enterprise_id, _) = logged_in().await;
    let (other_enterprise, other_admin) = app.create_enterprise_admin("Other", "olga@other.example", PASSWORD);
    let foreign = seed_complete_draft(&mut app.conn(), other_enterprise, other_admin, "Theirs", "theirs.example");
    let colleague = crate::helpers::seed_admin(&app, enterprise_id, "carl@acme.example");
    let colleagues = seed_complete_draft(&mut app.conn(), enterprise_id, colleague, "Carl's", "carls.example");

    for id in [foreign, colleagues] {
        for step in ["info", "domains", "administrator", "review", "logo"] {
            let r = app.get(&format!("/settings/partners/drafts/{id}/{step}")).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{step} of draft {id}");
        }
        assert_eq!(
            post(&app, &format!("/settings/partners/drafts/{id}/submit"), &[]).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(
                &app,
                &format!("/settings/partners/drafts/{id}/domains"),
                &[("domain", "x.example"), ("action", "add")]
            )
            .await
            .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            post(&app, &format!("/settings/partners/drafts/{id}/discard"), &[]).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(app.get("/settings/partners/drafts/not-a-number/info").await.status(), StatusCode::NOT_FOUND);
    let mut conn = app.conn();
    assert_eq!(schema::partner_drafts::table.count().get_result::<i64>(&mut conn).unwrap(), 2, "nothing discarded");
    assert_eq!(schema::partners::table.count().get_result::<i64>(&mut conn).unwrap(), 0, "nothing submitted");
}

#[tokio::test]
async fn drafts_untouched_for_a_week_are_cleaned_up() {
    let (app, enterprise_id, user_id) = logged_in().await;
    let mut conn = app.conn();
    let old = seed_complete_draft(&mut conn, enterprise_id, user_id, "Old", "old.example");
    let fresh = seed_complete_draft(&mut conn, enterprise_id, user_id, "Fresh", "fresh.example");
    diesel::update(schema::partner_drafts::table.find(old))
        .set(schema::partner_drafts::updated_at.eq(chrono::Utc::now() - chrono::Duration::days(8)))
        .execute(&mut conn)
        .unwrap();

    partner_portal::db::drafts::delete_stale(&mut conn).unwrap();

    let left: Vec<DraftId> = schema::partner_drafts::table.select(schema::partner_drafts::id).load(&mut conn).unwrap();
    assert_eq!(left, [fresh]);
}
