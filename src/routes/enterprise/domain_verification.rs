//! `POST /settings/enterprise/domain-verification`: saves *Require verified domains for
//! invitations* (SPEC §17). With it on, every invitation to a partner's person needs the
//! address's domain to be a verified domain of that partner (`db::invitation_flow`).

use actix_web::{web, HttpResponse};
use diesel::Connection;
use serde::Deserialize;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, audit, domain_verification},
    domain::{AuditAction, FlashKind},
    error::AppError,
    render::see_other,
    routes::enterprise::PAGE,
    state::AppState,
};

#[derive(Deserialize)]
pub struct Fields {
    /// A checkbox: "on" when ticked, absent otherwise.
    #[serde(default)]
    require_verified_domains: Option<String>,
}

pub async fn save(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<Fields>,
) -> Result<HttpResponse, AppError> {
    let on = match form.into_inner().require_verified_domains.as_deref() {
        None => false,
        Some("on") => true,
        Some(_) => return Err(AppError::bad_request("The form could not be read. Reload the page and try again.")),
    };
    let actor = user.user.clone();
    let changed = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let changed = domain_verification::set_required(conn, actor.enterprise_id, on)?;
            if changed {
                audit::record_for_enterprise(
                    conn,
                    &actor,
                    AuditAction::EnterpriseSettingsChanged,
                    "Enterprise settings",
                    serde_json::json!({ "require_verified_domains": on }),
                )?;
            }
            Ok(changed)
        })
    })
    .await?;
    let message = match (changed, on) {
        (false, _) => "Nothing changed.",
        (true, true) => "Saved. Invitations now go only to addresses in verified domains.",
        (true, false) => "Saved. Invitations no longer need verified domains.",
    };
    user.flash(FlashKind::Success, message)?;
    Ok(see_other(PAGE))
}
