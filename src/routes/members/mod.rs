//! Members (partner Admins): the list, inviting, resending and revoking invitations,
//! changing roles and removing members.

pub mod invite_team;
pub mod list;
pub mod manage;
