//! Password hashing with argon2id, always off the async executor and with a concurrency cap:
//! each hash costs ~20 ms and 19 MiB, so an unbounded login burst would stall every page.

use std::sync::Arc;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// m = 19456 KiB, t = 2, p = 1 (OWASP's argon2id baseline).
fn argon2() -> Argon2<'static> {
    #[allow(clippy::unwrap_used)] // constant, valid parameters
    let params = Params::new(19_456, 2, 1, None).unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password synchronously (CLI and blocking contexts).
pub fn hash_sync(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("hashing failed: {e}")))
}

/// A hash of a password nobody has, verified against when the account is unknown so that
/// the answer takes as long as for a real account.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_sync("not-a-real-password-dummy-verify").unwrap_or_else(|_| {
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3L1QqU0v6l3Z6xk4Xq3kFp2T3n7pX0rYg2Q0b7Jt6xY"
                .to_string()
        })
    })
}

fn verify_sync(stored: Option<&str>, password: &str) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    ok && real
}

/// Hashing and verifying, limited to a few at a time.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
}

impl PasswordHasherPool {
    pub fn new(concurrency: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrency.max(1))) }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.permits.acquire().await.map_err(|e| AppError::Unexpected(e.into()))?;
        actix_web::web::block(move || hash_sync(&password))
            .await
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?
    }

    /// Verifies against the stored hash, or a dummy one when there is none (same cost).
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, AppError> {
        let _permit = self.permits.acquire().await.map_err(|e| AppError::Unexpected(e.into()))?;
        actix_web::web::block(move || verify_sync(stored.as_deref(), &password))
            .await
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let h = hash_sync("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_sync(Some(&h), "correct horse battery"));
        assert!(!verify_sync(Some(&h), "wrong horse battery"));
    }

    #[test]
    fn an_unknown_account_never_verifies() {
        assert!(!verify_sync(None, "not-a-real-password-dummy-verify"));
    }
}
