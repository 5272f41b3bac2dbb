//! Static files under versioned URLs, so that browsers (and any cache in between) keep them
//! for a year and still fetch a new stylesheet the moment it changes.
//!
//! At start-up [`init`] reads every file of `STATIC_DIR` once and keeps a short hash of its
//! content; templates write `{{ crate::assets::url("css/app.css") }}`, which gives
//! `/static/css/app.css?v=<hash>`. [`service`] serves the directory:
//! - `?v=` naming the file's current content: `public, max-age=31536000, immutable`;
//! - no `?v=` (old bookmarks, emails) or a `?v=` of another version (a page rendered by an
//!   instance that still runs the previous release): the current file with a short
//!   `public, max-age=300`, so nothing stale is pinned for a year;
//! - errors (404) keep the portal's `no-store`.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use actix_web::{
    body::MessageBody,
    dev::{HttpServiceFactory, ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::{from_fn, Next},
    web, Error,
};
use sha2::{Digest, Sha256};

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const SHORT: &str = "public, max-age=300";

/// Path relative to the static directory (with `/`) → short content hash.
static VERSIONS: OnceLock<HashMap<String, String>> = OnceLock::new();

/// Hashes every file under `dir`, once per process (later calls keep the first answer: the
/// tests start many portals on the same directory).
pub fn init(dir: &Path) {
    VERSIONS.get_or_init(|| {
        let mut versions = HashMap::new();
        hash_dir(dir, dir, &mut versions);
        versions
    });
}

fn hash_dir(root: &Path, dir: &Path, into: &mut HashMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "static directory cannot be read; assets are served unversioned");
        return;
    };
    for entry in entries.flatten() {
        let path: PathBuf = entry.path();
        if path.is_dir() {
            hash_dir(root, &path, into);
        } else if let (Ok(bytes), Ok(relative)) = (std::fs::read(&path), path.strip_prefix(root)) {
            let key = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            into.insert(key, version_of(&bytes));
        }
    }
}

/// The first 12 hex digits of the content's SHA-256.
pub fn version_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..6])
}

/// The URL of a static file, versioned when its content is known (`path` without `/static/`).
pub fn url(path: &str) -> String {
    match VERSIONS.get().and_then(|v| v.get(path)) {
        Some(version) => format!("/static/{path}?v={version}"),
        None => format!("/static/{path}"),
    }
}

/// `/static`: the files of `dir`, with the cache headers described above.
pub fn service(dir: &str) -> impl HttpServiceFactory {
    web::scope("/static")
        .wrap(from_fn(cache_headers))
        .service(actix_files::Files::new("", dir).use_etag(true).use_last_modified(true))
}

async fn cache_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let relative = req.path().strip_prefix("/static/").unwrap_or_default().to_string();
    let asked =
        web::Query::<HashMap<String, String>>::from_query(req.query_string()).ok().and_then(|q| q.0.get("v").cloned());
    let mut res = next.call(req).await?;
    let status = res.status();
    if status.is_success() || status == actix_web::http::StatusCode::NOT_MODIFIED {
        let current = VERSIONS.get().and_then(|v| v.get(&relative));
        let value = match (asked, current) {
            (Some(asked), Some(current)) if &asked == current => IMMUTABLE,
            _ => SHORT,
        };
        res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_twelve_hex_digits_and_follows_the_content() {
        let v = version_of(b"body { color: red }");
        assert_eq!(v.len(), 12);
        assert!(v.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(v, version_of(b"body { color: blue }"));
    }
}
