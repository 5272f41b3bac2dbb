//! Activity: the enterprise-wide log (`/settings/activity`, Settings → Activity), a
//! partner's Activity tab (`/settings/partners/{id}/activity`) and the partner Admin's own
//! **Activity** (`/partner/activity`, SPEC §15: the same events as the enterprise's tab for
//! their partner, nothing of other partners'): audit events newest first,
//! 25 a page, filterable by partner (enterprise page), by action and by a range of days
//! (*From*, *To*: whole days in the enterprise's time zone), each with an **Export CSV** of
//! every matching event (`activity_csv`). Times are shown in the enterprise's time zone.
//!
//! A page runs the same statements whatever the number of events: the partners (or the
//! partner's header), the actions present, and one page of events read along the
//! (…, created_at DESC, id DESC) indexes; on a partner's tab the header and the actions are
//! one statement.

use crate::domain::AuditAction;
use crate::domain::PartnerId;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde::Deserialize;

use crate::{
    auth::guards::{EnterpriseAdmin, PartnerAdmin},
    db::{self, audit},
    error::AppError,
    render::{render_status, time::Clock, Layout},
    routes::partners::header::PartnerHeader,
    state::AppState,
};

pub const PAGE_SIZE: i64 = 25;
/// Beyond this a page number is refused: nobody pages through 250,000 events by hand.
const MAX_PAGE: i64 = 10_000;

// ---- the query string ------------------------------------------------------------------------

/// `?page=&partner=&action=&from=&to=` as typed: an unreadable page or action is treated as
/// absent; an unreadable date is refused with a message (the person typed it).
#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    page: Option<String>,
    partner: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub struct Parsed {
    pub page: i64,
    pub filter: audit::EventFilter,
    /// The days chosen, as typed into the filter (kept in links and in the form).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// The years the filter takes: an `<input type=date>` allows years up to 275760, and nothing
/// in the portal is older than 2000.
const YEARS: std::ops::RangeInclusive<i32> = 2000..=9999;

/// A `YYYY-MM-DD` day from the filter, or a message naming the field.
fn parse_day(raw: Option<&str>, label: &str) -> Result<Option<NaiveDate>, String> {
    let Some(raw) = raw.map(str::trim).filter(|d| !d.is_empty()) else { return Ok(None) };
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|d| raw.len() == 10 && YEARS.contains(&d.year()))
        .ok_or_else(|| format!("The {label} date must be a day between 2000 and 9999, written like 2026-12-06."))?;
    Ok(Some(day))
}

/// Why the *From* / *To* days were not used, shown under their fields (the page answers 422
/// and lists the events without them).
#[derive(Default)]
pub struct DateErrors {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl DateErrors {
    pub fn any(&self) -> bool {
        self.from.is_some() || self.to.is_some()
    }
}

impl ActivityQuery {
    /// The query with its days turned into instants (see `parse_with_errors`); a bad day is a
    /// 400 saying why: the CSV export has no form to show it in.
    pub fn parse(&self, clock: &Clock) -> Result<Parsed, AppError> {
        let (parsed, errors) = self.parse_with_errors(clock)?;
        match errors.from.or(errors.to) {
            Some(message) => Err(AppError::bad_request(message)),
            None => Ok(parsed),
        }
    }

    /// The query with its days turned into instants: *From* is the start of that day and *To*
    /// the end of that day, both in `clock`'s zone (the enterprise's). A day that doesn't read
    /// (or a From after To) is left out of the filter and its message returned for the field.
    pub fn parse_with_errors(&self, clock: &Clock) -> Result<(Parsed, DateErrors), AppError> {
        let page = self.page.as_deref().and_then(|p| p.trim().parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1);
        if page > MAX_PAGE {
            return Err(AppError::bad_request("That page is too far back. Narrow the list with the filters instead."));
        }
        // Another tenant's (or a made-up) partner id is simply not found.
        let partner_id = match self.partner.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => None,
            Some(raw) => Some(raw.parse::<PartnerId>().map_err(|_| AppError::NotFound)?),
        };
        let action = self.action.as_deref().and_then(|a| AuditAction::from_stored(a.trim()).ok());
        let mut errors = DateErrors::default();
        let mut from = parse_day(self.from.as_deref(), "From").unwrap_or_else(|e| {
            errors.from = Some(e);
            None
        });
        let mut to = parse_day(self.to.as_deref(), "To").unwrap_or_else(|e| {
            errors.to = Some(e);
            None
        });
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                errors.from = Some(format!(
                    "The From date ({f}) is after the To date ({t}). Choose a From date on or before the To date."
                ));
                (from, to) = (None, None);
            }
        }
        let since = from.map(|d| clock.start_of_day(d));
        let until = to.and_then(|d| d.checked_add_days(Days::new(1))).map(|d| clock.start_of_day(d));
        let parsed = Parsed { page, filter: audit::EventFilter { partner_id, action, since, until }, from, to };
        Ok((parsed, errors))
    }
}

