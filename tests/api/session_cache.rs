//! The session cache (auth::session_cache) behind a load balancer: two instances on one
//! database, the victim's session settled in instance two's cache (proved: a view there runs
//! only the page's own statements), then a revocation made through instance one's pages. The
//! very next request on instance two, sent at once, must already see it — for a logout, a
//! removal, a role change, the partner's deactivation, a change of membership, a password
//! reset, and with instance two's LISTEN connection cut (the cache is bypassed meanwhile and
//! used again once the listener is back).

use std::time::{Duration, Instant};

use partner_portal::db::{instrumentation, memberships};
use partner_portal::domain::{MembershipId, PartnerId, UserId, UserRole};
use reqwest::{header, redirect::Policy, StatusCode};

use crate::{
    fixtures::{PartnerFixture, UserFixture},
    helpers::{location, seed_team_member, Browser, Options, TestApp, ADMIN, PASSWORD},
    page::Page,
    proxy::{target_of, DbProxy},
};

/// How the statement loading a session with its person starts: a view answered from the
/// session cache runs none.
const SESSION_LOAD: &str = "SELECT s.state, u.id AS user_id";
/// The pages' own statements (as pinned in tests/api/query_counts.rs).
const PARTNERS_LIST: u64 = 1;
const SERVICE_CATALOG: u64 = 1;

/// A client without a cookie jar: every request carries exactly the cookie it is given.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

/// One GET of `path` on `app` with exactly `cookie`, and the statements it ran.
///
/// A response built on a cache entry that turned out to be stale is replaced by a 307 to the
/// same address (auth::session_cache::confirm); a browser repeats the request at once, without
/// the person seeing anything, and so does this view (once, and only to the same address).
struct View {
    page: Page,
    count: u64,
    sql: Vec<String>,
    /// The portal asked for the request to be repeated.
    repeated: bool,
}

impl View {
    fn loaded_the_session(&self) -> bool {
        self.sql.iter().any(|q| q.starts_with(SESSION_LOAD))
    }

    /// What the view ran, for failure messages: whether it came from the cache shows there.
    fn ran(&self) -> String {
        let repeated = if self.repeated { " (repeated once: the cache entry was found stale)" } else { "" };
        format!("{} statements{repeated}: {:?}", self.count, self.sql)
    }

    /// Status and `location`, for comparing with what a person would be sent to.
    fn outcome(&self) -> (StatusCode, &str) {
        (self.page.status, self.page.location.as_str())
    }
}

async fn view(app: &TestApp, cookie: &str, path: &str) -> View {
    let before = (instrumentation::statements(&app.db.name), instrumentation::log(&app.db.name).len());
    let mut r = bare_client().get(app.url(path)).header(header::COOKIE, cookie).send().await.unwrap();
    let repeated = r.status() == StatusCode::TEMPORARY_REDIRECT;
    if repeated {
        assert_eq!(location(&r), path, "a stale view is repeated at the same address");
        r = bare_client().get(app.url(path)).header(header::COOKIE, cookie).send().await.unwrap();
    }
    let page = Page::read(r).await;
    View {
        page,
        count: instrumentation::statements(&app.db.name) - before.0,
        sql: instrumentation::log(&app.db.name)[before.1..].to_vec(),
        repeated,
    }
}

/// Views `path` on `app` twice with `cookie` and proves the second view was answered from the
/// session cache: it ran the page's `own` statements and no session load. Returns that view.
async fn cached_view(app: &TestApp, cookie: &str, path: &str, own: u64) -> Page {
    let first = view(app, cookie, path).await;
    assert_eq!(first.page.status, StatusCode::OK, "{path} on {}:\n{}", app.address, first.page);
    let second = view(app, cookie, path).await;
    assert_eq!(second.page.status, StatusCode::OK, "{path} on {}:\n{}", app.address, second.page);
    assert!(
        !second.loaded_the_session(),
        "the second view of {path} on {} is answered from the session cache, yet it loaded the session: {:?} \
         (the first view ran {:?})",
        app.address,
        second.sql,
        first.sql
    );
    assert_eq!(second.count, own, "the second view of {path} on {} ran only the page's own statements", app.address);
    second.page
}

