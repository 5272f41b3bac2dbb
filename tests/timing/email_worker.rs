//! The background email worker on its own timer, through lettre's real SMTP transport to
//! `TestSmtp`: outages, back-off, several workers on one database, production without SMTP.

use partner_portal::domain::EmailKind;
use std::{
    collections::HashSet,
    net::TcpListener,
    time::{Duration, Instant},
};

use diesel::prelude::*;
use partner_portal::{
    config::{AppEnv, Settings},
    db::{outbox, schema::outbox_emails},
    email::{
        messages::{self, PasswordResetEmail},
        worker, EmailMeta, OutgoingEmail,
    },
    startup::Application,
};
use reqwest::StatusCode;

use crate::{
    emails::{app_with_smtp, expires, invitation_email, queue_invitation, rows, Row},
    helpers::{TestApp, TestDatabase},
};

const WAIT: Duration = Duration::from_secs(10);

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
async fn while_smtp_is_down_emails_wait_and_each_is_delivered_once_when_it_returns() {
    let start = Instant::now();
    let at = || format!("[{:>5} ms]", start.elapsed().as_millis());
    let app = app_with_smtp().with_email_worker().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());
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
    let app = app_with_smtp().with_email_worker().await;
    let smtp = app.smtp();
    // Two more portal instances' workers, each with its own pool, on the same database.
    for _ in 0..2 {
        worker::spawn(worker::pool(&app.settings.database), app.settings.email.clone());
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
async fn a_deferred_email_is_retried_with_back_off() {
    let app = app_with_smtp().with_email_worker().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());

    let (id, _) = queue_invitation(&app, enterprise_id, "Deferrers", "defer@deferrers.example");

    let r = wait_rows(&app, "three attempts", |r| r[0].attempts >= 3).await;
    assert!(matches!(r[0].status.as_str(), "queued" | "sending"), "{:?}", r[0]);
    let delivery = &outbox::delivery_for_invitations(&mut app.conn(), &[id]).unwrap()[&id];
    assert!(delivery.last_error.as_deref().unwrap().contains("451"), "{delivery:?}");
    assert!(smtp.messages().is_empty());
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
        ("CREDENTIAL_HASH_KEY", "cd".repeat(32)),
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

#[tokio::test]
async fn a_stopped_worker_finishes_the_email_it_is_sending_and_hands_back_the_rest() {
    let app = app_with_smtp().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());
    for (partner, to) in
        [("Initech", "peter@initech.example"), ("Umbrella", "alice@umbrella.example"), ("Hooli", "gavin@hooli.example")]
    {
        queue_invitation(&app, enterprise_id, partner, to);
    }
    smtp.hold_replies();
    let running = worker::spawn(worker::pool(&app.settings.database), app.settings.email.clone()).unwrap();
    smtp.wait_for_held(1, WAIT).await;

    // Asked to stop in the middle of the first SMTP conversation (the server holds its reply).
    let stopped = running.stop();
    smtp.release_replies();
    tokio::time::timeout(WAIT, stopped).await.expect("the worker stops once the email in flight is done");

    assert_eq!(smtp.messages().len(), 1, "no email after the stop");
    let rows = rows(&app);
    let sent: Vec<_> = rows.iter().filter(|r| r.status == "sent").collect();
    let queued: Vec<_> = rows.iter().filter(|r| r.status == "queued").collect();
    assert_eq!((sent.len(), queued.len()), (1, 2), "{rows:?}");
    assert_eq!(sent[0].attempts, 1, "the email in flight was finished and recorded");
    assert!(queued.iter().all(|r| r.attempts == 0 && r.last_error.is_none()), "handed back untried: {rows:?}");

    // The next start sends them.
    let next = worker::spawn(worker::pool(&app.settings.database), app.settings.email.clone()).unwrap();
    smtp.wait_for(3, WAIT).await;
    next.stop().await;
}
