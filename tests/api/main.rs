//! The one integration test binary: every test drives a real portal over HTTP against its
//! own PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod email;
mod fixtures;
mod forgot_password;
mod partners_list;
mod partners_page;
mod wizard;
mod helpers;
mod invitations;
mod login;
mod members;
mod password_links;
mod proxy;
mod robustness;
mod security;
mod smtp;
