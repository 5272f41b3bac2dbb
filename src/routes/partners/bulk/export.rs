//! Bulk **Export CSV**: `GET /settings/partners/bulk/export?partner=…` downloads the selected
//! partners, or with none selected the partners the list's filter lets through (the search,
//! status, group and "show deactivated" that the list's bulk form carries), every page of
//! them, by name. Columns: name, status, group, domains, administrator email, registered date
//! (in the enterprise's time zone). Cells that a spreadsheet would read as a formula are
//! neutralised by the activity export's writer. A Viewer may export: the file holds nothing
//! the list doesn't show them.

use actix_web::{
    http::header::{CONTENT_DISPOSITION, CONTENT_TYPE},
    web, HttpRequest, HttpResponse,
};
use chrono::Utc;

use super::{load_selected, selected_ids};
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{
        self,
        bulk::{export_rows, ExportScope},
    },
    domain::PartnerStatus,
    error::AppError,
    routes::{
        activity::csv::push_row,
        partners::{grants::shared::form_fields, list::parse_group},
    },
    state::AppState,
};

const HEADER: [&str; 6] = ["name", "status", "group", "domains", "administrator_email", "registered"];

/// The scope from the query: the selection, or the list's filter when nothing is selected.
fn scope(raw: &[u8]) -> Result<ExportScope, AppError> {
    let fields = form_fields(raw);
    if fields.iter().any(|(n, _)| n == "partner") {
        return Ok(ExportScope::Selected(selected_ids(raw)?));
    }
    let value = |name: &str| fields.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_string());
    let search = value("q").filter(|q| !q.is_empty()).map(|q| q.chars().take(253).collect());
    let status = value("status").and_then(|s| PartnerStatus::from_stored(&s).ok());
    let group = parse_group(value("group").as_deref())?;
    let show_ended = value("show_deactivated").is_some_and(|v| !v.is_empty());
    Ok(ExportScope::Filter { search, status, group, show_ended })
}

/// `GET /settings/partners/bulk/export`: the CSV file.
pub async fn export(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let scope = scope(req.query_string().as_bytes())?;
    let enterprise_id = user.user.enterprise_id;
    let rows = db::run(&state.pool, move |conn| {
        if let ExportScope::Selected(ids) = &scope {
            load_selected(conn, enterprise_id, ids)?;
        }
        Ok(export_rows(conn, enterprise_id, &scope)?)
    })
    .await?;
    let zone = user.user.clock().zone.tz();
    let mut out = String::new();
    push_row(&mut out, &HEADER);
    for r in &rows {
        let registered = r.created_at.with_timezone(&zone).format("%Y-%m-%d").to_string();
        let email = r.admin_email.as_deref().unwrap_or("");
        push_row(
            &mut out,
            &[&r.name, r.status.label(), &r.group_name, &r.domains.replace(", ", "; "), email, &registered],
        );
    }
    let file = format!("partners-{}.csv", Utc::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(out))
}
