//! General → "Partner administrator account": inviting a new account administrator (the
//! current one stays until the new one accepts), and resending or revoking that invitation.

use crate::domain::{EnterpriseId, InvitationId, PartnerId};
use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::Connection;
use serde::Deserialize;

use crate::routes::partners::header::change_refusal;
use crate::routes::partners::page::general::load_general;
use crate::routes::partners::page::general::render_general_with;
use crate::routes::partners::page::general::AdminForm;
use crate::routes::partners::page::general::DomainForm;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, invitations, partners, schema, users},
    domain::{Domain, EmailAddress, FlashKind, InvitationStatus, PersonName, Role},
    error::AppError,
    render::see_other,
    state::AppState,
};

#[derive(Deserialize)]
pub struct Form {
    first_name: String,
    surname: String,
    email: String,
}

/// Why the transaction stopped: a refused form rolls back whatever it did (e.g. revoking the
/// previous invitation), a fault is an ordinary error.
enum TxError {
    /// Boxed: the form is large and rides on every `Result` of the transaction.
    Refused(Box<AdminForm>, StatusCode),
    App(AppError),
}

impl From<AppError> for TxError {
    fn from(e: AppError) -> Self {
        TxError::App(e)
    }
}

impl From<diesel::result::Error> for TxError {
    fn from(e: diesel::result::Error) -> Self {
        TxError::App(AppError::Database(e))
    }
}

pub async fn send_invitation(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    form: web::Form<Form>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Form { first_name, surname, email } = form.into_inner();
    let first = PersonName::parse(&first_name);
    let last = PersonName::parse(&surname);
    let address = EmailAddress::parse(&email);
    let mut admin_form = AdminForm {
        first_name_error: first.as_ref().err().map(|e| e.to_string()),
        surname_error: last.as_ref().err().map(|e| e.to_string()),
        email_error: address.as_ref().err().map(|e| e.to_string()),
        first_name,
        surname,
        email,
    };
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let enterprise_id = actor.enterprise_id;

    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction::<_, TxError, _>(|conn| {
            let partner = partners::lock(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
            if let Some(refusal) = change_refusal(&partner) {
                return Err(AppError::Conflict(refusal.into()).into());
            }
            let (Ok(first), Ok(last), Ok(address)) = (&first, &last, &address) else {
                return Err(TxError::Refused(Box::new(admin_form), StatusCode::UNPROCESSABLE_ENTITY));
            };
            let domains: Vec<Domain> = partners::domains(conn, partner.id)?
                .into_iter()
                .filter(|d| d.active)
                .filter_map(|d| Domain::parse(&d.domain).ok())
                .collect();
            if !address.belongs_to(&domains) {
                let list: Vec<&str> = domains.iter().map(Domain::as_str).collect();
                admin_form.email_error =
                    Some(format!("The email must use one of the partner's registered domains: {}.", list.join(", ")));
                return Err(TxError::Refused(Box::new(admin_form), StatusCode::UNPROCESSABLE_ENTITY));
            }
            let current = match partner.account_admin_user_id {
                Some(uid) => users::find(conn, uid)?,
                None => None,
            };
            if current.as_ref().is_some_and(|u| u.email == address.as_str()) {
                admin_form.email_error = Some(format!("{} is already the account administrator.", address.as_str()));
                return Err(TxError::Refused(Box::new(admin_form), StatusCode::UNPROCESSABLE_ENTITY));
            }
            // One administrator invitation at a time: a new one replaces any pending one.
            for pending in invitations::for_partner(conn, partner.id)? {
                if pending.for_account_admin && pending.status == InvitationStatus::Pending {
                    invitations::revoke(conn, &actor, partner.id, pending.id)?;
                }
            }
            let issued = invitations::issue(
                conn,
                &settings,
                &actor,
                &invitations::NewInvite {
                    enterprise_id,
                    partner_id: partner.id,
                    email: address,
                    first_name: first,
                    surname: last,
                    role: Role::Admin,
                    for_account_admin: true,
                },
            );
            match issued {
                Ok(_) => Ok(address.as_str().to_string()),
                Err(AppError::Conflict(message)) => {
                    admin_form.email_error = Some(message);
                    Err(TxError::Refused(Box::new(admin_form), StatusCode::CONFLICT))
                }
                // The domain is not verified while the enterprise requires it: rolled back,
                // so a pending invitation revoked above stays as it was.
                Err(AppError::Unprocessable(message)) => {
                    admin_form.email_error = Some(message);
                    Err(TxError::Refused(Box::new(admin_form), StatusCode::UNPROCESSABLE_ENTITY))
                }
                Err(e) => Err(e.into()),
            }
        });
        match result {
            Ok(address) => Ok(Ok(address)),
            Err(TxError::Refused(form, status)) => Ok(Err((*form, status))),
            Err(TxError::App(e)) => Err(e),
        }
    })
    .await?;

    let (admin_form, status) = match outcome {
        Ok(address) => {
            user.flash(
                FlashKind::Success,
                format!("Invitation sent to {address}. The current administrator stays in place until they accept."),
            )?;
            return Ok(see_other(&format!("/settings/partners/{id}")));
        }
        Err(refused) => refused,
    };
    let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
    render_general_with(&user, data, DomainForm::default(), admin_form, status)
}

/// An administrator invitation of a partner of this enterprise, or 404.
fn admin_invitation(
    conn: &mut diesel::PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    invitation_id: InvitationId,
) -> Result<partners::Partner, AppError> {
    use diesel::prelude::*;
    let partner = partners::lock(conn, enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    let is_admin_invitation: bool = diesel::select(diesel::dsl::exists(
        schema::invitations::table
            .filter(schema::invitations::id.eq(invitation_id))
            .filter(schema::invitations::partner_id.eq(partner.id))
            .filter(schema::invitations::for_account_admin.eq(true)),
    ))
    .get_result(conn)?;
    if !is_admin_invitation {
        return Err(AppError::NotFound);
    }
    if let Some(refusal) = change_refusal(&partner) {
        return Err(AppError::Conflict(refusal.into()));
    }
    Ok(partner)
}

pub async fn resend(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, InvitationId)>,
) -> Result<HttpResponse, AppError> {
    let (id, invitation_id) = path.into_inner();
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let invitation = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let partner = admin_invitation(conn, actor.enterprise_id, id, invitation_id)?;
            invitations::resend(conn, &settings, &actor, partner.id, invitation_id)
        })
    })
    .await?;
    user.flash(
        FlashKind::Success,
        format!("A new invitation was sent to {}. The previous link no longer works.", invitation.email),
    )?;
    Ok(see_other(&format!("/settings/partners/{id}")))
}

pub async fn revoke(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<(PartnerId, InvitationId)>,
) -> Result<HttpResponse, AppError> {
    let (id, invitation_id) = path.into_inner();
    let actor = user.user.clone();
    db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let partner = admin_invitation(conn, actor.enterprise_id, id, invitation_id)?;
            invitations::revoke(conn, &actor, partner.id, invitation_id)
        })
    })
    .await?;
    user.flash(FlashKind::Success, "The invitation was revoked; its link no longer works.")?;
    Ok(see_other(&format!("/settings/partners/{id}")))
}
