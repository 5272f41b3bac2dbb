//! The register-partner wizard: *Partner info* → *Register Domain* → *Partner account
//! administrator* → *Review* → **Add Partner**.
//!
//! Every step saves into a server-side draft row, so refresh, back and reopening the wizard
//! lose nothing. Tabs of steps already reachable are links; later ones are plain text.

use actix_multipart::form::MultipartForm;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use crate::domain::parse_id;
use crate::render::see_other;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, drafts, drafts::Draft, partners, registration, users},
    domain::{Domain, EmailAddress, FlashKind, PersonName},
    error::AppError,
    render::{render, render_status, Layout},
    routes::partners::info_form::{InfoForm, InfoInput, LogoChange},
    state::AppState,
};

pub const DOMAIN_WARNING: &str = "Add all the domains the Partner Account will use. \
     Invitations can only be sent to members with registered domains.";

/// One upper tab of the wizard.
pub struct StepTab {
    pub label: &'static str,
    pub href: Option<String>,
    pub current: bool,
    pub done: bool,
}

fn steps(draft: &Draft, current: &str) -> Vec<StepTab> {
    let base = format!("/settings/partners/drafts/{}", draft.id);
    let defs = [
        ("info", "Partner info", true, draft.has_info()),
        ("domains", "Register Domain", draft.has_info(), draft.has_domains()),
        ("administrator", "Partner account administrator", draft.has_domains(), draft.has_admin()),
        ("review", "Review", draft.has_info() && draft.has_domains() && draft.has_admin(), false),
    ];
    defs.into_iter()
        .map(|(slug, label, reachable, done)| StepTab {
            label,
            href: reachable.then(|| format!("{base}/{slug}")),
            current: slug == current,
            done,
        })
        .collect()
}

fn first_open_step(draft: &Draft) -> &'static str {
    if !draft.has_info() {
        "info"
    } else if !draft.has_domains() {
        "domains"
    } else if !draft.has_admin() {
        "administrator"
    } else {
        "review"
    }
}

/// Loads the admin's draft; a draft already turned into a partner sends them to it.
async fn load(state: &AppState, user: &EnterpriseAdmin, raw_id: &str) -> Result<Result<Draft, HttpResponse>, AppError> {
    let id = parse_id(raw_id)?;
    let (enterprise_id, user_id) = (user.user.enterprise_id, user.user.user_id);
    let draft = db::run(&state.pool, move |conn| Ok(drafts::find(conn, enterprise_id, user_id, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(partner_id) = draft.submitted_partner_id {
        return Ok(Err(see_other(&format!("/settings/partners/{partner_id}"))));
    }
    Ok(Ok(draft))
}

macro_rules! draft_or_redirect {
    ($state:expr, $user:expr, $id:expr) => {
        match load(&$state, &$user, &$id).await? {
            Ok(draft) => draft,
            Err(redirect) => return Ok(redirect),
        }
    };
}

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
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft))))
}

// ---------------------------------------------------------------- Partner info

#[derive(Template)]
#[template(path = "partners/wizard/info.html")]
struct InfoPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft_id: i64,
    name: String,
    name_error: Option<String>,
    logo_error: Option<String>,
    has_logo: bool,
}

pub async fn info_page(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
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
    path: web::Path<String>,
    form: MultipartForm<InfoForm>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    let input = InfoInput::from_form(form.into_inner());
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
        (Ok(n), true) => Some(format!("Another partner is already called “{}”. Choose a different name.", n.as_str())),
        _ => None,
    };
    let logo_error = input.logo.as_ref().err().cloned();
    if name_error.is_none() && logo_error.is_none() {
        return Ok(see_other(&format!("/settings/partners/drafts/{draft_id}/domains")));
    }
    let draft = draft_or_redirect!(state, user, path);
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
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
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

// ---------------------------------------------------------------- Register Domain

#[derive(Template)]
#[template(path = "partners/wizard/domains.html")]
struct DomainsPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft_id: i64,
    domains: Vec<String>,
    domain: String,
    domain_error: Option<String>,
    warning: &'static str,
}

