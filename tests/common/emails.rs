//! Emails queued straight into the outbox, and the outbox read back: for the tests of the
//! email worker (tests/api/email.rs, tests/timing/email_worker.rs).

use chrono::{TimeZone, Utc};
use diesel::prelude::*;
use partner_portal::domain::{EmailKind, Role};
use partner_portal::domain::{EnterpriseId, InvitationId};
use partner_portal::{
    db::{self, schema::outbox_emails},
    email::{
        messages::{self, InvitationEmail},
        EmailMeta, OutgoingEmail,
    },
};

use super::{fixtures::PartnerFixture, helpers::TestApp};

pub const FROM: &str = "Partner Portal <portal@acme.example>";

/// With the test SMTP server and `FROM` as the sender.
pub fn app_with_smtp() -> super::helpers::Spawn {
    TestApp::spawn().with_smtp().with_enterprise_admin().env("SMTP_FROM", FROM)
}

pub fn expires() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap()
}

/// A partner with a pending administrator invitation for `to`; returns the invitation id.
pub fn seed_invitation(conn: &mut PgConnection, enterprise_id: EnterpriseId, partner: &str, to: &str) -> InvitationId {
    let domain = to.split('@').nth(1).unwrap();
    let partner_id = PartnerFixture::new(partner).domains([domain]).create_in(conn, enterprise_id).id;
    db::invitations::insert(
        conn,
        &db::invitations::NewInvitation {
            enterprise_id,
            partner_id: Some(partner_id),
            email: to,
            first_name: "Ana",
            surname: "Lima",
            role: Role::Admin.into(),
            for_account_admin: true,
            token_hash: uuid::Uuid::new_v4().as_bytes(),
            invited_by: None,
            expires_at: expires(),
            note: None,
        },
    )
    .unwrap()
    .id
}

pub fn invitation_email(partner: &str, to: &str, link: &str) -> OutgoingEmail {
    let message = messages::invitation(&InvitationEmail {
        enterprise_name: "Acme",
        partner_name: partner,
        first_name: "Ana",
        inviter_name: "Erin Admin",
        role_label: "Admin",
        account_administrator: true,
        team: false,
        link,
        expires_at: expires(),
        note: None,
    })
    .unwrap();
    OutgoingEmail { to: to.to_string(), ..message }
}

/// Arranges partner + invitation and queues its email in one transaction, as the
/// invitation code does. Returns (invitation id, the link in the email).
pub fn queue_invitation(app: &TestApp, enterprise_id: EnterpriseId, partner: &str, to: &str) -> (InvitationId, String) {
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
            db::outbox::enqueue(c, &invitation_email(partner, to, &link), &meta)?;
            QueryResult::Ok(invitation_id)
        })
        .unwrap();
    (id, link)
}

#[derive(Queryable, Debug)]
pub struct Row {
    pub id: i64,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub text_body: Option<String>,
}

pub fn rows(app: &TestApp) -> Vec<Row> {
    use outbox_emails::dsl as o;
    o::outbox_emails
        .order(o::id)
        .select((o::id, o::status, o::attempts, o::last_error, o::text_body))
        .load(&mut app.conn())
        .unwrap()
}
