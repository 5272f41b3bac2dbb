//! `TestApp`: a real portal on a random port, its own database cloned from a migrated
//! template, and a cookie-keeping HTTP client that behaves like a browser. Start one with
//! the [`Spawn`] builder: `TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await`.

use partner_portal::domain::UserRole;
use partner_portal::domain::{EnterpriseId, PartnerId, UserId};
use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{Arc, OnceLock},
};

use diesel::{prelude::*, sql_query, Connection, PgConnection};
use partner_portal::{
    auth::{password::hash_sync, session_cache::SessionCache},
    config::{AppEnv, Settings},
    db::{self, DbPool},
    email::worker,
    startup::Application,
};
use reqwest::{cookie::Jar, redirect::Policy, StatusCode};
use scraper::{Html, Selector};

use super::{
    fixtures::{Partner, PartnerFixture},
    page::Page,
    smtp::{Received, TestSmtp},
};

/// The PostgreSQL server tests create their databases on (set by ./scripts/test).
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .expect("TEST_DATABASE_URL (or DATABASE_URL) must point at a PostgreSQL server: run ./scripts/test")
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("database url");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

fn admin_connection() -> PgConnection {
    PgConnection::establish(&with_database(&server_url(), "postgres")).expect("connect to the postgres database")
}

/// Name of the migrated template, derived from the migrations so a schema change makes a
/// new one; created once per test run, under an advisory lock so parallel runs don't race.
fn template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        let mut dirs: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        dirs.sort();
        for dir in dirs {
            for file in ["up.sql", "down.sql"] {
                hasher.update(std::fs::read(dir.join(file)).unwrap_or_default());
            }
        }
        let name = format!("pp_tpl_{}", &hex::encode(hasher.finalize())[..12]);
        let mut admin = admin_connection();
        sql_query("SELECT pg_advisory_lock(727274)").execute(&mut admin).unwrap();
        let exists: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        ))
        .get_result(&mut admin)
        .unwrap();
        if exists == 0 {
            let building = format!("{name}_building");
            sql_query(format!("DROP DATABASE IF EXISTS {building}")).execute(&mut admin).unwrap();
            sql_query(format!("CREATE DATABASE {building}")).execute(&mut admin).unwrap();
            {
                let mut conn = PgConnection::establish(&with_database(&server_url(), &building)).unwrap();
                db::run_migrations(&mut conn).unwrap();
            }
            sql_query(format!("ALTER DATABASE {building} RENAME TO {name}")).execute(&mut admin).unwrap();
        }
        sql_query("SELECT pg_advisory_unlock(727274)").execute(&mut admin).unwrap();
        name
    })
}

/// A fresh database for one test, dropped when the guard is dropped.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    /// False for a second portal instance's handle on another test's database: only the
    /// owner drops it.
    owned: bool,
}

impl TestDatabase {
    pub fn create() -> Self {
        let template = template();
        let name = format!("pp_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_connection();
        sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}")).execute(&mut admin).unwrap();
        let url = with_database(&server_url(), &name);
        TestDatabase { name, url, owned: true }
    }

    /// A fresh database with no migration applied (migration tests apply them one by one).
    pub fn empty() -> Self {
        let name = format!("pp_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_connection();
        sql_query(format!("CREATE DATABASE {name} TEMPLATE template0")).execute(&mut admin).unwrap();
        let url = with_database(&server_url(), &name);
        TestDatabase { name, url, owned: true }
    }

    /// The same database, for another portal instance; dropping it leaves the database alone.
    pub fn shared(&self) -> TestDatabase {
        TestDatabase { name: self.name.clone(), url: self.url.clone(), owned: false }
    }

    pub fn connect(&self) -> PgConnection {
        PgConnection::establish(&self.url).unwrap()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if let Ok(mut admin) = PgConnection::establish(&with_database(&server_url(), "postgres")) {
            let _ = sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut admin);
        }
    }
}

