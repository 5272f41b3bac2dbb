//! Invitations: a person asked to join a partnership (or the enterprise's team) with a role.
//! Only the token's hash is kept.

use crate::domain::InvitationStatus;
use crate::domain::{EnterpriseId, InvitationId, PartnerId, UserId, UserRole};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{invitations, replaced_invitation_tokens};

pub use super::invitation_flow::{issue, queue_for_new, resend, revoke, NewInvite};

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: InvitationId,
    pub enterprise_id: EnterpriseId,
    /// None for an invitation to the enterprise's own team (Enterprise admin, Viewer).
    pub partner_id: Option<PartnerId>,
    pub email: String,
    pub first_name: String,
    pub surname: String,
    pub role: UserRole,
    pub for_account_admin: bool,
    pub status: InvitationStatus,
    pub invited_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub accepted_user_id: Option<UserId>,
    /// The inviter's *Personal note*, sent with the email (and again with every resend).
    pub note: Option<String>,
}

impl Invitation {
    /// Pending but past its expiry: the admin sees it as expired.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.status == InvitationStatus::Pending && self.expires_at <= now
    }
}

#[derive(Insertable, Debug)]
#[diesel(table_name = invitations)]
pub struct NewInvitation<'a> {
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub email: &'a str,
    pub first_name: &'a str,
    pub surname: &'a str,
    pub role: UserRole,
    pub for_account_admin: bool,
    pub token_hash: &'a [u8],
    pub invited_by: Option<UserId>,
    pub expires_at: DateTime<Utc>,
    pub note: Option<&'a str>,
}

pub fn insert(conn: &mut PgConnection, new: &NewInvitation<'_>) -> QueryResult<Invitation> {
    diesel::insert_into(invitations::table).values(new).returning(Invitation::as_returning()).get_result(conn)
}

/// All invitations of a partner, newest first.
pub fn for_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<Invitation>> {
    invitations::table
        .filter(invitations::partner_id.eq(partner_id))
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .select(Invitation::as_select())
        .load(conn)
}

/// The newest administrator invitation of a partner, whatever its state.
pub fn latest_admin(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::partner_id.eq(partner_id))
        .filter(invitations::for_account_admin.eq(true))
        .order((invitations::created_at.desc(), invitations::id.desc()))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Pending invitations whose email depends on `domain` (they block removing it).
pub fn pending_with_domain(conn: &mut PgConnection, partner_id: PartnerId, domain: &str) -> QueryResult<i64> {
    invitations::table
        .filter(invitations::partner_id.eq(partner_id))
        .filter(invitations::status.eq(InvitationStatus::Pending))
        .filter(invitations::expires_at.gt(diesel::dsl::now))
        .filter(invitations::email.like(format!("%@{domain}")))
        .count()
        .get_result(conn)
}

/// The addresses of pending (unexpired) invitations in `domain`, to name them when refusing
/// to remove it.
pub fn pending_emails_with_domain(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    domain: &str,
) -> QueryResult<Vec<String>> {
    invitations::table
        .filter(invitations::partner_id.eq(partner_id))
        .filter(invitations::status.eq(InvitationStatus::Pending))
        .filter(invitations::expires_at.gt(diesel::dsl::now))
        .filter(invitations::email.like(format!("%@{domain}")))
        .order(invitations::email.asc())
        .select(invitations::email)
        .load(conn)
}

pub fn find_by_hash(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::token_hash.eq(token_hash))
        .select(Invitation::as_select())
        .first(conn)
        .optional()
}

/// Keeps the invitation's current token hash as replaced, before a resend gives it a new one.
pub fn remember_replaced_token(conn: &mut PgConnection, invitation_id: InvitationId) -> QueryResult<usize> {
    use replaced_invitation_tokens::dsl as r;
    let current = invitations::table.find(invitation_id).select((invitations::token_hash, invitations::id));
    diesel::insert_into(r::replaced_invitation_tokens)
        .values(current)
        .into_columns((r::token_hash, r::invitation_id))
        .on_conflict_do_nothing()
        .execute(conn)
}

/// Whether `token_hash` is the link of an invitation that was resent since.
pub fn was_replaced(conn: &mut PgConnection, token_hash: &[u8]) -> QueryResult<bool> {
    use replaced_invitation_tokens::dsl as r;
    diesel::select(diesel::dsl::exists(r::replaced_invitation_tokens.find(token_hash))).get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: InvitationId) -> QueryResult<Option<Invitation>> {
    invitations::table.find(id).select(Invitation::as_select()).first(conn).optional()
}

/// Takes a pending, unexpired invitation for acceptance. Only one caller can win: the
/// others get None, however many accept the same link at once.
pub fn claim(conn: &mut PgConnection, id: InvitationId) -> QueryResult<Option<Invitation>> {
    diesel::update(
        invitations::table
            .filter(invitations::id.eq(id))
            .filter(invitations::status.eq(InvitationStatus::Pending))
            .filter(invitations::expires_at.gt(diesel::dsl::now)),
    )
    .set((invitations::status.eq(InvitationStatus::Accepted), invitations::accepted_at.eq(diesel::dsl::now)))
    .returning(Invitation::as_returning())
    .get_result(conn)
    .optional()
}

pub fn set_accepted_user(conn: &mut PgConnection, id: InvitationId, user_id: UserId) -> QueryResult<()> {
    diesel::update(invitations::table.find(id)).set(invitations::accepted_user_id.eq(user_id)).execute(conn).map(|_| ())
}

/// Revokes every pending invitation of the partner (expired ones too); returns their ids so
/// the caller can cancel their unsent emails.
pub fn revoke_pending_for_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<InvitationId>> {
    diesel::update(
        invitations::table
            .filter(invitations::partner_id.eq(partner_id))
            .filter(invitations::status.eq(InvitationStatus::Pending)),
    )
    .set((invitations::status.eq(InvitationStatus::Revoked), invitations::revoked_at.eq(diesel::dsl::now)))
    .returning(invitations::id)
    .get_results(conn)
}

/// How many invitations of the partner are still pending (expired ones included).
pub fn count_pending(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<i64> {
    invitations::table
        .filter(invitations::partner_id.eq(partner_id))
        .filter(invitations::status.eq(InvitationStatus::Pending))
        .count()
        .get_result(conn)
}
