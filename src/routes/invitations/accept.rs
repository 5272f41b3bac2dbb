//! Accepting an invitation: `/invitations/<token>` → `/invitations/accept`.
//!
//! Opening the emailed link trades the token for a session value and redirects to a URL
//! without it; the accept page is served with `Referrer-Policy: no-referrer`.
//!
//! Accepting adds a membership (SPEC §10): a new address chooses a password and gets an
//! account; an address that already has one logs in on this page (**Log in**, no new
//! password), or just accepts when already logged in as that account. Logged in as someone
//! else, the page refuses and the invitation stays usable. The first administrator's
//! acceptance makes the partnership active; the person lands in the invited organisation.

use crate::domain::{InvitationId, MembershipId, PartnerId, UserId};
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;

use crate::render::see_other;
use crate::{
    auth::{guards::Visitor, throttle, tokens::token_hash},
    db::{self, audit, invitations, invitations::Invitation, memberships, partners, schema, users},
    domain::{AuditAction, FlashKind, InvitationStatus, NewPassword, PartnerStatus, UserRole, WebhookEvent},
    error::AppError,
    render::{render_status, Layout},
    routes::account::set_password::LinkProblem,
    state::AppState,
    webhooks,
};

const SESSION_INVITATION: &str = "invitation_id";

fn no_referrer(mut r: HttpResponse) -> HttpResponse {
    r.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    r
}

/// What is wrong with an invitation, if anything.
fn problem(inv: &Invitation, partner_status: Option<PartnerStatus>) -> Option<LinkProblem> {
    let ended = partner_status.is_some_and(|s| !s.is_live());
    if inv.status == InvitationStatus::Accepted {
        Some(LinkProblem::Used)
    } else if inv.status == InvitationStatus::Revoked || ended {
        Some(LinkProblem::Revoked)
    } else if inv.expires_at <= Utc::now() {
        Some(LinkProblem::Expired)
    } else {
        None
    }
}

/// The status of the invitation's partnership; None for a team invitation.
fn partner_status(conn: &mut PgConnection, partner_id: Option<PartnerId>) -> QueryResult<Option<PartnerStatus>> {
    match partner_id {
        Some(id) => schema::partners::table.find(id).select(schema::partners::status).first(conn).map(Some),
        None => Ok(None),
    }
}

pub async fn open_link(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let hash = token_hash(&path.into_inner());
    let found = db::run(&state.pool, move |conn| {
        let Some(inv) = invitations::find_by_hash(conn, &hash)? else {
            let problem =
                if invitations::was_replaced(conn, &hash)? { LinkProblem::Replaced } else { LinkProblem::Unknown };
            return Ok(Err(problem));
        };
        let status = partner_status(conn, inv.partner_id)?;
        Ok(Ok((inv, status)))
    })
    .await?;
    let (inv, status) = match found {
        Err(problem) => return Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
        Ok(found) => found,
    };
    if let Some(p) = problem(&inv, status) {
        return Ok(no_referrer(p.page(visitor.layout("Invitation")?)));
    }
    visitor.session.insert(SESSION_INVITATION, &inv.id)?;
    Ok(no_referrer(see_other("/invitations/accept")))
}

/// Everything the accept page shows about the invitation.
struct Pending {
    invitation: Invitation,
    enterprise_name: String,
    /// The partnership's name, or the enterprise's for a team invitation.
    organisation_name: String,
    inviter_name: Option<String>,
    /// The invited address already has an account: that person logs in to accept.
    account: Option<users::User>,
    /// Their live membership in the invited organisation, if any (an administrator change).
    membership_role: Option<UserRole>,
}

/// Who is logged in on this browser, if anyone: their id and address.
fn logged_in(visitor: &Visitor) -> Option<(UserId, String)> {
    if let Some(p) = &visitor.user {
        return Some((p.user_id, p.email.clone()));
    }
    visitor.session.person().map(|p| (p.user_id, p.email))
}

