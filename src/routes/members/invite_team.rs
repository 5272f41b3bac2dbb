//! **Invite a team** (SPEC §13) for a partner Admin: `GET /members/invite-team` shows the
//! form (addresses one a line, one role for all, the *Personal note* pre-filled with the
//! enterprise's default) and `POST` invites each address (`db::team_invites`) and shows the
//! result, address by address. The form, the check and both pages are shared with the
//! enterprise's version on a partner's Users tab (`partners::page::invite_team`).
//!
//! The list as a whole is refused (422, nothing sent) when it is empty, longer than 50
//! addresses, or the role or note is wrong; each address is then invited or refused on its own.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::{
    auth::guards::PartnerAdmin,
    db::{self, enterprises, partners, team_invites},
    domain::{parse_invitees, InviteeLine, PersonalNote, Role, MAX_INVITEES},
    error::AppError,
    render::{render_status, Layout},
    routes::{
        members::list::{active_domains, partner_of, MENU_KEY},
        note::NoteField,
    },
    state::AppState,
};

// ---- the form, shared ----------------------------------------------------------------------

#[derive(Deserialize)]
pub struct TeamFields {
    #[serde(default)]
    addresses: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    note: String,
}

/// The form as typed, with its errors.
#[derive(Default)]
pub struct TeamForm {
    pub addresses: String,
    pub role: String,
    pub note: NoteField,
    pub addresses_error: Option<String>,
    pub role_error: Option<String>,
}

impl TeamForm {
    pub fn fresh(default_note: Option<String>) -> Self {
        TeamForm { role: Role::Member.as_str().into(), note: NoteField::prefilled(default_note), ..Default::default() }
    }
}

/// A list that may be sent: its lines, the role, the note.
pub struct TeamList {
    pub lines: Vec<InviteeLine>,
    pub role: Role,
    pub note: Option<PersonalNote>,
}

/// Reads the form: the list to send, or the form again with what is wrong.
pub fn check(fields: TeamFields) -> Result<TeamList, Box<TeamForm>> {
    let TeamFields { addresses, role, note } = fields;
    let lines = parse_invitees(&addresses);
    let parsed_role = Role::parse(&role);
    let (note_field, note) = NoteField::read(note);
    match (lines, parsed_role, note) {
        (Ok(lines), Ok(role), Ok(note)) => Ok(TeamList { lines, role, note }),
        (lines, parsed_role, _) => Err(Box::new(TeamForm {
            addresses_error: lines.err().map(|e| e.to_string()),
            role_error: parsed_role.err().map(|e| e.to_string()),
            note: note_field,
            addresses,
            role,
        })),
    }
}

#[derive(Template)]
#[template(path = "invite_team/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub partner_name: String,
    pub domains: Vec<String>,
    /// Where the form posts (and the page's own address).
    pub action: String,
    pub back_href: String,
    pub back_label: &'static str,
    pub form: TeamForm,
    pub roles: [Role; 2],
    pub max: usize,
}

pub struct ResultRow {
    pub address: String,
    pub invited: bool,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "invite_team/results.html")]
pub struct ResultsPage {
    pub layout: Layout,
    pub partner_name: String,
    pub rows: Vec<ResultRow>,
    pub invited: usize,
    pub refused: usize,
    pub role_label: &'static str,
    pub back_href: String,
    pub back_label: &'static str,
    pub again_href: String,
}

impl ResultsPage {
    pub fn new(
        layout: Layout,
        partner_name: String,
        outcomes: Vec<team_invites::AddressOutcome>,
        role: Role,
        back_href: String,
        back_label: &'static str,
        again_href: String,
    ) -> Self {
        let rows: Vec<ResultRow> = outcomes
            .into_iter()
            .map(|o| match o.outcome {
                team_invites::Outcome::Invited => {
                    ResultRow { address: o.address, invited: true, reason: String::new() }
                }
                team_invites::Outcome::Refused(reason) => ResultRow { address: o.address, invited: false, reason },
            })
            .collect();
        let invited = rows.iter().filter(|r| r.invited).count();
        ResultsPage {
            layout,
            partner_name,
            refused: rows.len() - invited,
            invited,
            rows,
            role_label: role.label(),
            back_href,
            back_label,
            again_href,
        }
    }
}

// ---- the partner Admin's version -----------------------------------------------------------

const ACTION: &str = "/members/invite-team";

async fn show_form(
    user: &PartnerAdmin,
    state: &AppState,
    form: Option<TeamForm>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let (name, domains, default_note) = db::run(&state.pool, move |conn| {
        let partner_id = partner_of(&actor)?;
        let partner = partners::find(conn, actor.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
        let domains: Vec<String> = active_domains(conn, partner_id)?.iter().map(|d| d.as_str().to_string()).collect();
        Ok((partner.name, domains, enterprises::invitation_note(conn, actor.enterprise_id)?))
    })
    .await?;
    let page = FormPage {
        layout: user.layout("Invite a team", MENU_KEY)?,
        partner_name: name,
        domains,
        action: ACTION.into(),
        back_href: "/members".into(),
        back_label: "Back to Members",
        form: form.unwrap_or_else(|| TeamForm::fresh(default_note)),
        roles: Role::ALL,
        max: MAX_INVITEES,
    };
    Ok(render_status(status, &page))
}

pub async fn form(user: PartnerAdmin, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    show_form(&user, &state, None, StatusCode::OK).await
}

pub async fn send(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    fields: web::Form<TeamFields>,
) -> Result<HttpResponse, AppError> {
    let list = match check(fields.into_inner()) {
        Ok(list) => list,
        Err(form) => return show_form(&user, &state, Some(*form), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let role = list.role;
    let (name, outcomes) = db::run(&state.pool, move |conn| {
        let partner_id = partner_of(&actor)?;
        let note = list.note.as_ref().map(PersonalNote::as_str);
        let outcomes = team_invites::invite_each(conn, &settings, &actor, partner_id, &list.lines, list.role, note)?;
        Ok((actor.partner_name.clone().unwrap_or_default(), outcomes))
    })
    .await?;
    tracing::info!(addresses = outcomes.len(), "team invited");
    let page = ResultsPage::new(
        user.layout("Invite a team", MENU_KEY)?,
        name,
        outcomes,
        role,
        "/members".into(),
        "Back to Members",
        ACTION.into(),
    );
    Ok(render_status(StatusCode::OK, &page))
}
