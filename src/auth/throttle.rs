//! Login throttling, per account and per client address, in a sliding window kept in
//! PostgreSQL (so several portal instances share it).
//!
//! The account key is the submitted address whether or not an account exists, so the
//! answer never tells which addresses are real.

use std::net::IpAddr;

use actix_web::HttpRequest;
use diesel::PgConnection;

use crate::db::throttle;

pub const WINDOW_SECS: i64 = 15 * 60;
pub const MAX_PER_ACCOUNT: i64 = 5;
pub const MAX_PER_CLIENT: i64 = 30;

pub const THROTTLED_MESSAGE: &str =
    "Too many failed attempts. For your security, logging in is paused for a few minutes; please try again later.";

/// The client's address: the TCP peer, or the last `X-Forwarded-For` hop when the peer is the
/// configured trusted proxy (anything else in that header could be made up by the client).
pub fn client_ip(req: &HttpRequest, trusted_proxy: Option<IpAddr>) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    if let (Some(peer), Some(proxy)) = (peer, trusted_proxy) {
        if peer == proxy {
            let forwarded = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok());
            if let Some(ip) = forwarded {
                return ip.to_string();
            }
        }
    }
    peer.map(|p| p.to_string()).unwrap_or_else(|| "unknown".to_string())
}

/// True when this account or client must wait before trying again.
pub fn is_throttled(conn: &mut PgConnection, account: &str, client: &str) -> diesel::QueryResult<bool> {
    Ok(throttle::recent_failures(conn, "account", account, WINDOW_SECS)? >= MAX_PER_ACCOUNT
        || throttle::recent_failures(conn, "client", client, WINDOW_SECS)? >= MAX_PER_CLIENT)
}

pub fn record_failure(conn: &mut PgConnection, account: &str, client: &str) -> diesel::QueryResult<()> {
    throttle::record_failure(conn, "account", account)?;
    throttle::record_failure(conn, "client", client)
}