async fn load_pending(visitor: &Visitor, state: &AppState) -> Result<Result<Pending, LinkProblem>, AppError> {
    let Some(id) = visitor.session.get::<InvitationId>(SESSION_INVITATION) else {
        return Ok(Err(LinkProblem::Unknown));
    };
    db::run(&state.pool, move |conn| {
        let Some(inv) = invitations::find(conn, id)? else { return Ok(Err(LinkProblem::Unknown)) };
        let enterprise_name: String =
            schema::enterprises::table.find(inv.enterprise_id).select(schema::enterprises::name).first(conn)?;
        let (organisation_name, status) = match inv.partner_id {
            Some(pid) => {
                let (name, status): (String, PartnerStatus) = schema::partners::table
                    .find(pid)
                    .select((schema::partners::name, schema::partners::status))
                    .first(conn)?;
                (name, Some(status))
            }
            None => (enterprise_name.clone(), None),
        };
        if let Some(p) = problem(&inv, status) {
            return Ok(Err(p));
        }
        let inviter_name = match inv.invited_by {
            Some(uid) => users::find(conn, uid)?.map(|u| format!("{} {}", u.first_name, u.surname)),
            None => None,
        };
        let account = users::find_by_email(conn, &inv.email)?;
        let membership_role = match (&account, inv.partner_id) {
            (Some(a), Some(pid)) => memberships::find_in_partner(conn, pid, a.id)?.map(|m| m.role),
            (Some(a), None) => memberships::live_for_user(conn, a.id)?
                .into_iter()
                .find(|m| m.enterprise_id == inv.enterprise_id && m.partner_id.is_none())
                .map(|m| m.role),
            (None, _) => None,
        };
        Ok(Ok(Pending { invitation: inv, enterprise_name, organisation_name, inviter_name, account, membership_role }))
    })
    .await
}

/// How this browser may accept.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// No account yet: choose a password (twice).
    NewAccount,
    /// The invited account exists and nobody is logged in: its password, **Log in**.
    LogIn,
    /// Logged in as the invited account: one button.
    Confirm,
    /// Logged in as someone else: refused, the invitation stays usable.
    WrongAccount,
}

fn mode(visitor: &Visitor, p: &Pending) -> Mode {
    match (logged_in(visitor), &p.account) {
        (Some((uid, _)), Some(account)) if uid == account.id => Mode::Confirm,
        (Some(_), _) => Mode::WrongAccount,
        (None, Some(_)) => Mode::LogIn,
        (None, None) => Mode::NewAccount,
    }
}

#[derive(Template)]
#[template(path = "invitations/accept.html")]
struct AcceptPage {
    layout: Layout,
    enterprise_name: String,
    organisation_name: String,
    team: bool,
    inviter_name: Option<String>,
    first_name: String,
    email: String,
    role_label: &'static str,
    account_administrator: bool,
    /// Already a member there: accepting changes the role (an administrator change).
    promote: bool,
    new_account: bool,
    log_in: bool,
    wrong_account: Option<String>,
    error: Option<String>,
}

fn page(layout: Layout, visitor: &Visitor, p: &Pending, error: Option<String>) -> AcceptPage {
    let m = mode(visitor, p);
    AcceptPage {
        layout,
        enterprise_name: p.enterprise_name.clone(),
        organisation_name: p.organisation_name.clone(),
        team: p.invitation.partner_id.is_none(),
        inviter_name: p.inviter_name.clone(),
        first_name: p.invitation.first_name.clone(),
        email: p.invitation.email.clone(),
        role_label: p.invitation.role.label(),
        account_administrator: p.invitation.for_account_admin,
        promote: p.membership_role.is_some(),
        new_account: m == Mode::NewAccount,
        log_in: m == Mode::LogIn,
        wrong_account: if m == Mode::WrongAccount { logged_in(visitor).map(|(_, e)| e) } else { None },
        error,
    }
}

fn show(visitor: &Visitor, p: &Pending, status: StatusCode, error: Option<String>) -> Result<HttpResponse, AppError> {
    Ok(no_referrer(render_status(status, &page(visitor.layout("Accept your invitation")?, visitor, p, error))))
}

pub async fn accept_page(visitor: Visitor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pending = match load_pending(&visitor, &state).await? {
        Ok(p) => p,
        Err(problem) => return Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
    };
    let status = if mode(&visitor, &pending) == Mode::WrongAccount { StatusCode::CONFLICT } else { StatusCode::OK };
    show(&visitor, &pending, status, None)
}

#[derive(Deserialize)]
pub struct AcceptForm {
    password: Option<String>,
    password_confirmation: Option<String>,
}

pub const WRONG_PASSWORD: &str = "That password is not right for this account. Try again, or use Forgot password.";

