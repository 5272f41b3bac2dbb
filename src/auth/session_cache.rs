//! Settled sessions kept in this process, so that a page view runs only the page's own
//! statement: one round trip to PostgreSQL instead of two (the session load, then the page).
//!
//! What is kept, per session key hash, is what [`super::session_store`] hands to the request:
//! the session's values with the principal (person, membership, enterprise, partner). An entry
//! is used only while all of these hold:
//!
//! * **The listener is connected.** Every change that can end a session or alter whom it acts
//!   as sends `NOTIFY session_cache` from a trigger, in the change's own transaction (migration
//!   `2026-12-07-000001_session_cache_notify`: sessions, people, memberships, partners,
//!   enterprises), so PostgreSQL delivers it at commit to every instance's listener
//!   ([`spawn_listener`]), which drops the entries concerned. While the listener is not
//!   connected (not yet, cut, reconnecting) nothing is cached and every request loads its
//!   session from the database: the cache fails closed. Entries are dropped when the listener
//!   connects and when it disconnects, since notifications may have been missed in between.
//! * **Nothing is waiting on the listener's socket.** A notification can reach the socket a
//!   moment before the listener task reads it; a non-blocking `MSG_PEEK` on (a duplicate of)
//!   the socket — one system call — sees it and sends the request to the database meanwhile.
//!   It also sees a closed connection before the task does.
//! * **The session's idle expiry needs no slide** (it slides at most once a minute, by the
//!   load; see `db::sessions::load`) and it has not expired; an entry is also at most
//!   [`MAX_AGE`] old, a bound on staleness should anything else go wrong.
//!
//! Loads race with invalidations: a load that read the database before a change committed
//! must not store its older copy after the change's notification dropped the entry. Every
//! invalidation bumps a generation number and is logged (the last [`LOG`] of them), and a load
//! stores its result only if no invalidation since the generation it saw before reading
//! concerns it ([`SessionCache::ticket`]).
//!
//! Anonymous sessions never come here (they live in their cookie), nor logged-in sessions
//! without a usable membership (the organisation picker; rare and short-lived).

use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, VecDeque},
    mem::MaybeUninit,
    os::fd::{AsFd, OwnedFd},
    rc::Rc,
    str::FromStr,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    HttpResponse,
};
use chrono::{DateTime, Utc};
use futures_util::future::poll_fn;
use tokio_postgres::{config::Host, AsyncMessage, NoTls};

use crate::{
    config::Secret,
    domain::{EnterpriseId, PartnerId, UserId},
    state::AppState,
};

/// The channel the triggers notify.
pub const CHANNEL: &str = "session_cache";
/// The oldest an entry may be, whatever else holds.
pub const MAX_AGE: Duration = Duration::from_secs(60);
/// Entries kept at most. An entry is about 1 KiB (the session's values with the principal's
/// JSON), so the cache stays near 10 MiB however many sessions log in: beyond this, stale
/// entries are swept out, then the older half (by when each was stored).
const MAX_ENTRIES: usize = 10_000;
/// How often an insert sweeps out the entries that can no longer be used (older than
/// [`MAX_AGE`], or expired): memory follows the sessions used in the last minute, not every
/// session that was ever loaded (a login burst left thousands behind until the bound).
const SWEEP_EVERY: Duration = MAX_AGE;
/// How often the listener checks its connection with an empty query, and how long it waits
/// for the answer: a connection that died silently (no FIN, no RST) is noticed within both.
const HEARTBEAT: Duration = Duration::from_secs(2);
/// Pause between two connection attempts of the listener.
const RECONNECT: Duration = Duration::from_secs(1);

/// A hit: the session's values and the entry's serial (for [`SessionCache::holds`]).
pub type Found = (HashMap<String, String>, u64);

/// A settled session as the store hands it to requests.
pub struct Entry {
    pub state: HashMap<String, String>,
    pub user_id: UserId,
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub expires_at: DateTime<Utc>,
    pub absolute_expires_at: DateTime<Utc>,
}

struct Cached {
    entry: Entry,
    stored: Instant,
    /// Tells this entry from a later one of the same session ([`SessionCache::holds`]).
    serial: u64,
}

