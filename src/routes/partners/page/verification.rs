//! General → a domain's **Verify domain** / **Check now** (SPEC §17): looks up the TXT record
//! `_partner-portal.<domain>` and records what it found, with an audit event.
//!
//! The lookup runs between two short database visits, never inside a transaction nor while a
//! pooled connection is held: the first reads the domain, the second (locking the partner, as
//! the other domain forms do) writes the result, if the domain still has the value looked up.
//! A lookup that gets no answer (nameserver down, timeout) changes nothing and says so.

use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::Connection;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, domain_verification, partners},
    dns::{CheckOutcome, DnsChecker},
    domain::{DomainId, FlashKind, PartnerId},
    error::AppError,
    render::see_other,
    routes::partners::{
        header::{change_refusal, record_event},
        page::general::{load_general, render_general, DomainForm},
    },
    state::AppState,
};

pub async fn verify(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, DomainId)>,
) -> Result<HttpResponse, AppError> {
    let (id, domain_id) = path.into_inner();
    let enterprise_id = user.user.enterprise_id;
    let domain = db::run(&state.pool, move |conn| {
        let partner = partners::find(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let domain =
            domain_verification::find(conn, enterprise_id, partner.id, domain_id)?.ok_or(AppError::NotFound)?;
        if let Some(refusal) = change_refusal(&partner) {
            return Err(AppError::Conflict(refusal.into()));
        }
        Ok(domain)
    })
    .await?;

    let outcome = DnsChecker::new(&state.settings.dns).check(&domain.domain, &domain.verification_token).await;
    if let CheckOutcome::Unreachable(_) = outcome {
        let message = outcome.problem(&domain.domain).unwrap_or_default();
        tracing::warn!(domain_id = %domain.id, "domain check got no DNS answer; nothing changed");
        let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
        let form = DomainForm { list_error: Some(message), ..DomainForm::default() };
        return render_general(&user, data, form, StatusCode::SERVICE_UNAVAILABLE);
    }

    let actor = user.user.clone();
    let checked = domain.clone();
    let found = outcome.clone();
    let change = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let partner = partners::lock(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
            if let Some(refusal) = change_refusal(&partner) {
                return Err(AppError::Conflict(refusal.into()));
            }
            // Removed (or removed and added again, with a new value) during the lookup.
            let change =
                domain_verification::record_check(conn, enterprise_id, &checked, &found)?.ok_or(AppError::NotFound)?;
            record_event(
                conn,
                &actor,
                &actor.actor_label(),
                partner.id,
                change.action(),
                &partner.name,
                serde_json::json!({
                    "domain": checked.domain,
                    "record": crate::dns::record_name(&checked.domain),
                    "reason": found.problem(&checked.domain),
                }),
            )?;
            Ok(change)
        })
    })
    .await?;
    tracing::info!(domain_id = %domain.id, ?change, "domain checked");
    match outcome.problem(&domain.domain) {
        None => user.flash(FlashKind::Success, format!("{} is verified.", domain.domain))?,
        Some(problem) => {
            let lost =
                if change == domain_verification::Change::Unverified { " It is no longer verified." } else { "" };
            user.flash(FlashKind::Error, format!("{} is not verified: {problem}{lost}", domain.domain))?
        }
    }
    Ok(see_other(&format!("/settings/partners/{id}")))
}
