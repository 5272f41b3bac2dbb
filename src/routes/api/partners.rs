//! Partners: `GET /api/v1/partners` (cursor pages, the list's filters) and
//! `GET /api/v1/partners/{id}` for a token with `partners:read`, one statement each, reading
//! the summaries the partners list reads (domains, counts, Partner ID); and, with
//! `partners:write`, the wizard in one call (`POST /api/v1/partners`), renaming
//! (`PATCH /api/v1/partners/{id}`) and deactivation (`POST /api/v1/partners/{id}/deactivate`),
//! each through the function the pages use.

use actix_web::{web, HttpRequest, HttpResponse};
use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};

use super::{
    json, parse_body, path_id, run_as,
    writes::{run_write, Answer, Idempotency},
    Bearer, FieldError, Problem,
};
use crate::{
    db::{
        self,
        registration::{self, RegisterError},
    },
    domain::{
        new_partner::{self, NewPartner, PartnerInput},
        EnterpriseId, PartnerId, PartnerName, PartnerStatus,
    },
    error::AppError,
    routes::partners::{deactivate, info_form, page::edit},
    state::AppState,
};

const SCOPE: &str = "partners:read";
const WRITE: &str = "partners:write";
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

/// A partnership's status: `applied` is a partner invited to apply (SPEC §12) whose application
/// waits to be submitted or approved. Only the OpenAPI document uses this type.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum StatusValue {
    Requested,
    Invited,
    Applied,
    Active,
    Deactivated,
    Declined,
}

/// A partner as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerJson {
    id: i64,
    name: String,
    /// requested, invited, applied, active, deactivated or declined.
    #[schema(value_type = StatusValue)]
    status: String,
    /// The partner organisation's Partner ID (SPEC §11).
    partner_code: String,
    domains: Vec<String>,
    product_count: i32,
    api_count: i32,
    /// The account administrator's address (invited, or accepted).
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

/// A page of partners.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PartnerPage {
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

#[utoipa::path(
    get, path = "/api/v1/partners", tag = "Partners", operation_id = "listPartners",
    summary = "List partners",
    description = "The enterprise's partners, oldest first, a page at a time.",
    params(
        ("status" = Option<String>, Query, description = "requested, invited, applied, active, deactivated or declined"),
        ("q" = Option<String>, Query, description = "Part of the partner's name"),
        ("limit" = Option<i64>, Query, description = "Partners per page, 1 to 100 (25)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of partners", body = PartnerPage),
        (status = 400, description = "A parameter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks partners:read", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Over the token's rate limit", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:read"]))
)]
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
                    message: "Use one of requested, invited, applied, active, deactivated, declined.".into(),
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
    Ok(json(&PartnerPage { data: rows.into_iter().map(PartnerJson::from).collect(), next_cursor }))
}

/// The partner `id` of the enterprise, as the API shows it.
pub fn find(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: PartnerId) -> QueryResult<Option<PartnerJson>> {
    let row: Option<Row> = db::static_query(select!("WHERE p.enterprise_id = $1 AND p.id = $2"))
        .bind::<BigInt, _>(enterprise_id)
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .optional()?;
    Ok(row.map(PartnerJson::from))
}

/// The partner as it is now, for a write's answer (it was just changed, so it exists).
fn answer(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: PartnerId) -> Result<PartnerJson, AppError> {
    find(conn, enterprise_id, id)?.ok_or(AppError::NotFound)
}

#[utoipa::path(
    get, path = "/api/v1/partners/{id}", tag = "Partners", operation_id = "readPartner",
    summary = "Read a partner",
    params(("id" = i64, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "The partner", body = PartnerJson),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:read"]))
)]
pub async fn read(
    bearer: Bearer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path_id(&path);
    let partner = run_as(&state, bearer, SCOPE, move |conn, caller| {
        // Authenticated first: an unknown token learns nothing, not even "no such id".
        let Some(id) = id else { return Ok(Ok(None)) };
        Ok(Ok(find(conn, caller.enterprise_id, PartnerId::new(id))?))
    })
    .await?;
    Ok(json(&partner.ok_or_else(Problem::not_found)?))
}

/// The wizard's three steps in one body.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewPartnerJson {
    /// Partner name (1–100 characters).
    name: String,
    /// Its email domains, at least one (e.g. globex.com).
    domains: Vec<String>,
    administrator: PersonJson,
}

/// A person to invite.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PersonJson {
    first_name: String,
    surname: String,
    /// An address in one of the partner's domains.
    email: String,
    /// Personal note: optional plain text (at most 1,000 characters, line breaks kept) shown
    /// in the invitation email. Omitted, null or blank: no note.
    #[serde(default)]
    #[schema(max_length = 1000)]
    note: Option<String>,
}

