//! Discarding a draft.

use crate::domain::DraftId;
use crate::domain::FlashKind;
use actix_web::{web, HttpResponse};

use super::shared::{draft_or_redirect, load};
use crate::render::see_other;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, drafts},
    error::AppError,
    state::AppState,
};

pub async fn discard(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, *path);
    let id = draft.id;
    db::run(&state.pool, move |conn| Ok(drafts::delete(conn, id)?)).await?;
    user.flash(FlashKind::Info, "The unfinished registration was discarded.")?;
    Ok(see_other("/settings/partners"))
}
