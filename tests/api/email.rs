//! Email: the outbox written in the caller's transaction, the worker sending through lettre's
//! real SMTP transport to `TestSmtp`, retries, several workers, failures, the dev mailbox.

use std::{
    collections::HashSet,
    net::TcpListener,
    time::{Duration, Instant},
};

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use partner_portal::{
    config::{AppEnv, Settings},
    db::{self, schema::outbox_emails},
    domain::{EmailKind, Role},
    email::{
        messages::{self, InvitationEmail, PasswordResetEmail},
        outbox, worker, EmailMeta, OutgoingEmail,
    },
    startup::Application,
};
use reqwest::StatusCode;
use scraper::{Html, Selector};

use crate::{
    fixtures::seed_partner,
    helpers::{Options, TestApp, TestDatabase, PASSWORD},
    smtp::TestSmtp,
};

const WAIT: Duration = Duration::from_secs(10);
const FROM: &str = "Partner Portal <portal@acme.example>";
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

async fn app_with(smtp: &TestSmtp) -> TestApp {
    TestApp::spawn_with(Options {
        env: vec![("SMTP_URL", smtp.url()), ("SMTP_FROM", FROM.into()), ("EMAIL_RETRY_BASE_MS", "100".into())],
        ..Default::default()
    })
    .await
}

fn expires() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap()
}

/// A partner with a pending administrator invitation for `to`; returns the invitation id.
fn seed_invitation(conn: &mut PgConnection, enterprise_id: i64, partner: &str, to: &str) -> i64 {
    let domain = to.split('@').nth(1).unwrap();
    let partner_id = seed_partner(conn, enterprise_id, partner, &[domain], "invited");
    db::invitations::insert(
        conn,
        &db::invitations::NewInvitation {
            enterprise_id,
            partner_id,
            email: to,
            first_name: "Ana",
            surname: "Lima",
            role: Role::Admin,
            for_account_admin: true,
            token_hash: uuid::Uuid::new_v4().as_bytes(),
            invited_by: None,
            expires_at: expires(),
        },
    )
    .unwrap()
    .id
}

fn invitation_email(partner: &str, to: &str, link: &str) -> OutgoingEmail {
    let message = messages::invitation(&InvitationEmail {
        enterprise_name: "Acme",
        partner_name: partner,
        first_name: "Ana",
        inviter_name: "Erin Admin",
        role_label: "Admin",
        account_administrator: true,
        link,
        expires_at: expires(),
    })
    .unwrap();
    OutgoingEmail { to: to.to_string(), ..message }
}

/// Arranges partner + invitation and queues its email in one transaction, as the
/// invitation code does. Returns (invitation id, the link in the email).
fn queue_invitation(app: &TestApp, enterprise_id: i64, partner: &str, to: &str) -> (i64, String) {
    let mut conn = app.conn();
    let link = app.url(&format!("/invitations/{}", uuid::Uuid::new_v4().simple()));
    let id = conn
        .transaction(|c| {
            let invitation_id = seed_invitation(c, enterprise_id, partner, to);
            let meta = EmailMeta {
                kind: EmailKind::Invitation,
                enterprise_id: Some(enterprise_id),
                invitation_id: Some(invitation_id),
            };
            outbox::enqueue(c, &invitation_email(partner, to, &link), &meta)?;
            QueryResult::Ok(invitation_id)
        })
        .unwrap();
    (id, link)
}

#[derive(Queryable, Debug)]
struct Row {
    id: i64,
    status: String,
    attempts: i32,
    last_error: Option<String>,
    text_body: Option<String>,
}

fn rows(app: &TestApp) -> Vec<Row> {
    use outbox_emails::dsl as o;
    o::outbox_emails
        .order(o::id)
        .select((o::id, o::status, o::attempts, o::last_error, o::text_body))
        .load(&mut app.conn())
        .unwrap()
}