#[derive(Default)]
struct Inner {
    /// A duplicate of the listener's socket while it is connected and listening.
    socket: Option<OwnedFd>,
    entries: HashMap<Vec<u8>, Cached>,
    generation: u64,
    /// The last invalidations, oldest first, with the generation each one made.
    log: VecDeque<(u64, Selector)>,
    /// The number of the last `sync:<n>` notification read (see [`SessionCache::synced`]).
    synced: u64,
    serials: u64,
    /// When stale entries were last swept out ([`SWEEP_EVERY`]).
    swept: Option<Instant>,
}

/// See the module's documentation. Shared by every worker's session store and the listener.
pub struct SessionCache {
    enabled: bool,
    idle: chrono::Duration,
    inner: RwLock<Inner>,
}

/// What an invalidation dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Selector {
    Session(Vec<u8>),
    User(i64),
    Partner(i64),
    Enterprise(i64),
    All,
}

impl Selector {
    fn parse(payload: &str) -> Selector {
        let id = |v: &str| v.parse::<i64>().ok();
        match payload.split_once(':') {
            Some(("s", hex)) => hex::decode(hex).map(Selector::Session).unwrap_or(Selector::All),
            Some(("u", v)) => id(v).map(Selector::User).unwrap_or(Selector::All),
            Some(("p", v)) => id(v).map(Selector::Partner).unwrap_or(Selector::All),
            Some(("e", v)) => id(v).map(Selector::Enterprise).unwrap_or(Selector::All),
            _ => Selector::All,
        }
    }

    /// For `/metrics`: what kind of change dropped entries.
    fn kind(&self) -> &'static str {
        match self {
            Selector::Session(_) => "session",
            Selector::User(_) => "person",
            Selector::Partner(_) => "partner",
            Selector::Enterprise(_) => "enterprise",
            Selector::All => "all",
        }
    }

    fn concerns(&self, key_hash: &[u8], entry: &Entry) -> bool {
        match self {
            Selector::Session(k) => k.as_slice() == key_hash,
            Selector::User(id) => entry.user_id.get() == *id,
            Selector::Partner(id) => entry.partner_id.map(|p| p.get()) == Some(*id),
            Selector::Enterprise(id) => entry.enterprise_id.get() == *id,
            Selector::All => true,
        }
    }
}

/// Invalidations remembered for loads in flight; a load older than all of them stores nothing.
const LOG: usize = 256;

/// The generation a load started in (see [`SessionCache::ticket`]).
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

/// How a session was found, for `/metrics`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Hit,
    Miss,
    /// Not used: not a GET, the listener is not connected, or something is pending on its
    /// socket.
    Bypass,
    /// Used, but the entry was dropped before the response left: the request is repeated.
    Stale,
}

