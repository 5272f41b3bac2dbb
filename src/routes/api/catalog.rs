//! `GET /api/v1/catalog` (the enterprise's products, APIs and environments, with the ids the
//! grant calls take) and `GET /api/v1/audit-events` (the Activity log, newest first, a page at
//! a time by cursor).

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};

use super::{json, run_as, Bearer, FieldError, Problem};
use crate::{db, state::AppState};

#[derive(Serialize, QueryableByName, utoipa::ToSchema)]
pub struct ProductJson {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    /// Archived products stay with the partners that have them but can't be granted again.
    #[diesel(sql_type = Bool)]
    archived: bool,
}

#[derive(Serialize, QueryableByName, utoipa::ToSchema)]
pub struct ApiJson {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    description: String,
    #[diesel(sql_type = Text)]
    base_path: String,
    #[diesel(sql_type = Bool)]
    archived: bool,
    /// The environments it is offered in.
    #[diesel(sql_type = Array<BigInt>)]
    environment_ids: Vec<i64>,
}

#[derive(Serialize, QueryableByName, utoipa::ToSchema)]
pub struct EnvironmentJson {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    /// A grant here waits for a second Enterprise admin's approval.
    #[diesel(sql_type = Bool)]
    requires_approval: bool,
}

/// The enterprise's catalog.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CatalogJson {
    products: Vec<ProductJson>,
    apis: Vec<ApiJson>,
    /// In the catalog's order.
    environments: Vec<EnvironmentJson>,
}

#[utoipa::path(
    get, path = "/api/v1/catalog", tag = "Catalog", operation_id = "readCatalog",
    summary = "The catalog",
    description = "Products, APIs (with the environments each is offered in) and environments: the ids the grant calls take.",
    responses((status = 200, description = "The catalog", body = CatalogJson)),
    security(("token" = ["partners:read"]))
)]
pub async fn catalog(bearer: Bearer, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let found = run_as(&state, bearer, "partners:read", move |conn, caller| {
        let e = caller.enterprise_id;
        let products = db::static_query(
            "SELECT id, name, description, archived_at IS NOT NULL AS archived FROM products
              WHERE enterprise_id = $1 ORDER BY lower(name), id",
        )
        .bind::<BigInt, _>(e)
        .load::<ProductJson>(conn)?;
        let apis = db::static_query(
            "SELECT a.id, a.name, a.description, a.base_path, a.archived_at IS NOT NULL AS archived,
                    COALESCE(array_agg(ae.environment_id ORDER BY ae.environment_id)
                             FILTER (WHERE ae.environment_id IS NOT NULL), '{}') AS environment_ids
               FROM apis a LEFT JOIN api_environments ae ON ae.api_id = a.id
              WHERE a.enterprise_id = $1 GROUP BY a.id ORDER BY lower(a.name), a.id",
        )
        .bind::<BigInt, _>(e)
        .load::<ApiJson>(conn)?;
        let environments = db::static_query(
            "SELECT id, name, requires_approval FROM environments WHERE enterprise_id = $1 ORDER BY position, id",
        )
        .bind::<BigInt, _>(e)
        .load::<EnvironmentJson>(conn)?;
        Ok(Ok(CatalogJson { products, apis, environments }))
    })
    .await?;
    Ok(json(&found))
}

/// One audit event.
#[derive(Serialize, QueryableByName, utoipa::ToSchema)]
pub struct AuditEventJson {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    /// Who: "Ada Lovelace <ada@acme.example>", "API token CRM sync".
    #[diesel(sql_type = Text)]
    actor: String,
    #[diesel(sql_type = Text)]
    membership: String,
    /// e.g. partner.registered, partner.access_changed.
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    partner_id: Option<i64>,
    #[diesel(sql_type = Jsonb)]
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

/// A page of audit events.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    data: Vec<AuditEventJson>,
    /// Pass as `cursor` for older events; null on the last page.
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<String>,
    cursor: Option<String>,
    partner_id: Option<String>,
}

fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("before:{id}"))
}

fn decode_cursor(raw: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("before:")?.parse().ok().filter(|&id: &i64| id > 0)
}

#[utoipa::path(
    get, path = "/api/v1/audit-events", tag = "Audit", operation_id = "listAuditEvents",
    summary = "Audit events",
    description = "The enterprise's Activity log, newest first.",
    params(
        ("partner_id" = Option<i64>, Query, description = "Only this partner's events"),
        ("limit" = Option<i64>, Query, description = "Events per page, 1 to 100 (50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of events", body = AuditPage),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks audit:read", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["audit:read"]))
)]
pub async fn audit_events(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, Problem> {
    let query = web::Query::<AuditQuery>::from_query(req.query_string())
        .map_err(|e| Problem::invalid(vec![FieldError { field: "query".into(), message: e.to_string() }]))?
        .into_inner();
    let mut errors = Vec::new();
    let limit = match query.limit.as_deref().map(str::parse::<i64>) {
        None => 50,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError { field: "limit".into(), message: "Use a whole number from 1 to 100.".into() });
            50
        }
    };
    let before = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => i64::MAX,
        Some(raw) => decode_cursor(raw).unwrap_or_else(|| {
            errors.push(FieldError {
                field: "cursor".into(),
                message: "Pass a next_cursor from a previous page.".into(),
            });
            0
        }),
    };
    let partner = match query.partner_id.as_deref().filter(|p| !p.is_empty()).map(str::parse::<i64>) {
        None => None,
        Some(Ok(id)) if id > 0 => Some(id),
        Some(_) => {
            errors.push(FieldError { field: "partner_id".into(), message: "Use a partner's id.".into() });
            None
        }
    };
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let mut rows: Vec<AuditEventJson> = run_as(&state, bearer, "audit:read", move |conn, caller| {
        Ok(Ok(db::static_query(
            "SELECT id, created_at AS at, actor_label AS actor, actor_membership AS membership, action, target,
                    partner_id, details
               FROM audit_events
              WHERE enterprise_id = $1 AND id < $2 AND ($3::bigint IS NULL OR partner_id = $3)
              ORDER BY id DESC LIMIT $4",
        )
        .bind::<BigInt, _>(caller.enterprise_id)
        .bind::<BigInt, _>(before)
        .bind::<Nullable<BigInt>, _>(partner)
        .bind::<BigInt, _>(limit + 1)
        .load(conn)?))
    })
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| encode_cursor(r.id)) } else { None };
    Ok(json(&AuditPage { data: rows, next_cursor }))
}