/// Polls the outbox every 50 ms until `done` holds; panics after `WAIT`.
async fn wait_rows(app: &TestApp, what: &str, done: impl Fn(&[Row]) -> bool) -> Vec<Row> {
    let start = Instant::now();
    loop {
        let r = rows(app);
        if done(&r) {
            return r;
        }
        assert!(start.elapsed() < WAIT, "timed out waiting for {what}: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_queued_invitation_arrives_once_with_both_parts_and_the_link() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);

    let (_, link) = queue_invitation(&app, enterprise_id, "Globex", "ana@globex.example");

    let got = smtp.wait_for(1, WAIT).await;
    let m = &got[0];
    assert_eq!(m.mail_from, "portal@acme.example");
    assert_eq!(m.rcpt_to, vec!["ana@globex.example".to_string()]);
    assert_eq!(m.to(), "ana@globex.example");
    assert_eq!(m.from(), "portal@acme.example");
    assert_eq!(m.subject(), "Erin Admin invited you to join Globex on Partner Portal");
    assert!(m.message_id().ends_with("@acme.example"), "{}", m.message_id());
    assert_eq!(m.content_type(), "multipart/alternative");
    let text = m.text().expect("a text/plain part");
    let html = m.html().expect("a text/html part");
    assert!(
        text.contains("Erin Admin of Acme has invited you to join Globex on Partner Portal as an Admin."),
        "{text}"
    );
    assert!(text.contains("account administrator of Globex"), "{text}");
    assert!(text.contains("This invitation expires on 2026-11-28 14:00 UTC."), "{text}");
    assert_eq!(m.link(&app.url("/invitations/")).as_deref(), Some(link.as_str()));
    assert!(html.contains(&format!(r#"href="{link}""#)), "{html}");
    assert!(html.contains("2026-11-28 14:00 UTC"));

    // Sent once, recorded, and the link (a secret) no longer kept in the database.
    let r = wait_rows(&app, "the email recorded as sent", |r| r[0].status == "sent").await;
    assert_eq!(r[0].attempts, 1);
    assert_eq!(r[0].text_body, None);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn while_smtp_is_down_emails_wait_and_each_is_delivered_once_when_it_returns() {
    let start = Instant::now();
    let at = || format!("[{:>5} ms]", start.elapsed().as_millis());
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    smtp.down().await;
    println!("{} SMTP server down (connections refused)", at());

    let partners = [
        ("Initech", "peter@initech.example"),
        ("Umbrella", "alice@umbrella.example"),
        ("Hooli", "gavin@hooli.example"),
    ];
    for (partner, to) in partners {
        queue_invitation(&app, enterprise_id, partner, to);
    }
    println!("{} three partners registered, three invitation emails queued", at());

    let r = wait_rows(&app, "failed attempts on all three", |r| {
        r.len() == 3 && r.iter().all(|e| e.attempts >= 2 && e.last_error.is_some())
    })
    .await;
    for e in &r {
        println!(
            "{} outbox #{} status={} attempts={} last_error={:?}",
            at(),
            e.id,
            e.status,
            e.attempts,
            e.last_error.as_deref().unwrap_or("")
        );
        assert!(matches!(e.status.as_str(), "queued" | "sending"), "{e:?}");
        assert!(e.text_body.is_some(), "nothing lost: the body is still there");
        assert!(!e.last_error.as_deref().unwrap().contains('@'), "no address in the error");
    }
    assert!(smtp.messages().is_empty());
    println!("{} nothing delivered, nothing lost", at());

    smtp.up().await;
    println!("{} SMTP server up again on the same port", at());
    let got = smtp.wait_for(3, WAIT).await;
    println!("{} {} messages received", at(), got.len());
    let r = wait_rows(&app, "all three sent", |r| r.iter().all(|e| e.status == "sent")).await;
    for e in &r {
        println!("{} outbox #{} status={} attempts={}", at(), e.id, e.status, e.attempts);
    }

    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = smtp.messages();
    let mut to: Vec<String> = got.iter().map(|m| m.to()).collect();
    to.sort();
    println!("{} after one more second: {} messages, to {:?}", at(), got.len(), to);
    assert_eq!(to, vec!["alice@umbrella.example", "gavin@hooli.example", "peter@initech.example"]);
}

#[tokio::test]
async fn several_workers_on_one_database_send_each_email_exactly_once() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    // Two more portal instances' workers, each with its own pool, on the same database.
    for _ in 0..2 {
        worker::spawn(worker::pool(&app.settings), app.settings.clone());
    }

    let mut conn = app.conn();
    conn.transaction(|c| {
        for i in 0..50 {
            let message = messages::password_reset(&PasswordResetEmail {
                first_name: "Ana",
                link: &app.url(&format!("/password/reset/{i}")),
                expires_at: expires(),
            })
            .unwrap();
            let email = OutgoingEmail { to: format!("user{i}@example.com"), ..message };
            outbox::enqueue(
                c,
                &email,
                &EmailMeta { kind: EmailKind::PasswordReset, enterprise_id: None, invitation_id: None },
            )?;
        }
        QueryResult::Ok(())
    })
    .unwrap();

    smtp.wait_for(50, WAIT).await;
    let r = wait_rows(&app, "all 50 sent", |r| r.iter().all(|e| e.status == "sent")).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let got = smtp.messages();
    assert_eq!(got.len(), 50);
    let ids: HashSet<String> = got.iter().map(|m| m.message_id()).collect();
    let recipients: HashSet<String> = got.iter().map(|m| m.to()).collect();
    assert_eq!(ids.len(), 50);
    assert_eq!(recipients.len(), 50);
    assert!(r.iter().all(|e| e.attempts == 1), "each claimed once: {r:?}");
}

#[tokio::test]
async fn a_permanently_refused_email_fails_for_good_and_the_admin_can_see_it() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);

    let (refused, _) = queue_invitation(&app, enterprise_id, "Rejectors", "reject@rejectors.example");
    let (fine, _) = queue_invitation(&app, enterprise_id, "Globex", "ana@globex.example");

    smtp.wait_for(1, WAIT).await;
    wait_rows(&app, "the refused email failed", |r| r.iter().any(|e| e.status == "failed")).await;
    tokio::time::sleep(Duration::from_millis(800)).await; // time for any (wrong) retry

    let deliveries = outbox::delivery_for_invitations(&mut app.conn(), &[refused, fine]).unwrap();
    let failed = &deliveries[&refused];
    assert_eq!(failed.status.as_str(), "failed");
    assert_eq!(failed.attempts, 1, "a 5xx is not retried");
    let error = failed.last_error.as_deref().unwrap();
    assert!(error.contains("550") && !error.contains("reject@"), "{error}");
    assert_eq!(failed.sent_at, None);
    assert_eq!(deliveries[&fine].status.as_str(), "sent");
    assert!(deliveries[&fine].sent_at.is_some());
    assert_eq!(smtp.messages().len(), 1);
    let bodies: Vec<_> = rows(&app).into_iter().filter(|e| e.status == "failed").map(|e| e.text_body).collect();
    assert_eq!(bodies, vec![None], "a failed email's link is erased");
}

#[tokio::test]
async fn a_deferred_email_is_retried_with_back_off() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);

    let (id, _) = queue_invitation(&app, enterprise_id, "Deferrers", "defer@deferrers.example");

    let r = wait_rows(&app, "three attempts", |r| r[0].attempts >= 3).await;
    assert!(matches!(r[0].status.as_str(), "queued" | "sending"), "{:?}", r[0]);
    let delivery = &outbox::delivery_for_invitations(&mut app.conn(), &[id]).unwrap()[&id];
    assert!(delivery.last_error.as_deref().unwrap().contains("451"), "{delivery:?}");
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn the_html_part_escapes_a_hostile_partner_name_and_the_text_part_keeps_it_readable() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);

    queue_invitation(&app, enterprise_id, HOSTILE, "ana@globex.example");

    let m = &smtp.wait_for(1, WAIT).await[0];
    let html = m.html().unwrap();
    let text = m.text().unwrap();
    assert!(!html.contains("<img"), "{html}");
    // Shown as text: the reader sees exactly what was typed, no element is made of it.
    let doc = Html::parse_document(&html);
    assert_eq!(doc.select(&Selector::parse("img").unwrap()).count(), 0);
    assert!(doc.root_element().text().collect::<String>().contains(HOSTILE), "{html}");
    assert!(text.contains(&format!("to join {HOSTILE} on Partner Portal")), "{text}");
    assert!(!text.contains("&lt;"), "{text}");
    assert_eq!(m.subject(), format!("Erin Admin invited you to join {HOSTILE} on Partner Portal"));
}

