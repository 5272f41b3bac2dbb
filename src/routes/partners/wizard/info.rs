//! Step 1, *Partner info*: name and logo, and the draft's logo preview.

use crate::domain::DraftId;
use actix_multipart::form::MultipartForm;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::shared::{draft_or_redirect, load, steps, StepTab};
use crate::render::see_other;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, drafts, partners},
    error::AppError,
    render::{render, render_status, Layout},
    routes::partners::info_form::{InfoForm, InfoInput, LogoChange},
    state::AppState,
};

// ---------------------------------------------------------------- Partner info

#[derive(Template)]
#[template(path = "partners/wizard/info.html")]
struct InfoPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft_id: DraftId,
    name: String,
    name_error: Option<String>,
    logo_error: Option<String>,
    has_logo: bool,
}

pub async fn info_page(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let draft = draft_or_redirect!(state, user, *path);
    Ok(render(&InfoPage {
        layout: user.layout("Register partners", "partners")?,
        steps: steps(&draft, "info"),
        draft_id: draft.id,
        name: draft.name.clone(),
        name_error: None,
        logo_error: None,
        has_logo: draft.has_logo(),
    }))
}

pub async fn save_info(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
    form: MultipartForm<InfoForm>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, *path);
    let input = InfoInput::from_form(form.into_inner()).await?;
    let draft_id = draft.id;
    let enterprise_id = user.user.enterprise_id;

    // A valid logo is kept even when the name needs fixing: a file input can't be refilled.
    let logo_change = input.logo.as_ref().ok().map(|change| match change {
        LogoChange::Keep => None,
        LogoChange::Remove => Some(None),
        LogoChange::Replace(logo) => Some(Some((
            logo.content_type().to_string(),
            logo.bytes().to_vec(),
            logo.width() as i32,
            logo.height() as i32,
        ))),
    });
    let name = input.name.clone().ok();
    let name_taken = db::run(&state.pool, move |conn| {
        if let Some(Some(change)) = logo_change {
            let logo = change.as_ref().map(|(ct, b, w, h)| (ct.as_str(), b.as_slice(), *w, *h));
            drafts::save_logo(conn, draft_id, logo)?;
        }
        let Some(name) = name else { return Ok(false) };
        if partners::name_taken(conn, enterprise_id, name.as_str(), None)? {
            return Ok(true);
        }
        drafts::save_info(conn, draft_id, name.as_str())?;
        Ok(false)
    })
    .await?;

    let name_error = match (&input.name, name_taken) {
        (Err(e), _) => Some(e.clone()),
        (Ok(n), true) => Some(crate::domain::new_partner::name_taken(n.as_str())),
        _ => None,
    };
    let logo_error = input.logo.as_ref().err().cloned();
    if name_error.is_none() && logo_error.is_none() {
        return Ok(see_other(&format!("/settings/partners/drafts/{draft_id}/domains")));
    }
    let draft = draft_or_redirect!(state, user, *path);
    Ok(render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &InfoPage {
            layout: user.layout("Register partners", "partners")?,
            steps: steps(&draft, "info"),
            draft_id,
            name: input.name_raw,
            name_error,
            logo_error,
            has_logo: draft.has_logo(),
        },
    ))
}

pub async fn draft_logo(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let id = path.into_inner();
    let (enterprise_id, user_id) = (user.user.enterprise_id, user.user.user_id);
    let logo = db::run(&state.pool, move |conn| {
        if drafts::find(conn, enterprise_id, user_id, id)?.is_none() {
            return Ok(None);
        }
        Ok(drafts::logo(conn, id)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(logo.0)
        .insert_header(("Cache-Control", "private, no-cache"))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .body(logo.1))
}
