//! Enterprise settings → **Invitation note** (SPEC §13): the default *Personal note* that
//! pre-fills every invitation form of the enterprise (partner Members, Invite a team, Team,
//! the partner administrator). `POST /settings/enterprise/invitation-note` saves it (empty:
//! no default); a note that is too long or holds hidden characters shows the page again (422)
//! with the message under the field and changes nothing. The change and its audit event are
//! one transaction.

use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, audit, enterprises},
    domain::{AuditAction, FlashKind, PersonalNote},
    error::AppError,
    render::see_other,
    routes::enterprise::{
        page::{show, Sections},
        PAGE,
    },
    state::AppState,
};

/// What the section shows: the saved note (or what was typed) and the form's error.
pub struct InvitationNoteSection {
    pub note: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct NoteFields {
    #[serde(default)]
    invitation_note: String,
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<NoteFields>,
) -> Result<HttpResponse, AppError> {
    let typed = form.into_inner().invitation_note;
    let note = match PersonalNote::parse(&typed) {
        Ok(note) => note,
        Err(e) => {
            let mut sections = Sections::current(&user, &state).await?;
            sections.invitation_note = InvitationNoteSection { note: typed, error: Some(e.to_string()) };
            return show(&user, sections, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let actor = user.user.clone();
    let saved = note.as_ref().map(|n| n.as_str().to_string());
    let changed = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let previous = enterprises::set_invitation_note(conn, actor.enterprise_id, saved.as_deref())?;
            if previous == saved {
                return Ok(false);
            }
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::EnterpriseInvitationNoteChanged,
                &format!("Enterprise {}", actor.enterprise_name),
                serde_json::json!({ "from": previous, "to": saved }),
            )?;
            Ok(true)
        })
    })
    .await?;
    let message = match (changed, note.is_some()) {
        (false, _) => "Nothing changed.",
        (true, true) => "Saved. New invitations start with this note; it can be changed on each one.",
        (true, false) => "Saved. Invitations no longer start with a note.",
    };
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(PAGE))
}
