//! Bulk actions on Settings → Partners (SPEC §13, issue 14 item 6), without JavaScript: the
//! list's table is one GET form with a checkbox per partner (`partner=ID`) whose buttons send
//! the selection to **Move to group**, **Resend invitations**, **Send invitations**,
//! **Deactivate** (each a confirmation page listing what will happen to each partner, whose
//! button then does it) or **Export CSV** (a download).
//!
//! The confirmation pages are GETs (they change nothing) for Enterprise admins only; the
//! confirm buttons POST the same ids with the CSRF token. Each POST runs in one transaction:
//! the partners are locked in id order and judged again, and the ones that can't be acted on
//! are left alone and named in the result. An id of another enterprise answers 404 before
//! anything is read or changed; an empty selection answers 422 saying to select a partner.

pub mod deactivate;
pub mod export;
pub mod invitations;
pub mod move_group;

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;
use diesel::PgConnection;

use crate::{
    auth::guards::EnterpriseAdmin,
    db::bulk::{self, Selected},
    domain::{EnterpriseId, PartnerId, PartnerStatus},
    error::AppError,
    render::{render_status, Layout},
    routes::partners::grants::shared::{form_fields, form_id},
};

/// At most this many partners in one bulk action (a page of the list holds 25).
pub const MAX_SELECTED: usize = 100;

pub(crate) const MENU_KEY: &str = "partners";

/// The message of an empty selection.
pub const SELECT_ONE: &str = "Select at least one partner on the list, then press the action again.";

/// The selected partners' ids (`partner` fields of a query string or form), each once, in
/// the order sent.
pub fn selected_ids(raw: &[u8]) -> Result<Vec<PartnerId>, AppError> {
    let mut ids: Vec<PartnerId> = Vec::new();
    for (name, value) in form_fields(raw) {
        if name == "partner" {
            let id = form_id::<PartnerId>(&value)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Err(AppError::Unprocessable(SELECT_ONE.into()));
    }
    if ids.len() > MAX_SELECTED {
        return Err(AppError::Unprocessable(format!(
            "Select at most {MAX_SELECTED} partners at a time. Nothing was changed."
        )));
    }
    Ok(ids)
}

/// The enterprise's selected partners, by name; 404 when any id is not one of them.
pub fn load_selected(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    ids: &[PartnerId],
) -> Result<Vec<Selected>, AppError> {
    let found = bulk::selected(conn, enterprise_id, ids)?;
    if found.len() != ids.len() {
        return Err(AppError::NotFound);
    }
    Ok(found)
}

/// Why a partner in this status can't be changed at all, in the outcome's words, or None.
pub fn unchangeable(status: PartnerStatus) -> Option<&'static str> {
    match status {
        PartnerStatus::Deactivated => Some("is deactivated: it can no longer be changed."),
        PartnerStatus::Declined => Some("was declined (a connection request or an application): it can't be changed."),
        PartnerStatus::Requested => {
            Some("has not accepted your connection request yet: nothing can be changed until it does.")
        }
        PartnerStatus::Invited | PartnerStatus::Applied | PartnerStatus::Active => None,
    }
}

/// What an action will do (or did not do) to one partner.
pub struct Outcome {
    pub id: PartnerId,
    pub name: String,
    /// "will be moved to Resellers", "can't be deactivated: …".
    pub text: String,
    /// The confirm button acts on this partner.
    pub acts: bool,
}

impl Outcome {
    pub fn will(partner: &Selected, text: impl Into<String>) -> Self {
        Outcome { id: partner.id, name: partner.name.clone(), text: text.into(), acts: true }
    }

    pub fn wont(partner: &Selected, text: impl Into<String>) -> Self {
        Outcome { id: partner.id, name: partner.name.clone(), text: text.into(), acts: false }
    }
}

/// A confirmation page: the outcome per partner and the button that does it.
#[derive(Template)]
#[template(path = "partners/bulk/confirm.html")]
pub struct ConfirmPage {
    pub layout: Layout,
    pub heading: String,
    pub outcomes: Vec<Outcome>,
    /// Where the confirm button posts.
    pub action: &'static str,
    /// The confirm button's words.
    pub button: &'static str,
    /// Deactivate's "can't be undone" checkbox, and its error when it was left unticked.
    pub undo_box: Option<Option<String>>,
    /// Move to group's choice of group (the outcomes are listed once a group is chosen).
    pub group_choice: Option<GroupChoice>,
    pub error: Option<String>,
}

/// Move to group: the enterprise's groups and the chosen one.
pub struct GroupChoice {
    pub groups: Vec<(i64, String)>,
    pub target: Option<i64>,
    /// Some partner would be granted something: *Grant the group's default access* is offered.
    pub offers: bool,
}

impl GroupChoice {
    pub fn is_target(&self, id: &i64) -> bool {
        self.target == Some(*id)
    }
}

impl ConfirmPage {
    pub fn acting(&self) -> usize {
        self.outcomes.iter().filter(|o| o.acts).count()
    }

    /// Move to group lists the outcomes once a group is chosen; the others always.
    pub fn show_outcomes(&self) -> bool {
        self.group_choice.as_ref().is_none_or(|c| c.target.is_some())
    }

    pub fn ids(&self) -> Vec<PartnerId> {
        self.outcomes.iter().map(|o| o.id).collect()
    }
}

pub fn show(page: &ConfirmPage, status: StatusCode) -> HttpResponse {
    render_status(status, page)
}

/// "3 partners", "1 partner".
pub fn partners(n: usize) -> String {
    format!("{n} {}", if n == 1 { "partner" } else { "partners" })
}

/// The flash after an action: what was done, then who was left alone and why.
pub fn summary(done: &str, left: &[(String, String)]) -> String {
    let mut message = done.to_string();
    if !left.is_empty() {
        let reasons: Vec<String> =
            left.iter().map(|(name, why)| format!("{name} {}", why.trim_end_matches('.'))).collect();
        message.push_str(&format!(" Left as they were: {}.", reasons.join("; ")));
    }
    message
}

/// The layout of a bulk page.
pub fn layout(user: &EnterpriseAdmin, title: &str) -> Result<Layout, AppError> {
    user.layout(title, MENU_KEY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selection_is_each_partner_once_and_never_empty() {
        let ids = selected_ids(b"partner=3&partner=1&partner=3&q=x").ok();
        assert_eq!(ids, Some(vec![PartnerId::new(3), PartnerId::new(1)]));
        assert!(matches!(selected_ids(b"q=x"), Err(AppError::Unprocessable(m)) if m == SELECT_ONE));
        assert!(matches!(selected_ids(b"partner=abc"), Err(AppError::BadRequest(_))));
        let many: String = (1..=101).map(|i| format!("partner={i}&")).collect();
        assert!(matches!(selected_ids(many.as_bytes()), Err(AppError::Unprocessable(_))));
    }
}
