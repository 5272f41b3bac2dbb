//! The journey: an enterprise admin registers a partner and grants it products and APIs; the
//! partner's administrator accepts the emailed invitation and invites a member; the enterprise
//! changes the administrator, revokes the APIs and deactivates the partner, which logs its
//! people out. On the way: a keyboard-only login and registration, a reload in the middle of
//! the wizard, a validation error, the error pages, and a list of ten partners. Since issue 13:
//! a member switches organisation, and another enterprise connects to the partner by its
//! Partner ID, which the partner's administrator accepts with Staff access for the member.
//! Since issue 17: the partner's administrator creates an application with client credentials
//! (shown once), the enterprise a gateway credential, and the application's token is
//! introspected as active until the partner's API access is revoked. Since issue 14: a CSV
//! import with the invitations held, sent afterwards with the list's bulk Send invitations.

use std::time::{Duration, Instant};

use fantoccini::key::Key;

use super::{browser::Browser, browser::Driver, checks::Recorder};
use crate::{
    fixtures::{seed_catalog, PartnerFixture, UserFixture},
    helpers::{Options, TestApp, PASSWORD},
    smtp::TestSmtp,
};

const ADMIN: &str = "erin@acme.example";
const PARTNER: &str = "Globex Corporation";
/// The password the partner's people choose when they accept.
const CHOSEN: &str = "violet harbour lantern 42";
const LONG_NAME: &str = "Consolidated International Widgets, Sprockets and Precision Components Holdings GmbH & Co. KG";

