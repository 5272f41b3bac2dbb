//! Domain verification (SPEC §17, issue 18): a partner domain shows the TXT record
//! `_partner-portal.<domain>` to publish; **Verify domain** / **Check now** looks it up through
//! `DNS_RESOLVER`, here a real DNS server the test runs and changes (`dns::TestDns`); the daily
//! re-check (run through `TestApp::run_domain_checks`, the due date written in the past) drops
//! the mark when the record goes, once across instances; and with *Require verified domains
//! for invitations* on, no invitation goes to an address in an unverified domain.

use diesel::prelude::*;
use partner_portal::db::schema::{audit_events, outbox_emails, partner_domains};
use partner_portal::domain::{DomainId, UserRole};
use reqwest::StatusCode;

use crate::{
    dns::{dead_address, TestDns},
    edge::snapshot,
    fixtures::{audit_actions, domain_id, partner_count, seed_complete_draft, InvitationFixture},
    fixtures::{PartnerFixture, UserFixture},
    helpers::{seed_team_member, Browser, Options, TestApp},
    page::Page,
};

const DOMAIN: &str = "globex.example";
const RECORD: &str = "_partner-portal.globex.example";
const VIEWER: &str = "vic@acme.example";

fn globex() -> PartnerFixture {
    PartnerFixture::new("Globex")
        .domains([DOMAIN, "globex-labs.example"])
        .active()
        .account_admin(UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
}

/// Acme with Globex (two domains, Ada its administrator), Erin logged in, the portal asking
/// `dns` for its lookups.
async fn world(dns: &TestDns) -> TestApp {
    TestApp::spawn()
        .with_smtp()
        .env("DNS_RESOLVER", dns.address())
        .with_partner(globex())
        .logged_in_as_enterprise_admin()
        .await
}

fn general(app: &TestApp) -> String {
    format!("/settings/partners/{}", app.partner_id())
}

fn domain(app: &TestApp, name: &str) -> DomainId {
    domain_id(&mut app.conn(), app.partner_id(), name)
}

/// The value the General tab shows for `name`'s TXT record.
async fn shown_value(browser: &Browser, app: &TestApp, name: &str) -> String {
    let page = browser.page(&general(app)).await;
    page.attr(&format!("#txt-value-{}", domain(app, name)), "value").unwrap()
}

/// The domain's line on General: its words as a person reads them.
fn domain_line(page: &Page, id: DomainId) -> String {
    page.squeezed_texts(&format!("#domain-{id}")).into_iter().next().unwrap_or_default()
}

/// Presses the domain's **Verify domain** / **Check now** button, as a browser would.
async fn press_check(browser: &Browser, app: &TestApp, id: DomainId) -> reqwest::Response {
    let page = browser.page(&general(app)).await;
    page.form(&format!("/settings/partners/{}/domains/{id}/verify", app.partner_id())).submit(browser).await
}

fn outbox_count(app: &TestApp) -> i64 {
    outbox_emails::table.count().get_result(&mut app.conn()).unwrap()
}

/// Makes the domain's daily re-check due now.
fn make_due(app: &TestApp, id: DomainId) {
    diesel::update(partner_domains::table.find(id))
        .set(partner_domains::next_check_at.eq(chrono::Utc::now() - chrono::Duration::minutes(1)))
        .execute(&mut app.conn())
        .unwrap();
}

fn verified_at(app: &TestApp, id: DomainId) -> Option<chrono::DateTime<chrono::Utc>> {
    partner_domains::table.find(id).select(partner_domains::verified_at).first(&mut app.conn()).unwrap()
}

/// Publishes the domain's value and presses **Verify domain**: the domain is verified.
async fn verify(app: &TestApp, dns: &TestDns, name: &str) {
    let value = shown_value(&app.browser, app, name).await;
    dns.set_txt(&format!("_partner-portal.{name}"), &[&[&value]]).await;
    let r = press_check(&app.browser, app, domain(app, name)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(verified_at(app, domain(app, name)).is_some(), "{name} verified");
}

#[tokio::test]
async fn publishing_the_record_and_pressing_verify_domain_marks_the_domain_verified() {
    let dns = TestDns::start().await;
    let app = world(&dns).await;
    let id = domain(&app, DOMAIN);
    let page = app.page(&general(&app)).await;
    assert!(domain_line(&page, id).contains("Not verified"), "{page}");
    assert_eq!(page.attr(&format!("#txt-name-{id}"), "value").as_deref(), Some(RECORD));
    let value = page.attr(&format!("#txt-value-{id}"), "value").unwrap();
    assert!(value.starts_with("pp-verify-") && value.len() > 30, "{value}");
    assert_ne!(value, page.attr(&format!("#txt-value-{}", domain(&app, "globex-labs.example")), "value").unwrap());
    assert!(page.exists(&format!("#txt-value-{id}[readonly]")));
    assert_eq!(page.text(&format!("label[for=\"txt-value-{id}\"]")).as_deref(), Some("TXT record value"));
    page.form("Verify domain");

    // Another TXT record there too (an SPF policy), and the value split in two strings.
    dns.set_txt(RECORD, &[&["v=spf1 -all"], &[&value[..12], &value[12..]]]).await;
    let r = press_check(&app.browser, &app, id).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], general(&app));
    let page = app.page(&general(&app)).await;
    assert_eq!(page.flashes(), [format!("{DOMAIN} is verified.")]);
    let line = domain_line(&page, id);
    assert!(line.contains("Verified") && !line.contains("Not verified"), "{line}");
    assert!(line.contains("Verified since") && line.contains("Last checked"), "{line}");
    page.form("Check now");
    assert!(domain_line(&page, domain(&app, "globex-labs.example")).contains("Not verified"));
    // The partner's Admins see the same on their Partner profile, to publish and keep the record.
    let ada = app.browser_of("ada@globex.example").await;
    let profile = ada.page("/partner/profile").await;
    assert!(domain_line(&profile, id).contains("Verified since"), "{profile}");
    assert_eq!(profile.attr(&format!("#txt-value-{id}"), "value"), Some(value));
    assert!(domain_line(&profile, domain(&app, "globex-labs.example")).contains("Not verified"));
    assert!(audit_actions(&mut app.conn(), app.partner_id()).contains(&"partner.domain_verified".to_string()));
}

