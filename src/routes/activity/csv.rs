//! **Export CSV** of the Activity pages: every event matching the page's filters, newest
//! first, streamed in batches of 1,000 read along the index (keyset), so memory and the time
//! to the first byte stay flat however long the history is.
//!
//! Quoting is RFC 4180 by hand (a dozen lines; the `csv` crate would add a dependency and
//! still leave formula injection to us). Cells a spreadsheet would run as a formula get a
//! leading `'`.
//!
//! Times stay UTC (`2026-12-06T13:05:00Z`) whatever the enterprise's zone: a file outlives the
//! setting and is read by programs. The page's *From*/*To* days select the same events as on
//! the page. `?bom=1` (the *Add a byte order mark for Excel* box) starts the file with a UTF-8
//! byte order mark, without which Excel reads UTF-8 as the local code page; off by default, as
//! other programs may show it as a stray character.

use crate::domain::{EnterpriseId, PartnerId};
use actix_web::{
    http::header::{CONTENT_DISPOSITION, CONTENT_TYPE},
    web::{self, Bytes},
    HttpResponse,
};
use chrono::{DateTime, Utc};

use serde::Deserialize;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, audit, partners, DbPool},
    error::AppError,
    routes::activity::pages::ActivityQuery,
    state::AppState,
};

const HEADER: &str = "when_utc,actor,action,target,partner,details\r\n";
const BOM: &str = "\u{FEFF}";
const BATCH: i64 = 1_000;

/// `?bom=1`: the export's own option, beside the page's filters.
#[derive(Deserialize, Default)]
pub struct CsvOptions {
    bom: Option<String>,
}

impl CsvOptions {
    /// The box sends `1`; anything else, or nothing, means no mark.
    fn bom(&self) -> bool {
        matches!(self.bom.as_deref().map(str::trim), Some("1" | "on" | "true"))
    }
}

/// `/settings/activity.csv`: the enterprise's events, with the page's filters.
pub async fn enterprise_csv(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    query: web::Query<ActivityQuery>,
    options: web::Query<CsvOptions>,
) -> Result<HttpResponse, AppError> {
    let parsed = query.parse(&user.user.clock())?;
    let enterprise_id = user.user.enterprise_id;
    if let Some(partner_id) = parsed.filter.partner_id {
        db::run(&state.pool, move |conn| partners::find(conn, enterprise_id, partner_id)?.ok_or(AppError::NotFound))
            .await?;
    }
    let name = format!("activity-{}.csv", Utc::now().format("%Y-%m-%d"));
    Ok(csv_response(state.pool.clone(), enterprise_id, parsed.filter, &name, options.bom()))
}

/// `/settings/partners/{id}/activity.csv`: the partner's events, with the tab's filters.
pub async fn partner_csv(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    query: web::Query<ActivityQuery>,
    options: web::Query<CsvOptions>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let mut parsed = query.parse(&user.user.clock())?;
    parsed.filter.partner_id = Some(id);
    let enterprise_id = user.user.enterprise_id;
    db::run(&state.pool, move |conn| partners::find(conn, enterprise_id, id)?.ok_or(AppError::NotFound)).await?;
    let name = format!("activity-partner-{id}-{}.csv", Utc::now().format("%Y-%m-%d"));
    Ok(csv_response(state.pool.clone(), enterprise_id, parsed.filter, &name, options.bom()))
}

enum Stage {
    Header,
    Rows(Option<(DateTime<Utc>, i64)>),
    Done,
}

struct Export {
    pool: DbPool,
    enterprise_id: EnterpriseId,
    filter: audit::EventFilter,
    stage: Stage,
    bom: bool,
}

fn csv_response(
    pool: DbPool,
    enterprise_id: EnterpriseId,
    filter: audit::EventFilter,
    file_name: &str,
    bom: bool,
) -> HttpResponse {
    let start = Export { pool, enterprise_id, filter, stage: Stage::Header, bom };
    let body = futures_util::stream::unfold(start, |mut ex| async move {
        match ex.stage {
            Stage::Done => None,
            Stage::Header => {
                ex.stage = Stage::Rows(None);
                let header = if ex.bom { format!("{BOM}{HEADER}") } else { HEADER.to_string() };
                Some((Ok::<Bytes, AppError>(Bytes::from(header)), ex))
            }
            Stage::Rows(cursor) => {
                let (enterprise_id, filter) = (ex.enterprise_id, ex.filter.clone());
                let batch = db::run(&ex.pool, move |conn| {
                    Ok(audit::batch_before(conn, enterprise_id, &filter, cursor, BATCH)?)
                })
                .await;
                match batch {
                    Err(e) => {
                        // Headers are gone already: all we can do is cut the download short.
                        tracing::warn!(error = %e, "activity export stopped");
                        ex.stage = Stage::Done;
                        Some((Err(e), ex))
                    }
                    Ok(rows) => {
                        let last = rows.last().map(|(e, _)| (e.created_at, e.id));
                        ex.stage = match last {
                            Some(at) if rows.len() as i64 == BATCH => Stage::Rows(Some(at)),
                            _ => Stage::Done,
                        };
                        if rows.is_empty() {
                            return None;
                        }
                        let mut chunk = String::with_capacity(rows.len() * 200);
                        for row in &rows {
                            push_event(&mut chunk, row);
                        }
                        Some((Ok(Bytes::from(chunk)), ex))
                    }
                }
            }
        }
    });
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")))
        .streaming(body)
}

fn push_event(out: &mut String, (e, partner): &audit::EventWithPartner) {
    let when = e.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let details =
        if e.details.as_object().is_some_and(|m| m.is_empty()) { String::new() } else { e.details.to_string() };
    push_row(out, &[&when, &e.actor_label, e.action.as_str(), &e.target, partner.as_deref().unwrap_or(""), &details]);
}

/// One CSV record, CRLF-terminated.
pub fn push_row(out: &mut String, cells: &[&str]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell);
    }
    out.push_str("\r\n");
}

/// A cell, neutralised against formula injection, then quoted if it holds a separator, a
/// quote or a line break (quotes doubled).
fn push_cell(out: &mut String, value: &str) {
    let formula = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ');
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::push_row;

    fn row(cells: &[&str]) -> String {
        let mut s = String::new();
        push_row(&mut s, cells);
        s
    }

    #[test]
    fn plain_cells_are_left_alone() {
        assert_eq!(row(&["a", "b c", ""]), "a,b c,\r\n");
    }

    #[test]
    fn separators_quotes_and_line_breaks_are_quoted() {
        assert_eq!(row(&["a,b", "say \"hi\"", "two\nlines"]), "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
    }

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(row(&["=1+2", "+x", "-3", "@SUM(A1)"]), "'=1+2,'+x,'-3,'@SUM(A1)\r\n");
        assert_eq!(row(&["=HYPERLINK(\"x\",\"y\")"]), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n");
    }
}