#[utoipa::path(
    post, path = "/api/v1/partners", tag = "Partners", operation_id = "createPartner",
    summary = "Register a partner",
    description = "The Register partners wizard in one call: the partner, its domains and its account \
administrator, who is emailed an invitation (with `administrator.note` as its Personal note). Same rules and messages as the wizard; the partner \
limit holds under concurrent calls. Send an Idempotency-Key to retry safely.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, e.g. a UUID; a retry with it gets the first answer")),
    request_body = NewPartnerJson,
    responses(
        (status = 201, description = "Registered; Location is the partner", body = PartnerJson),
        (status = 400, description = "The body is not the JSON described", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The partner limit is reached", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; errors name each", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:write"]))
)]
pub async fn create(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &body)?;
    let settings = state.settings.clone();
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let input: NewPartnerJson = or_refuse!(parse_body(&body));
        let new = NewPartner::check(&PartnerInput {
            name: &input.name,
            domains: &input.domains,
            first_name: &input.administrator.first_name,
            surname: &input.administrator.surname,
            email: &input.administrator.email,
        });
        let note = crate::domain::PersonalNote::parse(input.administrator.note.as_deref().unwrap_or_default());
        let new = match (new, note) {
            (Ok(new), Ok(note)) => (new, note),
            (new, note) => {
                let mut errors = new.err().map(FieldError::list).unwrap_or_default();
                if let Err(e) = note {
                    errors.push(FieldError { field: "administrator.note".into(), message: e.to_string() });
                }
                return Ok(Err(Problem::unprocessable(errors)));
            }
        };
        let (new, note) = new;
        let extras = registration::Extras { group: None, note: note.as_ref().map(|n| n.as_str()), status: None };
        let delivery = registration::InvitationDelivery::Send;
        let created = match registration::create_with(conn, &settings, actor, &new, None, delivery, &extras) {
            Ok(created) => created,
            Err(RegisterError::App(e)) => return Err(e),
            Err(e @ RegisterError::LimitReached(_)) => return Ok(Err(Problem::conflict(e.to_string()))),
            Err(RegisterError::NameTaken(name)) => {
                return Ok(Err(Problem::field("name", new_partner::name_taken(&name))));
            }
            Err(e @ RegisterError::DomainsTaken(_)) => return Ok(Err(Problem::field("domains", e.to_string()))),
            Err(RegisterError::NotFound | RegisterError::Incomplete(_)) => return Err(AppError::NotFound),
        };
        let partner = answer(conn, actor.caller.enterprise_id, created.partner_id)?;
        let location = format!("/api/v1/partners/{}", created.partner_id);
        Ok(Ok(Answer::created(location, &partner)))
    })
    .await
}

/// What may change about a partner.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct PartnerChangeJson {
    /// The new name.
    name: String,
}

#[utoipa::path(
    patch, path = "/api/v1/partners/{id}", tag = "Partners", operation_id = "renamePartner",
    summary = "Rename a partner",
    params(("id" = i64, Path, description = "The partner's id")),
    request_body = PartnerChangeJson,
    responses(
        (status = 200, description = "Saved", body = PartnerJson),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The partner is deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The name breaks a rule", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:write"]))
)]
pub async fn update(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &body)?;
    let id = path_id(&path);
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let Some(id) = id.map(PartnerId::new) else { return Ok(Err(Problem::not_found())) };
        let change: PartnerChangeJson = or_refuse!(parse_body(&body));
        let input = info_form::InfoInput {
            name: PartnerName::parse(&change.name).map_err(|e| e.to_string()),
            name_raw: change.name,
            logo: Ok(info_form::LogoChange::Keep),
        };
        match edit::apply(conn, actor, id, input)? {
            edit::Outcome::Saved => Ok(Ok(Answer::ok(&answer(conn, actor.caller.enterprise_id, id)?))),
            edit::Outcome::Invalid { name_error, .. } => {
                Ok(Err(Problem::field("name", name_error.unwrap_or_else(|| "Check the name.".into()))))
            }
        }
    })
    .await
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/deactivate", tag = "Partners", operation_id = "deactivatePartner",
    summary = "Deactivate a partner",
    description = "Delete partner's deactivation: its people can no longer log in, pending invitations are \
revoked and its domains are released. Refused while it still has API access.",
    params(("id" = i64, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "Deactivated", body = PartnerJson),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already deactivated, or it still has API access", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:write"]))
)]
pub async fn deactivate(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &[])?;
    let id = path_id(&path);
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let Some(id) = id.map(PartnerId::new) else { return Ok(Err(Problem::not_found())) };
        match deactivate::deactivate_tx(conn, actor, id, None)? {
            deactivate::Outcome::Deactivated { .. } => {
                Ok(Ok(Answer::ok(&answer(conn, actor.caller.enterprise_id, id)?)))
            }
            deactivate::Outcome::Refused(status, refusal) => Ok(Err(Problem::status(
                status,
                refusal.page_error.or(refusal.confirm_error).unwrap_or_else(|| "Nothing was changed.".into()),
            ))),
        }
    })
    .await
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
