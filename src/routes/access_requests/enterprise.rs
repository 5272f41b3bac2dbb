//! **Access requests** (`/settings/access-requests`, the enterprise's team): the waiting
//! requests, oldest first, then the answered ones; each with **Approve** (optionally with an
//! *Expires on* day) and **Decline** (with a *Reason*). An answer is one transaction under the
//! partner row lock (the lock grants and deactivation take): the grant, the request's status,
//! the audit event and the email to the person who asked.

use crate::auth::actor::Actor;
use std::collections::BTreeSet;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::grants::Expiry;
use crate::routes::access_requests::partner::RequestView;
use crate::routes::access_requests::REASON_MAX;
use crate::routes::partners::grants::shared::{lock_changeable, read_expiry, record};
use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    config::Settings,
    db::{self, access_requests, access_requests::RequestRow, grants, outbox},
    domain::{expiry, AccessRequestStatus, AuditAction, EmailKind, EnvironmentId, FlashKind, PartnerId},
    email::{access::AccessRequestAnsweredEmail, EmailMeta, OutgoingEmail},
    error::AppError,
    render::{render, render_status, see_other, Layout},
    state::AppState,
};

const HOME: &str = "/settings/access-requests";

struct Row {
    id: i64,
    partner_id: PartnerId,
    partner_name: String,
    view: RequestView,
    decided_at: Option<DateTime<Utc>>,
    decided_by: String,
}

#[derive(Template)]
#[template(path = "access_requests/queue.html")]
struct QueuePage {
    layout: Layout,
    waiting: Vec<Row>,
    answered: Vec<Row>,
}

fn row(r: RequestRow) -> Row {
    Row {
        id: r.id,
        partner_id: r.partner_id,
        partner_name: r.partner_name.clone(),
        decided_at: r.decided_at,
        decided_by: r.decided_by_name.clone(),
        view: RequestView::of(r),
    }
}

pub async fn queue(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(access_requests::queue(conn, enterprise_id)?)).await?;
    let (waiting, answered): (Vec<Row>, Vec<Row>) =
        rows.into_iter().map(row).partition(|r| r.view.status == AccessRequestStatus::Pending);
    let layout = user.layout("Access requests", "access-requests")?;
    Ok(render(&QueuePage { layout, waiting, answered }))
}

#[derive(Template)]
#[template(path = "access_requests/detail.html")]
struct DetailPage {
    layout: Layout,
    row: Row,
    answers: Vec<(String, String)>,
    requester_email: String,
    expires_on: String,
    expires_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
    page_error: Option<String>,
}

/// What a refused answer shows again.
#[derive(Default)]
struct Typed {
    expires_on: String,
    expires_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
    page_error: Option<String>,
}

async fn detail_page(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: i64,
    typed: Typed,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let found = db::run(&state.pool, move |conn| {
        access_requests::find(conn, enterprise_id, id, false)?.ok_or(AppError::NotFound)
    })
    .await?;
    let answers = found.answers();
    let requester_email = found.requester_email.clone();
    let layout = user.layout(format!("Access request · {}", found.partner_name), "access-requests")?;
    let page = DetailPage {
        layout,
        row: row(found),
        answers,
        requester_email,
        expires_on: typed.expires_on,
        expires_error: typed.expires_error,
        reason: typed.reason,
        reason_error: typed.reason_error,
        page_error: typed.page_error,
    };
    Ok(render_status(status, &page))
}

