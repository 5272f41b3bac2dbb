//! Settings → **Enterprise settings** (`/settings/enterprise`): the enterprise's own settings,
//! one self-contained section each on one page (`page.rs`), each section's change handled by a
//! file of its own: the time zone (`time_zone.rs`), domain verification
//! (`domain_verification.rs`) and the default invitation note (`invitation_note.rs`). Enterprise admins change them; Viewers read the page (their
//! POSTs answer 403 in the guard).

pub mod domain_verification;
pub mod invitation_note;
pub mod page;
pub mod time_zone;

pub const MENU_KEY: &str = "enterprise";
pub const PAGE: &str = "/settings/enterprise";
