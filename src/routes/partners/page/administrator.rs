//! General → "Partner administrator account": inviting a new account administrator (the
//! current one stays until the new one accepts), and resending or revoking that invitation.

use crate::domain::{EnterpriseId, InvitationId, PartnerId};
use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::{Connection, PgConnection};
use serde::Deserialize;

use crate::routes::partners::header::change_refusal;
use crate::routes::partners::page::general::load_general;
use crate::routes::partners::page::general::render_general_with;
use crate::routes::partners::page::general::AdminForm;
use crate::routes::partners::page::general::DomainForm;
use crate::{
    auth::{actor::Actor, guards::EnterpriseAdmin},
    config::Settings,
    db::{self, invitations, invitations::Invitation, partners, schema, users},
    domain::{Domain, EmailAddress, FlashKind, InvitationStatus, PersonName, PersonalNote, Role},
    error::AppError,
    render::see_other,
    routes::note::NoteField,
    state::AppState,
};

#[derive(Deserialize)]
pub struct Form {
    first_name: String,
    surname: String,
    email: String,
    #[serde(default)]
    note: String,
}

/// Why the transaction stopped: a refused form rolls back whatever it did (e.g. revoking the
/// previous invitation), a fault is an ordinary error.
enum TxError {
    Refused(AdminRefusal),
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
    let Form { first_name, surname, email, note } = form.into_inner();
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let enterprise_id = actor.enterprise_id;
    let (note_field, note) = NoteField::read(note);
    let Ok(note) = note else {
        // A refused note: nothing is written; the form comes back with the message.
        let admin_form = AdminForm { first_name, surname, email, note: Some(note_field), ..AdminForm::default() };
        let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
        return render_general_with(&user, data, DomainForm::default(), admin_form, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let typed = AdminTyped { first_name: first_name.clone(), surname: surname.clone(), email: email.clone(), note };

    let outcome = db::run(&state.pool, move |conn| {
        let result = conn.transaction::<_, TxError, _>(|conn| {
            match invite_administrator(conn, &settings, &actor, id, &typed)? {
                Ok(invitation) => Ok(invitation.email),
                Err(refusal) => Err(TxError::Refused(refusal)),
            }
        });
        match result {
            Ok(address) => Ok(Ok(address)),
            Err(TxError::Refused(refusal)) => Ok(Err(refusal)),
            Err(TxError::App(e)) => Err(e),
        }
    })
    .await?;

    let refusal = match outcome {
        Ok(address) => {
            user.flash(
                FlashKind::Success,
                format!("Invitation sent to {address}. The current administrator stays in place until they accept."),
            )?;
            return Ok(see_other(&format!("/settings/partners/{id}")));
        }
        Err(refused) => refused,
    };
    let admin_form = AdminForm {
        first_name_error: refusal.first_name,
        surname_error: refusal.surname,
        email_error: refusal.email,
        first_name,
        surname,
        email,
        note: Some(note_field),
    };
    let data = db::run(&state.pool, move |conn| load_general(conn, enterprise_id, id)).await?;
    render_general_with(&user, data, DomainForm::default(), admin_form, refusal.status)
}

/// The new administrator as typed.
pub(crate) struct AdminTyped {
    pub first_name: String,
    pub surname: String,
    pub email: String,
    /// The *Personal note*, already checked.
    pub note: Option<PersonalNote>,
}

/// Why an administrator invitation was refused, per field.
#[derive(Debug)]
pub(crate) struct AdminRefusal {
    pub status: StatusCode,
    pub first_name: Option<String>,
    pub surname: Option<String>,
    pub email: Option<String>,
}

/// Invites `typed` to become the partner's account administrator (General → Send invitation,
/// `POST /api/v1/partners/{id}/invitations`). A pending administrator invitation is replaced.
/// On a refusal the caller rolls its transaction back, so that replaced invitation stays.
pub(crate) fn invite_administrator(
    conn: &mut PgConnection,
    settings: &Settings,
    actor: &dyn Actor,
    id: PartnerId,
    typed: &AdminTyped,
) -> Result<Result<Invitation, AdminRefusal>, AppError> {
    let first = PersonName::parse(&typed.first_name);
    let last = PersonName::parse(&typed.surname);
    let address = EmailAddress::parse(&typed.email);
    let mut refusal = AdminRefusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        first_name: first.as_ref().err().map(|e| e.to_string()),
        surname: last.as_ref().err().map(|e| e.to_string()),
        email: address.as_ref().err().map(|e| e.to_string()),
    };
    let partner = partners::lock(conn, actor.enterprise_id(), id)?.ok_or(AppError::NotFound)?;
    if let Some(message) = change_refusal(&partner) {
        return Err(AppError::Conflict(message.into()));
    }
    let (Ok(first), Ok(last), Ok(address)) = (&first, &last, &address) else {
        return Ok(Err(refusal));
    };
    let domains: Vec<Domain> = partners::domains(conn, partner.id)?
        .into_iter()
        .filter(|d| d.active)
        .filter_map(|d| Domain::parse(&d.domain).ok())
        .collect();
    if !address.belongs_to(&domains) {
        let list: Vec<String> = domains.iter().map(|d| d.as_str().to_string()).collect();
        refusal.email = Some(crate::domain::new_partner::email_outside(&list));
        return Ok(Err(refusal));
    }
    let current = match partner.account_admin_user_id {
        Some(uid) => users::find(conn, uid)?,
        None => None,
    };
    if current.as_ref().is_some_and(|u| u.email == address.as_str()) {
        refusal.email = Some(format!("{} is already the account administrator.", address.as_str()));
        return Ok(Err(refusal));
    }
    // One administrator invitation at a time: a new one replaces any pending one.
    for pending in invitations::for_partner(conn, partner.id)? {
        if pending.for_account_admin && pending.status == InvitationStatus::Pending {
            invitations::revoke(conn, actor, partner.id, pending.id)?;
        }
    }
    let issued = invitations::issue(
        conn,
        settings,
        actor,
        &invitations::NewInvite {
            enterprise_id: actor.enterprise_id(),
            partner_id: partner.id,
            email: address,
            first_name: first,
            surname: last,
            role: Role::Admin,
            for_account_admin: true,
            note: typed.note.as_ref().map(PersonalNote::as_str),
        },
    );
    match issued {
        Ok(invitation) => Ok(Ok(invitation)),
        Err(AppError::Conflict(message)) => {
            refusal.email = Some(message);
            refusal.status = StatusCode::CONFLICT;
            Ok(Err(refusal))
        }
        // The domain is not verified while the enterprise requires it.
        Err(AppError::Unprocessable(message)) => {
            refusal.email = Some(message);
            Ok(Err(refusal))
        }
        Err(e) => Err(e),
    }
}

/// An administrator invitation of a partner of this enterprise, or 404.
pub(crate) fn admin_invitation(
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
