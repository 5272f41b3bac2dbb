//! Bulk **Resend invitations** and **Send invitations**: each selected partner's pending
//! account-administrator invitation. Resend sends again one that was emailed (a new link; the
//! old one stops working, as the single **Resend invitation**); Send sends one that was held
//! by Import partners with *Send invitation emails* off. A partner without such an invitation,
//! one whose invitation is of the other kind, or one whose domain must be verified first is
//! listed with the reason and left alone. Confirm sends the rest in one transaction, each
//! email queued in the outbox there and each invitation audited as the single action does.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use diesel::{Connection, PgConnection};

use super::{layout, load_selected, partners, selected_ids, show, summary, unchangeable, ConfirmPage, Outcome};
use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{
        self,
        bulk::{self, OpenInvitation, Selected},
        domain_verification, invitation_flow,
    },
    domain::{EnterpriseId, FlashKind, InvitationId, PartnerId},
    error::AppError,
    render::see_other,
    state::AppState,
};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Resend,
    Send,
}

impl Kind {
    fn action(self) -> &'static str {
        match self {
            Kind::Resend => "/settings/partners/bulk/resend",
            Kind::Send => "/settings/partners/bulk/send",
        }
    }

    fn button(self) -> &'static str {
        match self {
            Kind::Resend => "Resend invitations",
            Kind::Send => "Send invitations",
        }
    }
}

/// Each partner's outcome, with the invitation the confirm button sends.
fn judge(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    kind: Kind,
    selected: &[Selected],
) -> Result<Vec<(Outcome, Option<InvitationId>)>, AppError> {
    let ids: Vec<PartnerId> = selected.iter().map(|p| p.id).collect();
    let open = bulk::open_admin_invitations(conn, enterprise_id, &ids)?;
    let mut judged = Vec::new();
    for p in selected {
        // The latest, should a partner hold more than one.
        let invitation: Option<&OpenInvitation> = open.iter().rev().find(|i| i.partner_id == p.id);
        let outcome = match (unchangeable(p.status), invitation) {
            (Some(why), _) => (Outcome::wont(p, why), None),
            (None, None) => (Outcome::wont(p, "has no pending invitation."), None),
            (None, Some(i)) => {
                let email = &i.email;
                if kind == Kind::Resend && i.held {
                    (
                        Outcome::wont(
                            p,
                            format!("its invitation to {email} has not been sent yet: use Send invitations."),
                        ),
                        None,
                    )
                } else if kind == Kind::Send && !i.held {
                    let text =
                        format!("its invitation to {email} was already sent: use Resend invitations to send it again.");
                    (Outcome::wont(p, text), None)
                } else if let Some(why) = domain_verification::invitation_refusal(conn, enterprise_id, p.id, email)? {
                    (Outcome::wont(p, format!("its invitation to {email} can't be sent: {why}")), None)
                } else if kind == Kind::Resend {
                    let text = format!(
                        "its pending invitation to {email} will be sent again; the previous link stops working."
                    );
                    (Outcome::will(p, text), Some(i.id))
                } else {
                    (
                        Outcome::will(p, format!("its invitation to {email}, held since the import, will be sent.")),
                        Some(i.id),
                    )
                }
            }
        };
        judged.push(outcome);
    }
    Ok(judged)
}

async fn page(
    user: &EnterpriseAdmin,
    state: &AppState,
    kind: Kind,
    ids: Vec<PartnerId>,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = user.user.enterprise_id;
    let judged = db::run(&state.pool, move |conn| {
        let selected = load_selected(conn, enterprise_id, &ids)?;
        judge(conn, enterprise_id, kind, &selected)
    })
    .await?;
    let outcomes: Vec<Outcome> = judged.into_iter().map(|(o, _)| o).collect();
    let confirm = ConfirmPage {
        layout: layout(user, kind.button())?,
        heading: format!("{} of {}", kind.button(), partners(outcomes.len())),
        outcomes,
        action: kind.action(),
        button: kind.button(),
        undo_box: None,
        group_choice: None,
        error,
    };
    Ok(show(&confirm, status))
}

async fn confirm(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    req: HttpRequest,
    kind: Kind,
) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let ids = selected_ids(req.query_string().as_bytes())?;
    page(&user, &state, kind, ids, None, StatusCode::OK).await
}

async fn apply(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
    kind: Kind,
) -> Result<HttpResponse, AppError> {
    let ids = selected_ids(&body)?;
    let shown = ids.clone();
    let (actor, settings) = (user.user.clone(), state.settings.clone());
    let enterprise_id = actor.enterprise_id;
    let (sent, left) = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let mut selected = load_selected(conn, enterprise_id, &ids)?;
            // Locked in id order, then judged again: the page may be stale.
            selected.sort_by_key(|p| p.id);
            for p in &selected {
                db::partners::lock(conn, enterprise_id, p.id)?.ok_or(AppError::NotFound)?;
            }
            let (mut sent, mut left) = (Vec::new(), Vec::new());
            for (outcome, invitation) in judge(conn, enterprise_id, kind, &selected)? {
                match invitation {
                    Some(invitation) if kind == Kind::Resend => {
                        invitation_flow::resend(conn, &settings, &actor, outcome.id, invitation)?;
                        sent.push(outcome.name);
                    }
                    Some(invitation) => {
                        invitation_flow::send_held(conn, &settings, &actor, outcome.id, invitation)?;
                        sent.push(outcome.name);
                    }
                    None => left.push((outcome.name, outcome.text)),
                }
            }
            Ok((sent, left))
        })
    })
    .await?;
    if sent.is_empty() {
        let message = summary("No invitation was sent.", &left);
        return page(&user, &state, kind, shown, Some(message), StatusCode::CONFLICT).await;
    }
    let done = match kind {
        Kind::Resend => {
            format!("Invitations sent again for {}; their previous links no longer work.", partners(sent.len()))
        }
        Kind::Send => format!("Invitations sent for {}.", partners(sent.len())),
    };
    user.flash(FlashKind::Success, summary(&done, &left))?;
    Ok(see_other("/settings/partners"))
}

/// `GET /settings/partners/bulk/resend`: what Resend invitations would do to each partner.
pub async fn resend_confirm(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    confirm(editor, state, req, Kind::Resend).await
}

/// **Resend invitations**.
pub async fn resend(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    apply(user, state, body, Kind::Resend).await
}

/// `GET /settings/partners/bulk/send`: what Send invitations would do to each partner.
pub async fn send_confirm(
    editor: EnterpriseEditor,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    confirm(editor, state, req, Kind::Send).await
}

/// **Send invitations**: the invitations an import held.
pub async fn send(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    apply(user, state, body, Kind::Send).await
}