#[tokio::test]
async fn an_email_queued_in_a_transaction_that_rolls_back_does_not_exist() {
    let smtp = TestSmtp::start().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);

    let result = app.conn().transaction(|c| {
        let invitation_id = seed_invitation(c, enterprise_id, "Globex", "ana@globex.example");
        let meta = EmailMeta {
            kind: EmailKind::Invitation,
            enterprise_id: Some(enterprise_id),
            invitation_id: Some(invitation_id),
        };
        outbox::enqueue(c, &invitation_email("Globex", "ana@globex.example", "http://x/invitations/t"), &meta)?;
        Err::<(), _>(diesel::result::Error::RollbackTransaction)
    });

    assert!(result.is_err());
    assert!(rows(&app).is_empty());
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn a_cancelled_invitation_email_is_never_sent() {
    let smtp = TestSmtp::start().await;
    smtp.down().await;
    let app = app_with(&smtp).await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);
    let (id, _) = queue_invitation(&app, enterprise_id, "Globex", "ana@globex.example");
    wait_rows(&app, "a failed attempt", |r| r[0].attempts >= 1 && r[0].status == "queued").await;

    let cancelled = outbox::cancel_for_invitation(&mut app.conn(), id).unwrap();
    smtp.up().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    assert_eq!(cancelled, 1);
    assert!(smtp.messages().is_empty());
    let r = rows(&app);
    assert_eq!((r[0].status.as_str(), r[0].text_body.as_deref()), ("cancelled", None));
}

