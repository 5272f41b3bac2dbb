//! Who is asking: passwords, sessions, CSRF and the route guards built on them.

pub mod actor;
pub mod credentials;
pub mod csrf;
pub mod guards;
pub mod input;
pub mod password;
pub mod session;
pub mod session_cache;
pub mod session_store;
pub mod throttle;
pub mod tokens;
