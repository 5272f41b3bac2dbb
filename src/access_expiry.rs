//! The expiry worker (SPEC §15): reminders 14, 3 and 1 days before a grant ends, to the
//! partner's Admins and the enterprise's admins, and the grant's revocation when it ends,
//! audited as the portal itself. A background loop started beside the email worker.
//!
//! Each due partner is handled in one transaction that first takes the partner row lock with
//! `SKIP LOCKED` (the lock every grant change and deactivation takes first, so the order is
//! the same everywhere), then locks and re-reads its due grants: with several instances, one
//! of them does a partner's work and the others skip it, or find nothing left to do. The
//! reminders are queued in the email outbox and the schedule moves on in that same
//! transaction, so each is sent once; a revoked grant is deleted with its audit event.
//!
//! [`run_due`] does one pass at a given `now`: the loop calls it with the clock, the tests with
//! the day they want to be.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::connection::{Connection, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, SmallInt, Text, Timestamptz};

use crate::background::Worker;
use crate::{
    config::Settings,
    db::{self, audit, memberships, outbox, DbPool},
    domain::{
        expiry::{self, Due},
        AuditAction, EmailKind, EnterpriseId, PartnerId, PartnerStatus,
    },
    email::{access::AccessEndingEmail, EmailMeta, OutgoingEmail},
    error::AppError,
};

/// Reminders are due whole days ahead: a minute late is nothing.
const POLL: Duration = Duration::from_secs(60);
const BATCH: i64 = 50;

/// Who the expiry's audit events name.
pub const SYSTEM_ACTOR: &str = "Partner Portal (access expiry)";

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Reminders queued (one per grant and day mark, whatever the number of recipients).
    pub reminders: usize,
    /// Grants revoked at their end.
    pub expired: usize,
    /// Partners another instance was handling.
    pub skipped: usize,
}

pub fn spawn(pool: DbPool, settings: Settings) -> Worker {
    Worker::spawn("access expiry", move |mut stopping| async move {
        tracing::info!("access expiry worker started");
        while !*stopping.borrow() {
            match run_due(&pool, &settings, Utc::now()).await {
                Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "access expiry pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "access expiry pass failed; retrying later"),
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                Ok(_) = stopping.wait_for(|stop| *stop) => {}
            }
        }
        tracing::info!("access expiry worker stopped");
    })
}

/// Does everything due at `now`: every partner with a grant whose next reminder or end has
/// come, once each (partners another instance holds are left to it).
pub async fn run_due(pool: &DbPool, settings: &Settings, now: DateTime<Utc>) -> Result<Pass, AppError> {
    let mut pass = Pass::default();
    let mut seen: BTreeSet<PartnerId> = BTreeSet::new();
    loop {
        let exclude: Vec<i64> = seen.iter().map(|p| p.get()).collect();
        let partners = db::run(pool, move |conn| {
            conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
            Ok(due_partners(conn, now, &exclude)?)
        })
        .await?;
        if partners.is_empty() {
            return Ok(pass);
        }
        for partner_id in partners {
            seen.insert(partner_id);
            let settings = settings.clone();
            let done = db::run(pool, move |conn| {
                conn.set_instrumentation(|_: InstrumentationEvent<'_>| {});
                conn.transaction(|conn| settle_partner(conn, &settings, partner_id, now))
            })
            .await?;
            match done {
                None => pass.skipped += 1,
                Some(p) => {
                    pass.reminders += p.reminders;
                    pass.expired += p.expired;
                }
            }
        }
    }
}

#[derive(QueryableByName)]
struct DuePartner {
    #[diesel(sql_type = BigInt)]
    partner_id: i64,
}

/// Partners with a grant due at `now`, not in `exclude`.
fn due_partners(conn: &mut PgConnection, now: DateTime<Utc>, exclude: &[i64]) -> QueryResult<Vec<PartnerId>> {
    let rows: Vec<DuePartner> = diesel::sql_query(
        "SELECT partner_id FROM (
             SELECT partner_id FROM partner_products WHERE next_action_at <= $1
             UNION
             SELECT partner_id FROM partner_api_environments WHERE next_action_at <= $1) d
          WHERE partner_id <> ALL ($2)
          ORDER BY partner_id LIMIT $3",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<diesel::sql_types::Array<BigInt>, _>(exclude)
    .bind::<BigInt, _>(BATCH)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| PartnerId::new(r.partner_id)).collect())
}