async fn wait_for_mailbox(app: &TestApp, needle: &str) -> String {
    let start = Instant::now();
    loop {
        let (status, html) = app.get_html("/dev/mailbox").await;
        assert_eq!(status, StatusCode::OK);
        if html.contains(needle) {
            return html;
        }
        assert!(start.elapsed() < WAIT, "the mailbox never showed {needle:?}:\n{html}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn without_smtp_in_development_emails_land_in_the_dev_mailbox() {
    let app = TestApp::spawn().await;
    let (enterprise_id, _) = app.create_enterprise_admin("Acme", "erin@acme.example", PASSWORD);

    let (_, link) = queue_invitation(&app, enterprise_id, HOSTILE, "ana@globex.example");

    let html = wait_for_mailbox(&app, "ana@globex.example").await;
    assert!(html.contains(&format!(r#"<a class="break" href="{link}">{link}</a>"#)), "{html}");
    assert!(!html.contains("<img src=x"), "the partner name is escaped:\n{html}");
    let doc = Html::parse_document(&html);
    let body = doc.select(&Selector::parse(".mailbox-text").unwrap()).next().unwrap();
    assert!(body.text().collect::<String>().contains(&format!("to join {HOSTILE} on")), "{html}");
    let r = rows(&app);
    assert_eq!(r[0].status, "sent");
    assert!(r[0].text_body.is_some(), "the mailbox keeps the body it shows");

    let part = app.get(&format!("/dev/mailbox/{}/html", r[0].id)).await;
    assert_eq!(part.status(), StatusCode::OK);
    let csp = part.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.starts_with("sandbox;") && csp.contains("default-src 'none'"), "{csp}");
}

#[tokio::test]
async fn in_production_the_dev_mailbox_is_absent_and_emails_wait_for_smtp() {
    let db = TestDatabase::create();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = "ab".repeat(64);
    let vars = [
        ("DATABASE_URL", db.url.clone()),
        ("BIND_ADDR", format!("127.0.0.1:{port}")),
        ("PUBLIC_BASE_URL", "https://portal.example".to_string()),
        ("SESSION_KEY", key),
        ("WORKERS", "1".to_string()),
        ("DATABASE_POOL_SIZE", "3".to_string()),
    ];
    let settings =
        Settings::from_lookup(AppEnv::Production, |k| vars.iter().find(|(name, _)| *name == k).map(|(_, v)| v.clone()))
            .unwrap();
    let app = Application::build_on(settings, listener).await.unwrap();
    tokio::spawn(app.run_until_stopped());
    let mut conn = db.connect();
    let message = invitation_email("Globex", "ana@globex.example", "https://portal.example/invitations/t");
    let meta = EmailMeta { kind: EmailKind::Invitation, enterprise_id: None, invitation_id: None };
    conn.transaction(|c| outbox::enqueue(c, &message, &meta)).unwrap();

    let r = reqwest::get(format!("http://127.0.0.1:{port}/dev/mailbox")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let status: (String, i32) =
        outbox_emails::table.select((outbox_emails::status, outbox_emails::attempts)).first(&mut conn).unwrap();
    assert_eq!(status, ("queued".to_string(), 0), "kept until SMTP is configured");
}