pub async fn domains_page(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
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
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    if !draft.has_info() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/info", draft.id)));
    }
    let (raw, action, remove) = read_domains_form(&body);
    let mut domains = draft.domains.clone();
    let mut error = None;

    if let Some(gone) = remove {
        domains.retain(|d| *d != gone);
    } else if !raw.trim().is_empty() {
        match Domain::parse(&raw) {
            Err(e) => error = Some(e.to_string()),
            Ok(d) if domains.iter().any(|x| x == d.as_str()) => {
                error = Some(format!("{} is already in the list.", d.as_str()))
            }
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
                    error = Some(format!("{} is already registered to another partner.", d.as_str()));
                }
            }
        }
    } else if action == "next" && domains.is_empty() {
        error = Some("Add at least one domain.".to_string());
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

// ---------------------------------------------------------------- Partner account administrator

#[derive(Template)]
#[template(path = "partners/wizard/administrator.html")]
struct AdminPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft_id: i64,
    domains: Vec<String>,
    first_name: String,
    surname: String,
    email: String,
    first_name_error: Option<String>,
    surname_error: Option<String>,
    email_error: Option<String>,
}

impl AdminPage {
    fn has_errors(&self) -> bool {
        self.first_name_error.is_some() || self.surname_error.is_some() || self.email_error.is_some()
    }
}

pub async fn admin_page(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    if !draft.has_domains() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft))));
    }
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
    }))
}

#[derive(serde::Deserialize)]
pub struct AdminForm {
    first_name: String,
    surname: String,
    email: String,
}

pub async fn save_admin(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AdminForm>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    if !draft.has_domains() {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/{}", draft.id, first_open_step(&draft))));
    }
    let AdminForm { first_name, surname, email } = form.into_inner();
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
            email_error = Some(format!(
                "The email must use one of the partner's registered domains: {}.",
                draft.domains.join(", ")
            ));
            None
        }
        Ok(e) => Some(e),
    };
    if let Some(addr) = &parsed_email {
        let address = addr.as_str().to_string();
        let exists = db::run(&state.pool, move |conn| Ok(users::find_by_email(conn, &address)?.is_some())).await?;
        if exists {
            email_error = Some(format!(
                "{} already has an account in the portal, so it can't be invited as this partner's administrator.",
                addr.as_str()
            ));
        }
    }
    if let (Ok(f), Ok(l), None, Some(addr)) = (&first, &last, &email_error, &parsed_email) {
        let (id, f, l, a) = (draft.id, f.as_str().to_string(), l.as_str().to_string(), addr.as_str().to_string());
        db::run(&state.pool, move |conn| Ok(drafts::save_admin(conn, id, &f, &l, &a)?)).await?;
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
    };
    debug_assert!(page.has_errors());
    Ok(render_status(StatusCode::UNPROCESSABLE_ENTITY, &page))
}

// ---------------------------------------------------------------- Review and Add Partner

#[derive(Template)]
#[template(path = "partners/wizard/review.html")]
struct ReviewPage {
    layout: Layout,
    steps: Vec<StepTab>,
    draft: Draft,
    error: Option<String>,
}

pub async fn review_page(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    let open = first_open_step(&draft);
    if open != "review" {
        return Ok(see_other(&format!("/settings/partners/drafts/{}/{open}", draft.id)));
    }
    Ok(render(&ReviewPage {
        layout: user.layout("Register partners", "partners")?,
        steps: steps(&draft, "review"),
        draft,
        error: None,
    }))
}

pub async fn submit(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let result = db::run(&state.pool, move |conn| Ok(registration::register(conn, &settings, &actor, id))).await?;
    let message = match result {
        Ok(registration::Registered::Created { partner_id, .. }) => {
            user.flash(FlashKind::Success, "Partner added. The administrator's invitation is on its way. Next, choose the products and APIs they can use.")?;
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
        Err(e) => e.to_string(),
    };
    let draft = draft_or_redirect!(state, user, path);
    Ok(render_status(
        StatusCode::CONFLICT,
        &ReviewPage {
            layout: user.layout("Register partners", "partners")?,
            steps: steps(&draft, "review"),
            draft,
            error: Some(message),
        },
    ))
}

pub async fn discard(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let draft = draft_or_redirect!(state, user, path);
    let id = draft.id;
    db::run(&state.pool, move |conn| Ok(drafts::delete(conn, id)?)).await?;
    user.flash(FlashKind::Info, "The unfinished registration was discarded.")?;
    Ok(see_other("/settings/partners"))
}
