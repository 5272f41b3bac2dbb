//! Activity: the enterprise-wide log (`/settings/activity`, Settings → Activity) and a
//! partner's Activity tab (`/settings/partners/{id}/activity`): audit events newest first,
//! 25 a page, filterable by partner (enterprise page) and by action, each with an
//! **Export CSV** of every matching event (`activity_csv`).
//!
//! A page runs the same statements whatever the number of events: the partners (or the
//! partner's header), the actions present, and one page of events read along the
//! (…, created_at DESC, id DESC) indexes; on a partner's tab the header and the actions are
//! one statement.

use crate::domain::AuditAction;
use crate::domain::PartnerId;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, audit},
    error::AppError,
    render::{render, Layout},
    routes::partners::header::{date_time, PartnerHeader},
    state::AppState,
};

pub const PAGE_SIZE: i64 = 25;
/// Beyond this a page number is refused: nobody pages through 250,000 events by hand.
const MAX_PAGE: i64 = 10_000;

// ---- the query string ------------------------------------------------------------------------

/// `?page=&partner=&action=` as typed: anything unreadable is treated as absent.
#[derive(Deserialize, Default)]
pub struct ActivityQuery {
    page: Option<String>,
    partner: Option<String>,
    action: Option<String>,
}

pub struct Parsed {
    pub page: i64,
    pub filter: audit::EventFilter,
}

impl ActivityQuery {
    pub fn parse(&self) -> Result<Parsed, AppError> {
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
        Ok(Parsed { page, filter: audit::EventFilter { partner_id, action } })
    }
}

/// `?partner=…&action=…&page=…` keeping the filters; empty ones are left out.
fn query_string(filter: &audit::EventFilter, page: Option<i64>) -> String {
    #[derive(Serialize)]
    struct Q<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        partner: Option<PartnerId>,
        #[serde(skip_serializing_if = "Option::is_none")]
        action: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        page: Option<i64>,
    }
    let q = Q { partner: filter.partner_id, action: filter.action.map(AuditAction::as_str), page };
    match serde_urlencoded::to_string(&q) {
        Ok(s) if !s.is_empty() => format!("?{s}"),
        _ => String::new(),
    }
}

// ---- what the pages show -----------------------------------------------------------------------

pub struct EventView {
    pub when: String,
    pub when_iso: String,
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
            when: date_time(e.created_at),
            when_iso: e.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
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
    /// The filters without a page, for the CSV export and "back to the first page".
    pub first: String,
    pub filtered: bool,
}

/// Loads one page of events (plus one, to know whether an older page exists).
fn paginate(rows: Vec<audit::EventWithPartner>, base: &str, parsed: &Parsed) -> (Vec<EventView>, Pager) {
    let has_older = rows.len() as i64 > PAGE_SIZE;
    let events = rows.into_iter().take(PAGE_SIZE as usize).map(EventView::new).collect();
    let f = &parsed.filter;
    let pager = Pager {
        base: base.to_string(),
        page: parsed.page,
        newer: (parsed.page > 1)
            .then(|| format!("{base}{}", query_string(f, (parsed.page > 2).then_some(parsed.page - 1)))),
        older: has_older.then(|| format!("{base}{}", query_string(f, Some(parsed.page + 1)))),
        first: query_string(f, None),
        filtered: f.partner_id.is_some() || f.action.is_some(),
    };
    (events, pager)
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
}

pub async fn enterprise_page(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let parsed = query.parse()?;
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
    let (events, pager) = paginate(rows, "/settings/activity", &parsed);
    let partners = partners
        .into_iter()
        .map(|(id, name, deactivated)| Choice {
            value: id.to_string(),
            label: if deactivated { format!("{name} (deactivated)") } else { name },
            selected: parsed.filter.partner_id == Some(id),
        })
        .collect();
    let actions = action_choices(actions, parsed.filter.action);
    Ok(render(&EnterprisePage {
        layout: user.layout("Activity", "activity")?,
        enterprise_name: user.user.enterprise_name.clone(),
        events,
        pager,
        partners,
        actions,
    }))
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
}

pub async fn partner_tab(
    user: EnterpriseAdmin,
    state: web::Data<AppState>,
    path: web::Path<PartnerId>,
    query: web::Query<ActivityQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let mut parsed = query.parse()?;
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
    let shown =
        Parsed { page: parsed.page, filter: audit::EventFilter { partner_id: None, action: parsed.filter.action } };
    let (events, pager) = paginate(rows, &format!("/settings/partners/{id}/activity"), &shown);
    let actions = action_choices(actions, parsed.filter.action);
    let layout = user.layout(format!("Activity · {}", header.name), "partners")?;
    Ok(render(&PartnerTab { layout, tab: "activity", header, events, pager, actions }))
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
        A::PartnerRegistered => Some(format!("Domains: {}", list("domains")?)),
        A::PartnerProductGranted | A::PartnerProductRevoked => text("product"),
        A::PartnerApiEnvironmentGranted | A::PartnerApiEnvironmentRevoked => {
            Some(format!("{} in {}", text("api")?, text("environment")?))
        }
        A::PartnerApiRevoked => Some(match list("environments") {
            Some(envs) => format!("{} (in {envs})", text("api")?),
            None => text("api")?,
        }),
        A::CatalogProductUpdated | A::CatalogApiUpdated | A::CatalogEnvironmentUpdated => changed_fields(details),
        A::CatalogApiCreated => list("environments").map(|e| format!("Offered in {e}")),
        _ => text("email"),
    }
}

/// "Name: “Old” → “New”; Environments added: Staging" for an edit's details.
fn changed_fields(details: &serde_json::Value) -> Option<String> {
    let map = details.as_object()?;
    let mut parts = Vec::new();
    for (field, label) in
        [("name", "Name"), ("description", "Description"), ("base_path", "Base path"), ("position", "Position")]
    {
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
