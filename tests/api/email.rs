//! Email: the outbox written in the caller's transaction, the worker's code sending through
//! lettre's real SMTP transport to `TestSmtp` (run to completion by `dispatch_emails`),
//! permanent failures, cancelling, the dev mailbox. What depends on the worker's own timer
//! (outages, back-off, several workers) is in tests/timing/email_worker.rs.

use crate::{
    emails::{app_with_smtp, invitation_email, queue_invitation, rows, seed_invitation},
    helpers::TestApp,
    page::Page,
};
use diesel::prelude::*;
use partner_portal::domain::{EmailKind, EmailStatus};
use partner_portal::{
    db::{outbox, schema::outbox_emails},
    email::EmailMeta,
};
use reqwest::StatusCode;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// Every outbox row due now, whatever its back-off said.
fn make_all_due(app: &TestApp) {
    use outbox_emails::dsl as o;
    diesel::update(o::outbox_emails).set(o::next_attempt_at.eq(diesel::dsl::now)).execute(&mut app.conn()).unwrap();
}

#[tokio::test]
async fn a_queued_invitation_arrives_once_with_both_parts_and_the_link() {
    let app = app_with_smtp().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());

    let (_, link) = queue_invitation(&app, enterprise_id, "Globex", "ana@globex.example");

    assert_eq!(app.dispatch_emails().await, 1);
    let got = smtp.messages();
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
    let r = rows(&app);
    assert_eq!(r[0].status, "sent");
    assert_eq!(r[0].attempts, 1);
    assert_eq!(r[0].text_body, None);
    assert_eq!(app.dispatch_emails().await, 0, "nothing left to send");
    assert_eq!(smtp.messages().len(), 1);
}

#[tokio::test]
async fn a_permanently_refused_email_fails_for_good_and_the_admin_can_see_it() {
    let app = app_with_smtp().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());

    let (refused, _) = queue_invitation(&app, enterprise_id, "Rejectors", "reject@rejectors.example");
    let (fine, _) = queue_invitation(&app, enterprise_id, "Globex", "ana@globex.example");

    assert_eq!(app.dispatch_emails().await, 2);
    assert_eq!(app.dispatch_emails().await, 0, "the refused one is not claimed again");

    let deliveries = outbox::delivery_for_invitations(&mut app.conn(), &[refused, fine]).unwrap();
    let failed = &deliveries[&refused];
    assert_eq!(failed.status, EmailStatus::Failed);
    assert_eq!(failed.attempts, 1, "a 5xx is not retried");
    let error = failed.last_error.as_deref().unwrap();
    assert!(error.contains("550") && !error.contains("reject@"), "{error}");
    assert_eq!(failed.sent_at, None);
    assert_eq!(deliveries[&fine].status, EmailStatus::Sent);
    assert!(deliveries[&fine].sent_at.is_some());
    assert_eq!(smtp.messages().len(), 1);
    let bodies: Vec<_> = rows(&app).into_iter().filter(|e| e.status == "failed").map(|e| e.text_body).collect();
    assert_eq!(bodies, vec![None], "a failed email's link is erased");
}

#[tokio::test]
async fn the_html_part_escapes_a_hostile_partner_name_and_the_text_part_keeps_it_readable() {
    let app = app_with_smtp().await;
    let enterprise_id = app.enterprise_id();

    queue_invitation(&app, enterprise_id, HOSTILE, "ana@globex.example");

    let m = &app.emails().await[0];
    let html = m.html().unwrap();
    let text = m.text().unwrap();
    assert!(!html.contains("<img"), "{html}");
    // Shown as text: the reader sees exactly what was typed, no element is made of it.
    let page = Page::from_html(&html);
    assert_eq!(page.count("img"), 0);
    assert!(page.text("html").unwrap().contains(HOSTILE), "{html}");
    assert!(text.contains(&format!("to join {HOSTILE} on Partner Portal")), "{text}");
    assert!(!text.contains("&lt;"), "{text}");
    assert_eq!(m.subject(), format!("Erin Admin invited you to join {HOSTILE} on Partner Portal"));
}

#[tokio::test]
async fn an_email_queued_in_a_transaction_that_rolls_back_does_not_exist() {
    let app = app_with_smtp().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());

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
    assert_eq!(app.dispatch_emails().await, 0);
    assert!(smtp.messages().is_empty());
}

#[tokio::test]
async fn a_cancelled_invitation_email_is_never_sent() {
    let app = app_with_smtp().await;
    let (enterprise_id, smtp) = (app.enterprise_id(), app.smtp());
    smtp.down().await;
    let (id, _) = queue_invitation(&app, enterprise_id, "Globex", "ana@globex.example");
    app.dispatch_emails().await;
    let r = rows(&app);
    assert!(r[0].attempts >= 1 && r[0].status == "queued", "a failed attempt: {r:?}");

    let cancelled = outbox::cancel_for_invitation(&mut app.conn(), id).unwrap();
    smtp.up().await;
    make_all_due(&app);
    assert_eq!(app.dispatch_emails().await, 0, "a cancelled email is not claimed");

    assert_eq!(cancelled, 1);
    assert!(smtp.messages().is_empty());
    let r = rows(&app);
    assert_eq!((r[0].status.as_str(), r[0].text_body.as_deref()), ("cancelled", None));
}

#[tokio::test]
async fn without_smtp_in_development_emails_land_in_the_dev_mailbox() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    let enterprise_id = app.enterprise_id();

    let (_, link) = queue_invitation(&app, enterprise_id, HOSTILE, "ana@globex.example");

    assert_eq!(app.dispatch_emails().await, 1);
    let (status, html) = app.get_html("/dev/mailbox").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ana@globex.example"), "the mailbox shows the email:\n{html}");
    assert!(html.contains(&format!(r#"<a class="break" href="{link}">{link}</a>"#)), "{html}");
    assert!(!html.contains("<img src=x"), "the partner name is escaped:\n{html}");
    let body = Page::from_html(&html).text(".mailbox-text").unwrap();
    assert!(body.contains(&format!("to join {HOSTILE} on")), "{html}");
    let r = rows(&app);
    assert_eq!(r[0].status, "sent");
    assert!(r[0].text_body.is_some(), "the mailbox keeps the body it shows");

    let part = app.get(&format!("/dev/mailbox/{}/html", r[0].id)).await;
    assert_eq!(part.status(), StatusCode::OK);
    let csp = part.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.starts_with("sandbox;") && csp.contains("default-src 'none'"), "{csp}");
}
