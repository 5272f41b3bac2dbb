//! Edit partner info: `/settings/partners/{id}/edit` (*Partner name*, *Logo*).

use crate::auth::actor::Actor;
use crate::domain::PartnerId;
use actix_multipart::form::MultipartForm;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::{prelude::*, result::DatabaseErrorKind, result::Error as DieselError};

use crate::routes::partners::header::change_refusal;
use crate::routes::partners::header::load_header;
use crate::routes::partners::header::record_event;
use crate::routes::partners::header::PartnerHeader;
use crate::routes::partners::info_form::InfoForm;
use crate::routes::partners::info_form::InfoInput;
use crate::routes::partners::info_form::LogoChange;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, partners},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::see_other,
    render::{render, render_status, Layout},
    state::AppState,
};

pub const SAVED: &str = "Partner details saved.";

#[derive(Template)]
#[template(path = "partners/page/edit.html")]
struct EditPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    name: String,
    name_error: Option<String>,
    logo_error: Option<String>,
    /// A valid file was chosen but the form had another error: files can't be kept.
    logo_dropped: bool,
}

fn page(user: &EnterpriseAdmin, header: PartnerHeader, name: String) -> Result<EditPage, AppError> {
    Ok(EditPage {
        layout: user.layout(format!("Edit {}", header.name), "partners")?,
        tab: "general",
        header,
        name,
        name_error: None,
        logo_error: None,
        logo_dropped: false,
    })
}

pub async fn edit_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let (partner, header) = db::run(&state.pool, move |conn| load_header(conn, enterprise_id, id)).await?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    Ok(render(&page(&user, header, partner.name)?))
}

pub(crate) enum Outcome {
    Saved,
    Invalid { header: PartnerHeader, name_error: Option<String>, logo_error: Option<String> },
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    form: MultipartForm<InfoForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let input = InfoInput::from_form(form.into_inner()).await?;
    let name_raw = input.name_raw.clone();
    let logo_chosen = matches!(input.logo, Ok(LogoChange::Replace(_)));
    let actor = user.user.clone();
    let typed = name_raw.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let enterprise_id = actor.enterprise_id();
        match conn.transaction(|conn| apply(conn, &actor, id, input)) {
            // Another partner took the name between our check and our update.
            Err(AppError::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => {
                let (_, header) = load_header(conn, enterprise_id, id)?;
                Ok(Outcome::Invalid { header, name_error: Some(name_taken_message(&typed)), logo_error: None })
            }
            other => other,
        }
    })
    .await?;
    match outcome {
        Outcome::Saved => {
            user.flash(FlashKind::Success, SAVED)?;
            Ok(see_other(&format!("/settings/partners/{id}")))
        }
        Outcome::Invalid { header, name_error, logo_error } => {
            let mut page = page(&user, header, name_raw)?;
            page.logo_dropped = logo_chosen && logo_error.is_none();
            page.name_error = name_error;
            page.logo_error = logo_error;
            Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

fn name_taken_message(name: &str) -> String {
    crate::domain::new_partner::name_taken(name.trim())
}

/// Validates against the locked partner row and applies the changes, one audit event each.
pub(crate) fn apply(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    input: InfoInput,
) -> Result<Outcome, AppError> {
    let partner = partners::lock(conn, actor.enterprise_id(), id)?.ok_or(AppError::NotFound)?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    let mut name_error = input.name.as_ref().err().cloned();
    if let Ok(name) = &input.name {
        if partners::name_taken(conn, actor.enterprise_id(), name.as_str(), Some(partner.id))? {
            name_error = Some(name_taken_message(name.as_str()));
        }
    }
    let logo_error = input.logo.as_ref().err().cloned();
    let (Ok(name), Ok(logo), None) = (input.name, input.logo, &name_error) else {
        let (_, header) = load_header(conn, actor.enterprise_id(), id)?;
        return Ok(Outcome::Invalid { header, name_error, logo_error });
    };

    let label = actor.actor_label();

    let new_name = name.as_str();
    if new_name != partner.name {
        partners::rename(conn, partner.id, new_name)?;
        record_event(
            conn,
            actor,
            &label,
            partner.id,
            AuditAction::PartnerRenamed,
            new_name,
            serde_json::json!({ "from": partner.name, "to": new_name }),
        )?;
    }
    match logo {
        LogoChange::Keep => {}
        LogoChange::Replace(logo) => {
            let (w, h) = (i32::try_from(logo.width()), i32::try_from(logo.height()));
            let (Ok(w), Ok(h)) = (w, h) else {
                return Err(AppError::Unexpected(anyhow::anyhow!("logo dimensions out of range")));
            };
            partners::set_logo(conn, partner.id, logo.content_type(), logo.bytes(), w, h)?;
            let details = serde_json::json!({ "content_type": logo.content_type(), "width": w, "height": h, "bytes": logo.bytes().len() });
            record_event(conn, actor, &label, partner.id, AuditAction::PartnerLogoChanged, new_name, details)?;
        }
        LogoChange::Remove => {
            if partners::remove_logo(conn, partner.id)? > 0 {
                record_event(
                    conn,
                    actor,
                    &label,
                    partner.id,
                    AuditAction::PartnerLogoRemoved,
                    new_name,
                    serde_json::json!({}),
                )?;
            }
        }
    }
    Ok(Outcome::Saved)
}
