//! `TestApp`: a real portal on a random port, its own database cloned from a migrated
//! template, and a cookie-keeping HTTP client that behaves like a browser.

use std::{
    collections::HashMap,
    net::TcpListener,
    sync::{Arc, OnceLock},
};

use diesel::{prelude::*, sql_query, Connection, PgConnection};
use partner_portal::{
    auth::password::hash_sync,
    config::{AppEnv, Settings},
    db,
    startup::Application,
};
use reqwest::{cookie::Jar, redirect::Policy, StatusCode};
use scraper::{Html, Selector};

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

pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub settings: Settings,
    pub jar: Arc<Jar>,
    pub client: reqwest::Client,
}

#[derive(Default)]
pub struct Options {
    /// Connect the portal through this URL instead of the test database's own.
    pub database_url: Option<String>,
    pub env: Vec<(&'static str, String)>,
}

pub fn browser(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder().cookie_provider(jar).redirect(Policy::none()).build().unwrap()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
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
        let app = Application::build_on(settings.clone(), listener).await.unwrap();
        tokio::spawn(app.run_until_stopped());
        let jar = Arc::new(Jar::default());
        let client = browser(jar.clone());
        TestApp { address, db, settings, jar, client }
    }

    /// A second portal instance on this app's database, as another server behind a load
    /// balancer: its own port, pool, email worker and browser; the same DATABASE_URL,
    /// SESSION_KEY, PUBLIC_BASE_URL and SMTP settings (`options.env` may override any).
    pub async fn spawn_another(&self, options: Options) -> TestApp {
        let s = &self.settings;
        let mut env: Vec<(&'static str, String)> = vec![
            ("SESSION_KEY", hex::encode(s.session_key.expose())),
            ("PUBLIC_BASE_URL", s.public_base_url.clone()),
            ("SMTP_FROM", s.smtp_from.clone()),
            ("EMAIL_RETRY_BASE_MS", s.email_retry_base.as_millis().to_string()),
        ];
        if let Some(smtp) = &s.smtp_url {
            env.push(("SMTP_URL", smtp.expose().clone()));
        }
        env.extend(options.env);
        let database_url = options.database_url.or_else(|| Some(s.database_url.expose().clone()));
        TestApp::spawn_on(self.db.shared(), Options { database_url, env }).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A second, independent browser (its own cookies).
    pub fn new_browser(&self) -> (Arc<Jar>, reqwest::Client) {
        let jar = Arc::new(Jar::default());
        (jar.clone(), browser(jar))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.unwrap())
    }

    /// Opens `page` like a browser, takes the CSRF token from its form and posts `fields`
    /// to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let (_, html) = self.get_html(page).await;
        let token = csrf_token(&html);
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        self.client.post(self.url(action)).form(&form).send().await.unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.submit("/login", "/login", &[("email", email), ("password", password)]).await
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
    pub fn create_enterprise_admin(&self, enterprise: &str, email: &str, password: &str) -> (i64, i64) {
        let mut conn = self.conn();
        let e = db::enterprises::insert(&mut conn, enterprise, 10).unwrap();
        let hash = hash_sync(password).unwrap();
        let u = db::users::insert(
            &mut conn,
            &db::users::NewUser {
                enterprise_id: e.id,
                partner_id: None,
                role: partner_portal::domain::UserRole::EnterpriseAdmin,
                email,
                first_name: "Erin",
                surname: "Admin",
                password_hash: Some(&hash),
            },
        )
        .unwrap();
        (e.id, u.id)
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

/// Text of the first element matching `selector`.
pub fn text_of(html: &str, selector: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel).next().map(|e| e.text().collect::<String>().trim().to_string())
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

pub const PASSWORD: &str = "correct horse battery staple 7";

/// A second enterprise admin in an existing enterprise; returns the user id.
pub fn seed_admin(app: &TestApp, enterprise_id: i64, email: &str) -> i64 {
    let hash = hash_sync(PASSWORD).unwrap();
    db::users::insert(
        &mut app.conn(),
        &db::users::NewUser {
            enterprise_id,
            partner_id: None,
            role: partner_portal::domain::UserRole::EnterpriseAdmin,
            email,
            first_name: "Carl",
            surname: "Colleague",
            password_hash: Some(&hash),
        },
    )
    .unwrap()
    .id
}
