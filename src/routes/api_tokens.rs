//! Settings → **API tokens** (`/settings/api-tokens`, SPEC §14): the enterprise's bearer tokens
//! for the REST API. Enterprise admins and Viewers read the list; an Enterprise admin creates a
//! token with a name, scopes and an *Expires on* day (it is shown once, in the answer to the
//! POST; only its SHA-256 is kept) and revokes one after a confirmation page. Each change is one
//! transaction with its audit event.

use std::collections::BTreeSet;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::routes::partners::grants::shared::{form_fields, read_expiry};
use crate::{
    auth::{
        guards::{EnterpriseAdmin, EnterpriseEditor},
        tokens,
    },
    db::{self, api_tokens, audit},
    domain::{expiry, AuditAction, FlashKind},
    error::AppError,
    render::{render, render_status, see_other, Layout},
    routes::applications::secret::shown_once,
    state::AppState,
};

const MENU_KEY: &str = "api-tokens";
const LIST: &str = "/settings/api-tokens";
/// What every token starts with, so that a leaked one is recognisable (secret scanners).
pub const PREFIX: &str = "ppat_";
const NAME_MAX: usize = 100;

/// The scopes a token can have (SPEC §14), with what each allows.
pub const SCOPES: [(&str, &str); 5] = [
    ("partners:read", "Read partners, their domains, people and grants"),
    ("partners:write", "Register, change and deactivate partners"),
    ("grants:write", "Grant and revoke products and APIs"),
    ("invitations:write", "Send, resend and revoke invitations"),
    ("audit:read", "Read the activity"),
];

pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub hint: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    pub last_used: Option<DateTime<Utc>>,
    pub revoked: Option<DateTime<Utc>>,
    pub expired: bool,
}

impl TokenView {
    fn new(t: &api_tokens::ApiToken, now: DateTime<Utc>) -> Self {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            scopes: t.scopes(),
            hint: t.hint.clone(),
            created: t.created_at,
            expires: t.expires_at,
            last_used: t.last_used_at,
            revoked: t.revoked_at,
            expired: t.expires_at <= now,
        }
    }
}

/// The create form as typed, with its errors.
#[derive(Default)]
pub struct TokenForm {
    pub name: String,
    pub scopes: BTreeSet<String>,
    pub expires_on: String,
    pub name_error: Option<String>,
    pub scopes_error: Option<String>,
    pub expires_error: Option<String>,
}

impl TokenForm {
    fn has_scope(&self, scope: &&str) -> bool {
        self.scopes.contains(*scope)
    }
}

#[derive(Template)]
#[template(path = "api_tokens/list.html")]
struct ListPage {
    layout: Layout,
    enterprise_name: String,
    tokens: Vec<TokenView>,
    form: TokenForm,
    scopes: [(&'static str, &'static str); 5],
}

async fn show(
    user: &EnterpriseAdmin,
    state: &AppState,
    form: TokenForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(api_tokens::list(conn, enterprise_id)?)).await?;
    let now = Utc::now();
    let page = ListPage {
        layout: user.layout("API tokens", MENU_KEY)?,
        enterprise_name: user.user.enterprise_name.clone(),
        tokens: rows.iter().map(|t| TokenView::new(t, now)).collect(),
        form,
        scopes: SCOPES,
    };
    Ok(render_status(status, &page))
}

pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let default_end = user.user.clock().today() + Duration::days(90);
    let form = TokenForm { expires_on: default_end.to_string(), ..TokenForm::default() };
    show(&user, &state, form, StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "api_tokens/created.html")]
struct CreatedPage {
    layout: Layout,
    name: String,
    token: String,
    scopes: Vec<String>,
    expires: String,
    api_base: String,
}

