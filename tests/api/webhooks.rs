//! Settings → **Webhooks** (SPEC §14, issue 15 item 4): endpoints added in the UI with their
//! events and a secret shown once; each delivery queued in the transaction of its event,
//! received by a real HTTP server ([`TestReceiver`]), signed as Standard Webhooks say (checked
//! with the specification's own Python library, an implementation independent of ours),
//! retried with back-off while the receiver fails or is down and delivered once, also with two
//! instances; the delivery log; tenants; the SSRF guard.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use partner_portal::db::schema;
use partner_portal::domain::{EnterpriseId, PartnerId, WebhookEvent};
use partner_portal::webhooks::worker::Pass;
use reqwest::StatusCode;

use crate::{
    fixtures::{partner_count, seed_catalog, seed_complete_draft, InvitationFixture, PartnerFixture, UserFixture},
    grants::{post, post_confirmed, save_matrix},
    helpers::{location, Options, TestApp, PASSWORD},
    invitations::accept_with,
    page::Page,
    receiver::{Received, TestReceiver},
};

const ALL_EVENTS: [&str; 8] = [
    "partner.created",
    "partner.activated",
    "partner.deactivated",
    "invitation.accepted",
    "grant.added",
    "grant.removed",
    "member.added",
    "member.removed",
];

/// Adds an endpoint through Settings → Webhooks; returns its id and its secret (from the
/// page that shows it once).
async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> (i64, String) {
    let list = app.page("/settings/webhooks").await;
    let mut form = list.form("Add endpoint").set("url", url);
    for e in events {
        form = form.add("event", e);
    }
    let r = form.submit(&app.browser).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created = Page::read(r).await;
    let secret = created.attr("#secret", "value").unwrap();
    let id: i64 = created.link("a", "Delivery log").unwrap().rsplit('/').next().unwrap().parse().unwrap();
    (id, secret)
}

/// Registers a partner through the wizard's last step (**Add Partner** on a complete draft).
async fn register(app: &TestApp, name: &str, domain: &str) -> PartnerId {
    let draft = seed_complete_draft(&mut app.conn(), app.enterprise_id(), app.admin_id(), name, domain);
    let r = post(app, &format!("/settings/partners/drafts/{draft}/submit"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    location(&r).rsplit('/').next().unwrap().parse().unwrap()
}

#[derive(Queryable, Debug)]
struct Row {
    event_type: String,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
}

fn deliveries(conn: &mut PgConnection) -> Vec<Row> {
    use schema::webhook_deliveries::dsl as d;
    d::webhook_deliveries
        .order(d::id)
        .select((d::event_type, d::status, d::attempts, d::next_attempt_at, d::last_status_code, d::last_error))
        .load(conn)
        .unwrap()
}

/// The events' types, in the order received. Deliveries due together are sent concurrently,
/// so events close in time may arrive in any order (receivers order them by `timestamp`).
fn types(received: &[Received]) -> Vec<String> {
    received.iter().map(|r| r.json()["type"].as_str().unwrap().to_string()).collect()
}

/// The received deliveries in the order their events happened: by their payload's
/// `timestamp` (microseconds: two events of one transaction are a statement apart).
fn in_event_order(mut received: Vec<Received>) -> Vec<Received> {
    received.sort_by_key(|r| r.json()["timestamp"].as_str().unwrap().to_string());
    received
}

/// Verifies `r` with the `standardwebhooks` PyPI package and returns the payload it read.
/// Fails (never skips) when Python or the package is missing: `scripts/test` installs it
/// (TEST_PYTHON names the interpreter).
fn verify_independently(secret: &str, r: &Received) -> Result<serde_json::Value, String> {
    use std::io::Write;
    let python = crate::openapi::test_python();
    let script = "import json, os, sys\n\
                  from standardwebhooks.webhooks import Webhook\n\
                  headers = {h: os.environ['WH_' + h[8:].upper()] for h in ('webhook-id', 'webhook-timestamp', 'webhook-signature')}\n\
                  print(json.dumps(Webhook(os.environ['WH_SECRET']).verify(sys.stdin.read(), headers)))";
    let mut child = std::process::Command::new(&python)
        .arg("-c")
        .arg(script)
        .env("WH_SECRET", secret)
        .env("WH_ID", r.header("webhook-id").unwrap_or_default())
        .env("WH_TIMESTAMP", r.header("webhook-timestamp").unwrap_or_default())
        .env("WH_SIGNATURE", r.header("webhook-signature").unwrap_or_default())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python} can't be run ({e}): run scripts/test, or set TEST_PYTHON"));
    child.stdin.take().unwrap().write_all(r.body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "the standardwebhooks package is missing from {python}: run scripts/test, or set TEST_PYTHON\n{stderr}"
    );
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(stderr)
    }
}