pub async fn accept(
    req: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let pending = match load_pending(&visitor, &state).await? {
        Ok(p) => p,
        Err(problem) => return Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
    };
    let form = form.into_inner();
    let hash = match mode(&visitor, &pending) {
        Mode::WrongAccount => return show(&visitor, &pending, StatusCode::CONFLICT, None),
        Mode::Confirm => None,
        Mode::LogIn => {
            let account = pending.account.clone().ok_or(AppError::NotFound)?;
            let address = account.email.clone();
            let client = throttle::client_ip(&req, state.settings.trusted_proxy);
            let (acc, cli) = (address.clone(), client.clone());
            let throttled = db::run(&state.pool, move |conn| Ok(throttle::is_throttled(conn, &acc, &cli)?)).await?;
            if throttled {
                let message = throttle::THROTTLED_MESSAGE.to_string();
                return show(&visitor, &pending, StatusCode::TOO_MANY_REQUESTS, Some(message));
            }
            let password = form.password.unwrap_or_default();
            if !state.hasher.verify(account.password_hash.clone(), password).await? {
                db::run(&state.pool, move |conn| Ok(throttle::record_failure(conn, &address, &client)?)).await?;
                return show(&visitor, &pending, StatusCode::UNAUTHORIZED, Some(WRONG_PASSWORD.into()));
            }
            db::run(&state.pool, move |conn| Ok(db::throttle::clear_account(conn, &address)?)).await?;
            None
        }
        Mode::NewAccount => {
            let first = form.password.as_deref().unwrap_or("");
            let second = form.password_confirmation.as_deref().unwrap_or("");
            match NewPassword::parse(first, second) {
                Ok(p) => Some(state.hasher.hash(p.expose().to_string()).await?),
                Err(e) => return show(&visitor, &pending, StatusCode::UNPROCESSABLE_ENTITY, Some(e.to_string())),
            }
        }
    };

    let invitation_id = pending.invitation.id;
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| accept_in_transaction(conn, invitation_id, hash.as_deref()))
    })
    .await?;
    match outcome {
        Ok(accepted) if accepted.applying.is_some() => {
            // Invite to apply (SPEC §12): the partnership is `applied`, which gives no access
            // yet; the administrator goes on to the group's application form as an applicant.
            visitor.session.remove(SESSION_INVITATION);
            let partner = accepted.applying.ok_or(AppError::NotFound)?;
            crate::routes::programs::applicant::sign_in(&visitor.session, accepted.user_id)?;
            visitor.session.flash(
                FlashKind::Success,
                format!(
                    "Welcome! One step left: answer {}'s application form for {}.",
                    accepted.enterprise_name, accepted.organisation_name
                ),
            )?;
            Ok(see_other(&format!("/apply/{partner}")))
        }
        Ok(accepted) => {
            visitor.session.remove(SESSION_INVITATION);
            visitor.session.log_in(accepted.user_id, Some(accepted.membership_id), accepted.memberships)?;
            let welcome = if accepted.team {
                format!("Welcome to {}'s team!", accepted.enterprise_name)
            } else {
                format!(
                    "Welcome to {}! You can now use what {} has shared with you.",
                    accepted.organisation_name, accepted.enterprise_name
                )
            };
            visitor.session.flash(FlashKind::Success, welcome)?;
            tracing::info!(user_id = %accepted.user_id, invitation_id = %invitation_id, "invitation accepted");
            Ok(see_other(if accepted.team { "/settings/partners" } else { "/service-catalog" }))
        }
        Err(problem) => Ok(no_referrer(problem.page(visitor.layout("Invitation")?))),
    }
}

struct Accepted {
    user_id: UserId,
    /// The partnership is `applied` (Invite to apply): its application form comes next.
    applying: Option<PartnerId>,
    /// The person's usable memberships now, this one included.
    memberships: usize,
    membership_id: MembershipId,
    team: bool,
    organisation_name: String,
    enterprise_name: String,
}

