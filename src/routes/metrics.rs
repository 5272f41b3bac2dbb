//! `GET /metrics` (Prometheus text, see `monitoring`): on the main port only with
//! `METRICS_TOKEN`, to `Authorization: Bearer <token>`; on `METRICS_ADDR`'s own listener
//! without authentication (that address is meant to be reachable by the scraper only).

use actix_web::{
    http::{header, StatusCode},
    web, HttpRequest, HttpResponse,
};
use subtle::ConstantTimeEq;

use crate::{error::AppError, monitoring, render::error_page, state::AppState};

const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// On the main port: 404 unless `METRICS_TOKEN` is set, then 401 without that bearer token.
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Some(token) = &state.settings.metrics.token else {
        return Err(AppError::NotFound);
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(given.trim().as_bytes().ct_eq(token.expose().as_bytes())) {
        let mut page = error_page(
            StatusCode::UNAUTHORIZED,
            "Metrics need a token",
            "Send the metrics token as Authorization: Bearer <token>.",
        );
        page.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        return Ok(page);
    }
    answer(&state).await
}

/// On `METRICS_ADDR`'s listener.
pub async fn metrics_listener(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    answer(&state).await
}

async fn answer(state: &AppState) -> Result<HttpResponse, AppError> {
    let text = monitoring::render(state).await.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().content_type(PROMETHEUS_TEXT).insert_header((header::CACHE_CONTROL, "no-store")).body(text))
}