/// Both instances' caches listen and have read every notification sent so far.
async fn settle(one: &TestApp, two: &TestApp) {
    one.settle_sessions().await;
    two.settle_sessions().await;
}

/// Instance two, on instance one's database, once it answers `/readyz` (its migration check
/// done, so nothing else runs statements while a view is measured).
async fn second_instance(one: &TestApp, options: Options) -> TestApp {
    let two = one.spawn_another(options).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while two.get("/readyz").await.status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "instance two was not ready within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    two
}

/// `email` logged in through instance one: their browser and its session cookie.
async fn logged_in(one: &TestApp, email: &str) -> (Browser, String) {
    let browser = one.browser_of(email).await;
    let cookie = browser.session_cookie().expect("a session cookie");
    (browser, cookie)
}

const ADA: &str = "ada@globex.example";
const MIA: &str = "mia@globex.example";
const BO: &str = "bo@globex.example";

/// Globex (active) of Acme: Ada its account administrator (logged in in instance one's
/// browser), Mia a Member, Bo another Admin. Returns instance one and Mia's and Bo's ids.
async fn globex() -> (TestApp, UserId, UserId) {
    let partner = PartnerFixture::new("Globex")
        .domains(["globex.example"])
        .active()
        .account_admin(UserFixture::admin(ADA).named("Ada", "Admin"))
        .user(UserFixture::member(MIA).named("Mia", "Member"))
        .user(UserFixture::admin(BO).named("Bo", "Second"));
    let one = TestApp::spawn().logged_in_as_partner_admin(partner).await;
    let users = one.partner().users.clone();
    (one, users[1], users[2])
}

#[tokio::test]
async fn a_logout_through_one_instance_ends_the_session_the_other_has_cached_at_its_next_request() {
    instrumentation::enable();
    let one = TestApp::spawn().with_enterprise_admin().await;
    let two = second_instance(&one, Options::default()).await;
    let (erin, cookie) = logged_in(&one, ADMIN).await;
    let token = erin.page("/settings/partners").await.csrf_token();
    settle(&one, &two).await;

    let page = cached_view(&two, &cookie, "/settings/partners", PARTNERS_LIST).await;
    assert!(page.contains(ADMIN), "instance two shows Erin's own page:\n{page}");

    let r = erin.post("/logout", &token, &[]).await;
    assert_eq!(location(&r), "/login?logged_out=1", "logged out through instance one");

    let next = view(&two, &cookie, "/settings/partners").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "instance two no longer knows the session; the view ran {}",
        next.ran()
    );
}

#[tokio::test]
async fn a_member_removed_through_one_instance_is_logged_out_on_the_other_at_their_next_request() {
    instrumentation::enable();
    let (one, mia, _) = globex().await;
    let two = second_instance(&one, Options::default()).await;
    let (_, cookie) = logged_in(&one, MIA).await;
    settle(&one, &two).await;

    let page = cached_view(&two, &cookie, "/service-catalog", SERVICE_CATALOG).await;
    assert!(page.contains(MIA), "instance two shows Mia's own page:\n{page}");

    let r = one.submit(&format!("/members/{mia}/remove"), &format!("/members/{mia}/remove"), &[]).await;
    assert_eq!(location(&r), "/members", "Ada removed Mia through instance one");

    let next = view(&two, &cookie, "/service-catalog").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "Mia's open session is dead on instance two; the view ran {}",
        next.ran()
    );
}

