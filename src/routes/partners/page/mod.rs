//! A partner's page: the header every tab shares, General, Users, editing the company
//! information, email domains and the partner administrator.

pub mod administrator;
pub mod domains;
pub mod edit;
pub mod general;
pub mod users;
