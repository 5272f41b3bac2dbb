//! The one integration test binary: every test drives a real portal over HTTP against its
//! own PostgreSQL database.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activity;
mod administrator;
mod catalog;
mod cli;
mod deactivation;
mod e2e;
mod email;
mod fixtures;
mod forgot_password;
mod grants;
mod helpers;
mod invitations;
mod login;
mod members;
mod partner_summaries;
mod partners_list;
mod partners_page;
mod password_links;
mod proxy;
mod query_counts;
mod robustness;
mod scale_out;
mod security;
mod service_catalog;
mod smtp;
mod states;
mod wizard;