/// The acceptance itself; `Err(problem)` when another request got there first (or the
/// partnership ended meanwhile), in which case nothing is changed. `password_hash` is the new
/// account's password; None when the account exists (its owner proved it just before).
fn accept_in_transaction(
    conn: &mut PgConnection,
    invitation_id: InvitationId,
    password_hash: Option<&str>,
) -> Result<Result<Accepted, LinkProblem>, AppError> {
    // Lock the partner before the invitation, in the same order as deactivation does, so the
    // two can't deadlock.
    let Some(current) = invitations::find(conn, invitation_id)? else {
        return Ok(Err(LinkProblem::Unknown));
    };
    let partner = match current.partner_id {
        Some(pid) => {
            let Some(partner) = partners::lock(conn, current.enterprise_id, pid)? else {
                return Err(AppError::NotFound);
            };
            if !partner.status.is_live() {
                return Ok(Err(LinkProblem::Revoked));
            }
            Some(partner)
        }
        None => {
            // Team changes serialise on the enterprise row (the last-admin rule locks it too).
            db::enterprises::lock(conn, current.enterprise_id)?;
            None
        }
    };
    let Some(inv) = invitations::claim(conn, invitation_id)? else {
        // Someone else changed it first: say what it is now.
        let now = invitations::find(conn, invitation_id)?;
        return Ok(Err(match now.map(|i| problem(&i, partner.as_ref().map(|p| p.status))) {
            Some(Some(p)) => p,
            _ => LinkProblem::Used,
        }));
    };
    let enterprise = db::enterprises::find(conn, inv.enterprise_id)?;
    let user_id = match users::find_by_email(conn, &inv.email)? {
        Some(user) => user.id,
        None => {
            let hash = password_hash.ok_or_else(|| AppError::bad_request("A password is required."))?;
            users::insert(
                conn,
                &users::NewUser {
                    email: &inv.email,
                    first_name: &inv.first_name,
                    surname: &inv.surname,
                    password_hash: Some(hash),
                },
            )?
            .id
        }
    };
    // A partner's member already (an administrator change for someone in the partner): not added.
    let joins_partner = match &partner {
        Some(p) => memberships::find_in_partner(conn, p.id, user_id)?.is_none(),
        None => false,
    };
    let membership_id = memberships::grant(
        conn,
        &memberships::NewMembership {
            user_id,
            enterprise_id: inv.enterprise_id,
            partner_id: inv.partner_id,
            role: inv.role,
        },
    )?;
    // An existing membership keeps its role unless the invitation raises it.
    let raises = matches!(inv.role, UserRole::Admin | UserRole::EnterpriseAdmin);
    if raises {
        memberships::set_role(conn, membership_id, inv.role)?;
    }
    invitations::set_accepted_user(conn, inv.id, user_id)?;
    let actor = format!("{} {} <{}>", inv.first_name, inv.surname, inv.email);
    let organisation_name = partner.as_ref().map_or_else(|| enterprise.name.clone(), |p| p.name.clone());
    let membership_label = format!("{} of {organisation_name}", inv.role.label());
    let target = match &partner {
        Some(p) => format!("Partner {}", p.name),
        None => format!("Team member {}", inv.email),
    };
    let event = |conn: &mut PgConnection, action: AuditAction, details: serde_json::Value| {
        audit::record(
            conn,
            &audit::NewAuditEvent {
                enterprise_id: inv.enterprise_id,
                partner_id: inv.partner_id,
                actor_user_id: Some(user_id),
                actor_label: &actor,
                actor_membership: &membership_label,
                action,
                target: &target,
                details,
            },
        )
    };
    event(conn, AuditAction::InvitationAccepted, serde_json::json!({ "email": inv.email, "role": inv.role }))?;
    if let Some(partner) = &partner {
        let person = serde_json::json!({ "user_id": user_id, "email": inv.email, "role": inv.role });
        let accepted = serde_json::json!({ "invitation_id": inv.id, "email": inv.email, "role": inv.role });
        webhooks::emit_for_partner(conn, partner.id, WebhookEvent::InvitationAccepted, accepted)?;
        if joins_partner {
            webhooks::emit_for_partner(conn, partner.id, WebhookEvent::MemberAdded, person)?;
        }
    }
    if let (Some(partner), true) = (&partner, inv.for_account_admin) {
        let previous = partner.account_admin_user_id.filter(|id| *id != user_id);
        if let Some(prev) = previous {
            if let Some(m) = memberships::find_in_partner(conn, partner.id, prev)? {
                memberships::set_role(conn, m.membership_id, UserRole::Member)?;
            }
        }
        partners::set_account_admin(conn, partner.id, user_id)?;
        event(
            conn,
            AuditAction::PartnerAdministratorChanged,
            serde_json::json!({ "administrator": inv.email, "previous_user_id": previous }),
        )?;
        if partner.status == PartnerStatus::Invited {
            partners::set_status(conn, partner.id, PartnerStatus::Active)?;
            event(conn, AuditAction::PartnerActivated, serde_json::json!({}))?;
            let data = serde_json::json!({ "administrator": inv.email, "via": "invitation" });
            webhooks::emit_for_partner(conn, partner.id, WebhookEvent::PartnerActivated, data)?;
        }
    }
    let memberships = memberships::choices(conn, user_id)?.len();
    let applying = partner.as_ref().filter(|p| p.status == PartnerStatus::Applied).map(|p| p.id);
    Ok(Ok(Accepted {
        applying,
        memberships,
        user_id,
        membership_id,
        team: partner.is_none(),
        organisation_name,
        enterprise_name: enterprise.name,
    }))
}
