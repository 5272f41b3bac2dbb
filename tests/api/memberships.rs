//! One person, several memberships (SPEC §10): picking and switching, each side's data only,
//! removal of one membership leaving the others working, accepting an invitation with an
//! existing account, the wrong-account refusal, last-admin rules and Leave partner.

use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{EnterpriseId, MembershipId, PartnerId, UserId, UserRole};
use reqwest::StatusCode;

use crate::{
    fixtures::{grant_product, seed_catalog, InvitationFixture, PartnerFixture, UserFixture},
    helpers::{location, member_of, Browser, TestApp, PASSWORD},
    page::Page,
};

const SAM: &str = "sam@consult.example";

/// Sam works for a consultancy that partners with two enterprises: Admin of "Consult for
/// Acme" (enterprise A) and Member of "Consult for Initech" (enterprise B). Each enterprise
/// granted one different product.
struct TwoSides {
    app: TestApp,
    a_partner: PartnerId,
    b_partner: PartnerId,
    b_enterprise: EnterpriseId,
    sam: UserId,
}

async fn two_sides() -> TwoSides {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let a_enterprise = app.enterprise_id();
    let (b_enterprise, _) = app.create_enterprise_admin("Initech", "bill@initech.example", PASSWORD);
    let mut conn = app.conn();
    let a_catalog = seed_catalog(&mut conn, a_enterprise);
    let b_catalog = seed_catalog(&mut conn, b_enterprise);
    let a_partner = PartnerFixture::new("Consult for Acme")
        .domains(["consult.example"])
        .active()
        .account_admin(UserFixture::admin(SAM).named("Sam", "Shared"))
        .create_in(&mut conn, a_enterprise);
    let b_partner = PartnerFixture::new("Consult for Initech")
        .domains(["consult.example"])
        .active()
        .account_admin(UserFixture::admin("lead@consult.example").named("Lee", "Lead"))
        .user(UserFixture::member(SAM).named("Sam", "Shared"))
        .create_in(&mut conn, b_enterprise);
    grant_product(&mut conn, a_partner.id, a_catalog.products[0]);
    grant_product(&mut conn, b_partner.id, b_catalog.products[1]);
    let sam = partner_portal::db::users::find_by_email(&mut conn, SAM).unwrap().unwrap().id;
    TwoSides { app, a_partner: a_partner.id, b_partner: b_partner.id, b_enterprise, sam }
}

/// Sam's membership id in `partner`.
fn membership(app: &TestApp, partner: PartnerId, user: UserId) -> MembershipId {
    partner_portal::db::memberships::find_in_partner(&mut app.conn(), partner, user).unwrap().unwrap().membership_id
}

async fn switch_to(browser: &Browser, membership: MembershipId) -> reqwest::Response {
    browser.submit("/organisations", "/organisations", &[("membership_id", &membership.to_string())]).await
}

#[tokio::test]
async fn a_person_with_two_memberships_picks_one_switches_and_sees_exactly_each_sides_catalog() {
    let TwoSides { app, a_partner, b_partner, sam, .. } = two_sides().await;
    let browser = app.another_browser();

    // Logging in asks which organisation to work in; nothing else opens before that.
    let r = browser.login(SAM, PASSWORD).await;
    assert_eq!(location(&r), "/organisations");
    assert_eq!(location(&browser.get("/service-catalog").await), "/organisations");
    let picker = browser.page("/organisations").await;
    assert!(picker.contains("Consult for Acme (partner of Acme)"), "{}", picker.html);
    assert!(picker.contains("Consult for Initech (partner of Initech)"));

    // A: Admin, Product One only.
    let r = switch_to(&browser, membership(&app, a_partner, sam)).await;
    assert_eq!(location(&r), "/service-catalog");
    let catalog = browser.page("/service-catalog").await;
    assert!(catalog.contains("Product One") && !catalog.contains("Product Two"), "{}", catalog.html);
    assert!(catalog.contains("as Admin"));
    assert_eq!(browser.get("/members").await.status(), StatusCode::OK, "an Admin in A");
    let menu = browser.page("/service-catalog").await;
    assert!(menu.contains("Switch organisation"), "the side menu offers the switch");

    // B: Member, Product Two only; Members is not theirs there.
    let r = switch_to(&browser, membership(&app, b_partner, sam)).await;
    assert_eq!(location(&r), "/service-catalog");
    let catalog = browser.page("/service-catalog").await;
    assert!(catalog.contains("Product Two") && !catalog.contains("Product One"), "{}", catalog.html);
    assert!(catalog.contains("as Member"));
    assert_eq!(browser.get("/members").await.status(), StatusCode::FORBIDDEN, "a Member in B");

    // The switcher marks the current one.
    let picker = browser.page("/organisations").await;
    assert!(picker.html.contains("choice-current"));
}

