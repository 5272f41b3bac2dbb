//! What a partner may use (SPEC §4, §15): `GET /api/v1/partners/{id}/grants`; with
//! `grants:write`, granting products (Add Products' rules), setting one API's environments
//! (the Add APIs matrix's rules: environments that need approval wait for a second Enterprise
//! admin), and revoking either. The same functions as the Products and APIs tabs, so the
//! audit event and the "What changed in your access" email are the same too.

use std::collections::BTreeSet;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{
    json, parse_body, path_id, run_as,
    writes::{run_write, Answer, ApiActor, Idempotency},
    Bearer, Problem,
};
use crate::{
    db::{grants, held_grants},
    domain::{ApiId, EnterpriseId, EnvironmentId, FlashKind, PartnerId, ProductId},
    error::AppError,
    routes::partners::grants::{apis, products, shared::read_expiry},
    state::AppState,
};

const WRITE: &str = "grants:write";

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProductGrantJson {
    product_id: i64,
    name: String,
    /// The last day of access (in the enterprise's time zone); null for no end.
    expires_on: Option<NaiveDate>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EnvironmentGrantJson {
    environment_id: i64,
    name: String,
    expires_on: Option<NaiveDate>,
    /// Waiting for a second Enterprise admin's approval (the environment requires it).
    waiting_for_approval: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiGrantJson {
    api_id: i64,
    name: String,
    environments: Vec<EnvironmentGrantJson>,
}

/// A partner's grants.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GrantsJson {
    products: Vec<ProductGrantJson>,
    apis: Vec<ApiGrantJson>,
}

fn grants_of(
    conn: &mut diesel::PgConnection,
    enterprise_id: EnterpriseId,
    id: Option<i64>,
) -> Result<Option<GrantsJson>, AppError> {
    let Some(id) = super::partner_of(conn, enterprise_id, id)? else { return Ok(None) };
    let products = grants::granted_products(conn, id)?
        .into_iter()
        .map(|g| ProductGrantJson { product_id: g.product_id.get(), name: g.name, expires_on: g.expires_on })
        .collect();
    let mut apis: Vec<ApiGrantJson> = Vec::new();
    let granted = grants::api_grants(conn, id)?.into_iter().map(|g| {
        let env = EnvironmentGrantJson {
            environment_id: g.environment_id.get(),
            name: g.environment_name,
            expires_on: g.expires_on,
            waiting_for_approval: false,
        };
        (g.api_id, g.api_name, env)
    });
    let held = held_grants::of_partner(conn, enterprise_id, id)?.into_iter().map(|h| {
        let (api, environment) = h.what.split_once(" — ").unwrap_or((&h.what, ""));
        let env = EnvironmentGrantJson {
            environment_id: h.environment_id.get(),
            name: environment.to_string(),
            expires_on: h.expires_on,
            waiting_for_approval: true,
        };
        (h.api_id, api.to_string(), env)
    });
    for (api_id, name, env) in granted.chain(held) {
        match apis.iter_mut().find(|a| a.api_id == api_id.get()) {
            Some(api) => api.environments.push(env),
            None => apis.push(ApiGrantJson { api_id: api_id.get(), name, environments: vec![env] }),
        }
    }
    Ok(Some(GrantsJson { products, apis }))
}

#[utoipa::path(
    get, path = "/api/v1/partners/{id}/grants", tag = "Grants", operation_id = "listGrants",
    summary = "A partner's products and APIs",
    params(("id" = i64, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "Its grants", body = GrantsJson),
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
    let found =
        run_as(&state, bearer, "partners:read", move |conn, caller| Ok(Ok(grants_of(conn, caller.enterprise_id, id)?)))
            .await?;
    Ok(json(&found.ok_or_else(Problem::not_found)?))
}

/// Products to grant.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ProductsGrantJson {
    product_ids: Vec<i64>,
    /// The last day of access (YYYY-MM-DD, in the enterprise's time zone); omit for no end.
    #[serde(default)]
    expires_on: Option<String>,
}

/// One API's environments, exactly.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ApiEnvironmentsJson {
    /// Every environment the partner should have this API in; the others are revoked.
    environment_ids: Vec<i64>,
    /// The last day of the new grants' access; omit for no end.
    #[serde(default)]
    expires_on: Option<String>,
}

/// What a grant call changed, in the UI's words ("Payments API — Production").
#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangedJson {
    granted: Vec<String>,
    waiting_for_approval: Vec<String>,
    revoked: Vec<String>,
    grants: GrantsJson,
}

fn expiry_of(actor: &ApiActor, raw: Option<&str>) -> Result<Option<grants::Expiry>, Problem> {
    read_expiry(actor, raw.unwrap_or_default()).map_err(|message| Problem::field("expires_on", message))
}

fn refused(errors: Vec<String>) -> Problem {
    Problem::status(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, errors.join(" "))
}

