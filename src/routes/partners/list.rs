//! Settings → Partners: every partner of the enterprise, searchable and filterable by status,
//! with the usage meter and the **Register partners** button.
//!
//! The page runs one statement however many partners there are (`partners::list_page`: the
//! list, the meter and the unfinished draft), besides loading the session.

use crate::domain::{DraftId, PartnerId};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::routes::partners::header::{initials, logo_url};
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, partners},
    domain::PartnerStatus,
    error::AppError,
    render::{render, Layout},
    state::AppState,
};

/// Longer searches are cut: no partner name or domain is longer than this.
const MAX_SEARCH_CHARS: usize = 253;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
}

struct Row {
    id: PartnerId,
    name: String,
    initials: String,
    /// Versioned like the partner page's (`page::logo_url`).
    logo_url: Option<String>,
    domains: String,
    partner_code: String,
    admin_name: Option<String>,
    admin_email: Option<String>,
    admin_pending: bool,
    status: PartnerStatus,
    product_count: i64,
    api_count: i64,
    registered: DateTime<Utc>,
}

struct DraftView {
    id: DraftId,
    name: String,
}

#[derive(Template)]
#[template(path = "partners/list.html")]
struct ListPage {
    layout: Layout,
    enterprise_name: String,
    rows: Vec<Row>,
    q: String,
    /// None: all statuses.
    status: Option<PartnerStatus>,
    filtered: bool,
    live: i64,
    total: i64,
    limit: i64,
    at_limit: bool,
    near_limit: bool,
    /// Meter fill in steps of ten (CSS classes `w-0` … `w-100`).
    fill: i64,
    draft: Option<DraftView>,
}

impl ListPage {
    fn is_status(&self, value: &str) -> bool {
        self.status.map_or("all", PartnerStatus::as_str) == value
    }
}

fn fill_step(live: i64, limit: i64) -> i64 {
    if limit <= 0 {
        return 100;
    }
    // Round to the nearest ten percent, in integers.
    let percent = (live.saturating_mul(100) + limit / 2) / limit;
    ((percent + 5) / 10 * 10).clamp(0, 100)
}

pub async fn list(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { q, status } = query.into_inner();
    let q: String = q.unwrap_or_default().trim().chars().take(MAX_SEARCH_CHARS).collect();
    // Anything but a stored status (`all` included) shows every status.
    let status = status.as_deref().and_then(|s| PartnerStatus::from_stored(s).ok());
    let filter = partners::ListFilter { search: (!q.is_empty()).then(|| q.clone()), status };
    let (enterprise_id, user_id) = (user.user.enterprise_id, user.user.user_id);
    let partners::ListPage { rows, usage, draft } =
        db::run(&state.pool, move |conn| Ok(partners::list_page(conn, enterprise_id, user_id, &filter)?)).await?;

    let rows = rows
        .into_iter()
        .map(|r| Row {
            id: r.id,
            initials: initials(&r.name),
            name: r.name,
            logo_url: r.logo_updated_at.map(|t| logo_url(r.id, t)),
            domains: r.domains,
            partner_code: r.partner_code,
            admin_name: r.admin_name,
            admin_email: r.admin_email,
            admin_pending: r.admin_pending,
            status: r.status,
            product_count: r.product_count,
            api_count: r.api_count,
            registered: r.created_at,
        })
        .collect();
    let page = ListPage {
        layout: user.layout("Partners", "partners")?,
        enterprise_name: user.user.enterprise_name.clone(),
        rows,
        filtered: !q.is_empty() || status.is_some(),
        q,
        status,
        live: usage.live,
        total: usage.total,
        limit: usage.limit,
        at_limit: usage.at_limit(),
        near_limit: usage.limit > 0 && usage.live * 10 >= usage.limit * 8,
        fill: fill_step(usage.live, usage.limit),
        draft: draft.map(|(id, name)| DraftView { id, name }),
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::fill_step;

    #[test]
    fn the_meter_fills_in_steps_of_ten() {
        assert_eq!(fill_step(0, 10), 0);
        assert_eq!(fill_step(3, 10), 30);
        assert_eq!(fill_step(1, 3), 30);
        assert_eq!(fill_step(2, 3), 70);
        assert_eq!(fill_step(10, 10), 100);
        assert_eq!(fill_step(12, 10), 100);
        assert_eq!(fill_step(0, 0), 100);
    }
}
