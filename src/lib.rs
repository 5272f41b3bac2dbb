//! Partner Portal: enterprises register and manage their partner companies.

pub mod access_expiry;
pub mod assets;
pub mod auth;
pub mod background;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod dns;
pub mod domain;
pub mod email;
pub mod error;
pub mod monitoring;
pub mod render;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod webhooks;