impl SessionCache {
    /// `enabled` false (`SESSION_CACHE=off`): every request loads its session.
    pub fn new(enabled: bool, idle: Duration) -> Self {
        Self { enabled, idle: chrono::Duration::from_std(idle).unwrap_or_default(), inner: Default::default() }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The listener is connected and listening (entries may be used).
    pub fn listening(&self) -> bool {
        self.read().socket.is_some()
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.read().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The session's values and the entry's serial, if a usable entry is held.
    pub fn get(&self, key_hash: &[u8], now: DateTime<Utc>) -> (Option<Found>, Lookup) {
        if !self.enabled {
            return (None, Lookup::Bypass);
        }
        let inner = self.read();
        let Some(socket) = &inner.socket else { return (None, Lookup::Bypass) };
        let Some(cached) = inner.entries.get(key_hash) else { return (None, Lookup::Miss) };
        if !self.fresh(cached, now) {
            return (None, Lookup::Miss);
        }
        if !quiet(socket) {
            return (None, Lookup::Bypass);
        }
        (Some((cached.entry.state.clone(), cached.serial)), Lookup::Hit)
    }

    /// The entry a request was answered from is still held: nothing it depended on changed.
    pub fn holds(&self, key_hash: &[u8], serial: u64) -> bool {
        self.read().entries.get(key_hash).is_some_and(|c| c.serial == serial)
    }

    /// Usable now: not expired, no slide due (the load does it), not too old.
    fn fresh(&self, cached: &Cached, now: DateTime<Utc>) -> bool {
        let entry = &cached.entry;
        let slide_due =
            (now + self.idle).min(entry.absolute_expires_at) - chrono::Duration::seconds(60) > entry.expires_at;
        now < entry.expires_at && !slide_due && cached.stored.elapsed() < MAX_AGE
    }

    /// Taken before a load reads the database: `None` while nothing may be stored.
    pub fn ticket(&self) -> Option<Ticket> {
        if !self.enabled {
            return None;
        }
        let inner = self.read();
        inner.socket.as_ref().map(|_| Ticket(inner.generation))
    }

    /// Stores a load's result, unless something was invalidated since its ticket was taken.
    pub fn insert(&self, ticket: Ticket, key_hash: Vec<u8>, entry: Entry) {
        let now = Utc::now();
        let mut inner = self.write();
        if inner.socket.is_none() {
            return;
        }
        if inner.generation != ticket.0 {
            // Something was dropped since the load began: does it concern this session (or is
            // it too long ago to tell)?
            let known_since = inner.log.front().map(|(g, _)| g - 1).unwrap_or(inner.generation);
            if ticket.0 < known_since
                || inner.log.iter().any(|(g, selector)| *g > ticket.0 && selector.concerns(&key_hash, &entry))
            {
                return;
            }
        }
        inner.bound(now, Instant::now());
        // A reload that found the same session (its minute was up, or its slide was due) keeps
        // the serial: requests answered from the entry meanwhile were answered rightly.
        let same = inner.entries.get(&key_hash).filter(|c| c.entry.state == entry.state).map(|c| c.serial);
        let serial = match same {
            Some(serial) => serial,
            None => {
                inner.serials += 1;
                inner.serials
            }
        };
        inner.entries.insert(key_hash, Cached { entry, stored: Instant::now(), serial });
    }

    /// This process changed or ended the session: dropped at once (the notification follows).
    pub fn forget(&self, key_hash: &[u8]) {
        self.write().drop_entries(Selector::Session(key_hash.to_vec()));
    }

    /// The number of the last `sync:<n>` notification read. Notifications arrive in commit
    /// order, so once a `sync` sent after some changes is read, so are theirs (tests wait for
    /// one before they measure; a `sync` changes nothing else).
    pub fn synced(&self) -> u64 {
        self.read().synced
    }

    /// A notification's payload (see the migration): the entries it concerns are dropped; an
    /// unknown payload drops everything.
    pub fn invalidate(&self, payload: &str) {
        let mut inner = self.write();
        if let Some(("sync", n)) = payload.split_once(':') {
            if let Ok(n) = n.parse() {
                inner.synced = n;
                return;
            }
        }
        inner.drop_entries(Selector::parse(payload));
    }

    /// The listener is listening on `socket`'s connection: entries may be stored from now on.
    fn connected(&self, socket: OwnedFd) {
        let mut inner = self.write();
        inner.drop_entries(Selector::All);
        inner.socket = Some(socket);
        crate::monitoring::session_cache_listener(true);
    }

    /// The listener lost its connection: nothing is used or stored until it is back.
    fn disconnected(&self) {
        let mut inner = self.write();
        inner.drop_entries(Selector::All);
        inner.socket = None;
        crate::monitoring::session_cache_listener(false);
    }
}

impl Inner {
    /// Makes room for one more entry (see [`MAX_ENTRIES`] and [`SWEEP_EVERY`]); `at` is now.
    fn bound(&mut self, now: DateTime<Utc>, at: Instant) {
        let sweep_due = self.swept.is_none_or(|swept| at.saturating_duration_since(swept) >= SWEEP_EVERY);
        if sweep_due || self.entries.len() >= MAX_ENTRIES {
            self.entries.retain(|_, c| c.entry.expires_at > now && at.saturating_duration_since(c.stored) < MAX_AGE);
            self.swept = Some(at);
        }
        if self.entries.len() >= MAX_ENTRIES {
            // Still full of usable entries: keep the newer half. Those dropped are loaded
            // again on their next request, like any miss.
            let mut stored: Vec<Instant> = self.entries.values().map(|c| c.stored).collect();
            let middle = stored.len() / 2;
            let (_, pivot, _) = stored.select_nth_unstable(middle);
            let pivot = *pivot;
            self.entries.retain(|_, c| c.stored > pivot);
        }
        if self.entries.capacity() > 4 * self.entries.len().max(256) {
            // A burst's table is given back once it has emptied.
            self.entries.shrink_to_fit();
        }
    }

    /// Drops the entries `selector` concerns, as a new generation, and logs it.
    fn drop_entries(&mut self, selector: Selector) {
        crate::monitoring::session_cache_dropped(selector.kind());
        self.generation += 1;
        match &selector {
            Selector::All => self.entries.clear(),
            Selector::Session(key_hash) => {
                self.entries.remove(key_hash);
            }
            other => self.entries.retain(|key_hash, c| !other.concerns(key_hash, &c.entry)),
        }
        if self.log.len() == LOG {
            self.log.pop_front();
        }
        self.log.push_back((self.generation, selector));
    }
}

/// What one request's session came from, for [`confirm`].
#[derive(Default)]
struct RequestCheck {
    /// GET or HEAD: may be answered from the cache (other methods change things, and must
    /// never act on a principal that no longer holds: they always load the session).
    safe: bool,
    /// The session came from this entry (key hash, serial).
    hit: RefCell<Option<(Vec<u8>, u64)>>,
    /// A statement ran to the end on a listening connection since (see `db::run`).
    vouched: Cell<bool>,
}

tokio::task_local! {
    static REQUEST: Rc<RequestCheck>;
}

/// May this request's session come from the cache (a GET or HEAD inside [`track`])?
pub fn may_use() -> bool {
    REQUEST.try_with(|c| c.safe).unwrap_or(false)
}

/// The request's session was answered from `serial` (the session store, on a hit).
pub fn answered_from(key_hash: Vec<u8>, serial: u64) {
    let _ = REQUEST.try_with(|c| {
        *c.hit.borrow_mut() = Some((key_hash, serial));
        c.vouched.set(false);
    });
}

/// A statement ran to the end on a listening connection, its notifications applied (`db::run`).
pub fn vouched() {
    let _ = REQUEST.try_with(|c| c.vouched.set(true));
}

/// Middleware around the session middleware: gives the request the record [`confirm`] reads.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    let check = Rc::new(RequestCheck { safe, ..Default::default() });
    REQUEST.scope(check, next.call(req)).await
}

/// Middleware around the pages, inside the session middleware: a response built on a cached
/// session is sent only if the entry still holds once the database has vouched for it.
///
/// The listener drops entries as soon as it reads a change, but a notification reaches the
/// listener a moment after the change's commit (PostgreSQL signals the listening processes,
/// which then write to their sockets), and the next request may come sooner. What closes that
/// gap is the page's own statement: the web pool's connections listen too, and PostgreSQL
/// hands each of them every notification committed before a statement ended, with its result
/// (see `db::run_vouching`). So after the page's statements, any change made before the request
/// began has dropped the entry. A page that ran no statement runs an empty one (`SELECT`,
/// one round trip, as the session load it replaces). If the entry was dropped meanwhile, the
/// response is thrown away and the browser asked to repeat the request (307 to the same
/// address), which then loads the session from the database. Only GET and HEAD are answered
/// from the cache, so nothing was changed on the strength of a stale principal.
pub async fn confirm(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let state = req.app_data::<actix_web::web::Data<AppState>>().cloned();
    let response = next.call(req).await?;
    let hit = REQUEST.try_with(|c| c.hit.borrow().clone()).ok().flatten();
    let (Some((key_hash, serial)), Some(state)) = (hit, state) else {
        return Ok(response.map_into_left_body());
    };
    if !REQUEST.try_with(|c| c.vouched.get()).unwrap_or(false) {
        let checked = crate::db::run(&state.pool, |conn| {
            diesel::connection::SimpleConnection::batch_execute(conn, "SELECT")?;
            Ok(())
        })
        .await;
        if let Err(e) = checked {
            // Can't tell whether the session still holds: fail closed.
            return Err(e.into());
        }
    }
    if REQUEST.try_with(|c| c.vouched.get()).unwrap_or(false) && state.sessions.holds(&key_hash, serial) {
        return Ok(response.map_into_left_body());
    }
    crate::monitoring::session_cache(Lookup::Stale);
    let (req, _) = response.into_parts();
    // The same address, relative; never `//host` (that would leave the portal).
    let target = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let target = format!("/{}", target.trim_start_matches('/'));
    let repeat = HttpResponse::TemporaryRedirect()
        .insert_header((header::LOCATION, target))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish();
    Ok(ServiceResponse::new(req, repeat).map_into_right_body())
}

/// Nothing is waiting to be read on the listener's socket and it is still open: a
/// non-blocking peek (the socket is in non-blocking mode, shared by its duplicate) that finds
/// no data.
fn quiet(socket: &OwnedFd) -> bool {
    let mut byte = [MaybeUninit::<u8>::uninit(); 1];
    match socket2::SockRef::from(socket).peek(&mut byte) {
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
        // Data (a notification, most likely) or the end of the connection.
        Ok(_) => false,
    }
}

/// Listens for the triggers' notifications on a connection of its own (`DATABASE_LISTEN_URL`,
/// or `DATABASE_URL`), for as long as the runtime it is spawned on runs, reconnecting when the
/// connection fails. Hand-written on `tokio-postgres` because diesel's connection can only
/// poll for notifications, not wait for them.
pub fn spawn_listener(url: Secret<String>, cache: Arc<SessionCache>) {
    if !cache.enabled {
        return;
    }
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            match listen(url.expose(), &cache).await {
                Ok(()) => failures = 0,
                Err(e) => {
                    failures += 1;
                    // Every failure is logged once; a long outage only every minute.
                    if failures == 1 || failures.is_multiple_of(60) {
                        tracing::warn!(error = %e, failures, "session cache listener not connected; sessions are loaded from the database");
                    }
                }
            }
            cache.disconnected();
            tokio::time::sleep(RECONNECT).await;
        }
    });
}

