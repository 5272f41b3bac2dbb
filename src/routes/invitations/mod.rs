//! Emailed invitations: opening the link, choosing a password, joining the partner.

pub mod accept;
