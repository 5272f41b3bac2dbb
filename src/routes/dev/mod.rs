//! Development-only screens.

pub mod mailbox;
