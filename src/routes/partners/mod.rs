//! Settings → Partners: the list, the register wizard, Import partners, each partner's page,
//! its grants and its deactivation.

pub mod bulk;
pub mod connect;
pub mod deactivate;
pub mod grants;
pub mod groups;
pub mod header;
pub mod import;
pub mod info_form;
pub mod list;
pub mod page;
pub mod wizard;
