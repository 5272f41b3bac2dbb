//! The application form builder on a group's page (SPEC §12): **Add question**, edit, remove,
//! **Move up** / **Move down**, all plain forms. Each change locks the group row, so two admins'
//! edits apply one after the other, and is audited as `enterprise.group_form_changed`.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::{Connection, PgConnection};
use serde::Deserialize;

use crate::{
    auth::{
        guards::{EnterpriseAdmin, EnterpriseEditor},
        session::Principal,
    },
    db::{self, application_forms, audit, groups},
    domain::application_form::{QuestionErrors, QuestionSpec, MAX_QUESTIONS},
    domain::{AuditAction, FlashKind, QuestionKind},
    error::AppError,
    render::{render_status, see_other, Layout},
    state::AppState,
};

const MENU_KEY: &str = "partners";

fn group_page(group: i64) -> String {
    format!("/settings/partners/groups/{group}")
}

/// The question form as typed, with its errors.
#[derive(Default)]
pub struct QuestionForm {
    pub label: String,
    pub kind: String,
    pub required: bool,
    pub choices: String,
    pub errors: QuestionErrors,
}

#[derive(Template)]
#[template(path = "programs/question.html")]
struct QuestionPage {
    layout: Layout,
    group: groups::Group,
    /// None: a new question.
    question_id: Option<i64>,
    form: QuestionForm,
    kinds: &'static [QuestionKind],
}

#[derive(Deserialize)]
pub struct QuestionFields {
    #[serde(default)]
    label: String,
    #[serde(default)]
    kind: String,
    required: Option<String>,
    #[serde(default)]
    choices: String,
}

impl QuestionFields {
    fn into_form(self) -> QuestionForm {
        QuestionForm {
            label: self.label,
            kind: self.kind,
            required: self.required.is_some(),
            choices: self.choices,
            errors: QuestionErrors::default(),
        }
    }
}

/// The typed question checked; a kind that is not one of the list's is a malformed form.
fn check(form: &QuestionForm) -> Result<Result<QuestionSpec, QuestionErrors>, AppError> {
    let kind = QuestionKind::from_stored(&form.kind).map_err(|_| AppError::bad_request("Choose a question type."))?;
    Ok(QuestionSpec::check(&form.label, kind, form.required, &form.choices))
}

async fn show(
    user: &EnterpriseAdmin,
    state: &AppState,
    group_id: i64,
    question_id: Option<i64>,
    form: Option<QuestionForm>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (group, current) = db::run(&state.pool, move |conn| {
        let group = groups::find(conn, enterprise_id, group_id)?.ok_or(AppError::NotFound)?;
        let current = match question_id {
            Some(id) => Some(application_forms::find(conn, enterprise_id, group_id, id)?.ok_or(AppError::NotFound)?),
            None => None,
        };
        Ok((group, current))
    })
    .await?;
    let form = form.unwrap_or_else(|| match &current {
        Some(q) => QuestionForm {
            label: q.label.clone(),
            kind: q.kind.as_str().to_string(),
            required: q.required,
            choices: q.choices.clone(),
            errors: QuestionErrors::default(),
        },
        None => QuestionForm { kind: QuestionKind::ShortText.as_str().into(), ..QuestionForm::default() },
    });
    let title = if question_id.is_some() { "Edit question" } else { "Add a question" };
    let layout = user.layout(format!("{title} — {}", group.name), MENU_KEY)?;
    Ok(render_status(status, &QuestionPage { layout, group, question_id, form, kinds: QuestionKind::ALL }))
}

/// 404 unless the group (and the question) is the enterprise's: checked before the form is read,
/// so a wrong id is "not found" whatever was posted.
async fn exists(
    user: &EnterpriseAdmin,
    state: &AppState,
    group_id: i64,
    question: Option<i64>,
) -> Result<(), AppError> {
    let enterprise_id = user.user.enterprise_id;
    db::run(&state.pool, move |conn| {
        groups::find(conn, enterprise_id, group_id)?.ok_or(AppError::NotFound)?;
        if let Some(q) = question {
            application_forms::find(conn, enterprise_id, group_id, q)?.ok_or(AppError::NotFound)?;
        }
        Ok(())
    })
    .await
}

/// One change of the form, in a transaction with the group row locked and the audit event.
fn change<T>(
    conn: &mut PgConnection,
    actor: &Principal,
    group_id: i64,
    what: &str,
    apply: impl FnOnce(&mut PgConnection, &groups::Group) -> Result<Result<(T, serde_json::Value), String>, AppError>,
) -> Result<Result<T, String>, AppError> {
    conn.transaction::<_, AppError, _>(|conn| {
        let group = groups::lock(conn, actor.enterprise_id, group_id)?.ok_or(AppError::NotFound)?;
        let (done, mut details) = match apply(conn, &group)? {
            Ok(done) => done,
            Err(refused) => return Ok(Err(refused)),
        };
        details["group_id"] = serde_json::json!(group_id);
        details["change"] = serde_json::json!(what);
        let target = format!("Group {}", group.name);
        audit::record_for_enterprise(conn, actor, AuditAction::GroupFormChanged, &target, details)?;
        Ok(Ok(done))
    })
}

