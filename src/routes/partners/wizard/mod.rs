//! The register-partner wizard: *Partner info* → *Register Domain* → *Partner account
//! administrator* → *Review* → **Add Partner**, one file per step.

pub mod administrator;
pub mod discard;
pub mod domains;
pub mod info;
pub mod review;
pub mod shared;
pub mod start;
