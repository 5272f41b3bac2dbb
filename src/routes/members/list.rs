//! Members (partner Admins only): `/members` lists the partner's people (25 a page, sorted by
//! plain links: `routes::people_list`) and open invitations and holds the *Invite a member*
//! form (with its *Personal note*, pre-filled with the enterprise's default); **Invite a team**
//! is `members::invite_team`. Changing a role, removing a member and resending or
//! revoking an invitation live in `members_manage`.
//!
//! Every route takes the `PartnerAdmin` guard, so Members and enterprise admins get 403, and
//! every query is scoped to the admin's own partner, so other partners' ids answer 404.

use crate::domain::{EmailStatus, FlashKind, InvitationStatus};
use crate::domain::{InvitationId, PartnerId, UserId};
use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::render::see_other;
use crate::{
    auth::{guards::PartnerAdmin, session::Principal},
    db::{
        self, enterprises, invitations,
        member_pages::{self, PeopleFilter},
        outbox::{self, Delivery},
        partners,
    },
    domain::{Domain, EmailAddress, PersonName, Role},
    error::AppError,
    render::{render_status, Layout},
    routes::{
        note::NoteField,
        people_list::{PeoplePager, PeopleQuery},
    },
    state::AppState,
};

pub const MENU_KEY: &str = "members";

/// The partner the admin manages (the guard guarantees there is one).
pub fn partner_of(p: &Principal) -> Result<PartnerId, AppError> {
    p.partner_id.ok_or(AppError::Forbidden)
}

// ---- what the page shows -------------------------------------------------------------------

pub struct MemberRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub is_account_admin: bool,
    pub is_self: bool,
    pub joined: DateTime<Utc>,
}

impl MemberRow {
    /// The account administrator and the admin themselves get no role or remove controls.
    pub fn can_manage(&self) -> bool {
        !self.is_account_admin && !self.is_self
    }
}

pub struct InvitationRow {
    pub id: InvitationId,
    pub name: String,
    pub email: String,
    pub role_label: &'static str,
    pub state_label: &'static str,
    pub state_badge: &'static str,
    /// "Email queued", "Email sent", "Email failed: …"; None when no email was recorded.
    pub delivery: Option<String>,
    pub delivery_badge: &'static str,
    pub sent: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    /// An administrator change asked by the enterprise: shown, but only the enterprise
    /// resends or revokes it.
    pub for_account_admin: bool,
}

fn delivery_text(d: &Delivery) -> (String, &'static str) {
    match d.status {
        EmailStatus::Sent => ("Email sent".into(), "badge-active"),
        EmailStatus::Failed => (
            format!("Email failed: {}", d.last_error.as_deref().unwrap_or("the mail server refused it")),
            "badge-failed",
        ),
        EmailStatus::Cancelled => ("Email cancelled".into(), "badge-neutral"),
        _ => match (&d.last_error, d.attempts) {
            (Some(e), n) if n > 0 => (format!("Email queued (retrying after: {e})"), "badge-invited"),
            _ => ("Email queued".into(), "badge-invited"),
        },
    }
}

impl InvitationRow {
    pub fn new(i: &invitations::Invitation, delivery: Option<&Delivery>, now: DateTime<Utc>) -> Self {
        let (state_label, state_badge) =
            if i.is_expired(now) { ("Expired", "badge-failed") } else { (i.status.label(), "badge-invited") };
        let (delivery, delivery_badge) = match delivery.map(delivery_text) {
            Some((text, badge)) => (Some(text), badge),
            None => (None, ""),
        };
        InvitationRow {
            id: i.id,
            name: format!("{} {}", i.first_name, i.surname),
            email: i.email.clone(),
            role_label: i.role.label(),
            state_label,
            state_badge,
            delivery,
            delivery_badge,
            sent: i.created_at,
            expires: i.expires_at,
            for_account_admin: i.for_account_admin,
        }
    }
}

/// An invite form (Members' *Invite a member*, Team's invite): what was typed and what is
/// wrong with it.
#[derive(Default)]
pub struct InviteForm {
    pub first_name: String,
    pub surname: String,
    pub email: String,
    pub role: String,
    pub first_name_error: Option<String>,
    pub surname_error: Option<String>,
    pub email_error: Option<String>,
    pub role_error: Option<String>,
    /// The *Personal note* as typed; None on a fresh form (the enterprise's default shows).
    pub note: Option<NoteField>,
}

impl InviteForm {
    fn empty() -> Self {
        Self::with_role(Role::Member.as_str())
    }

    /// A blank form with `role` chosen.
    pub fn with_role(role: &str) -> Self {
        InviteForm { role: role.to_string(), ..Default::default() }
    }
}

pub struct MembersData {
    pub partner_name: String,
    pub members: Vec<MemberRow>,
    pub pager: PeoplePager,
    pub invitations: Vec<InvitationRow>,
    pub domains: Vec<String>,
    /// The enterprise's default *Personal note*.
    pub default_note: Option<String>,
}

