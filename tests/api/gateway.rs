//! The shipped nginx gateway (`deploy/nginx/`, SPEC §18), run for real: Debian's nginx with
//! that configuration (placeholders filled by text substitution) in front of a stub upstream,
//! asking a spawned portal's `GET /gateway/check` before every call. A granted call reaches
//! the upstream with the partner's PRT- code; another API, another environment, no token, a
//! garbage token, a withdrawn grant, revoked credentials, a wrong gateway credential and an
//! unreachable portal are each refused by nginx (401, 403 or 500) without the upstream ever
//! seeing the request. nginx is `NGINX` (default /usr/sbin/nginx); `./scripts/test`
//! installs it, and the test fails, never skips, when it is missing.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use partner_portal::{db::applications, domain::CredentialId};
use serde_json::Value;

use crate::{
    fixtures::CatalogIds,
    grants::post,
    helpers::TestApp,
    oauth_kit::{globex, introspect, seed_billing_sync, token, BillingSync, Client},
};

const TEMPLATE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/partner-portal-gateway.conf");
const SNIPPET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx/snippets/partner-portal-gateway.conf");

/// The host names of the shipped configuration, one per environment of `seed_catalog`.
const DEVELOPMENT: &str = "sandbox.api.example.com";
const STAGING: &str = "staging.api.example.com";
const PRODUCTION: &str = "api.example.com";

/// How long nginx may take to start listening.
const START: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// The stub upstream: answers every request with 200 and what it received, and remembers it.

/// One request as the upstream received it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    uri: String,
    partner_id: Option<String>,
    application_id: Option<String>,
    environment: Option<String>,
    body: String,
}

struct Upstream {
    address: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Upstream {
    async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let data = web::Data::from(seen.clone());
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(echo)))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap()
            .run();
        tokio::spawn(server);
        Upstream { address, seen }
    }

    /// The URIs received so far, in order.
    fn uris(&self) -> Vec<String> {
        self.seen.lock().unwrap().iter().map(|s| s.uri.clone()).collect()
    }

    fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().expect("the upstream received nothing")
    }
}

async fn echo(req: HttpRequest, body: web::Bytes, seen: web::Data<Mutex<Vec<Seen>>>) -> HttpResponse {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request = Seen {
        method: req.method().to_string(),
        uri: req.uri().to_string(),
        partner_id: header("x-partner-id"),
        application_id: header("x-application-id"),
        environment: header("x-environment"),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let answer = serde_json::json!({ "path": request.uri, "partner_id": request.partner_id });
    seen.lock().unwrap().push(request);
    HttpResponse::Ok().json(answer)
}

// ---------------------------------------------------------------------------------------
// nginx, with the shipped configuration, in its own prefix directory.

/// What a deployment fills into the template's placeholders.
struct Placeholders<'a> {
    /// `@PORTAL@`: host:port of the portal.
    portal: &'a str,
    /// `@UPSTREAM@`: host:port of the upstream.
    upstream: &'a str,
    /// `@GATEWAY_CREDENTIAL@`: base64 of "client id:secret".
    credential: String,
}