#[tokio::test]
async fn a_record_with_another_value_or_no_record_leaves_the_domain_not_verified_and_says_why() {
    let dns = TestDns::start().await;
    let app = world(&dns).await;
    let id = domain(&app, DOMAIN);
    dns.set_txt(RECORD, &[&["pp-verify-0000000000000000000000000000000"]]).await;

    let r = press_check(&app.browser, &app, id).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.page(&general(&app)).await;
    let wrong = format!("The TXT record at {RECORD} does not hold this domain's verification value.");
    assert_eq!(page.flashes(), [format!("{DOMAIN} is not verified: {wrong}")]);
    let line = domain_line(&page, id);
    assert!(line.contains("Not verified") && line.contains(&wrong), "{line}");
    assert_eq!(verified_at(&app, id), None);

    dns.remove_txt(RECORD).await;
    press_check(&app.browser, &app, id).await;

    let page = app.page(&general(&app)).await;
    assert!(domain_line(&page, id).contains(&format!("No TXT record was found at {RECORD}.")), "{page}");
    assert_eq!(verified_at(&app, id), None);
    let actions = audit_actions(&mut app.conn(), app.partner_id());
    assert_eq!(actions.iter().filter(|a| *a == "partner.domain_verification_failed").count(), 2, "{actions:?}");
}

