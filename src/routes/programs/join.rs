//! `PUBLIC_BASE_URL/join/<code>` (SPEC §12): a visitor sees the enterprise, the group and its
//! application form; logs in or creates an account (confirmed by an emailed link); then submits
//! an application. An unknown code (never issued, or replaced by **Regenerate**) answers 404;
//! a link turned off answers 410 with a page saying it is closed, never the form.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::Connection;

use crate::{
    auth::guards::Visitor,
    db::{self, application_forms, join_links, partners, program_applications as apps},
    domain::{new_partner, AuditAction, FlashKind},
    error::{AppError, FieldErrors},
    render::{error_page, render_status, see_other, Layout},
    routes::programs::{
        applicant::{self, Applicant},
        application_form::TypedApplication,
    },
    state::AppState,
};

/// The account forms as typed.
#[derive(Default)]
pub struct AccountForms {
    /// Show **Create account** instead of **Log in** (one form at a time: each page has one
    /// *Email* and one *Password* field, as the label contract wants).
    pub creating: bool,
    pub login_email: String,
    pub login_error: Option<String>,
    pub first_name: String,
    pub surname: String,
    pub email: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "programs/join.html")]
struct JoinPage {
    layout: Layout,
    code: String,
    target: join_links::JoinTarget,
    questions: Vec<application_forms::QuestionRow>,
    applicant: Option<Applicant>,
    accounts: AccountForms,
    form: TypedApplication,
    /// Set once an application was sent (the page then thanks instead of asking again).
    submitted: bool,
    /// Whether the form shows *Partner name* and *Domain* (always, on a join link).
    with_partner_fields: bool,
}

/// The open link's group, or the page to answer instead (404 unknown, 410 closed).
pub fn closed_or_unknown(target: Option<&join_links::JoinTarget>) -> Option<HttpResponse> {
    match target {
        None => Some(error_page(
            StatusCode::NOT_FOUND,
            "This join link doesn't work",
            "The link is not valid: it may have been replaced by a new one. Ask the company that shared it for its current link.",
        )),
        Some(t) if !t.open => Some(error_page(
            StatusCode::GONE,
            "This join link is closed",
            &format!("{} is not taking applications through this link at the moment.", t.enterprise_name),
        )),
        Some(_) => None,
    }
}

/// None when `code` is an open join link; else the 404 or 410 page to answer with.
pub async fn known_and_open(state: &AppState, code: &str) -> Result<Option<HttpResponse>, AppError> {
    let c = code.to_string();
    let target = db::run(&state.pool, move |conn| Ok(join_links::by_code(conn, &c)?)).await?;
    Ok(closed_or_unknown(target.as_ref()))
}

/// Renders the join page for `code` with this state of the forms.
pub async fn show(
    visitor: &Visitor,
    state: &AppState,
    code: String,
    accounts: AccountForms,
    form: TypedApplication,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let applicant_id = applicant::signed_in(&visitor.session);
    let c = code.clone();
    let loaded = db::run(&state.pool, move |conn| {
        let Some(target) = join_links::by_code(conn, &c)? else { return Ok(None) };
        let questions = application_forms::questions(conn, target.enterprise_id, target.group_id)?;
        let applicant = applicant::load(conn, applicant_id)?;
        Ok(Some((target, questions, applicant)))
    })
    .await?;
    let target = loaded.as_ref().map(|l| &l.0);
    if let Some(page) = closed_or_unknown(target) {
        return Ok(page);
    }
    let Some((target, questions, applicant)) = loaded else { return Err(AppError::NotFound) };
    let submitted = visitor.session.get::<String>(SUBMITTED_KEY).as_deref() == Some(code.as_str());
    let layout = visitor.layout(format!("Apply to {}", target.enterprise_name))?;
    let page =
        JoinPage { layout, code, target, questions, applicant, accounts, form, submitted, with_partner_fields: true };
    Ok(render_status(status, &page))
}

/// The join code of the application just sent from this session (the page thanks for it).
const SUBMITTED_KEY: &str = "applied_on";

#[derive(serde::Deserialize)]
pub struct JoinQuery {
    /// `new`: the **Create account** form.
    account: Option<String>,
}

/// `GET /join/{code}[?account=new]`
pub async fn page(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<JoinQuery>,
) -> Result<HttpResponse, AppError> {
    let accounts = AccountForms { creating: query.account.as_deref() == Some("new"), ..AccountForms::default() };
    show(&visitor, &state, path.into_inner(), accounts, TypedApplication::default(), StatusCode::OK).await
}

enum Submitted {
    Done {
        partner_name: String,
    },
    /// Refused by the database's rules: the form again with the field marked.
    Refused(TypedApplication),
    NotConfirmed,
}