#[tokio::test]
async fn an_endpoint_added_in_settings_gets_partner_created_signed_as_standard_webhooks_say() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let receiver = TestReceiver::start().await;

    // The page and its form: labelled, one checkbox per event.
    let list = app.page("/settings/webhooks").await;
    assert_eq!(list.attr(r#"nav a[href="/settings/webhooks"]"#, "aria-current").as_deref(), Some("page"));
    assert_eq!(list.text(r#"label[for="url"]"#).as_deref(), Some("Endpoint URL"));
    assert_eq!(list.text("fieldset legend").as_deref(), Some("Events"));
    assert_eq!(list.texts("fieldset label"), ALL_EVENTS);
    assert!(list.contains("No webhook endpoints yet"));

    let r = list
        .form("Add endpoint")
        .set("url", &receiver.url("/hooks/partners"))
        .add("event", "partner.created")
        .add("event", "grant.added")
        .submit(&app.browser)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    let created = Page::read(r).await;
    let secret = created.attr("#secret", "value").unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 44, "{secret}");
    assert!(created.contains("won&#39;t be shown again") || created.contains("won't be shown again"));
    assert!(!app.page("/settings/webhooks").await.contains(&secret), "shown once");

    let list = app.page("/settings/webhooks").await;
    let rows = list.rows_of("#webhooks");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], receiver.url("/hooks/partners"));
    assert_eq!(list.texts("#webhooks .chip"), ["partner.created", "grant.added"]);
    assert_eq!(rows[0][3], "Active");
    let actions: Vec<(String, String)> = schema::audit_events::table
        .filter(schema::audit_events::action.like("enterprise.webhook_%"))
        .select((schema::audit_events::action, schema::audit_events::target))
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(
        actions,
        [("enterprise.webhook_created".to_string(), format!("Webhook {}", receiver.url("/hooks/partners")))]
    );

    // Registering a partner queues the delivery with it; nothing is sent before the worker runs.
    let partner = register(&app, "Globex", "globex.example").await;
    let queued = deliveries(&mut app.conn());
    assert_eq!(queued.len(), 1);
    assert_eq!(
        (queued[0].event_type.as_str(), queued[0].status.as_str(), queued[0].attempts),
        ("partner.created", "pending", 0)
    );
    assert!(receiver.received().is_empty());

    let pass = app.run_webhooks(Utc::now()).await;
    assert_eq!(pass, Pass { delivered: 1, retrying: 0, failed: 0 });
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let hook = &got[0];
    assert_eq!((hook.method.as_str(), hook.path.as_str()), ("POST", "/hooks/partners"));
    assert_eq!(hook.header("content-type"), Some("application/json"));
    let id = hook.header("webhook-id").unwrap();
    assert!(id.starts_with("msg_"), "{id}");
    let ts: i64 = hook.header("webhook-timestamp").unwrap().parse().unwrap();
    assert!((Utc::now().timestamp() - ts).abs() < 60);
    assert!(hook.header("webhook-signature").unwrap().starts_with("v1,"));

    // The specification's own library accepts it, and refuses it once tampered with.
    let payload = verify_independently(&secret, hook).expect("standardwebhooks verifies the delivery");
    assert_eq!(payload["type"], "partner.created");
    assert_eq!(payload["data"]["partner_id"], partner.get());
    assert_eq!(payload["data"]["partner_name"], "Globex");
    assert_eq!(payload["data"]["domains"], serde_json::json!(["globex.example"]));
    assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    let mut tampered = hook.clone();
    tampered.body = tampered.body.replace("Globex", "Globax");
    assert!(verify_independently(&secret, &tampered).is_err(), "a changed body is refused");
    let other_secret = partner_portal::webhooks::new_secret();
    assert!(verify_independently(&other_secret, hook).is_err(), "another secret is refused");

    // Delivered once: later passes send nothing more.
    assert_eq!(app.run_webhooks(Utc::now() + Duration::days(3)).await, Pass::default());
    assert_eq!(receiver.received().len(), 1);

    // The delivery log.
    let log = app.page(&format!("/settings/webhooks/{}", list_id(&list))).await;
    let rows = log.rows_of("#deliveries");
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][..4], ["partner.created", "Delivered", "1", "200"]);
    assert_eq!(rows[0][5], id);
}