/// Everything the page shows, in a fixed number of statements whatever the number of
/// members and invitations: partner, one page of members with their number, invitations,
/// their emails, domains, the enterprise's default note.
pub fn load(conn: &mut PgConnection, actor: &Principal, filter: &PeopleFilter) -> Result<MembersData, AppError> {
    let partner_id = partner_of(actor)?;
    let partner = partners::find(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    let shown = member_pages::page_for_partner(conn, partner_id, filter)?;
    let pager = PeoplePager::new("/members".into(), filter, shown.page, shown.people.len(), shown.total, "Joined");
    let people = shown.people;
    let now = Utc::now();
    let open: Vec<invitations::Invitation> = invitations::for_partner(conn, partner_id)?
        .into_iter()
        .filter(|i| i.status == InvitationStatus::Pending)
        .collect();
    let ids: Vec<InvitationId> = open.iter().map(|i| i.id).collect();
    let deliveries: HashMap<InvitationId, Delivery> = outbox::delivery_for_invitations(conn, &ids)?;
    let domains = active_domains(conn, partner_id)?;
    let default_note = enterprises::invitation_note(conn, actor.enterprise_id)?;
    Ok(MembersData {
        pager,
        default_note,
        partner_name: partner.name,
        members: people
            .into_iter()
            .map(|u| MemberRow {
                id: u.id,
                name: format!("{} {}", u.first_name, u.surname),
                is_account_admin: partner.account_admin_user_id == Some(u.id),
                is_self: u.id == actor.user_id,
                role: u.role.as_str(),
                role_label: u.role.label(),
                joined: u.created_at,
                email: u.email,
            })
            .collect(),
        invitations: open.iter().map(|i| InvitationRow::new(i, deliveries.get(&i.id), now)).collect(),
        domains: domains.iter().map(|d| d.as_str().to_string()).collect(),
    })
}

/// The partner's active registered domains, as parsed domains for `EmailAddress::belongs_to`.
pub(crate) fn active_domains(conn: &mut PgConnection, partner_id: PartnerId) -> Result<Vec<Domain>, AppError> {
    Ok(partners::domains(conn, partner_id)?
        .into_iter()
        .filter(|d| d.active)
        .filter_map(|d| Domain::parse(&d.domain).ok())
        .collect())
}

#[derive(Template)]
#[template(path = "members/list.html")]
struct MembersPage {
    layout: Layout,
    data: MembersData,
    form: InviteForm,
    note: NoteField,
    roles: [Role; 2],
}

async fn render_page(
    user: &PartnerAdmin,
    state: &AppState,
    query: &PeopleQuery,
    form: InviteForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let filter = query.filter(false)?;
    let data = db::run(&state.pool, move |conn| load(conn, &actor, &filter)).await?;
    let layout = user.layout("Members", MENU_KEY)?;
    let note = form.note.clone().unwrap_or_else(|| NoteField::prefilled(data.default_note.clone()));
    Ok(render_status(status, &MembersPage { layout, data, form, note, roles: Role::ALL }))
}

pub async fn list(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, AppError> {
    render_page(&user, &state, &query, InviteForm::empty(), StatusCode::OK).await
}

// ---- Invite a member -----------------------------------------------------------------------

#[derive(Deserialize)]
pub struct InviteFields {
    first_name: String,
    surname: String,
    email: String,
    role: String,
    #[serde(default)]
    note: String,
}

/// Why an otherwise valid invitation was refused, shown next to *Email*.
enum Refused {
    OutsideDomains(Vec<String>),
}

pub async fn invite(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    form: web::Form<InviteFields>,
) -> Result<HttpResponse, AppError> {
    let InviteFields { first_name, surname, email, role, note } = form.into_inner();
    let (note_field, note) = NoteField::read(note);
    let first = PersonName::parse(&first_name);
    let last = PersonName::parse(&surname);
    let parsed_role = Role::parse(&role);
    let address = EmailAddress::parse(&email);
    let mut form = InviteForm {
        first_name_error: first.as_ref().err().map(|e| e.to_string()),
        surname_error: last.as_ref().err().map(|e| e.to_string()),
        email_error: address.as_ref().err().map(|e| e.to_string()),
        role_error: parsed_role.as_ref().err().map(|e| e.to_string()),
        first_name,
        surname,
        email,
        role,
        note: Some(note_field),
    };
    let first_page = PeopleQuery::default();
    let (Ok(first), Ok(last), Ok(address), Ok(role), Ok(note)) = (first, last, address, parsed_role, note) else {
        return render_page(&user, &state, &first_page, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };

    let actor = user.user.clone();
    let partner_id = partner_of(&actor)?;
    let settings = state.settings.clone();
    let invitee = address.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let domains = active_domains(conn, partner_id)?;
            if !invitee.belongs_to(&domains) {
                return Ok(Err(Refused::OutsideDomains(domains.iter().map(|d| d.as_str().to_string()).collect())));
            }
            let invite = invitations::NewInvite {
                enterprise_id: actor.enterprise_id,
                partner_id,
                email: &invitee,
                first_name: &first,
                surname: &last,
                role,
                for_account_admin: false,
                note: note.as_ref().map(|n| n.as_str()),
            };
            Ok(Ok(invitations::issue(conn, &settings, &actor, &invite)?))
        })
    })
    .await;
    match outcome {
        Ok(Ok(invitation)) => {
            tracing::info!(invitation_id = %invitation.id, "member invited");
            user.flash(FlashKind::Success, format!("Invitation sent to {}.", invitation.email))?;
            Ok(see_other("/members"))
        }
        Ok(Err(Refused::OutsideDomains(domains))) => {
            form.email_error = Some(if domains.is_empty() {
                "Your company has no registered domains yet, so nobody can be invited. Ask the enterprise to register one.".to_string()
            } else {
                format!("The email must use one of your company's registered domains: {}.", domains.join(", "))
            });
            render_page(&user, &state, &first_page, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Conflict(message)) => {
            form.email_error = Some(message);
            render_page(&user, &state, &first_page, form, StatusCode::CONFLICT).await
        }
        Err(AppError::Unprocessable(message)) => {
            form.email_error = Some(message);
            render_page(&user, &state, &first_page, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}
