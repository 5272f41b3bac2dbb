//! Operating the portal: `/metrics` (Prometheus text, on the main port behind a token or on a
//! listener of its own), `LOG_FORMAT=json` from the real binary, and `X-Request-Id`.

use std::{
    io::{BufRead, BufReader},
    net::TcpListener,
    process::{Command, Stdio},
};

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    fixtures::{grant_api, seed_catalog, PartnerFixture},
    helpers::{TestApp, TestDatabase},
    page::Page,
};

const TOKEN: &str = "metrics-token-0123456789";

/// The Prometheus project's own parser (PyPI `prometheus-client`, which ./scripts/test installs
/// in .tools/prometheus): every sample as `{family, type, name, labels, value}`. It raises on
/// anything that is not valid exposition text.
const PARSER: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "help": family.documentation,
                    "name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

fn parse(text: &str) -> Vec<Value> {
    use std::io::Write;
    let python = std::env::var("PROMETHEUS_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/python/bin/python").to_string());
    let mut child = Command::new(&python)
        .args(["-c", PARSER])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("\n\nMETRICS: cannot run {python}: {e}; ./scripts/test installs it\n"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "not Prometheus text: {}\n{text}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// The samples named `name` whose labels include all of `labels`.
fn samples<'a>(scrape: &'a [Value], name: &str, labels: &[(&str, &str)]) -> Vec<&'a Value> {
    scrape.iter().filter(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][k] == *v)).collect()
}

/// The value of the one sample named `name` with `labels`, if there is one.
fn value(scrape: &[Value], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples(scrape, name, labels).first().and_then(|s| s["value"].as_f64())
}

fn family_type<'a>(scrape: &'a [Value], family: &str) -> Option<&'a str> {
    scrape.iter().find(|s| s["family"] == family).and_then(|s| s["type"].as_str())
}

fn request_id(r: &reqwest::Response) -> String {
    r.headers().get("x-request-id").expect("an X-Request-Id header").to_str().unwrap().to_string()
}

