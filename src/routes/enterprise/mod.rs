//! Settings → **Enterprise settings** (`/settings/enterprise`): the enterprise's own settings,
//! one section per subject, each saved by a form of its own (`page` renders them all; a file
//! per section's POST). Enterprise admins change them; Viewers read them (their POSTs are 403).

pub mod domain_verification;
pub mod page;

pub const MENU_KEY: &str = "enterprise";
pub const PAGE: &str = "/settings/enterprise";
