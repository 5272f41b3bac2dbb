//! **Invite a team** by an Enterprise admin, from a partner's Users tab (SPEC §13):
//! `GET /settings/partners/{id}/users/invite-team` shows the form, `POST` invites each address
//! and shows the result. The same form, rules and pages as a partner Admin's
//! (`members::invite_team`); the partner must be the enterprise's (else 404) and take
//! invitations (not deactivated or only requested: 409 with the reason). A Viewer gets 403
//! on both (the form is only for a change).

use actix_web::{http::StatusCode, web, HttpResponse};

use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, enterprises, partners, team_invites},
    domain::{Domain, EnterpriseId, PartnerId, PersonalNote, Role, MAX_INVITEES},
    error::AppError,
    render::render_status,
    routes::{
        members::invite_team::{check, FormPage, ResultsPage, TeamFields, TeamForm},
        partners::header::change_refusal,
    },
    state::AppState,
};

/// The partner, if it is the enterprise's and takes invitations.
fn open_partner(
    conn: &mut diesel::PgConnection,
    enterprise_id: EnterpriseId,
    id: PartnerId,
) -> Result<partners::Partner, AppError> {
    let partner = partners::find(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    Ok(partner)
}

fn users_tab(id: PartnerId) -> String {
    format!("/settings/partners/{id}/users")
}

async fn show_form(
    user: &EnterpriseAdmin,
    state: &AppState,
    id: PartnerId,
    form: Option<TeamForm>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let (name, domains, default_note) = db::run(&state.pool, move |conn| {
        let partner = open_partner(conn, enterprise_id, id)?;
        let domains: Vec<String> = partners::domains(conn, partner.id)?
            .into_iter()
            .filter(|d| d.active)
            .filter_map(|d| Domain::parse(&d.domain).ok())
            .map(|d| d.as_str().to_string())
            .collect();
        Ok((partner.name, domains, enterprises::invitation_note(conn, enterprise_id)?))
    })
    .await?;
    let page = FormPage {
        layout: user.layout(format!("Invite a team · {name}"), "partners")?,
        partner_name: name,
        domains,
        action: format!("{}/invite-team", users_tab(id)),
        back_href: users_tab(id),
        back_label: "Back to Users",
        form: form.unwrap_or_else(|| TeamForm::fresh(default_note)),
        roles: Role::ALL,
        max: MAX_INVITEES,
    };
    Ok(render_status(status, &page))
}

pub async fn form(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    show_form(&editor.into(), &state, path.into_inner(), None, StatusCode::OK).await
}

pub async fn send(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    fields: web::Form<TeamFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let list = match check(fields.into_inner()) {
        Ok(list) => list,
        Err(form) => return show_form(&user, &state, id, Some(*form), StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let role = list.role;
    let (name, outcomes) = db::run(&state.pool, move |conn| {
        let partner = open_partner(conn, actor.enterprise_id, id)?;
        let note = list.note.as_ref().map(PersonalNote::as_str);
        let outcomes = team_invites::invite_each(conn, &settings, &actor, partner.id, &list.lines, list.role, note)?;
        Ok((partner.name, outcomes))
    })
    .await?;
    tracing::info!(partner_id = %id, addresses = outcomes.len(), "team invited by the enterprise");
    let page = ResultsPage::new(
        user.layout(format!("Invite a team · {name}"), "partners")?,
        name,
        outcomes,
        role,
        users_tab(id),
        "Back to Users",
        format!("{}/invite-team", users_tab(id)),
    );
    Ok(render_status(StatusCode::OK, &page))
}
