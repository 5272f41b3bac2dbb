//! A partner's Users tab (Products and APIs: `grants_*`; Delete partner: `deactivate`;
//! Activity: `routes::activity`): the partner's people, 25 a page and sorted by plain links
//! (`routes::people_list`), removed ones marked disabled, and every invitation. **Invite a
//! team** is `page::invite_team`.

use crate::domain::PartnerId;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::DateTime;
use chrono::Utc;

use crate::routes::partners::header::load_header;
use crate::routes::partners::header::PartnerHeader;
use crate::routes::partners::page::general::InvitationView;
use crate::routes::people_list::{PeoplePager, PeopleQuery};
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, invitations, member_pages},
    error::AppError,
    render::{render, Layout},
    state::AppState,
};

// ---- Users ---------------------------------------------------------------------------------

struct UserView {
    name: String,
    email: String,
    role_label: &'static str,
    is_account_admin: bool,
    disabled: bool,
    since: DateTime<Utc>,
}

#[derive(Template)]
#[template(path = "partners/page/users.html")]
struct UsersPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    users: Vec<UserView>,
    pager: PeoplePager,
    invitations: Vec<InvitationView>,
}

/// The header, one page of people with their number, the invitations: three statements
/// whatever the number of people.
pub async fn users_tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let filter = query.filter(true)?;
    let enterprise_id = user.user.enterprise_id;
    let (partner, header, shown, invites) = db::run(&state.pool, move |conn| {
        let (partner, header) = load_header(conn, enterprise_id, id)?;
        let shown = member_pages::page_for_partner(conn, partner.id, &filter)?;
        let invites = invitations::for_partner(conn, partner.id)?;
        Ok((partner, header, shown, invites))
    })
    .await?;
    let pager = PeoplePager::new(
        format!("/settings/partners/{id}/users"),
        &filter,
        shown.page,
        shown.people.len(),
        shown.total,
        "Since",
    );
    let now = Utc::now();
    let users = shown
        .people
        .into_iter()
        .map(|u| UserView {
            name: format!("{} {}", u.first_name, u.surname),
            is_account_admin: partner.account_admin_user_id == Some(u.id),
            role_label: u.role.label(),
            disabled: u.ended_at.is_some(),
            since: u.created_at,
            email: u.email,
        })
        .collect();
    let invitations = invites.iter().map(|i| InvitationView::new(i, now)).collect();
    let layout = user.layout(format!("Users · {}", header.name), "partners")?;
    Ok(render(&UsersPage { layout, tab: "users", header, users, pager, invitations }))
}
