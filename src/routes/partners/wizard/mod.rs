//! The register-partner wizard: a server-side draft walked through Company info, Email
//! domains, Partner administrator and Review.

pub mod pages;
