//! `GET /api/v1/partners` (cursor pages, the list's filters) and `GET /api/v1/partners/{id}`:
//! the enterprise's partners as JSON, for a token with `partners:read`. One statement each,
//! reading the summaries the partners list reads (domains, counts, Partner ID).

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};

use super::{json, run_as, Bearer, FieldError, Problem};
use crate::{
    db,
    domain::{PartnerId, PartnerStatus},
    state::AppState,
};

const SCOPE: &str = "partners:read";
const LIMIT_DEFAULT: i64 = 25;
const LIMIT_MAX: i64 = 100;

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    partner_code: String,
    #[diesel(sql_type = Text)]
    domains: String,
    #[diesel(sql_type = Integer)]
    product_count: i32,
    #[diesel(sql_type = Integer)]
    api_count: i32,
    #[diesel(sql_type = Nullable<Text>)]
    admin_email: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

/// A partner as the API shows it.
#[derive(Serialize)]
struct PartnerJson {
    id: i64,
    name: String,
    status: String,
    partner_code: String,
    domains: Vec<String>,
    product_count: i32,
    api_count: i32,
    administrator_email: Option<String>,
    registered_at: DateTime<Utc>,
}

impl From<Row> for PartnerJson {
    fn from(r: Row) -> Self {
        PartnerJson {
            id: r.id,
            name: r.name,
            status: r.status,
            partner_code: r.partner_code,
            domains: r.domains.split(", ").filter(|d| !d.is_empty()).map(str::to_string).collect(),
            product_count: r.product_count,
            api_count: r.api_count,
            administrator_email: r.admin_email,
            registered_at: r.created_at,
        }
    }
}

#[derive(Serialize)]
struct Page {
    data: Vec<PartnerJson>,
    /// Pass as `cursor` for the next page; null on the last one.
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The columns and joins both statements share (spelled out in each: static statements keep
/// their plans cached per connection, a `format!`ted one is planned on every request).
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT p.id, p.name, p.status, COALESCE(s.partner_code, '') AS partner_code,
                    COALESCE(s.domains, '') AS domains, COALESCE(s.product_count, 0) AS product_count,
                    COALESCE(s.api_count, 0) AS api_count, s.admin_email, p.created_at
               FROM partners p LEFT JOIN partner_summaries s ON s.partner_id = p.id ",
            $rest
        )
    };
}

/// An opaque cursor: the last id of the page, so pages hold still while partners are added.
fn encode_cursor(id: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("after:{id}"))
}

fn decode_cursor(raw: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(raw).ok()?;
    String::from_utf8(bytes).ok()?.strip_prefix("after:")?.parse().ok().filter(|&id: &i64| id >= 0)
}

pub async fn list(bearer: Bearer, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, Problem> {
    // Read here rather than by `web::Query`, whose refusals are the pages' HTML 400.
    let query = web::Query::<ListQuery>::from_query(req.query_string())
        .map_err(|e| Problem::invalid(vec![FieldError { field: "query".into(), message: e.to_string() }]))?
        .into_inner();
    let mut errors = Vec::new();
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match s.parse::<PartnerStatus>() {
            Ok(status) => Some(status),
            Err(_) => {
                errors.push(FieldError {
                    field: "status".into(),
                    message: "Use one of requested, invited, active, deactivated, declined.".into(),
                });
                None
            }
        },
    };
    let limit = match query.limit.as_deref() {
        None => LIMIT_DEFAULT,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=LIMIT_MAX).contains(&n) => n,
            _ => {
                errors.push(FieldError {
                    field: "limit".into(),
                    message: format!("Use a whole number from 1 to {LIMIT_MAX}."),
                });
                LIMIT_DEFAULT
            }
        },
    };
    let after = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(raw) => decode_cursor(raw).unwrap_or_else(|| {
            errors.push(FieldError {
                field: "cursor".into(),
                message: "Pass a next_cursor from a previous page.".into(),
            });
            0
        }),
    };
    let q: String = query.q.unwrap_or_default().trim().chars().take(100).collect();
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    let pattern = format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    let mut rows: Vec<Row> = run_as(&state, bearer, SCOPE, move |conn, caller| {
        Ok(Ok(db::static_query(select!(
            "WHERE p.enterprise_id = $1 AND p.id > $2
               AND ($3::text IS NULL OR p.status = $3)
               AND (NOT $4 OR p.name ILIKE $5)
             ORDER BY p.id LIMIT $6"
        ))
        .bind::<BigInt, _>(caller.enterprise_id)
        .bind::<BigInt, _>(after)
        .bind::<Nullable<Text>, _>(status.map(|s| s.as_str()))
        .bind::<Bool, _>(!q.is_empty())
        .bind::<Text, _>(pattern)
        .bind::<BigInt, _>(limit + 1)
        .load(conn)?))
    })
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more { rows.last().map(|r| encode_cursor(r.id)) } else { None };
    Ok(json(&Page { data: rows.into_iter().map(PartnerJson::from).collect(), next_cursor }))
}

pub async fn read(
    bearer: Bearer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id: Option<i64> = path.into_inner().parse().ok().filter(|&id: &i64| id > 0);
    let row: Option<Row> = run_as(&state, bearer, SCOPE, move |conn, caller| {
        // Authenticated first: an unknown token learns nothing, not even "no such id".
        let Some(id) = id else { return Ok(Ok(None)) };
        Ok(Ok(db::static_query(select!("WHERE p.enterprise_id = $1 AND p.id = $2"))
            .bind::<BigInt, _>(caller.enterprise_id)
            .bind::<BigInt, _>(PartnerId::new(id))
            .get_result(conn)
            .optional()?))
    })
    .await?;
    Ok(json(&PartnerJson::from(row.ok_or_else(Problem::not_found)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("not base64 !"), None);
        assert_eq!(decode_cursor(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("after:-3")), None);
    }
}