pub async fn detail(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    detail_page(&user, &state, path.into_inner(), Typed::default(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    expires_on: String,
}

#[derive(Deserialize)]
pub struct DeclineForm {
    #[serde(default)]
    reason: String,
}

enum Answer {
    Approve(Option<Expiry>),
    Decline(String),
}

enum Outcome {
    Done(String),
    /// 409: already answered, the partner can't change, or nothing can be granted any more.
    Refused(String),
}

/// Answers the request under the partner row lock, then the request's own lock.
fn answer_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    settings: &Settings,
    id: i64,
    answer: &Answer,
) -> Result<Outcome, AppError> {
    let found = access_requests::find(conn, actor.enterprise_id, id, false)?.ok_or(AppError::NotFound)?;
    let partner = lock_changeable(conn, actor, found.partner_id)?;
    let request = access_requests::find(conn, actor.enterprise_id, id, true)?.ok_or(AppError::NotFound)?;
    if request.status != AccessRequestStatus::Pending {
        return Ok(Outcome::Refused(format!(
            "This request was already {} by {}. Nothing was changed.",
            request.status.as_str(),
            request.decided_by_name
        )));
    }
    let what = request.what();
    let (status, granted, reason, expires_on) = match answer {
        Answer::Decline(reason) => (AccessRequestStatus::Declined, Vec::new(), reason.as_str(), None),
        Answer::Approve(expiry) => {
            let granted = match grant(conn, actor, &request, *expiry)? {
                Ok(granted) => granted,
                Err(refusal) => return Ok(Outcome::Refused(refusal)),
            };
            (AccessRequestStatus::Approved, granted, "", expiry.map(|e| e.on))
        }
    };
    access_requests::decide(conn, actor.enterprise_id, id, status, actor.user_id, (reason, expires_on))?;
    let (action, details) = match status {
        AccessRequestStatus::Approved => (
            AuditAction::AccessRequestApproved,
            serde_json::json!({ "request_id": id, "what": what, "granted": granted, "expires_on": expires_on }),
        ),
        _ => (
            AuditAction::AccessRequestDeclined,
            serde_json::json!({ "request_id": id, "what": what, "reason": reason }),
        ),
    };
    record(conn, actor, &partner, action, &what, details)?;

    if !request.requester_email.is_empty() {
        let approved = status == AccessRequestStatus::Approved;
        let until = expires_on.map(expiry::day_text);
        let link = settings.link(if approved { "/service-catalog" } else { "/partner/request-access" });
        let email = crate::email::access::access_request_answered(&AccessRequestAnsweredEmail {
            first_name: &request.requester_first_name,
            enterprise_name: &actor.enterprise_name,
            what: &what,
            approved,
            reason,
            until: until.as_deref(),
            link: &link,
        })?;
        let meta = EmailMeta {
            kind: EmailKind::AccessRequestAnswered,
            enterprise_id: Some(actor.enterprise_id),
            invitation_id: None,
        };
        outbox::enqueue(conn, &OutgoingEmail { to: request.requester_email.clone(), ..email }, &meta)?;
    }
    Ok(Outcome::Done(match status {
        AccessRequestStatus::Approved => format!("Approved: {} can now use {what}.", request.partner_name),
        _ => format!("Declined: {} was told why.", request.requester),
    }))
}

/// Grants what the request asked for that can still be granted: the product, or the API in
/// each asked environment it is still offered in. `Err` says why nothing can be.
fn grant(
    conn: &mut PgConnection,
    actor: &Principal,
    request: &RequestRow,
    expiry: Option<Expiry>,
) -> Result<Result<Vec<String>, String>, AppError> {
    let partner_id = request.partner_id;
    if let Some(product_id) = request.product_id {
        let ids = BTreeSet::from([product_id]);
        let found = grants::lock_products(conn, actor.enterprise_id, &ids)?;
        match found.first() {
            Some(p) if p.archived_at.is_none() => {
                grants::grant_product(conn, partner_id, p.id, actor.user_id(), expiry)?;
                return Ok(Ok(vec![p.name.clone()]));
            }
            _ => return Ok(Err(format!("{} is archived or deleted: decline the request instead.", request.item))),
        }
    }
    let Some(api_id) = request.api_id else { return Ok(Err("This request names nothing to grant.".to_string())) };
    let apis = grants::lock_apis(conn, actor.enterprise_id, &BTreeSet::from([api_id]))?;
    let Some(api) = apis.first().filter(|a| !a.is_archived()) else {
        return Ok(Err(format!("{} is archived or deleted: decline the request instead.", request.item)));
    };
    let offered = grants::offered(conn, actor.enterprise_id, Some(&BTreeSet::from([api_id])))?;
    let names: std::collections::BTreeMap<EnvironmentId, String> =
        grants::environments(conn, actor.enterprise_id)?.into_iter().map(|e| (e.id, e.name)).collect();
    let mut granted = Vec::new();
    for env in request.environment_ids() {
        if offered.contains(&(api_id, env)) {
            grants::grant_api_environment(conn, partner_id, api_id, env, actor.user_id(), expiry)?;
            granted.push(format!("{} in {}", api.name, names.get(&env).cloned().unwrap_or_default()));
        }
    }
    if granted.is_empty() {
        return Ok(Err(format!(
            "{} is no longer offered in the environments asked for: decline the request instead.",
            api.name
        )));
    }
    Ok(Ok(granted))
}

async fn answer(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    id: i64,
    answer: Answer,
    typed: Typed,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let outcome =
        db::run(&state.pool, move |conn| conn.transaction(|conn| answer_tx(conn, &actor, &settings, id, &answer)))
            .await?;
    match outcome {
        Outcome::Done(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(HOME))
        }
        Outcome::Refused(message) => {
            let typed = Typed { page_error: Some(message), ..typed };
            detail_page(&user, &state, id, typed, StatusCode::CONFLICT).await
        }
    }
}

pub async fn approve(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<ApproveForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed_day: String = form.expires_on.trim().chars().take(20).collect();
    let expiry = match read_expiry(&user.user, &typed_day) {
        Ok(expiry) => expiry,
        Err(e) => {
            let typed = Typed { expires_on: typed_day, expires_error: Some(e), ..Typed::default() };
            return detail_page(&user, &state, id, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let typed = Typed { expires_on: typed_day, ..Typed::default() };
    answer(user, state, id, Answer::Approve(expiry), typed).await
}

pub async fn decline(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<DeclineForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let reason = form.reason.trim().to_string();
    let error = if reason.is_empty() {
        Some("Give a reason: the partner sees it.".to_string())
    } else if reason.chars().count() > REASON_MAX {
        Some(format!("Keep the reason under {REASON_MAX} characters."))
    } else {
        None
    };
    if let Some(e) = error {
        let typed = Typed { reason, reason_error: Some(e), ..Typed::default() };
        return detail_page(&user, &state, id, typed, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let typed = Typed { reason: reason.clone(), ..Typed::default() };
    answer(user, state, id, Answer::Decline(reason), typed).await
}
