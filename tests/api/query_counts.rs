//! How many SQL statements each measured page (and the login POST) runs: pinned, the same with
//! 1 partner, 5 people and 30 events as with 10 partners, 50 people and 300 events, and — for a
//! page view with a settled session — not one write (no session UPDATE per page view).
//! `./scripts/test query_counts -- --nocapture` prints the counts and the statements.

use partner_portal::domain::EmailKind;
use partner_portal::domain::PartnerId;
use partner_portal::domain::UserRole;
use std::time::Duration;

use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};
use partner_portal::{
    auth::password::hash_sync,
    db::{self, instrumentation, outbox},
    domain::sample_png,
    email::{EmailMeta, OutgoingEmail},
};
use reqwest::StatusCode;

use crate::{
    fixtures::{grant_api, grant_product, seed_catalog, InvitationFixture, PartnerFixture},
    helpers::{location, member_of, Browser, TestApp, PASSWORD},
};

const ADMIN: &str = "erin@acme.example";

/// Statements per page view with a settled session, answered from the session cache
/// (auth::session_cache): the page's own statements only. A view whose session is not in the
/// cache (the first one after a login or a change, or the listener away) runs one more first:
/// the session load with its person ([`SESSION_LOAD`]).
/// Partners list: one page of the list with the number of partners it holds, the usage meter
/// and the unfinished draft (one statement) — page 1, page 2 and with deactivated partners
/// shown, sorted by name, alike.
const PARTNERS_LIST: u64 = 1;
/// General: the partner, logo date, domains, administrator, grant counts, latest administrator
/// invitation and its email's delivery (one statement).
const GENERAL_TAB: u64 = 1;
/// Activity: the partner's header with the actions present (one statement), one page of events.
const ACTIVITY_TAB: u64 = 2;
/// Service Catalog: granted products and granted APIs with their environments (one statement).
const SERVICE_CATALOG: u64 = 1;
/// Users tab: the partner's header, one page of its people with their number (`count(*) OVER
/// ()`), its invitations — sorted or not.
const USERS_TAB: u64 = 3;
/// Members: the partner, one page of its people with their number, the open invitations, their
/// emails' deliveries, the domains, the enterprise's default Personal note — sorted or not.
const MEMBERS: u64 = 6;
/// Switch organisation: the person's usable memberships with their organisations (one
/// statement).
const SWITCHER: u64 = 1;
/// The session load a page view runs first when its session is not cached.
const SESSION_LOAD: u64 = 1;
/// Login POST: throttle (account, client); the person; their usable memberships (one:
/// straight in; several: the picker); clear the account's failures; the new session inserted
/// (the id is renewed). The visitor's anonymous session is read from its cookie and has no row
/// to delete (auth::session_store::anonymous).
const LOGIN_POST: u64 = 6;

struct World {
    app: TestApp,
    partner_id: PartnerId,
    member: String,
    admin_browser: Browser,
    member_browser: Browser,
    /// The first partner's Admin (and account administrator): the one who opens Members.
    partner_admin_browser: Browser,
    /// A Member of the first partner who is also a Viewer of another enterprise, working in
    /// the partner: the one who opens Switch organisation.
    multi_browser: Browser,
}

