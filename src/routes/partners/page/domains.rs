//! A partner's registered domains on General: *Add domain* and "Remove".
//!
//! Both run in a transaction that locks the partner row, so two admins editing the same
//! partner can't, say, remove its last two domains at once.

use crate::auth::actor::Actor;
use crate::domain::{DomainId, PartnerId};
use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::{prelude::*, result::DatabaseErrorKind, result::Error as DieselError};
use serde::Deserialize;

use crate::routes::partners::header::change_refusal;
use crate::routes::partners::header::record_event;
use crate::routes::partners::page::general::load_general;
use crate::routes::partners::page::general::render_general;
use crate::routes::partners::page::general::DomainForm;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, invitations, memberships, partners},
    domain::{AuditAction, Domain, FlashKind},
    error::AppError,
    render::see_other,
    state::AppState,
};

pub const LAST_DOMAIN: &str = "A partner needs at least one domain.";
pub const ALREADY_HERE: &str = "This domain is already registered for this partner.";

/// What a domain form led to: a change (flash message), or the General page again.
pub(crate) enum Outcome {
    Done(String),
    Refused { status: StatusCode, form: DomainForm },
}

async fn finish(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    id: PartnerId,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    match outcome {
        Outcome::Done(message) => {
            user.flash(FlashKind::Success, message)?;
            Ok(see_other(&format!("/settings/partners/{id}")))
        }
        Outcome::Refused { status, form } => {
            let enterprise_id = user.user.enterprise_id;
            let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
            render_general(&user, data, form, status)
        }
    }
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    domain: String,
}

pub async fn add(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let raw = form.into_inner().domain;
    let actor = user.user.clone();
    let typed = raw.clone();
    let outcome = db::run(&state.pool, move |conn| add_domain(conn, &actor, id, &typed)).await?;
    finish(user, state, id, outcome).await
}

/// Adds the domain `raw` to the partner, in a transaction of its own (the page and the API).
pub(crate) fn add_domain(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    raw: &str,
) -> Result<Outcome, AppError> {
    match conn.transaction(|conn| add_tx(conn, actor, id, raw)) {
        // Registered to another partner between our check and our insert.
        Err(AppError::Database(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))) => {
            Ok(refuse_field(raw, crate::domain::new_partner::domain_taken(&raw.trim().to_lowercase())))
        }
        other => other,
    }
}

fn refuse_field(value: &str, error: String) -> Outcome {
    Outcome::Refused {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        form: DomainForm { value: value.to_string(), error: Some(error), list_error: None },
    }
}

fn add_tx(conn: &mut PgConnection, actor: &dyn Actor, id: PartnerId, raw: &str) -> Result<Outcome, AppError> {
    let partner = partners::lock(conn, actor.enterprise_id(), id)?.ok_or(AppError::NotFound)?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    let domain = match Domain::parse_for_partner(raw) {
        Ok(d) => d,
        Err(e) => return Ok(refuse_field(raw, e.to_string())),
    };
    let domain = domain.as_str();
    if partners::domains(conn, partner.id)?.iter().any(|d| d.domain == domain) {
        return Ok(refuse_field(raw, ALREADY_HERE.into()));
    }
    if !partners::domains_taken(conn, actor.enterprise_id(), &[domain.to_string()], Some(partner.id))?.is_empty() {
        return Ok(refuse_field(raw, crate::domain::new_partner::domain_taken(domain)));
    }
    partners::add_domain(conn, actor.enterprise_id(), partner.id, domain)?;
    record_event(
        conn,
        actor,
        &actor.actor_label(),
        partner.id,
        AuditAction::PartnerDomainAdded,
        &partner.name,
        serde_json::json!({ "domain": domain }),
    )?;
    Ok(Outcome::Done(format!("Domain {domain} added.")))
}

pub async fn remove(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, DomainId)>,
) -> Result<HttpResponse, AppError> {
    let (id, domain_id) = path.into_inner();
    let actor = user.user.clone();
    let outcome =
        db::run(&state.pool, move |conn| conn.transaction(|conn| remove_tx(conn, &actor, id, domain_id))).await?;
    finish(user, state, id, outcome).await
}

fn refuse_list(error: String) -> Outcome {
    Outcome::Refused {
        status: StatusCode::CONFLICT,
        form: DomainForm { value: String::new(), error: None, list_error: Some(error) },
    }
}

pub(crate) fn remove_tx(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    id: PartnerId,
    domain_id: DomainId,
) -> Result<Outcome, AppError> {
    let partner = partners::lock(conn, actor.enterprise_id(), id)?.ok_or(AppError::NotFound)?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    let domains = partners::domains(conn, partner.id)?;
    let domain = domains.iter().find(|d| d.id == domain_id).ok_or(AppError::NotFound)?.domain.clone();
    if domains.len() == 1 {
        return Ok(refuse_list(format!("{domain} can't be removed. {LAST_DOMAIN}")));
    }
    let pending = invitations::pending_emails_with_domain(conn, partner.id, &domain)?;
    if !pending.is_empty() {
        let (noun, verb, pronoun) =
            if pending.len() == 1 { ("an invitation", "is", "it") } else { ("invitations", "are", "them") };
        return Ok(refuse_list(format!(
            "{domain} can't be removed: {noun} to {} {verb} pending: revoke {pronoun} first.",
            pending.join(", ")
        )));
    }
    let people = memberships::emails_with_domain(conn, partner.id, &domain)?;
    if !people.is_empty() {
        return Ok(refuse_list(format!(
            "{domain} can't be removed: {} {} an account with this partner in that domain.",
            people.join(", "),
            if people.len() == 1 { "has" } else { "have" }
        )));
    }
    partners::remove_domain(conn, partner.id, domain_id)?;
    record_event(
        conn,
        actor,
        &actor.actor_label(),
        partner.id,
        AuditAction::PartnerDomainRemoved,
        &partner.name,
        serde_json::json!({ "domain": domain }),
    )?;
    Ok(Outcome::Done(format!("Domain {domain} removed.")))
}
