//! Webhooks (SPEC §14): an enterprise's endpoints and their deliveries. Deliveries are an
//! outbox like `outbox_emails`: written by [`enqueue`] / [`enqueue_for_partner`] inside the
//! transaction of the change they announce (one `INSERT … SELECT` per event, one row per
//! subscribed endpoint, nothing when there is none), claimed by the worker with
//! `FOR UPDATE SKIP LOCKED` and a lease (`claimed_until`), and settled by naming the claim
//! (its `attempts` value), so a worker whose lease ran out cannot overwrite the work of the
//! one that took over. Every query is scoped by enterprise.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Integer, Jsonb, Nullable, Text, Timestamptz},
};

use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::domain::{EnterpriseId, PartnerId, UserId, WebhookEvent};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_endpoints)]
pub struct Endpoint {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub url: String,
    pub events: Vec<Option<String>>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

impl Endpoint {
    pub fn events(&self) -> Vec<String> {
        self.events.iter().flatten().cloned().collect()
    }
}

pub struct NewEndpoint<'a> {
    pub enterprise_id: EnterpriseId,
    pub url: &'a str,
    pub events: &'a [String],
    pub secret: &'a str,
    pub created_by: UserId,
}

pub fn insert(conn: &mut PgConnection, new: &NewEndpoint<'_>) -> QueryResult<i64> {
    diesel::insert_into(webhook_endpoints::table)
        .values((
            webhook_endpoints::enterprise_id.eq(new.enterprise_id),
            webhook_endpoints::url.eq(new.url),
            webhook_endpoints::events.eq(new.events.iter().cloned().map(Some).collect::<Vec<_>>()),
            webhook_endpoints::secret.eq(new.secret),
            webhook_endpoints::created_by.eq(new.created_by),
        ))
        .returning(webhook_endpoints::id)
        .get_result(conn)
}

/// An endpoint on Settings → **Webhooks**: with its deliveries waiting, and whether its latest
/// attempted delivery failed.
#[derive(QueryableByName, Debug, Clone)]
pub struct EndpointRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    pub events: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub failing: bool,
}

/// The enterprise's endpoints, newest first (one statement).
pub fn list(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<EndpointRow>> {
    crate::db::static_query(
        "SELECT w.id, w.url, w.events, w.created_at,
                (SELECT count(*) FROM webhook_deliveries d
                  WHERE d.enterprise_id = $1 AND d.endpoint_id = w.id AND d.status = 'pending') AS pending,
                COALESCE((SELECT d.status <> 'delivered' FROM webhook_deliveries d
                           WHERE d.enterprise_id = $1 AND d.endpoint_id = w.id AND d.attempts > 0
                           ORDER BY d.id DESC LIMIT 1), false) AS failing
           FROM webhook_endpoints w
          WHERE w.enterprise_id = $1
          ORDER BY w.created_at DESC, w.id DESC",
    )
    .bind::<BigInt, _>(enterprise_id.get())
    .load(conn)
}

/// One endpoint of the enterprise's; `lock` takes its row lock.
pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    lock: bool,
) -> QueryResult<Option<Endpoint>> {
    let q = webhook_endpoints::table
        .filter(webhook_endpoints::enterprise_id.eq(enterprise_id))
        .filter(webhook_endpoints::id.eq(id))
        .select(Endpoint::as_select());
    if lock {
        q.for_update().first(conn).optional()
    } else {
        q.first(conn).optional()
    }
}

/// Deletes the endpoint and, with it, its deliveries (those not sent yet are never sent).
pub fn delete(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        webhook_endpoints::table
            .filter(webhook_endpoints::enterprise_id.eq(enterprise_id))
            .filter(webhook_endpoints::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// A row of an endpoint's delivery log.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub event_type: String,
    pub msg_id: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The endpoint's latest `limit` deliveries, newest first.
pub fn deliveries(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    endpoint_id: i64,
    limit: i64,
) -> QueryResult<Vec<Delivery>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::enterprise_id.eq(enterprise_id))
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)
}

/// How long a delivered or failed delivery stays in the log.
pub const LOG_DAYS: i32 = 30;

/// Housekeeping (every instance, every few minutes): deliveries settled more than
/// [`LOG_DAYS`] ago leave the log. Across enterprises on purpose, like expired sessions.
pub fn delete_settled(conn: &mut PgConnection) -> QueryResult<usize> {
    crate::db::static_query(
        "DELETE FROM webhook_deliveries
          WHERE status <> 'pending' AND COALESCE(last_attempt_at, created_at) < now() - make_interval(days => $1)",
    )
    .bind::<Integer, _>(LOG_DAYS)
    .execute(conn)
}

// ---- queueing ------------------------------------------------------------------------------

/// Queues `payload` for every endpoint of the enterprise subscribed to `event`; call it inside
/// the transaction of the change. Returns how many deliveries were queued.
pub fn enqueue(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    event: WebhookEvent,
    msg_id: &str,
    payload: &serde_json::Value,
) -> QueryResult<usize> {
    crate::db::static_query(
        "INSERT INTO webhook_deliveries (enterprise_id, endpoint_id, event_type, msg_id, payload)
         SELECT w.enterprise_id, w.id, $2, $3, $4
           FROM webhook_endpoints w
          WHERE w.enterprise_id = $1 AND $2 = ANY (w.events)",
    )
    .bind::<BigInt, _>(enterprise_id.get())
    .bind::<Text, _>(event.as_str())
    .bind::<Text, _>(msg_id)
    .bind::<Jsonb, _>(payload)
    .execute(conn)
}