/// One enterprise with `partners` active partners (two domains, a logo, the whole small catalog
/// granted, a pending administrator invitation each), `people` partner users spread over them
/// (the first of each partner its Admin and account administrator, the others Members) and
/// `events` audit events about the first partner.
async fn world(partners: usize, people: usize, events: i64) -> World {
    instrumentation::enable();
    let app = TestApp::spawn().with_enterprise_admin().await;
    let (enterprise_id, admin_id) = (app.enterprise_id(), app.admin_id());
    let mut conn = app.conn();
    let catalog = seed_catalog(&mut conn, enterprise_id);
    let mut partner_ids = Vec::new();
    for p in 1..=partners {
        let domain = format!("partner{p}.example");
        let id = PartnerFixture::new(&format!("Partner {p}"))
            .domains([&domain, &format!("eu.{domain}")])
            .active()
            .create(&app)
            .id;
        db::partners::set_logo(&mut conn, id, "image/png", &sample_png(16, 16), 16, 16).unwrap();
        for product in &catalog.products {
            grant_product(&mut conn, id, *product);
        }
        for (i, api) in catalog.apis.iter().enumerate() {
            let offered: &[i64] =
                if i == catalog.apis.len() - 1 { &catalog.environments[2..] } else { &catalog.environments };
            for env in offered {
                grant_api(&mut conn, id, *api, *env);
            }
        }
        InvitationFixture::new(id, &format!("next-admin@{domain}")).for_account_admin(true).create(&app);
        partner_ids.push(id);
    }
    let hash = hash_sync(PASSWORD).unwrap();
    let mut member = None;
    for u in 0..people {
        let p = u % partners;
        let role = if u < partners { UserRole::Admin } else { UserRole::Member };
        let email = format!("user{u}@partner{}.example", p + 1);
        let user = member_of(
            &mut conn,
            &email,
            ("Pat", &format!("Person {u}")),
            &hash,
            enterprise_id,
            Some(partner_ids[p]),
            role,
        );
        if role == UserRole::Admin {
            db::partners::set_account_admin(&mut conn, partner_ids[p], user).unwrap();
        } else if p == 0 && member.is_none() {
            member = Some(email);
        }
    }
    let partner_id = partner_ids[0];
    diesel::sql_query(
        "INSERT INTO audit_events (enterprise_id, partner_id, actor_user_id, actor_label, action, target, details, created_at)
         SELECT $1, $2, $3, 'Erin Admin <erin@acme.example>',
                (ARRAY['partner.domain_added', 'partner.product_granted', 'invitation.sent', 'partner.renamed'])[1 + g % 4],
                $4, jsonb_build_object('domain', 'd' || g || '.example', 'product', 'Product One',
                                       'email', 'p' || g || '@example.com', 'from', 'Old', 'to', 'New'),
                now() - make_interval(mins => g::int)
           FROM generate_series(1, $5) AS g",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(partner_id)
    .bind::<BigInt, _>(admin_id)
    .bind::<Text, _>("Partner Partner 1")
    .bind::<BigInt, _>(events)
    .execute(&mut conn)
    .unwrap();
    let member = member.expect("a member of the first partner");
    let admin_browser = browser_logged_in(&app, ADMIN, "/settings/partners").await;
    let member_browser = browser_logged_in(&app, &member, "/service-catalog").await;
    let partner_admin_browser = browser_logged_in(&app, "user0@partner1.example", "/service-catalog").await;
    let (other, _) = app.create_enterprise_admin("Other", "olga@other.example", PASSWORD);
    let multi = "multi@partner1.example";
    member_of(&mut conn, multi, ("Mo", "Multi"), &hash, enterprise_id, Some(partner_id), UserRole::Member);
    member_of(&mut conn, multi, ("Mo", "Multi"), &hash, other, None, UserRole::Viewer);
    let multi_browser = browser_logged_in(&app, multi, "/organisations").await;
    let multi_id = db::users::find_by_email(&mut conn, multi).unwrap().unwrap().id;
    let own = db::memberships::find_in_partner(&mut conn, partner_id, multi_id).unwrap().unwrap();
    let r = multi_browser
        .submit("/organisations", "/organisations", &[("membership_id", &own.membership_id.to_string())])
        .await;
    assert_eq!(location(&r), "/service-catalog");
    World { app, partner_id, member, admin_browser, member_browser, partner_admin_browser, multi_browser }
}

async fn browser_logged_in(app: &TestApp, email: &str, home: &str) -> Browser {
    let client = app.another_browser();
    let r = client.login(email, PASSWORD).await;
    assert_eq!(location(&r), home, "{email} logs in");
    client
}

/// The statements one request ran, in order; for a page, also its view without the cache.
struct Measured {
    count: u64,
    sql: Vec<String>,
    uncached: Option<Box<Measured>>,
}

fn snapshot(app: &TestApp) -> (u64, usize) {
    (instrumentation::statements(&app.db.name), instrumentation::log(&app.db.name).len())
}

fn since(app: &TestApp, (count, logged): (u64, usize)) -> Measured {
    Measured {
        count: instrumentation::statements(&app.db.name) - count,
        sql: instrumentation::log(&app.db.name)[logged..].to_vec(),
        uncached: None,
    }
}

/// GETs `path` once to open whatever connection it needs, then measures a view whose session
/// is not in the cache (it was just emptied) and the next one, answered from the cache.
async fn page(app: &TestApp, browser: &Browser, path: &str) -> Measured {
    let mut measured = Vec::new();
    for step in 0..3 {
        if step == 1 {
            app.settle_sessions().await;
            app.sessions.invalidate("everything");
        }
        let before = snapshot(app);
        let r = browser.get(path).await;
        let status = r.status();
        let html = r.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{path}:\n{html}");
        measured.push(since(app, before));
    }
    let cached = measured.pop().unwrap();
    let uncached = measured.pop().unwrap();
    Measured { uncached: Some(Box::new(uncached)), ..cached }
}

/// A fresh visitor opens /login, then posts the right password; the POST is measured.
async fn login_post(app: &TestApp, email: &str) -> Measured {
    let client = app.another_browser();
    let token = client.page("/login").await.csrf_token();
    let before = snapshot(app);
    let r = client.post("/login", &token, &[("email", email), ("password", PASSWORD)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} logs in");
    since(app, before)
}

fn is_write(sql: &str) -> bool {
    let head = sql.trim_start().to_ascii_uppercase();
    ["INSERT", "UPDATE", "DELETE"].iter().any(|w| head.starts_with(w))
}

/// Measures every page and the login POST in a world of the given size.
async fn counts(partners: usize, people: usize, events: i64) -> Vec<(&'static str, Measured)> {
    let w = world(partners, people, events).await;
    let (app, id) = (&w.app, w.partner_id);
    vec![
        ("partners list", page(app, &w.admin_browser, "/settings/partners").await),
        ("partners list p2", page(app, &w.admin_browser, "/settings/partners?page=2").await),
        ("partners ended", page(app, &w.admin_browser, "/settings/partners?show_deactivated=1&sort=name").await),
        ("General tab", page(app, &w.admin_browser, &format!("/settings/partners/{id}")).await),
        ("Activity tab", page(app, &w.admin_browser, &format!("/settings/partners/{id}/activity")).await),
        ("Users tab", page(app, &w.admin_browser, &format!("/settings/partners/{id}/users")).await),
        (
            "Users by role",
            page(app, &w.admin_browser, &format!("/settings/partners/{id}/users?sort=role&dir=desc")).await,
        ),
        ("Members", page(app, &w.partner_admin_browser, "/members").await),
        ("Members joined", page(app, &w.partner_admin_browser, "/members?sort=joined&dir=asc").await),
        ("Service Catalog", page(app, &w.member_browser, "/service-catalog").await),
        ("Organisations", page(app, &w.multi_browser, "/organisations").await),
        ("login POST", login_post(app, &w.member).await),
    ]
}

#[tokio::test]
async fn each_page_runs_a_fixed_number_of_statements_whatever_the_data_and_writes_nothing() {
    let small = counts(1, 5, 30).await;
    let large = counts(10, 50, 300).await;

    println!("SQL statements per request (session cached; in brackets: not cached):");
    println!("  {:<16} {:>32} {:>34}", "", "1 partner, 5 people, 30 events", "10 partners, 50 people, 300 events");
    let show = |m: &Measured| match &m.uncached {
        Some(u) => format!("{} ({})", m.count, u.count),
        None => m.count.to_string(),
    };
    for ((name, s), (_, l)) in small.iter().zip(&large) {
        println!("  {name:<16} {:>32} {:>34}", show(s), show(l));
    }
    for (name, m) in &large {
        println!("{name} (10 partners, 50 people, 300 events):");
        for sql in &m.sql {
            println!("    {sql}");
        }
    }

    let expected = [
        PARTNERS_LIST,
        PARTNERS_LIST,
        PARTNERS_LIST,
        GENERAL_TAB,
        ACTIVITY_TAB,
        USERS_TAB,
        USERS_TAB,
        MEMBERS,
        MEMBERS,
        SERVICE_CATALOG,
        SWITCHER,
        LOGIN_POST,
    ];
    for (((name, s), (_, l)), want) in small.iter().zip(&large).zip(expected) {
        assert_eq!(
            s.count, l.count,
            "{name}: {} statements with the small data set, {} with the large one",
            s.count, l.count
        );
        assert_eq!(s.count, want, "{name} ran:\n{}", s.sql.join("\n"));
        assert_eq!(s.sql.len() as u64, s.count, "{name}: every statement is logged");
        if *name == "login POST" {
            assert!(!s.sql.iter().any(|q| q.contains("FROM sessions")), "{name}: no anonymous session is read");
            continue;
        }
        let loads_session = |sql: &String| sql.starts_with("SELECT s.state, u.id AS user_id");
        for m in [s, l] {
            assert!(!m.sql.iter().any(loads_session), "{name}: a settled session comes from the cache: {:?}", m.sql);
            let uncached = m.uncached.as_ref().unwrap();
            assert_eq!(
                uncached.count,
                want + SESSION_LOAD,
                "{name} without the cache ran:\n{}",
                uncached.sql.join("\n")
            );
            assert!(
                loads_session(&uncached.sql[0]),
                "{name}: without the cache, the session (with its person) is loaded first, in one statement: {}",
                uncached.sql[0]
            );
        }
    }
    for (name, m) in small.iter().chain(&large).filter(|(name, _)| *name != "login POST") {
        let uncached = m.uncached.as_ref().unwrap();
        let writes: Vec<&String> = m.sql.iter().chain(&uncached.sql).filter(|s| is_write(s)).collect();
        assert!(writes.is_empty(), "{name}: a page view with a settled session writes nothing, but ran {writes:?}");
    }
    let (_, login) = large.last().expect("the login POST is measured last");
    assert_eq!(
        login.sql.iter().filter(|s| is_write(s)).count(),
        2,
        "login: failures cleared, new session saved (no anonymous row to delete)"
    );
}

#[tokio::test]
async fn a_page_view_after_a_flash_message_writes_once_and_then_never_again() {
    instrumentation::enable();
    let globex = PartnerFixture::new("Globex").domains(["globex.com"]).active();
    let app = TestApp::spawn().logged_in_as_enterprise_admin().with_partner(globex).await;
    let partner = app.partner_id();
    // Adding a domain redirects back with a flash message: the next view shows and drops it.
    let token = app.page("/settings/partners").await.csrf_token();
    let r =
        app.browser.post(&format!("/settings/partners/{partner}/domains"), &token, &[("domain", "globex.io")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let path = format!("/settings/partners/{partner}");
    let mut writes = Vec::new();
    for _ in 0..3 {
        let before = snapshot(&app);
        assert_eq!(app.get(&path).await.status(), StatusCode::OK);
        writes.push(since(&app, before).sql.iter().filter(|s| is_write(s)).count());
    }
    assert_eq!(writes, [1, 0, 0], "the flash is removed once (one session UPDATE), then views write nothing");
}

#[tokio::test]
async fn the_email_workers_statements_are_not_counted() {
    instrumentation::enable();
    let app = TestApp::spawn().with_smtp().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.dispatch_emails().await, 0, "the worker's connection is open");
    {
        let mut conn = app.conn();
        for i in 0..3 {
            let email = OutgoingEmail {
                to: format!("user{i}@example.com"),
                subject: "Hello".into(),
                text: "Hello".into(),
                html: "<p>Hello</p>".into(),
            };
            outbox::enqueue(
                &mut conn,
                &email,
                &EmailMeta { kind: EmailKind::Invitation, enterprise_id: None, invitation_id: None },
            )
            .unwrap();
        }
    }
    // Start-up work (migrations, housekeeping, the worker's first connection) is over by now.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before = snapshot(&app);

    // The worker's code claims, sends and records the three emails, then finds none left.
    assert_eq!(app.dispatch_emails().await, 3);
    assert_eq!(app.smtp().messages().len(), 3);

    let during = since(&app, before);
    let sent: i64 = {
        use partner_portal::db::schema::outbox_emails::dsl as o;
        o::outbox_emails.filter(o::status.eq("sent")).count().get_result(&mut app.conn()).unwrap()
    };
    println!("statements counted while the worker sent 3 emails: {}", during.count);
    assert_eq!(sent, 3);
    assert_eq!(during.count, 0, "the worker's statements are not counted: {:?}", during.sql);
}

/// Introspection and the gateway check, answered from the cache: the enterprise's access
/// version only (routes::oauth::cache), writing nothing.
const INTROSPECT: u64 = 1;
const GATEWAY_CHECK: u64 = 1;
/// After a change: the version, then the introspection statement (gateway credential, token,
/// credential, secret, partnership and the still-granted APIs together).
const INTROSPECT_AFTER_A_CHANGE: u64 = 2;
/// The token endpoint: failures of the client (throttle); its live secrets; the APIs granted in
/// its environment; in a transaction (BEGIN, COMMIT): the credential's row lock with the last
/// minute's tokens counted, and the token inserted with the credential's last use.
const TOKEN: u64 = 7;

/// Statements one machine request ran (the same before and after a first warm-up call).
async fn machine_call<F, Fut>(app: &TestApp, call: F) -> Measured
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    call().await;
    let before = snapshot(app);
    call().await;
    since(app, before)
}

#[tokio::test]
async fn introspection_and_the_gateway_check_run_one_statement_and_the_token_endpoint_a_fixed_few() {
    use crate::oauth_kit::{introspect, request_token, seed_application, seed_credentials, seed_gateway};
    instrumentation::enable();
    let app = TestApp::spawn().with_partner(PartnerFixture::new("Globex").domains(["globex.example"]).active()).await;
    let (enterprise, partner, admin) = (app.enterprise_id(), app.partner_id(), app.admin_id());
    let catalog = seed_catalog(&mut app.conn(), enterprise);
    for api in &catalog.apis[..2] {
        grant_api(&mut app.conn(), partner, *api, catalog.environments[0]);
    }
    let application = seed_application(&app, enterprise, partner, "Sync", admin);
    let (_, client) = seed_credentials(&app, enterprise, application, catalog.environments[0], admin);
    let gateway = seed_gateway(&app, enterprise, admin);
    let (_, body) = request_token(&app, &client, &[]).await;
    let token = body["access_token"].as_str().unwrap().to_string();

    let introspection = machine_call(&app, || async {
        assert_eq!(introspect(&app, &gateway, &token).await.1["active"], true);
    })
    .await;
    let check = machine_call(&app, || async {
        let r = reqwest::Client::new()
            .get(format!("{}/gateway/check", app.address))
            .header("Gateway-Authorization", gateway.basic())
            .header("Authorization", format!("Bearer {token}"))
            .header("X-Environment", "Development")
            .header("X-Original-URI", "/one/v1/orders")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    })
    .await;
    // A change (the application renamed) makes the next call look again, once.
    partner_portal::db::applications::rename(&mut app.conn(), enterprise, application, "Sync two").unwrap();
    let before = snapshot(&app);
    assert_eq!(introspect(&app, &gateway, &token).await.1["application"]["name"], "Sync two");
    let after_change = since(&app, before);
    assert_eq!(after_change.count, INTROSPECT_AFTER_A_CHANGE, "{}", after_change.sql.join("\n"));
    assert!(after_change.sql[1].starts_with("-- Introspection"), "{}", after_change.sql[1]);
    let issuance = machine_call(&app, || async {
        assert_eq!(request_token(&app, &client, &[]).await.0, 200);
    })
    .await;
    for (name, m, want) in [
        ("introspect", &introspection, INTROSPECT),
        ("gateway check", &check, GATEWAY_CHECK),
        ("token", &issuance, TOKEN),
    ] {
        println!("{name}: {} statements", m.count);
        for sql in &m.sql {
            println!("    {sql}");
        }
        assert_eq!(m.count, want, "{name} ran:\n{}", m.sql.join("\n"));
    }
    for m in [&introspection, &check, &after_change] {
        assert!(!m.sql.iter().any(|s| is_write(s)), "a gateway call writes nothing: {:?}", m.sql);
    }
    assert!(introspection.sql[0].starts_with("SELECT version FROM access_versions"), "{:?}", introspection.sql);
}
