//! Two portal instances on one database, both email workers running on their timers: every
//! queued email is delivered exactly once.

use partner_portal::domain::UserRole;
use std::{collections::HashSet, time::Duration};

use diesel::prelude::*;
use partner_portal::{
    auth::session::Principal,
    db::invitation_flow::{self, NewInvite},
    domain::{EmailAddress, PersonName, Role},
};

use crate::{
    fixtures::PartnerFixture,
    helpers::{Options, TestApp, ADMIN, PASSWORD},
    smtp::TestSmtp,
};

#[tokio::test]
async fn with_two_instances_running_each_queued_invitation_is_delivered_exactly_once() {
    let smtp = TestSmtp::start().await;
    let env = vec![("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".to_string())];
    let one = TestApp::spawn_with(Options { env, email_worker: true, ..Default::default() }).await;
    let two = one.spawn_another(Options { email_worker: true, ..Default::default() }).await;
    assert_eq!(two.settings.email.smtp_url.as_ref().map(|u| u.expose().clone()), Some(smtp.url()), "same SMTP server");
    let (enterprise_id, admin_id) = one.create_enterprise_admin("Acme", ADMIN, PASSWORD);
    let partner_id =
        PartnerFixture::new("Globex").domains(["globex.com"]).active().enterprise(enterprise_id).create(&one).id;
    let membership_id =
        partner_portal::db::memberships::live_for_user(&mut one.conn(), admin_id).unwrap()[0].membership_id;
    let actor = Principal {
        user_id: admin_id,
        membership_id,
        usable_memberships: 1,
        enterprise_id,
        partner_id: None,
        role: UserRole::EnterpriseAdmin,
        email: ADMIN.to_string(),
        first_name: "Erin".to_string(),
        surname: "Admin".to_string(),
        enterprise_name: "Acme".to_string(),
        time_zone: partner_portal::domain::TimeZone::UTC,
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
                            note: None,
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
