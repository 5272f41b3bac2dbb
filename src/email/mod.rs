//! Email: messages are queued in the database with the change that causes them (the
//! transactional outbox) and sent after commit by a background worker.
//!
//! * [`messages`] builds each email (subject, text and HTML parts) from askama templates.
//! * [`crate::db::outbox`] (the outbox table's queries) writes, cancels and reports queued
//!   emails, inside the caller's transaction.
//! * [`worker`] claims due emails and hands them to the [`mailer::Mailer`]: SMTP through
//!   lettre when `SMTP_URL` is set, otherwise (development only) the development mailbox
//!   shown at `/dev/mailbox`.

use crate::domain::{EnterpriseId, InvitationId};

pub mod access;
pub mod connections;
pub mod mailer;
pub mod messages;
pub mod programs;
pub mod worker;

/// A finished email, ready to be queued.
#[derive(Debug, Clone)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What an email is about, for the admin pages and for cancelling it.
#[derive(Debug, Clone, Copy)]
pub struct EmailMeta {
    pub kind: crate::domain::EmailKind,
    pub enterprise_id: Option<EnterpriseId>,
    pub invitation_id: Option<InvitationId>,
}
