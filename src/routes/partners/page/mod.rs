//! A partner's page: the header every tab shares, General, Users, Applications, editing the company
//! information, email domains and the partner administrator.

pub mod administrator;
pub mod applications;
pub mod domains;
pub mod edit;
pub mod general;
pub mod invite_team;
pub mod users;
pub mod verification;