/// The path of the link in the email sent to `to` (waits for it).
async fn emailed_link(smtp: &TestSmtp, app: &TestApp, to: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(mail) = smtp.messages().into_iter().rev().find(|m| m.to() == to) {
            let link =
                mail.link(&app.address).unwrap_or_else(|| panic!("no link in the email to {to}:\n{:?}", mail.text()));
            return url::Url::parse(&link).unwrap().path().to_string();
        }
        assert!(start.elapsed() < Duration::from_secs(15), "no email to {to} within 15 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens an emailed invitation link, sets the password and lands in the Service Catalog.
async fn accept_invitation(b: &Browser, link: &str, rec: Option<&mut Recorder>) {
    b.goto(link).await;
    b.wait_path_is("/invitations/accept").await;
    b.expect_text(PARTNER).await;
    if let Some(rec) = rec {
        rec.page(b, "accept-invitation").await;
    }
    b.fill("Password", CHOSEN).await;
    b.fill("Confirm password", CHOSEN).await;
    b.click_button("Accept invitation").await;
    b.wait_path_is("/service-catalog").await;
}

/// The labels of the domains listed on the wizard's Register Domain step.
async fn wizard_domains(b: &Browser) -> Vec<String> {
    let mut out = Vec::new();
    for li in b.all("//ul[@aria-label='Domains added']/li").await {
        out.push(li.text().await.unwrap_or_default().replace("Remove", "").trim().to_string());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_journey_in_headless_chromium() {
    let started = Instant::now();
    let work = std::env::temp_dir().join(format!("pp-e2e-{}", uuid::Uuid::new_v4().simple()));
    let smtp = TestSmtp::start().await;
    let app = TestApp::spawn_with(Options {
        env: vec![("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".into())],
        // The people in the browser wait for their emails, as people do.
        email_worker: true,
        ..Default::default()
    })
    .await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    seed_catalog(&mut app.conn(), enterprise_id);
    let logo = work.join("globex-logo.png");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(&logo, partner_portal::domain::sample_png(64, 64)).unwrap();

    let driver = Driver::start(&work).await;
    let mut rec = Recorder::new(&work);
    let erin = driver.browser("enterprise-admin", &app.address).await;
    rec.self_test(&erin).await;

    // ---- Log in, keyboard only: Tab to the field, type, Tab, type, Enter. --------------------
    erin.goto("/").await;
    erin.wait_path_is("/login").await;
    rec.page(&erin, "login").await;
    let email = erin.field("Email").await;
    erin.tab_to(&email, "the Email field").await;
    erin.type_text(ADMIN).await;
    erin.press(Key::Tab).await;
    assert!(erin.focused_is(&erin.field("Password").await).await, "Tab goes from Email to Password");
    erin.type_text(PASSWORD).await;
    erin.press_enter_for_new_page().await;
    erin.wait_path_is("/settings/partners").await;

    // ---- Settings → Partners: nothing yet. -------------------------------------------------
    erin.click_menu("Partners").await;
    erin.wait_path_is("/settings/partners").await;
    erin.expect_text("No partners yet").await;
    erin.expect_text("0 of 10 partners registered").await;
    rec.page(&erin, "partners-empty").await;

    // ---- Register partners: every step with the mouse. -------------------------------------
    erin.click_button("Register partners").await;
    let info = erin
        .wait_path("the Partner info step", |p| p.starts_with("/settings/partners/drafts/") && p.ends_with("/info"))
        .await;
    let draft = info.trim_end_matches("/info").to_string();
    rec.page(&erin, "wizard-partner-info").await;
    erin.fill("Partner name", PARTNER).await;
    let upload = erin.field("Logo").await;
    upload.send_keys(logo.to_str().unwrap()).await.unwrap();
    erin.click_button("Next step").await;
    erin.wait_path_is(&format!("{draft}/domains")).await;
    erin.expect_text("Add all the domains the Partner Account will use. Invitations can only be sent to members with registered domains.").await;
    rec.page(&erin, "wizard-register-domain").await;
    for domain in ["globex.example", "globex.de"] {
        erin.fill("Domain", domain).await;
        erin.click_button("Add domain").await;
        erin.wait_until(&format!("{domain} listed"), || async {
            wizard_domains(&erin).await.contains(&domain.to_string())
        })
        .await;
    }
    rec.page(&erin, "wizard-register-domain-two").await;
    erin.click_button("Next step").await;
    erin.wait_path_is(&format!("{draft}/administrator")).await;
    rec.page(&erin, "wizard-administrator").await;
    erin.fill("First Name", "Ana").await;
    erin.fill("Surname", "Lima").await;
    erin.fill("Email", "ana@globex.example").await;
    erin.click_button("Next step").await;
    erin.wait_path_is(&format!("{draft}/review")).await;
    for text in [PARTNER, "globex.example", "globex.de", "Ana", "Lima", "ana@globex.example"] {
        erin.expect_text(text).await;
    }
    rec.page(&erin, "wizard-review").await;
    erin.click_button("Add Partner").await;
    let partner = erin
        .wait_path("the new partner's page", |p| p.starts_with("/settings/partners/") && !p.contains("drafts"))
        .await;
    assert_eq!(erin.heading().await, PARTNER);
    rec.page(&erin, "partner-general-new").await;

    // ---- Add Products, Add APIs (the catalog was seeded). ----------------------------------
    erin.click_link("Add Products").await;
    erin.wait_path_is(&format!("{partner}/products")).await;
    erin.expect_text("No products granted").await;
    rec.page(&erin, "partner-products-empty").await;
    erin.click_link("Add Products").await;
    erin.wait_path_is(&format!("{partner}/products/add")).await;
    rec.page(&erin, "add-products").await;
    erin.tick("Product One").await;
    erin.tick("Product Two").await;
    erin.click_button("Save").await;
    // Review changes: the list of what will change, then Confirm changes.
    erin.expect_text("Review changes").await;
    erin.expect_text("+ Product One").await;
    erin.expect_text("+ Product Two").await;
    rec.page(&erin, "review-products").await;
    erin.click_button("Confirm changes").await;
    erin.wait_path_is(&format!("{partner}/products")).await;
    erin.expect_text("Product One").await;
    erin.expect_text("Product Two").await;
    rec.page(&erin, "partner-products").await;

    erin.click_tab("APIs").await;
    erin.wait_path_is(&format!("{partner}/apis")).await;
    erin.click_link("Add APIs").await;
    erin.wait_path_is(&format!("{partner}/apis/add")).await;
    rec.page(&erin, "add-apis").await;
    for cell in ["API One in Development", "API One in Production", "API Two in Staging", "API Three in Production"] {
        erin.tick(cell).await;
    }
    erin.click_button("Save").await;
    erin.expect_text("+ API One — Development").await;
    erin.expect_text("+ API Three — Production").await;
    rec.page(&erin, "review-apis").await;
    erin.click_button("Confirm changes").await;
    erin.wait_path_is(&format!("{partner}/apis")).await;
    erin.expect_text("API Three").await;
    rec.page(&erin, "partner-apis").await;

    // ---- The access queues (empty so far). -------------------------------------------------
    erin.click_menu("Access requests").await;
    erin.wait_path_is("/settings/access-requests").await;
    erin.expect_text("No request waiting").await;
    rec.page(&erin, "access-requests").await;
    erin.click_menu("Approvals").await;
    erin.wait_path_is("/settings/approvals").await;
    erin.expect_text("Nothing waiting").await;
    rec.page(&erin, "approvals").await;

    // ---- A second partner, keyboard only, with a reload and a mistake on the way. ----------
    erin.click_menu("Partners").await;
    erin.wait_path_is("/settings/partners").await;
    let register = erin.button("Register partners").await;
    erin.tab_to(&register, "Register partners").await;
    erin.press_enter_for_new_page().await;
    let info = erin.wait_path("the Partner info step", |p| p.ends_with("/info") && p.contains("/drafts/")).await;
    let draft2 = info.trim_end_matches("/info").to_string();
    erin.tab_to(&erin.field("Partner name").await, "Partner name").await;
    erin.type_text("Initech").await;
    erin.press_enter_for_new_page().await;
    erin.wait_path_is(&format!("{draft2}/domains")).await;
    erin.tab_to(&erin.field("Domain").await, "Domain").await;
    erin.type_text("initech.example").await;
    erin.press_enter_for_new_page().await; // the form's first button: Add domain
    erin.wait_until("initech.example listed", || async { wizard_domains(&erin).await == ["initech.example"] }).await;

    // A reload mid-way loses nothing (the draft lives on the server) and shows no error.
    erin.refresh().await;
    erin.wait_path_is(&format!("{draft2}/domains")).await;
    assert_eq!(wizard_domains(&erin).await, ["initech.example"], "the domain typed before the reload is still listed");
    let domain_field = erin.field("Domain").await;
    assert_eq!(domain_field.attr("aria-invalid").await.unwrap(), None, "a reload shows no error");

    // A bad domain: the error is shown next to the field and the field points at it.
    erin.tab_to(&domain_field, "Domain").await;
    erin.type_text("https://initech.example/login").await;
    erin.press_enter_for_new_page().await;
    let domain_field = erin.field("Domain").await;
    assert_eq!(
        domain_field.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true"),
        "the field is marked invalid"
    );
    let described_by = domain_field.attr("aria-describedby").await.unwrap().unwrap_or_default();
    let mut error_shown = false;
    let (_, field_y, _, field_h) = domain_field.rectangle().await.unwrap();
    for id in described_by.split_whitespace() {
        let Some(el) = erin.all(&format!("//*[@id='{id}']")).await.pop() else {
            panic!("aria-describedby names #{id}, which does not exist")
        };
        let text = el.text().await.unwrap();
        if id.contains("error") {
            assert!(el.is_displayed().await.unwrap(), "the error is visible");
            assert!(!text.trim().is_empty(), "the error says something");
            let (_, y, _, _) = el.rectangle().await.unwrap();
            assert!(
                y >= field_y && y - (field_y + field_h) < 120.0,
                "the error is right below its field ({y} vs {field_y}+{field_h})"
            );
            error_shown = true;
        }
    }
    assert!(error_shown, "the Domain field is described by its error: aria-describedby={described_by:?}");
    assert_eq!(wizard_domains(&erin).await, ["initech.example"]);
    rec.posted_page(&erin, "wizard-domain-error").await;
    erin.tab_to(&erin.field("Domain").await, "Domain").await;
    erin.clear_focused().await;
    erin.type_text("initech.com").await;
    erin.press_enter_for_new_page().await;
    erin.wait_until("initech.com listed", || async { wizard_domains(&erin).await.len() == 2 }).await;
    erin.tab_to(&erin.button("Next step").await, "Next step").await;
    erin.press_enter_for_new_page().await;
    erin.wait_path_is(&format!("{draft2}/administrator")).await;
    // The rest of the wizard by keyboard too.
    erin.tab_to(&erin.field("First Name").await, "First Name").await;
    erin.type_text("Ivan").await;
    erin.press(Key::Tab).await;
    erin.type_text("Ito").await;
    erin.press(Key::Tab).await;
    erin.type_text("ivan@initech.com").await;
    erin.press_enter_for_new_page().await;
    erin.wait_path_is(&format!("{draft2}/review")).await;
    erin.tab_to(&erin.button("Add Partner").await, "Add Partner").await;
    erin.press_enter_for_new_page().await;
    erin.wait_path("Initech's page", |p| p.starts_with("/settings/partners/") && !p.contains("drafts")).await;
    assert_eq!(erin.heading().await, "Initech");

    erin.click_menu("Partners").await;
    erin.wait_path_is("/settings/partners").await;
    erin.expect_text("2 of 10 partners registered").await;
    rec.page(&erin, "partners-list").await;

    // ---- The partner's administrator accepts in a fresh profile. ----------------------------
    let ana = driver.browser("partner-admin", &app.address).await;
    let link = emailed_link(&smtp, &app, "ana@globex.example").await;
    accept_invitation(&ana, &link, Some(&mut rec)).await;
    for text in ["Product One", "Product Two", "API One", "API Two", "API Three", "Development", "Production"] {
        ana.expect_text(text).await;
    }
    ana.expect_no_text("Product Three").await;
    rec.page(&ana, "service-catalog").await;

    // ---- … and invites a Member. -----------------------------------------------------------
    ana.click_menu("Members").await;
    ana.wait_path_is("/members").await;
    rec.page(&ana, "members").await;
    ana.fill("First Name", "Mia").await;
    ana.fill("Surname", "Moss").await;
    ana.fill("Email", "mia@globex.example").await;
    ana.select("Role", "Member").await;
    ana.click_button("Send invitation").await;
    ana.wait_path_is("/members").await;
    ana.expect_text("mia@globex.example").await;
    rec.page(&ana, "members-invited").await;

    let mia = driver.browser("member", &app.address).await;
    let link = emailed_link(&smtp, &app, "mia@globex.example").await;
    accept_invitation(&mia, &link, None).await;
    mia.expect_text("Product One").await;
    let menu = mia.menu_links().await;
    assert!(
        menu.contains(&"Service Catalog".to_string()) && !menu.contains(&"Members".to_string()),
        "a Member's menu: {menu:?}"
    );
    mia.goto("/members").await;
    mia.expect_text("403").await;
    rec.page(&mia, "error-403").await;
    mia.click_link("Go to the start page").await;
    mia.wait_path_is("/service-catalog").await;
    ana.click_menu("Members").await;
    ana.wait_path_is("/members").await;
    ana.expect_text("Mia Moss").await;
    rec.page(&ana, "members-team").await;

    // ---- Ana makes an application for Globex's software; its token passes the gateway check.
    ana.click_menu("Applications").await;
    ana.wait_path_is("/partner/applications").await;
    rec.page(&ana, "applications").await;
    ana.fill("Application name", "Billing sync").await;
    ana.click_button("Create application").await;
    let application = ana.wait_path("the application's page", |p| p.starts_with("/partner/applications/")).await;
    ana.expect_text("No client credentials in Production yet.").await;
    rec.page(&ana, "application").await;
    let create = ana
        .all("//section[.//h2[normalize-space(.)='Production']]//button[normalize-space(.)='Create credentials']")
        .await
        .pop()
        .expect("Production offers Create credentials");
    ana.click(create, "Create credentials (Production)").await;
    ana.wait_path_is(&format!("{application}/credentials")).await;
    ana.expect_text("Copy the secret now: it won't be shown again.").await;
    let client = crate::common::oauth::Client {
        client_id: ana.field("Client ID").await.prop("value").await.unwrap().unwrap(),
        secret: ana.field("Client secret").await.prop("value").await.unwrap().unwrap(),
    };
    rec.posted_page(&ana, "application-credentials").await;
    ana.click_link("I have copied the secret").await;
    ana.wait_path_is(&application).await;
    ana.expect_no_text(&client.secret).await;

    // Erin makes a gateway credential; the gateway introspects the application's token.
    erin.click_menu("Gateway credentials").await;
    erin.wait_path_is("/settings/gateways").await;
    rec.page(&erin, "gateway-credentials").await;
    erin.fill("Gateway name", "Edge gateway").await;
    erin.click_button("Create gateway credential").await;
    erin.wait_path_is("/settings/gateways").await;
    erin.expect_text("Copy the secret now").await;
    let gateway = crate::common::oauth::Client {
        client_id: erin.field("Client ID").await.prop("value").await.unwrap().unwrap(),
        secret: erin.field("Client secret").await.prop("value").await.unwrap().unwrap(),
    };
    rec.posted_page(&erin, "gateway-credential-created").await;
    let access_token = crate::common::oauth::token(&app, &client).await;
    let (_, answer) = crate::common::oauth::introspect(&app, &gateway, &access_token).await;
    assert_eq!(answer["active"], true, "{answer}");
    assert_eq!(answer["partner"]["name"], PARTNER);
    assert_eq!(answer["scope"], "/one/v1 /three/v1", "API One and API Three are granted in Production");
    erin.goto(&format!("{partner}/applications")).await;
    erin.expect_text("Billing sync").await;
    erin.expect_text(&client.client_id).await;
    rec.page(&erin, "partner-applications").await;
    erin.click_menu("Partners").await;
    erin.wait_path_is("/settings/partners").await;

    // ---- Mia also works for Globex's partnership with another enterprise: Switch organisation.
    {
        let mut conn = app.conn();
        let (initech, _) = app.create_enterprise_admin("Initech", "bill@initech.example", PASSWORD);
        let catalog = seed_catalog(&mut conn, initech);
        let theirs = PartnerFixture::new("Globex for Initech")
            .domains(["globex.example"])
            .active()
            .create_in(&mut conn, initech);
        crate::helpers::member_of(
            &mut conn,
            "mia@globex.example",
            ("Mia", "Moss"),
            "",
            initech,
            Some(theirs.id),
            partner_portal::domain::UserRole::Member,
        );
        crate::fixtures::grant_product(&mut conn, theirs.id, catalog.products[2]);
    }
    // At her next login Mia picks one of the two; then the side menu offers the switch.
    mia.click_button("Log out").await;
    mia.wait_path("the login page", |p| p.starts_with("/login")).await;
    mia.fill("Email", "mia@globex.example").await;
    mia.fill("Password", CHOSEN).await;
    mia.click_button("Log in").await;
    mia.wait_path_is("/organisations").await;
    mia.expect_text("Globex for Initech (partner of Initech)").await;
    rec.page(&mia, "switch-organisation").await;
    mia.click_button("Switch to Globex for Initech (partner of Initech) as Member").await;
    mia.wait_path_is("/service-catalog").await;
    mia.expect_text("Product Three").await;
    mia.expect_no_text("Product One").await;
    mia.click_link("Switch organisation").await;
    mia.wait_path_is("/organisations").await;
    mia.click_button(&format!("Switch to {PARTNER} (partner of Acme) as Member")).await;
    mia.wait_path_is("/service-catalog").await;
    mia.expect_text("Product One").await;

    // ---- Initech connects to Globex by its Partner ID; Ana accepts and gives Mia access. ----
    ana.click_menu("Partner profile").await;
    ana.wait_path_is("/partner/profile").await;
    let partner_code = ana.text_of("#partner-id").await;
    assert!(partner_code.starts_with("PRT-"), "the Partner ID is shown: {partner_code}");
    rec.page(&ana, "partner-profile").await;
    ana.click_menu("Request access").await;
    ana.wait_path_is("/partner/request-access").await;
    ana.expect_text("Nothing to request").await;
    rec.page(&ana, "request-access").await;
    ana.click_menu("Partner profile").await;
    ana.wait_path_is("/partner/profile").await;
    let bill = driver.browser("initech-admin", &app.address).await;
    bill.goto("/login").await;
    bill.fill("Email", "bill@initech.example").await;
    bill.fill("Password", PASSWORD).await;
    bill.click_button("Log in").await;
    bill.wait_path_is("/settings/partners").await;
    bill.click_link("Connect an existing partner").await;
    bill.wait_path_is("/settings/partners/connect").await;
    bill.fill("Partner ID", &partner_code).await;
    rec.page(&bill, "connect-partner").await;
    bill.click_button("Send request").await;
    let requested = bill
        .wait_path("the requested partner's page", |p| {
            p.starts_with("/settings/partners/") && p != "/settings/partners/connect"
        })
        .await;
    bill.expect_text("Requested").await;
    ana.refresh().await;
    ana.expect_text("Initech").await;
    ana.click_button("Accept").await;
    ana.wait_path("the staff access page", |p| p.ends_with("/staff")).await;
    ana.select("Mia Moss", "Member").await;
    rec.page(&ana, "staff-access").await;
    ana.click_button("Save staff access").await;
    ana.wait_path("the staff access page", |p| p.ends_with("/staff")).await;
    bill.goto(&format!("{requested}/users")).await;
    bill.expect_text("mia@globex.example").await;
    bill.expect_text("ana@globex.example").await;
    bill.close().await;

    // ---- The enterprise changes the partner's administrator. -------------------------------
    erin.click_link(PARTNER).await;
    erin.wait_path_is(&partner).await;
    erin.expect_text("Partner administrator account").await;
    erin.fill("First Name", "Nora").await;
    erin.fill("Surname", "Novak").await;
    erin.fill("Email", "nora@globex.example").await;
    erin.click_button("Send invitation").await;
    erin.wait_path_is(&partner).await;
    erin.expect_text("nora@globex.example").await;
    rec.page(&erin, "partner-general").await;

    let nora = driver.browser("new-admin", &app.address).await;
    nora.goto("/login").await;
    nora.click_link("Forgot password").await;
    nora.wait_path_is("/password/forgot").await;
    rec.page(&nora, "forgot-password").await;
    let link = emailed_link(&smtp, &app, "nora@globex.example").await;
    accept_invitation(&nora, &link, None).await;
    assert!(nora.menu_links().await.contains(&"Members".to_string()), "the new administrator manages members");

    erin.click_tab("Users").await;
    erin.wait_path_is(&format!("{partner}/users")).await;
    for text in ["Nora Novak", "Ana Lima", "Mia Moss"] {
        erin.expect_text(text).await;
    }
    rec.page(&erin, "partner-users").await;
    erin.click_tab("Activity").await;
    erin.wait_path("the Activity tab", |p| p.starts_with(&format!("{partner}/activity"))).await;
    rec.page(&erin, "partner-activity").await;

    // ---- Revoke every API, then deactivate. ------------------------------------------------
    erin.click_tab("Delete partner").await;
    erin.wait_path_is(&format!("{partner}/delete")).await;
    erin.expect_text("API access must be revoked first").await;
    assert!(!erin.button("Deactivate partner").await.is_enabled().await.unwrap(), "blocked while API access is left");
    rec.page(&erin, "partner-delete-blocked").await;
    erin.click_button("Revoke all API access").await;
    erin.expect_text("Review changes").await;
    erin.expect_text("− API Three — Production").await;
    rec.page(&erin, "review-revoke-all").await;
    erin.click_button("Confirm changes").await;
    erin.wait_path_is(&format!("{partner}/apis")).await;
    erin.expect_text("No API access").await;
    erin.click_tab("Delete partner").await;
    erin.wait_path_is(&format!("{partner}/delete")).await;
    erin.fill("Partner name", PARTNER).await;
    rec.page(&erin, "partner-delete").await;
    erin.click_button("Deactivate partner").await;
    erin.wait_path_is(&partner).await;
    erin.expect_text("Deactivated").await;
    rec.page(&erin, "partner-deactivated").await;
    assert!(
        !crate::common::oauth::is_active(&app, &gateway, &access_token).await,
        "the application's token died with the API access"
    );

    // The partner's people are logged out at their next click; Ana and Mia, who also work in
    // partnerships with Initech, keep those and are asked to pick one.
    for b in [&nora] {
        b.click_menu("Service Catalog").await;
        b.wait_path(&format!("the login page, for {}", b.name), |p| p.starts_with("/login")).await;
        b.button("Log in").await;
    }
    ana.click_menu("Service Catalog").await;
    ana.wait_path_is("/organisations").await;
    ana.expect_text(&format!("{PARTNER} (partner of Initech)")).await;
    ana.expect_no_text(&format!("{PARTNER} (partner of Acme)")).await;
    mia.click_menu("Service Catalog").await;
    mia.wait_path_is("/organisations").await;
    mia.expect_no_text(&format!("{PARTNER} (partner of Acme)")).await;
    mia.click_button("Switch to Globex for Initech (partner of Initech) as Member").await;
    mia.wait_path_is("/service-catalog").await;
    mia.expect_text("Product Three").await;

    // ---- The rest of the enterprise admin's pages. -----------------------------------------
    erin.click_menu("Catalog").await;
    erin.wait_path_is("/catalog").await;
    rec.page(&erin, "catalog").await;
    erin.click_menu("Activity").await;
    erin.wait_path_is("/settings/activity").await;
    rec.page(&erin, "activity").await;
    erin.click_menu("Enterprise settings").await;
    erin.wait_path_is("/settings/enterprise").await;
    erin.select("Time zone", "Europe/Berlin").await;
    erin.click_button("Save time zone").await;
    erin.wait_path_is("/settings/enterprise").await;
    erin.expect_text("Time zone set to Europe/Berlin.").await;
    rec.page(&erin, "enterprise-settings").await;
    erin.goto("/settings/partners/987654321").await;
    erin.expect_text("404").await;
    rec.page(&erin, "error-404").await;
    erin.click_link("Go to the start page").await;
    erin.wait_path_is("/settings/partners").await;
    import_and_send_invitations(&erin, &smtp, &app, &work, &mut rec).await;

    // ---- Ten partners, one with a very long name, in another enterprise. -------------------
    let (umbrella, _) = app.create_enterprise_admin("Umbrella Holdings", "uma@umbrella.example", PASSWORD);
    {
        let mut conn = app.conn();
        let names = [
            "Northwind Traders",
            LONG_NAME,
            "Contoso Pharmaceuticals",
            "Fabrikam",
            "Tailspin Toys",
            "Wide World Importers",
            "Adventure Works Cycles",
            "Litware",
            "Proseware",
            "Woodgrove Bank",
        ];
        for (i, name) in names.iter().enumerate() {
            let domain = if *name == LONG_NAME {
                "consolidated-international-widgets-sprockets-and-precision-components.example".to_string()
            } else {
                format!("{}.example", name.to_lowercase().replace(' ', "-"))
            };
            let status = if i % 3 == 0 { "invited" } else { "active" };
            let mut partner = PartnerFixture::new(name).domains([domain.as_str()]).status(status);
            if status == "active" {
                let lee = UserFixture::admin(&format!("lee@{domain}")).named("Lee", "Jordan-Whitfield");
                partner = partner.account_admin(lee);
            }
            partner.create_in(&mut conn, umbrella);
        }
    }
    erin.click_button("Log out").await;
    erin.wait_path("the login page", |p| p.starts_with("/login")).await;
    erin.fill("Email", "uma@umbrella.example").await;
    erin.fill("Password", PASSWORD).await;
    erin.click_button("Log in").await;
    erin.wait_path_is("/settings/partners").await;
    erin.expect_text("10 of 10 partners registered").await;
    erin.expect_text(LONG_NAME).await;
    assert!(!erin.button("Register partners").await.is_enabled().await.unwrap(), "at the limit");
    rec.page(&erin, "partners-ten").await;

    for b in [erin, ana, mia, nora] {
        b.close().await;
    }
    drop(driver);
    println!("E2E: the journey took {:.1} s", started.elapsed().as_secs_f64());
    rec.finish();
    let _ = std::fs::remove_dir_all(&work);
    println!("E2E: done in {:.1} s", started.elapsed().as_secs_f64());
}

/// Since issue 14: Import partners from a CSV file with *Send invitation emails* off, then
/// **Send invitations** for the imported partners in bulk from the list (checkboxes in a plain
/// form, its confirmation page, its button), and the administrators' emails arrive.
async fn import_and_send_invitations(
    erin: &Browser,
    smtp: &TestSmtp,
    app: &TestApp,
    work: &std::path::Path,
    rec: &mut Recorder,
) {
    let csv = work.join("partners.csv");
    std::fs::write(
        &csv,
        "name,domains,first_name,surname,email\n\
         Hooli,hooli.example,Gavin,Belson,gavin@hooli.example\n\
         Pied Piper,piedpiper.example,Richard,Hendricks,richard@piedpiper.example\n",
    )
    .unwrap();
    erin.click_link("Import partners").await;
    erin.wait_path_is("/settings/partners/import").await;
    let upload = erin.field("CSV file").await;
    upload.send_keys(csv.to_str().unwrap()).await.unwrap();
    let send = erin.field("Send invitation emails").await;
    if send.is_selected().await.unwrap() {
        send.click().await.unwrap();
    }
    erin.click_button("Preview import").await;
    erin.wait_path_is("/settings/partners/import/preview").await;
    erin.expect_text("2 of 2 rows will be added; 0 can't be.").await;
    rec.page(erin, "import-preview").await;
    erin.click_button("Import").await;
    erin.wait_path_is("/settings/partners").await;
    erin.expect_text("2 partners added; 0 rows skipped.").await;
    erin.expect_text("Pied Piper").await;

    erin.tick("Hooli").await;
    erin.tick("Pied Piper").await;
    erin.click_button("Send invitations").await;
    erin.wait_path("the Send invitations confirmation", |p| p.starts_with("/settings/partners/bulk/send?")).await;
    erin.expect_text("Hooli its invitation to gavin@hooli.example, held since the import, will be sent.").await;
    rec.page(erin, "bulk-send-invitations").await;
    erin.click_button("Send invitations").await;
    erin.wait_path_is("/settings/partners").await;
    erin.expect_text("Invitations sent for 2 partners.").await;
    for to in ["gavin@hooli.example", "richard@piedpiper.example"] {
        assert!(emailed_link(smtp, app, to).await.starts_with("/invitations/"), "{to}");
    }
}

/// Partner programs (issue 14, SPEC §12), a block of its own: the enterprise admin puts a
/// question on the default group's application form and turns its join link on; an applicant
/// opens the link, creates an account, confirms it by the emailed link and applies; the
/// enterprise admin approves the application under **Applications**, and the applicant logs in
/// to the Service Catalog.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_link_application_approved_in_headless_chromium() {
    let started = Instant::now();
    let work = std::env::temp_dir().join(format!("pp-e2e-join-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&work).unwrap();
    let smtp = TestSmtp::start().await;
    let app = TestApp::spawn_with(Options {
        env: vec![("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".into())],
        email_worker: true,
        ..Default::default()
    })
    .await;
    app.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let driver = Driver::start(&work).await;
    let mut rec = Recorder::new(&work);
    let erin = driver.browser("programs-admin", &app.address).await;
    rec.self_test(&erin).await;

    // ---- The group's application form and join link. ---------------------------------------
    erin.goto("/login").await;
    erin.fill("Email", ADMIN).await;
    erin.fill("Password", PASSWORD).await;
    erin.click_button("Log in").await;
    erin.wait_path_is("/settings/partners").await;
    let group: i64 = {
        use diesel::prelude::*;
        use partner_portal::db::schema::partner_groups::dsl as g;
        g::partner_groups.filter(g::is_default.eq(true)).select(g::id).first(&mut app.conn()).unwrap()
    };
    let group = format!("/settings/partners/groups/{group}");
    erin.goto(&group).await;
    erin.expect_text("Application form").await;
    erin.click_link("Add a question").await;
    erin.wait_path_is(&format!("{group}/questions/new")).await;
    rec.page(&erin, "programs-add-question").await;
    erin.fill("Question", "Which region do you sell in?").await;
    erin.select("Type", "Single choice").await;
    erin.tick("Required").await;
    erin.fill("Choices", "Europe\nAmericas\nAsia").await;
    erin.click_button("Add question").await;
    erin.wait_path_is(&group).await;
    erin.click_button("Turn on").await;
    erin.wait_path_is(&group).await;
    erin.expect_text("Which region do you sell in?").await;
    rec.page(&erin, "programs-group").await;
    let url = erin.text_of("#join-url").await;
    let join = url::Url::parse(&url).unwrap().path().to_string();

    // ---- The applicant: account, confirmation link, application. ---------------------------
    let ana = driver.browser("programs-applicant", &app.address).await;
    ana.goto(&join).await;
    ana.expect_text("Apply to Acme").await;
    rec.page(&ana, "programs-join").await;
    ana.click_link("Create an account").await;
    ana.wait_path(&format!("{join}?account=new"), |p| p.starts_with(&join)).await;
    ana.fill("First Name", "Ana").await;
    ana.fill("Surname", "Lima").await;
    ana.fill("Email", "ana@initech.example").await;
    ana.fill("Password", CHOSEN).await;
    ana.fill("Confirm password", CHOSEN).await;
    ana.click_button("Create account").await;
    ana.wait_path_is(&join).await;
    ana.expect_text("Confirm your email address first").await;
    let link = emailed_link(&smtp, &app, "ana@initech.example").await;
    ana.goto(&link).await;
    rec.page(&ana, "programs-confirm").await;
    ana.click_button("Confirm email").await;
    ana.wait_path_is(&join).await;
    ana.fill("Partner name", "Initech").await;
    ana.fill("Domain", "initech.example").await;
    ana.tick("Europe").await;
    rec.page(&ana, "programs-application").await;
    ana.click_button("Submit application").await;
    ana.wait_path_is(&join).await;
    ana.expect_text("your application was sent to Acme").await;

    // ---- Applications: Approve. ------------------------------------------------------------
    erin.goto("/settings/partners/applications").await;
    erin.expect_text("Initech").await;
    erin.expect_text("Europe").await;
    rec.page(&erin, "programs-applications").await;
    erin.click_button("Approve").await;
    erin.wait_path("the new partner's page", |p| p.starts_with("/settings/partners/") && !p.ends_with("applications"))
        .await;
    erin.expect_text("Initech approved").await;
    erin.click_tab("Profile").await;
    erin.expect_text("Which region do you sell in?").await;
    rec.page(&erin, "programs-profile").await;

    let returning = driver.browser("programs-partner", &app.address).await;
    returning.goto("/login").await;
    returning.fill("Email", "ana@initech.example").await;
    returning.fill("Password", CHOSEN).await;
    returning.click_button("Log in").await;
    returning.wait_path_is("/service-catalog").await;

    for b in [erin, ana, returning] {
        b.close().await;
    }
    drop(driver);
    rec.finish();
    let _ = std::fs::remove_dir_all(&work);
    println!("E2E: the join link application took {:.1} s", started.elapsed().as_secs_f64());
}
