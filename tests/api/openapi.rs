//! The REST API's OpenAPI 3.1 document (SPEC §14, issue 15 item 3): served at
//! `/api/v1/openapi.json`, valid by an independent validator (the `openapi-spec-validator`
//! PyPI package), naming every route of `/api/v1/`; and the reference page `/api/docs`,
//! which needs no CDN and no script.

use std::process::{Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

use crate::{helpers::TestApp, page::Page};

/// The Python with the test tools that `./scripts/test` installs (TEST_PYTHON).
pub fn test_python() -> String {
    std::env::var("TEST_PYTHON")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.tools/python/bin/python").to_string())
}

const VALIDATE: &str = r#"
import json, sys
from openapi_spec_validator import validate
from openapi_spec_validator.versions.shortcuts import get_spec_version
doc = json.load(sys.stdin)
validate(doc)
print(get_spec_version(doc))
"#;

#[tokio::test]
async fn the_openapi_document_is_valid_3_1_and_names_every_api_route() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("content-type").unwrap(), "application/json");
    let text = r.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);

    // An independent validator.
    use std::io::Write;
    let python = test_python();
    let mut child = Command::new(&python)
        .args(["-c", VALIDATE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("\n\nOPENAPI: cannot run {python}: {e}; ./scripts/test installs it\n"));
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the document is not valid: {}", String::from_utf8_lossy(&out.stderr));
    println!("openapi-spec-validator: valid, {}", String::from_utf8_lossy(&out.stdout).trim());

    // Every route of /api/v1/ (but the document itself) is in it, with its method.
    let paths = doc["paths"].as_object().unwrap();
    let mut missing = Vec::new();
    for (method, path) in partner_portal::routes::API {
        if !path.starts_with("/api/v1/") || *path == "/api/v1/openapi.json" {
            continue;
        }
        if paths.get(*path).and_then(|p| p.get(*method)).is_none() {
            missing.push(format!("{method} {path}"));
        }
    }
    assert!(missing.is_empty(), "not in the document: {missing:?}");
    // And nothing in it that isn't served.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            assert!(
                partner_portal::routes::API.iter().any(|(m, p)| m == method && p == path),
                "documented but not served: {method} {path}"
            );
        }
    }
    assert_eq!(doc["components"]["securitySchemes"]["token"]["scheme"], "bearer");
}

#[tokio::test]
async fn the_reference_page_lists_every_call_without_a_cdn_or_a_script() {
    let app = TestApp::spawn().await;
    let r = reqwest::get(app.url("/api/docs")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = Page::read(r).await;
    assert_eq!(page.text("h1").unwrap().split_whitespace().take(3).collect::<Vec<_>>(), ["Partner", "Portal", "API"]);
    let calls = page.texts(".docs-operation .card-header p");
    assert!(calls.iter().any(|c| c.contains("POST") && c.contains("/api/v1/partners")), "{calls:?}");
    let served = partner_portal::routes::API
        .iter()
        .filter(|(_, p)| p.starts_with("/api/v1/") && *p != "/api/v1/openapi.json")
        .count();
    assert_eq!(calls.len(), served);
    assert!(page.contains("PartnerJson") && page.contains("Idempotency-Key"));
    // Everything it loads is the portal's own.
    for attr in ["script", "link[href^='http']", "img[src^='http']"] {
        assert!(page.texts(attr).is_empty() && !page.contains("<script"), "{attr}");
    }
}
