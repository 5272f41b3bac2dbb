//! Settings → **Team** (SPEC §16): the enterprise's Enterprise admins and Viewers, the team
//! invitations still open, inviting, changing a role and removing someone. The queries and
//! rules (last Enterprise admin, nobody changes themselves) are in `db::team`.

pub mod list;
pub mod manage;
