//! Static files under versioned URLs (a year, immutable) and unversioned ones (a short
//! max-age), and compression of pages and assets as the client accepts it.

use std::io::Read;

use reqwest::{header, StatusCode};

use crate::helpers::{TestApp, PASSWORD};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

fn stylesheet_href(html: &str) -> String {
    let start = html.find("rel=\"stylesheet\" href=\"").expect("a stylesheet link") + 23;
    html[start..].split('"').next().unwrap().replace("&#38;", "&")
}

#[tokio::test]
async fn pages_link_the_stylesheet_by_version_and_that_url_is_cached_for_a_year() {
    let app = TestApp::spawn().await;
    let login = app.get("/login").await.text().await.unwrap();
    let href = stylesheet_href(&login);
    let on_disk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/static/css/app.css")).unwrap();
    assert_eq!(href, format!("/static/css/app.css?v={}", partner_portal::assets::version_of(&on_disk)));

    let r = app.get(&href).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get(header::CACHE_CONTROL).unwrap(), IMMUTABLE);
    assert_eq!(r.bytes().await.unwrap().as_ref(), on_disk.as_slice());

    let (_, not_found) = app.get_html("/no/such/page").await;
    assert_eq!(stylesheet_href(&not_found), href, "error pages use the same versioned URL");
}

#[tokio::test]
async fn unversioned_and_outdated_urls_still_work_with_a_short_max_age() {
    let app = TestApp::spawn().await;
    for path in ["/static/css/app.css", "/static/css/app.css?v=0123456789ab", "/static/img/favicon.svg"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers().get(header::CACHE_CONTROL).unwrap(), "public, max-age=300", "{path}");
    }
    let missing = app.get("/static/css/nothing.css?v=0123456789ab").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(missing.headers().get(header::CACHE_CONTROL).unwrap(), "no-store", "a 404 is not cached");
}

#[tokio::test]
async fn pages_behind_login_stay_no_store() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    app.login("erin@acme.example", PASSWORD).await;
    let page = app.get("/settings/partners").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");
}

async fn fetch(app: &TestApp, path: &str, accept_encoding: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(encoding) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encoding);
    }
    request.send().await.unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

#[tokio::test]
async fn a_page_and_the_stylesheet_are_gzipped_when_the_client_accepts_it_and_only_then() {
    let app = TestApp::spawn().with_enterprise_admin().await;
    app.login("erin@acme.example", PASSWORD).await;
    for path in ["/settings/partners", "/static/css/app.css"] {
        let plain = fetch(&app, path, None).await;
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none(), "{path}: not compressed unasked");
        let plain = plain.bytes().await.unwrap();

        let gzipped = fetch(&app, path, Some("gzip")).await;
        assert_eq!(gzipped.status(), StatusCode::OK, "{path}");
        assert_eq!(gzipped.headers().get(header::CONTENT_ENCODING).unwrap(), "gzip", "{path}");
        assert!(gzipped.headers().get(header::VARY).unwrap().to_str().unwrap().contains("accept-encoding"));
        let body = gzipped.bytes().await.unwrap();
        assert!(body.len() < plain.len() / 2, "{path}: {} bytes gzipped, {} plain", body.len(), plain.len());
        assert_eq!(gunzip(&body), plain.as_ref(), "{path}: the same content once unzipped");
    }
}

#[tokio::test]
async fn brotli_is_chosen_when_preferred() {
    let app = TestApp::spawn().await;
    let r = fetch(&app, "/login", Some("br, gzip;q=0.5")).await;
    assert_eq!(r.headers().get(header::CONTENT_ENCODING).unwrap(), "br");
}