fn list_id(list: &Page) -> i64 {
    list.attr("#webhooks tbody tr", "id").unwrap().trim_start_matches("webhook-").parse().unwrap()
}

#[tokio::test]
async fn a_delivery_exists_only_if_its_change_committed_and_only_for_subscribed_endpoints() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let receiver = TestReceiver::start().await;
    add_endpoint(&app, &receiver.url("/created"), &["partner.created"]).await;
    add_endpoint(&app, &receiver.url("/grants"), &["grant.added"]).await;
    let enterprise = app.enterprise_id();
    diesel::sql_query(format!("UPDATE enterprises SET partner_limit = 1 WHERE id = {enterprise}"))
        .execute(&mut app.conn())
        .unwrap();

    // A change that rolls back takes its delivery with it.
    let mut conn = app.conn();
    let rolled_back = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        let n = partner_portal::webhooks::emit(
            conn,
            enterprise,
            WebhookEvent::PartnerCreated,
            serde_json::json!({ "partner_id": 1 }),
        )?;
        assert_eq!(n, 1, "queued for the one endpoint subscribed");
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(rolled_back.is_err());
    assert!(deliveries(&mut conn).is_empty());

    // A registration that is refused (the limit) queues nothing; the one that passes, one.
    register(&app, "Globex", "globex.example").await;
    let draft = seed_complete_draft(&mut conn, enterprise, app.admin_id(), "Initech", "initech.example");
    post(&app, &format!("/settings/partners/drafts/{draft}/submit"), &[]).await;
    assert_eq!(partner_count(&mut conn, enterprise), 1, "the second partner is refused");
    let rows = deliveries(&mut conn);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event_type, "partner.created");

    // An enterprise without endpoints: one statement, nothing queued.
    let (umbrella, _) = app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let n = partner_portal::webhooks::emit(&mut conn, umbrella, WebhookEvent::PartnerCreated, serde_json::json!({}))
        .unwrap();
    assert_eq!(n, 0);
    app.run_webhooks(Utc::now()).await;
    assert_eq!(receiver.received().iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/created"]);
}