fn nginx_binary() -> PathBuf {
    let path = PathBuf::from(std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".to_string()));
    assert!(
        path.is_file(),
        "\n\nGATEWAY: NGINX={} does not exist. The gateway test runs Debian's nginx (with its \
         auth_request module): run ./scripts/test (it installs the `nginx` package) or \
         `apt-get install -y nginx`, or point NGINX at the binary.\n",
        path.display()
    );
    path
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// A running nginx (master and workers in their own process group), stopped when dropped,
/// also when the test panics, which then prints its error log.
struct Nginx {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Nginx {
    /// nginx on a free loopback port with the shipped configuration, `placeholders` filled in.
    async fn start(placeholders: &Placeholders<'_>) -> Nginx {
        let binary = nginx_binary();
        // A port is free when looked at, and may be taken before nginx binds it: try again then.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let dir = std::env::temp_dir().join(format!("pp-gateway-{}", uuid::Uuid::new_v4().simple()));
            write_configuration(&dir, port, placeholders);
            let mut nginx = Nginx { child: spawn(&binary, &dir), dir, port };
            match nginx.wait_until_listening().await {
                Ok(()) => return nginx,
                Err(log) if log.contains("Address already in use") => continue,
                Err(log) => panic!("\n\nGATEWAY: nginx did not start:\n{log}\n"),
            }
        }
        panic!("GATEWAY: no free port for nginx after 5 tries");
    }

    async fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}\n{}", self.log()));
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return Ok(());
            }
            if started.elapsed() > START {
                return Err(format!("not listening on port {} after {START:?}\n{}", self.port, self.log()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// nginx's error log and what it wrote to stderr before it opened that log.
    fn log(&self) -> String {
        let read = |name: &str| fs::read_to_string(self.dir.join(name)).unwrap_or_default();
        format!("--- error.log\n{}--- stderr\n{}", read("error.log"), read("stderr.log"))
    }

    /// `GET http://<host><path>` through the gateway, with the token if any.
    async fn get(&self, host: &str, path: &str, token: Option<&str>) -> reqwest::Response {
        self.send(reqwest::Method::GET, host, path, token, &[], "").await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        host: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> reqwest::Response {
        let method_name = method.to_string();
        let mut req = reqwest::Client::new()
            .request(method, format!("http://127.0.0.1:{}{path}", self.port))
            .header("Host", host)
            .body(body.to_string());
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await.unwrap();
        // A transcript of the calls (`-- --nocapture`): what a client of the gateway saw.
        let challenge = res.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or("");
        println!(
            "GATEWAY: {:<4} {:<24} {:<28} {:<9} -> {} {challenge}",
            method_name,
            host,
            path,
            if token.is_some() { "token" } else { "no token" },
            res.status().as_u16(),
        );
        res
    }
}

/// The prefix directory: the test's own nginx.conf (pid, logs and temporary files inside the
/// directory; `user root` when run as root, so nothing needs chowning) including the shipped
/// file, filled in, and the shipped snippet as is.
fn write_configuration(dir: &Path, port: u16, p: &Placeholders<'_>) {
    fs::create_dir_all(dir.join("snippets")).unwrap();
    fs::create_dir_all(dir.join("temp")).unwrap();
    let template = fs::read_to_string(TEMPLATE).unwrap();
    let filled = template
        .replace("@PORTAL@", p.portal)
        .replace("@UPSTREAM@", p.upstream)
        .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
        .replace("@GATEWAY_CREDENTIAL@", &p.credential);
    let left: Vec<&str> = filled.lines().filter(|l| l.matches('@').count() >= 2).collect();
    assert!(left.is_empty(), "placeholders the test does not fill: {left:?}");
    fs::write(dir.join("partner-portal-gateway.conf"), filled).unwrap();
    fs::copy(SNIPPET, dir.join("snippets/partner-portal-gateway.conf")).unwrap();

    let d = dir.display();
    let user = if is_root() { "user root root;\n" } else { "" };
    let main = format!(
        "{user}worker_processes 1;\n\
         pid {d}/nginx.pid;\n\
         error_log {d}/error.log info;\n\
         events {{ worker_connections 128; }}\n\
         http {{\n\
         \x20   access_log {d}/access.log;\n\
         \x20   client_body_temp_path {d}/temp/body;\n\
         \x20   proxy_temp_path {d}/temp/proxy;\n\
         \x20   fastcgi_temp_path {d}/temp/fastcgi;\n\
         \x20   uwsgi_temp_path {d}/temp/uwsgi;\n\
         \x20   scgi_temp_path {d}/temp/scgi;\n\
         \x20   include partner-portal-gateway.conf;\n\
         }}\n"
    );
    fs::write(dir.join("nginx.conf"), main).unwrap();
}

fn spawn(binary: &Path, dir: &Path) -> Child {
    use std::os::unix::process::CommandExt;
    let stderr = fs::File::create(dir.join("stderr.log")).unwrap();
    Command::new(binary)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-e", "stderr", "-g", "daemon off;"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("\n\nGATEWAY: cannot start {}: {e}\n", binary.display()))
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // The whole group: the master and its workers.
        let group = -(self.child.id() as libc::pid_t);
        // SAFETY: kill has no memory preconditions; the group is nginx's own (process_group(0)).
        unsafe { libc::kill(group, libc::SIGKILL) };
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("\nGATEWAY: nginx on port {} ({}):\n{}", self.port, self.dir.display(), self.log());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

// ---------------------------------------------------------------------------------------

/// Globex with "Billing sync" credentials in Production (API One and API Three granted) and
/// in Development (API One); the enterprise's gateway credential; an upstream; and the
/// enterprise admin logged in (to revoke grants through the APIs tab).
struct World {
    app: TestApp,
    ids: CatalogIds,
    production: Client,
    production_id: CredentialId,
    development: Client,
    gateway: Client,
    upstream: Upstream,
}

async fn world() -> World {
    nginx_binary(); // before anything else: a missing nginx fails the test at once
    let app = TestApp::spawn().with_partner(globex()).logged_in_as_enterprise_admin().await;
    let BillingSync { ids, production, production_id, development, gateway } = seed_billing_sync(&app);
    let upstream = Upstream::start().await;
    World { app, ids, production, production_id, development, gateway, upstream }
}

impl World {
    fn portal(&self) -> String {
        self.app.address.trim_start_matches("http://").to_string()
    }

    /// nginx configured with the enterprise's gateway credential.
    async fn gateway(&self) -> Nginx {
        let portal = self.portal();
        Nginx::start(&Placeholders {
            portal: &portal,
            upstream: &self.upstream.address,
            credential: basic_credentials(&self.gateway),
        })
        .await
    }

    /// Revokes the API in the environment on the partner's APIs tab, as the enterprise admin.
    async fn revoke_grant(&self, api: i64, environment: i64) {
        let partner = self.app.partner_id();
        let res =
            post(&self.app, &format!("/settings/partners/{partner}/apis/{api}/environments/{environment}/revoke"), &[])
                .await;
        assert_eq!(res.status(), 303, "the revoke form was refused");
    }
}

/// The `@GATEWAY_CREDENTIAL@` of a gateway: what follows "Basic ".
fn basic_credentials(client: &Client) -> String {
    client.basic().trim_start_matches("Basic ").to_string()
}

fn www_authenticate(res: &reqwest::Response) -> Vec<String> {
    res.headers().get_all("www-authenticate").iter().map(|v| v.to_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn a_granted_call_reaches_the_upstream_and_every_other_call_is_refused_by_nginx() {
    let w = world().await;
    let nginx = w.gateway().await;
    let production = token(&w.app, &w.production).await;
    let (_, answer) = introspect(&w.app, &w.gateway, &production).await;
    let partner_code = answer["partner"]["partner_id"].as_str().unwrap().to_string();
    assert!(partner_code.starts_with("PRT-"), "{answer}");

    // Granted: API One in Production, on Production's host. Whatever the client claims to be
    // is replaced by what the portal found.
    let res = nginx
        .send(
            reqwest::Method::GET,
            PRODUCTION,
            "/one/v1/orders?page=2",
            Some(&production),
            &[("X-Partner-Id", "PRT-SPOOF1")],
            "",
        )
        .await;
    assert_eq!(res.status(), 200, "{}", nginx.log());
    let body: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(body["path"], "/one/v1/orders?page=2");
    assert_eq!(body["partner_id"], partner_code.as_str());
    let seen = w.upstream.last();
    let application_id = answer["application"]["id"].to_string();
    assert_eq!(seen.application_id.as_deref(), Some(application_id.as_str()));
    assert_eq!(seen.environment.as_deref(), Some("Production"));

    // A body goes to the upstream untouched (the check itself gets none).
    let res =
        nginx.send(reqwest::Method::POST, PRODUCTION, "/three/v1/invoices", Some(&production), &[], "{\"n\":1}").await;
    assert_eq!(res.status(), 200);
    let seen = w.upstream.last();
    assert_eq!((seen.method.as_str(), seen.body.as_str()), ("POST", "{\"n\":1}"));
    assert_eq!(seen.partner_id.as_deref(), Some(partner_code.as_str()));

    // Another API: 403 with the check's reason in WWW-Authenticate.
    let res = nginx.get(PRODUCTION, "/two/v1/orders", Some(&production)).await;
    assert_eq!(res.status(), 403);
    assert_eq!(www_authenticate(&res), ["Bearer realm=\"partner-portal\", error=\"insufficient_scope\""]);
    // A path that could reach another API upstream (encoded slashes): refused as well.
    let res = nginx.get(PRODUCTION, "/one/v1/..%2F..%2Ftwo/v1/orders", Some(&production)).await;
    assert_eq!(res.status(), 403);

    // Another environment, by host: API One is granted in Development too, but this token
    // is Production's.
    for host in [DEVELOPMENT, STAGING] {
        let res = nginx.get(host, "/one/v1/orders", Some(&production)).await;
        assert_eq!(res.status(), 403, "{host}");
    }

    // No token, a garbage token: 401, one WWW-Authenticate each.
    let res = nginx.get(PRODUCTION, "/one/v1/orders", None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(www_authenticate(&res), ["Bearer realm=\"partner-portal\""]);
    let res = nginx.get(PRODUCTION, "/one/v1/orders", Some("not-a-token")).await;
    assert_eq!(res.status(), 401);
    assert_eq!(www_authenticate(&res), ["Bearer realm=\"partner-portal\", error=\"invalid_token\""]);

    // Neither an unknown host nor the check location itself leads anywhere.
    assert_eq!(nginx.get("evil.example.com", "/one/v1/orders", Some(&production)).await.status(), 404);
    assert_eq!(nginx.get(PRODUCTION, "/_partner_portal/check", Some(&production)).await.status(), 404);

    // The Development token on Development's host.
    let development = token(&w.app, &w.development).await;
    let res = nginx.get(DEVELOPMENT, "/one/v1/orders", Some(&development)).await;
    assert_eq!(res.status(), 200);
    assert_eq!(w.upstream.last().environment.as_deref(), Some("Development"));

    assert_eq!(
        w.upstream.uris(),
        ["/one/v1/orders?page=2", "/three/v1/invoices", "/one/v1/orders"],
        "the upstream saw only the granted calls"
    );
}

#[tokio::test]
async fn withdrawing_a_grant_or_revoking_the_credentials_refuses_the_very_next_call() {
    let w = world().await;
    let nginx = w.gateway().await;
    let [one, _, three] = w.ids.apis[..] else { panic!("three APIs") };
    let [development_env, _, production_env] = w.ids.environments[..] else { panic!("three environments") };
    let development = token(&w.app, &w.development).await;
    let production = token(&w.app, &w.production).await;

    assert_eq!(nginx.get(DEVELOPMENT, "/one/v1/a", Some(&development)).await.status(), 200);
    assert_eq!(nginx.get(PRODUCTION, "/three/v1/b", Some(&production)).await.status(), 200);

    // API One was the Development token's only API: the token is no longer active.
    println!("GATEWAY: -- the enterprise revokes API One in Development (the partner's APIs tab)");
    w.revoke_grant(one, development_env).await;
    let res = nginx.get(DEVELOPMENT, "/one/v1/a", Some(&development)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(www_authenticate(&res), ["Bearer realm=\"partner-portal\", error=\"invalid_token\""]);

    // The Production token keeps API One when API Three is withdrawn.
    println!("GATEWAY: -- the enterprise revokes API Three in Production");
    w.revoke_grant(three, production_env).await;
    assert_eq!(nginx.get(PRODUCTION, "/three/v1/b", Some(&production)).await.status(), 403);
    assert_eq!(nginx.get(PRODUCTION, "/one/v1/c", Some(&production)).await.status(), 200);

    // Revoked credentials: every token they obtained stops at once.
    println!("GATEWAY: -- the partner revokes its Production credentials");
    applications::revoke_credential(&mut w.app.conn(), w.app.enterprise_id(), w.production_id).unwrap();
    assert_eq!(nginx.get(PRODUCTION, "/one/v1/d", Some(&production)).await.status(), 401);

    assert_eq!(w.upstream.uris(), ["/one/v1/a", "/three/v1/b", "/one/v1/c"]);
}

#[tokio::test]
async fn a_wrong_gateway_credential_or_an_unreachable_portal_fails_closed() {
    let w = world().await;
    let production = token(&w.app, &w.production).await;

    let portal = w.portal();
    let wrong = Client { client_id: w.gateway.client_id.clone(), secret: format!("{}x", w.gateway.secret) };
    let nginx = Nginx::start(&Placeholders {
        portal: &portal,
        upstream: &w.upstream.address,
        credential: basic_credentials(&wrong),
    })
    .await;
    println!("GATEWAY: -- nginx configured with a wrong gateway secret");
    let res = nginx.get(PRODUCTION, "/one/v1/orders", Some(&production)).await;
    assert_eq!(res.status(), 500);
    assert!(
        nginx.log().contains("auth request unexpected status: 407"),
        "the operator reads why in nginx's error log:\n{}",
        nginx.log()
    );

    // Nothing listens on this port any more.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let nowhere = Nginx::start(&Placeholders {
        portal: &closed,
        upstream: &w.upstream.address,
        credential: basic_credentials(&w.gateway),
    })
    .await;
    println!("GATEWAY: -- nginx pointed at a portal address where nothing listens");
    assert_eq!(nowhere.get(PRODUCTION, "/one/v1/orders", Some(&production)).await.status(), 500);

    assert!(w.upstream.uris().is_empty(), "the upstream saw {:?}", w.upstream.uris());
}
