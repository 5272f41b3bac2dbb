//! Step 2, *Register Domain*: the partner's email domains.

use crate::domain::DraftId;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::shared::{draft_or_redirect, load, steps, StepTab, DOMAIN_WARNING};
use crate::render::see_other;
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, drafts, partners},
    domain::{new_partner, Domain},
    error::AppError,
    render::{render, render_status, Layout},
    state::AppState,
};

// ---------------------------------------------------------------- Register Domain

#[derive(Template)]
#[template(path = "partners/wizard/domains.html")]
struct DomainsPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft_id: DraftId,
    domains: Vec<String>,
    domain: String,
    domain_error: Option<String>,
    warning: &'static str,
}

pub async fn domains_page(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let draft = draft_or_redirect!(state, user, *path);
    if !draft.has_info() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/info", draft.id)));
    }
    Ok(render(&DomainsPage {
        layout: user.layout("Register partners", "partners")?,
        steps: steps(&draft, "domains"),
        draft_id: draft.id,
        domains: draft.domains.clone(),
        domain: String::new(),
        domain_error: None,
        warning: DOMAIN_WARNING,
    }))
}

/// The domain step's form: `domain` (a new entry), `action` (add | next) or `remove`.
fn read_domains_form(body: &[u8]) -> (String, String, Option<String>) {
    let mut domain = String::new();
    let mut action = String::new();
    let mut remove = None;
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "domain" => domain = v.into_owned(),
            "action" => action = v.into_owned(),
            "remove" => remove = Some(v.into_owned()),
            _ => {}
        }
    }
    (domain, action, remove)
}

pub async fn save_domains(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<DraftId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, *path);
    if !draft.has_info() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/info", draft.id)));
    }
    let (raw, action, remove) = read_domains_form(&body);
    let mut domains = draft.domains.clone();
    let mut error = None;

    if let Some(gone) = remove {
        domains.retain(|d| *d != gone);
    } else if !raw.trim().is_empty() {
        match Domain::parse_for_partner(&raw) {
            Err(e) => error = Some(e.to_string()),
            Ok(d) if domains.iter().any(|x| x == d.as_str()) => error = Some(new_partner::domain_in_list(d.as_str())),
            Ok(d) => {
                let candidate = vec![d.as_str().to_string()];
                let enterprise_id = user.user.enterprise_id;
                let taken = db::run(&state.pool, move |conn| {
                    Ok(partners::domains_taken(conn, enterprise_id, &candidate, None)?)
                })
                .await?;
                if taken.is_empty() {
                    domains.push(d.as_str().to_string());
                } else {
                    error = Some(new_partner::domain_taken(d.as_str()));
                }
            }
        }
    } else if action == "next" && domains.is_empty() {
        error = Some(new_partner::ADD_ONE_DOMAIN.to_string());
    } else if action == "add" {
        error = Some("Enter a domain like acme.com.".to_string());
    }

    if domains != draft.domains {
        let (id, list) = (draft.id, domains.clone());
        db::run(&state.pool, move |conn| Ok(drafts::save_domains(conn, id, &list)?)).await?;
    }
    if error.is_none() && action == "next" && !domains.is_empty() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/administrator", draft.id)));
    }
    if error.is_none() {
        // Post/Redirect/Get: the step is shown again through a GET, so a browser reload
        // neither resubmits the form nor answers "already in the list".
        return Ok(see_other(&format!("/settings/partners/drafts/{}/domains", draft.id)));
    }
    let mut shown = draft.clone();
    shown.domains = domains.clone();
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render_status(
        status,
        &DomainsPage {
            layout: user.layout("Register partners", "partners")?,
            steps: steps(&shown, "domains"),
            draft_id: draft.id,
            domains,
            domain: if error.is_some() { raw } else { String::new() },
            domain_error: error,
            warning: DOMAIN_WARNING,
        },
    ))
}
