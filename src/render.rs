//! Askama pages: the shared `Layout` every page carries and the one render helper; `time`
//! formats the moments pages show.

pub mod time;

use actix_web::{
    http::{header, StatusCode},
    HttpResponse,
};
use askama::Template;

use crate::auth::session::{Flash, Principal};

/// What the base template needs on every page.
pub struct Layout {
    pub title: String,
    pub nav: Option<Nav>,
    pub csrf: String,
    pub flashes: Vec<Flash>,
    /// Menu entry to highlight.
    pub active: &'static str,
    /// The enterprise's time zone and the page's moment: templates show times through it
    /// (`_time.html`). UTC for visitors.
    pub clock: time::Clock,
}

/// The signed-in person, as the menu shows them.
pub struct Nav {
    pub display_name: String,
    pub email: String,
    pub org_name: String,
    /// The organisation with its enterprise for a partnership: "Acme (partner of Globex)".
    pub org_label: String,
    pub role_label: &'static str,
    /// Enterprise admin or Viewer: the enterprise's menu.
    pub is_enterprise_team: bool,
    pub is_enterprise_admin: bool,
    pub is_partner_admin: bool,
    /// A Viewer: pages show no form or button that changes anything (SPEC §16).
    pub read_only: bool,
    /// More than one membership: **Switch organisation** is offered.
    pub can_switch: bool,
}

impl Nav {
    pub fn from_principal(p: &Principal) -> Self {
        Nav {
            display_name: format!("{} {}", p.first_name, p.surname),
            email: p.email.clone(),
            org_name: p.partner_name.clone().unwrap_or_else(|| p.enterprise_name.clone()),
            org_label: match &p.partner_name {
                Some(partner) => format!("{partner} (partner of {})", p.enterprise_name),
                None => p.enterprise_name.clone(),
            },
            role_label: p.role.label(),
            is_enterprise_team: p.is_enterprise_team(),
            is_enterprise_admin: p.is_enterprise_admin(),
            is_partner_admin: p.is_partner_admin(),
            read_only: p.is_viewer(),
            can_switch: p.usable_memberships > 1,
        }
    }
}

impl Layout {
    pub fn is_active(&self, key: &str) -> bool {
        self.active == key
    }

    /// "Acme (partner of Globex) as Admin": the organisation and membership the page acts in.
    pub fn org_label(&self) -> String {
        self.nav.as_ref().map(|n| format!("{} as {}", n.org_label, n.role_label)).unwrap_or_default()
    }

    /// The page is for reading only (a Viewer): templates leave out every form that changes
    /// something. The guards refuse such requests anyway.
    pub fn read_only(&self) -> bool {
        self.nav.as_ref().is_some_and(|n| n.read_only)
    }
}

/// The buffer a page is rendered into, to begin with.
const PAGE_BUFFER: usize = 32 * 1024;

/// Renders a page with status 200.
pub fn render<T: Template>(page: &T) -> HttpResponse {
    render_status(StatusCode::OK, page)
}

/// Renders a page with the given status; a template failure becomes the generic 500 page.
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    // Askama's own estimate counts a loop's body once: a 25-row list grew its buffer five
    // times, copying the page so far each time. Most pages are 5–30 KB.
    let mut body = String::with_capacity(T::SIZE_HINT.max(PAGE_BUFFER));
    match page.render_into(&mut body).map(|()| body) {
        Ok(body) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "An unexpected error happened on our side and has been logged.",
            )
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    request_id: Option<String>,
}

/// A standalone error page; it needs nothing from the request, so any layer can produce it.
/// Within a request it names the request's id in small print, for the user to quote.
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let request_id = crate::telemetry::current_request_id().filter(|id| !id.is_empty());
    let page = ErrorPage { status: status.as_u16(), title, message, request_id };
    let body = page.render().unwrap_or_else(|_| format!("{} {}", status.as_u16(), status));
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// The redirect that ends every successful form (Post/Redirect/Get).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}
