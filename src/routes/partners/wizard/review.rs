//! Step 4, *Review*, and **Add Partner** (the one transaction that creates the partner).

use crate::domain::DraftId;
use crate::domain::FlashKind;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::shared::{draft_or_redirect, first_open_step, load, steps, StepTab};
use crate::render::see_other;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, drafts::Draft, registration},
    error::AppError,
    render::{render, render_status, Layout},
    state::AppState,
};

// ---------------------------------------------------------------- Review and Add Partner

#[derive(Template)]
#[template(path = "partners/wizard/review.html")]
struct ReviewPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft: Draft,
    error: Option<String>,
    /// *Require verified domains for invitations* is on: a new partner's domains can't be
    /// verified before it exists, so Add Partner holds the invitation; the page says so.
    verification_required: bool,
}

pub async fn review_page(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let draft = draft_or_redirect!(state, user, *path);
    let open = first_open_step(&draft);
    if open != "review" {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/{open}", draft.id)));
    }
    let enterprise_id = user.user.enterprise_id;
    let verification_required =
        db::run(&state.pool, move |conn| Ok(db::domain_verification::required(conn, enterprise_id)?)).await?;
    Ok(render(&ReviewPage {
        layout: user.layout("Register partners", "partners")?,
        steps: steps(&draft, "review"),
        draft,
        error: None,
        verification_required,
    }))
}

#[derive(serde::Deserialize)]
pub struct SubmitFields {
    /// `apply` from **Invite to apply**; absent from **Add Partner**.
    then: Option<String>,
}

pub async fn submit(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
    fields: web::Form<SubmitFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let how = match fields.into_inner().then.as_deref() {
        None | Some("") => registration::Registration::AddPartner,
        Some("apply") => registration::Registration::InviteToApply,
        Some(_) => return Err(AppError::bad_request("Choose Add Partner or Invite to apply.")),
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let result = db::run(&state.pool, move |conn| Ok(registration::register(conn, &settings, &actor, id, how))).await?;
    let message = match result {
        Ok(registration::Registered::Created { partner_id, held_for: None, .. })
            if how == registration::Registration::InviteToApply =>
        {
            user.flash(FlashKind::Success, "Partner invited to apply. Once the administrator accepts the invitation and submits the group's application form, approve it under Applications.")?;
            return Ok(see_other(&format!("/settings/partners/{partner_id}")));
        }
        Ok(registration::Registered::Created { partner_id, held_for: None, .. }) => {
            user.flash(FlashKind::Success, "Partner added. The administrator's invitation is on its way. Next, choose the products and APIs they can use.")?;
            return Ok(see_other(&format!("/settings/partners/{partner_id}")));
        }
        Ok(registration::Registered::Created { partner_id, held_for: Some(domain), .. }) => {
            user.flash(
                FlashKind::Success,
                format!("Partner added. Your enterprise requires verified domains for invitations, so the administrator's invitation waits: publish the TXT record of {domain} shown below, press Verify domain, then Resend invitation."),
            )?;
            return Ok(see_other(&format!("/settings/partners/{partner_id}")));
        }
        Ok(registration::Registered::AlreadySubmitted { partner_id }) => {
            return Ok(see_other(&format!("/settings/partners/{partner_id}")));
        }
        Err(registration::RegisterError::NotFound) => return Err(AppError::NotFound),
        Err(registration::RegisterError::App(e)) => return Err(e),
        Err(registration::RegisterError::Incomplete(step)) => {
            user.flash(FlashKind::Error, format!("Please complete the “{step}” step first."))?;
            return Ok(see_other(&format!("/settings/partners/drafts/{id}")));
        }
        Err(e) => (StatusCode::CONFLICT, e.to_string()),
    };
    let (status, message) = message;
    let draft = draft_or_redirect!(state, user, id);
    Ok(render_status(
        status,
        &ReviewPage {
            layout: user.layout("Register partners", "partners")?,
            steps: steps(&draft, "review"),
            draft,
            error: Some(message),
            verification_required: false,
        },
    ))
}