fn changed(
    conn: &mut diesel::PgConnection,
    actor: &ApiActor,
    id: PartnerId,
    (granted, held, revoked): (Vec<String>, Vec<String>, Vec<String>),
) -> Result<Answer, AppError> {
    let grants = grants_of(conn, actor.caller.enterprise_id, Some(id.get()))?.ok_or(AppError::NotFound)?;
    Ok(Answer::ok(&ChangedJson { granted, waiting_for_approval: held, revoked, grants }))
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/grants/products", tag = "Grants", operation_id = "grantProducts",
    summary = "Grant products",
    description = "Add Products: every product must be a non-archived product of your catalog, or nothing \\
is granted. Products granted already stay as they are.",
    params(("id" = i64, Path, description = "The partner's id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A retry with it gets the first answer")),
    request_body = ProductsGrantJson,
    responses(
        (status = 200, description = "Granted", body = ChangedJson),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The partner is deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A product can't be granted, or the day is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["grants:write"]))
)]
pub async fn grant_products(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &body)?;
    let id = path_id(&path);
    let settings = state.settings.clone();
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let Some(id) = id.map(PartnerId::new) else { return Ok(Err(Problem::not_found())) };
        let input: ProductsGrantJson = or_refuse!(parse_body(&body));
        if input.product_ids.is_empty() {
            return Ok(Err(Problem::field("product_ids", "Choose at least one product.")));
        }
        let expiry = or_refuse!(expiry_of(actor, input.expires_on.as_deref()));
        let chosen: BTreeSet<ProductId> = input.product_ids.into_iter().map(ProductId::new).collect();
        match products::grant_products(conn, actor, &settings, id, &chosen, expiry)? {
            Ok(granted) => Ok(Ok(changed(conn, actor, id, (granted, vec![], vec![]))?)),
            Err(errors) => Ok(Err(refused(errors))),
        }
    })
    .await
}

#[utoipa::path(
    delete, path = "/api/v1/partners/{id}/grants/products/{product_id}", tag = "Grants", operation_id = "revokeProduct",
    summary = "Revoke a product",
    params(("id" = i64, Path, description = "The partner's id"), ("product_id" = i64, Path, description = "The product's id")),
    responses(
        (status = 200, description = "Revoked (or it was not granted)", body = ChangedJson),
        (status = 404, description = "No such partner or product", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["grants:write"]))
)]
pub async fn revoke_product(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &[])?;
    let (id, product) = (path_id(&path.0), path_id(&path.1));
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let (Some(id), Some(product)) = (id.map(PartnerId::new), product.map(ProductId::new)) else {
            return Ok(Err(Problem::not_found()));
        };
        let (kind, _) = products::revoke_tx(conn, actor, id, product)?;
        let revoked = match kind {
            FlashKind::Success => grants::find_product(conn, actor.caller.enterprise_id, product)?
                .map(|p| vec![p.name])
                .unwrap_or_default(),
            _ => vec![],
        };
        Ok(Ok(changed(conn, actor, id, (vec![], vec![], revoked))?))
    })
    .await
}

#[utoipa::path(
    put, path = "/api/v1/partners/{id}/grants/apis/{api_id}", tag = "Grants", operation_id = "setApiEnvironments",
    summary = "Set an API's environments",
    description = "The Add APIs matrix for one API: the partner gets the API in exactly these environments. \\
Environments that require approval wait for a second Enterprise admin (Settings → Approvals).",
    params(("id" = i64, Path, description = "The partner's id"), ("api_id" = i64, Path, description = "The API's id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A retry with it gets the first answer")),
    request_body = ApiEnvironmentsJson,
    responses(
        (status = 200, description = "Set", body = ChangedJson),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The partner is deactivated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not offered there, archived, or the day is not valid", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["grants:write"]))
)]
pub async fn set_api(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &body)?;
    let (id, api) = (path_id(&path.0), path_id(&path.1));
    let settings = state.settings.clone();
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let (Some(id), Some(api)) = (id.map(PartnerId::new), api.map(ApiId::new)) else {
            return Ok(Err(Problem::not_found()));
        };
        let input: ApiEnvironmentsJson = or_refuse!(parse_body(&body));
        let expiry = or_refuse!(expiry_of(actor, input.expires_on.as_deref()));
        let environments: BTreeSet<EnvironmentId> = input.environment_ids.into_iter().map(EnvironmentId::new).collect();
        match apis::set_api_environments(conn, actor, &settings, id, api, &environments, expiry)? {
            Ok(set) => Ok(Ok(changed(conn, actor, id, (set.granted, set.held, set.revoked))?)),
            Err(errors) => Ok(Err(refused(errors))),
        }
    })
    .await
}

#[utoipa::path(
    delete, path = "/api/v1/partners/{id}/grants/apis/{api_id}/environments/{environment_id}", tag = "Grants", operation_id = "revokeApiEnvironment",
    summary = "Revoke an API in one environment",
    params(("id" = i64, Path, description = "The partner's id"), ("api_id" = i64, Path, description = "The API's id"),
           ("environment_id" = i64, Path, description = "The environment's id")),
    responses(
        (status = 200, description = "Revoked (or it was not granted)", body = ChangedJson),
        (status = 404, description = "No such partner, API or environment", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["grants:write"]))
)]
pub async fn revoke_api_environment(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &[])?;
    let (id, api, env) = (path_id(&path.0), path_id(&path.1), path_id(&path.2));
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let (Some(id), Some(api), Some(env)) =
            (id.map(PartnerId::new), api.map(ApiId::new), env.map(EnvironmentId::new))
        else {
            return Ok(Err(Problem::not_found()));
        };
        let (kind, message) = apis::revoke_one_tx(conn, actor, id, api, env)?;
        let revoked = match kind {
            FlashKind::Success => {
                vec![message.trim_start_matches("API access revoked: ").trim_end_matches('.').to_string()]
            }
            _ => vec![],
        };
        Ok(Ok(changed(conn, actor, id, (vec![], vec![], revoked))?))
    })
    .await
}