#[tokio::test]
async fn someone_elses_membership_cannot_be_picked() {
    let TwoSides { app, b_partner, .. } = two_sides().await;
    let lee = partner_portal::db::users::find_by_email(&mut app.conn(), "lead@consult.example").unwrap().unwrap();
    let browser = app.another_browser();
    browser.login(SAM, PASSWORD).await;

    let r = switch_to(&browser, membership(&app, b_partner, lee.id)).await;

    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(location(&browser.get("/service-catalog").await), "/organisations", "still nothing picked");
}

#[tokio::test]
async fn removing_one_membership_ends_that_access_at_once_and_leaves_the_other_working() {
    let TwoSides { app, a_partner, b_partner, sam, .. } = two_sides().await;
    let sam_browser = app.another_browser();
    sam_browser.login(SAM, PASSWORD).await;
    switch_to(&sam_browser, membership(&app, b_partner, sam)).await;
    assert_eq!(sam_browser.get("/service-catalog").await.status(), StatusCode::OK);

    // Lee, B's Admin, removes Sam from B.
    let lee = app.browser_of("lead@consult.example").await;
    let r = lee.submit(&format!("/members/{sam}/remove"), &format!("/members/{sam}/remove"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Sam's next request no longer acts in B: only A is left to pick.
    assert_eq!(location(&sam_browser.get("/service-catalog").await), "/organisations");
    let picker = sam_browser.page("/organisations").await;
    assert!(picker.contains("Consult for Acme") && !picker.contains("Consult for Initech"), "{}", picker.html);
    switch_to(&sam_browser, membership(&app, a_partner, sam)).await;
    let catalog = sam_browser.page("/service-catalog").await;
    assert_eq!(catalog.status, StatusCode::OK);
    assert!(catalog.contains("Product One"));

    // And logging in again goes straight to A: one membership left.
    let again = app.another_browser();
    assert_eq!(location(&again.login(SAM, PASSWORD).await), "/service-catalog");
}

#[tokio::test]
async fn ids_of_the_other_organisation_answer_404_even_for_the_same_person() {
    let TwoSides { app, a_partner, b_partner, b_enterprise, sam } = two_sides().await;
    // Sam is also an Enterprise admin of B's enterprise.
    member_of(&mut app.conn(), SAM, ("Sam", "Shared"), "", b_enterprise, None, UserRole::EnterpriseAdmin);
    let browser = app.another_browser();
    browser.login(SAM, PASSWORD).await;
    switch_to(&browser, membership(&app, a_partner, sam)).await;

    // Acting as A's partner Admin: B's enterprise pages are not reachable.
    assert_eq!(browser.get(&format!("/settings/partners/{b_partner}")).await.status(), StatusCode::FORBIDDEN);

    // Acting as B's Enterprise admin: A's partner is another tenant's, so 404.
    let team = partner_portal::db::memberships::live_for_user(&mut app.conn(), sam)
        .unwrap()
        .into_iter()
        .find(|m| m.partner_id.is_none())
        .unwrap();
    let r = switch_to(&browser, team.membership_id).await;
    assert_eq!(location(&r), "/settings/partners");
    assert_eq!(browser.get(&format!("/settings/partners/{b_partner}")).await.status(), StatusCode::OK);
    assert_eq!(browser.get(&format!("/settings/partners/{a_partner}")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_existing_account_accepts_by_logging_in_and_gains_a_membership() {
    let TwoSides { app, b_partner, sam, .. } = two_sides().await;
    // Initech's partner "Consult for Initech" already has Sam; a third enterprise's partner
    // invites Sam too.
    let (c_enterprise, _) = app.create_enterprise_admin("Hooli", "gavin@hooli.example", PASSWORD);
    let c_partner = PartnerFixture::new("Consult for Hooli")
        .domains(["consult.example"])
        .active()
        .create_in(&mut app.conn(), c_enterprise)
        .id;
    let token = InvitationFixture::new(c_partner, SAM).role("member").create(&app).token;
    let browser = app.another_browser();

    browser.get(&format!("/invitations/{token}")).await;
    let page = browser.page("/invitations/accept").await;
    assert!(page.contains("already has an account"));
    assert!(!page.html.contains("name=\"password_confirmation\""), "no new password is asked");
    let wrong = page.form("Log in").fill(&[("password", "not the password at all")]).submit(&browser).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(Page::read(wrong).await.contains("That password is not right"));

    let page = browser.page("/invitations/accept").await;
    let r = page.form("Log in").fill(&[("password", PASSWORD)]).submit(&browser).await;

    assert_eq!(location(&r), "/service-catalog");
    let catalog = browser.page("/service-catalog").await;
    assert!(catalog.contains("Consult for Hooli"), "lands in the invited organisation");
    let live = partner_portal::db::memberships::live_for_user(&mut app.conn(), sam).unwrap();
    assert_eq!(live.len(), 3, "A, B and now Hooli");
    assert!(partner_portal::db::memberships::find_in_partner(&mut app.conn(), b_partner, sam).unwrap().is_some());
}

#[tokio::test]
async fn accepting_while_logged_in_as_another_account_is_refused_and_the_invitation_stays_usable() {
    let TwoSides { app, a_partner, .. } = two_sides().await;
    let token = InvitationFixture::new(a_partner, "new@consult.example").role("member").create(&app).token;
    // Sam is logged in on this browser and opens a colleague's invitation.
    let browser = app.browser_of(SAM).await;

    browser.get(&format!("/invitations/{token}")).await;
    let page = browser.page("/invitations/accept").await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("You are logged in as sam@consult.example"), "{}", page.html);
    assert!(page.contains("The invitation stays valid"));
    let r = browser
        .submit(
            "/invitations/accept",
            "/invitations/accept",
            &[("password", PASSWORD), ("password_confirmation", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "posting anyway changes nothing");
    let status: String = schema::invitations::table
        .filter(schema::invitations::email.eq("new@consult.example"))
        .select(schema::invitations::status)
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(status, "pending");

    // The invitee, on their own browser, can still accept.
    let own = app.another_browser();
    let r = crate::invitations::accept_with(&own, &token).await;
    assert_eq!(location(&r), "/service-catalog");
}

#[tokio::test]
async fn the_account_administrator_and_the_last_admin_cannot_leave_but_a_member_can() {
    let TwoSides { app, a_partner, b_partner, sam, .. } = two_sides().await;
    // In A, Sam is the account administrator and the only Admin.
    let browser = app.another_browser();
    browser.login(SAM, PASSWORD).await;
    switch_to(&browser, membership(&app, a_partner, sam)).await;
    let page = browser.page("/partner/leave").await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("account administrator"), "{}", page.html);
    let r = browser.submit("/service-catalog", "/partner/leave", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // In B, Sam is a Member: leaving works and ends B's access at once.
    switch_to(&browser, membership(&app, b_partner, sam)).await;
    let page = browser.page("/partner/leave").await;
    assert_eq!(page.status, StatusCode::OK);
    let r = page.form("Leave partner").submit(&browser).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&browser.get("/").await), "/organisations", "A is left to pick");
    assert!(partner_portal::db::memberships::find_in_partner(&mut app.conn(), b_partner, sam).unwrap().is_none());
    assert!(crate::fixtures::audit_actions(&mut app.conn(), b_partner).contains(&"member.left".to_string()));
}

#[tokio::test]
async fn a_partners_last_admin_cannot_leave_once_the_other_admin_is_a_member() {
    let TwoSides { app, b_partner, .. } = two_sides().await;
    let mut conn = app.conn();
    // B: Lee is the account administrator; for this test Lee's role is set to Member by hand
    // so the last-admin rule (not the account-administrator rule) is what refuses.
    let lee = partner_portal::db::users::find_by_email(&mut conn, "lead@consult.example").unwrap().unwrap().id;
    partner_portal::db::memberships::set_role(&mut conn, membership(&app, b_partner, lee), UserRole::Member).unwrap();
    diesel::update(schema::partners::table.find(b_partner))
        .set(schema::partners::account_admin_user_id.eq(None::<UserId>))
        .execute(&mut conn)
        .unwrap();
    let ada = UserFixture::admin("ada@consult.example").named("Ada", "Admin").create(&app, b_partner);
    UserFixture::admin("ola@consult.example").named("Ola", "Other").create(&app, b_partner);
    let ola = app.browser_of("ola@consult.example").await;

    // Two Admins: Ola makes Ada a Member.
    let r = ola.submit("/members", &format!("/members/{ada}/role"), &[("role", "member")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Ola is now the last Admin: leaving is refused, and nothing changes.
    let page = ola.page("/partner/leave").await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.contains("last Admin"), "{}", page.html);
    let r = ola.submit("/service-catalog", "/partner/leave", &[]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(ola.get("/members").await.status(), StatusCode::OK, "still an Admin");
}
