//! Activity: the enterprise's audit trail, a partner's Activity tab, and their CSV exports.

pub mod csv;
pub mod pages;
