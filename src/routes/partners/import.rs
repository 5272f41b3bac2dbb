//! Settings → Partners → **Import partners** (SPEC §13): `GET /settings/partners/import` (the
//! form: *CSV file*, *Send invitation emails*), `POST /settings/partners/import/preview`
//! (**Preview import**: every row as *Will be added* or its reasons; nothing is written) and
//! `POST /settings/partners/import` (**Import**: every valid row in one transaction).
//!
//! The preview page carries the file itself (base64, in a hidden field of the Import form),
//! so nothing is stored between the two steps; Import reads and judges it again from scratch,
//! under the enterprise's lock, so an edited field or a change made since the preview can't
//! slip through. The rules are the file rules of `domain::partner_import`, the wizard's
//! (`NewPartner::check`) and Add Partner's database checks (`db::partner_import`).

use actix_multipart::form::{bytes::Bytes as FileBytes, text::Text, MultipartForm};
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use base64::Engine;

use crate::{
    auth::guards::{EnterpriseAdmin, EnterpriseEditor},
    db::{
        self,
        partner_import::{Imported, Judgement, RowVerdict},
        registration::InvitationDelivery,
    },
    domain::{
        partner_import::{self, count, FileError},
        FlashKind,
    },
    error::AppError,
    render::{render_status, see_other, Layout},
    state::AppState,
};

const TITLE: &str = "Import partners";
const MENU_KEY: &str = "partners";

/// **Preview import**'s form.
#[derive(MultipartForm)]
pub struct UploadForm {
    #[multipart(limit = "2MiB")]
    csv: Option<FileBytes>,
    send_invitations: Option<Text<String>>,
}

/// **Import**'s form: the previewed file, base64.
#[derive(MultipartForm)]
pub struct ImportForm {
    #[multipart(limit = "2MiB")]
    content: Option<Text<String>>,
    send_invitations: Option<Text<String>>,
}

#[derive(Template)]
#[template(path = "partners/import/form.html")]
struct FormPage {
    layout: Layout,
    send_invitations: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "partners/import/preview.html")]
struct PreviewPage {
    layout: Layout,
    rows: Vec<RowVerdict>,
    summary: String,
    /// The valid rows would cross the limit: the reason, and nothing can be imported.
    limit_problem: Option<String>,
    /// Why Import added nothing, when it was pressed.
    page_error: Option<String>,
    verification_required: bool,
    /// Rows that Import would add (none when the limit would be crossed).
    to_add: usize,
    content: String,
    send_invitations: bool,
}

pub async fn form(editor: EnterpriseEditor) -> Result<HttpResponse, AppError> {
    let user: EnterpriseAdmin = editor.into();
    let page = FormPage { layout: user.layout(TITLE, MENU_KEY)?, send_invitations: true, error: None };
    Ok(render_status(StatusCode::OK, &page))
}

