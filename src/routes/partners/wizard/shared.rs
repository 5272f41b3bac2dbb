//! What every step of the register-partner wizard shares: the step tabs, loading the
//! draft, and the domain warning.
//!
//! Every step saves into a server-side draft row, so refresh, back and reopening the wizard
//! lose nothing. Tabs of steps already reachable are links; later ones are plain text.

use crate::domain::DraftId;
use actix_web::HttpResponse;

use crate::render::see_other;
use crate::{
    auth::guards::EnterpriseAdmin,
    db::{self, drafts, drafts::Draft},
    error::AppError,
    state::AppState,
};

pub const DOMAIN_WARNING: &str = "Add all the domains the Partner Account will use. \
     Invitations can only be sent to members with registered domains.";

/// One upper tab of the wizard.
pub struct StepTab {
    pub label: &'static str,
    pub href: Option<String>,
    pub current: bool,
    pub done: bool,
}

pub fn steps(draft: &Draft, current: &str) -> Vec<StepTab> {
    let base = format!("/settings/partners/drafts/{}", draft.id);
    let defs = [
        ("info", "Partner info", true, draft.has_info()),
        ("domains", "Register Domain", draft.has_info(), draft.has_domains()),
        ("administrator", "Partner account administrator", draft.has_domains(), draft.has_admin()),
        ("review", "Review", draft.has_info() && draft.has_domains() && draft.has_admin(), false),
    ];
    defs.into_iter()
        .map(|(slug, label, reachable, done)| StepTab {
            label,
            href: reachable.then(|| format!("{base}/{slug}")),
            current: slug == current,
            done,
        })
        .collect()
}

pub fn first_open_step(draft: &Draft) -> &'static str {
    if !draft.has_info() {
        "info"
    } else if !draft.has_domains() {
        "domains"
    } else if !draft.has_admin() {
        "administrator"
    } else {
        "review"
    }
}

/// Loads the admin's draft; a draft already turned into a partner sends them to it.
pub async fn load(
    state: &AppState,
    user: &EnterpriseAdmin,
    id: DraftId,
) -> Result<Result<Draft, HttpResponse>, AppError> {
    let (enterprise_id, user_id) = (user.user.enterprise_id, user.user.user_id);
    let draft = db::run(&state.pool, move |conn| Ok(drafts::find(conn, enterprise_id, user_id, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(partner_id) = draft.submitted_partner_id {
        return Ok(Err(see_other(&format!("/settings/partners/{partner_id}"))));
    }
    Ok(Ok(draft))
}

/// The draft named by the path, or the early return that sends the admin elsewhere.
macro_rules! draft_or_redirect {
    ($state:expr, $user:expr, $id:expr) => {
        match load(&$state, &$user, $id).await? {
            Ok(draft) => draft,
            Err(redirect) => return Ok(redirect),
        }
    };
}
pub(crate) use draft_or_redirect;