/// `GET /settings/partners/groups/{id}/questions/new`
pub async fn new_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    show(&editor.into(), &state, path.into_inner(), None, None, StatusCode::OK).await
}

/// `POST /settings/partners/groups/{id}/questions`: **Add question** (at the end of the form).
pub async fn add(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    fields: web::Form<QuestionFields>,
) -> Result<HttpResponse, AppError> {
    let group_id = path.into_inner();
    exists(&user, &state, group_id, None).await?;
    let mut form = fields.into_inner().into_form();
    let spec = match check(&form)? {
        Ok(spec) => spec,
        Err(errors) => {
            form.errors = errors;
            return show(&user, &state, group_id, None, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = user.user.clone();
    let outcome = db::run(&state.pool, move |conn| {
        change(conn, &actor, group_id, "added", |conn, _| {
            if application_forms::questions(conn, actor.enterprise_id, group_id)?.len() >= MAX_QUESTIONS {
                return Ok(Err(format!("A form can have at most {MAX_QUESTIONS} questions.")));
            }
            let id = application_forms::add(conn, actor.enterprise_id, group_id, &spec)?;
            Ok(Ok(((), serde_json::json!({ "question_id": id, "question": spec.label, "kind": spec.kind }))))
        })
    })
    .await?;
    if let Err(message) = outcome {
        form.errors.label = Some(message);
        return show(&user, &state, group_id, None, Some(form), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    user.flash(FlashKind::Success, "Question added to the application form.")?;
    Ok(see_other(&format!("{}#application-form", group_page(group_id))))
}

/// `GET /settings/partners/groups/{id}/questions/{question}`: the edit form.
pub async fn edit_form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (group_id, question) = path.into_inner();
    show(&editor.into(), &state, group_id, Some(question), None, StatusCode::OK).await
}

/// `POST /settings/partners/groups/{id}/questions/{question}`: **Save question**.
pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    fields: web::Form<QuestionFields>,
) -> Result<HttpResponse, AppError> {
    let (group_id, question) = path.into_inner();
    exists(&user, &state, group_id, Some(question)).await?;
    let mut form = fields.into_inner().into_form();
    let spec = match check(&form)? {
        Ok(spec) => spec,
        Err(errors) => {
            form.errors = errors;
            return show(&user, &state, group_id, Some(question), Some(form), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = user.user.clone();
    db::run(&state.pool, move |conn| {
        change(conn, &actor, group_id, "edited", |conn, _| {
            let before =
                application_forms::find(conn, actor.enterprise_id, group_id, question)?.ok_or(AppError::NotFound)?;
            application_forms::update(conn, actor.enterprise_id, group_id, question, &spec)?;
            let details = serde_json::json!({
                "question_id": question,
                "from": { "question": before.label, "kind": before.kind, "required": before.required },
                "to": { "question": spec.label, "kind": spec.kind, "required": spec.required },
            });
            Ok(Ok(((), details)))
        })
    })
    .await?
    .map_err(AppError::Conflict)?;
    user.flash(FlashKind::Success, "Question saved.")?;
    Ok(see_other(&format!("{}#application-form", group_page(group_id))))
}

/// `POST /settings/partners/groups/{id}/questions/{question}/remove`. Applications already
/// submitted keep their answer (they hold the question's words).
pub async fn remove(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (group_id, question) = path.into_inner();
    let actor = user.user.clone();
    db::run(&state.pool, move |conn| {
        change(conn, &actor, group_id, "removed", |conn, _| {
            let before =
                application_forms::find(conn, actor.enterprise_id, group_id, question)?.ok_or(AppError::NotFound)?;
            application_forms::remove(conn, actor.enterprise_id, group_id, question)?;
            Ok(Ok(((), serde_json::json!({ "question_id": question, "question": before.label }))))
        })
    })
    .await?
    .map_err(AppError::Conflict)?;
    user.flash(FlashKind::Success, "Question removed from the application form.")?;
    Ok(see_other(&format!("{}#application-form", group_page(group_id))))
}

async fn move_one(
    user: EnterpriseAdmin,
    state: &AppState,
    group_id: i64,
    question: i64,
    up: bool,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    db::run(&state.pool, move |conn| {
        change(conn, &actor, group_id, if up { "moved up" } else { "moved down" }, |conn, _| {
            application_forms::find(conn, actor.enterprise_id, group_id, question)?.ok_or(AppError::NotFound)?;
            let moved = application_forms::move_question(conn, actor.enterprise_id, group_id, question, up)?;
            Ok(Ok(((), serde_json::json!({ "question_id": question, "moved": moved }))))
        })
    })
    .await?
    .map_err(AppError::Conflict)?;
    Ok(see_other(&format!("{}#question-{question}", group_page(group_id))))
}

/// `POST /settings/partners/groups/{id}/questions/{question}/up`: **Move up**.
pub async fn move_up(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (group_id, question) = path.into_inner();
    move_one(user, &state, group_id, question, true).await
}

/// `POST /settings/partners/groups/{id}/questions/{question}/down`: **Move down**.
pub async fn move_down(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (group_id, question) = path.into_inner();
    move_one(user, &state, group_id, question, false).await
}
