//! Partner organisations and the Partner ID (SPEC §11): an enterprise connects an existing
//! partner by Partner ID or by its connection link; the organisation's Admins accept (and
//! choose Staff access) or decline; Leave enterprise; throttled, indistinguishable lookups;
//! the partner limit under concurrent requests.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{EnterpriseId, MembershipId, PartnerId, UserId};
use reqwest::StatusCode;

use crate::{
    fixtures::{grant_product, seed_catalog, seed_partners, PartnerFixture, UserFixture},
    helpers::{location, Browser, TestApp, PASSWORD},
    page::Page,
};

const ADA: &str = "ada@globex.example";
const MAX: &str = "max@globex.example";
const NO_PARTNER: &str = "No partner has this Partner ID.";

/// Acme (Erin logged in, SMTP on), and Beta, another enterprise, whose partner Globex
/// (globex.example) has Ada as Admin and account administrator and Max as Member.
struct World {
    app: TestApp,
    beta: EnterpriseId,
    /// Globex's partnership with Beta.
    globex_at_beta: PartnerId,
    ada: UserId,
    max: UserId,
}

async fn world() -> World {
    let app = TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await;
    let (beta, _) = app.create_enterprise_admin("Beta", "bob@beta.example", PASSWORD);
    let globex = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .enterprise(beta)
        .account_admin(UserFixture::admin(ADA).named("Ada", "Admin"))
        .user(UserFixture::member(MAX).named("Max", "Member"))
        .create(&app);
    World { beta, globex_at_beta: globex.id, ada: globex.users[0], max: globex.users[1], app }
}

/// The organisation's (Partner ID, connect code) of a partnership.
fn codes_of(app: &TestApp, partner_id: PartnerId) -> (String, String) {
    use schema::{partner_organisations as o, partners as p};
    p::table
        .inner_join(o::table)
        .filter(p::id.eq(partner_id))
        .select((o::partner_code, o::connect_code))
        .first(&mut app.conn())
        .unwrap()
}

fn status_of(app: &TestApp, partner_id: PartnerId) -> String {
    use schema::partners as p;
    p::table.find(partner_id).select(p::status).first(&mut app.conn()).unwrap()
}

/// The partner id in a `/settings/partners/{id}` or `/partner/partnerships/{id}/staff` path.
fn id_in(path: &str) -> PartnerId {
    let n = path.split('/').find_map(|s| s.parse::<i64>().ok()).unwrap_or_else(|| panic!("no id in {path}"));
    PartnerId::new(n)
}

fn live_membership(app: &TestApp, user: UserId, partner: PartnerId) -> Option<(MembershipId, String)> {
    use schema::memberships as m;
    m::table
        .filter(m::user_id.eq(user))
        .filter(m::partner_id.eq(partner))
        .filter(m::ended_at.is_null())
        .select((m::id, m::role))
        .first(&mut app.conn())
        .optional()
        .unwrap()
}

fn audit_of(app: &TestApp, partner: PartnerId) -> Vec<String> {
    crate::fixtures::audit_actions(&mut app.conn(), partner)
}

/// Sends **Send request** with this Partner ID from `browser`.
async fn request(browser: &Browser, partner_id: &str) -> reqwest::Response {
    let page = browser.page("/settings/partners/connect").await;
    page.form("Send request").set("partner_id", partner_id).submit(browser).await
}

/// Erin asks to connect with Globex by Partner ID; returns the new partnership.
async fn erin_requests_globex(w: &World) -> PartnerId {
    let (code, _) = codes_of(&w.app, w.globex_at_beta);
    let r = request(&w.app.browser, &code).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    id_in(&location(&r))
}

/// Ada opens Partner profile from the emailed link and accepts; returns her browser and the
/// Staff access page she lands on.
async fn ada_accepts(w: &World) -> (Browser, String) {
    let link = w.app.emailed_link(ADA, "/partner/profile").await;
    let ada = w.app.browser_of(ADA).await;
    let profile = ada.page(&link).await;
    assert!(profile.contains("Connection requests"));
    assert_eq!(profile.rows_of("#requests").len(), 1);
    assert_eq!(profile.rows_of("#requests")[0][0], "Acme");
    let r = profile.form("Accept").submit(&ada).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let staff = location(&r);
    assert!(staff.ends_with("/staff"), "{staff}");
    (ada, staff)
}

