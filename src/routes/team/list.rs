//! `/settings/team`: the team, its open invitations and the invite form. Enterprise admins
//! and Viewers may read it (a Viewer sees no form); inviting takes `EnterpriseAdmin`, which
//! refuses a Viewer's POST with 403.

use chrono::DateTime;
use std::collections::HashMap;

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::{guards::EnterpriseAdmin, session::Principal},
    db::{
        self, memberships,
        outbox::{self, Delivery},
        team,
    },
    domain::{EmailAddress, FlashKind, InvitationId, PersonName, UserId, UserRole},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::{
        members::list::{InvitationRow, InviteForm},
        note::NoteField,
    },
    state::AppState,
};

pub const MENU_KEY: &str = "team";
pub const TEAM_ROLES: [UserRole; 2] = [UserRole::EnterpriseAdmin, UserRole::Viewer];
pub const ROLE_ERROR: &str = "Choose a role: Enterprise admin or Viewer.";

/// `enterprise_admin` or `viewer` (as the forms send them); anything else is refused.
pub fn parse_role(input: &str) -> Result<UserRole, &'static str> {
    UserRole::from_stored(input.trim()).ok().filter(|r| r.is_team()).ok_or(ROLE_ERROR)
}

pub struct TeamRow {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub is_self: bool,
    pub since: DateTime<Utc>,
}

pub struct TeamData {
    pub members: Vec<TeamRow>,
    pub invitations: Vec<InvitationRow>,
    /// The enterprise's default *Personal note*.
    pub default_note: Option<String>,
}

/// The page's data in a fixed number of statements: team, invitations, their emails, the
/// default note.
fn load(conn: &mut PgConnection, actor: &Principal) -> Result<TeamData, AppError> {
    let people = memberships::team(conn, actor.enterprise_id)?;
    let open = team::pending_invitations(conn, actor.enterprise_id)?;
    let ids: Vec<InvitationId> = open.iter().map(|i| i.id).collect();
    let deliveries: HashMap<InvitationId, Delivery> = outbox::delivery_for_invitations(conn, &ids)?;
    let now = Utc::now();
    let default_note = db::enterprises::invitation_note(conn, actor.enterprise_id)?;
    Ok(TeamData {
        default_note,
        members: people
            .into_iter()
            .map(|m| TeamRow {
                id: m.id,
                name: m.display_name(),
                is_self: m.id == actor.user_id,
                role: m.role.as_str(),
                role_label: m.role.label(),
                since: m.created_at,
                email: m.email,
            })
            .collect(),
        invitations: open.iter().map(|i| InvitationRow::new(i, deliveries.get(&i.id), now)).collect(),
    })
}

#[derive(Template)]
#[template(path = "team/list.html")]
struct TeamPage {
    layout: Layout,
    enterprise_name: String,
    data: TeamData,
    form: InviteForm,
    note: NoteField,
    roles: [UserRole; 2],
}

async fn render_page(
    user: &EnterpriseAdmin,
    state: &AppState,
    form: InviteForm,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let data = db::run(&state.pool, move |conn| load(conn, &actor)).await?;
    let note = form.note.clone().unwrap_or_else(|| NoteField::prefilled(data.default_note.clone()));
    let page = TeamPage {
        layout: user.layout("Team", MENU_KEY)?,
        enterprise_name: user.user.enterprise_name.clone(),
        data,
        form,
        note,
        roles: TEAM_ROLES,
    };
    Ok(render_status(status, &page))
}

pub async fn list(user: EnterpriseAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    render_page(&user, &state, InviteForm::with_role(UserRole::Viewer.as_str()), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct InviteFields {
    first_name: String,
    surname: String,
    email: String,
    role: String,
    #[serde(default)]
    note: String,
}

/// **Send invitation**: bad input shows the form again (422) with the fields marked; an
/// address already in the team or already invited, 409 with the message under *Email*.
pub async fn invite(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<InviteFields>,
) -> Result<HttpResponse, AppError> {
    let InviteFields { first_name, surname, email, role, note } = form.into_inner();
    let (note_field, note) = NoteField::read(note);
    let first = PersonName::parse(&first_name);
    let last = PersonName::parse(&surname);
    let address = EmailAddress::parse(&email);
    let parsed_role = parse_role(&role);
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
    let (Ok(first), Ok(last), Ok(address), Ok(role), Ok(note)) = (first, last, address, parsed_role, note) else {
        return render_page(&user, &state, form, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let invite = team::NewTeamInvite {
                email: &address,
                first_name: &first,
                surname: &last,
                role,
                note: note.as_ref().map(|n| n.as_str()),
            };
            team::issue(conn, &settings, &actor, &invite)
        })
    })
    .await;
    match outcome {
        Ok(invitation) => {
            tracing::info!(invitation_id = %invitation.id, "team member invited");
            user.flash(FlashKind::Success, format!("Invitation sent to {}.", invitation.email))?;
            Ok(see_other("/settings/team"))
        }
        Err(AppError::Conflict(message)) => {
            form.email_error = Some(message);
            render_page(&user, &state, form, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e),
    }
}
