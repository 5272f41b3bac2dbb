//! A catalog item's request settings (`/catalog/products/{id}/requests`,
//! `/catalog/apis/{id}/requests`): *Requestable* (partners' Admins may ask for it under
//! **Request access**) and the *Questions* they answer, one per line.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::routes::access_requests::kind;
use crate::routes::catalog::tabs::{record, MENU_KEY};
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, access_requests},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::{render_status, see_other, Layout},
    state::AppState,
};

/// At most this many questions, each at most `QUESTION_MAX` characters.
pub const QUESTIONS_MAX: usize = 5;
pub const QUESTION_MAX: usize = 200;

#[derive(Template)]
#[template(path = "access_requests/settings.html")]
struct SettingsPage {
    layout: Layout,
    kind: &'static str,
    name: String,
    action: String,
    cancel: String,
    requestable: bool,
    questions: String,
    error: Option<String>,
}

fn page(
    user: &EnterpriseAdmin,
    is_product: bool,
    id: i64,
    name: String,
    (requestable, questions): (bool, String),
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let segment = if is_product { "products" } else { "apis" };
    let layout = user.layout(format!("Requests for {name} · Catalog"), MENU_KEY)?;
    let page = SettingsPage {
        layout,
        kind: if is_product { "product" } else { "API" },
        name,
        action: format!("/catalog/{segment}/{id}/requests"),
        cancel: if is_product { "/catalog".to_string() } else { "/catalog/apis".to_string() },
        requestable,
        questions,
        error,
    };
    Ok(render_status(status, &page))
}

pub async fn form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let (segment, id) = path.into_inner();
    let is_product = kind(&segment)?;
    let enterprise_id = user.user.enterprise_id;
    let (name, requestable, questions) = db::run(&state.pool, move |conn| {
        access_requests::request_settings(conn, enterprise_id, (is_product, id))?.ok_or(AppError::NotFound)
    })
    .await?;
    page(&user, is_product, id, name, (requestable, questions.join("\n")), None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    requestable: Option<String>,
    #[serde(default)]
    questions: String,
}

/// The questions typed one per line: blank lines dropped, each trimmed.
fn parse_questions(raw: &str) -> Result<Vec<String>, String> {
    let questions: Vec<String> = raw.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
    if questions.len() > QUESTIONS_MAX {
        return Err(format!("Ask at most {QUESTIONS_MAX} questions (one per line)."));
    }
    if questions.iter().any(|q| q.chars().count() > QUESTION_MAX || q.chars().any(char::is_control)) {
        return Err(format!("Keep each question on one line, under {QUESTION_MAX} characters."));
    }
    Ok(questions)
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let (segment, id) = path.into_inner();
    let is_product = kind(&segment)?;
    let form = form.into_inner();
    let requestable = form.requestable.is_some();
    let enterprise_id = user.user.enterprise_id;
    let questions = match parse_questions(&form.questions) {
        Ok(q) => q,
        Err(e) => {
            let name = db::run(&state.pool, move |conn| {
                let found = access_requests::request_settings(conn, enterprise_id, (is_product, id))?;
                Ok(found.ok_or(AppError::NotFound)?.0)
            })
            .await?;
            let typed = (requestable, form.questions);
            return page(&user, is_product, id, name, typed, Some(e), StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let (name, _, _) =
                access_requests::request_settings(conn, enterprise_id, (is_product, id))?.ok_or(AppError::NotFound)?;
            access_requests::set_requestable(conn, enterprise_id, (is_product, id), requestable, &questions)?;
            let target = format!("{} {name}", if is_product { "Product" } else { "API" });
            let details = serde_json::json!({ "requestable": requestable, "questions": questions });
            record(conn, &actor, AuditAction::CatalogRequestsChanged, target, details)?;
            Ok(name)
        })
    })
    .await?;
    let message = if requestable {
        format!("Partners can now request {name}.")
    } else {
        format!("{name} can no longer be requested.")
    };
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(if is_product { "/catalog" } else { "/catalog/apis" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_lines_without_blanks_five_at_most() {
        assert_eq!(parse_questions(" Why?\n\n  What for? \r\n"), Ok(vec!["Why?".to_string(), "What for?".to_string()]));
        assert!(parse_questions("1\n2\n3\n4\n5\n6").is_err());
        assert!(parse_questions(&"x".repeat(201)).is_err());
        assert_eq!(parse_questions(""), Ok(vec![]));
    }
}
