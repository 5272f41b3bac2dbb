//! Step 3, *Partner account administrator*: who is invited to run the partner's account, and
//! the optional *Personal note* of their invitation (first offered with the enterprise's
//! saved default; kept in the draft until Add Partner puts it on the invitation).

use crate::domain::DraftId;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::shared::{draft_or_redirect, first_open_step, load, steps, StepTab};
use crate::render::see_other;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, drafts, enterprises},
    domain::{Domain, EmailAddress, PersonName},
    error::AppError,
    render::{render, render_status, Layout},
    routes::note::NoteField,
    state::AppState,
};

// ---------------------------------------------------------------- Partner account administrator

#[derive(Template)]
#[template(path = "partners/wizard/administrator.html")]
struct AdminPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft_id: DraftId,
    domains: Vec<String>,
    first_name: String,
    surname: String,
    email: String,
    first_name_error: Option<String>,
    surname_error: Option<String>,
    email_error: Option<String>,
    note: NoteField,
}

impl AdminPage {
    fn has_errors(&self) -> bool {
        self.first_name_error.is_some()
            || self.surname_error.is_some()
            || self.email_error.is_some()
            || self.note.error.is_some()
    }
}

pub async fn admin_page(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let draft = draft_or_redirect!(state, user, *path);
    if !draft.has_domains() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft))));
    }
    let note = match draft.admin_note.clone() {
        Some(saved) => NoteField { value: saved, error: None },
        None => {
            let enterprise_id = user.user.enterprise_id;
            NoteField::prefilled(
                db::run(&state.pool, move |conn| Ok(enterprises::invitation_note(conn, enterprise_id)?)).await?,
            )
        }
    };
    Ok(render(&AdminPage {
        layout: user.layout("Register partners", "partners")?,
        steps: steps(&draft, "administrator"),
        draft_id: draft.id,
        domains: draft.domains.clone(),
        first_name: draft.admin_first_name.clone(),
        surname: draft.admin_surname.clone(),
        email: draft.admin_email.clone(),
        first_name_error: None,
        surname_error: None,
        email_error: None,
        note,
    }))
}

#[derive(serde::Deserialize)]
pub struct AdminForm {
    first_name: String,
    surname: String,
    email: String,
    #[serde(default)]
    note: String,
}

pub async fn save_admin(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
    form: web::Form<AdminForm>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, *path);
    if !draft.has_domains() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft))));
    }
    let AdminForm { first_name, surname, email, note } = form.into_inner();
    let (note, parsed_note) = NoteField::read(note);
    let first = PersonName::parse(&first_name);
    let last = PersonName::parse(&surname);
    let registered: Vec<Domain> = draft.domains.iter().filter_map(|d| Domain::parse(d).ok()).collect();
    let mut email_error = None;
    let parsed_email = match EmailAddress::parse(&email) {
        Err(e) => {
            email_error = Some(e.to_string());
            None
        }
        Ok(e) if !e.belongs_to(&registered) => {
            email_error = Some(crate::domain::new_partner::email_outside(&draft.domains));
            None
        }
        Ok(e) => Some(e),
    };
    if let (Ok(f), Ok(l), None, Some(addr), Ok(n)) = (&first, &last, &email_error, &parsed_email, &parsed_note) {
        let (id, f, l, a) = (draft.id, f.as_str().to_string(), l.as_str().to_string(), addr.as_str().to_string());
        let n = n.as_ref().map_or("", |n| n.as_str()).to_string();
        db::run(&state.pool, move |conn| Ok(drafts::save_admin(conn, id, &f, &l, &a, &n)?)).await?;
        return Ok(see_other(&format!("/settings/partners/drafts/{}/review", draft.id)));
    }
    let page = AdminPage {
        layout: user.layout("Register partners", "partners")?,
        steps: steps(&draft, "administrator"),
        draft_id: draft.id,
        domains: draft.domains.clone(),
        first_name,
        surname,
        email,
        first_name_error: first.err().map(|e| e.to_string()),
        surname_error: last.err().map(|e| e.to_string()),
        email_error,
        note,
    };
    debug_assert!(page.has_errors());
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}