#[tokio::test]
async fn a_receiver_that_fails_or_is_down_gets_the_delivery_later_with_back_off_and_once() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let mut receiver = TestReceiver::start().await;
    let (endpoint, secret) = add_endpoint(&app, &receiver.url("/hooks"), &["partner.created"]).await;
    register(&app, "Globex", "globex.example").await;
    let start = Utc::now();

    // 1st attempt: 500. Pending again in 30 s.
    receiver.answer_with(500);
    assert_eq!(app.run_webhooks(start).await, Pass { delivered: 0, retrying: 1, failed: 0 });
    let row = &deliveries(&mut app.conn())[0];
    assert_eq!((row.status.as_str(), row.attempts, row.last_status_code), ("pending", 1, Some(500)));
    assert_eq!(row.next_attempt_at.timestamp(), (start + Duration::seconds(30)).timestamp());
    let log = app.page(&format!("/settings/webhooks/{endpoint}")).await;
    assert_eq!(&log.rows_of("#deliveries")[0][..4], ["partner.created", "Retrying", "1", "500"]);
    assert_eq!(app.page("/settings/webhooks").await.rows_of("#webhooks")[0][3], "Failing 1 waiting");

    // Not due yet: nothing is tried.
    assert_eq!(app.run_webhooks(start + Duration::seconds(20)).await, Pass::default());
    assert_eq!(receiver.received().len(), 1);

    // 2nd attempt: the receiver is down. Pending again, 2 minutes later.
    receiver.stop().await;
    let second = start + Duration::seconds(31);
    assert_eq!(app.run_webhooks(second).await, Pass { delivered: 0, retrying: 1, failed: 0 });
    let row = &deliveries(&mut app.conn())[0];
    assert_eq!((row.status.as_str(), row.attempts, row.last_status_code), ("pending", 2, None));
    assert!(row.last_error.as_deref().unwrap().starts_with("could not connect"), "{:?}", row.last_error);
    assert_eq!(row.next_attempt_at.timestamp(), (second + Duration::minutes(2)).timestamp());

    // Back up: the 3rd attempt is delivered, and that is the last.
    receiver.restart().await;
    receiver.answer_with(204);
    let third = second + Duration::minutes(2);
    assert_eq!(app.run_webhooks(third).await, Pass { delivered: 1, retrying: 0, failed: 0 });
    assert_eq!(app.run_webhooks(third + Duration::days(2)).await, Pass::default());
    let got = receiver.received();
    assert_eq!(got.iter().map(|r| r.answered).collect::<Vec<_>>(), [500, 204]);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"), "the same message id on every attempt");
    assert_eq!(got[0].body, got[1].body);
    verify_independently(&secret, &got[1]).unwrap();
    let log = app.page(&format!("/settings/webhooks/{endpoint}")).await;
    assert_eq!(&log.rows_of("#deliveries")[0][..4], ["partner.created", "Delivered", "3", "204"]);
    assert_eq!(app.page("/settings/webhooks").await.rows_of("#webhooks")[0][3], "Active");
}

#[tokio::test]
async fn a_delivery_is_given_up_after_eight_attempts() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let receiver = TestReceiver::start().await;
    receiver.answer_with(503);
    let (endpoint, _) = add_endpoint(&app, &receiver.url("/hooks"), &["partner.created"]).await;
    register(&app, "Globex", "globex.example").await;
    let mut now = Utc::now();
    for attempt in 1..=8 {
        let pass = app.run_webhooks(now).await;
        let want =
            if attempt < 8 { Pass { retrying: 1, ..Pass::default() } } else { Pass { failed: 1, ..Pass::default() } };
        assert_eq!(pass, want, "attempt {attempt}");
        now = deliveries(&mut app.conn())[0].next_attempt_at;
    }
    assert_eq!(app.run_webhooks(now + Duration::days(30)).await, Pass::default());
    assert_eq!(receiver.received().len(), 8);
    let log = app.page(&format!("/settings/webhooks/{endpoint}")).await;
    assert_eq!(&log.rows_of("#deliveries")[0][..4], ["partner.created", "Failed", "8", "503"]);

    // Settled deliveries leave the log 30 days on (housekeeping); waiting ones stay.
    register(&app, "Initech", "initech.example").await;
    diesel::sql_query(
        "UPDATE webhook_deliveries SET created_at = now() - interval '31 days',
                last_attempt_at = CASE WHEN attempts > 0 THEN now() - interval '31 days' END",
    )
    .execute(&mut app.conn())
    .unwrap();
    assert_eq!(partner_portal::db::webhooks::delete_settled(&mut app.conn()).unwrap(), 1);
    let left = deliveries(&mut app.conn());
    assert_eq!((left.len(), left[0].status.as_str()), (1, "pending"));
}

