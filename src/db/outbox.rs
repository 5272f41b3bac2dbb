//! The outbox table: emails written inside the caller's transaction (so an email exists only
//! if the change it talks about committed), claimed and settled by the worker, reported to
//! admin pages.
//!
//! Claiming uses `FOR UPDATE SKIP LOCKED` and a lease, so several portal instances on one
//! database never send the same email twice; every later update of a claimed email names
//! the claim (its `attempts` value), so a worker whose lease ran out cannot overwrite the
//! work of the one that took over.

use crate::domain::{EmailId, EnterpriseId, InvitationId};
use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_query,
    sql_types::{BigInt, Integer, Text},
};

use crate::db::schema::outbox_emails;
use crate::domain::EmailStatus;
use crate::email::{EmailMeta, OutgoingEmail};

pub const VIA_SMTP: &str = "smtp";
pub const VIA_MAILBOX: &str = "mailbox";

#[derive(Insertable)]
#[diesel(table_name = outbox_emails)]
struct NewOutboxEmail<'a> {
    kind: crate::domain::EmailKind,
    enterprise_id: Option<EnterpriseId>,
    invitation_id: Option<InvitationId>,
    message_id: &'a str,
    to_address: &'a str,
    subject: &'a str,
    text_body: Option<&'a str>,
    html_body: Option<&'a str>,
}

/// Queues `email`; call it inside the transaction of the change the email is about.
/// Returns the outbox id. The worker picks the email up within a second of the commit.
pub fn enqueue(conn: &mut PgConnection, email: &OutgoingEmail, meta: &EmailMeta) -> QueryResult<i64> {
    let message_id = uuid::Uuid::new_v4().simple().to_string();
    diesel::insert_into(outbox_emails::table)
        .values(&NewOutboxEmail {
            kind: meta.kind,
            enterprise_id: meta.enterprise_id,
            invitation_id: meta.invitation_id,
            message_id: &message_id,
            to_address: email.to.trim(),
            subject: &email.subject,
            text_body: Some(&email.text),
            html_body: Some(&email.html),
        })
        .returning(outbox_emails::id)
        .get_result(conn)
}

/// Unsent emails of an invitation that was revoked or replaced: never sent; bodies erased.
///
/// An email a worker is sending at this very moment is marked cancelled too; if that send
/// still succeeds the worker records it as sent (it did go out), and the revoked link in it
/// no longer works anyway.
pub fn cancel_for_invitation(conn: &mut PgConnection, invitation_id: InvitationId) -> QueryResult<usize> {
    diesel::update(
        outbox_emails::table
            .filter(outbox_emails::invitation_id.eq(invitation_id))
            .filter(outbox_emails::status.eq_any([EmailStatus::Queued, EmailStatus::Sending])),
    )
    .set((
        outbox_emails::status.eq(EmailStatus::Cancelled),
        outbox_emails::locked_until.eq(None::<DateTime<Utc>>),
        outbox_emails::text_body.eq(None::<String>),
        outbox_emails::html_body.eq(None::<String>),
    ))
    .execute(conn)
}

/// Latest email per invitation, for admin pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub status: EmailStatus,
    pub attempts: i32,
    /// Short and generic (no address, no server text, no secret).
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Delivery {
    /// A few words for a status badge: "Sent", "Sending…", "Not sent yet (retrying)", ...
    pub fn label(&self) -> &'static str {
        match self.status {
            EmailStatus::Sent => "Email sent",
            EmailStatus::Failed => "Email could not be delivered",
            EmailStatus::Cancelled => "Email cancelled",
            EmailStatus::Queued if self.attempts > 0 => "Email not sent yet (retrying)",
            _ => "Email being sent",
        }
    }
}

/// The latest email of each of `invitation_ids` (those without one are absent).
pub fn delivery_for_invitations(
    conn: &mut PgConnection,
    invitation_ids: &[InvitationId],
) -> QueryResult<HashMap<InvitationId, Delivery>> {
    if invitation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    type Row = (Option<InvitationId>, EmailStatus, i32, Option<String>, Option<DateTime<Utc>>, DateTime<Utc>);
    let rows: Vec<Row> = outbox_emails::table
        .filter(outbox_emails::invitation_id.eq_any(invitation_ids))
        .distinct_on(outbox_emails::invitation_id)
        .order((outbox_emails::invitation_id, outbox_emails::id.desc()))
        .select((
            outbox_emails::invitation_id,
            outbox_emails::status,
            outbox_emails::attempts,
            outbox_emails::last_error,
            outbox_emails::sent_at,
            outbox_emails::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, status, attempts, last_error, sent_at, created_at)| {
            Some((id?, Delivery { status, attempts, last_error, sent_at, created_at }))
        })
        .collect())
}

/// An email claimed by a worker: everything needed to send it once.
#[derive(QueryableByName, Debug, Clone)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Text)]
    pub to_address: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub text_body: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub html_body: Option<String>,
    /// This claim's attempt number; later updates name it.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// For `/metrics`: how many emails are queued or being sent, and the oldest one's age in
