//! `/healthz` (the process answers) and `/readyz` (the database answers, schema applied).

use std::sync::atomic::Ordering;

use actix_web::{web, HttpResponse};

use crate::{db, error::AppError, state::AppState};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !state.schema_ready.load(Ordering::Relaxed) {
        return Err(AppError::DatabaseUnavailable);
    }
    db::run(&state.pool, db::ping).await?;
    Ok(HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ready"))
}