/// Like [`enqueue`], for an event about a partner: the endpoints are those of the partner's
/// enterprise, and the payload's `data` is `data` with the partner's id and name, and the
/// names of the product, API and environment its `product_id`, `api_id` and `environment_id`
/// name (of the same enterprise), so a caller that only holds ids (`db::grants`) still sends
/// a useful event. When the enterprise has no endpoint, the join finds no row and nothing is
/// looked up.
pub fn enqueue_for_partner(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    event: WebhookEvent,
    msg_id: &str,
    timestamp: &str,
    data: &serde_json::Value,
) -> QueryResult<usize> {
    crate::db::static_query(
        "INSERT INTO webhook_deliveries (enterprise_id, endpoint_id, event_type, msg_id, payload)
         SELECT w.enterprise_id, w.id, $2, $3,
                jsonb_build_object('type', $2::text, 'timestamp', $4::text, 'data',
                    jsonb_build_object('partner_id', p.id, 'partner_name', p.name) || $5
                    || COALESCE((SELECT jsonb_build_object('product_name', x.name) FROM products x
                                  WHERE x.id = ($5->>'product_id')::bigint AND x.enterprise_id = p.enterprise_id), '{}')
                    || COALESCE((SELECT jsonb_build_object('api_name', x.name) FROM apis x
                                  WHERE x.id = ($5->>'api_id')::bigint AND x.enterprise_id = p.enterprise_id), '{}')
                    || COALESCE((SELECT jsonb_build_object('environment_name', x.name) FROM environments x
                                  WHERE x.id = ($5->>'environment_id')::bigint AND x.enterprise_id = p.enterprise_id), '{}'))
           FROM partners p
           JOIN webhook_endpoints w ON w.enterprise_id = p.enterprise_id
          WHERE p.id = $1 AND $2 = ANY (w.events)",
    )
    .bind::<BigInt, _>(partner_id.get())
    .bind::<Text, _>(event.as_str())
    .bind::<Text, _>(msg_id)
    .bind::<Text, _>(timestamp)
    .bind::<Jsonb, _>(data)
    .execute(conn)
}

// ---- the worker ----------------------------------------------------------------------------

/// A delivery claimed by a worker: everything needed to send it once.
#[derive(QueryableByName, Debug, Clone)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub enterprise_id: i64,
    #[diesel(sql_type = BigInt)]
    pub endpoint_id: i64,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub secret: String,
    #[diesel(sql_type = Text)]
    pub msg_id: String,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    /// The payload as sent (and signed): its text, the same on every attempt.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// This claim's attempt number; the settling updates name it.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Claims up to `limit` deliveries due at `now` whose lease (if any) has run out, for `lease`
/// seconds: oldest due first, skipping rows another worker is claiming.
pub fn claim_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
    lease_secs: i64,
) -> QueryResult<Vec<Claimed>> {
    crate::db::static_query(
        "UPDATE webhook_deliveries d
            SET claimed_until = $1 + make_interval(secs => $3::double precision),
                attempts = d.attempts + 1
           FROM webhook_endpoints w
          WHERE w.id = d.endpoint_id AND w.enterprise_id = d.enterprise_id
            AND d.id IN (
                SELECT id FROM webhook_deliveries
                 WHERE status = 'pending' AND next_attempt_at <= $1
                   AND (claimed_until IS NULL OR claimed_until < $1)
                 ORDER BY next_attempt_at, id
                 LIMIT $2
                 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.enterprise_id, d.endpoint_id, w.url, w.secret, d.msg_id, d.event_type,
                  d.payload::text AS body, d.attempts",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(lease_secs)
    .load(conn)
}

/// The receiver answered 2xx: delivered, if the claim is still ours.
pub fn mark_delivered(conn: &mut PgConnection, c: &Claimed, status_code: i32) -> QueryResult<bool> {
    let n = crate::db::static_query(
        "UPDATE webhook_deliveries
            SET status = 'delivered', delivered_at = now(), last_attempt_at = now(), claimed_until = NULL,
                last_status_code = $3, last_error = NULL
          WHERE id = $1 AND attempts = $2 AND status = 'pending'",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Integer, _>(c.attempts)
    .bind::<Integer, _>(status_code)
    .execute(conn)?;
    Ok(n == 1)
}

/// A failed attempt: pending again from `next_attempt_at`, or `failed` for good when
/// `give_up`. False when the claim was no longer ours (nothing written).
pub fn mark_attempt_failed(
    conn: &mut PgConnection,
    c: &Claimed,
    status_code: Option<i32>,
    error: &str,
    give_up: bool,
    next_attempt_at: DateTime<Utc>,
) -> QueryResult<bool> {
    let short: String = error.chars().take(300).collect();
    let n = crate::db::static_query(
        "UPDATE webhook_deliveries
            SET status = CASE WHEN $3 THEN 'failed' ELSE 'pending' END, claimed_until = NULL,
                last_attempt_at = now(), last_status_code = $4, last_error = $5, next_attempt_at = $6
          WHERE id = $1 AND attempts = $2 AND status = 'pending'",
    )
    .bind::<BigInt, _>(c.id)
    .bind::<Integer, _>(c.attempts)
    .bind::<diesel::sql_types::Bool, _>(give_up)
    .bind::<Nullable<Integer>, _>(status_code)
    .bind::<Text, _>(short)
    .bind::<Timestamptz, _>(next_attempt_at)
    .execute(conn)?;
    Ok(n == 1)
}
