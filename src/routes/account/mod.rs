//! The account screens: log in and out, the set-password link, forgot password.

pub mod forgot_password;
pub mod login;
pub mod set_password;
