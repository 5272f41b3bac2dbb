//! Starting the wizard (`POST /settings/partners/drafts`) and resuming a draft at its first
//! open step.

use crate::domain::DraftId;
use crate::domain::FlashKind;
use actix_web::{web, HttpResponse};

use super::shared::{draft_or_redirect, first_open_step, load};
use crate::render::see_other;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, drafts, partners},
    error::AppError,
    state::AppState,
};

/// **Register partners**: resumes the admin's unfinished draft, or starts one.
pub async fn start(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (enterprise_id, user_id) = (user.user.enterprise_id, user.user.user_id);
    let outcome = db::run(&state.pool, move |conn| {
        if let Some(draft) = drafts::latest_open(conn, enterprise_id, user_id)? {
            return Ok(Ok(draft));
        }
        let enterprise = db::enterprises::find(conn, enterprise_id)?;
        let used = partners::count_toward_limit(conn, enterprise_id)?;
        if used >= i64::from(enterprise.partner_limit) {
            return Ok(Err((used, enterprise.partner_limit)));
        }
        Ok(Ok(drafts::create(conn, enterprise_id, user_id)?))
    })
    .await?;
    match outcome {
        Ok(draft) => Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft)))),
        Err((used, limit)) => {
            user.flash(
                FlashKind::Error,
                format!("{used} of {limit} partners registered. Deactivate a partner to register another."),
            )?;
            Ok(see_other("/settings/partners"))
        }
    }
}

pub async fn resume(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let draft = draft_or_redirect!(state, user, *path);
    Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft))))
}
