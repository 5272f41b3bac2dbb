//! The account screens: log in and out, switch organisation, the set-password link, forgot
//! password.

pub mod forgot_password;
pub mod login;
pub mod organisations;
pub mod set_password;
