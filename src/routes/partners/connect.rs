//! **Connect an existing partner** (SPEC §11, the enterprise's side of MiCloud's flow):
//! `GET/POST /settings/partners/connect` (a *Partner ID* and **Send request**) and the
//! connection link `GET /connect/{code}`, which opens the same page prefilled.
//!
//! Lookups that match no partner are throttled per person (the `partner_lookup` scope of
//! `login_failures`), and an unknown Partner ID gets exactly the same answer as the ID of an
//! organisation nobody can answer for (no partnership with an Admin left): nothing tells
//! which IDs exist. The request itself is one transaction under the enterprise row lock, the
//! lock Add Partner takes, so the partner limit holds under concurrent requests.

use actix_web::{http::StatusCode, web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor, Visitor},
    db::{self, connections, enterprises, organisations, outbox, partners, registration::RegisterError, throttle},
    domain::{AuditAction, EmailKind, FlashKind, PartnerId},
    email::{connections::ConnectionRequestEmail, EmailMeta, OutgoingEmail},
    error::AppError,
    render::{error_page, render_status, see_other, Layout},
    routes::partners::header::record_event,
    state::AppState,
};

pub const NO_PARTNER: &str = "No partner has this Partner ID.";
pub const LOOKUP_THROTTLED: &str = "Too many Partner IDs that matched no partner. For your security, looking up Partner IDs is paused for a few minutes; please try again later.";
pub const LINK_UNKNOWN: &str = "This connection link does not work: it is unknown, or the partner replaced it with a new one. Ask the partner for its current connection link or its Partner ID.";
const LOOKUP_SCOPE: &str = "partner_lookup";
pub const LOOKUP_WINDOW_SECS: i64 = 15 * 60;
pub const MAX_FAILED_LOOKUPS: i64 = 10;
/// Where `/login` sends a person after logging in, when they came from a connection link.
pub const RETURN_TO_KEY: &str = "return_to";

#[derive(Template)]
#[template(path = "partners/connect.html")]
struct ConnectPage {
    layout: Layout,
    partner_code: String,
    /// The organisation's name, when the page was opened from its connection link.
    organisation: Option<String>,
    error: Option<String>,
    /// A refusal of the whole request (limit, already connected, name taken).
    page_error: Option<String>,
    /// The partner page of the partnership that already exists.
    existing: Option<PartnerId>,
}

fn page(
    user: &EnterpriseAdmin,
    status: StatusCode,
    page: impl FnOnce(Layout) -> ConnectPage,
) -> Result<HttpResponse, AppError> {
    let layout = user.layout("Connect an existing partner", "partners")?;
    Ok(render_status(status, &page(layout)))
}

fn blank(layout: Layout, partner_code: String) -> ConnectPage {
    ConnectPage { layout, partner_code, organisation: None, error: None, page_error: None, existing: None }
}

/// The form alone: a Viewer gets 403 here, like on every page that is only a form for a change.
pub async fn form(editor: EnterpriseEditor) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    page(&user, StatusCode::OK, |layout| blank(layout, String::new()))
}

/// The connection link: an Enterprise admin sees the request prefilled; anyone not logged in
/// is sent to log in first and brought back here.
pub async fn open_link(
    req: HttpRequest,
    visitor: Visitor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let code = path.into_inner();
    if visitor.user.is_none() {
        if code.len() <= 100 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            visitor.session.insert(RETURN_TO_KEY, &format!("/connect/{code}"))?;
        }
        return Err(if visitor.session.person().is_some() {
            AppError::ChooseOrganisation
        } else {
            AppError::LoginRequired
        });
    }
    // Partner people get 403; a Viewer may look (the page then offers no button).
    let user = EnterpriseAdmin::extract(&req).await?;
    let org = db::run(&state.pool, move |conn| {
        let Some(org) = organisations::find_by_connect_code(conn, &code)? else { return Ok(None) };
        let answerable = !connections::organisation_admins(conn, org.id)?.is_empty();
        Ok(answerable.then_some(org))
    })
    .await?;
    let Some(org) = org else {
        return Ok(error_page(StatusCode::NOT_FOUND, "Connection link not found", LINK_UNKNOWN));
    };
    page(&user, StatusCode::OK, |layout| ConnectPage {
        organisation: Some(org.name),
        ..blank(layout, org.partner_code)
    })
}

#[derive(Deserialize)]
pub struct ConnectForm {
    #[serde(default)]
    partner_id: String,
}

enum Outcome {
    Requested { id: PartnerId, name: String },
    Unknown,
    Throttled,
    AlreadyConnected(PartnerId, String),
    Refused(String),
}

