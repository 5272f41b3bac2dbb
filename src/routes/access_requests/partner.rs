//! **Request access** (`/partner/request-access`, a partner Admin): the items the enterprise
//! made requestable, each with its form (the environments to ask for, the item's questions),
//! and the partner's requests with their answers. A request is recorded with its audit event
//! and emailed to the enterprise's admins in one transaction; a second request for an item
//! while one is waiting is refused.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::routes::access_requests::{kind, ANSWER_MAX};
use crate::routes::partners::grants::shared::{bad_form, form_fields, form_id};
use crate::{
    auth::{guards::PartnerAdmin, session::Principal},
    config::Settings,
    db::{self, access_requests, audit, memberships, outbox},
    domain::{
        expiry, AccessRequestStatus, ApiId, AuditAction, EmailKind, EnvironmentId, FlashKind, PartnerId, ProductId,
    },
    email::{access::AccessRequestedEmail, EmailMeta, OutgoingEmail},
    error::AppError,
    render::{render, render_status, see_other, Layout},
    state::AppState,
};

const HOME: &str = "/partner/request-access";

struct ItemView {
    name: String,
    description: String,
    /// "API" or "Product".
    kind: &'static str,
    href: String,
    pending: bool,
    granted: bool,
}

pub struct RequestView {
    pub what: String,
    pub requested_at: DateTime<Utc>,
    pub status: AccessRequestStatus,
    pub requester: String,
    pub reason: String,
    pub until: Option<String>,
}

impl RequestView {
    pub fn of(r: access_requests::RequestRow) -> Self {
        RequestView {
            what: r.what(),
            requested_at: r.requested_at,
            status: r.status,
            requester: r.requester,
            reason: r.decline_reason,
            until: r.expires_on.map(expiry::day_text),
        }
    }
}

#[derive(Template)]
#[template(path = "access_requests/partner.html")]
struct HomePage {
    layout: Layout,
    enterprise_name: String,
    items: Vec<ItemView>,
    requests: Vec<RequestView>,
}

fn partner_of(user: &PartnerAdmin) -> Result<PartnerId, AppError> {
    user.user.partner_id.ok_or(AppError::Forbidden)
}

pub async fn home(user: PartnerAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let partner_id = partner_of(&user)?;
    let enterprise_id = user.user.enterprise_id;
    let (items, requests) = db::run(&state.pool, move |conn| {
        let items = access_requests::requestable(conn, enterprise_id, partner_id, None)?;
        let requests = access_requests::of_partner(conn, enterprise_id, partner_id)?;
        Ok((items, requests))
    })
    .await?;
    let items = items
        .into_iter()
        .map(|i| ItemView {
            kind: if i.is_product { "Product" } else { "API" },
            href: format!("{HOME}/{}/{}", if i.is_product { "products" } else { "apis" }, i.id),
            pending: i.pending,
            granted: i.granted,
            name: i.name,
            description: i.description,
        })
        .collect();
    let requests = requests.into_iter().map(RequestView::of).collect();
    let layout = user.layout("Request access", "request-access")?;
    let enterprise_name = user.user.enterprise_name.clone();
    Ok(render(&HomePage { layout, enterprise_name, items, requests }))
}

struct QuestionView {
    index: usize,
    question: String,
    answer: String,
    error: Option<String>,
}

struct EnvironmentView {
    id: EnvironmentId,
    name: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "access_requests/partner_form.html")]
struct FormPage {
    layout: Layout,
    enterprise_name: String,
    name: String,
    description: String,
    action: String,
    environments: Vec<EnvironmentView>,
    environments_error: Option<String>,
    questions: Vec<QuestionView>,
    /// Why the whole request was refused (already waiting, nothing left to ask for).
    page_error: Option<String>,
}

/// What the form sent: the environments ticked and the answers, in the questions' order.
#[derive(Default)]
struct Typed {
    environments: Vec<EnvironmentId>,
    answers: Vec<String>,
}

fn form_page(
    user: &PartnerAdmin,
    item: &access_requests::Requestable,
    typed: &Typed,
    errors: (Option<String>, Vec<Option<String>>),
    page_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (environments_error, answer_errors) = errors;
    let questions = item
        .questions()
        .into_iter()
        .enumerate()
        .map(|(index, question)| QuestionView {
            index,
            question,
            answer: typed.answers.get(index).cloned().unwrap_or_default(),
            error: answer_errors.get(index).cloned().flatten(),
        })
        .collect();
    let environments = item
        .environments()
        .into_iter()
        .map(|(id, name)| EnvironmentView { checked: typed.environments.contains(&id), id, name })
        .collect();
    let layout = user.layout(format!("Request access to {}", item.name), "request-access")?;
    let page = FormPage {
        layout,
        enterprise_name: user.user.enterprise_name.clone(),
        name: item.name.clone(),
        description: item.description.clone(),
        action: format!("{HOME}/{}/{}", if item.is_product { "products" } else { "apis" }, item.id),
        environments,
        environments_error,
        questions,
        page_error,
    };
    Ok(render_status(status, &page))
}

/// The item as this partner may request it: 404 when it isn't a requestable item of the
/// enterprise.
fn load_item(
    conn: &mut PgConnection,
    user: &Principal,
    partner_id: PartnerId,
    item: (bool, i64),
) -> Result<access_requests::Requestable, AppError> {
    let mut found = access_requests::requestable(conn, user.enterprise_id, partner_id, Some(item))?;
    found.pop().ok_or(AppError::NotFound)
}