/// The filters as query parameters, in the order links show them; empty ones left out.
fn filter_params(parsed: &Parsed) -> Vec<(&'static str, String)> {
    let f = &parsed.filter;
    let mut params = Vec::new();
    if let Some(p) = f.partner_id {
        params.push(("partner", p.to_string()));
    }
    if let Some(a) = f.action {
        params.push(("action", a.as_str().to_string()));
    }
    if let Some(d) = parsed.from {
        params.push(("from", d.to_string()));
    }
    if let Some(d) = parsed.to {
        params.push(("to", d.to_string()));
    }
    params
}

/// `?partner=…&action=…&from=…&to=…&page=…` keeping the filters.
fn query_string(parsed: &Parsed, page: Option<i64>) -> String {
    let mut params = filter_params(parsed);
    if let Some(p) = page {
        params.push(("page", p.to_string()));
    }
    match serde_urlencoded::to_string(&params) {
        Ok(s) if !s.is_empty() => format!("?{s}"),
        _ => String::new(),
    }
}

// ---- what the pages show -----------------------------------------------------------------------

pub struct EventView {
    /// Shown in the enterprise's zone by the template (`_time.html`).
    pub when: DateTime<Utc>,
    pub who: String,
    /// Which membership acted ("Admin of Acme (partner of Globex)"); empty for the system.
    pub as_membership: String,
    pub what: String,
    pub detail: Option<String>,
    pub target: String,
    pub partner: Option<(PartnerId, String)>,
}

