//! `/login` and `/logout`.
//!
//! Every failure (unknown address, wrong password, no password set yet, disabled account)
//! gets the same message after the same argon2 work, so the form never tells which
//! addresses exist.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::{
    auth::{
        guards::Visitor,
        session::TypedSession,
        throttle::{self, THROTTLED_MESSAGE},
    },
    db::{self, memberships, users},
    domain::FlashKind,
    error::AppError,
    render::see_other,
    render::{render, render_status, Layout},
    state::AppState,
};

pub const LOGIN_FAILED: &str = "The email or password is incorrect.";

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoggedOut {
    logged_out: Option<String>,
}

pub async fn login_form(visitor: Visitor, query: web::Query<LoggedOut>) -> Result<HttpResponse, AppError> {
    if let Some(user) = &visitor.user {
        return Ok(see_other(user.home()));
    }
    if visitor.session.person().is_some() {
        return Ok(see_other("/organisations"));
    }
    let mut layout = visitor.layout("Log in")?;
    if query.logged_out.is_some() {
        layout.flashes.push(crate::auth::session::Flash {
            kind: FlashKind::Success,
            message: "You have been logged out.".into(),
        });
    }
    Ok(render(&LoginPage { layout, email: String::new(), error: None }))
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

pub async fn login(
    req: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { email, password } = form.into_inner();
    let account = email.trim().to_lowercase();
    let client = throttle::client_ip(&req, state.settings.trusted_proxy);

    let fail =
        |visitor: &Visitor, status: StatusCode, message: &str, email: String| -> Result<HttpResponse, AppError> {
            Ok(render_status(
                status,
                &LoginPage { layout: visitor.layout("Log in")?, email, error: Some(message.to_string()) },
            ))
        };

    // Refuse before hashing anything: throttling also protects the CPU.
    let (acc, cli) = (account.clone(), client.clone());
    let (throttled, user) = db::run(&state.pool, move |conn| {
        if throttle::is_throttled(conn, &acc, &cli)? {
            return Ok((true, None));
        }
        let Some(user) = users::find_by_email(conn, &acc)? else { return Ok((false, None)) };
        let choices = memberships::choices(conn, user.id)?;
        // Invited to apply (SPEC §12): no usable membership yet, but an application to finish.
        let applying = if choices.is_empty() { memberships::applying_in(conn, user.id)? } else { None };
        Ok((false, Some((user, choices, applying))))
    })
    .await?;
    if throttled {
        crate::monitoring::login_throttled();
        tracing::warn!("login refused: throttled");
        return fail(&visitor, StatusCode::TOO_MANY_REQUESTS, THROTTLED_MESSAGE, email);
    }

    // A person with no membership left that gives access can't log in (all were removed or
    // their partnerships ended); they get the same answer as a wrong password.
    let usable = user.filter(|(_, choices, applying)| !choices.is_empty() || applying.is_some());
    let stored = usable.as_ref().and_then(|(u, _, _)| u.password_hash.clone());
    let verified = state.hasher.verify(stored, password).await?;
    let (user, choices) = match (verified, usable) {
        (true, Some((user, choices, Some(partner)))) if choices.is_empty() => {
            let acc = account.clone();
            db::run(&state.pool, move |conn| Ok(db::throttle::clear_account(conn, &acc)?)).await?;
            crate::routes::programs::applicant::sign_in(&visitor.session, user.id)?;
            return Ok(see_other(&format!("/apply/{partner}")));
        }
        (true, Some((user, choices, _))) => (user, choices),
        _ => {
            let (acc, cli) = (account.clone(), client.clone());
            db::run(&state.pool, move |conn| Ok(throttle::record_failure(conn, &acc, &cli)?)).await?;
            return fail(&visitor, StatusCode::UNAUTHORIZED, LOGIN_FAILED, email);
        }
    };

    let acc = account.clone();
    db::run(&state.pool, move |conn| Ok(db::throttle::clear_account(conn, &acc)?)).await?;
    // One membership: straight in. Several: the person picks one (SPEC §10).
    let only = match choices.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    };
    visitor.session.log_in(user.id, only.as_ref().map(|c| c.membership_id), choices.len())?;
    tracing::info!(user_id = %user.id, memberships = choices.len(), "logged in");
    // A connection link opened before logging in (`/connect/{code}`) is where an Enterprise
    // admin goes next; only that path is ever remembered.
    let return_to: Option<String> = visitor.session.get(crate::routes::partners::connect::RETURN_TO_KEY);
    visitor.session.remove(crate::routes::partners::connect::RETURN_TO_KEY);
    if let (Some(choice), Some(path)) = (&only, &return_to) {
        if choice.partner_name.is_none() && path.starts_with("/connect/") {
            return Ok(see_other(path));
        }
    }
    Ok(see_other(match only {
        Some(choice) if choice.partner_name.is_none() => "/settings/partners",
        Some(_) => "/service-catalog",
        None => "/organisations",
    }))
}

pub async fn logout(session: TypedSession) -> HttpResponse {
    session.log_out();
    see_other("/login?logged_out=1")
}
