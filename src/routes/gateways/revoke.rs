//! Revoking a gateway credential, after a confirmation page (a form only: `EnterpriseEditor`,
//! so a Viewer gets 403). The gateway's next introspection or check call is refused (401).

use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, oauth},
    domain::{AuditAction, FlashKind, GatewayCredentialId},
    error::AppError,
    render::{render, see_other, Layout},
    routes::gateways::{record, GatewayView, LIST, MENU_KEY},
    state::AppState,
};

#[derive(Template)]
#[template(path = "gateways/revoke.html")]
struct RevokePage {
    layout: Layout,
    gateway: GatewayView,
}

pub async fn confirm_revoke(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<GatewayCredentialId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enterprise_id = editor.user.enterprise_id;
    let gateway = db::run(&state.pool, move |conn| {
        oauth::gateway_credentials(conn, enterprise_id)?
            .into_iter()
            .find(|g| g.id == id && g.revoked_at.is_none())
            .ok_or(AppError::NotFound)
    })
    .await?;
    let page = RevokePage {
        layout: editor.layout(format!("Revoke {}?", gateway.name), MENU_KEY)?,
        gateway: GatewayView::new(&gateway),
    };
    Ok(render(&page))
}

pub async fn revoke(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<GatewayCredentialId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let gateway = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let gateway =
                oauth::revoke_gateway_credential(conn, actor.enterprise_id, id)?.ok_or(AppError::NotFound)?;
            record(
                conn,
                &actor,
                AuditAction::GatewayCredentialRevoked,
                &gateway.name,
                serde_json::json!({ "gateway_credential_id": gateway.id, "name": gateway.name, "client_id": gateway.client_id }),
            )?;
            Ok(gateway)
        })
    })
    .await?;
    tracing::info!(gateway_credential_id = %id, "gateway credential revoked");
    user.flash(
        FlashKind::Success,
        format!("Gateway credential {} revoked; gateways using it are refused from now on.", gateway.name),
    )?;
    Ok(see_other(LIST))
}
