//! Password hashing with argon2id, always off the async executor and with a concurrency cap:
//! each hash costs ~20 ms of CPU and 19 MiB of working memory.
//!
//! Hashes run on a few dedicated threads (one per two CPUs, shared by every server in the process),
//! each owning its 19 MiB of argon2 memory for good. Allocating it per hash on the blocking pool
//! made every blocking thread's malloc arena keep its own copy (the portal's peak RSS reached
//! 1.6 GiB under a login burst), and paid for faulting 19 MiB of fresh pages each time. The
//! threads run at a lower CPU priority (nice 10) and, while logins queue up, rest between hashes
//! as long as a hash takes, so a burst of logins waits for pages rather than the other way
//! round (8 clients logging in non-stop took a full core and pushed the pages' p99 to 400 ms);
//! a lone login still hashes at full speed.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    mpsc, Arc, Mutex, OnceLock,
};

use argon2::{
    password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, PasswordHasher, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use tokio::sync::oneshot;

use crate::error::AppError;

/// m = 19456 KiB, t = 2, p = 1 (OWASP's argon2id baseline).
fn params() -> Params {
    #[allow(clippy::unwrap_used)] // constant, valid parameters
    Params::new(19_456, 2, 1, None).unwrap()
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
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

/// The allocating verifier: the reference `verify_with` is tested against.
#[cfg(test)]
fn verify_sync(stored: Option<&str>, password: &str) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    use argon2::password_hash::PasswordVerifier;
    let ok = PasswordHash::new(hash)
        .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    ok && real
}

/// argon2 working memory, allocated once per hashing thread and reused by every hash.
struct Memory(Vec<Block>);

impl Memory {
    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.0.len() < count {
            self.0.resize(count, Block::default());
        }
        &mut self.0[..count]
    }

    /// After a hash with unusually large parameters (an old hash), go back to the usual size.
    fn settle(&mut self) {
        let usual = params().block_count();
        if self.0.len() > usual {
            self.0.truncate(usual);
            self.0.shrink_to_fit();
        }
    }
}

/// `hash_sync` in `memory`: the same PHC string format and parameters.
fn hash_with(memory: &mut Memory, password: &str) -> Result<String, AppError> {
    let fail = |e: &dyn std::fmt::Display| AppError::Unexpected(anyhow::anyhow!("hashing failed: {e}"));
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| fail(&e))?;
    let ctx = argon2();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    ctx.hash_password_into_with_memory(
        password.as_bytes(),
        salt_bytes,
        &mut out,
        memory.blocks(ctx.params().block_count()),
    )
    .map_err(|e| fail(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(ctx.params()).map_err(|e| fail(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(hash.to_string())
}

/// `verify_sync` in `memory`: the parameters, salt and length come from the stored hash, and
/// the outputs are compared in constant time (`Output`'s `==`).
fn verify_with(memory: &mut Memory, stored: Option<&str>, password: &str) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let mut computed = || -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let (salt, expected) = (parsed.salt?, parsed.hash?);
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).ok()?;
        let blocks = params.block_count();
        let ctx = Argon2::new(algorithm, version, params);
        let mut out = vec![0u8; expected.len()];
        ctx.hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory.blocks(blocks)).ok()?;
        Some(Output::new(&out).ok()? == expected)
    };
    let ok = computed().unwrap_or(false);
    memory.settle();
    ok && real
}

enum Job {
    Hash { password: String, reply: oneshot::Sender<Result<String, AppError>> },
    Verify { stored: Option<String>, password: String, reply: oneshot::Sender<bool> },
}

/// Lowers the calling thread's CPU priority (Linux: the nice value is per thread).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain syscalls on the calling thread; a failure only leaves the priority as is.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        let _ = libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}

/// Jobs sent and not yet taken by a hashing thread.
static PENDING: AtomicUsize = AtomicUsize::new(0);