/// A browser of `email` working in its membership of `partner`.
async fn working_in(app: &TestApp, email: &str, user: UserId, partner: PartnerId) -> Browser {
    let b = app.browser_of(email).await;
    let (membership, _) = live_membership(app, user, partner).expect("a live membership");
    let token = b.page("/organisations").await.csrf_token();
    let r = b.post("/organisations", &token, &[("membership_id", &membership.to_string())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    b
}

#[tokio::test]
async fn connecting_by_partner_id_then_accepting_with_staff_access_gives_a_member_that_enterprises_catalog() {
    let w = world().await;
    let catalog = seed_catalog(&mut w.app.conn(), w.app.enterprise_id());

    // Erin sends the request: a `requested` partnership she sees by name and status only.
    let id = erin_requests_globex(&w).await;
    let page = w.app.page(&format!("/settings/partners/{id}")).await;
    assert!(page.contains("Globex"));
    assert!(page.contains("Requested"));
    for tab in ["products", "apis", "users", "activity", "delete"] {
        let r = w.app.get(&format!("/settings/partners/{id}/{tab}")).await;
        assert_eq!(r.status(), StatusCode::OK, "the {tab} tab of a requested partnership");
    }
    let refused = w
        .app
        .submit(
            &format!("/settings/partners/{id}"),
            &format!("/settings/partners/{id}/administrator"),
            &[("first_name", "Eve"), ("surname", "E"), ("email", "eve@globex.example")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::CONFLICT, "no administrator change while requested");

    // Ada gets the email, sees the request and accepts.
    let mail = w.app.emails().await.into_iter().find(|m| m.to() == ADA).expect("an email to Ada");
    assert!(mail.subject().contains("Acme"), "{}", mail.subject());
    assert!(mail.html().is_some() && mail.text().is_some());
    let (ada, staff) = ada_accepts(&w).await;
    assert_eq!(id_in(&staff), id);
    assert_eq!(status_of(&w.app, id), "active");
    assert_eq!(crate::fixtures::domains_of(&mut w.app.conn(), id), vec!["globex.example".to_string()]);
    assert_eq!(live_membership(&w.app, w.ada, id).map(|m| m.1), Some("admin".into()));
    assert_eq!(live_membership(&w.app, w.max, id), None, "only the accepting Admin by default");

    // Staff access: Max becomes a Member for Acme, and is told by email.
    let page = ada.page(&staff).await;
    assert_eq!(page.attr(&format!("#access-{} option[selected]", w.max), "value").as_deref(), Some("none"));
    let r = page.form("Save staff access").set(&format!("access_{}", w.max), "member").submit(&ada).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(live_membership(&w.app, w.max, id).map(|m| m.1), Some("member".into()));
    let mail = w.app.emails().await.into_iter().find(|m| m.to() == MAX).expect("an email to Max");
    assert!(mail.subject().contains("Acme"), "{}", mail.subject());
    let actions = audit_of(&w.app, id);
    for a in ["partner.connection_requested", "partner.connection_accepted", "partner.staff_access_changed"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // The enterprise sees both on the Users tab; Max works in Acme and sees Acme's grant.
    let users = w.app.page(&format!("/settings/partners/{id}/users")).await;
    assert!(users.contains(ADA) && users.contains(MAX));
    grant_product(&mut w.app.conn(), id, catalog.products[1]);
    let max = working_in(&w.app, MAX, w.max, id).await;
    let (status, html) = max.get_html("/service-catalog").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Product Two"), "Acme's grant is in Max's catalog");
    let max_at_beta = working_in(&w.app, MAX, w.max, w.globex_at_beta).await;
    let (_, html) = max_at_beta.get_html("/service-catalog").await;
    assert!(!html.contains("Product Two"), "Beta's catalog has nothing of Acme");
}

#[tokio::test]
async fn the_connection_link_brings_an_enterprise_admin_through_login_to_the_prefilled_request() {
    let w = world().await;
    let (code, connect) = codes_of(&w.app, w.globex_at_beta);
    let fresh = w.app.another_browser();

    let r = fresh.get(&format!("/connect/{connect}")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"));
    let r = fresh.login(crate::helpers::ADMIN, PASSWORD).await;
    assert_eq!(location(&r), format!("/connect/{connect}"), "back to the link after logging in");
    let page = fresh.page(&format!("/connect/{connect}")).await;
    assert_eq!(page.attr("#partner_id", "value"), Some(code));
    let r = page.form("Send request").submit(&fresh).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&w.app, id_in(&location(&r))), "requested");

    // A partner person opening the link is not an Enterprise admin.
    let ada = w.app.browser_of(ADA).await;
    assert_eq!(ada.get(&format!("/connect/{connect}")).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn already_connected_is_said_plainly_and_changes_nothing() {
    let w = world().await;
    let id = erin_requests_globex(&w).await;
    let (code, _) = codes_of(&w.app, w.globex_at_beta);
    let r = request(&w.app.browser, &code).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(Page::read(r).await.contains("already connected with Globex"));
    assert_eq!(crate::fixtures::partner_count(&mut w.app.conn(), w.app.enterprise_id()), 1);
    assert_eq!(status_of(&w.app, id), "requested");
}

#[tokio::test]
async fn declining_ends_the_request_for_good_and_a_new_request_makes_a_new_partnership() {
    let w = world().await;
    let id = erin_requests_globex(&w).await;
    let ada = w.app.browser_of(ADA).await;

    let r = ada.page("/partner/profile").await.form("Decline").submit(&ada).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&w.app, id), "declined");
    assert!(audit_of(&w.app, id).iter().any(|a| a == "partner.connection_declined"));
    assert!(ada.page("/partner/profile").await.rows_of("#requests").is_empty());
    let token = ada.page("/partner/profile").await.csrf_token();
    let again = ada.post(&format!("/partner/connections/{id}/accept"), &token, &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "a declined request can't be accepted");
    let second = erin_requests_globex(&w).await;
    assert_ne!(second, id);
}

#[tokio::test]
async fn an_unknown_partner_id_and_one_of_an_organisation_without_admins_get_the_same_answer() {
    let w = world().await;
    let gone = PartnerFixture::new("Gone")
        .domains(["gone.example"])
        .deactivated()
        .enterprise(w.beta)
        .account_admin(UserFixture::admin("gil@gone.example"))
        .create(&w.app);
    let (gone_code, _) = codes_of(&w.app, gone.id);

    let unknown = request(&w.app.browser, "PRT-ZZZZZZ").await;
    let (unknown_status, unknown_page) = (unknown.status(), Page::read(unknown).await);
    let deactivated = request(&w.app.browser, &gone_code).await;
    let (deactivated_status, deactivated_page) = (deactivated.status(), Page::read(deactivated).await);

    assert_eq!(unknown_status, StatusCode::NOT_FOUND);
    assert_eq!(deactivated_status, unknown_status);
    assert_eq!(unknown_page.field_error("partner_id").as_deref(), Some(NO_PARTNER));
    assert_eq!(deactivated_page.text("main"), unknown_page.text("main"), "nothing tells them apart");
    assert_eq!(crate::fixtures::partner_count(&mut w.app.conn(), w.app.enterprise_id()), 0);
}

#[tokio::test]
async fn partner_id_lookups_that_match_nothing_are_throttled_per_person() {
    let w = world().await;
    for i in 0..10 {
        let r = request(
            &w.app.browser,
            &format!("PRT-ZZZZ{}", ["22", "23", "24", "25", "26", "27", "28", "29", "32", "33"][i]),
        )
        .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "try {i}");
    }
    let (code, _) = codes_of(&w.app, w.globex_at_beta);

    let r = request(&w.app.browser, &code).await;

    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "even a real Partner ID waits");
    assert!(Page::read(r).await.contains("Too many Partner IDs that matched no partner"));
    assert_eq!(crate::fixtures::partner_count(&mut w.app.conn(), w.app.enterprise_id()), 0);
    // Another Enterprise admin is not slowed down by Erin's tries.
    let (_, _) = w.app.create_enterprise_admin("Gamma", "gus@gamma.example", PASSWORD);
    let gus = w.app.browser_of("gus@gamma.example").await;
    assert_eq!(request(&gus, &code).await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn regenerating_the_connection_link_kills_the_old_one() {
    let w = world().await;
    let (code, old) = codes_of(&w.app, w.globex_at_beta);
    let ada = w.app.browser_of(ADA).await;
    let profile = ada.page("/partner/profile").await;
    assert_eq!(profile.text("#partner-id"), Some(code));
    assert!(profile.text("#connection-link").unwrap().ends_with(&format!("/connect/{old}")));

    let r = profile.form("Regenerate link").submit(&ada).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, new) = codes_of(&w.app, w.globex_at_beta);
    assert_ne!(new, old);
    let (status, html) = w.app.get_html(&format!("/connect/{old}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("This connection link does not work"));
    assert_eq!(w.app.get(&format!("/connect/{new}")).await.status(), StatusCode::OK);
    assert!(audit_of(&w.app, w.globex_at_beta).iter().any(|a| a == "partner.connection_link_regenerated"));
}

#[tokio::test]
async fn twenty_concurrent_connection_requests_at_nine_partners_create_exactly_one() {
    let w = world().await;
    let acme = w.app.enterprise_id();
    seed_partners(&mut w.app.conn(), acme, 9);
    let codes: Vec<String> = (0..20)
        .map(|i| {
            let org = PartnerFixture::new(&format!("Org {i}"))
                .domains([format!("org{i}.example")])
                .active()
                .enterprise(w.beta)
                .account_admin(UserFixture::admin(&format!("admin@org{i}.example")))
                .create(&w.app);
            codes_of(&w.app, org.id).0
        })
        .collect();
    let browsers = futures_util::future::join_all((0..20).map(|_| w.app.browser_of(crate::helpers::ADMIN))).await;
    let mut forms = Vec::new();
    for b in &browsers {
        forms.push(b.page("/settings/partners/connect").await.csrf_token());
    }

    let requests = browsers.iter().zip(&forms).zip(&codes).map(|((b, token), code)| async move {
        let r = b.post("/settings/partners/connect", token, &[("partner_id", code)]).await;
        let status = r.status();
        (status, r.text().await.unwrap())
    });
    let results = futures_util::future::join_all(requests).await;

    let created = results.iter().filter(|(s, _)| *s == StatusCode::SEE_OTHER).count();
    let refused: Vec<_> = results.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).collect();
    assert_eq!((created, refused.len()), (1, 19));
    for (_, body) in refused {
        assert!(body.contains("already has 10 of 10 partners registered"), "the limit message");
    }
    assert_eq!(crate::fixtures::partner_count(&mut w.app.conn(), acme), 10);
}

#[tokio::test]
async fn leaving_an_enterprise_ends_its_sessions_at_once_and_a_new_request_starts_afresh() {
    let w = world().await;
    let catalog = seed_catalog(&mut w.app.conn(), w.app.enterprise_id());
    let id = erin_requests_globex(&w).await;
    let (ada, staff) = ada_accepts(&w).await;
    let page = ada.page(&staff).await;
    page.form("Save staff access").set(&format!("access_{}", w.max), "member").submit(&ada).await;
    grant_product(&mut w.app.conn(), id, catalog.products[0]);
    let max_at_acme = working_in(&w.app, MAX, w.max, id).await;
    let max_at_beta = working_in(&w.app, MAX, w.max, w.globex_at_beta).await;
    assert_eq!(max_at_acme.get("/service-catalog").await.status(), StatusCode::OK);

    // Ada, working in Beta, leaves Acme.
    let confirm = ada.page(&format!("/partner/partnerships/{id}/leave")).await;
    assert!(confirm.contains("Acme"));
    let r = confirm.form("Leave enterprise").submit(&ada).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&w.app, id), "deactivated");
    assert!(audit_of(&w.app, id).iter().any(|a| a == "partner.left_enterprise"));
    assert_ne!(max_at_acme.get("/service-catalog").await.status(), StatusCode::OK, "Acme is gone for Max");
    assert_eq!(max_at_beta.get("/service-catalog").await.status(), StatusCode::OK, "Beta still works");
    assert_eq!(ada.get("/partner/profile").await.status(), StatusCode::OK);
    let erin_sees = w.app.page(&format!("/settings/partners/{id}")).await;
    assert!(erin_sees.contains("Deactivated"));

    // A new request makes a new partnership, without the old grants or people.
    let again = erin_requests_globex(&w).await;
    assert_ne!(again, id);
    ada_accepts(&w).await;
    assert_eq!(status_of(&w.app, again), "active");
    assert_eq!(live_membership(&w.app, w.max, again), None);
    let products: i64 = schema::partner_products::table
        .filter(schema::partner_products::partner_id.eq(again))
        .count()
        .get_result(&mut w.app.conn())
        .unwrap();
    assert_eq!(products, 0, "no old grants");
}

#[tokio::test]
async fn a_partner_admin_reaches_only_partnerships_of_their_own_organisation() {
    let w = world().await;
    let other = PartnerFixture::new("Initech")
        .domains(["initech.example"])
        .active()
        .account_admin(UserFixture::admin("ian@initech.example"))
        .create(&w.app);
    let ada = w.app.browser_of(ADA).await;
    let token = ada.page("/partner/profile").await.csrf_token();

    for path in
        [format!("/partner/partnerships/{}/staff", other.id), format!("/partner/partnerships/{}/leave", other.id)]
    {
        assert_eq!(ada.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        assert_eq!(ada.post(&path, &token, &[]).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let accept = ada.post(&format!("/partner/connections/{}/accept", other.id), &token, &[]).await;
    assert_eq!(accept.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&w.app, other.id), "active");
    // Members are not Admins: no Partner profile.
    let max = w.app.browser_of(MAX).await;
    assert_eq!(max.get("/partner/profile").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn staff_access_keeps_the_account_administrator_an_admin() {
    let w = world().await;
    let ada = w.app.browser_of(ADA).await;
    let staff = format!("/partner/partnerships/{}/staff", w.globex_at_beta);
    let page = ada.page(&staff).await;

    let r = page.form("Save staff access").set(&format!("access_{}", w.ada), "member").submit(&ada).await;

    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(Page::read(r).await.contains("The account administrator keeps Admin access"));
    assert_eq!(live_membership(&w.app, w.ada, w.globex_at_beta).map(|m| m.1), Some("admin".into()));
}