async fn scrape(client: &reqwest::Client, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = client.get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn without_settings_metrics_are_not_found() {
    let app = TestApp::spawn().await;

    let r = app.get("/metrics").await;

    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_on_the_main_port_need_the_token_and_count_requests_by_route_pattern() {
    let app = TestApp::spawn()
        .env("METRICS_TOKEN", TOKEN)
        .with_partner(PartnerFixture::new("Globex").domains(["globex.example"]).active())
        .logged_in_as_enterprise_admin()
        .await;
    let partner = app.partners[0].id;
    let url = format!("{}/metrics", app.address);
    assert_eq!(app.get(&format!("/settings/partners/{partner}")).await.status(), StatusCode::OK);

    let none = scrape(&app.client, &url, None).await;
    let wrong = scrape(&app.client, &url, Some("metrics-token-wrong-wrong")).await;
    let right = scrape(&app.client, &url, Some(TOKEN)).await;

    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(right.status(), StatusCode::OK);
    assert!(right.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = right.text().await.unwrap();
    let metrics = parse(&text);
    let page = [("route", "/settings/partners/{id}"), ("method", "GET")];
    let counted = value(&metrics, "http_requests_total", &[page[0], page[1], ("status", "200")]);
    assert!(counted.is_some_and(|n| n >= 1.0), "the partner page is counted under its pattern: {counted:?}\n{text}");
    assert_eq!(family_type(&metrics, "http_request_duration_seconds"), Some("histogram"));
    let buckets = samples(&metrics, "http_request_duration_seconds_bucket", &page);
    assert!(buckets.len() > 5, "{buckets:?}");
    assert!(value(&metrics, "http_request_duration_seconds_bucket", &[page[0], page[1], ("le", "+Inf")]) >= Some(1.0));
    assert!(value(&metrics, "http_request_duration_seconds_count", &page) >= Some(1.0));
    assert!(
        !metrics.iter().any(|s| s["labels"]["route"].as_str().is_some_and(|r| r.contains(&partner.to_string()))),
        "no raw path with its id is a label"
    );
    assert!(value(&metrics, "db_statements_total", &[]) > Some(0.0));
    assert_eq!(family_type(&metrics, "db_pool_wait_seconds"), Some("histogram"));
    assert!(value(&metrics, "db_pool_wait_seconds_count", &[]) > Some(0.0));
    for gauge in ["email_outbox_pending", "email_outbox_oldest_pending_age_seconds", "password_hash_queue_length"] {
        assert_eq!(family_type(&metrics, gauge), Some("gauge"), "{gauge}");
    }
    let help = metrics.iter().find(|s| s["family"] == "http_requests").map(|s| s["help"].clone());
    assert!(help.is_some_and(|h| h.as_str().is_some_and(|h| h.contains("route pattern"))), "with its HELP text");
}

#[tokio::test]
async fn a_metrics_listener_serves_without_a_token_and_the_main_port_keeps_metrics_hidden() {
    let app = TestApp::spawn().env("METRICS_ADDR", "127.0.0.1:0").await;
    let metrics = app.metrics_address.clone().expect("the metrics listener's address");
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);

    let own = scrape(&app.client, &format!("{metrics}/metrics"), None).await;
    let main = app.get("/metrics").await;
    let other = scrape(&app.client, &format!("{metrics}/login"), None).await;

    assert_eq!(own.status(), StatusCode::OK);
    let parsed = parse(&own.text().await.unwrap());
    let login = [("route", "/login"), ("method", "GET"), ("status", "200")];
    assert!(value(&parsed, "http_requests_total", &login) >= Some(1.0));
    assert_eq!(main.status(), StatusCode::NOT_FOUND, "no token: the main port has no /metrics");
    assert_eq!(other.status(), StatusCode::NOT_FOUND, "the metrics listener serves nothing else");
}

#[tokio::test]
async fn throttled_logins_are_counted() {
    let app = TestApp::spawn().env("METRICS_TOKEN", TOKEN).await;
    let url = format!("{}/metrics", app.address);
    let throttled = |scrape: &[Value]| value(scrape, "logins_throttled_total", &[]).unwrap_or(0.0);
    let before = throttled(&parse(&scrape(&app.client, &url, Some(TOKEN)).await.text().await.unwrap()));
    for _ in 0..5 {
        app.login("nobody@acme.example", "wrong password").await;
    }

    let refused = app.login("nobody@acme.example", "wrong password").await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let after = throttled(&parse(&scrape(&app.client, &url, Some(TOKEN)).await.text().await.unwrap()));
    assert!(after > before, "{after} > {before}");
}

#[tokio::test]
async fn introspection_cache_hits_and_misses_are_counted() {
    use crate::oauth_kit::{introspect, request_token, seed_application, seed_credentials, seed_gateway};
    let app = TestApp::spawn()
        .env("METRICS_TOKEN", TOKEN)
        .with_partner(PartnerFixture::new("Globex").domains(["globex.example"]).active())
        .await;
    let (enterprise, partner, admin) = (app.enterprise_id(), app.partner_id(), app.admin_id());
    let catalog = seed_catalog(&mut app.conn(), enterprise);
    grant_api(&mut app.conn(), partner, catalog.apis[0], catalog.environments[0]);
    let application = seed_application(&app, enterprise, partner, "Sync", admin);
    let (_, client) = seed_credentials(&app, enterprise, application, catalog.environments[0], admin);
    let gateway = seed_gateway(&app, enterprise, admin);
    let token = request_token(&app, &client, &[]).await.1["access_token"].as_str().unwrap().to_string();
    let url = format!("{}/metrics", app.address);
    let counts = |scrape: &[Value]| {
        let of = |result| value(scrape, "introspection_cache_lookups_total", &[("result", result)]).unwrap_or(0.0);
        (of("hit"), of("miss"))
    };
    let (hits, misses) = counts(&parse(&scrape(&app.client, &url, Some(TOKEN)).await.text().await.unwrap()));

    assert_eq!(introspect(&app, &gateway, &token).await.1["active"], true);
    let (hits_1, misses_1) = counts(&parse(&scrape(&app.client, &url, Some(TOKEN)).await.text().await.unwrap()));
    assert_eq!(introspect(&app, &gateway, &token).await.1["active"], true);
    let (hits_2, _) = counts(&parse(&scrape(&app.client, &url, Some(TOKEN)).await.text().await.unwrap()));

    assert!(misses_1 > misses, "the first check is a miss: {misses_1} > {misses}");
    assert!(hits_2 > hits_1.max(hits), "the second is a hit: {hits_2} > {hits_1}");
}

#[tokio::test]
async fn every_response_has_its_own_request_id_and_error_pages_show_it() {
    let app = TestApp::spawn().await;

    let ok = app.get("/login").await;
    let missing = app.get("/no/such/page").await;
    let (ok_id, missing_id) = (request_id(&ok), request_id(&missing));

    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_ne!(ok_id, missing_id, "each request has its own id");
    let page = Page::from_html(&missing.text().await.unwrap());
    assert_eq!(page.text("code.request-id").as_deref(), Some(missing_id.as_str()), "quoted on the page");
    let again = app.get("/no/such/page").await;
    assert_ne!(request_id(&again), missing_id);
    let probe = app.get("/healthz").await;
    assert!(!request_id(&probe).is_empty());
}

#[tokio::test]
async fn a_request_id_from_the_trusted_proxy_is_kept_and_anyone_elses_is_replaced() {
    let trusted = TestApp::spawn().env("TRUSTED_PROXY", "127.0.0.1").await;
    let untrusted = TestApp::spawn().await;
    let send = |app: &TestApp, id: &str| {
        app.client.get(format!("{}/no/such/page", app.address)).header("x-request-id", id).send()
    };

    let kept = send(&trusted, "lb-7f3a.42").await.unwrap();
    let odd = send(&trusted, "<script>").await.unwrap();
    let replaced = send(&untrusted, "lb-7f3a.42").await.unwrap();

    assert_eq!(request_id(&kept), "lb-7f3a.42");
    assert!(Page::from_html(&kept.text().await.unwrap()).contains("lb-7f3a.42"));
    assert_ne!(request_id(&odd), "<script>");
    assert!(!request_id(&odd).is_empty());
    assert_ne!(request_id(&replaced), "lb-7f3a.42", "only the trusted proxy chooses ids");
}

/// Kills the portal (SIGTERM, a graceful stop) when the test ends, even on failure.
struct Portal(std::process::Child);

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_requests_status_and_id() {
    let db = TestDatabase::create();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("APP_ENV", "development")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut portal = Portal(child);
    let mut lines = BufReader::new(portal.0.stdout.take().unwrap()).lines();
    // The portal says when it listens; every line up to then must be JSON too.
    let mut seen = Vec::new();
    loop {
        let line = lines.next().expect("the portal logs until it listens").unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let listening = value["fields"]["message"] == "Partner Portal is listening";
        seen.push(value);
        if listening {
            break;
        }
    }

    let r = reqwest::get(format!("http://127.0.0.1:{port}/no/such/page")).await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let id = request_id(&r);
    let found = loop {
        let line = lines.next().expect("the request's line").unwrap();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if value["span"]["request_id"] == id.as_str() && value["fields"]["message"] == "request finished" {
            break value;
        }
        seen.push(value);
    };

    assert_eq!(found["fields"]["status"], 404, "{found}");
    assert_eq!(found["span"]["path"], "/no/such/page");
    assert_eq!(found["span"]["method"], "GET");
    assert_eq!(found["level"], "INFO");
    assert!(found["timestamp"].is_string());
    assert!(seen.iter().all(|v| v.is_object()));
}

#[test]
fn an_unknown_log_format_stops_start_up_with_one_line_naming_the_variable() {
    let db = TestDatabase::create();
    let out = Command::new(env!("CARGO_BIN_EXE_partner-portal"))
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("APP_ENV", "development")
        .env("LOG_FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("LOG_FORMAT"), "{stderr}");
}
