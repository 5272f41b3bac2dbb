//! **Review changes** (SPEC §15): saving Add Products or Add APIs, and **Revoke all API
//! access** on the Delete partner tab, first shows the list of what will change
//! ("+ Payments API — Production", "− Accounts API — Staging") with **Confirm changes**.
//!
//! The confirmation form carries the selection again and the lines that were shown. The
//! confirming transaction works the list out anew under the partner row lock and applies it
//! only when it is the list that was shown: when someone else changed the partner's access in
//! between, the new list is shown for review instead (409), and nothing is changed. The
//! applied list is stored in one `partner.access_changed` audit event and emailed, through
//! the outbox in the same transaction, to each of the partner's Admins.

use crate::auth::actor::Actor;
use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;
use diesel::PgConnection;

use crate::routes::partners::grants::shared::record;
use crate::routes::partners::header::PartnerHeader;
use crate::{
    auth::guards::EnterpriseAdmin,
    config::Settings,
    db::{memberships, outbox, partners::Partner},
    domain::{AuditAction, EmailKind},
    email::{access::AccessChangedEmail, EmailMeta, OutgoingEmail},
    error::AppError,
    render::render_status,
    render::Layout,
};

/// One line of a change: something given (`added`) or taken away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub added: bool,
    /// "Payments API — Production", "Product One".
    pub what: String,
}

impl Change {
    pub fn added(what: impl Into<String>) -> Self {
        Change { added: true, what: what.into() }
    }

    pub fn removed(what: impl Into<String>) -> Self {
        Change { added: false, what: what.into() }
    }

    /// "+ Payments API — Production" or "− Accounts API — Staging" (a real minus sign).
    pub fn line(&self) -> String {
        format!("{} {}", if self.added { '+' } else { '−' }, self.what)
    }
}

/// "Product One (until 31 Jan 2027)" for a grant that ends, else the name alone.
pub fn with_end(what: &str, expiry: Option<crate::db::grants::Expiry>) -> String {
    match expiry {
        Some(e) => format!("{what} (until {})", crate::domain::expiry::day_text(e.on)),
        None => what.to_string(),
    }
}

/// The lines of `changes`, in order.
pub fn lines(changes: &[Change]) -> Vec<String> {
    changes.iter().map(Change::line).collect()
}

/// The lines a confirmation form sent back (`line=…`, in order).
pub fn reviewed_lines(fields: &[(String, String)]) -> Vec<String> {
    fields.iter().filter(|(name, _)| name == "line").map(|(_, v)| v.clone()).collect()
}

/// What the review page shows and where its forms go.
pub struct Review {
    /// "Add Products", "Add APIs", "Revoke all API access": the page's title and heading.
    pub title: &'static str,
    /// The tab the page belongs to ("products", "apis", "delete").
    pub tab: &'static str,
    pub changes: Vec<Change>,
    /// Where **Confirm changes** posts.
    pub confirm_action: String,
    /// The selection, carried again as hidden fields (`product=3`, `api=2`, `grant=2:1`).
    pub fields: Vec<(String, String)>,
    /// **Cancel**'s address (nothing is changed).
    pub cancel: String,
    /// Set when the list differs from the one the admin confirmed.
    pub notice: Option<String>,
}

/// A review ready to show: the partner's header, the review, and the names of the Admins
/// who will be emailed.
pub type Reviewed = (PartnerHeader, Review, Vec<String>);

struct ChangeView {
    added: bool,
    line: String,
}

#[derive(Template)]
#[template(path = "partners/grants/review.html")]
struct ReviewPage {
    layout: Layout,
    tab: &'static str,
    header: PartnerHeader,
    heading: &'static str,
    changes: Vec<ChangeView>,
    added: usize,
    removed: usize,
    confirm_action: String,
    fields: Vec<(String, String)>,
    lines: Vec<String>,
    cancel: String,
    notice: Option<String>,
    /// The partner's Admins who will be emailed the list ("Ada Lovelace").
    admins: Vec<String>,
}

/// The review page; `admins` are the names of the partner's Admins the list will be sent to.
pub fn page(
    user: &EnterpriseAdmin,
    (header, review, admins): Reviewed,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let layout = user.layout(format!("Review changes · {}", header.name), "partners")?;
    let added = review.changes.iter().filter(|c| c.added).count();
    let removed = review.changes.len() - added;
    let lines = lines(&review.changes);
    let changes = review.changes.iter().map(|c| ChangeView { added: c.added, line: c.line() }).collect();
    let page = ReviewPage {
        layout,
        tab: review.tab,
        header,
        heading: review.title,
        changes,
        added,
        removed,
        confirm_action: review.confirm_action,
        fields: review.fields,
        lines,
        cancel: review.cancel,
        notice: review.notice,
        admins,
    };
    Ok(render_status(status, &page))
}

/// The partner's live Admins (who are emailed a reviewed change), by name.
pub fn admins(conn: &mut PgConnection, partner: &Partner) -> Result<Vec<memberships::Member>, AppError> {
    Ok(memberships::partner_admins(conn, partner.id)?)
}

/// The notice over a list that changed between review and confirmation.
pub const CHANGED_SINCE_REVIEW: &str = "The partner's access changed after you reviewed it, so nothing was saved. \
     This is what your selection would change now: check it and confirm again.";

/// Records the applied change as one audit event (its `changes` are the reviewed lines,
/// `items` the same with ids) and queues "What changed in your access" to each of the
/// partner's Admins, in the caller's transaction.
pub fn record_and_tell(
    conn: &mut PgConnection,
    actor: &dyn Actor,
    settings: &Settings,
    partner: &Partner,
    changes: &[Change],
    items: Vec<serde_json::Value>,
) -> Result<(), AppError> {
    let lines = lines(changes);
    let added = changes.iter().filter(|c| c.added).count();
    let removed = changes.len() - added;
    let target = match (added, removed) {
        _ if changes.len() == 1 => lines[0].clone(),
        (a, 0) => format!("{a} added"),
        (0, r) => format!("{r} removed"),
        (a, r) => format!("{a} added, {r} removed"),
    };
    let details = serde_json::json!({ "changes": lines, "items": items });
    record(conn, actor, partner, AuditAction::PartnerAccessChanged, &target, details)?;

    let changed_by = actor.display_name();
    let link = settings.link("/service-catalog");
    let meta =
        EmailMeta { kind: EmailKind::AccessChanged, enterprise_id: Some(partner.enterprise_id), invitation_id: None };
    for admin in admins(conn, partner)? {
        let email = crate::email::access::access_changed(&AccessChangedEmail {
            first_name: &admin.first_name,
            enterprise_name: actor.enterprise_name(),
            partner_name: &partner.name,
            changed_by: &changed_by,
            lines: &lines,
            link: &link,
        })?;
        outbox::enqueue(conn, &OutgoingEmail { to: admin.email.clone(), ..email }, &meta)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_read_as_the_spec_shows_them() {
        let changes = [Change::added("Payments API — Production"), Change::removed("Accounts API — Staging")];
        assert_eq!(lines(&changes), ["+ Payments API — Production", "− Accounts API — Staging"]);
    }

    #[test]
    fn only_line_fields_are_reviewed_lines() {
        let fields = vec![
            ("api".to_string(), "2".to_string()),
            ("line".to_string(), "+ A".to_string()),
            ("grant".to_string(), "2:1".to_string()),
            ("line".to_string(), "− B".to_string()),
        ];
        assert_eq!(reviewed_lines(&fields), ["+ A", "− B"]);
    }
}