/// A portal under test: its address, database and settings, the browser most tests drive
/// (`client`/`jar`, also as [`Browser`] through `browser`), the test SMTP server when asked
/// for, and the people [`Spawn`] seeded.
pub struct TestApp {
    pub address: String,
    /// `http://127.0.0.1:<port>` of the `METRICS_ADDR` listener, when the test set one.
    pub metrics_address: Option<String>,
    /// The instance's session cache (`auth::session_cache`).
    pub sessions: Arc<SessionCache>,
    pub db: TestDatabase,
    pub settings: Settings,
    pub jar: Arc<Jar>,
    pub client: reqwest::Client,
    pub browser: Browser,
    smtp: Option<TestSmtp>,
    /// Set when started without the background email worker: [`TestApp::dispatch_emails`]
    /// sends the outbox through this pool.
    email_pool: Option<DbPool>,
    enterprise: Option<(EnterpriseId, UserId)>,
    /// Partners made by [`Spawn::with_partner`] and [`Spawn::logged_in_as_partner_admin`].
    pub partners: Vec<Partner>,
}

#[derive(Default, Clone)]
pub struct Options {
    /// Connect the portal through this URL instead of the test database's own.
    pub database_url: Option<String>,
    pub env: Vec<(&'static str, String)>,
    /// Run the background email worker (on its timer, as in production). Without it, tests
    /// send queued emails when they choose, with [`TestApp::dispatch_emails`].
    pub email_worker: bool,
}

pub fn browser(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder().cookie_provider(jar).redirect(repeats_only()).build().unwrap()
}

/// Redirects are not followed (tests check where they lead), except the one a browser follows
/// without anyone seeing it: a 307 to the very same address, which the portal answers when a
/// GET was built on a session cache entry that turned out to be stale
/// (`auth::session_cache::confirm`); the repeat loads the session from the database.
pub fn repeats_only() -> Policy {
    Policy::custom(|attempt| {
        let same = attempt.previous().last() == Some(attempt.url());
        if attempt.status() == StatusCode::TEMPORARY_REDIRECT && same && attempt.previous().len() < 3 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// The enterprise admin [`Spawn::with_enterprise_admin`] creates: Erin Admin of Acme.
pub const ADMIN: &str = "erin@acme.example";
pub const ENTERPRISE: &str = "Acme";

/// What to start, built up by `TestApp::spawn()` and run by `.await`:
/// `TestApp::spawn().with_smtp().logged_in_as_enterprise_admin().await`.
#[must_use = "a Spawn does nothing until awaited"]
pub struct Spawn {
    options: Options,
    db: Option<TestDatabase>,
    smtp: bool,
    enterprise_admin: bool,
    partners: Vec<PartnerFixture>,
    login: Option<String>,
}

impl Spawn {
    /// A real local SMTP server ([`TestSmtp`]) as `SMTP_URL`, with retries after 100 ms.
    pub fn with_smtp(mut self) -> Self {
        self.smtp = true;
        self
    }

    /// The background email worker runs, on its own timer (for tests about that timer).
    pub fn with_email_worker(mut self) -> Self {
        self.options.email_worker = true;
        self
    }

    /// An environment variable for the portal's settings.
    pub fn env(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.options.env.push((name, value.into()));
        self
    }

    /// The portal connects through this URL (e.g. a [`crate::proxy::DbProxy`]).
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.options.database_url = Some(url.into());
        self
    }

    /// On this database rather than a fresh one.
    pub fn on(mut self, db: TestDatabase) -> Self {
        self.db = Some(db);
        self
    }

    /// Acme, with Erin Admin (`ADMIN`, `PASSWORD`) as its enterprise admin.
    pub fn with_enterprise_admin(mut self) -> Self {
        self.enterprise_admin = true;
        self
    }

    /// Acme's enterprise admin, logged in in the app's browser.
    pub fn logged_in_as_enterprise_admin(self) -> Self {
        let mut s = self.with_enterprise_admin();
        s.login = Some(ADMIN.to_string());
        s
    }

    /// A partner of Acme (made after the enterprise admin; see `TestApp::partners`).
    pub fn with_partner(mut self, partner: PartnerFixture) -> Self {
        self.enterprise_admin = true;
        self.partners.push(partner);
        self
    }

    /// A partner of Acme whose account administrator (`partner.account_admin(...)`) is
    /// logged in in the app's browser.
    pub fn logged_in_as_partner_admin(self, partner: PartnerFixture) -> Self {
        let email = partner.account_admin_email().expect("the partner needs an account_admin(...) to log in as");
        let mut s = self.with_partner(partner);
        s.login = Some(email);
        s
    }

    async fn run(self) -> TestApp {
        let Spawn { mut options, db, smtp, enterprise_admin, partners, login } = self;
        let smtp = if smtp { Some(TestSmtp::start().await) } else { None };
        if let Some(smtp) = &smtp {
            options.env.splice(0..0, [("SMTP_URL", smtp.url()), ("EMAIL_RETRY_BASE_MS", "100".to_string())]);
        }
        let db = db.unwrap_or_else(TestDatabase::create);
        let mut app = TestApp::spawn_on(db, options).await;
        app.smtp = smtp;
        if enterprise_admin {
            app.enterprise = Some(app.create_enterprise_admin(ENTERPRISE, ADMIN, PASSWORD));
        }
        for partner in partners {
            let made = partner.create(&app);
            app.partners.push(made);
        }
        if let Some(email) = login {
            let r = app.login(&email, PASSWORD).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} logs in");
        }
        app
    }
}

impl std::future::IntoFuture for Spawn {
    type Output = TestApp;
    type IntoFuture = std::pin::Pin<Box<dyn std::future::Future<Output = TestApp>>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl TestApp {
    /// A builder: `TestApp::spawn().await` is a bare portal on a fresh database.
    pub fn spawn() -> Spawn {
        Spawn {
            options: Options::default(),
            db: None,
            smtp: false,
            enterprise_admin: false,
            partners: Vec::new(),
            login: None,
        }
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let db = TestDatabase::create();
        Self::spawn_on(db, options).await
    }

    pub async fn spawn_on(db: TestDatabase, options: Options) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let address = format!("http://127.0.0.1:{port}");
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), options.database_url.clone().unwrap_or_else(|| db.url.clone())),
            ("BIND_ADDR".into(), format!("127.0.0.1:{port}")),
            ("PUBLIC_BASE_URL".into(), address.clone()),
            ("DATABASE_POOL_SIZE".into(), "5".into()),
            ("WORKERS".into(), "2".into()),
        ]);
        for (k, v) in &options.env {
            vars.insert((*k).to_string(), v.clone());
        }
        let settings = Settings::from_lookup(AppEnv::Development, |k| vars.get(k).cloned()).unwrap();
        let (app, email_pool) = if options.email_worker {
            (Application::build_on(settings.clone(), listener).await.unwrap(), None)
        } else {
            let pool = worker::pool(&settings.database);
            (Application::build_on_without_email_worker(settings.clone(), listener).await.unwrap(), Some(pool))
        };
        let metrics_address = app.metrics_port().map(|p| format!("http://127.0.0.1:{p}"));
        let sessions = app.state().sessions.clone();
        tokio::spawn(app.run_until_stopped());
        let jar = Arc::new(Jar::default());
        let client = browser(jar.clone());
        let browser = Browser { address: address.clone(), jar: jar.clone(), client: client.clone() };
        TestApp {
            address,
            metrics_address,
            sessions,
            db,
            settings,
            jar,
            client,
            browser,
            smtp: None,
            email_pool,
            enterprise: None,
            partners: Vec::new(),
        }
    }

    /// A second portal instance on this app's database, as another server behind a load
    /// balancer: its own port, pool, email worker and browser; the same DATABASE_URL,
    /// SESSION_KEY, PUBLIC_BASE_URL and SMTP settings (`options.env` may override any).
    pub async fn spawn_another(&self, options: Options) -> TestApp {
        let s = &self.settings;
        let mut env: Vec<(&'static str, String)> = vec![
            ("SESSION_KEY", hex::encode(s.session.key.expose())),
            ("PUBLIC_BASE_URL", s.public_base_url.clone()),
            ("SMTP_FROM", s.email.from.to_string()),
            ("EMAIL_RETRY_BASE_MS", s.email.retry_base.as_millis().to_string()),
        ];
        if let Some(smtp) = &s.email.smtp_url {
            env.push(("SMTP_URL", smtp.expose().clone()));
        }
        env.extend(options.env);
        let database_url = options.database_url.or_else(|| Some(s.database.url.expose().clone()));
        TestApp::spawn_on(self.db.shared(), Options { database_url, env, email_worker: options.email_worker }).await
    }

    /// Waits until this instance's session cache listens and has read every notification of
    /// the changes committed so far (a `sync` notification sent now has come back), so that
    /// the next page view with a settled session is answered from the cache. Panics after 10 s.
    pub async fn settle_sessions(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.sessions.listening() {
            assert!(std::time::Instant::now() < deadline, "the session cache's listener did not connect within 10 s");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
        diesel::sql_query(format!("SELECT pg_notify('session_cache', 'sync:{n}')")).execute(&mut self.conn()).unwrap();
        while self.sessions.synced() != n {
            assert!(
                std::time::Instant::now() < deadline,
                "the session cache did not read its notifications within 10 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// The test SMTP server (`Spawn::with_smtp`).
    pub fn smtp(&self) -> &TestSmtp {
        self.smtp.as_ref().expect("the app was spawned without .with_smtp()")
    }

    /// Sends every due email in the outbox now, through the portal's own worker code, and
    /// returns once none is left (how many were sent or attempted).
    pub async fn dispatch_emails(&self) -> usize {
        let pool = self.email_pool.as_ref().expect("the background email worker sends this app's emails");
        worker::dispatch_all_pending(pool, &self.settings.email).await.unwrap()
    }

    /// Runs the daily domain re-check now, through the portal's own worker code, for every
    /// verified domain that is due (a test makes one due by writing its `next_check_at` in
    /// the past): how many domains this instance claimed.
    pub async fn run_domain_checks(&self) -> usize {
        let pool = worker::pool(&self.settings.database);
        partner_portal::dns::recheck::run_due(&pool, &self.settings.dns).await.unwrap()
    }

    /// Runs the expiry worker's pass as if it were `now` (reminders and revocations due by
    /// then), through the portal's own code, on a pool of its own like a second instance's.
    pub async fn run_access_expiry(&self, now: chrono::DateTime<chrono::Utc>) -> partner_portal::access_expiry::Pass {
        let pool = worker::pool(&self.settings.database);
        partner_portal::access_expiry::run_due(&pool, &self.settings, now).await.unwrap()
    }

    /// Runs the webhook worker's pass as if it were `now` (every delivery due by then),
    /// through the portal's own code, on a pool of its own like a second instance's.
    pub async fn run_webhooks(&self, now: chrono::DateTime<chrono::Utc>) -> partner_portal::webhooks::worker::Pass {
        let pool = worker::pool(&self.settings.database);
        partner_portal::webhooks::worker::run_due(&pool, &self.settings, now).await.unwrap()
    }

    /// Sends what is due and returns every message the SMTP server has received so far.
    pub async fn emails(&self) -> Vec<Received> {
        self.dispatch_emails().await;
        self.smtp().messages()
    }

    /// Sends what is due and returns the path of the link starting with `prefix` (a path
    /// such as "/invitations/") in the newest email to `to`.
    pub async fn emailed_link(&self, to: &str, prefix: &str) -> String {
        let mail = self.emails().await.into_iter().rev().find(|m| m.to() == to);
        let mail = mail.unwrap_or_else(|| panic!("no email to {to}"));
        let link = mail.link(&self.url(prefix)).unwrap_or_else(|| panic!("no {prefix} link in {:?}", mail.text()));
        url::Url::parse(&link).unwrap().path().to_string()
    }

    /// Acme's id (`Spawn::with_enterprise_admin`).
    pub fn enterprise_id(&self) -> EnterpriseId {
        self.enterprise.expect("the app was spawned without an enterprise admin").0
    }

    /// Erin Admin's user id (`Spawn::with_enterprise_admin`).
    pub fn admin_id(&self) -> UserId {
        self.enterprise.expect("the app was spawned without an enterprise admin").1
    }

    /// The first partner made by the builder.
    pub fn partner(&self) -> &Partner {
        self.partners.first().expect("the app was spawned without a partner")
    }

    pub fn partner_id(&self) -> PartnerId {
        self.partner().id
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A second, independent browser (its own cookies).
    pub fn new_browser(&self) -> (Arc<Jar>, reqwest::Client) {
        let jar = Arc::new(Jar::default());
        (jar.clone(), browser(jar))
    }

    /// A second, independent browser (its own cookies), as a [`Browser`].
    pub fn another_browser(&self) -> Browser {
        let (jar, client) = self.new_browser();
        Browser { address: self.address.clone(), jar, client }
    }

    /// Another browser, logged in as `email` with `PASSWORD`.
    pub async fn browser_of(&self, email: &str) -> Browser {
        let b = self.another_browser();
        let r = b.login(email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{email} logs in");
        b
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(path).await
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        self.browser.get_html(path).await
    }

    /// The page at `path`, read like a person would (see [`Page`]).
    pub async fn page(&self, path: &str) -> Page {
        self.browser.page(path).await
    }

    /// Opens `page` like a browser, takes the CSRF token from its form and posts `fields`
    /// to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.browser.submit(page, action, fields).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.browser.login(email, password).await
    }

    /// The session cookie as a browser would send it (`name=value`).
    pub fn session_cookie(&self) -> Option<String> {
        cookie_header(&self.jar, &self.address)
    }

    /// A direct connection to this test's database, for arranging and checking data.
    pub fn conn(&self) -> PgConnection {
        self.db.connect()
    }

    /// An enterprise with an admin whose password is `password`.
    pub fn create_enterprise_admin(&self, enterprise: &str, email: &str, password: &str) -> (EnterpriseId, UserId) {
        let mut conn = self.conn();
        let e = db::enterprises::insert(&mut conn, enterprise, 10).unwrap();
        let hash = hash_sync(password).unwrap();
        let u = member_of(&mut conn, email, ("Erin", "Admin"), &hash, e.id, None, UserRole::EnterpriseAdmin);
        (e.id, u)
    }
}

/// One browser: its own cookies, never following redirects (tests read `location`).
#[derive(Clone)]
pub struct Browser {
    pub address: String,
    pub jar: Arc<Jar>,
    pub client: reqwest::Client,
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// The page at `path` (see [`Page`]).
    pub async fn page(&self, path: &str) -> Page {
        Page::read(self.get(path).await).await
    }

    /// Opens `page`, takes the CSRF token from it and posts `fields` to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let (_, html) = self.get_html(page).await;
        let token = csrf_token(&html);
        self.post(action, &token, fields).await
    }

    /// Posts `fields` with this CSRF token to `action`.
    pub async fn post(&self, action: &str, token: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token)];
        form.extend_from_slice(fields);
        self.client.post(self.url(action)).form(&form).send().await.unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/login", "/login", &[("email", email), ("password", password)]).await
    }

    pub fn session_cookie(&self) -> Option<String> {
        cookie_header(&self.jar, &self.address)
    }
}

pub fn cookie_header(jar: &Jar, address: &str) -> Option<String> {
    use reqwest::cookie::CookieStore;
    jar.cookies(&address.parse().unwrap()).map(|v| v.to_str().unwrap().to_string())
}

pub fn csrf_token(html: &str) -> String {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr("value"))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no CSRF token in page:\n{html}"))
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

pub const PASSWORD: &str = "correct horse battery staple 7";

/// A second enterprise admin in an existing enterprise; returns the user id.
pub fn seed_admin(app: &TestApp, enterprise_id: EnterpriseId, email: &str) -> UserId {
    seed_team_member(app, enterprise_id, email, UserRole::EnterpriseAdmin)
}

/// A person in the enterprise's team with `role` (Enterprise admin or Viewer), password
/// `PASSWORD`; an existing person gets the membership added.
pub fn seed_team_member(app: &TestApp, enterprise_id: EnterpriseId, email: &str, role: UserRole) -> UserId {
    let hash = hash_sync(PASSWORD).unwrap();
    member_of(&mut app.conn(), email, ("Carl", "Colleague"), &hash, enterprise_id, None, role)
}

/// The person with `email` (created with `name` and the password hash `hash` if new), given
/// a live membership of `role` in the enterprise (`partner: None`) or the partnership.
pub fn member_of(
    conn: &mut PgConnection,
    email: &str,
    name: (&str, &str),
    hash: &str,
    enterprise_id: EnterpriseId,
    partner: Option<PartnerId>,
    role: UserRole,
) -> UserId {
    let user = match db::users::find_by_email(conn, email).unwrap() {
        Some(u) => u.id,
        None => {
            db::users::insert(
                conn,
                &db::users::NewUser { email, first_name: name.0, surname: name.1, password_hash: Some(hash) },
            )
            .unwrap()
            .id
        }
    };
    db::memberships::grant(
        conn,
        &db::memberships::NewMembership { user_id: user, enterprise_id, partner_id: partner, role },
    )
    .unwrap();
    user
}