#[tokio::test]
async fn the_daily_recheck_drops_the_mark_once_the_record_is_gone_checking_each_domain_once_across_instances() {
    let dns = TestDns::start().await;
    let app = world(&dns).await;
    let (gone, kept) = (domain(&app, DOMAIN), domain(&app, "globex-labs.example"));
    verify(&app, &dns, DOMAIN).await;
    verify(&app, &dns, "globex-labs.example").await;
    assert_eq!(app.run_domain_checks().await, 0, "nothing is due a day ahead");

    dns.remove_txt(RECORD).await;
    make_due(&app, gone);
    make_due(&app, kept);
    let other = app.spawn_another(Options { env: vec![("DNS_RESOLVER", dns.address())], ..Default::default() }).await;
    let events_before = audit_actions(&mut app.conn(), app.partner_id()).len();

    // Both instances' re-checks at the same moment.
    let (here, there) = tokio::join!(app.run_domain_checks(), other.run_domain_checks());

    assert_eq!(here + there, 2, "each domain claimed by one instance only ({here} + {there})");
    assert_eq!(verified_at(&app, gone), None, "the record went: the mark is dropped");
    assert!(verified_at(&app, kept).is_some(), "the record is there: still verified");
    let next: Option<chrono::DateTime<chrono::Utc>> =
        partner_domains::table.find(kept).select(partner_domains::next_check_at).first(&mut app.conn()).unwrap();
    assert!(next.unwrap() > chrono::Utc::now() + chrono::Duration::hours(23), "next check in a day");
    let events: Vec<(String, Option<i64>, String)> = audit_events::table
        .filter(audit_events::partner_id.eq(app.partner_id()))
        .order(audit_events::id)
        .offset(events_before as i64)
        .select((audit_events::action, audit_events::actor_user_id, audit_events::actor_label))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        events,
        [("partner.domain_unverified".to_string(), None, "Partner Portal (daily domain check)".to_string())],
        "one event, by the portal itself"
    );
    let page = app.page(&general(&app)).await;
    let line = domain_line(&page, gone);
    assert!(line.contains("Not verified") && line.contains(&format!("No TXT record was found at {RECORD}.")), "{line}");
    page.form("Verify domain");
    assert_eq!(app.run_domain_checks().await + other.run_domain_checks().await, 0, "nothing left to check");
}

#[tokio::test]
async fn a_dns_server_that_does_not_answer_gives_a_clear_message_and_changes_nothing() {
    let mut dns = TestDns::start().await;
    let app = world(&dns).await;
    verify(&app, &dns, "globex-labs.example").await;
    let (id, verified) = (domain(&app, DOMAIN), domain(&app, "globex-labs.example"));
    dns.stop().await;
    let before = snapshot(&app);

    let r = press_check(&app.browser, &app, id).await;

    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let page = Page::read(r).await;
    let alert = page.text("#domains-error").unwrap_or_default();
    assert!(alert.starts_with(&format!("The DNS lookup of {RECORD} failed")), "{page}");
    assert!(alert.contains("Nothing was changed"), "{alert}");
    assert_eq!(snapshot(&app), before, "nothing changed");

    // The daily re-check of a verified domain keeps the mark when it gets no answer.
    make_due(&app, verified);
    assert_eq!(app.run_domain_checks().await, 1);
    assert!(verified_at(&app, verified).is_some(), "no answer is not a missing record");

    // A portal pointed at an address where nothing listens says the same.
    let elsewhere =
        app.spawn_another(Options { env: vec![("DNS_RESOLVER", dead_address())], ..Default::default() }).await;
    let erin = elsewhere.browser_of(crate::helpers::ADMIN).await;
    let r = press_check(&erin, &app, id).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(Page::read(r).await.text("#domains-error").unwrap_or_default().contains("failed"));
}

/// Ticks or clears *Require verified domains for invitations* and presses **Save**.
async fn require_verified(browser: &Browser, on: bool) -> reqwest::Response {
    let page = browser.page("/settings/enterprise").await;
    let mut form = page.form("/settings/enterprise/domain-verification");
    // An unticked checkbox is not sent at all.
    form.fields.retain(|(name, _)| name != "require_verified_domains");
    if on {
        form = form.set("require_verified_domains", "on");
    }
    form.submit(browser).await
}