/// One connection's life: connect, `LISTEN`, forward notifications, heartbeat until it fails.
async fn listen(url: &str, cache: &Arc<SessionCache>) -> anyhow::Result<()> {
    let config = tokio_postgres::Config::from_str(url)?;
    let port = config.get_ports().first().copied().unwrap_or(5432);
    match config.get_hosts().first() {
        Some(Host::Unix(dir)) => {
            let stream = tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{port}"))).await?;
            let socket = stream.as_fd().try_clone_to_owned()?;
            serve(&config, stream, socket, cache).await
        }
        Some(Host::Tcp(host)) => {
            let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            let keepalive = socket2::TcpKeepalive::new().with_time(HEARTBEAT).with_interval(HEARTBEAT);
            socket2::SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
            let socket = stream.as_fd().try_clone_to_owned()?;
            serve(&config, stream, socket, cache).await
        }
        None => anyhow::bail!("the database URL names no host"),
    }
}

async fn serve<S>(
    config: &tokio_postgres::Config,
    stream: S,
    socket: OwnedFd,
    cache: &Arc<SessionCache>,
) -> anyhow::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (client, mut connection) = config.connect_raw(stream, NoTls).await?;
    let forwarding = cache.clone();
    // The connection is driven here; notifications are applied as soon as they are read.
    let mut driver = tokio::spawn(async move {
        loop {
            match poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(AsyncMessage::Notification(n))) => forwarding.invalidate(n.payload()),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(anyhow::Error::from(e)),
                None => return Ok(()),
            }
        }
    });
    let outcome = async {
        tokio::time::timeout(HEARTBEAT * 2, client.batch_execute(&format!("LISTEN {CHANNEL}"))).await??;
        cache.connected(socket);
        tracing::info!("session cache listener connected");
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                ended = &mut driver => {
                    return match ended {
                        Ok(Ok(())) => Err(anyhow::anyhow!("the connection was closed")),
                        Ok(Err(e)) => Err(e),
                        Err(e) => Err(anyhow::Error::from(e)),
                    };
                }
                _ = beat.tick() => {
                    tokio::time::timeout(HEARTBEAT, client.batch_execute("")).await
                        .map_err(|_| anyhow::anyhow!("no answer to the heartbeat within {HEARTBEAT:?}"))??;
                }
            }
        }
    }
    .await;
    cache.disconnected();
    driver.abort();
    outcome
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn entry(user: i64, partner: Option<i64>, enterprise: i64) -> Entry {
        let now = Utc::now();
        Entry {
            state: HashMap::from([("user_id".to_string(), user.to_string())]),
            user_id: UserId::new(user),
            enterprise_id: EnterpriseId::new(enterprise),
            partner_id: partner.map(PartnerId::new),
            expires_at: now + chrono::Duration::minutes(30),
            absolute_expires_at: now + chrono::Duration::hours(12),
        }
    }

    /// A connected cache on one end of a socket pair; the other end plays PostgreSQL.
    fn connected() -> (SessionCache, std::os::unix::net::UnixStream) {
        let cache = SessionCache::new(true, Duration::from_secs(30 * 60));
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        cache.connected(OwnedFd::from(ours));
        (cache, theirs)
    }

    #[test]
    fn stale_entries_are_swept_and_a_full_cache_keeps_its_newer_half() {
        let now = Utc::now();
        let stored = Instant::now();
        let mut inner = Inner::default();
        let put = |inner: &mut Inner, key: u32, age: Duration| {
            let cached = Cached { entry: entry(key.into(), None, 1), stored: stored - age, serial: key.into() };
            inner.entries.insert(key.to_be_bytes().to_vec(), cached);
        };
        // An entry too old to be used, one expired, one fresh.
        put(&mut inner, 1, MAX_AGE + Duration::from_secs(1));
        put(&mut inner, 2, Duration::ZERO);
        inner.entries.get_mut(&2u32.to_be_bytes()[..]).unwrap().entry.expires_at = now - chrono::Duration::seconds(1);
        put(&mut inner, 3, Duration::ZERO);
        inner.bound(now, stored);
        assert_eq!(inner.entries.keys().cloned().collect::<Vec<_>>(), vec![3u32.to_be_bytes().to_vec()]);

        // Not swept again within SWEEP_EVERY, unless full.
        put(&mut inner, 4, MAX_AGE + Duration::from_secs(1));
        inner.bound(now, stored + Duration::from_secs(1));
        assert_eq!(inner.entries.len(), 2, "no sweep within SWEEP_EVERY of the last");
        // Stored 30 s after the others: still usable at the next sweep, when they are not.
        inner.entries.insert(
            5u32.to_be_bytes().to_vec(),
            Cached { entry: entry(5, None, 1), stored: stored + Duration::from_secs(30), serial: 5 },
        );
        inner.bound(now, stored + SWEEP_EVERY);
        assert_eq!(
            inner.entries.keys().cloned().collect::<Vec<_>>(),
            vec![5u32.to_be_bytes().to_vec()],
            "the next sweep drops the entries that grew too old"
        );

        // Full of usable entries (stored a millisecond apart): the older half goes.
        inner.entries.clear();
        for key in 0..MAX_ENTRIES as u32 {
            put(&mut inner, key, Duration::from_millis(u64::from(MAX_ENTRIES as u32 - key)));
        }
        inner.bound(now, stored);
        assert!(inner.entries.len() <= MAX_ENTRIES / 2 + 1, "{} entries left", inner.entries.len());
        assert!(inner.entries.len() >= MAX_ENTRIES / 2 - 1, "{} entries left", inner.entries.len());
        let oldest_kept = inner.entries.keys().map(|k| u32::from_be_bytes(k[..].try_into().unwrap())).min().unwrap();
        assert!(oldest_kept >= MAX_ENTRIES as u32 / 2 - 1, "the newest entries are kept, not {oldest_kept}");
    }

    #[test]
    fn an_entry_is_used_until_a_notification_concerns_it() {
        let (cache, _db) = connected();
        let now = Utc::now();
        for (key, (user, partner, enterprise)) in
            [(1u8, (10, Some(20), 30)), (2, (11, Some(21), 30)), (3, (12, None, 31))]
        {
            let ticket = cache.ticket().unwrap();
            cache.insert(ticket, vec![key], entry(user, partner, enterprise));
        }
        assert_eq!(cache.get(&[1], now).1, Lookup::Hit);
        cache.invalidate("u:10");
        assert_eq!(cache.get(&[1], now).1, Lookup::Miss);
        assert_eq!(cache.get(&[2], now).1, Lookup::Hit);
        cache.invalidate("p:21");
        assert_eq!(cache.get(&[2], now).1, Lookup::Miss);
        cache.invalidate(&format!("s:{}", hex::encode([3u8])));
        assert_eq!(cache.get(&[3], now).1, Lookup::Miss);
    }

    #[test]
    fn enterprise_and_unknown_payloads_drop_their_entries() {
        let (cache, _db) = connected();
        let now = Utc::now();
        cache.insert(cache.ticket().unwrap(), vec![1], entry(1, None, 7));
        cache.insert(cache.ticket().unwrap(), vec![2], entry(2, Some(5), 8));
        cache.invalidate("e:7");
        assert_eq!((cache.get(&[1], now).1, cache.get(&[2], now).1), (Lookup::Miss, Lookup::Hit));
        cache.invalidate("something new");
        assert!(cache.is_empty());
    }

    #[test]
    fn a_load_that_raced_an_invalidation_is_not_stored() {
        let (cache, _db) = connected();
        let ticket = cache.ticket().unwrap();
        cache.invalidate("u:1");
        cache.insert(ticket, vec![1], entry(1, None, 1));
        assert!(cache.is_empty());
    }

    #[test]
    fn nothing_is_used_while_the_socket_has_unread_data_or_the_listener_is_away() {
        use std::io::Write;
        let (cache, mut db) = connected();
        let now = Utc::now();
        cache.insert(cache.ticket().unwrap(), vec![1], entry(1, None, 1));
        assert_eq!(cache.get(&[1], now).1, Lookup::Hit);
        db.write_all(b"A").unwrap();
        assert_eq!(cache.get(&[1], now).1, Lookup::Bypass, "a notification on its way");
        cache.disconnected();
        assert_eq!(cache.get(&[1], now).1, Lookup::Bypass);
        assert!(cache.ticket().is_none(), "nothing is stored while disconnected");
    }

    #[test]
    fn a_load_is_stored_when_what_was_dropped_meanwhile_concerns_other_sessions() {
        let (cache, _db) = connected();
        let ticket = cache.ticket().unwrap();
        cache.invalidate("u:2");
        cache.invalidate(&format!("s:{}", hex::encode([9u8])));
        cache.insert(ticket, vec![1], entry(1, Some(3), 4));
        assert_eq!(cache.get(&[1], Utc::now()).1, Lookup::Hit);
        let ticket = cache.ticket().unwrap();
        cache.invalidate("p:3");
        cache.insert(ticket, vec![1], entry(1, Some(3), 4));
        assert_eq!(cache.get(&[1], Utc::now()).1, Lookup::Miss, "its partner changed meanwhile");
        let ticket = cache.ticket().unwrap();
        for n in 0..=LOG {
            cache.invalidate(&format!("u:{}", 100 + n));
        }
        cache.insert(ticket, vec![1], entry(1, Some(3), 4));
        assert!(cache.get(&[1], Utc::now()).0.is_none(), "too many changes since: can't tell, not stored");
    }

    #[test]
    fn a_reload_of_the_same_session_keeps_the_entry_that_requests_were_answered_from() {
        let (cache, _db) = connected();
        cache.insert(cache.ticket().unwrap(), vec![1], entry(1, None, 1));
        let (found, _) = cache.get(&[1], Utc::now());
        let serial = found.unwrap().1;
        cache.insert(cache.ticket().unwrap(), vec![1], entry(1, None, 1));
        assert!(cache.holds(&[1], serial), "same values: still the entry a request used");
        let mut changed = entry(1, None, 1);
        changed.state.insert("csrf".into(), "new".into());
        cache.insert(cache.ticket().unwrap(), vec![1], changed);
        assert!(!cache.holds(&[1], serial), "other values: a request answered from the old one is repeated");
    }

    #[test]
    fn a_closed_connection_is_seen_before_the_listener_notices() {
        let (cache, db) = connected();
        cache.insert(cache.ticket().unwrap(), vec![1], entry(1, None, 1));
        drop(db);
        assert_eq!(cache.get(&[1], Utc::now()).1, Lookup::Bypass);
    }

    #[test]
    fn an_entry_whose_slide_is_due_or_that_expired_is_not_used() {
        let (cache, _db) = connected();
        let now = Utc::now();
        let mut stale = entry(1, None, 1);
        stale.expires_at = now + chrono::Duration::minutes(28); // idle 30 min: slid 2 min ago
        cache.insert(cache.ticket().unwrap(), vec![1], stale);
        assert_eq!(cache.get(&[1], now).1, Lookup::Miss);
        let mut capped = entry(2, None, 1);
        capped.expires_at = now + chrono::Duration::minutes(5);
        capped.absolute_expires_at = capped.expires_at; // can't slide further: still usable
        cache.insert(cache.ticket().unwrap(), vec![2], capped);
        assert_eq!(cache.get(&[2], now).1, Lookup::Hit);
        assert_eq!(cache.get(&[2], now + chrono::Duration::minutes(6)).1, Lookup::Miss);
    }
}