/// Creates a token: 201 with the token, shown once; a bad form is shown again (422).
pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let mut form = TokenForm::default();
    for (name, value) in form_fields(&body) {
        match name.as_str() {
            "name" => form.name = value,
            "scope" => {
                if !SCOPES.iter().any(|(s, _)| *s == value) {
                    return Err(AppError::bad_request("That scope is not one of the portal's."));
                }
                form.scopes.insert(value);
            }
            "expires_on" => form.expires_on = value.trim().chars().take(20).collect(),
            _ => {}
        }
    }
    let name = form.name.trim().to_string();
    if name.is_empty() {
        form.name_error = Some("Give the token a name, such as the system that will use it.".into());
    } else if name.chars().count() > NAME_MAX || name.chars().any(char::is_control) {
        form.name_error = Some(format!("Keep the name on one line, under {NAME_MAX} characters."));
    }
    if form.scopes.is_empty() {
        form.scopes_error = Some("Choose at least one scope.".into());
    }
    let end = match read_expiry(&user.user, &form.expires_on) {
        Ok(Some(end)) => Some(end),
        Ok(None) => {
            form.expires_error = Some("Choose the day the token stops working.".into());
            None
        }
        Err(e) => {
            form.expires_error = Some(e);
            None
        }
    };
    let Some(end) = end.filter(|_| form.name_error.is_none() && form.scopes_error.is_none()) else {
        return show(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let token = format!("{PREFIX}{}", tokens::random_token());
    let hash = tokens::token_hash(&token);
    let hint: String = token.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    let scopes: Vec<String> = SCOPES.iter().map(|(s, _)| s.to_string()).filter(|s| form.scopes.contains(s)).collect();
    let actor = user.user.clone();
    let (stored_name, stored_scopes) = (name.clone(), scopes.clone());
    db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let id = api_tokens::insert(
                conn,
                &api_tokens::NewApiToken {
                    enterprise_id: actor.enterprise_id,
                    name: &stored_name,
                    scopes: &stored_scopes,
                    token_hash: &hash,
                    hint: &hint,
                    expires_at: end.at,
                    created_by: actor.user_id,
                },
            )?;
            let details = serde_json::json!({
                "api_token_id": id, "name": stored_name, "scopes": stored_scopes, "expires_on": end.on, "hint": hint,
            });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::ApiTokenCreated,
                &format!("API token {stored_name}"),
                details,
            )?;
            Ok(id)
        })
    })
    .await?;
    let page = CreatedPage {
        layout: user.layout(format!("API token {name}"), MENU_KEY)?,
        name,
        token,
        scopes,
        expires: expiry::day_text(end.on),
        api_base: state.settings.link("/api/v1/"),
    };
    Ok(shown_once(StatusCode::CREATED, &page))
}

#[derive(Template)]
#[template(path = "api_tokens/revoke.html")]
struct RevokePage {
    layout: Layout,
    token: TokenView,
}

pub async fn confirm_revoke(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = editor.user.enterprise_id;
    let token = db::run(&state.pool, move |conn| {
        api_tokens::find(conn, enterprise_id, id, false)?.filter(|t| t.revoked_at.is_none()).ok_or(AppError::NotFound)
    })
    .await?;
    let page = RevokePage {
        layout: editor.layout(format!("Revoke {}?", token.name), MENU_KEY)?,
        token: TokenView::new(&token, Utc::now()),
    };
    Ok(render(&page))
}

pub async fn revoke(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let name = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let token = api_tokens::find(conn, actor.enterprise_id, id, true)?.ok_or(AppError::NotFound)?;
            if !api_tokens::revoke(conn, actor.enterprise_id, id)? {
                return Err(AppError::Conflict(format!("API token {} was already revoked.", token.name)));
            }
            let details = serde_json::json!({ "api_token_id": id, "name": token.name, "hint": token.hint });
            audit::record_for_enterprise(
                conn,
                &actor,
                AuditAction::ApiTokenRevoked,
                &format!("API token {}", token.name),
                details,
            )?;
            Ok(token.name)
        })
    })
    .await?;
    user.flash(FlashKind::Success, format!("API token {name} revoked: requests carrying it are refused from now on."))?;
    Ok(see_other(LIST))
}