impl EventView {
    fn new((e, partner_name): audit::EventWithPartner) -> Self {
        EventView {
            when: e.created_at,
            what: e.action.label().to_string(),
            detail: detail(e.action, &e.details),
            who: e.actor_label,
            as_membership: e.actor_membership,
            target: e.target,
            partner: e.partner_id.zip(partner_name),
        }
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Newer/Older links and where the page sits.
pub struct Pager {
    /// The page's own path, e.g. `/settings/activity`.
    pub base: String,
    pub page: i64,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// The filters without a page, for "back to the first page".
    pub first: String,
    /// The same filters as hidden fields of the **Export CSV** form.
    pub params: Vec<(&'static str, String)>,
    pub filtered: bool,
    /// The days in the filter's fields, `YYYY-MM-DD` (empty: none).
    pub from: String,
    pub to: String,
}

/// Loads one page of events (plus one, to know whether an older page exists).
fn paginate(rows: Vec<audit::EventWithPartner>, base: &str, parsed: &Parsed) -> (Vec<EventView>, Pager) {
    let has_older = rows.len() as i64 > PAGE_SIZE;
    let events = rows.into_iter().take(PAGE_SIZE as usize).map(EventView::new).collect();
    let f = &parsed.filter;
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let pager = Pager {
        base: base.to_string(),
        page: parsed.page,
        newer: (parsed.page > 1)
            .then(|| format!("{base}{}", query_string(parsed, (parsed.page > 2).then_some(parsed.page - 1)))),
        older: has_older.then(|| format!("{base}{}", query_string(parsed, Some(parsed.page + 1)))),
        first: query_string(parsed, None),
        params: filter_params(parsed),
        filtered: f.partner_id.is_some() || f.action.is_some() || parsed.from.is_some() || parsed.to.is_some(),
        from: day(parsed.from),
        to: day(parsed.to),
    };
    (events, pager)
}

/// A day that was not used stays in its field as typed (cut short), next to its message.
fn keep_typed(pager: &mut Pager, query: &ActivityQuery, dates: &DateErrors) {
    let typed = |raw: &Option<String>| raw.as_deref().unwrap_or("").trim().chars().take(40).collect::<String>();
    if dates.from.is_some() {
        pager.from = typed(&query.from);
    }
    if dates.to.is_some() {
        pager.to = typed(&query.to);
    }
}

/// 422 when a day of the filter was refused: the page shows why, under the field.
fn status_for(dates: &DateErrors) -> actix_web::http::StatusCode {
    if dates.any() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    }
}

fn action_choices(present: Vec<AuditAction>, selected: Option<AuditAction>) -> Vec<Choice> {
    let mut actions = present;
    if let Some(s) = selected {
        if !actions.contains(&s) {
            actions.push(s);
        }
    }
    let mut choices: Vec<Choice> = actions
        .into_iter()
        .map(|action| Choice {
            label: action.label().to_string(),
            selected: Some(action) == selected,
            value: action.as_str().to_string(),
        })
        .collect();
    choices.sort_by_key(|c| c.label.to_lowercase());
    choices
}

// ---- Settings → Activity -------------------------------------------------------------------

#[derive(Template)]
#[template(path = "activity/enterprise.html")]
struct EnterprisePage {
    layout: Layout,
    enterprise_name: String,
    events: Vec<EventView>,
    pager: Pager,
    partners: Vec<Choice>,
    actions: Vec<Choice>,
    dates: DateErrors,
}

pub async fn enterprise_page(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let (parsed, dates) = query.parse_with_errors(&user.user.clock())?;
    let enterprise_id = user.user.enterprise_id;
    let filter = parsed.filter.clone();
    let offset = (parsed.page - 1) * PAGE_SIZE;
    let (partners, actions, rows) = db::run(&state.pool, move |conn| {
        let partners = audit::partners_for_filter(conn, enterprise_id)?;
        if let Some(p) = filter.partner_id {
            if !partners.iter().any(|(id, _, _)| *id == p) {
                return Err(AppError::NotFound);
            }
        }
        let actions = audit::actions_present(conn, enterprise_id)?;
        let rows = audit::page(conn, enterprise_id, &filter, offset, PAGE_SIZE + 1)?;
        Ok((partners, actions, rows))
    })
    .await?;
    let (events, mut pager) = paginate(rows, "/settings/activity", &parsed);
    keep_typed(&mut pager, &query, &dates);
    let partners = partners
        .into_iter()
        .map(|(id, name, deactivated)| Choice {
            value: id.to_string(),
            label: if deactivated { format!("{name} (deactivated)") } else { name },
            selected: parsed.filter.partner_id == Some(id),
        })
        .collect();
    let actions = action_choices(actions, parsed.filter.action);
    let page = EnterprisePage {
        layout: user.layout("Activity", "activity")?,
        enterprise_name: user.user.enterprise_name.clone(),
        events,
        pager,
        partners,
        actions,
        dates,
    };
    Ok(render_status(status_for(&page.dates), &page))
}

// ---- a partner's Activity tab ------------------------------------------------------------------

#[derive(Template)]
#[template(path = "activity/partner.html")]
struct PartnerTab {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    events: Vec<EventView>,
    pager: Pager,
    actions: Vec<Choice>,
    dates: DateErrors,
}

pub async fn partner_tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (mut parsed, dates) = query.parse_with_errors(&user.user.clock())?;
    // The tab is the partner filter; a `partner` parameter here means nothing.
    parsed.filter.partner_id = Some(id);
    let enterprise_id = user.user.enterprise_id;
    let filter = parsed.filter.clone();
    let offset = (parsed.page - 1) * PAGE_SIZE;
    let (header, actions, rows) = db::run(&state.pool, move |conn| {
        let (partner, logo_updated_at, actions) =
            audit::partner_with_actions(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let header = PartnerHeader::new(&partner, logo_updated_at);
        let rows = audit::page(conn, enterprise_id, &filter, offset, PAGE_SIZE + 1)?;
        Ok((header, actions, rows))
    })
    .await?;
    // Links on the tab carry only the action: the partner is in the path.
    let shown = Parsed {
        page: parsed.page,
        filter: audit::EventFilter { partner_id: None, ..parsed.filter.clone() },
        from: parsed.from,
        to: parsed.to,
    };
    let (events, mut pager) = paginate(rows, &format!("/settings/partners/{id}/activity"), &shown);
    keep_typed(&mut pager, &query, &dates);
    let actions = action_choices(actions, parsed.filter.action);
    let layout = user.layout(format!("Activity · {}", header.name), "partners")?;
    let status = status_for(&dates);
    Ok(render_status(status, &PartnerTab { layout, tab: "activity", header, events, pager, actions, dates }))
}

// ---- the partner Admin's own Activity --------------------------------------------------------

#[derive(Template)]
#[template(path = "activity/own.html")]
struct OwnPage {
    layout: Layout,
    enterprise_name: String,
    partner_name: String,
    events: Vec<EventView>,
    pager: Pager,
    actions: Vec<Choice>,
    dates: DateErrors,
}

/// `/partner/activity`: the events about the Admin's own partner, in the enterprise they act
/// in, with the tab's filters (action, From, To). A `partner` parameter is ignored: the page
/// never shows another partner's events.
pub async fn own_page(
    user: PartnerAdmin,
    state: web::Data<AppState>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let id = user.user.partner_id.ok_or(AppError::Forbidden)?;
    let (mut parsed, dates) = query.parse_with_errors(&user.user.clock())?;
    parsed.filter.partner_id = Some(id);
    let enterprise_id = user.user.enterprise_id;
    let filter = parsed.filter.clone();
    let offset = (parsed.page - 1) * PAGE_SIZE;
    let (partner_name, actions, rows) = db::run(&state.pool, move |conn| {
        let (partner, _, actions) = audit::partner_with_actions(conn, enterprise_id, id)?.ok_or(AppError::NotFound)?;
        let rows = audit::page(conn, enterprise_id, &filter, offset, PAGE_SIZE + 1)?;
        Ok((partner.name, actions, rows))
    })
    .await?;
    let shown = Parsed {
        page: parsed.page,
        filter: audit::EventFilter { partner_id: None, ..parsed.filter.clone() },
        from: parsed.from,
        to: parsed.to,
    };
    let (events, mut pager) = paginate(rows, "/partner/activity", &shown);
    keep_typed(&mut pager, &query, &dates);
    let actions = action_choices(actions, parsed.filter.action);
    let layout = user.layout("Activity", "partner-activity")?;
    let enterprise_name = user.user.enterprise_name.clone();
    let status = status_for(&dates);
    Ok(render_status(status, &OwnPage { layout, enterprise_name, partner_name, events, pager, actions, dates }))
}

// ---- sentences -------------------------------------------------------------------------------

/// A short line under the sentence, from the event's details, where there is one to say.
pub fn detail(action: AuditAction, details: &serde_json::Value) -> Option<String> {
    let text = |key: &str| details.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let list = |key: &str| -> Option<String> {
        let items: Vec<&str> = details.get(key)?.as_array()?.iter().filter_map(|d| d.as_str()).collect();
        (!items.is_empty()).then(|| items.join(", "))
    };
    use AuditAction as A;
    match action {
        A::PartnerRenamed => Some(format!("From “{}” to “{}”", text("from")?, text("to")?)),
        A::PartnerDomainAdded | A::PartnerDomainRemoved | A::PartnerDomainVerified => text("domain"),
        A::PartnerDomainVerificationFailed | A::PartnerDomainUnverified => match text("reason") {
            Some(reason) => Some(format!("{}: {reason}", text("domain")?)),
            None => text("domain"),
        },
        A::EnterpriseSettingsChanged => details
            .get("require_verified_domains")
            .and_then(|v| v.as_bool())
            .map(|on| format!("Require verified domains for invitations: {}", if on { "on" } else { "off" })),
        A::EnterpriseTimeZoneChanged => Some(format!("From {} to {}", text("from")?, text("to")?)),
        A::PartnerRegistered => Some(format!("Domains: {}", list("domains")?)),
        A::PartnersImported => {
            let n = |key: &str| details.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
            Some(format!("{} added, {} skipped", n("added"), n("skipped")))
        }
        A::PartnerProductGranted | A::PartnerProductRevoked => text("product"),
        A::PartnerApiEnvironmentGranted | A::PartnerApiEnvironmentRevoked => {
            Some(format!("{} in {}", text("api")?, text("environment")?))
        }
        A::PartnerApiRevoked => Some(match list("environments") {
            Some(envs) => format!("{} (in {envs})", text("api")?),
            None => text("api")?,
        }),
        // One change is the event's target already; more are listed under it.
        A::PartnerAccessChanged => {
            let many = details.get("changes").and_then(|c| c.as_array()).is_some_and(|c| c.len() > 1);
            if many {
                list("changes")
            } else {
                None
            }
        }
        A::CatalogProductUpdated | A::CatalogApiUpdated | A::CatalogEnvironmentUpdated => changed_fields(details),
        A::CatalogApiCreated => list("environments").map(|e| format!("Offered in {e}")),
        _ => text("email"),
    }
}

/// "Name: “Old” → “New”; Environments added: Staging" for an edit's details.
fn changed_fields(details: &serde_json::Value) -> Option<String> {
    let map = details.as_object()?;
    let mut parts = Vec::new();
    for (field, label) in [
        ("name", "Name"),
        ("description", "Description"),
        ("base_path", "Base path"),
        ("position", "Position"),
        ("requires_approval", "Requires approval"),
    ] {
        if let Some(change) = map.get(field) {
            let side = |k: &str| change.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
            if field == "description" {
                parts.push("Description changed".to_string());
            } else {
                parts.push(format!("{label}: “{}” → “{}”", side("from"), side("to")));
            }
        }
    }
    for (key, label) in [("environments_added", "Environments added"), ("environments_removed", "Environments removed")]
    {
        if let Some(items) = map.get(key).and_then(|v| v.as_array()) {
            let names: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
            parts.push(format!("{label}: {}", names.join(", ")));
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}
