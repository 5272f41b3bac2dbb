//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>): the headers
//! `webhook-id`, `webhook-timestamp` (unix seconds) and `webhook-signature`
//! (`v1,` + base64 of HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the base64-decoded
//! part of the secret after `whsec_`).

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";

/// The secret is not `whsec_` + base64.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the endpoint's secret is not a whsec_ secret")]
pub struct BadSecret;

/// The `webhook-signature` header's value for one message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, BadSecret> {
    let key = secret.strip_prefix(SECRET_PREFIX).ok_or(BadSecret)?;
    let key = base64::engine::general_purpose::STANDARD.decode(key).map_err(|_| BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_example_signs_as_published() {
        // The example of the Standard Webhooks libraries' own tests.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_secret_that_is_not_whsec_base64_is_refused() {
        assert_eq!(sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", 1, "{}"), Err(BadSecret));
        assert_eq!(sign("whsec_not base64!", "msg_1", 1, "{}"), Err(BadSecret));
    }

    #[test]
    fn a_new_secret_is_whsec_and_32_random_bytes() {
        let a = crate::webhooks::new_secret();
        let b = crate::webhooks::new_secret();
        assert_ne!(a, b);
        let raw = base64::engine::general_purpose::STANDARD.decode(a.strip_prefix(SECRET_PREFIX).unwrap()).unwrap();
        assert_eq!(raw.len(), 32);
        assert!(sign(&a, "msg_1", 1, "{}").unwrap().starts_with("v1,"));
    }
}