/// seconds; on the partial index of the worker's claim query, so a short scan when healthy.
/// Across enterprises on purpose: the outbox is the process's, not an enterprise's.
pub fn pending_depth(conn: &mut PgConnection) -> QueryResult<(i64, Option<f64>)> {
    #[derive(QueryableByName)]
    struct Depth {
        #[diesel(sql_type = BigInt)]
        pending: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        oldest: Option<f64>,
    }
    let d: Depth = crate::db::static_query(
        "SELECT count(*) AS pending, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest \
           FROM outbox_emails WHERE status IN ('queued', 'sending')",
    )
    .get_result(conn)?;
    Ok((d.pending, d.oldest))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Claims up to `limit` due emails (queued and due, or left `sending` by a worker whose lease
/// ran out) for `lease`, oldest first. Rows another worker is claiming are skipped.
/// Polled twice a second by every instance, so prepared once (`static_query`).
pub fn claim_due(conn: &mut PgConnection, limit: i64, lease: Duration) -> QueryResult<Vec<Claimed>> {
    crate::db::static_query(include_str!("sql/outbox_claim_due.sql"))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(millis(lease))
        .load(conn)
}

/// Just before sending: renews the lease if the claim is still this worker's and the email
/// was not cancelled meanwhile. False means "do not send".
pub fn still_ours(conn: &mut PgConnection, c: &Claimed, lease: Duration) -> QueryResult<bool> {
    let n = sql_query(
        "UPDATE outbox_emails \
            SET locked_until = now() + make_interval(secs => $3::double precision / 1000) \
          WHERE id = $1 AND attempts = $2 AND status = 'sending'",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Integer, _>(c.attempts)
    .bind::<BigInt, _>(millis(lease))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a successful send. The bodies are erased (they hold single-use links) unless the
/// development mailbox, whose page shows them, delivered the email.
pub fn mark_sent(conn: &mut PgConnection, c: &Claimed, via: &str) -> QueryResult<bool> {
    let keep_bodies = via == VIA_MAILBOX;
    let n = sql_query(
        "UPDATE outbox_emails \
            SET status = 'sent', sent_at = now(), locked_until = NULL, last_error = NULL, \
                delivered_via = $3, \
                text_body = CASE WHEN $4 THEN text_body END, \
                html_body = CASE WHEN $4 THEN html_body END \
          WHERE id = $1 AND attempts = $2 AND status IN ('sending', 'cancelled')",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Integer, _>(c.attempts)
    .bind::<Text, _>(via)
    .bind::<diesel::sql_types::Bool, _>(keep_bodies)
    .execute(conn)?;
    Ok(n == 1)
}

/// A failed attempt: back to `queued` until `retry_in` has passed, or `failed` for good
/// (bodies erased) when `give_up`. Returns the status written, if the claim was still ours.
pub fn mark_attempt_failed(
    conn: &mut PgConnection,
    c: &Claimed,
    error: &str,
    give_up: bool,
    retry_in: Duration,
) -> QueryResult<Option<EmailStatus>> {
    let status = if give_up { EmailStatus::Failed } else { EmailStatus::Queued };
    let short: String = error.chars().take(200).collect();
    let n = sql_query(
        "UPDATE outbox_emails \
            SET status = $3, locked_until = NULL, last_error = $4, \
                next_attempt_at = now() + make_interval(secs => $5::double precision / 1000), \
                text_body = CASE WHEN $3 = 'failed' THEN NULL ELSE text_body END, \
                html_body = CASE WHEN $3 = 'failed' THEN NULL ELSE html_body END \
          WHERE id = $1 AND attempts = $2 AND status = 'sending'",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Integer, _>(c.attempts)
    .bind::<Text, _>(status)
    .bind::<Text, _>(short)
    .bind::<BigInt, _>(millis(retry_in))
    .execute(conn)?;
    Ok((n == 1).then_some(status))
}

/// Hands back claimed emails that were not tried (the worker stopped early), without
/// counting an attempt.
pub fn release(conn: &mut PgConnection, c: &Claimed) -> QueryResult<bool> {
    let n = sql_query(
        "UPDATE outbox_emails \
            SET status = 'queued', locked_until = NULL, attempts = attempts - 1 \
          WHERE id = $1 AND attempts = $2 AND status = 'sending'",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Integer, _>(c.attempts)
    .execute(conn)?;
    Ok(n == 1)
}

/// An email as the development mailbox shows it.
#[derive(Queryable, Debug, Clone)]
pub struct MailboxEmail {
    pub id: EmailId,
    pub to_address: String,
    pub subject: String,
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Emails delivered to the development mailbox, newest first.
pub fn mailbox(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<MailboxEmail>> {
    outbox_emails::table
        .filter(outbox_emails::delivered_via.eq(VIA_MAILBOX))
        .order((outbox_emails::sent_at.desc(), outbox_emails::id.desc()))
        .limit(limit)
        .select((
            outbox_emails::id,
            outbox_emails::to_address,
            outbox_emails::subject,
            outbox_emails::text_body,
            outbox_emails::html_body,
            outbox_emails::sent_at,
        ))
        .load(conn)
}

/// One email of the development mailbox.
pub fn mailbox_email(conn: &mut PgConnection, id: EmailId) -> QueryResult<Option<MailboxEmail>> {
    outbox_emails::table
        .filter(outbox_emails::delivered_via.eq(VIA_MAILBOX))
        .filter(outbox_emails::id.eq(id))
        .select((
            outbox_emails::id,
            outbox_emails::to_address,
            outbox_emails::subject,
            outbox_emails::text_body,
            outbox_emails::html_body,
            outbox_emails::sent_at,
        ))
        .first(conn)
        .optional()
}
