//! **Extend** (SPEC §15): moves the end of an expiring grant, a product
//! (`/settings/partners/{id}/products/{product_id}/extend`) or an API in one environment
//! (`…/apis/{api_id}/environments/{environment_id}/extend`). The new day must come after the
//! current one; the reminders start over for the new day. Audited with both days.

use crate::auth::actor::Actor;
use crate::domain::{ApiId, EnvironmentId, PartnerId, ProductId};
use chrono::NaiveDate;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::grants::Expiry;
use crate::domain::expiry;
use crate::routes::partners::grants::shared::{lock_changeable, read_expiry, record};
use crate::routes::partners::header::{change_refusal, load_header, PartnerHeader};
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, grants},
    domain::{AuditAction, EnterpriseId, FlashKind},
    error::AppError,
    render::see_other,
    render::{render_status, Layout},
    state::AppState,
};

/// What is extended.
#[derive(Debug, Clone, Copy)]
enum Target {
    Product(ProductId),
    Cell(ApiId, EnvironmentId),
}

impl Target {
    fn tab(self) -> &'static str {
        match self {
            Target::Product(_) => "products",
            Target::Cell(..) => "apis",
        }
    }

    fn path(self, id: PartnerId) -> String {
        match self {
            Target::Product(p) => format!("/settings/partners/{id}/products/{p}/extend"),
            Target::Cell(a, e) => format!("/settings/partners/{id}/apis/{a}/environments/{e}/extend"),
        }
    }

    fn tab_path(self, id: PartnerId) -> String {
        format!("/settings/partners/{id}/{}", self.tab())
    }
}

/// The grant as the page names it ("Product One", "Payments API — Production") and its
/// current end; 404 when it is not granted, 409 when it has no end to move.
fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    target: Target,
) -> Result<(String, NaiveDate), AppError> {
    let (what, end) = match target {
        Target::Product(p) => {
            let product = grants::find_product(conn, enterprise_id, p)?.ok_or(AppError::NotFound)?;
            (product.name, grants::product_expiry(conn, partner_id, p)?)
        }
        Target::Cell(a, e) => {
            let api = grants::find_api(conn, enterprise_id, a)?.ok_or(AppError::NotFound)?;
            let env = grants::find_environment(conn, enterprise_id, e)?.ok_or(AppError::NotFound)?;
            (format!("{} — {}", api.name, env.name), grants::api_environment_expiry(conn, partner_id, (a, e))?)
        }
    };
    match end {
        None => Err(AppError::NotFound),
        Some(None) => Err(AppError::Conflict(format!("{what} has no end date, so there is nothing to extend."))),
        Some(Some(day)) => Ok((what, day)),
    }
}

#[derive(Template)]
#[template(path = "partners/grants/extend.html")]
struct ExtendPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    what: String,
    current: String,
    expires_on: String,
    error: Option<String>,
    action: String,
    cancel: String,
    zone: &'static str,
}

async fn page(
    user: &EnterpriseAdmin,
    state: &AppState,
    (id, target): (PartnerId, Target),
    typed: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (header, what, current) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        if let Some(refusal) = change_refusal(&partner) {
            return Err(AppError::Conflict(refusal.into()));
        }
        let (what, current) = find(conn, enterprise_id, partner.id, target)?;
        Ok((header, what, current))
    })
    .await?;
    let layout = user.layout(format!("Extend {what} · {}", header.name), "partners")?;
    let zone = layout.clock.zone_name();
    let page = ExtendPage {
        layout,
        tab: target.tab(),
        header,
        expires_on: typed.unwrap_or_else(|| current.to_string()),
        current: expiry::day_text(current),
        what,
        error,
        action: target.path(id),
        cancel: target.tab_path(id),
        zone,
    };
    Ok(render_status(status, &page))
}

pub async fn product_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ProductId)>,
) -> Result<HttpResponse, AppError> {
    let (id, p) = path.into_inner();
    page(&editor.into(), &state, (id, Target::Product(p)), None, None, StatusCode::OK).await
}

pub async fn cell_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ApiId, EnvironmentId)>,
) -> Result<HttpResponse, AppError> {
    let (id, a, e) = path.into_inner();
    page(&editor.into(), &state, (id, Target::Cell(a, e)), None, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct ExtendForm {
    #[serde(default)]
    expires_on: String,
}

enum Outcome {
    Extended {
        what: String,
        to: NaiveDate,
    },
    /// The new day is not after the current end (which may have moved meanwhile).
    NotLater(String),
}

fn extend_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    (id, target): (PartnerId, Target),
    new: Expiry,
) -> Result<Outcome, AppError> {
    let partner = lock_changeable(conn, actor, id)?;
    let (what, current) = find(conn, actor.enterprise_id(), partner.id, target)?;
    if new.on <= current {
        return Ok(Outcome::NotLater(format!("Choose a day after the current end, {}.", expiry::day_text(current))));
    }
    let previous = match target {
        Target::Product(p) => grants::extend_product(conn, partner.id, p, new)?,
        Target::Cell(a, e) => grants::extend_api_environment(conn, partner.id, (a, e), new)?,
    };
    let from = previous.ok_or(AppError::NotFound)?;
    let details = serde_json::json!({ "what": what, "from": from, "to": new.on });
    record(conn, actor, &partner, AuditAction::PartnerAccessExtended, &what, details)?;
    Ok(Outcome::Extended { what, to: new.on })
}

async fn extend(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    (id, target): (PartnerId, Target),
    form: ExtendForm,
) -> Result<HttpResponse, AppError> {
    let typed: String = form.expires_on.trim().chars().take(20).collect();
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let new = match read_expiry(&user.user, &typed) {
        Ok(Some(new)) => new,
        Ok(None) => {
            let error = Some("Choose the new end date.".to_string());
            return page(&user, &state, (id, target), Some(typed), error, refused).await;
        }
        Err(e) => return page(&user, &state, (id, target), Some(typed), Some(e), refused).await,
    };
    let actor = user.user.clone();
    let outcome =
        db::run(&state.pool, move |conn| conn.transaction(|conn| extend_tx(conn, &actor, (id, target), new))).await?;
    match outcome {
        Outcome::Extended { what, to } => {
            user.flash(FlashKind::Success, format!("Access to {what} extended until {}.", expiry::day_text(to)))?;
            Ok(see_other(&target.tab_path(id)))
        }
        Outcome::NotLater(error) => page(&user, &state, (id, target), Some(typed), Some(error), refused).await,
    }
}

pub async fn extend_product(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ProductId)>,
    form: web::Form<ExtendForm>,
) -> Result<HttpResponse, AppError> {
    let (id, p) = path.into_inner();
    extend(user, state, (id, Target::Product(p)), form.into_inner()).await
}

pub async fn extend_cell(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, ApiId, EnvironmentId)>,
    form: web::Form<ExtendForm>,
) -> Result<HttpResponse, AppError> {
    let (id, a, e) = path.into_inner();
    extend(user, state, (id, Target::Cell(a, e)), form.into_inner()).await
}
