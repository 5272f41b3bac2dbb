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
    db::{self, users},
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
        Ok((false, users::find_by_email(conn, &acc)?))
    })
    .await?;
    if throttled {
        tracing::warn!("login refused: throttled");
        return fail(&visitor, StatusCode::TOO_MANY_REQUESTS, THROTTLED_MESSAGE, email);
    }

    let usable = user.filter(|u| u.disabled_at.is_none());
    let stored = usable.as_ref().and_then(|u| u.password_hash.clone());
    let verified = state.hasher.verify(stored, password).await?;
    let user = match (verified, usable) {
        (true, Some(user)) => user,
        _ => {
            let (acc, cli) = (account.clone(), client.clone());
            db::run(&state.pool, move |conn| Ok(throttle::record_failure(conn, &acc, &cli)?)).await?;
            return fail(&visitor, StatusCode::UNAUTHORIZED, LOGIN_FAILED, email);
        }
    };

    let acc = account.clone();
    db::run(&state.pool, move |conn| Ok(db::throttle::clear_account(conn, &acc)?)).await?;
    visitor.session.log_in(user.id)?;
    tracing::info!(user_id = %user.id, "logged in");
    let home = if user.partner_id.is_none() { "/settings/partners" } else { "/service-catalog" };
    Ok(see_other(home))
}

pub async fn logout(session: TypedSession) -> HttpResponse {
    session.log_out();
    see_other("/login?logged_out=1")
}
