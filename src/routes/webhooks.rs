//! Settings → **Webhooks** (`/settings/webhooks`, SPEC §14): the enterprise's webhook
//! endpoints. Enterprise admins and Viewers read the list and each endpoint's delivery log; an
//! Enterprise admin adds an endpoint with its URL and events (its signing secret is shown once,
//! in the answer to the POST) and deletes one after a confirmation page. Each change is one
//! transaction with its audit event.

use std::collections::BTreeSet;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::routes::partners::grants::shared::form_fields;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, audit, webhooks},
    domain::{AuditAction, FlashKind, WebhookEvent},
    error::AppError,
    render::{render, render_status, see_other, Layout},
    routes::applications::secret::shown_once,
    state::AppState,
    webhooks::guard,
};

const MENU_KEY: &str = "webhooks";
const LIST: &str = "/settings/webhooks";
/// The deliveries an endpoint's page lists, newest first.
const LOG_ROWS: i64 = 100;

pub struct EndpointView {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub created: DateTime<Utc>,
    pub pending: i64,
    pub failing: bool,
}

/// The add form as typed, with its errors.
#[derive(Default)]
pub struct EndpointForm {
    pub url: String,
    pub events: BTreeSet<String>,
    pub url_error: Option<String>,
    pub events_error: Option<String>,
}

impl EndpointForm {
    fn has_event(&self, event: &WebhookEvent) -> bool {
        self.events.contains(event.as_str())
    }
}

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    layout: Layout,
    enterprise_name: String,
    endpoints: Vec<EndpointView>,
    form: EndpointForm,
    events: &'static [WebhookEvent],
}

async fn show(
    user: &EnterpriseAdmin,
    state: &AppState,
    form: EndpointForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(webhooks::list(conn, enterprise_id)?)).await?;
    let page = ListPage {
        layout: user.layout("Webhooks", MENU_KEY)?,
        enterprise_name: user.user.enterprise_name.clone(),
        endpoints: rows
            .into_iter()
            .map(|r| EndpointView {
                id: r.id,
                url: r.url,
                events: r.events,
                created: r.created_at,
                pending: r.pending,
                failing: r.failing,
            })
            .collect(),
        form,
        events: WebhookEvent::ALL,
    };
    Ok(render_status(status, &page))
}

pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    show(&user, &state, EndpointForm::default(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "webhooks/created.html")]
struct CreatedPage {
    layout: Layout,
    id: i64,
    url: String,
    events: Vec<String>,
    secret: String,
}

/// Adds an endpoint: 201 with its secret, shown once; a bad form is shown again (422).
pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut form = EndpointForm::default();
    for (name, value) in form_fields(&body) {
        match name.as_str() {
            "url" => form.url = value.trim().chars().take(guard::URL_MAX + 1).collect(),
            "event" => {
                if WebhookEvent::from_stored(&value).is_err() {
                    return Err(AppError::bad_request("That event is not one of the portal's."));
                }
                form.events.insert(value);
            }
            _ => {}
        }
    }
    let url = match guard::check_endpoint_url(&form.url, &state.settings.webhooks).await {
        Ok(url) => Some(url),
        Err(message) => {
            form.url_error = Some(message);
            None
        }
    };
    if form.events.is_empty() {
        form.events_error = Some("Choose at least one event.".into());
    }
    let Some(url) = url.filter(|_| form.events_error.is_none()) else {
        return show(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let url = url.to_string();
    let events: Vec<String> =
        WebhookEvent::ALL.iter().map(|e| e.as_str().to_string()).filter(|e| form.events.contains(e)).collect();
    let secret = crate::webhooks::new_secret();
    let actor = user.user.clone();
    let (stored_url, stored_events, stored_secret) = (url.clone(), events.clone(), secret.clone());
    let id = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let id = webhooks::insert(
                conn,
                &webhooks::NewEndpoint {
                    enterprise_id: actor.enterprise_id,
                    url: &stored_url,
                    events: &stored_events,
                    secret: &stored_secret,
                    created_by: actor.user_id,
                },
            )?;
            let details = serde_json::json!({ "webhook_id": id, "url": stored_url, "events": stored_events });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::WebhookCreated,
                &format!("Webhook {stored_url}"),
                details,
            )?;
            Ok(id)
        })
    })
    .await?;
    let page = CreatedPage { layout: user.layout("Webhook endpoint added", MENU_KEY)?, id, url, events, secret };
    Ok(shown_once(StatusCode::CREATED, &page))
}

pub struct DeliveryView {
    pub event: String,
    pub msg_id: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created: DateTime<Utc>,
    pub last_attempt: Option<DateTime<Utc>>,
    /// When it will be tried again (pending only).
    pub next_attempt: Option<DateTime<Utc>>,
}

impl DeliveryView {
    fn new(d: webhooks::Delivery) -> Self {
        let (status, badge) = match (d.status.as_str(), d.attempts) {
            ("delivered", _) => ("Delivered", "badge-active"),
            ("failed", _) => ("Failed", "badge-failed"),
            (_, 0) => ("Pending", "badge-neutral"),
            _ => ("Retrying", "badge-invited"),
        };
        DeliveryView {
            event: d.event_type,
            msg_id: d.msg_id,
            status,
            badge,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created: d.created_at,
            last_attempt: d.last_attempt_at,
            next_attempt: (d.status == "pending").then_some(d.next_attempt_at),
        }
    }
}

#[derive(Template)]
#[template(path = "webhooks/endpoint.html")]
struct EndpointPage {
    layout: Layout,
    id: i64,
    url: String,
    events: Vec<String>,
    created: DateTime<Utc>,
    deliveries: Vec<DeliveryView>,
}

/// One endpoint and its delivery log.
pub async fn endpoint(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (endpoint, deliveries) = db::run(&state.pool, move |conn| {
        let endpoint = webhooks::find(conn, enterprise_id, id, false)?.ok_or(AppError::NotFound)?;
        let deliveries = webhooks::deliveries(conn, enterprise_id, id, LOG_ROWS)?;
        Ok((endpoint, deliveries))
    })
    .await?;
    let page = EndpointPage {
        layout: user.layout(format!("Webhook {}", endpoint.url), MENU_KEY)?,
        id,
        events: endpoint.events(),
        url: endpoint.url,
        created: endpoint.created_at,
        deliveries: deliveries.into_iter().map(DeliveryView::new).collect(),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "webhooks/delete.html")]
struct DeletePage {
    layout: Layout,
    id: i64,
    url: String,
}

pub async fn confirm_delete(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = editor.user.enterprise_id;
    let endpoint =
        db::run(&state.pool, move |conn| webhooks::find(conn, enterprise_id, id, false)?.ok_or(AppError::NotFound))
            .await?;
    let page = DeletePage { layout: editor.layout("Delete webhook endpoint?", MENU_KEY)?, id, url: endpoint.url };
    Ok(render(&page))
}

pub async fn delete(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let url = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let endpoint = webhooks::find(conn, actor.enterprise_id, id, true)?.ok_or(AppError::NotFound)?;
            webhooks::delete(conn, actor.enterprise_id, id)?;
            let details = serde_json::json!({ "webhook_id": id, "url": endpoint.url, "events": endpoint.events() });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::WebhookDeleted,
                &format!("Webhook {}", endpoint.url),
                details,
            )?;
            Ok(endpoint.url)
        })
    })
    .await?;
    user.flash(FlashKind::Success, format!("Webhook endpoint {url} deleted: nothing more is sent to it."))?;
    Ok(see_other(LIST))
}
