//! Client credentials, gateway credentials and access tokens (SPEC §18): how they are made,
//! stored and checked.
//!
//! **Why an HMAC and not argon2.** Every secret here is 256 random bits made by the portal,
//! never chosen by a person, so there is no dictionary to slow down: a keyed SHA-256 is as far
//! out of reach of guessing as argon2, and argon2 (~20 ms and 19 MiB per check, behind a
//! concurrency cap) would put that cost on every token request and on every gateway
//! introspection, the one path that must serve thousands of requests per second. The key
//! (`CREDENTIAL_HASH_KEY`) lives outside the database, so a stolen database alone can't even
//! check a guessed secret. The hash is deterministic, so tokens are found by their hash (one
//! index lookup) and secrets compared in constant time.
//!
//! **Client ids embed the enterprise id** (`ppc_<enterprise>_<random>`, `ppg_…` for gateway
//! credentials), so that every query, even the token endpoint's before it knows anything but
//! the client id, filters on `enterprise_id` (the sharding rule).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::domain::EnterpriseId;

const CLIENT_PREFIX: &str = "ppc";
const GATEWAY_PREFIX: &str = "ppg";

/// What kind of client id a string is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    /// A partner application's credentials in one environment.
    Application,
    /// An enterprise's gateway credential.
    Gateway,
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A new client id of `kind` for `enterprise_id`: `ppc_12_9f3a…` (16 random hex characters).
pub fn new_client_id(kind: ClientKind, enterprise_id: EnterpriseId) -> String {
    let prefix = match kind {
        ClientKind::Application => CLIENT_PREFIX,
        ClientKind::Gateway => GATEWAY_PREFIX,
    };
    format!("{prefix}_{enterprise_id}_{}", random_hex(8))
}

/// The enterprise a client id of `kind` belongs to, or `None` for anything that is not one.
pub fn enterprise_of(kind: ClientKind, client_id: &str) -> Option<EnterpriseId> {
    let prefix = match kind {
        ClientKind::Application => CLIENT_PREFIX,
        ClientKind::Gateway => GATEWAY_PREFIX,
    };
    let rest = client_id.strip_prefix(prefix)?.strip_prefix('_')?;
    let (enterprise, random) = rest.split_once('_')?;
    if random.len() != 16 || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    enterprise.parse().ok()
}

/// A new secret: 256 random bits, base64url (43 characters), behind a prefix that secret
/// scanners can recognise.
pub fn new_secret() -> String {
    format!("pps_{}", super::tokens::random_token())
}

/// A new opaque access token (256 random bits).
pub fn new_access_token() -> String {
    format!("ppat_{}", super::tokens::random_token())
}

/// The last four characters of a secret, shown so people can tell which one they hold.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// What the database keeps of a secret or token: HMAC-SHA256 under the server key.
pub fn hash(key: &[u8], secret: &str) -> Vec<u8> {
    // An HMAC takes a key of any length, so `new_from_slice` can't fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(secret.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Whether `secret` is the one whose hash is `stored`, in constant time.
pub fn verify(key: &[u8], secret: &str, stored: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    let computed = hash(key, secret);
    computed.len() == stored.len() && bool::from(computed.as_slice().ct_eq(stored))
}

/// `Authorization: Basic …` as (client id, secret), per RFC 6749 §2.3.1: both parts are
/// form-urlencoded before being joined by `:`. `None` when the header is not Basic or not
/// readable.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let unescape = |s: &str| -> Option<String> {
        url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// `Authorization: Bearer <token>`, or `None`.
pub fn parse_bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_carry_their_enterprise_and_kind() {
        let id = new_client_id(ClientKind::Application, EnterpriseId::new(42));
        assert!(id.starts_with("ppc_42_"), "{id}");
        assert_eq!(enterprise_of(ClientKind::Application, &id), Some(EnterpriseId::new(42)));
        assert_eq!(enterprise_of(ClientKind::Gateway, &id), None, "an application id is not a gateway id");
        let gw = new_client_id(ClientKind::Gateway, EnterpriseId::new(7));
        assert_eq!(enterprise_of(ClientKind::Gateway, &gw), Some(EnterpriseId::new(7)));
        for bad in [
            "",
            "ppc",
            "ppc_42",
            "ppc_x_0123456789abcdef",
            "ppc_42_0123",
            "ppc_0_0123456789abcdef",
            "ppc_42_0123456789abcdeg",
        ] {
            assert_eq!(enterprise_of(ClientKind::Application, bad), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_long_distinct_and_checked_by_their_keyed_hash() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 43);
        let key = b"k".repeat(32);
        let stored = hash(&key, &a);
        assert_eq!(stored.len(), 32);
        assert!(verify(&key, &a, &stored));
        assert!(!verify(&key, &b, &stored));
        assert!(!verify(b"another key of thirty-two bytes!", &a, &stored), "the key matters");
        assert_eq!(hint("pps_abcdefgh"), "efgh");
    }

    #[test]
    fn basic_credentials_are_read_as_rfc_6749_says() {
        // "id:sec ret" with the space form-encoded, as §2.3.1 asks.
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("my%20id:sec+ret"));
        assert_eq!(parse_basic(&header), Some(("my id".into(), "sec ret".into())));
        assert_eq!(parse_basic("Bearer abc"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(parse_bearer("Bearer  tok "), Some("tok"));
        assert_eq!(parse_bearer("bearer tok"), Some("tok"));
        assert_eq!(parse_bearer("Basic tok"), None);
        assert_eq!(parse_bearer("Bearer "), None);
    }
}