#[tokio::test]
async fn two_instances_deliver_each_event_once() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let receiver = TestReceiver::start().await;
    add_endpoint(&app, &receiver.url("/a"), &["partner.created"]).await;
    add_endpoint(&app, &receiver.url("/b"), &["partner.created"]).await;
    for (name, domain) in [("Globex", "globex.example"), ("Initech", "initech.example"), ("Hooli", "hooli.example")] {
        register(&app, name, domain).await;
    }
    assert_eq!(deliveries(&mut app.conn()).len(), 6);
    let other = app.spawn_another(Options::default()).await;

    let now = Utc::now();
    let (a, b, c, d) =
        tokio::join!(app.run_webhooks(now), other.run_webhooks(now), app.run_webhooks(now), other.run_webhooks(now));

    assert_eq!(a.delivered + b.delivered + c.delivered + d.delivered, 6);
    let got = receiver.received();
    assert_eq!(got.len(), 6, "each delivery once: {got:?}");
    let mut seen: Vec<(String, String)> =
        got.iter().map(|r| (r.path.clone(), r.header("webhook-id").unwrap().to_string())).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 6);
    assert!(deliveries(&mut app.conn()).iter().all(|r| r.status == "delivered" && r.attempts == 1));
}

/// The background workers themselves, on their own timers: two instances running theirs
/// deliver each event once, within seconds of the commit.
#[tokio::test]
async fn two_running_instances_deliver_each_event_once_on_their_own() {
    let app = TestApp::spawn().with_email_worker().logged_in_as_enterprise_admin().await;
    let other = app.spawn_another(Options { email_worker: true, ..Default::default() }).await;
    let receiver = TestReceiver::start().await;
    add_endpoint(&app, &receiver.url("/hooks"), &["partner.created"]).await;
    for (name, domain) in [("Globex", "globex.example"), ("Initech", "initech.example"), ("Hooli", "hooli.example")] {
        register(&app, name, domain).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while receiver.received().len() < 3 {
        assert!(std::time::Instant::now() < deadline, "delivered within 15 s: {:?}", receiver.received());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // A few more polls of both workers send nothing again.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let got = receiver.received();
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (3, 3), "{got:?}");
    assert!(deliveries(&mut other.conn()).iter().all(|r| r.status == "delivered" && r.attempts == 1));
}

#[tokio::test]
async fn each_event_is_sent_where_it_happens() {
    let app = TestApp::spawn()
        .with_partner(
            PartnerFixture::new("Globex")
                .domains(["globex.example"])
                .status("invited")
                .user(UserFixture::admin("ada@globex.example").named("Ada", "Admin"))
                .user(UserFixture::member("mia@globex.example").named("Mia", "Member")),
        )
        .logged_in_as_enterprise_admin()
        .await;
    let partner = app.partner_id();
    let catalog = seed_catalog(&mut app.conn(), app.enterprise_id());
    let receiver = TestReceiver::start().await;
    let (_, secret) = add_endpoint(&app, &receiver.url("/all"), &ALL_EVENTS).await;
    let only_created = TestReceiver::start().await;
    add_endpoint(&app, &only_created.url("/created"), &["partner.created"]).await;
    let mut sent = 0;
    let mut next = |app_receiver: &TestReceiver| {
        let got = app_receiver.received();
        let new = got[sent..].to_vec();
        sent = got.len();
        in_event_order(new)
    };

    // The account administrator accepts: invitation.accepted, member.added, partner.activated.
    let token = InvitationFixture::new(partner, "ivy@globex.example").for_account_admin(true).create(&app).token;
    let invitee = app.another_browser();
    accept_with(&invitee, &token).await;
    app.run_webhooks(Utc::now()).await;
    let got = next(&receiver);
    assert_eq!(types(&got), ["invitation.accepted", "member.added", "partner.activated"]);
    for r in &got {
        let payload = verify_independently(&secret, r).unwrap();
        assert_eq!(payload["data"]["partner_id"], partner.get());
        assert_eq!(payload["data"]["partner_name"], "Globex");
    }
    assert_eq!(got[1].json()["data"]["email"], "ivy@globex.example");
    assert_eq!(got[1].json()["data"]["role"], "admin");

    // Add Products, then Revoke: grant.added and grant.removed, with the product's name.
    let one = catalog.products[0].to_string();
    post_confirmed(&app, &format!("/settings/partners/{partner}/products/add"), &[("product", &one)]).await;
    post(&app, &format!("/settings/partners/{partner}/products/{one}/revoke"), &[]).await;
    // Add APIs: API One in Development.
    let (api, env) = (catalog.apis[0], catalog.environments[0]);
    save_matrix(&app, partner, &[api], &[(api, env)]).await;
    app.run_webhooks(Utc::now()).await;
    let got = next(&receiver);
    assert_eq!(types(&got), ["grant.added", "grant.removed", "grant.added"]);
    let data: Vec<serde_json::Value> = got.iter().map(|r| r.json()["data"].clone()).collect();
    assert_eq!((&data[0]["grant"], &data[0]["product_name"]), (&"product".into(), &"Product One".into()));
    assert_eq!((&data[1]["product_name"], &data[1]["reason"]), (&"Product One".into(), &"revoked".into()));
    assert_eq!((&data[2]["api_name"], &data[2]["environment_name"]), (&"API One".into(), &"Development".into()));

    // A grant that reaches its end is removed by the expiry worker: grant.removed, expired.
    let two = catalog.products[1];
    post_confirmed(&app, &format!("/settings/partners/{partner}/products/add"), &[("product", &two.to_string())]).await;
    {
        use schema::partner_products::dsl as g;
        diesel::update(g::partner_products.filter(g::partner_id.eq(partner)).filter(g::product_id.eq(two)))
            .set((
                g::expires_on.eq(Some(Utc::now().date_naive())),
                g::expires_at.eq(Some(Utc::now() - Duration::hours(1))),
                g::next_action_at.eq(Some(Utc::now() - Duration::hours(1))),
                g::reminded_days.eq(Some(1i16)),
            ))
            .execute(&mut app.conn())
            .unwrap();
    }
    assert_eq!(app.run_access_expiry(Utc::now()).await.expired, 1);
    app.run_webhooks(Utc::now()).await;
    let got = next(&receiver);
    assert_eq!(types(&got), ["grant.added", "grant.removed"]);
    assert_eq!(got[1].json()["data"]["reason"], "expired");
    assert_eq!(got[1].json()["data"]["product_name"], "Product Two");

    // A partner Admin removes Mia: member.removed.
    let ada = app.browser_of("ada@globex.example").await;
    let mia = app.partner().users[1];
    let token = ada.page("/members").await.csrf_token();
    let r = ada.post(&format!("/members/{mia}/remove"), &token, &[]).await;
    assert_eq!(location(&r), "/members");
    app.run_webhooks(Utc::now()).await;
    let got = next(&receiver);
    assert_eq!(types(&got), ["member.removed"]);
    assert_eq!(got[0].json()["data"]["email"], "mia@globex.example");

    // Deactivate partner (after revoking its API access): grant.removed, partner.deactivated.
    post(&app, &format!("/settings/partners/{partner}/apis/{api}/revoke"), &[]).await;
    let r = post(&app, &format!("/settings/partners/{partner}/deactivate"), &[("confirm_name", "Globex")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.run_webhooks(Utc::now()).await;
    let got = next(&receiver);
    assert_eq!(types(&got), ["grant.removed", "partner.deactivated"]);
    assert_eq!(got[1].json()["data"]["ended_by"], "enterprise");

    // Registering: partner.created, to both endpoints.
    register(&app, "Initech", "initech.example").await;
    app.run_webhooks(Utc::now()).await;
    assert_eq!(types(&next(&receiver)), ["partner.created"]);
    assert_eq!(types(&only_created.received()), ["partner.created"], "only the events it chose");
}

#[tokio::test]
async fn another_enterprises_endpoint_is_not_found_and_never_gets_our_events() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let ours = TestReceiver::start().await;
    let theirs = TestReceiver::start().await;
    let (our_endpoint, _) = add_endpoint(&app, &ours.url("/acme"), &ALL_EVENTS).await;
    let (umbrella, _) = app.create_enterprise_admin("Umbrella", "una@umbrella.example", PASSWORD);
    let una = app.browser_of("una@umbrella.example").await;
    let page = una.page("/settings/webhooks").await;
    let mut form = page.form("Add endpoint").set("url", &theirs.url("/umbrella"));
    for e in ALL_EVENTS {
        form = form.add("event", e);
    }
    assert_eq!(form.submit(&una).await.status(), StatusCode::CREATED);
    let their_endpoint: i64 = schema::webhook_endpoints::table
        .filter(schema::webhook_endpoints::enterprise_id.eq(umbrella))
        .select(schema::webhook_endpoints::id)
        .first(&mut app.conn())
        .unwrap();

    // Their ids answer 404 to us, and the other way round.
    assert!(!app.page("/settings/webhooks").await.contains("/umbrella"));
    for path in [format!("/settings/webhooks/{their_endpoint}"), format!("/settings/webhooks/{their_endpoint}/delete")]
    {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        post(&app, &format!("/settings/webhooks/{their_endpoint}/delete"), &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(una.get(&format!("/settings/webhooks/{our_endpoint}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(schema::webhook_endpoints::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 2);

    // Our events go to our endpoint only; theirs to theirs only.
    let partner = register(&app, "Globex", "globex.example").await;
    let umbrella_partner =
        PartnerFixture::new("Soylent").domains(["soylent.example"]).enterprise(umbrella).create(&app);
    partner_portal::webhooks::emit_for_partner(
        &mut app.conn(),
        umbrella_partner.id,
        WebhookEvent::PartnerActivated,
        serde_json::json!({}),
    )
    .unwrap();
    app.run_webhooks(Utc::now()).await;
    assert_eq!(types(&ours.received()), ["partner.created"]);
    assert_eq!(ours.received()[0].json()["data"]["partner_id"], partner.get());
    assert_eq!(types(&theirs.received()), ["partner.activated"]);
    assert_eq!(theirs.received()[0].json()["data"]["partner_name"], "Soylent");
    let rows: Vec<(EnterpriseId, i64)> = schema::webhook_deliveries::table
        .select((schema::webhook_deliveries::enterprise_id, schema::webhook_deliveries::endpoint_id))
        .order(schema::webhook_deliveries::id)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(rows, [(app.enterprise_id(), our_endpoint), (umbrella, their_endpoint)]);
}

#[tokio::test]
async fn a_bad_form_is_shown_again_with_each_problem_and_nothing_is_created() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let r = post(&app, "/settings/webhooks", &[("url", "")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = Page::read(r).await;
    assert_eq!(
        page.field_error("url").as_deref(),
        Some("Enter the endpoint's whole address, starting with https:// or http://.")
    );
    assert_eq!(page.field_error("events").as_deref(), Some("Choose at least one event."));
    for (url, says) in [
        ("ftp://files.example/hook", "whole address"),
        ("crm.example.com/hook", "whole address"),
        ("https://user:secret@crm.example.com/hook", "user name and password"),
    ] {
        let r = post(&app, "/settings/webhooks", &[("url", url), ("event", "partner.created")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let page = Page::read(r).await;
        assert!(page.field_error("url").unwrap().contains(says), "{url}: {:?}", page.field_error("url"));
        assert_eq!(page.attr("#url", "value").as_deref(), Some(url), "the input is kept");
        assert_eq!(page.attr(r#"input[value="partner.created"]"#, "checked").as_deref(), Some(""), "and the events");
    }
    let r = post(&app, "/settings/webhooks", &[("url", "https://crm.example.com/"), ("event", "everything")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(schema::webhook_endpoints::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 0);
}

#[tokio::test]
async fn deleting_an_endpoint_after_confirmation_stops_its_deliveries() {
    let app = TestApp::spawn().logged_in_as_enterprise_admin().await;
    let receiver = TestReceiver::start().await;
    let (endpoint, _) = add_endpoint(&app, &receiver.url("/hooks"), &["partner.created"]).await;
    register(&app, "Globex", "globex.example").await;

    let confirm = app.page(&format!("/settings/webhooks/{endpoint}/delete")).await;
    assert_eq!(confirm.text("h1").as_deref(), Some("Delete webhook endpoint?"));
    assert!(confirm.contains(&receiver.url("/hooks")));
    let r = confirm.form("Delete").submit(&app.browser).await;
    assert_eq!(location(&r), "/settings/webhooks");
    let list = app.page("/settings/webhooks").await;
    assert!(list.flashes().iter().any(|f| f.contains("deleted")), "{:?}", list.flashes());
    assert!(list.contains("No webhook endpoints yet"));

    assert_eq!(app.run_webhooks(Utc::now()).await, Pass::default());
    assert!(receiver.received().is_empty(), "the waiting delivery went with its endpoint");
    assert_eq!(app.get(&format!("/settings/webhooks/{endpoint}")).await.status(), StatusCode::NOT_FOUND);
    let actions: Vec<String> = schema::audit_events::table
        .filter(schema::audit_events::action.like("enterprise.webhook_%"))
        .order(schema::audit_events::id)
        .select(schema::audit_events::action)
        .load(&mut app.conn())
        .unwrap();
    assert_eq!(actions, ["enterprise.webhook_created", "enterprise.webhook_deleted"]);
}

#[tokio::test]
async fn with_the_ssrf_guard_on_internal_addresses_are_refused_when_added_and_when_delivered() {
    let app = TestApp::spawn().env("WEBHOOKS_ALLOW_PRIVATE", "false").logged_in_as_enterprise_admin().await;
    let receiver = TestReceiver::start().await;

    // When added: a 422 that says why, and nothing saved.
    for (url, says) in [
        (receiver.url("/hooks"), "127.0.0.1 is a loopback address"),
        (format!("http://localhost:{}/hooks", receiver.port), "a loopback address"),
        ("http://169.254.169.254/latest/meta-data".to_string(), "a cloud metadata address"),
        ("http://10.1.2.3/hooks".to_string(), "a private address"),
        ("http://[fe80::1]/hooks".to_string(), "a link-local address"),
    ] {
        let r = post(&app, "/settings/webhooks", &[("url", &url), ("event", "partner.created")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let error = Page::read(r).await.field_error("url").unwrap();
        assert!(error.contains(says) && error.contains("only delivered to public addresses"), "{url}: {error}");
    }
    assert_eq!(schema::webhook_endpoints::table.count().get_result::<i64>(&mut app.conn()).unwrap(), 0);

    // When delivered (an endpoint saved before the guard, or a name that now resolves
    // inward): refused without a request, and not retried.
    for url in [receiver.url("/literal"), format!("http://localhost:{}/named", receiver.port)] {
        partner_portal::db::webhooks::insert(
            &mut app.conn(),
            &partner_portal::db::webhooks::NewEndpoint {
                enterprise_id: app.enterprise_id(),
                url: &url,
                events: &["partner.created".to_string()],
                secret: &partner_portal::webhooks::new_secret(),
                created_by: app.admin_id(),
            },
        )
        .unwrap();
    }
    register(&app, "Globex", "globex.example").await;
    assert_eq!(app.run_webhooks(Utc::now()).await, Pass { delivered: 0, retrying: 0, failed: 2 });
    assert!(receiver.received().is_empty(), "no request reached the loopback receiver");
    for row in deliveries(&mut app.conn()) {
        assert_eq!((row.status.as_str(), row.attempts), ("failed", 1));
        let error = row.last_error.unwrap();
        assert!(error.contains("a loopback address: webhooks are only delivered to public addresses"), "{error}");
    }
}
