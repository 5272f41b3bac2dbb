//! `/organisations`: **Switch organisation** (SPEC §10). A person with several memberships
//! picks the one to act in after logging in, and switches later without logging out. Only
//! the person's own usable memberships are offered or accepted.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::{
    auth::guards::Visitor,
    db::{self, memberships},
    domain::{FlashKind, MembershipId, UserId},
    error::AppError,
    render::{render, see_other, Layout, Nav},
    state::AppState,
};

struct ChoiceView {
    id: MembershipId,
    organisation: String,
    role_label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "account/organisations.html")]
struct OrganisationsPage {
    layout: Layout,
    first_name: String,
    choices: Vec<ChoiceView>,
}

/// The logged-in person (with or without a current membership), or a redirect to log in.
fn person_of(visitor: &Visitor) -> Result<(UserId, String, Option<MembershipId>), AppError> {
    if let Some(p) = &visitor.user {
        return Ok((p.user_id, p.first_name.clone(), Some(p.membership_id)));
    }
    let person = visitor.session.person().ok_or(AppError::LoginRequired)?;
    Ok((person.user_id, person.first_name, None))
}

pub async fn page(visitor: Visitor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let (user_id, first_name, current) = person_of(&visitor)?;
    let choices = db::run(&state.pool, move |conn| Ok(memberships::choices(conn, user_id)?)).await?;
    let mut layout = visitor.layout("Switch organisation")?;
    if let Some(p) = &visitor.user {
        layout.nav = Some(Nav::from_principal(p));
        layout.active = "organisations";
    }
    let choices = choices
        .into_iter()
        .map(|c| ChoiceView {
            id: c.membership_id,
            organisation: c.organisation(),
            role_label: c.role.label(),
            current: Some(c.membership_id) == current,
        })
        .collect();
    Ok(render(&OrganisationsPage { layout, first_name, choices }))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    membership_id: MembershipId,
}

pub async fn switch(
    visitor: Visitor,
    state: web::Data<AppState>,
    form: web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let (user_id, _, _) = person_of(&visitor)?;
    let wanted = form.membership_id;
    let choices = db::run(&state.pool, move |conn| Ok(memberships::choices(conn, user_id)?)).await?;
    // Someone else's membership, or one that ended meanwhile: not theirs to pick.
    let count = choices.len();
    let choice = choices.into_iter().find(|c| c.membership_id == wanted).ok_or(AppError::NotFound)?;
    visitor.session.switch_to(choice.membership_id, count)?;
    visitor.session.flash(
        FlashKind::Success,
        format!("You are now working in {} as {}.", choice.organisation(), choice.role.label()),
    )?;
    tracing::info!(user_id = %user_id, membership_id = %choice.membership_id, "switched organisation");
    Ok(see_other(if choice.partner_name.is_none() { "/settings/partners" } else { "/service-catalog" }))
}
