//! Partner groups (SPEC §12, §14): `GET /api/v1/groups` and `POST /api/v1/partners/{id}/group`
//! (**Move to group**, through the page's own function: the group's default access is granted
//! by Add Products' and Add APIs' rules when asked).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{
    json, parse_body, path_id, run_as,
    writes::{run_write, Answer, Idempotency},
    Bearer, Problem,
};
use crate::{db::groups, domain::PartnerId, routes::partners::groups as pages, state::AppState};

/// A group.
#[derive(Serialize, utoipa::ToSchema)]
pub struct GroupJson {
    id: i64,
    name: String,
    description: String,
    /// New partnerships start in the default group.
    is_default: bool,
    /// Partnerships in the group.
    partners: i64,
}

#[utoipa::path(
    get, path = "/api/v1/groups", tag = "Groups", operation_id = "listGroups",
    summary = "List groups",
    responses((status = 200, description = "The default group first, then by name", body = Vec<GroupJson>)),
    security(("token" = ["partners:read"]))
)]
pub async fn list(bearer: Bearer, state: web::Data<AppState>) -> Result<HttpResponse, Problem> {
    let rows =
        run_as(&state, bearer, "partners:read", move |conn, caller| Ok(Ok(groups::list(conn, caller.enterprise_id)?)))
            .await?;
    let body: Vec<GroupJson> = rows
        .into_iter()
        .map(|g| GroupJson {
            id: g.id,
            name: g.name,
            description: g.description,
            is_default: g.is_default,
            partners: g.partners,
        })
        .collect();
    Ok(json(&body))
}

/// Where to move a partner.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct MoveJson {
    group_id: i64,
    /// Grant the group's default access that the partner lacks (as the page's checkbox).
    #[serde(default)]
    grant_default_access: bool,
}

/// What a move did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MovedJson {
    partner: String,
    group: String,
    /// What was granted ("Product One", "API One — Production").
    granted: Vec<String>,
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/group", tag = "Groups", operation_id = "moveToGroup",
    summary = "Move a partner to a group",
    params(("id" = i64, Path, description = "The partner's id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A retry with it gets the first answer")),
    request_body = MoveJson,
    responses(
        (status = 200, description = "Moved", body = MovedJson),
        (status = 404, description = "No such partner or group in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Deactivated, already in that group, or the access can't be granted", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["partners:write"]))
)]
pub async fn move_partner(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &body)?;
    let id = path_id(&path);
    let settings = state.settings.clone();
    run_write(&state, bearer, "partners:write", idempotency, move |conn, actor| {
        let Some(id) = id.map(PartnerId::new) else { return Ok(Err(Problem::not_found())) };
        let input: MoveJson = or_refuse!(parse_body(&body));
        match pages::move_tx(conn, actor, &settings, id, input.group_id, input.grant_default_access)? {
            Ok((partner, group, granted)) => Ok(Ok(Answer::ok(&MovedJson { partner, group, granted }))),
            Err(message) => Ok(Err(Problem::status(StatusCode::CONFLICT, message))),
        }
    })
    .await
}