#[derive(QueryableByName)]
struct LockedPartner {
    #[diesel(sql_type = BigInt)]
    enterprise_id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    enterprise_name: String,
}

/// A due grant, locked: a product (`environment_id` None) or an API in an environment.
#[derive(QueryableByName, Debug)]
struct DueGrant {
    #[diesel(sql_type = BigInt)]
    item_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    environment_id: Option<i64>,
    /// "Product One", "Payments API — Production".
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = Date)]
    expires_on: NaiveDate,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<SmallInt>)]
    reminded_days: Option<i16>,
}

impl DueGrant {
    fn is_product(&self) -> bool {
        self.environment_id.is_none()
    }

    /// Deletes the grant, or sets its schedule (`reminded`, `next`).
    fn write(&self, conn: &mut PgConnection, partner_id: PartnerId, change: Write) -> QueryResult<usize> {
        let (table, key) = if self.is_product() {
            ("partner_products", "product_id = $2")
        } else {
            ("partner_api_environments", "api_id = $2 AND environment_id = $3")
        };
        let env = self.environment_id.unwrap_or(0);
        match change {
            Write::Delete => diesel::sql_query(format!("DELETE FROM {table} WHERE partner_id = $1 AND {key}"))
                .bind::<BigInt, _>(partner_id.get())
                .bind::<BigInt, _>(self.item_id)
                .bind::<BigInt, _>(env)
                .execute(conn),
            Write::Schedule { reminded, next } => diesel::sql_query(format!(
                "UPDATE {table} SET reminded_days = $4, next_action_at = $5 WHERE partner_id = $1 AND {key}"
            ))
            .bind::<BigInt, _>(partner_id.get())
            .bind::<BigInt, _>(self.item_id)
            .bind::<BigInt, _>(env)
            .bind::<Nullable<SmallInt>, _>(reminded)
            .bind::<Nullable<Timestamptz>, _>(next)
            .execute(conn),
        }
    }
}

enum Write {
    Delete,
    Schedule { reminded: Option<i16>, next: Option<DateTime<Utc>> },
}

/// The partner's due work, under its row lock; None when another instance holds it.
fn settle_partner(
    conn: &mut PgConnection,
    settings: &Settings,
    partner_id: PartnerId,
    now: DateTime<Utc>,
) -> Result<Option<Pass>, AppError> {
    let locked: Option<LockedPartner> = diesel::sql_query(
        "SELECT p.enterprise_id, p.name, p.status, e.name AS enterprise_name
           FROM partners p JOIN enterprises e ON e.id = p.enterprise_id
          WHERE p.id = $1 FOR UPDATE OF p SKIP LOCKED",
    )
    .bind::<BigInt, _>(partner_id.get())
    .get_result(conn)
    .optional()?;
    let Some(partner) = locked else { return Ok(None) };
    let enterprise_id = EnterpriseId::new(partner.enterprise_id);
    let grants: Vec<DueGrant> = diesel::sql_query(
        "SELECT g.product_id AS item_id, NULL::bigint AS environment_id, p.name AS what,
                g.expires_on, g.expires_at, g.reminded_days
           FROM partner_products g JOIN products p ON p.id = g.product_id AND p.enterprise_id = $3
          WHERE g.partner_id = $1 AND g.next_action_at <= $2
         UNION ALL
         SELECT g.api_id, g.environment_id, a.name || ' — ' || e.name,
                g.expires_on, g.expires_at, g.reminded_days
           FROM partner_api_environments g
           JOIN apis a ON a.id = g.api_id AND a.enterprise_id = $3
           JOIN environments e ON e.id = g.environment_id AND e.enterprise_id = $3
          WHERE g.partner_id = $1 AND g.next_action_at <= $2
          ORDER BY 3",
    )
    .bind::<BigInt, _>(partner_id.get())
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(enterprise_id.get())
    .load(conn)?;

    let mut pass = Pass::default();
    if partner.status == PartnerStatus::Deactivated.as_str() {
        // Its grants stay as the record of what it had; nobody is reminded of them.
        for g in &grants {
            g.write(conn, partner_id, Write::Schedule { reminded: g.reminded_days, next: None })?;
        }
        return Ok(Some(pass));
    }
    for g in &grants {
        match expiry::due(g.expires_at, g.reminded_days, now) {
            Due::Expire => {
                if g.write(conn, partner_id, Write::Delete)? == 1 {
                    record_expiry(conn, enterprise_id, partner_id, g)?;
                    pass.expired += 1;
                }
            }
            Due::Remind(days) => {
                let next = Some(expiry::next_action(g.expires_at, Some(days)));
                g.write(conn, partner_id, Write::Schedule { reminded: Some(days), next })?;
                remind(
                    conn,
                    settings,
                    (enterprise_id, partner_id),
                    (&partner.enterprise_name, &partner.name),
                    g,
                    days,
                )?;
                pass.reminders += 1;
            }
            Due::Nothing => {
                let next = Some(expiry::next_action(g.expires_at, g.reminded_days));
                g.write(conn, partner_id, Write::Schedule { reminded: g.reminded_days, next })?;
            }
        }
    }
    Ok(Some(pass))
}

