//! The test kit shared by the test targets (tests/api, tests/timing, tests/e2e), included by
//! each with `#[path = "../common/mod.rs"] mod common;`:
//! * [`helpers`]: `TestApp` (a real portal on its own database), its `Spawn` builder and
//!   `Browser`;
//! * [`page`]: `Page`, a response read over `scraper` (forms, flashes, field errors, rows);
//! * [`fixtures`]: builders of data put straight into the database;
//! * [`smtp`]: `TestSmtp`, a real SMTP server; [`proxy`]: a cuttable database proxy;
//! * [`dns`]: `TestDns`, a real DNS server whose records a test changes;
//! * [`receiver`]: `TestReceiver`, a real HTTP server that records the webhooks it gets.
#![allow(dead_code)]

pub mod dns;
pub mod emails;
pub mod fixtures;
pub mod helpers;
pub mod oauth;
pub mod page;
pub mod proxy;
pub mod receiver;
pub mod smtp;
