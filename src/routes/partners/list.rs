//! Settings → Partners: the enterprise's partners, searchable, filterable by status, sortable
//! and paginated by plain links (`?page=2&sort=name&dir=asc&show_deactivated=1`), with the
//! usage meter and the **Register partners** button. The *Group* select filters by group
//! (`?group=7`); counts and pages follow every filter. Deactivated and declined partners are
//! hidden unless **Show deactivated** is ticked (or their status is the filter).
//!
//! The page runs one statement however many partners there are (`partners::list_page`: the
//! page of partners with their number, the meter and the unfinished draft), besides loading
//! the session.

use crate::domain::{DraftId, PartnerId};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::routes::partners::header::{initials, logo_url};
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{
        self,
        partners::{self, ListSort},
    },
    domain::PartnerStatus,
    error::AppError,
    render::{render, Layout},
    state::AppState,
};

/// Longer searches are cut: no partner name or domain is longer than this.
const MAX_SEARCH_CHARS: usize = 253;

/// Partners per page.
pub const PAGE_SIZE: u32 = partners::LIST_PAGE_SIZE;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    group: Option<String>,
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    show_deactivated: Option<String>,
}

/// The page asked for. Only a hand-edited URL holds anything but a number from 1, so that is
/// a 400 saying what is wrong; a number past the end (partners deactivated since the link was
/// made) is answered with the last page.
pub(crate) fn parse_page(value: Option<&str>) -> Result<u32, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(1),
        Some(v) if v.bytes().all(|b| b.is_ascii_digit()) && v.bytes().any(|b| b != b'0') => {
            // Only a number too large for u32 fails here: that is past the end too.
            Ok(v.parse().unwrap_or(u32::MAX))
        }
        Some(_) => Err(AppError::bad_request("The page number must be a whole number from 1 (?page=2).")),
    }
}

/// The *Group* filter: a group's id, or none (`all` or empty: every group). An id that is not
/// one of the enterprise's groups lets no partner through, like any other filter.
pub(crate) fn parse_group(value: Option<&str>) -> Result<Option<i64>, AppError> {
    match value.map(str::trim).filter(|v| !v.is_empty() && *v != "all") {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::bad_request("The group must be one of the list's groups (?group=12).")),
    }
}

/// The sort and its direction; each header link's own default when `dir` is absent.
fn parse_sort(sort: Option<&str>, dir: Option<&str>) -> Result<(ListSort, bool), AppError> {
    let sort = match sort.filter(|v| !v.is_empty()) {
        None => ListSort::default(),
        Some(v) => ListSort::parse(v)
            .ok_or_else(|| AppError::bad_request("The list can be sorted by name, status or created, nothing else."))?,
    };
    let ascending = match dir.filter(|v| !v.is_empty()) {
        None => sort.default_ascending(),
        Some("asc") => true,
        Some("desc") => false,
        Some(_) => return Err(AppError::bad_request("The sort direction must be asc or desc.")),
    };
    Ok((sort, ascending))
}

/// A column header that sorts the list: its link and its `aria-sort` (the Members and Users
/// lists use it too, `routes::people_list`).
pub struct SortHeader {
    pub label: &'static str,
    pub href: String,
    /// `ascending` / `descending` on the sorted column, None on the others.
    pub aria_sort: Option<&'static str>,
}

impl SortHeader {
    /// The sorted column's decoration, hidden from assistive technology (`aria-sort` says it).
    pub fn arrow(&self) -> &'static str {
        match self.aria_sort {
            Some("ascending") => " ▲",
            Some(_) => " ▼",
            None => "",
        }
    }
}

/// The list's state as a URL, for the pagination and header links (and the hidden fields
/// that keep the sort when the filter form is sent).
#[derive(Clone)]
struct ListUrl {
    q: String,
    status: Option<PartnerStatus>,
    group: Option<i64>,
    show_ended: bool,
    sort: ListSort,
    ascending: bool,
}

