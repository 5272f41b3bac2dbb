//! Webhooks (SPEC §14): events queued with the change they announce ([`emit`],
//! [`emit_for_partner`]), signed as the Standard Webhooks specification says ([`signing`]),
//! delivered by a background worker with retries and back-off ([`worker`]), only to addresses
//! the SSRF guard allows ([`guard`]). The endpoints and the delivery log are Settings →
//! **Webhooks** (`routes::webhooks`); the tables are `db::webhooks`.

pub mod guard;
pub mod signing;
pub mod worker;

use chrono::{SecondsFormat, Utc};
use diesel::{PgConnection, QueryResult};

use crate::db::webhooks as db;
use crate::domain::{EnterpriseId, PartnerId, WebhookEvent};

/// What every message id starts with (`webhook-id`), as Standard Webhooks' examples do.
pub const MSG_PREFIX: &str = "msg_";

fn new_msg_id() -> String {
    format!("{MSG_PREFIX}{}", uuid::Uuid::new_v4().simple())
}

fn timestamp() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Queues `event` for every endpoint of the enterprise subscribed to it, with the payload
/// `{"type": …, "timestamp": …, "data": data}`. Call it inside the transaction of the change:
/// the delivery exists only if the change committed. One statement; nothing is queued (and
/// nothing else is read) when the enterprise has no such endpoint.
pub fn emit(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    event: WebhookEvent,
    data: serde_json::Value,
) -> QueryResult<usize> {
    let payload = serde_json::json!({ "type": event.as_str(), "timestamp": timestamp(), "data": data });
    db::enqueue(conn, enterprise_id, event, &new_msg_id(), &payload)
}

/// Like [`emit`], for an event about a partner: its enterprise's endpoints, and `data` gains
/// `partner_id` and `partner_name` (and `product_name`, `api_name`, `environment_name` for the
/// ids `data` holds), read in the same statement. For callers that hold only the partner's id.
pub fn emit_for_partner(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    event: WebhookEvent,
    data: serde_json::Value,
) -> QueryResult<usize> {
    db::enqueue_for_partner(conn, partner_id, event, &new_msg_id(), &timestamp(), &data)
}

/// A new endpoint secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks).
pub fn new_secret() -> String {
    use base64::Engine as _;
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{}{}", signing::SECRET_PREFIX, base64::engine::general_purpose::STANDARD.encode(bytes))
}
