//! **Staff access** (`GET/POST /partner/partnerships/{id}/staff`): for each person of the
//! organisation, Admin, Member or no access in this partnership. Saving is one transaction
//! under the partner row lock (the lock Members takes), keeps an Admin (the last-admin rule)
//! and the account administrator's Admin access, records one audit event with the changes,
//! and emails each person newly given access (no invitation: they log in and use Switch
//! organisation).

use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::{
    auth::{guards::PartnerAdmin, session::Principal},
    db::{self, connections, memberships, outbox},
    domain::{AuditAction, EmailKind, FlashKind, PartnerId, UserId, UserRole},
    email::{connections::AccessGrantedEmail, EmailMeta, OutgoingEmail},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::{
        members::manage::LAST_ADMIN_MESSAGE,
        profile::{enterprise_name, lock_partnership, record},
    },
    state::AppState,
};

pub const ACCOUNT_ADMIN_STAFF_MESSAGE: &str = "The account administrator keeps Admin access. The enterprise changes the account administrator first. Nothing was changed.";

/// One choice of the select: `admin`, `member` or `none`.
fn parse_access(raw: &str) -> Result<Option<UserRole>, AppError> {
    match raw {
        "admin" => Ok(Some(UserRole::Admin)),
        "member" => Ok(Some(UserRole::Member)),
        "none" => Ok(None),
        _ => Err(AppError::bad_request("Choose Admin, Member or No access for each person.")),
    }
}

fn access_str(role: Option<UserRole>) -> &'static str {
    role.map_or("none", |r| r.as_str())
}

struct PersonView {
    id: UserId,
    name: String,
    email: String,
    access: &'static str,
    is_account_admin: bool,
}

#[derive(Template)]
#[template(path = "profile/staff.html")]
struct StaffPage {
    layout: Layout,
    id: PartnerId,
    enterprise_name: String,
    organisation_name: String,
    people: Vec<PersonView>,
    error: Option<String>,
}

/// What the page and the save both read, under the partner row lock.
struct Staff {
    partner: crate::db::partners::Partner,
    organisation_name: String,
    enterprise_name: String,
    people: Vec<connections::Person>,
    /// Live memberships of the partnership, by person.
    current: HashMap<UserId, memberships::Member>,
}

fn load(conn: &mut PgConnection, actor: &Principal, id: PartnerId) -> Result<Staff, AppError> {
    let (org, partner) = lock_partnership(conn, actor, id)?;
    if !connections::WITH_ACCESS.contains(&partner.status) {
        return Err(AppError::NotFound);
    }
    let current = memberships::live_for_partner(conn, partner.id)?.into_iter().map(|m| (m.id, m)).collect();
    Ok(Staff {
        enterprise_name: enterprise_name(conn, partner.enterprise_id)?,
        people: connections::organisation_people(conn, org.id)?,
        organisation_name: org.name,
        partner,
        current,
    })
}

fn show(
    user: &PartnerAdmin,
    staff: Staff,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let people = staff
        .people
        .iter()
        .map(|p| PersonView {
            id: p.user_id,
            name: p.display_name(),
            email: p.email.clone(),
            access: access_str(staff.current.get(&p.user_id).map(|m| m.role)),
            is_account_admin: staff.partner.account_admin_user_id == Some(p.user_id),
        })
        .collect();
    Ok(render_status(
        status,
        &StaffPage {
            layout: user.layout(format!("Staff access · {}", staff.enterprise_name), super::MENU_KEY)?,
            id: staff.partner.id,
            enterprise_name: staff.enterprise_name,
            organisation_name: staff.organisation_name,
            people,
            error,
        },
    ))
}

pub async fn page(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let staff = db::run(&state.pool, move |conn| conn.transaction(|conn| load(conn, &actor, id))).await?;
    show(&user, staff, None, StatusCode::OK)
}

/// A person newly given access, to be emailed.
struct Granted {
    person: connections::Person,
    role: UserRole,
}

