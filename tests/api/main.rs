//! The main integration test binary: every test drives a real portal over HTTP against its
//! own PostgreSQL database, sending emails with `TestApp::dispatch_emails` rather than
//! waiting for a timer. Tests about real time (the email worker's own timer, outages,
//! recovery) are in tests/timing; the browser journey is in tests/e2e. The kit is
//! tests/common.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
use common::{dns, emails, fixtures, helpers, oauth as oauth_kit, page, proxy, receiver, smtp};

mod access_requests;
mod access_review;
mod activity;
mod administrator;
mod api_tokens;
mod applications;
mod approvals;
mod bulk_actions;
mod catalog;
mod cli;
mod connections;
mod csv_import;
mod deactivation;
mod defects;
mod domain_verification;
mod edge;
mod email;
mod expiry;
mod forgot_password;
mod gateway;
mod gateway_credentials;
mod grants;
mod groups;
mod invitations;
mod invite_team;
mod login;
mod logos;
mod members;
mod memberships;
mod migration_data;
mod oauth;
mod openapi;
mod operations;
mod partner_summaries;
mod partners_list;
mod partners_page;
mod password_links;
mod people_pages;
mod personal_note;
mod programs;
mod programs_approval;
mod programs_invite;
mod programs_join;
mod query_counts;
mod rest_api;
mod rest_api_writes;
mod robustness;
mod scale_out;
mod security;
mod service_catalog;
mod session_cache;
mod states;
mod static_files;
mod team;
mod time_zone;
mod viewer;
mod webhooks;
mod wizard;