/// Why the item can't be requested now, if it can't.
fn refusal(item: &access_requests::Requestable) -> Option<String> {
    if item.pending {
        Some(format!("You already asked for {}; your request is waiting for an answer.", item.name))
    } else if item.granted {
        Some(format!(
            "You can already use {}{}.",
            item.name,
            if item.is_product { "" } else { " in every environment it is offered in" }
        ))
    } else {
        None
    }
}

pub async fn form(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let partner_id = partner_of(&user)?;
    let (segment, id) = path.into_inner();
    let item_key = (kind(&segment)?, id);
    let principal = user.user.clone();
    let item = db::run(&state.pool, move |conn| load_item(conn, &principal, partner_id, item_key)).await?;
    let page_error = refusal(&item);
    let status = if page_error.is_some() { StatusCode::CONFLICT } else { StatusCode::OK };
    form_page(&user, &item, &Typed::default(), (None, Vec::new()), page_error, status)
}

enum Outcome {
    Sent(String),
    Refused(Box<access_requests::Requestable>, String),
}

fn send_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    settings: &Settings,
    (partner_id, item): (PartnerId, &access_requests::Requestable),
    environments: &[EnvironmentId],
    answers: serde_json::Value,
) -> Result<Outcome, AppError> {
    let (product_id, api_id) =
        if item.is_product { (Some(ProductId::new(item.id)), None) } else { (None, Some(ApiId::new(item.id))) };
    let new = access_requests::NewRequest {
        enterprise_id: actor.enterprise_id,
        partner_id,
        product_id,
        api_id,
        environment_ids: environments,
        answers: answers.clone(),
        requested_by: actor.user_id,
    };
    let Some(request_id) = access_requests::insert(conn, &new)? else {
        let message = format!("You already asked for {}; your request is waiting for an answer.", item.name);
        return Ok(Outcome::Refused(Box::new(item.clone()), message));
    };
    let row = access_requests::find(conn, actor.enterprise_id, request_id, false)?.ok_or(AppError::NotFound)?;
    let what = row.what();
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: Some(partner_id),
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action: AuditAction::AccessRequested,
            target: &what,
            details: serde_json::json!({ "request_id": request_id, "what": what, "answers": answers }),
        },
    )?;
    let link = settings.link(&format!("/settings/access-requests/{request_id}"));
    let requester = format!("{} {}", actor.first_name, actor.surname);
    let partner_name = actor.partner_name.clone().unwrap_or_default();
    let qa = row.answers();
    let meta =
        EmailMeta { kind: EmailKind::AccessRequested, enterprise_id: Some(actor.enterprise_id), invitation_id: None };
    for admin in memberships::team_admins(conn, actor.enterprise_id)? {
        let email = crate::email::access::access_requested(&AccessRequestedEmail {
            first_name: &admin.first_name,
            partner_name: &partner_name,
            requester: &requester,
            what: &what,
            answers: &qa,
            link: &link,
        })?;
        outbox::enqueue(conn, &OutgoingEmail { to: admin.email.clone(), ..email }, &meta)?;
    }
    Ok(Outcome::Sent(what))
}

pub async fn send(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let partner_id = partner_of(&user)?;
    let (segment, id) = path.into_inner();
    let item_key = (kind(&segment)?, id);
    let mut typed = Typed::default();
    let mut answers: Vec<(usize, String)> = Vec::new();
    for (name, value) in form_fields(&body) {
        if name == "environment" {
            typed.environments.push(form_id(&value)?);
        } else if let Some(i) = name.strip_prefix("answer_") {
            let i: usize = i.parse().map_err(|_| bad_form())?;
            answers.push((i, value.trim().to_string()));
        }
    }
    let principal = user.user.clone();
    let item = db::run(&state.pool, move |conn| load_item(conn, &principal, partner_id, item_key)).await?;
    let questions = item.questions();
    typed.answers = (0..questions.len())
        .map(|i| answers.iter().find(|(j, _)| *j == i).map(|(_, a)| a.clone()).unwrap_or_default())
        .collect();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some(message) = refusal(&item) {
        return form_page(&user, &item, &typed, (None, Vec::new()), Some(message), StatusCode::CONFLICT);
    }
    let offered: Vec<EnvironmentId> = item.environments().into_iter().map(|(id, _)| id).collect();
    let mut environments_error = None;
    if !item.is_product {
        if typed.environments.is_empty() {
            environments_error = Some("Choose at least one environment.".to_string());
        } else if typed.environments.iter().any(|e| !offered.contains(e)) {
            return Err(bad_form());
        }
    }
    let answer_errors: Vec<Option<String>> = typed
        .answers
        .iter()
        .map(|a| {
            if a.is_empty() {
                Some("Answer this question.".to_string())
            } else if a.chars().count() > ANSWER_MAX {
                Some(format!("Keep the answer under {ANSWER_MAX} characters."))
            } else {
                None
            }
        })
        .collect();
    if environments_error.is_some() || answer_errors.iter().any(Option::is_some) {
        return form_page(&user, &item, &typed, (environments_error, answer_errors), None, unprocessable);
    }
    // The environments in catalog order, whatever order the form sent them in.
    let environments: Vec<EnvironmentId> = offered.into_iter().filter(|e| typed.environments.contains(e)).collect();
    let answers = serde_json::Value::Array(
        questions.iter().zip(&typed.answers).map(|(q, a)| serde_json::json!({ "question": q, "answer": a })).collect(),
    );
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| send_tx(conn, &actor, &settings, (partner_id, &item), &environments, answers))
    })
    .await?;
    match outcome {
        Outcome::Sent(what) => {
            let message = format!("Your request for {what} was sent to {}.", user.user.enterprise_name);
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(HOME))
        }
        Outcome::Refused(item, message) => {
            form_page(&user, &item, &typed, (None, Vec::new()), Some(message), StatusCode::CONFLICT)
        }
    }
}