fn save_tx(
    conn: &mut PgConnection,
    actor: &Principal,
    settings: &crate::config::Settings,
    id: PartnerId,
    wanted: &HashMap<UserId, Option<UserRole>>,
) -> Result<Result<usize, (Staff, String)>, AppError> {
    let staff = load(conn, actor, id)?;
    let partner = staff.partner.clone();
    // Refusals first, before anything is written.
    let account_admin_loses_access = staff.people.iter().any(|p| {
        partner.account_admin_user_id == Some(p.user_id)
            && wanted.get(&p.user_id).is_some_and(|want| *want != Some(UserRole::Admin))
    });
    if account_admin_loses_access {
        return Ok(Err((staff, ACCOUNT_ADMIN_STAFF_MESSAGE.into())));
    }
    let mut changes = Vec::new();
    let mut granted = Vec::new();
    for person in &staff.people {
        let Some(&want) = wanted.get(&person.user_id) else { continue };
        let now = staff.current.get(&person.user_id);
        if now.map(|m| m.role) == want {
            continue;
        }
        match (now, want) {
            (Some(m), None) => memberships::end(conn, m.membership_id)?,
            (Some(m), Some(role)) => memberships::set_role(conn, m.membership_id, role)?,
            (None, Some(role)) => {
                memberships::grant(
                    conn,
                    &memberships::NewMembership {
                        user_id: person.user_id,
                        enterprise_id: partner.enterprise_id,
                        partner_id: Some(partner.id),
                        role,
                    },
                )?;
                // No live membership here: a new one, or the ended one brought back as `role`.
                granted.push(Granted { person: person.clone(), role });
            }
            (None, None) => continue,
        }
        changes.push(serde_json::json!({
            "person": format!("{} <{}>", person.display_name(), person.email),
            "from": access_str(now.map(|m| m.role)),
            "to": access_str(want),
        }));
    }
    if changes.is_empty() {
        return Ok(Ok(0));
    }
    if memberships::count_with_role_in_partner(conn, partner.id, UserRole::Admin)? < 1 {
        // The transaction is rolled back by the caller: nothing of this save stays.
        return Err(AppError::Conflict(LAST_ADMIN_MESSAGE.into()));
    }
    record(conn, actor, &partner, AuditAction::PartnerStaffAccessChanged, serde_json::json!({ "changes": changes }))?;
    let granted_by = format!("{} {}", actor.first_name, actor.surname);
    let link = settings.link("/login");
    let meta =
        EmailMeta { kind: EmailKind::AccessGranted, enterprise_id: Some(partner.enterprise_id), invitation_id: None };
    for g in &granted {
        let email = crate::email::connections::access_granted(&AccessGrantedEmail {
            first_name: &g.person.first_name,
            enterprise_name: &staff.enterprise_name,
            organisation_name: &staff.organisation_name,
            role_label: g.role.label(),
            granted_by: &granted_by,
            link: &link,
        })?;
        outbox::enqueue(conn, &OutgoingEmail { to: g.person.email.clone(), ..email }, &meta)?;
    }
    Ok(Ok(changes.len()))
}

pub async fn save(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let mut wanted = HashMap::new();
    for (key, value) in form.into_inner() {
        let Some(raw_id) = key.strip_prefix("access_") else { continue };
        let user_id: UserId = raw_id.parse().map_err(|_| AppError::bad_request("That person is not known here."))?;
        wanted.insert(user_id, parse_access(&value)?);
    }
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let outcome =
        db::run(&state.pool, move |conn| conn.transaction(|conn| save_tx(conn, &actor, &settings, id, &wanted)))
            .await?;
    match outcome {
        Ok(0) => {
            user.flash(FlashKind::Info, "Nothing was changed.")?;
            Ok(see_other(&format!("/partner/partnerships/{id}/staff")))
        }
        Ok(n) => {
            tracing::info!(partner_id = %id, changes = n, "staff access changed");
            user.flash(FlashKind::Success, "Staff access saved. People given access were told by email.")?;
            Ok(see_other(&format!("/partner/partnerships/{id}/staff")))
        }
        Err((staff, message)) => show(&user, staff, Some(message), StatusCode::CONFLICT),
    }
}
