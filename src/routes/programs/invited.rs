//! `/apply/{partner}` (SPEC §12, **Invite to apply**): after accepting the invitation of an
//! `applied` partnership, its administrator answers the application form of the partnership's
//! group here; the application then waits under the enterprise's **Applications**. The page is
//! theirs only: an Admin of that partnership, signed in as the applicant (by the invitation, or
//! by logging in here); anyone else gets 404.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use diesel::{prelude::*, Connection, PgConnection};

use crate::{
    auth::guards::Visitor,
    db::{self, application_forms, audit, groups, memberships, partners, program_applications as apps, schema},
    domain::{AuditAction, FlashKind, PartnerId, PartnerStatus, UserId, UserRole},
    error::AppError,
    render::{render_status, see_other, Layout},
    routes::programs::{applicant, application_form::TypedApplication},
    state::AppState,
};

#[derive(Template)]
#[template(path = "programs/invited.html")]
struct InvitedPage {
    layout: Layout,
    partner_id: PartnerId,
    /// None: nobody signed in yet (the page asks to log in).
    place: Option<Place>,
    questions: Vec<application_forms::QuestionRow>,
    form: TypedApplication,
    login_email: String,
    login_error: Option<String>,
}

/// The partnership the applicant applies for.
struct Place {
    partner: partners::Partner,
    enterprise_name: String,
    group_id: i64,
    group_name: String,
    /// Already submitted and waiting for an answer.
    waiting: bool,
}

/// The partnership, if the user is a live Admin of it; its enterprise's and group's names.
fn place_of(conn: &mut PgConnection, partner_id: PartnerId, user: UserId) -> Result<Option<Place>, AppError> {
    let Some(m) = memberships::find_in_partner(conn, partner_id, user)? else { return Ok(None) };
    if m.role != UserRole::Admin {
        return Ok(None);
    }
    let Some(partner) = partners::find(conn, m.enterprise_id, partner_id)? else { return Ok(None) };
    let group_id = groups::of_partner(conn, m.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
    let (enterprise_name, group_name): (String, String) = schema::enterprises::table
        .inner_join(schema::partner_groups::table.on(schema::partner_groups::enterprise_id.eq(schema::enterprises::id)))
        .filter(schema::enterprises::id.eq(m.enterprise_id))
        .filter(schema::partner_groups::id.eq(group_id))
        .select((schema::enterprises::name, schema::partner_groups::name))
        .first(conn)?;
    let waiting = apps::pending_for_partner(conn, m.enterprise_id, partner_id)?;
    Ok(Some(Place { partner, enterprise_name, group_id, group_name, waiting }))
}

async fn show(
    visitor: &Visitor,
    state: &AppState,
    partner_id: PartnerId,
    form: TypedApplication,
    login: (String, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let user = applicant::signed_in(&visitor.session);
    let (exists, place, questions) = db::run(&state.pool, move |conn| {
        let exists: bool =
            diesel::select(diesel::dsl::exists(schema::partners::table.find(partner_id))).get_result(conn)?;
        let Some(user) = user else { return Ok((exists, None, Vec::new())) };
        let place = place_of(conn, partner_id, user)?;
        let questions = match &place {
            Some(p) => application_forms::questions(conn, p.partner.enterprise_id, p.group_id)?,
            None => Vec::new(),
        };
        Ok((exists, place, questions))
    })
    .await?;
    if !exists || (user.is_some() && place.is_none()) {
        return Err(AppError::NotFound);
    }
    let layout = visitor.layout("Your application")?;
    let page = InvitedPage { layout, partner_id, place, questions, form, login_email: login.0, login_error: login.1 };
    Ok(render_status(status, &page))
}

/// `GET /apply/{partner}`
pub async fn page(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
) -> Result<HttpResponse, AppError> {
    show(&visitor, &state, path.into_inner(), TypedApplication::default(), (String::new(), None), StatusCode::OK).await
}

/// `POST /apply/{partner}/login`: back to the form after the invitation was accepted.
pub async fn login(
    req: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    form: web::Form<applicant::LoginFields>,
) -> Result<HttpResponse, AppError> {
    let partner_id = path.into_inner();
    let exists = db::run(&state.pool, move |conn| {
        Ok(diesel::select(diesel::dsl::exists(schema::partners::table.find(partner_id))).get_result::<bool>(conn)?)
    })
    .await?;
    if !exists {
        return Err(AppError::NotFound);
    }
    let applicant::LoginFields { email, password } = form.into_inner();
    match applicant::verify_password(&req, &state, &email, password).await? {
        Ok(user) => {
            applicant::sign_in(&visitor.session, user)?;
            Ok(see_other(&format!("/apply/{partner_id}")))
        }
        Err((status, message)) => {
            show(&visitor, &state, partner_id, TypedApplication::default(), (email, Some(message.into())), status).await
        }
    }
}

/// `POST /apply/{partner}`: **Submit application** (the answers only: the partnership has its
/// name and domains from the wizard).
pub async fn submit(
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let partner_id = path.into_inner();
    let Some(user) = applicant::signed_in(&visitor.session) else { return Err(AppError::NotFound) };
    let mut typed = TypedApplication::read(&body);
    let outcome = db::run(&state.pool, move |conn| {
        conn.transaction::<_, AppError, _>(|conn| {
            let Some(place) = place_of(conn, partner_id, user)? else { return Err(AppError::NotFound) };
            let partner = partners::lock(conn, place.partner.enterprise_id, partner_id)?.ok_or(AppError::NotFound)?;
            if partner.status != PartnerStatus::Applied || place.waiting {
                return Ok(Ok(false));
            }
            let questions = application_forms::questions(conn, partner.enterprise_id, place.group_id)?;
            let Some(answers) = typed.check_answers(&questions) else { return Ok(Err(typed)) };
            let id = apps::insert(
                conn,
                &apps::NewApplication {
                    enterprise_id: partner.enterprise_id,
                    group_id: place.group_id,
                    applicant: user,
                    partner_id: Some(partner_id),
                    partner_name: &partner.name,
                    answers: &answers,
                    domains: &[],
                },
            )?;
            let who = db::users::find(conn, user)?.ok_or(AppError::NotFound)?;
            audit::record(
                conn,
                &audit::NewAuditEvent {
                    enterprise_id: partner.enterprise_id,
                    partner_id: Some(partner_id),
                    actor_user_id: Some(user),
                    actor_label: &format!("{} {} <{}>", who.first_name, who.surname, who.email),
                    actor_membership: &format!("Admin of {}", partner.name),
                    action: AuditAction::ApplicationSubmitted,
                    target: &format!("Application of {}", partner.name),
                    details: serde_json::json!({ "application_id": id, "group_id": place.group_id, "via": "invite to apply" }),
                },
            )?;
            Ok(Ok(true))
        })
    })
    .await?;
    match outcome {
        Ok(sent) => {
            if sent {
                visitor
                    .session
                    .flash(FlashKind::Success, "Application sent. You will get an email when it has been answered.")?;
            }
            Ok(see_other(&format!("/apply/{partner_id}")))
        }
        Err(typed) => {
            show(&visitor, &state, partner_id, typed, (String::new(), None), StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
