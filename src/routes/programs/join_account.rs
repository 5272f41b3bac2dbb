//! The applicant's account on a join link: **Log in** (an existing account), **Create account**
//! (its address confirmed by an emailed single-use link), **Send the link again**, the
//! confirmation link itself, and **Log out**.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use diesel::Connection;
use serde::Deserialize;

use crate::{
    auth::guards::Visitor,
    db::{self, join_links, users},
    domain::{EmailAddress, FlashKind, NewPassword, PersonName},
    error::{AppError, FieldErrors},
    render::{render_status, see_other, Layout},
    routes::programs::{
        applicant,
        application_form::TypedApplication,
        join::{known_and_open, show, AccountForms},
    },
    state::AppState,
};

fn back(code: &str) -> String {
    format!("/join/{code}")
}

/// `POST /join/{code}/login`
pub async fn login(
    req: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<applicant::LoginFields>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    let applicant::LoginFields { email, password } = form.into_inner();
    match applicant::verify_password(&req, &state, &email, password).await? {
        Ok(user) => {
            applicant::sign_in(&visitor.session, user)?;
            Ok(see_other(&back(&code)))
        }
        Err((status, message)) => {
            let accounts =
                AccountForms { login_email: email, login_error: Some(message.into()), ..AccountForms::default() };
            show(&visitor, &state, code, accounts, TypedApplication::default(), status).await
        }
    }
}

#[derive(Deserialize)]
pub struct AccountFields {
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

pub const ACCOUNT_EXISTS: &str = "An account already uses this email address. Log in instead.";

/// `POST /join/{code}/account`: **Create account**; the confirmation link is emailed.
pub async fn create_account(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<AccountFields>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    let f = form.into_inner();
    let mut errors = FieldErrors::default();
    let first = errors.check("first_name", PersonName::parse(&f.first_name));
    let surname = errors.check("surname", PersonName::parse(&f.surname));
    let email = errors.check("email", EmailAddress::parse(&f.email));
    let password = errors.check("password", NewPassword::parse(&f.password, &f.password_confirmation));
    let refused = |errors: FieldErrors| AccountForms {
        creating: true,
        first_name: f.first_name.clone(),
        surname: f.surname.clone(),
        email: f.email.clone(),
        errors,
        ..AccountForms::default()
    };
    let (Some(first), Some(surname), Some(email), Some(password)) = (first, surname, email, password) else {
        let accounts = refused(errors);
        return show(&visitor, &state, code, accounts, TypedApplication::default(), StatusCode::UNPROCESSABLE_ENTITY)
            .await;
    };
    let hash = state.hasher.hash(password.expose().to_string()).await?;
    let settings = state.settings.clone();
    let c = code.clone();
    let created = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let Some(target) = join_links::by_code(conn, &c)?.filter(|t| t.open) else { return Ok(None) };
            if users::find_by_email(conn, email.as_str())?.is_some() {
                return Ok(Some(Err(())));
            }
            let user = users::insert_unconfirmed(
                conn,
                &users::NewUser {
                    email: email.as_str(),
                    first_name: first.as_str(),
                    surname: surname.as_str(),
                    password_hash: Some(&hash),
                },
            )
            .map_err(|e| match e {
                // Created by a simultaneous request for the same address.
                diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                    AppError::Conflict(ACCOUNT_EXISTS.into())
                }
                e => AppError::from(e),
            })?;
            applicant::send_confirmation(conn, &settings, &user, target.enterprise_id, &target.enterprise_name, &c)?;
            Ok(Some(Ok(user.id)))
        })
    })
    .await?;
    match created {
        None => {
            show(&visitor, &state, code, AccountForms::default(), TypedApplication::default(), StatusCode::OK).await
        }
        Some(Err(())) => {
            let accounts = refused(FieldErrors::one("email", ACCOUNT_EXISTS));
            show(&visitor, &state, code, accounts, TypedApplication::default(), StatusCode::CONFLICT).await
        }
        Some(Ok(user)) => {
            applicant::sign_in(&visitor.session, user)?;
            visitor.session.flash(
                FlashKind::Success,
                "Account created. We sent you an email: open its link to confirm your address.",
            )?;
            Ok(see_other(&back(&code)))
        }
    }
}

/// `POST /join/{code}/confirmation`: **Send the link again**.
pub async fn resend(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    let Some(user_id) = applicant::signed_in(&visitor.session) else { return Ok(see_other(&back(&code))) };
    let settings = state.settings.clone();
    let c = code.clone();
    db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let Some(target) = join_links::by_code(conn, &c)?.filter(|t| t.open) else { return Ok(()) };
            let Some(a) = applicant::load(conn, Some(user_id))? else { return Ok(()) };
            if !a.confirmed {
                applicant::send_confirmation(
                    conn,
                    &settings,
                    &a.user,
                    target.enterprise_id,
                    &target.enterprise_name,
                    &c,
                )?;
            }
            Ok(())
        })
    })
    .await?;
    visitor.session.flash(FlashKind::Success, "We sent a new link. Earlier links no longer work.")?;
    Ok(see_other(&back(&code)))
}

#[derive(Template)]
#[template(path = "programs/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    code: String,
    token: String,
    /// The link can't be used (used, expired, unknown).
    problem: bool,
}

fn link_usable(conn: &mut diesel::PgConnection, token: &str) -> Result<bool, AppError> {
    let found = db::tokens::find_by_hash(conn, &crate::auth::tokens::token_hash(token))?;
    Ok(found.is_some_and(|t| {
        t.purpose == db::tokens::PURPOSE_CONFIRM && t.used_at.is_none() && t.expires_at > chrono::Utc::now()
    }))
}

fn confirm_page(visitor: &Visitor, code: String, token: String, problem: bool) -> Result<HttpResponse, AppError> {
    let status = if problem { StatusCode::GONE } else { StatusCode::OK };
    let layout = visitor.layout(if problem { "This link can't be used" } else { "Confirm your email address" })?;
    Ok(render_status(status, &ConfirmPage { layout, code, token, problem }))
}

/// `GET /join/{code}/confirm/{token}`: the emailed link opens a page with **Confirm email**
/// (a GET changes nothing, so a mail scanner opening the link doesn't use it up).
pub async fn confirm_form(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, token) = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    let t = token.clone();
    let usable = db::run(&state.pool, move |conn| link_usable(conn, &t)).await?;
    confirm_page(&visitor, code, token, !usable)
}

/// `POST /join/{code}/confirm/{token}`: confirms the address (once) and signs the applicant in.
pub async fn confirm(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (code, token) = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    let t = token.clone();
    let confirmed = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| applicant::claim_confirmation(conn, &t))
    })
    .await?;
    let Some(user) = confirmed else { return confirm_page(&visitor, code, token, true) };
    applicant::sign_in(&visitor.session, user)?;
    visitor.session.flash(FlashKind::Success, "Email address confirmed. You can now apply.")?;
    Ok(see_other(&back(&code)))
}

/// `POST /join/{code}/logout`: **Log out** of the applicant's session.
pub async fn logout(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if let Some(page) = known_and_open(&state, &code).await? {
        return Ok(page);
    }
    Ok(applicant::log_out(visitor.session, &back(&code)).await)
}