impl ListUrl {
    fn href(&self, page: u32) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(status) = self.status {
            pairs.push(("status", status.as_str().to_string()));
        }
        if let Some(group) = self.group {
            pairs.push(("group", group.to_string()));
        }
        if self.show_ended {
            pairs.push(("show_deactivated", "1".to_string()));
        }
        if self.sort != ListSort::default() || self.ascending != self.sort.default_ascending() {
            pairs.push(("sort", self.sort.as_str().to_string()));
            pairs.push(("dir", (if self.ascending { "asc" } else { "desc" }).to_string()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        match serde_urlencoded::to_string(&pairs) {
            Ok(query) if !query.is_empty() => format!("/settings/partners?{query}"),
            _ => "/settings/partners".to_string(),
        }
    }

    /// A header: sorts by its column (page 1); on the sorted column, the other way round.
    fn header(&self, label: &'static str, sort: ListSort) -> SortHeader {
        let sorted = self.sort == sort;
        let ascending = if sorted { !self.ascending } else { sort.default_ascending() };
        let href = ListUrl { sort, ascending, ..self.clone() }.href(1);
        let aria_sort = sorted.then_some(if self.ascending { "ascending" } else { "descending" });
        SortHeader { label, href, aria_sort }
    }
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
    /// The *Group* select: (id, name), and the chosen one (None: all groups).
    groups: Vec<(i64, String)>,
    group: Option<i64>,
    filtered: bool,
    show_ended: bool,
    /// Sent with the filter form so that filtering keeps the sort (None: the default sort).
    sort_fields: Option<(&'static str, &'static str)>,
    name_header: SortHeader,
    status_header: SortHeader,
    created_header: SortHeader,
    /// "Showing 26–50 of 500 partners".
    first_shown: i64,
    last_shown: i64,
    matched: i64,
    page: u32,
    pages: u32,
    previous: Option<String>,
    next: Option<String>,
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

    fn is_group(&self, id: &i64) -> bool {
        self.group == Some(*id)
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
    let ListQuery { q, status, group, page, sort, dir, show_deactivated } = query.into_inner();
    let page = parse_page(page.as_deref())?;
    let group = parse_group(group.as_deref())?;
    let (sort, ascending) = parse_sort(sort.as_deref(), dir.as_deref())?;
    let show_ended = show_deactivated.is_some_and(|v| !v.is_empty());
    let q: String = q.unwrap_or_default().trim().chars().take(MAX_SEARCH_CHARS).collect();
    // Anything but a stored status (`all` included) shows every status.
    let status = status.as_deref().and_then(|s| PartnerStatus::from_stored(s).ok());
    let filter = partners::ListFilter {
        search: (!q.is_empty()).then(|| q.clone()),
        status,
        show_ended,
        group,
        sort,
        ascending,
        page,
    };
    let (enterprise_id, user_id) = (user.user.enterprise_id, user.user.user_id);
    let partners::ListPage { rows, matched, page, usage, draft, groups } =
        db::run(&state.pool, move |conn| Ok(partners::list_page(conn, enterprise_id, user_id, &filter)?)).await?;

    let url = ListUrl { q: q.clone(), status, group, show_ended, sort, ascending };
    // The number of pages is the page a huge page number is answered with.
    let pages = partners::page_shown(u32::MAX, matched, PAGE_SIZE);
    let first_shown = i64::from(page - 1) * i64::from(PAGE_SIZE) + 1;
    let last_shown = first_shown - 1 + rows.len() as i64;
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
        filtered: !q.is_empty() || status.is_some() || group.is_some(),
        groups,
        group,
        show_ended,
        sort_fields: (sort != ListSort::default() || ascending != sort.default_ascending())
            .then_some((sort.as_str(), if ascending { "asc" } else { "desc" })),
        name_header: url.header("Partner name", ListSort::Name),
        status_header: url.header("Status", ListSort::Status),
        created_header: url.header("Registered", ListSort::Created),
        first_shown,
        last_shown,
        matched,
        page,
        pages,
        previous: (page > 1).then(|| url.href(page - 1)),
        next: (page < pages).then(|| url.href(page + 1)),
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
    use super::*;

    #[test]
    fn page_numbers_are_whole_numbers_from_one() {
        assert_eq!(parse_page(None).ok(), Some(1));
        assert_eq!(parse_page(Some("")).ok(), Some(1));
        assert_eq!(parse_page(Some("2")).ok(), Some(2));
        assert_eq!(parse_page(Some("99999999999999")).ok(), Some(u32::MAX), "past the end: the last page");
        for bad in ["0", "00", "abc", "-1", "1.5", "+2"] {
            assert!(parse_page(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_keep_the_search_filter_and_sort_and_drop_defaults() {
        let url = ListUrl {
            q: "a&b".into(),
            status: None,
            group: None,
            show_ended: true,
            sort: ListSort::Created,
            ascending: false,
        };
        assert_eq!(url.href(1), "/settings/partners?q=a%26b&show_deactivated=1");
        assert_eq!(url.href(2), "/settings/partners?q=a%26b&show_deactivated=1&page=2");
        let header = url.header("Partner name", ListSort::Name);
        assert_eq!(header.href, "/settings/partners?q=a%26b&show_deactivated=1&sort=name&dir=asc");
        assert_eq!(header.aria_sort, None);
        let sorted = ListUrl { sort: ListSort::Name, ascending: true, ..url }.header("Partner name", ListSort::Name);
        assert_eq!(sorted.href, "/settings/partners?q=a%26b&show_deactivated=1&sort=name&dir=desc");
        assert_eq!(sorted.aria_sort, Some("ascending"));
        let grouped = ListUrl { group: Some(7), q: String::new(), show_ended: false, ..sorted_url() };
        assert_eq!(grouped.href(2), "/settings/partners?group=7&sort=name&dir=asc&page=2");
    }

    fn sorted_url() -> ListUrl {
        ListUrl {
            q: String::new(),
            status: None,
            group: None,
            show_ended: false,
            sort: ListSort::Name,
            ascending: true,
        }
    }

    #[test]
    fn the_group_filter_is_an_id_or_all() {
        assert_eq!(parse_group(None).ok(), Some(None));
        assert_eq!(parse_group(Some("all")).ok(), Some(None));
        assert_eq!(parse_group(Some(" 12 ")).ok(), Some(Some(12)));
        assert!(parse_group(Some("resellers")).is_err());
    }

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