fn record_expiry(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    g: &DueGrant,
) -> Result<(), AppError> {
    let details = if g.is_product() {
        serde_json::json!({ "what": g.what, "product_id": g.item_id, "expires_on": g.expires_on })
    } else {
        serde_json::json!({
            "what": g.what, "api_id": g.item_id, "environment_id": g.environment_id, "expires_on": g.expires_on,
        })
    };
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id,
            partner_id: Some(partner_id),
            actor_user_id: None,
            actor_label: SYSTEM_ACTOR,
            actor_membership: "",
            action: AuditAction::PartnerAccessExpired,
            target: &g.what,
            details,
        },
    )?;
    let data = if g.is_product() {
        serde_json::json!({ "grant": "product", "product_id": g.item_id, "reason": "expired", "expires_on": g.expires_on })
    } else {
        serde_json::json!({
            "grant": "api", "api_id": g.item_id, "environment_id": g.environment_id, "reason": "expired",
            "expires_on": g.expires_on,
        })
    };
    crate::webhooks::emit_for_partner(conn, partner_id, crate::domain::WebhookEvent::GrantRemoved, data)?;
    Ok(())
}

/// Queues the reminder to each of the partner's Admins and the enterprise's admins.
fn remind(
    conn: &mut PgConnection,
    settings: &Settings,
    (enterprise_id, partner_id): (EnterpriseId, PartnerId),
    (enterprise_name, partner_name): (&str, &str),
    g: &DueGrant,
    days_left: i16,
) -> Result<(), AppError> {
    let ends_on = expiry::day_text(g.expires_on);
    let tab = if g.is_product() { "products" } else { "apis" };
    let enterprise_link = settings.link(&format!("/settings/partners/{partner_id}/{tab}"));
    let partner_link = settings.link("/service-catalog");
    let partner_admins = memberships::partner_admins(conn, partner_id)?.into_iter();
    let team_admins = memberships::team_admins(conn, enterprise_id)?.into_iter();
    let recipients = partner_admins.map(|m| (m, false)).chain(team_admins.map(|m| (m, true)));
    let meta = EmailMeta { kind: EmailKind::AccessEnding, enterprise_id: Some(enterprise_id), invitation_id: None };
    for (person, to_enterprise) in recipients {
        let email = crate::email::access::access_ending(&AccessEndingEmail {
            first_name: &person.first_name,
            enterprise_name,
            partner_name,
            what: &g.what,
            ends_on: &ends_on,
            days_left,
            to_enterprise,
            link: if to_enterprise { &enterprise_link } else { &partner_link },
        })?;
        outbox::enqueue(conn, &OutgoingEmail { to: person.email.clone(), ..email }, &meta)?;
    }
    Ok(())
}
