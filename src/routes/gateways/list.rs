//! `/settings/gateways`: the enterprise's gateway credentials and, for Enterprise admins, the
//! form that creates one. Creating answers with the page that shows the secret once (201).

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{
        credentials::{self, ClientKind},
        guards::EnterpriseAdmin,
    },
    db::{self, oauth},
    domain::{AuditAction, ClientName},
    error::AppError,
    render::{render_status, Layout},
    routes::{
        applications::secret::shown_once,
        gateways::{record, GatewayView, MENU_KEY},
    },
    state::AppState,
};

#[derive(Default)]
pub struct GatewayForm {
    pub name: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "gateways/list.html")]
struct ListPage {
    layout: Layout,
    enterprise_name: String,
    gateways: Vec<GatewayView>,
    form: GatewayForm,
    introspect_url: String,
    check_url: String,
}

async fn show(
    user: &EnterpriseAdmin,
    state: &AppState,
    form: GatewayForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| Ok(oauth::gateway_credentials(conn, enterprise_id)?)).await?;
    let page = ListPage {
        layout: user.layout("Gateway credentials", MENU_KEY)?,
        enterprise_name: user.user.enterprise_name.clone(),
        gateways: rows.iter().map(GatewayView::new).collect(),
        form,
        introspect_url: state.settings.link("/oauth/introspect"),
        check_url: state.settings.link("/gateway/check"),
    };
    Ok(render_status(status, &page))
}

pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    show(&user, &state, GatewayForm::default(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "gateways/created.html")]
struct CreatedPage {
    layout: Layout,
    name: String,
    client_id: String,
    secret: String,
    introspect_url: String,
    check_url: String,
}

#[derive(Deserialize)]
pub struct GatewayFields {
    name: String,
}

/// Creates a gateway credential: 201 with its secret, shown once; a bad name shows the form
/// again (422).
pub async fn create(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<GatewayFields>,
) -> Result<HttpResponse, AppError> {
    let raw = form.into_inner().name;
    let name = match ClientName::parse(&raw) {
        Ok(name) => name,
        Err(e) => {
            let form = GatewayForm { name: raw, error: Some(e.to_string()) };
            return show(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let actor = user.user.clone();
    let client_id = credentials::new_client_id(ClientKind::Gateway, actor.enterprise_id);
    let secret = credentials::new_secret();
    let hash = credentials::hash(state.settings.oauth.credential_key.expose(), &secret);
    let hint = credentials::hint(&secret);
    let (stored_name, stored_client) = (name.clone(), client_id.clone());
    let id = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let id = oauth::create_gateway_credential(
                conn,
                &oauth::NewGatewayCredential {
                    enterprise_id: actor.enterprise_id,
                    name: stored_name.as_str(),
                    client_id: &stored_client,
                    hash: &hash,
                    hint: &hint,
                    by: actor.user_id,
                },
            )?;
            record(
                conn,
                &actor,
                AuditAction::GatewayCredentialCreated,
                stored_name.as_str(),
                serde_json::json!({ "gateway_credential_id": id, "name": stored_name.as_str(), "client_id": stored_client }),
            )?;
            Ok(id)
        })
    })
    .await?;
    tracing::info!(gateway_credential_id = %id, %client_id, "gateway credential created");
    let page = CreatedPage {
        layout: user.layout(format!("Gateway credential {}", name.as_str()), MENU_KEY)?,
        name: name.as_str().to_string(),
        client_id,
        secret,
        introspect_url: state.settings.link("/oauth/introspect"),
        check_url: state.settings.link("/gateway/check"),
    };
    Ok(shown_once(StatusCode::CREATED, &page))
}