#[tokio::test]
async fn with_the_setting_on_invitations_to_unverified_domains_are_refused_until_the_domain_is_verified() {
    let dns = TestDns::start().await;
    let app = world(&dns).await;
    let menu = app.page("/settings/partners").await;
    assert_eq!(menu.link("nav a", "Enterprise settings").as_deref(), Some("/settings/enterprise"));
    let settings = app.page("/settings/enterprise").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert_eq!(
        settings.text("label[for=\"require_verified_domains\"]").as_deref(),
        Some("Require verified domains for invitations")
    );
    assert!(!settings.exists("#require_verified_domains[checked]"));

    let r = require_verified(&app.browser, true).await;

    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let settings = app.page("/settings/enterprise").await;
    assert!(settings.exists("#require_verified_domains[checked]"), "{settings}");
    assert!(settings.flashes()[0].starts_with("Saved."), "{:?}", settings.flashes());
    let last: String = audit_events::table
        .filter(audit_events::partner_id.is_null())
        .order(audit_events::id.desc())
        .select(audit_events::action)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(last, "enterprise.settings_changed");

    let refusal = format!("{DOMAIN} is not verified yet: verify it on the partner page first.");
    let pending = InvitationFixture::new(app.partner_id(), "ivy@globex.example").for_account_admin(true).create(&app);
    let ada = app.browser_of("ada@globex.example").await;
    let draft = seed_complete_draft(&mut app.conn(), app.enterprise_id(), app.admin_id(), "Initech", "initech.example");
    let before = snapshot(&app);
    let outbox = outbox_count(&app);

    // The partner page's "Send invitation" (a new administrator).
    let page = app.page(&general(&app)).await;
    let r = page
        .form("Send invitation")
        .fill(&[("first_name", "Bea"), ("surname", "Boss"), ("email", "bea@globex.example")])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(page.field_error("admin_email").as_deref(), Some(refusal.as_str()), "{page}");
    // Resending the pending administrator invitation.
    let resend = format!("/settings/partners/{}/invitations/{}/resend", app.partner_id(), pending.id);
    let r = app.browser.post(&resend, &page.csrf_token(), &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.main_text().contains(&refusal));
    // A partner Admin inviting a member.
    let members = ada.page("/members").await;
    let r = members
        .form("/members/invite")
        .fill(&[("first_name", "Mia"), ("surname", "Member"), ("email", "mia@globex.example"), ("role", "member")])
        .submit(&ada)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(Page::read(r).await.field_error("email").as_deref(), Some(refusal.as_str()));
    assert_eq!(outbox_count(&app), outbox, "nothing queued");
    assert_eq!(snapshot(&app), before, "nothing changed");

    // Add Partner registers Initech, whose new domain can't be verified before it exists, and
    // keeps the administrator's invitation, unsent, until the domain is verified.
    let partners = partner_count(&mut app.conn(), app.enterprise_id());
    let review = app.page(&format!("/settings/partners/drafts/{draft}/review")).await;
    assert!(
        review.text("#review-verification").unwrap_or_default().contains("keeps the administrator's invitation"),
        "{review}"
    );
    let r = review.form("Add Partner").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let initech_page = crate::helpers::location(&r);
    assert_eq!(partner_count(&mut app.conn(), app.enterprise_id()), partners + 1);
    let page = app.page(&initech_page).await;
    assert!(page.flashes()[0].contains("the administrator's invitation waits"), "{:?}", page.flashes());
    assert!(page.text("#invitation-held").unwrap_or_default().starts_with("Not sent yet"), "{page}");
    assert_eq!(outbox_count(&app), outbox, "the held invitation is not emailed");
    // Resend is refused until initech.example is verified, then it goes out.
    let resend_form = page.form("Resend invitation");
    let r = resend_form.submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Page::read(r).await.main_text().contains("initech.example is not verified yet"));
    let initech_id: partner_portal::domain::PartnerId = initech_page.rsplit('/').next().unwrap().parse().unwrap();
    let initech_domain = domain_id(&mut app.conn(), initech_id, "initech.example");
    let page = app.page(&initech_page).await;
    let value = page.attr(&format!("#txt-value-{initech_domain}"), "value").unwrap();
    dns.set_txt("_partner-portal.initech.example", &[&[&value]]).await;
    let r = page.form(&format!("{initech_page}/domains/{initech_domain}/verify")).submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.page(&initech_page).await.form("Resend invitation").submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.emailed_link("ana@initech.example", "/invitations/").await.starts_with("/invitations/"));

    // Once the domain is verified, the invitation goes out.
    verify(&app, &dns, DOMAIN).await;
    let page = app.page(&general(&app)).await;
    let r = page
        .form("Send invitation")
        .fill(&[("first_name", "Bea"), ("surname", "Boss"), ("email", "bea@globex.example")])
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let link = app.emailed_link("bea@globex.example", "/invitations/").await;
    assert!(link.starts_with("/invitations/"));
    // And turning the setting off lets invitations to unverified domains go again.
    require_verified(&app.browser, false).await;
    assert!(!app.page("/settings/enterprise").await.exists("#require_verified_domains[checked]"));
    let r = ada
        .page("/members")
        .await
        .form("/members/invite")
        .fill(&[("first_name", "Lou"), ("surname", "Labs"), ("email", "lou@globex-labs.example"), ("role", "member")])
        .submit(&ada)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_viewer_sees_the_verification_and_the_setting_but_can_change_neither() {
    let dns = TestDns::start().await;
    let app = world(&dns).await;
    let id = domain(&app, DOMAIN);
    seed_team_member(&app, app.enterprise_id(), VIEWER, UserRole::Viewer);
    let vic = app.browser_of(VIEWER).await;
    let value = shown_value(&vic, &app, DOMAIN).await;
    dns.set_txt(RECORD, &[&[&value]]).await;
    let before = snapshot(&app);

    let page = vic.page(&general(&app)).await;
    assert!(domain_line(&page, id).contains("Not verified"));
    assert!(!page.exists(&format!("form[action$=\"/domains/{id}/verify\"]")), "no button for a Viewer");
    let settings = vic.page("/settings/enterprise").await;
    assert_eq!(settings.status, StatusCode::OK);
    assert!(settings.exists("#require_verified_domains[disabled]"));
    assert!(!settings.exists("form[action=\"/settings/enterprise/domain-verification\"]"));
    let token = page.csrf_token();
    let r = vic.post(&format!("/settings/partners/{}/domains/{id}/verify", app.partner_id()), &token, &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = vic.post("/settings/enterprise/domain-verification", &token, &[("require_verified_domains", "on")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    assert_eq!(snapshot(&app), before, "nothing changed");
}

#[tokio::test]
async fn another_enterprises_domain_is_not_found_and_a_bad_setting_value_is_refused() {
    let dns = TestDns::start().await;
    let app = world(&dns).await;
    let (umbrella, _) = app.create_enterprise_admin("Umbrella", "uma@umbrella.example", crate::helpers::PASSWORD);
    let theirs = PartnerFixture::new("Wayne")
        .domains(["wayne.example"])
        .active()
        .enterprise(umbrella)
        .create_in(&mut app.conn(), umbrella);
    let their_domain = domain_id(&mut app.conn(), theirs.id, "wayne.example");
    let token = app.page(&general(&app)).await.csrf_token();
    let before = snapshot(&app);

    for path in [
        format!("/settings/partners/{}/domains/{their_domain}/verify", theirs.id),
        format!("/settings/partners/{}/domains/{their_domain}/verify", app.partner_id()),
    ] {
        let r = app.browser.post(&path, &token, &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = app
        .browser
        .post("/settings/enterprise/domain-verification", &token, &[("require_verified_domains", "yes")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    assert_eq!(snapshot(&app), before, "nothing changed");
}