/// The form again with the reason the file was refused whole: 413 for its size, else 422.
fn refuse(user: &EnterpriseAdmin, error: FileError, send_invitations: bool) -> Result<HttpResponse, AppError> {
    let status =
        if error == FileError::TooLarge { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = FormPage { layout: user.layout(TITLE, MENU_KEY)?, send_invitations, error: Some(error.to_string()) };
    Ok(render_status(status, &page))
}

fn show_preview(
    user: &EnterpriseAdmin,
    judgement: Judgement,
    content: String,
    send_invitations: bool,
    page_error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let limit_problem = judgement.over_limit.then(|| judgement.limit_reason());
    let valid = judgement.valid.len();
    let total = judgement.rows.len();
    let to_add = if judgement.over_limit { 0 } else { valid };
    let rows_of_file = count(total, "row", "rows");
    let summary = if judgement.over_limit {
        format!("{valid} of {rows_of_file} pass every rule, but adding them would cross the partner limit.")
    } else {
        format!("{valid} of {rows_of_file} will be added; {} can't be.", total - valid)
    };
    let mut rows = judgement.rows;
    if judgement.over_limit {
        for row in rows.iter_mut().filter(|r| r.reasons.is_empty()) {
            row.reasons.push("Over the partner limit: nothing in this file will be imported (see above).".into());
        }
    }
    let page = PreviewPage {
        layout: user.layout(TITLE, MENU_KEY)?,
        rows,
        summary,
        limit_problem,
        page_error,
        verification_required: judgement.verification_required,
        to_add,
        content,
        send_invitations,
    };
    Ok(render_status(status, &page))
}

/// **Preview import**: reads the file and judges every row; writes nothing.
pub async fn preview(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    MultipartForm(form): MultipartForm<UploadForm>,
) -> Result<HttpResponse, AppError> {
    let send_invitations = form.send_invitations.is_some();
    let bytes = match form.csv {
        // Browsers send an empty part when no file was chosen.
        Some(file) if !file.data.is_empty() => file.data.to_vec(),
        _ => return refuse(&user, FileError::NoFile, send_invitations),
    };
    if bytes.len() > partner_import::MAX_BYTES {
        return refuse(&user, FileError::TooLarge, send_invitations);
    }
    let content = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let enterprise_id = user.user.enterprise_id;
    let judged = db::run(&state.pool, move |conn| {
        let rows = match partner_import::parse(&bytes) {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(db::partner_import::judge(conn, enterprise_id, partner_import::check(rows))?))
    })
    .await?;
    match judged {
        Err(e) => refuse(&user, e, send_invitations),
        Ok(judgement) => show_preview(&user, judgement, content, send_invitations, None, StatusCode::OK),
    }
}

/// **Import**: adds every valid row of the previewed file in one transaction, or nothing.
pub async fn import(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    MultipartForm(form): MultipartForm<ImportForm>,
) -> Result<HttpResponse, AppError> {
    let send_invitations = form.send_invitations.is_some();
    let content: String = form.content.map(Text::into_inner).unwrap_or_default().split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(&content).map_err(|_| {
        AppError::bad_request("The form could not be read. Choose the file again and press Preview import.")
    })?;
    if bytes.len() > partner_import::MAX_BYTES {
        return refuse(&user, FileError::TooLarge, send_invitations);
    }
    let delivery = if send_invitations { InvitationDelivery::Send } else { InvitationDelivery::Hold };
    let (actor, settings) = (user.user.clone(), state.settings.clone());
    let outcome = db::run(&state.pool, move |conn| {
        let rows = match partner_import::parse(&bytes) {
            Ok(rows) => rows,
            Err(e) => return Ok(Err(e)),
        };
        Ok(Ok(db::partner_import::import(conn, &settings, &actor, partner_import::check(rows), delivery)?))
    })
    .await?;
    match outcome {
        Err(e) => refuse(&user, e, send_invitations),
        Ok(Imported::Added { added, skipped, held_for_verification }) => {
            let invitations = if held_for_verification {
                "Your enterprise requires verified domains for invitations, so the invitations wait: verify each \
                 partner's domain, then press Resend invitation on its page."
            } else if delivery == InvitationDelivery::Hold {
                "The invitations are held: select the partners on the list and press Send invitations."
            } else {
                "The administrators' invitations are on their way."
            };
            let message = format!(
                "{} added; {} skipped. {invitations}",
                count(added, "partner", "partners"),
                count(skipped, "row", "rows")
            );
            user.flash(FlashKind::Success, message)?;
            Ok(see_other("/settings/partners"))
        }
        Ok(Imported::Nothing(judgement)) => {
            let (status, error) = if judgement.over_limit {
                (StatusCode::CONFLICT, format!("Nothing was imported. {}", judgement.limit_reason()))
            } else {
                (StatusCode::UNPROCESSABLE_ENTITY, "Nothing was imported: no row of the file can be added.".to_string())
            };
            show_preview(&user, judgement, content, send_invitations, Some(error), status)
        }
    }
}