fn worker(jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    lower_priority();
    let mut memory = Memory(Vec::new());
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        PENDING.fetch_sub(1, Ordering::Relaxed);
        let started = std::time::Instant::now();
        match job {
            // Nobody waits any more (the request was dropped): skip the work.
            Ok(Job::Hash { reply, .. }) if reply.is_closed() => {}
            Ok(Job::Verify { reply, .. }) if reply.is_closed() => {}
            Ok(Job::Hash { password, reply }) => {
                let _ = reply.send(hash_with(&mut memory, &password));
            }
            Ok(Job::Verify { stored, password, reply }) => {
                let _ = reply.send(verify_with(&mut memory, stored.as_deref(), &password));
            }
            Err(_) => return,
        }
        // Under a stream of logins, rest as long as the hash took before the next one: each
        // thread then uses at most half a core, whatever the queue, and the pages keep the
        // rest (a lower nice value alone does not help against PostgreSQL, which the kernel
        // schedules as another group). A lone login is not slowed down.
        if PENDING.load(Ordering::Relaxed) > 0 {
            std::thread::sleep(started.elapsed());
        }
    }
}

/// The process's hashing threads, started on first use (the first caller's `concurrency`), so
/// concurrent hashes stay below the cores however many requests wait.
fn queue(concurrency: usize) -> mpsc::Sender<Job> {
    static QUEUE: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    let sender = QUEUE.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        let rx = Arc::new(Mutex::new(rx));
        for n in 0..concurrency.max(1) {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || worker(rx));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        Mutex::new(tx)
    });
    match sender.lock() {
        Ok(tx) => tx.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

/// Hashes and verifications waiting for a hashing thread or running (for `/metrics`).
pub fn queue_length() -> usize {
    PENDING.load(Ordering::Relaxed)
}

/// Hashing and verifying, limited to a few at a time (see the module documentation).
#[derive(Clone)]
pub struct PasswordHasherPool {
    jobs: mpsc::Sender<Job>,
}

fn gone() -> AppError {
    AppError::Unexpected(anyhow::anyhow!("the password hashing threads are gone"))
}

impl PasswordHasherPool {
    /// A handle on the process's hashing threads; `concurrency` (half the CPUs, at least one)
    /// is how many the first call starts.
    pub fn new(concurrency: usize) -> Self {
        Self { jobs: queue(concurrency) }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let (reply, answer) = oneshot::channel();
        PENDING.fetch_add(1, Ordering::Relaxed);
        self.jobs.send(Job::Hash { password, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    /// Verifies against the stored hash, or a dummy one when there is none (same cost).
    pub async fn verify(&self, stored: Option<String>, password: String) -> Result<bool, AppError> {
        let (reply, answer) = oneshot::channel();
        PENDING.fetch_add(1, Ordering::Relaxed);
        self.jobs.send(Job::Verify { stored, password, reply }).map_err(|_| gone())?;
        answer.await.map_err(|_| gone())
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
        assert!(!verify_with(&mut Memory(Vec::new()), None, "not-a-real-password-dummy-verify"));
    }

    #[test]
    fn hashing_in_reused_memory_matches_the_allocating_functions() {
        let mut memory = Memory(Vec::new());
        let h = hash_with(&mut memory, "correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_sync(Some(&h), "correct horse battery"), "the allocating verifier accepts it");
        let classic = hash_sync("correct horse battery").unwrap();
        assert!(verify_with(&mut memory, Some(&classic), "correct horse battery"));
        assert!(verify_with(&mut memory, Some(&h), "correct horse battery"));
        assert!(!verify_with(&mut memory, Some(&h), "wrong horse battery"));
        assert!(!verify_with(&mut memory, Some("not a hash"), "correct horse battery"));
        // Other parameters in a stored hash are honoured, and the memory goes back to size.
        let small = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(8_192, 1, 1, None).unwrap());
        let other = small.hash_password(b"pw", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(verify_with(&mut memory, Some(&other), "pw"));
        let big = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(32_768, 1, 1, None).unwrap());
        let other = big.hash_password(b"pw", &SaltString::generate(&mut OsRng)).unwrap().to_string();
        assert!(verify_with(&mut memory, Some(&other), "pw"));
        assert_eq!(memory.0.len(), params().block_count());
    }

    #[tokio::test]
    async fn the_pool_hashes_and_verifies_on_its_threads() {
        let pool = PasswordHasherPool::new(2);
        let h = pool.hash("correct horse battery".into()).await.unwrap();
        assert!(pool.verify(Some(h.clone()), "correct horse battery".into()).await.unwrap());
        assert!(!pool.verify(Some(h), "wrong".into()).await.unwrap());
        assert!(!pool.verify(None, "anything".into()).await.unwrap());
    }
}
