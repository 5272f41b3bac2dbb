//! **Approve** and **Decline** on the enterprise's **Applications** (SPEC §12).
//!
//! Approving a join link application makes the partnership, in one transaction that first locks
//! the enterprise row (as `db::registration::create` does), so two admins approving two
//! applications for the last free place are serialised and exactly one succeeds: `active`, in
//! the application's group with that group's default access, with its domains, the applicant as
//! its Admin and account administrator, the audit events and the `partner.created` and
//! `partner.activated` webhooks. At the limit, or when the name or a domain was taken meanwhile,
//! nothing is written and the application stays pending. Approving the application of an
//! **Invite to apply** partnership turns it from `applied` to `active`.

use diesel::{prelude::*, PgConnection};

use crate::{
    auth::session::Principal,
    config::Settings,
    db::{
        audit, enterprises, groups, memberships, organisations, outbox, partners, program_applications as apps,
        registration::RegisterError, schema::partners as p, users,
    },
    domain::{ApplicationStatus, AuditAction, EmailKind, PartnerId, PartnerStatus, UserRole, WebhookEvent},
    email::{programs as mail, EmailMeta, OutgoingEmail},
    error::AppError,
    routes::partners::groups::{grant_offer, offer},
};

/// Why an answer was refused; everything was rolled back.
pub enum Refusal {
    Message(String),
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::App(e)
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::App(AppError::Database(e))
    }
}

pub const ALREADY_ANSWERED: &str = "This application was already answered.";

/// Approves application `id`: the partnership's name, or why not.
pub fn approve(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Principal,
    id: i64,
) -> Result<Result<(PartnerId, String), String>, AppError> {
    let result = conn.transaction::<_, Refusal, _>(|conn| {
        let enterprise = enterprises::lock(conn, actor.enterprise_id)?;
        let app = apps::lock(conn, enterprise.id, id)?.ok_or(AppError::NotFound)?;
        if app.status != ApplicationStatus::Pending {
            return Err(Refusal::Message(ALREADY_ANSWERED.into()));
        }
        let applicant = users::find(conn, app.applicant_user_id)?.ok_or(AppError::NotFound)?;
        let partner_id = match app.partner_id {
            Some(pid) => activate_applied(conn, actor, pid)?,
            None => create_from_application(conn, settings, actor, &enterprise, &app)?,
        };
        apps::decide(conn, enterprise.id, id, ApplicationStatus::Approved, actor.user_id, "", Some(partner_id))?;
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id: enterprise.id,
                partner_id: Some(partner_id),
                actor_user_id: Some(actor.user_id),
                actor_label: &actor.actor_label(),
                actor_membership: &actor.membership_label(),
                action: AuditAction::ApplicationApproved,
                target: &format!("Partner {}", app.partner_name),
                details: serde_json::json!({ "application_id": id, "applicant": applicant.email }),
            },
        )?;
        let email = OutgoingEmail {
            to: applicant.email.clone(),
            ..mail::application_answered(&mail::ApplicationAnsweredEmail {
                first_name: &applicant.first_name,
                enterprise_name: &enterprise.name,
                partner_name: &app.partner_name,
                approved: true,
                reason: "",
                link: &settings.link("/login"),
            })?
        };
        let meta =
            EmailMeta { kind: EmailKind::ApplicationAnswered, enterprise_id: Some(enterprise.id), invitation_id: None };
        outbox::enqueue(conn, &email, &meta)?;
        Ok((partner_id, app.partner_name))
    });
    match result {
        Ok(done) => Ok(Ok(done)),
        Err(Refusal::Message(m)) => Ok(Err(m)),
        Err(Refusal::App(e)) => Err(e),
    }
}

/// An **Invite to apply** partnership: `applied` becomes `active`.
fn activate_applied(conn: &mut PgConnection, actor: &Principal, pid: PartnerId) -> Result<PartnerId, Refusal> {
    let partner = partners::lock(conn, actor.enterprise_id, pid)?.ok_or(AppError::NotFound)?;
    if partner.status != PartnerStatus::Applied {
        return Err(Refusal::Message(format!(
            "{} is {}: only an applied partner can be approved.",
            partner.name,
            partner.status.label().to_lowercase()
        )));
    }
    partners::set_status(conn, pid, PartnerStatus::Active)?;
    record(
        conn,
        actor,
        pid,
        &partner.name,
        AuditAction::PartnerActivated,
        serde_json::json!({ "via": "application" }),
    )?;
    let data = serde_json::json!({ "via": "application" });
    crate::webhooks::emit_for_partner(conn, pid, WebhookEvent::PartnerActivated, data)?;
    Ok(pid)
}

