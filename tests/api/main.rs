//! The one integration test binary: every test drives a real portal over HTTP against its
//! own PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod helpers;
mod login;
mod password_links;
mod proxy;
mod robustness;
mod security;
