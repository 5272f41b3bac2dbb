//! Tests about real time, in a target of their own so that `cargo test --test api` stays
//! quick (`cargo test --all-targets`, i.e. ./scripts/test, runs them): the background email
//! worker on its timer (outages, back-off, several workers, two instances) and the database
//! going away and coming back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../common/mod.rs"]
mod common;
use common::{emails, fixtures, helpers, oauth, proxy, smtp};

mod database_outage;
mod email_worker;
mod scale_out;