/// A join link application: the partnership made `active`, as registration makes one.
fn create_from_application(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &Principal,
    enterprise: &enterprises::Enterprise,
    app: &apps::Application,
) -> Result<PartnerId, Refusal> {
    let refuse = |e: RegisterError| Refusal::Message(e.to_string());
    let limit = i64::from(enterprise.partner_limit);
    if partners::count_toward_limit(conn, enterprise.id)? >= limit {
        return Err(refuse(RegisterError::LimitReached(limit)));
    }
    if partners::name_taken(conn, enterprise.id, &app.partner_name, None)? {
        return Err(refuse(RegisterError::NameTaken(app.partner_name.clone())));
    }
    let domains = apps::domains(conn, enterprise.id, app.id)?;
    let taken = partners::domains_taken(conn, enterprise.id, &domains, None)?;
    if !taken.is_empty() {
        return Err(refuse(RegisterError::DomainsTaken(taken.join(", "))));
    }
    // The application's group; the default group if it was deleted meanwhile.
    let group = match app.group_id {
        Some(g) => groups::find(conn, enterprise.id, g)?,
        None => None,
    };
    let group = match group {
        Some(g) => g,
        None => groups::default_group(conn, enterprise.id)?,
    };
    let organisation = organisations::create(conn, &app.partner_name)?;
    let partner: partners::Partner = diesel::insert_into(p::table)
        .values((
            p::enterprise_id.eq(enterprise.id),
            p::name.eq(&app.partner_name),
            p::status.eq(PartnerStatus::Active),
            p::created_by.eq(actor.user_id),
            p::organisation_id.eq(organisation.id),
            p::group_id.eq(group.id),
        ))
        .returning(partners::Partner::as_returning())
        .get_result(conn)?;
    for d in &domains {
        partners::add_domain(conn, enterprise.id, partner.id, d)?;
    }
    memberships::grant(
        conn,
        &memberships::NewMembership {
            user_id: app.applicant_user_id,
            enterprise_id: enterprise.id,
            partner_id: Some(partner.id),
            role: UserRole::Admin,
        },
    )?;
    partners::set_account_admin(conn, partner.id, app.applicant_user_id)?;
    let details = serde_json::json!({ "domains": domains, "application_id": app.id, "group": group.name });
    record(conn, actor, partner.id, &partner.name, AuditAction::PartnerRegistered, details)?;
    crate::webhooks::emit(
        conn,
        enterprise.id,
        WebhookEvent::PartnerCreated,
        serde_json::json!({ "partner_id": partner.id, "partner_name": partner.name, "domains": domains }),
    )?;
    let data = serde_json::json!({ "via": "application" });
    crate::webhooks::emit_for_partner(conn, partner.id, WebhookEvent::PartnerActivated, data)?;
    // The group's default access, through Add Products' and Add APIs' own rules.
    let offer = offer(conn, enterprise.id, partner.id, group.id)?;
    if !offer.lines.is_empty() {
        if let Err(errors) = grant_offer(conn, actor, settings, partner.id, &offer)? {
            return Err(Refusal::Message(errors.join(" ")));
        }
    }
    Ok(partner.id)
}

fn record(
    conn: &mut PgConnection,
    actor: &Principal,
    partner: PartnerId,
    name: &str,
    action: AuditAction,
    details: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        conn,
        &audit::NewAuditEvent {
            enterprise_id: actor.enterprise_id,
            partner_id: Some(partner),
            actor_user_id: Some(actor.user_id),
            actor_label: &actor.actor_label(),
            actor_membership: &actor.membership_label(),
            action,
            target: &format!("Partner {name}"),
            details,
        },
    )?;
    Ok(())
}

/// Declines application `id` with the reason (may be empty), emailed to the applicant. An
/// **Invite to apply** partnership ends as `declined` (it no longer counts toward the limit).
pub fn decline(
    conn: &mut PgConnection,
    actor: &Principal,
    id: i64,
    reason: &str,
) -> Result<Result<String, String>, AppError> {
    conn.transaction::<_, AppError, _>(|conn| {
        let enterprise = enterprises::find(conn, actor.enterprise_id)?;
        let app = apps::lock(conn, enterprise.id, id)?.ok_or(AppError::NotFound)?;
        if app.status != ApplicationStatus::Pending {
            return Ok(Err(ALREADY_ANSWERED.to_string()));
        }
        let applicant = users::find(conn, app.applicant_user_id)?.ok_or(AppError::NotFound)?;
        if let Some(pid) = app.partner_id {
            if let Some(partner) = partners::lock(conn, enterprise.id, pid)? {
                if partner.status == PartnerStatus::Applied {
                    partners::set_status(conn, pid, PartnerStatus::Declined)?;
                }
            }
        }
        apps::decide(conn, enterprise.id, id, ApplicationStatus::Declined, actor.user_id, reason, app.partner_id)?;
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id: enterprise.id,
                partner_id: app.partner_id,
                actor_user_id: Some(actor.user_id),
                actor_label: &actor.actor_label(),
                actor_membership: &actor.membership_label(),
                action: AuditAction::ApplicationDeclined,
                target: &format!("Application of {}", app.partner_name),
                details: serde_json::json!({ "application_id": id, "applicant": applicant.email, "reason": reason }),
            },
        )?;
        let email = OutgoingEmail {
            to: applicant.email.clone(),
            ..mail::application_answered(&mail::ApplicationAnsweredEmail {
                first_name: &applicant.first_name,
                enterprise_name: &enterprise.name,
                partner_name: &app.partner_name,
                approved: false,
                reason,
                link: "",
            })?
        };
        let meta =
            EmailMeta { kind: EmailKind::ApplicationAnswered, enterprise_id: Some(enterprise.id), invitation_id: None };
        outbox::enqueue(conn, &email, &meta)?;
        Ok(Ok(app.partner_name))
    })
}