/// `POST /join/{code}/apply`: the application (*Partner name*, *Domain*, the answers).
pub async fn apply(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    let Some(applicant_id) = applicant::signed_in(&visitor.session) else {
        visitor.session.flash(FlashKind::Error, "Log in or create an account before applying.")?;
        return Ok(see_other(&format!("/join/{code}")));
    };
    let mut typed = TypedApplication::read(&body);
    let c = code.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let Some(target) = join_links::by_code(conn, &c)? else { return Ok(None) };
        if !target.open {
            return Ok(None);
        }
        let Some(applicant) = applicant::load(conn, Some(applicant_id))? else { return Ok(None) };
        if !applicant.confirmed {
            return Ok(Some(Submitted::NotConfirmed));
        }
        let questions = application_forms::questions(conn, target.enterprise_id, target.group_id)?;
        let Some((name, domains, answers)) = typed.check_all(&questions, &applicant.user.email) else {
            return Ok(Some(Submitted::Refused(typed)));
        };
        let domains: Vec<String> = domains.iter().map(|d| d.as_str().to_string()).collect();
        let result = conn.transaction::<_, AppError, _>(|conn| {
            if partners::name_taken(conn, target.enterprise_id, name.as_str(), None)? {
                typed.partner_name_error = Some(new_partner::name_taken(name.as_str()));
                return Ok(Submitted::Refused(typed.clone()));
            }
            let taken = partners::domains_taken(conn, target.enterprise_id, &domains, None)?;
            let waiting = apps::pending_domains(conn, target.enterprise_id, &domains)?;
            if !taken.is_empty() || !waiting.is_empty() {
                let mut messages: Vec<String> = taken.iter().map(|d| new_partner::domain_taken(d)).collect();
                messages.extend(waiting.iter().map(|d| pending_message(d)));
                typed.domains_error = Some(messages.join(" "));
                return Ok(Submitted::Refused(typed.clone()));
            }
            let id = apps::insert(
                conn,
                &apps::NewApplication {
                    enterprise_id: target.enterprise_id,
                    group_id: target.group_id,
                    applicant: applicant.user.id,
                    partner_id: None,
                    partner_name: name.as_str(),
                    answers: &answers,
                    domains: &domains,
                },
            )?;
            record_submitted(conn, &target, &applicant, id, name.as_str(), &domains)?;
            Ok(Submitted::Done { partner_name: name.as_str().to_string() })
        });
        match result {
            Ok(done) => Ok(Some(done)),
            // Two submissions naming one domain at the same moment: the partial unique index
            // lets one in; the other reads like the check above.
            Err(AppError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ))) => {
                typed.domains_error = Some(domains.iter().map(|d| pending_message(d)).collect::<Vec<_>>().join(" "));
                Ok(Some(Submitted::Refused(typed)))
            }
            Err(e) => Err(e),
        }
    })
    .await?;
    match outcome {
        None => {
            show(&visitor, &state, code, AccountForms::default(), TypedApplication::default(), StatusCode::OK).await
        }
        Some(Submitted::NotConfirmed) => {
            visitor
                .session
                .flash(FlashKind::Error, "Confirm your email address with the link we sent before applying.")?;
            Ok(see_other(&format!("/join/{code}")))
        }
        Some(Submitted::Refused(typed)) => {
            show(&visitor, &state, code, AccountForms::default(), typed, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Some(Submitted::Done { partner_name }) => {
            visitor.session.insert(SUBMITTED_KEY, &code)?;
            visitor.session.flash(
                FlashKind::Success,
                format!("Application for {partner_name} sent. You will get an email when it has been answered."),
            )?;
            Ok(see_other(&format!("/join/{code}")))
        }
    }
}

/// A domain named by another application still waiting for an answer.
pub fn pending_message(domain: &str) -> String {
    format!("An application for {domain} is already waiting for an answer.")
}

fn record_submitted(
    conn: &mut diesel::PgConnection,
    target: &join_links::JoinTarget,
    applicant: &Applicant,
    id: i64,
    name: &str,
    domains: &[String],
) -> Result<(), AppError> {
    let u = &applicant.user;
    let actor = format!("{} {} <{}>", u.first_name, u.surname, u.email);
    crate::db::audit::record(
        conn,
        &crate::db::audit::NewAuditEvent {
            enterprise_id: target.enterprise_id,
            partner_id: None,
            actor_user_id: Some(u.id),
            actor_label: &actor,
            actor_membership: "Applicant",
            action: AuditAction::ApplicationSubmitted,
            target: &format!("Application of {name}"),
            details: serde_json::json!({
                "application_id": id, "group_id": target.group_id, "group": target.group_name,
                "partner_name": name, "domains": domains, "via": "join link",
            }),
        },
    )?;
    Ok(())
}
