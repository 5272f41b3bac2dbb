//! A partner's email domains: `GET|POST /api/v1/partners/{id}/domains` and
//! `DELETE /api/v1/partners/{id}/domains/{domain_id}`, by the General tab's rules (the same
//! functions: a domain in use by a pending invitation or a person can't be removed).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    json, parse_body, path_id, run_as,
    writes::{run_write, Answer, Idempotency},
    Bearer, FieldError, Problem,
};
use crate::{
    db::schema::partner_domains as d,
    domain::{DomainId, EnterpriseId, PartnerId},
    error::AppError,
    routes::partners::page::domains::{self, Outcome},
    state::AppState,
};

/// One of a partner's domains.
#[derive(Serialize, Queryable, Selectable, utoipa::ToSchema)]
#[diesel(table_name = d)]
pub struct DomainJson {
    #[schema(value_type = i64)]
    id: DomainId,
    domain: String,
    /// False once the partner is deactivated (the domain is released).
    active: bool,
    /// When a DNS check found the verification record (SPEC §17); null until then.
    verified_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

/// The partner's domains; None when the enterprise has no such partner.
fn domains_of(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: Option<i64>,
) -> Result<Option<Vec<DomainJson>>, AppError> {
    let Some(id) = super::partner_of(conn, enterprise_id, id)? else { return Ok(None) };
    Ok(Some(
        d::table
            .filter(d::enterprise_id.eq(enterprise_id))
            .filter(d::partner_id.eq(id))
            .order(d::domain.asc())
            .select(DomainJson::as_select())
            .load(conn)?,
    ))
}

#[utoipa::path(
    get, path = "/api/v1/partners/{id}/domains", tag = "Domains", operation_id = "listDomains",
    summary = "List a partner's domains",
    params(("id" = i64, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "Its domains", body = Vec<DomainJson>),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:read"]))
)]
pub async fn list(
    bearer: Bearer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path_id(&path);
    let found = run_as(&state, bearer, "partners:read", move |conn, caller| {
        Ok(Ok(domains_of(conn, caller.enterprise_id, id)?))
    })
    .await?;
    Ok(json(&found.ok_or_else(Problem::not_found)?))
}

/// A domain to add.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewDomainJson {
    /// e.g. globex.co.uk; normalised as the wizard does.
    domain: String,
}

fn refusal(outcome_status: StatusCode, form: crate::routes::partners::page::general::DomainForm) -> Problem {
    match (form.error, form.list_error) {
        (Some(message), _) => Problem::unprocessable(vec![FieldError { field: "domain".into(), message }]),
        (None, Some(message)) => Problem::status(outcome_status, message),
        (None, None) => Problem::status(outcome_status, "Nothing was changed."),
    }
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/domains", tag = "Domains", operation_id = "addDomain",
    summary = "Add a domain",
    params(("id" = i64, Path, description = "The partner's id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A retry with it gets the first answer")),
    request_body = NewDomainJson,
    responses(
        (status = 201, description = "Added; the partner's domains", body = Vec<DomainJson>),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The partner is deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid domain, or taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:write"]))
)]
pub async fn add(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &body)?;
    let id = path_id(&path);
    run_write(&state, bearer, "partners:write", idempotency, move |conn, actor| {
        let Some(partner) = id.map(PartnerId::new) else { return Ok(Err(Problem::not_found())) };
        let input: NewDomainJson = or_refuse!(parse_body(&body));
        match domains::add_domain(conn, actor, partner, &input.domain)? {
            Outcome::Done(_) => {
                let list = domains_of(conn, actor.caller.enterprise_id, id)?.unwrap_or_default();
                Ok(Ok(Answer::created(format!("/api/v1/partners/{partner}/domains"), &list)))
            }
            Outcome::Refused { status, form } => Ok(Err(refusal(status, form))),
        }
    })
    .await
}

#[utoipa::path(
    delete, path = "/api/v1/partners/{id}/domains/{domain_id}", tag = "Domains", operation_id = "removeDomain",
    summary = "Remove a domain",
    description = "Refused (409) for the last domain, or one a pending invitation or a person's address uses.",
    params(("id" = i64, Path, description = "The partner's id"), ("domain_id" = i64, Path, description = "The domain's id")),
    responses(
        (status = 200, description = "Removed; the partner's domains", body = Vec<DomainJson>),
        (status = 404, description = "No such partner or domain", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The domain is in use, or the last one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:write"]))
)]
pub async fn remove(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &[])?;
    let (id, domain_id) = (path_id(&path.0), path_id(&path.1));
    run_write(&state, bearer, "partners:write", idempotency, move |conn, actor| {
        let (Some(partner), Some(domain_id)) = (id.map(PartnerId::new), domain_id.map(DomainId::new)) else {
            return Ok(Err(Problem::not_found()));
        };
        match domains::remove_tx(conn, actor, partner, domain_id)? {
            Outcome::Done(_) => {
                let list = domains_of(conn, actor.caller.enterprise_id, id)?.unwrap_or_default();
                Ok(Ok(Answer::ok(&list)))
            }
            Outcome::Refused { status, form } => Ok(Err(refusal(status, form))),
        }
    })
    .await
}