pub async fn send_request(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    form: web::Form<ConnectForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.into_inner().partner_id.trim().to_string();
    if typed.is_empty() {
        return page(&user, StatusCode::UNPROCESSABLE_ENTITY, |layout| ConnectPage {
            error: Some("Enter the Partner ID your partner gave you, such as PRT-4K7Q9X.".into()),
            ..blank(layout, typed)
        });
    }
    let actor = user.user.clone();
    let settings = state.settings.clone();
    let code = typed.clone();
    let outcome = db::run(&state.pool, move |conn| {
        let subject = actor.user_id.to_string();
        if throttle::recent_failures(conn, LOOKUP_SCOPE, &subject, LOOKUP_WINDOW_SECS)? >= MAX_FAILED_LOOKUPS {
            return Ok(Outcome::Throttled);
        }
        let found = match organisations::find_by_partner_code(conn, &code)? {
            Some(org) => {
                let admins = connections::organisation_admins(conn, org.id)?;
                (!admins.is_empty()).then_some((org, admins))
            }
            None => None,
        };
        let Some((org, admins)) = found else {
            throttle::record_failure(conn, LOOKUP_SCOPE, &subject)?;
            return Ok(Outcome::Unknown);
        };
        conn.transaction::<_, AppError, _>(|conn| {
            let enterprise = enterprises::lock(conn, actor.enterprise_id)?;
            if let Some(existing) = connections::live_with(conn, enterprise.id, org.id)? {
                return Ok(Outcome::AlreadyConnected(existing.id, existing.name));
            }
            let limit = i64::from(enterprise.partner_limit);
            if partners::count_toward_limit(conn, enterprise.id)? >= limit {
                return Ok(Outcome::Refused(RegisterError::LimitReached(limit).to_string()));
            }
            if partners::name_taken(conn, enterprise.id, &org.name, None)? {
                return Ok(Outcome::Refused(format!(
                    "Another of your partners is already called “{}”, so this partner can't be connected under its name. Rename that partner first.",
                    org.name
                )));
            }
            let partner = connections::insert_request(conn, enterprise.id, org.id, &org.name, actor.user_id)?;
            record_event(
                conn,
                &actor,
                &actor.actor_label(),
                partner.id,
                AuditAction::PartnerConnectionRequested,
                &partner.name,
                serde_json::json!({ "partner_code": org.partner_code, "admins_emailed": admins.len() }),
            )?;
            let link = settings.link("/partner/profile");
            let requester = format!("{} {}", actor.first_name, actor.surname);
            let meta = EmailMeta { kind: EmailKind::ConnectionRequest, enterprise_id: Some(enterprise.id), invitation_id: None };
            for admin in &admins {
                let email = crate::email::connections::connection_request(&ConnectionRequestEmail {
                    first_name: &admin.first_name,
                    enterprise_name: &enterprise.name,
                    organisation_name: &org.name,
                    requester_name: &requester,
                    link: &link,
                })?;
                outbox::enqueue(conn, &OutgoingEmail { to: admin.email.clone(), ..email }, &meta)?;
            }
            Ok(Outcome::Requested { id: partner.id, name: partner.name })
        })
    })
    .await?;
    match outcome {
        Outcome::Requested { id, name } => {
            tracing::info!(partner_id = %id, "connection requested");
            user.flash(
                FlashKind::Success,
                format!("Connection request sent to {name}. Its Admins were emailed; the partner becomes active when one of them accepts."),
            )?;
            Ok(see_other(&format!("/settings/partners/{id}")))
        }
        Outcome::Unknown => page(&user, StatusCode::NOT_FOUND, |layout| ConnectPage {
            error: Some(NO_PARTNER.into()),
            ..blank(layout, typed)
        }),
        Outcome::Throttled => {
            tracing::warn!("partner lookup refused: throttled");
            page(&user, StatusCode::TOO_MANY_REQUESTS, |layout| ConnectPage {
                page_error: Some(LOOKUP_THROTTLED.into()),
                ..blank(layout, typed)
            })
        }
        Outcome::AlreadyConnected(id, name) => page(&user, StatusCode::CONFLICT, |layout| ConnectPage {
            page_error: Some(format!("You are already connected with {name}. Nothing was changed.")),
            existing: Some(id),
            ..blank(layout, typed)
        }),
        Outcome::Refused(message) => page(&user, StatusCode::CONFLICT, |layout| ConnectPage {
            page_error: Some(message),
            ..blank(layout, typed)
        }),
    }
}
