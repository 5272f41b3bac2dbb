//! A partner's invitations: `GET|POST /api/v1/partners/{id}/invitations` (the General tab's
//! "Partner administrator account": a new account administrator, replacing a pending
//! administrator invitation) and `…/invitations/{invitation_id}/resend|revoke`. Scope
//! `invitations:write` to change them; the emails are the UI's, queued in the same transaction.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{
    json, parse_body, path_id, run_as,
    writes::{run_write, Answer, Idempotency},
    Bearer, FieldError, Problem,
};
use crate::{
    db::{invitations, invitations::Invitation},
    domain::{EnterpriseId, InvitationId, PartnerId, PersonalNote},
    error::AppError,
    routes::partners::page::administrator::{self, AdminTyped},
    state::AppState,
};

const WRITE: &str = "invitations:write";

/// An invitation as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitationJson {
    id: i64,
    email: String,
    first_name: String,
    surname: String,
    /// The role the person gets: admin or member.
    role: String,
    /// True for the partner's account administrator.
    account_administrator: bool,
    /// pending, expired, accepted or revoked.
    status: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationJson {
    fn from(i: Invitation) -> Self {
        let status = if i.is_expired(Utc::now()) { "expired".to_string() } else { i.status.as_str().to_string() };
        InvitationJson {
            id: i.id.get(),
            email: i.email,
            first_name: i.first_name,
            surname: i.surname,
            role: i.role.as_str().to_string(),
            account_administrator: i.for_account_admin,
            status,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }
    }
}

fn invitations_of(
    conn: &mut diesel::PgConnection,
    enterprise_id: EnterpriseId,
    id: Option<i64>,
) -> Result<Option<Vec<InvitationJson>>, AppError> {
    let Some(id) = super::partner_of(conn, enterprise_id, id)? else { return Ok(None) };
    Ok(Some(invitations::for_partner(conn, id)?.into_iter().map(InvitationJson::from).collect()))
}

#[utoipa::path(
    get, path = "/api/v1/partners/{id}/invitations", tag = "Invitations", operation_id = "listInvitations",
    summary = "List a partner's invitations",
    params(("id" = i64, Path, description = "The partner's id")),
    responses(
        (status = 200, description = "Newest first", body = Vec<InvitationJson>),
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
        Ok(Ok(invitations_of(conn, caller.enterprise_id, id)?))
    })
    .await?;
    Ok(json(&found.ok_or_else(Problem::not_found)?))
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/invitations", tag = "Invitations", operation_id = "inviteAdministrator",
    summary = "Invite a new account administrator",
    description = "Send invitation: the current administrator stays until the new one accepts. A pending \\
administrator invitation is replaced.",
    params(("id" = i64, Path, description = "The partner's id"),
           ("Idempotency-Key" = Option<String>, Header, description = "A retry with it gets the first answer")),
    request_body = super::partners::PersonJson,
    responses(
        (status = 201, description = "Invited; the invitation", body = InvitationJson),
        (status = 404, description = "No such partner in your enterprise", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Deactivated partner, or already invited", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["invitations:write"]))
)]
pub async fn create(
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
        let Some(partner) = id.map(PartnerId::new) else { return Ok(Err(Problem::not_found())) };
        let person: serde_json::Value = or_refuse!(parse_body(&body));
        let text = |k: &str| person.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let note = match person.get("note") {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(note)) => match PersonalNote::parse(note) {
                Ok(note) => note,
                Err(e) => return Ok(Err(Problem::field("note", e.to_string()))),
            },
            Some(_) => return Ok(Err(Problem::field("note", "The personal note must be text."))),
        };
        let typed = AdminTyped { first_name: text("first_name"), surname: text("surname"), email: text("email"), note };
        match administrator::invite_administrator(conn, &settings, actor, partner, &typed)? {
            Ok(invitation) => {
                let location = format!("/api/v1/partners/{partner}/invitations");
                Ok(Ok(Answer::created(location, &InvitationJson::from(invitation))))
            }
            Err(refusal) => {
                let errors: Vec<FieldError> =
                    [("first_name", refusal.first_name), ("surname", refusal.surname), ("email", refusal.email)]
                        .into_iter()
                        .filter_map(|(field, m)| m.map(|message| FieldError { field: field.into(), message }))
                        .collect();
                let mut problem = Problem::unprocessable(errors);
                if refusal.status.as_u16() == 409 {
                    problem = Problem { status: 409, title: "Conflict", ..problem };
                }
                Ok(Err(problem))
            }
        }
    })
    .await
}

/// Resend or revoke.
async fn change(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    resend: bool,
) -> Result<HttpResponse, Problem> {
    let idempotency = Idempotency::of(&req, &[])?;
    let (id, invitation) = (path_id(&path.0), path_id(&path.1));
    let settings = state.settings.clone();
    run_write(&state, bearer, WRITE, idempotency, move |conn, actor| {
        let (Some(id), Some(invitation_id)) = (id.map(PartnerId::new), invitation.map(InvitationId::new)) else {
            return Ok(Err(Problem::not_found()));
        };
        let partner = administrator::admin_invitation(conn, actor.caller.enterprise_id, id, invitation_id)?;
        let changed = if resend {
            invitations::resend(conn, &settings, actor, partner.id, invitation_id)?
        } else {
            invitations::revoke(conn, actor, partner.id, invitation_id)?;
            invitations::find(conn, invitation_id)?.ok_or(AppError::NotFound)?
        };
        Ok(Ok(Answer::ok(&InvitationJson::from(changed))))
    })
    .await
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/invitations/{invitation_id}/resend", tag = "Invitations", operation_id = "resendInvitation",
    summary = "Resend an invitation",
    description = "A new link is emailed; the previous link stops working.",
    params(("id" = i64, Path, description = "The partner's id"), ("invitation_id" = i64, Path, description = "The invitation's id")),
    responses(
        (status = 200, description = "Resent", body = InvitationJson),
        (status = 404, description = "No such pending invitation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["invitations:write"]))
)]
pub async fn resend(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    change(bearer, state, req, path, true).await
}

#[utoipa::path(
    post, path = "/api/v1/partners/{id}/invitations/{invitation_id}/revoke", tag = "Invitations", operation_id = "revokeInvitation",
    summary = "Revoke an invitation",
    params(("id" = i64, Path, description = "The partner's id"), ("invitation_id" = i64, Path, description = "The invitation's id")),
    responses(
        (status = 200, description = "Revoked; its link no longer works", body = InvitationJson),
        (status = 404, description = "No such pending invitation", body = Problem, content_type = "application/problem+json"),
    ),
    security(("token" = ["invitations:write"]))
)]
pub async fn revoke(
    bearer: Bearer,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Problem> {
    change(bearer, state, req, path, false).await
}
