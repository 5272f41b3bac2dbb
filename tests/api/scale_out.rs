//! Several portal instances on one database (as behind a load balancer): a login on one holds
//! on the other, a logo uploaded through one is served by the other, and with both email
//! workers running every queued email is delivered exactly once.

use std::{collections::HashSet, time::Duration};

use diesel::prelude::*;
use partner_portal::{
    auth::session::Principal,
    db::invitation_flow::{self, NewInvite},
    domain::{sample_png, EmailAddress, PersonName, Role, UserRole},
};
use reqwest::{header, multipart, redirect::Policy, StatusCode};

use crate::{
    fixtures::seed_partner,
    helpers::{csrf_token, location, Options, TestApp, PASSWORD},
    smtp::TestSmtp,
};

const ADMIN: &str = "erin@acme.example";

/// A client without a cookie jar: every request carries exactly the cookie it is given.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).build().unwrap()
}

async fn get_with(app: &TestApp, cookie: &str, path: &str) -> (StatusCode, String, String) {
    let r = bare_client().get(app.url(path)).header(header::COOKIE, cookie).send().await.unwrap();
    let (status, to) = (r.status(), location(&r));
    (status, to, r.text().await.unwrap())
}

#[tokio::test]
async fn a_session_started_on_one_instance_is_valid_on_the_other_and_ends_on_both() {
    let one = TestApp::spawn().await;
    let two = one.spawn_another(Options::default()).await;
    one.create_enterprise_admin("Acme", ADMIN, PASSWORD);

    assert_eq!(location(&one.login(ADMIN, PASSWORD).await), "/settings/partners");
    let cookie = one.session_cookie().expect("a session cookie from instance one");

    let (status, _, html) = get_with(&two, &cookie, "/settings/partners").await;
    assert_eq!(status, StatusCode::OK, "instance two knows the session:\n{html}");
    assert!(html.contains(ADMIN), "as the same person");

    // The CSRF token read on instance two is the session's: logging out through one works.
    let token = csrf_token(&html);
    let r = bare_client()
        .post(one.url("/logout"))
        .header(header::COOKIE, &cookie)
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for app in [&one, &two] {
        let (status, to, _) = get_with(app, &cookie, "/settings/partners").await;
        assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, "/login"), "the session ended on {}", app.address);
    }
}

#[tokio::test]
async fn a_logo_uploaded_through_one_instance_is_served_byte_identical_by_the_other() {
    let one = TestApp::spawn().await;
    let two = one.spawn_another(Options::default()).await;
    let (enterprise_id, _) = one.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let partner = seed_partner(&mut one.conn(), enterprise_id, "Globex", &["globex.com"], "active");
    one.login(ADMIN, PASSWORD).await;
    let cookie = one.session_cookie().unwrap();
    let png = sample_png(48, 32);

    let token = csrf_token(&one.get_html(&format!("/settings/partners/{partner}/edit")).await.1);
    let form = multipart::Form::new()
        .text("csrf_token", token)
        .text("name", "Globex")
        .part("logo", multipart::Part::bytes(png.clone()).file_name("logo.png"));
    let r = bare_client()
        .post(one.url(&format!("/settings/partners/{partner}/edit")))
        .header(header::COOKIE, &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "saved through instance one");

    let r = bare_client()
        .get(two.url(&format!("/settings/partners/{partner}/logo")))
        .header(header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png, "instance two serves the same bytes");
    let (_, _, html) = get_with(&two, &cookie, "/settings/partners").await;
    assert!(html.contains(&format!(r#"src="/settings/partners/{partner}/logo""#)), "and shows it in the list");
}

#[tokio::test]
async fn with_two_instances_running_each_queued_invitation_is_delivered_exactly_once() {
    let smtp = TestSmtp::start().await;
    let env = vec![("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".to_string())];
    let one = TestApp::spawn_with(Options { env, ..Default::default() }).await;
    let two = one.spawn_another(Options::default()).await;
    assert_eq!(two.settings.smtp_url.as_ref().map(|u| u.expose().clone()), Some(smtp.url()), "same SMTP server");
    let (enterprise_id, admin_id) = one.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let partner_id = seed_partner(&mut one.conn(), enterprise_id, "Globex", &["globex.com"], "active");
    let actor = Principal {
        user_id: admin_id,
        enterprise_id,
        partner_id: None,
        role: UserRole::EnterpriseAdmin,
        email: ADMIN.to_string(),
        first_name: "Erin".to_string(),
        surname: "Admin".to_string(),
        enterprise_name: "Acme".to_string(),
        partner_name: None,
    };

    // 50 invitations, 5 per transaction, while both workers poll the outbox.
    let (url, settings) = (one.db.url.clone(), one.settings.clone());
    tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        for batch in 0..10 {
            conn.transaction::<_, partner_portal::error::AppError, _>(|c| {
                for i in 0..5 {
                    let n = batch * 5 + i;
                    let email = EmailAddress::parse(&format!("person{n:02}@globex.com")).unwrap();
                    let (first, surname) =
                        (PersonName::parse("Ana").unwrap(), PersonName::parse(&format!("Lima {n}")).unwrap());
                    invitation_flow::issue(
                        c,
                        &settings,
                        &actor,
                        &NewInvite {
                            enterprise_id,
                            partner_id,
                            email: &email,
                            first_name: &first,
                            surname: &surname,
                            role: Role::Member,
                            for_account_admin: false,
                        },
                    )?;
                }
                Ok(())
            })
            .unwrap();
            std::thread::sleep(Duration::from_millis(60));
        }
    })
    .await
    .unwrap();

    smtp.wait_for(50, Duration::from_secs(30)).await;
    // Long enough for a duplicate to show up: several polls of both workers.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let got = smtp.messages();
    let recipients: HashSet<String> = got.iter().map(|m| m.to()).collect();
    let ids: HashSet<String> = got.iter().map(|m| m.message_id()).collect();
    println!("{} messages, {} recipients, {} Message-IDs", got.len(), recipients.len(), ids.len());
    assert_eq!(got.len(), 50, "each invitation is sent once");
    assert_eq!(recipients, (0..50).map(|n| format!("person{n:02}@globex.com")).collect::<HashSet<_>>());
    assert_eq!(ids.len(), 50, "50 distinct Message-IDs");
    for m in &got {
        assert_eq!(m.rcpt_to, vec![m.to()], "one recipient per message");
        let link = m.link(&one.settings.public_base_url).expect("the invitation link");
        assert!(link.starts_with(&format!("{}/invitations/", one.settings.public_base_url)), "{link}");
    }
    use partner_portal::db::schema::outbox_emails::dsl as o;
    let rows: Vec<(String, i32)> = o::outbox_emails.select((o::status, o::attempts)).load(&mut one.conn()).unwrap();
    assert_eq!(rows.len(), 50);
    assert!(rows.iter().all(|(status, attempts)| status == "sent" && *attempts == 1), "each claimed once: {rows:?}");
}
