//! Bulk **Deactivate**: only partners with no API access left (SPEC §2); the others are listed
//! with the reason and a link to revoke, and left alone. The confirmation lists what ends for
//! each partner and, deactivation being irreversible, asks for a ticked "I understand that
//! deactivation can't be undone" (typing every partner's name, as the single action asks, does
//! not scale to a page of partners). Confirm deactivates the rest through the single action's
//! `deactivate_tx`, in one transaction.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use diesel::{Connection, PgConnection};

use super::{layout, load_selected, partners, selected_ids, show, summary, unchangeable, ConfirmPage, Outcome};
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{self, bulk::Selected, grants, invitations, memberships},
    domain::{EnterpriseId, FlashKind, PartnerId, PartnerStatus},
    error::AppError,
    render::see_other,
    routes::partners::{
        deactivate::{deactivate_tx, Outcome as Done},
        grants::shared::form_fields,
    },
    state::AppState,
};

const ACTION: &str = "/settings/partners/bulk/deactivate";
const BUTTON: &str = "Deactivate";
pub const API_ACCESS: &str = "can't be deactivated: it has API access — revoke its APIs first.";

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Each partner's outcome.
fn judge(conn: &mut PgConnection, selected: &[Selected]) -> Result<Vec<Outcome>, AppError> {
    let mut outcomes = Vec::new();
    for p in selected {
        // A connection request not yet accepted can be withdrawn this way, as on Delete partner.
        let outcome = if p.status == PartnerStatus::Deactivated {
            Outcome::wont(p, "is already deactivated.")
        } else if let Some(why) = unchangeable(p.status).filter(|_| !p.status.is_live()) {
            Outcome::wont(p, why)
        } else if grants::has_api_access(conn, p.id)? {
            Outcome::wont(p, API_ACCESS)
        } else {
            let people = memberships::count_live_in_partner(conn, p.id)?;
            let pending = invitations::count_pending(conn, p.id)?;
            Outcome::will(
                p,
                format!(
                    "will be deactivated: {} will no longer be able to log in and {} will be revoked.",
                    plural(people, "user", "users"),
                    plural(pending, "pending invitation", "pending invitations")
                ),
            )
        };
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

async fn page(
    user: &EnterpriseAdmin,
    state: &AppState,
    ids: Vec<PartnerId>,
    undo_error: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id: EnterpriseId = user.user.enterprise_id;
    let outcomes = db::run(&state.pool, move |conn| {
        let selected = load_selected(conn, enterprise_id, &ids)?;
        judge(conn, &selected)
    })
    .await?;
    let confirm = ConfirmPage {
        layout: layout(user, "Deactivate partners")?,
        heading: format!("Deactivate {}", partners(outcomes.len())),
        outcomes,
        action: ACTION,
        button: BUTTON,
        undo_box: Some(undo_error),
        group_choice: None,
        error,
    };
    Ok(show(&confirm, status))
}

/// `GET /settings/partners/bulk/deactivate`: what would end for each partner, or why not.
pub async fn confirm(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let ids = selected_ids(req.query_string().as_bytes())?;
    page(&user, &state, ids, None, None, StatusCode::OK).await
}

/// **Deactivate**: the partners without API access, in one transaction.
pub async fn apply(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let ids = selected_ids(&body)?;
    let understood = form_fields(&body).iter().any(|(n, v)| n == "understood" && v == "on");
    if !understood {
        let why = "Tick the box to confirm: deactivation can't be undone. Nothing was changed.".to_string();
        return page(&user, &state, ids, Some(why), None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let shown = ids.clone();
    let actor = user.user.clone();
    let enterprise_id = actor.enterprise_id;
    let (done, left) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let mut selected = load_selected(conn, enterprise_id, &ids)?;
            // deactivate_tx locks each partner: in id order, like every multi-partner change.
            selected.sort_by_key(|p| p.id);
            let (mut done, mut left) = (Vec::new(), Vec::new());
            for p in &selected {
                // It re-checks under the lock (status, API access) and writes nothing when it refuses.
                match deactivate_tx(conn, &actor, p.id, None)? {
                    Done::Deactivated { name, .. } => done.push(name),
                    Done::Refused(..) => {
                        let why =
                            if grants::has_api_access(conn, p.id)? { API_ACCESS } else { "is already deactivated." };
                        left.push((p.name.clone(), why.to_string()));
                    }
                }
            }
            Ok((done, left))
        })
    })
    .await?;
    if done.is_empty() {
        let message = summary("No partner was deactivated.", &left);
        return page(&user, &state, shown, None, Some(message), StatusCode::CONFLICT).await;
    }
    let message = format!(
        "{} deactivated: their users can no longer log in and their pending invitations were revoked.",
        partners(done.len())
    );
    user.flash(FlashKind::Success, summary(&message, &left))?;
    Ok(see_other("/settings/partners"))
}