#[tokio::test]
async fn a_partner_admin_demoted_through_one_instance_loses_the_members_page_on_the_other_at_once() {
    instrumentation::enable();
    let (one, _, bo) = globex().await;
    let two = second_instance(&one, Options::default()).await;
    let (_, cookie) = logged_in(&one, BO).await;
    settle(&one, &two).await;

    let page = cached_view(&two, &cookie, "/service-catalog", SERVICE_CATALOG).await;
    assert!(page.contains(r#"href="/members""#), "an Admin's menu offers Members:\n{page}");
    let members = view(&two, &cookie, "/members").await;
    assert_eq!(members.page.status, StatusCode::OK, "Bo manages members on instance two:\n{}", members.page);
    assert!(!members.loaded_the_session(), "from the cache: {:?}", members.sql);

    let r = one.submit("/members", &format!("/members/{bo}/role"), &[("role", "member")]).await;
    assert_eq!(location(&r), "/members", "Ada made Bo a Member through instance one");

    let next = view(&two, &cookie, "/members").await;
    assert_eq!(next.page.status, StatusCode::FORBIDDEN, "a Member's next request on instance two ran {}", next.ran());
    let menu = view(&two, &cookie, "/service-catalog").await;
    assert_eq!(menu.page.status, StatusCode::OK);
    assert!(!menu.page.contains(r#"href="/members""#), "no Members entry any more:\n{}", menu.page);
}

#[tokio::test]
async fn an_enterprise_admin_made_a_viewer_through_one_instance_is_read_only_on_the_other_at_once() {
    const CARL: &str = "carl@acme.example";
    instrumentation::enable();
    let one = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let carl = seed_team_member(&one, one.enterprise_id(), CARL, UserRole::EnterpriseAdmin);
    let two = second_instance(&one, Options::default()).await;
    let (_, cookie) = logged_in(&one, CARL).await;
    settle(&one, &two).await;

    cached_view(&two, &cookie, "/settings/partners", PARTNERS_LIST).await;
    let form = view(&two, &cookie, "/catalog/products/new").await;
    assert_eq!(form.page.status, StatusCode::OK, "an Enterprise admin adds products:\n{}", form.page);
    assert!(!form.loaded_the_session(), "from the cache: {:?}", form.sql);

    let r = one.submit("/settings/team", &format!("/settings/team/{carl}/role"), &[("role", "viewer")]).await;
    assert_eq!(location(&r), "/settings/team", "Erin made Carl a Viewer through instance one");

    let next = view(&two, &cookie, "/catalog/products/new").await;
    assert_eq!(next.page.status, StatusCode::FORBIDDEN, "a Viewer's next request on instance two ran {}", next.ran());
}

#[tokio::test]
async fn deactivating_a_partner_through_one_instance_logs_its_people_out_on_the_other_at_their_next_request() {
    const PAT: &str = "pat@globex.example";
    instrumentation::enable();
    let one = TestApp::spawn()
        .logged_in_as_enterprise_admin()
        .with_partner(PartnerFixture::new("Globex").domains(["globex.example"]).active().user(UserFixture::admin(PAT)))
        .await;
    let partner: PartnerId = one.partner_id();
    let two = second_instance(&one, Options::default()).await;
    let (_, cookie) = logged_in(&one, PAT).await;
    settle(&one, &two).await;

    let page = cached_view(&two, &cookie, "/service-catalog", SERVICE_CATALOG).await;
    assert_eq!(page.text(".org-name").as_deref(), Some("Globex (partner of Acme)"), "{page}");

    let r = one
        .submit(
            &format!("/settings/partners/{partner}/delete"),
            &format!("/settings/partners/{partner}/deactivate"),
            &[("confirm_name", "Globex")],
        )
        .await;
    assert_eq!(location(&r), format!("/settings/partners/{partner}"), "Erin deactivated Globex through instance one");

    let next = view(&two, &cookie, "/service-catalog").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "Pat is logged out on instance two; the view ran {}",
        next.ran()
    );
}

const SAM: &str = "sam@consult.example";

/// Sam works for a consultancy that partners with two enterprises: Admin of "Consult for
/// Acme" and Member of "Consult for Initech" (whose account administrator is Lee). Returns
/// instance one and Sam's membership in each.
async fn consultancy() -> (TestApp, UserId, MembershipId, MembershipId) {
    let one = TestApp::spawn().with_enterprise_admin().await;
    let (initech, _) = one.create_enterprise_admin("Initech", "bill@initech.example", PASSWORD);
    let mut conn = one.conn();
    let a = PartnerFixture::new("Consult for Acme")
        .domains(["consult.example"])
        .active()
        .account_admin(UserFixture::admin(SAM).named("Sam", "Shared"))
        .create_in(&mut conn, one.enterprise_id());
    let b = PartnerFixture::new("Consult for Initech")
        .domains(["consult.example"])
        .active()
        .account_admin(UserFixture::admin("lee@consult.example").named("Lee", "Lead"))
        .user(UserFixture::member(SAM).named("Sam", "Shared"))
        .create_in(&mut conn, initech);
    let sam = a.users[0];
    let mut of =
        |partner: PartnerId| memberships::find_in_partner(&mut conn, partner, sam).unwrap().unwrap().membership_id;
    let (in_a, in_b) = (of(a.id), of(b.id));
    (one, sam, in_a, in_b)
}

/// Sam, logged in through instance one, acting in `membership` (on the page the switch leads
/// to, which shows its flash message).
async fn sam_acting_in(one: &TestApp, membership: MembershipId) -> Browser {
    let sam = one.another_browser();
    assert_eq!(location(&sam.login(SAM, PASSWORD).await), "/organisations", "two memberships: Sam picks");
    let r = sam.submit("/organisations", "/organisations", &[("membership_id", &membership.to_string())]).await;
    assert_eq!(location(&r), "/service-catalog");
    assert_eq!(sam.get("/service-catalog").await.status(), StatusCode::OK);
    sam
}

#[tokio::test]
async fn switching_organisation_through_one_instance_ends_the_old_session_on_the_other_and_the_new_one_acts_there() {
    instrumentation::enable();
    let (one, _, in_a, in_b) = consultancy().await;
    let two = second_instance(&one, Options::default()).await;
    let sam = sam_acting_in(&one, in_a).await;
    let old = sam.session_cookie().unwrap();
    let token = sam.page("/organisations").await.csrf_token();
    settle(&one, &two).await;

    let page = cached_view(&two, &old, "/service-catalog", SERVICE_CATALOG).await;
    assert_eq!(page.text(".org-name").as_deref(), Some("Consult for Acme (partner of Acme)"), "{page}");

    let r = sam.post("/organisations", &token, &[("membership_id", &in_b.to_string())]).await;
    assert_eq!(location(&r), "/service-catalog", "Sam switched to Initech's side through instance one");
    let new = sam.session_cookie().unwrap();
    assert_ne!(new, old, "a switch renews the session id");

    let next = view(&two, &old, "/service-catalog").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "the old session id is dead on instance two; the view ran {}",
        next.ran()
    );
    let now = view(&two, &new, "/service-catalog").await;
    assert_eq!(now.page.status, StatusCode::OK, "{}", now.page);
    assert_eq!(now.page.text(".org-name").as_deref(), Some("Consult for Initech (partner of Initech)"), "{}", now.page);
}

#[tokio::test]
async fn removed_from_the_organisation_they_act_in_through_one_instance_a_person_must_pick_another_on_the_other() {
    instrumentation::enable();
    let (one, sam_id, in_a, in_b) = consultancy().await;
    let two = second_instance(&one, Options::default()).await;
    let sam = sam_acting_in(&one, in_b).await;
    let cookie = sam.session_cookie().unwrap();
    let lee = one.browser_of("lee@consult.example").await;
    settle(&one, &two).await;

    let page = cached_view(&two, &cookie, "/service-catalog", SERVICE_CATALOG).await;
    assert_eq!(page.text(".org-name").as_deref(), Some("Consult for Initech (partner of Initech)"), "{page}");

    let remove = format!("/members/{sam_id}/remove");
    let r = lee.submit(&remove, &remove, &[]).await;
    assert_eq!(location(&r), "/members", "Lee removed Sam from Initech's side through instance one");

    let next = view(&two, &cookie, "/service-catalog").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/organisations"),
        "Sam no longer acts for Initech; the view ran {}",
        next.ran()
    );
    let picker = view(&two, &cookie, "/organisations").await;
    assert_eq!(picker.page.status, StatusCode::OK, "{}", picker.page);
    assert!(!picker.page.contains("Consult for Initech"), "{}", picker.page);
    let left = picker.page.attrs(r#"input[name="membership_id"]"#, "value");
    assert_eq!(left, [in_a.to_string()], "only Acme's side is left to pick");
}

#[tokio::test]
async fn a_password_reset_through_one_instance_ends_the_session_the_other_has_cached_at_its_next_request() {
    const NEW_PASSWORD: &str = "amber lantern orchard 31";
    instrumentation::enable();
    let one = TestApp::spawn().with_smtp().with_enterprise_admin().await;
    let two = second_instance(&one, Options::default()).await;
    let (_, cookie) = logged_in(&one, ADMIN).await;

    // Someone (Erin, on another device) asks for a link and opens it.
    let asker = one.another_browser();
    let form = asker.page("/password/forgot").await.form("Send reset link").set("email", ADMIN);
    assert_eq!(form.submit(&asker).await.status(), StatusCode::SEE_OTHER);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !one.emails().await.iter().any(|m| m.to() == ADMIN) {
        assert!(Instant::now() < deadline, "no reset email within 10 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let link = one.emailed_link(ADMIN, "/password/set/").await;
    let resetter = one.another_browser();
    assert_eq!(location(&resetter.get(&link).await), "/password/new");
    let form = resetter
        .page("/password/new")
        .await
        .form("/password/new")
        .fill(&[("password", NEW_PASSWORD), ("password_confirmation", NEW_PASSWORD)]);
    settle(&one, &two).await;

    let page = cached_view(&two, &cookie, "/settings/partners", PARTNERS_LIST).await;
    assert!(page.contains(ADMIN), "{page}");

    let r = form.submit(&resetter).await;
    assert_eq!(location(&r), "/", "the new password was set through instance one");

    let next = view(&two, &cookie, "/settings/partners").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "the reset ended Erin's session on instance two; the view ran {}",
        next.ran()
    );
}

#[tokio::test]
async fn with_its_listener_cut_an_instance_bypasses_the_cache_and_a_revocation_still_holds_at_once_until_it_is_back() {
    instrumentation::enable();
    let (one, mia, bo) = globex().await;
    let proxy = DbProxy::start(target_of(&one.db.url)).await;
    let listen = Options { env: vec![("DATABASE_LISTEN_URL", proxy.url_for(&one.db.url))], ..Options::default() };
    let two = second_instance(&one, listen).await;
    let (_, mia_cookie) = logged_in(&one, MIA).await;
    let (_, bo_cookie) = logged_in(&one, BO).await;
    settle(&one, &two).await;
    cached_view(&two, &mia_cookie, "/service-catalog", SERVICE_CATALOG).await;
    cached_view(&two, &bo_cookie, "/service-catalog", SERVICE_CATALOG).await;

    // The listener's connection is cut (and new ones refused); the portal's pool is not.
    proxy.down();

    for n in 1..=2 {
        let v = view(&two, &mia_cookie, "/service-catalog").await;
        assert_eq!(v.page.status, StatusCode::OK, "pages still work without the listener:\n{}", v.page);
        assert!(v.loaded_the_session(), "view {n} after the cut loads the session: {:?}", v.sql);
    }
    let r = one.submit(&format!("/members/{mia}/remove"), &format!("/members/{mia}/remove"), &[]).await;
    assert_eq!(location(&r), "/members", "Ada removed Mia through instance one");
    let next = view(&two, &mia_cookie, "/service-catalog").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "Mia is logged out on instance two at once; the view ran {}",
        next.ran()
    );
    let still = view(&two, &bo_cookie, "/service-catalog").await;
    assert_eq!(still.page.status, StatusCode::OK, "Bo's session holds:\n{}", still.page);
    assert!(still.loaded_the_session(), "loaded while the listener is away: {:?}", still.sql);
    assert!(!two.sessions.listening(), "the listener knows it is cut");

    // Back: the listener reconnects within a few seconds and the cache is used again.
    proxy.up();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !two.sessions.listening() {
        assert!(Instant::now() < deadline, "the listener did not reconnect within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    settle(&one, &two).await;
    cached_view(&two, &bo_cookie, "/service-catalog", SERVICE_CATALOG).await;

    let r = one.submit(&format!("/members/{bo}/remove"), &format!("/members/{bo}/remove"), &[]).await;
    assert_eq!(location(&r), "/members", "Ada removed Bo through instance one");
    let next = view(&two, &bo_cookie, "/service-catalog").await;
    assert_eq!(
        next.outcome(),
        (StatusCode::SEE_OTHER, "/login"),
        "Bo is logged out on instance two at once; the view ran {}",
        next.ran()
    );
    let again = view(&two, &mia_cookie, "/service-catalog").await;
    assert_eq!(again.outcome(), (StatusCode::SEE_OTHER, "/login"), "and Mia's removal still holds");
}
