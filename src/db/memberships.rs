//! Memberships: a person's role in one enterprise (Enterprise admin, Viewer) or in one
//! partnership (Admin, Member). A removed membership is ended, not deleted: the history keeps
//! it and an invitation back brings the same row back.

use crate::domain::{EnterpriseId, MembershipId, PartnerId, PartnerStatus, UserId, UserRole};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::{enterprises, memberships, partners, users};

/// A membership with its person: what the member lists and checks read.
#[derive(Queryable, Selectable, Debug, Clone)]
pub struct Member {
    #[diesel(select_expression = users::id)]
    pub id: UserId,
    #[diesel(select_expression = memberships::id)]
    pub membership_id: MembershipId,
    #[diesel(select_expression = memberships::enterprise_id)]
    pub enterprise_id: EnterpriseId,
    #[diesel(select_expression = memberships::partner_id)]
    pub partner_id: Option<PartnerId>,
    #[diesel(select_expression = memberships::role)]
    pub role: UserRole,
    #[diesel(select_expression = users::email)]
    pub email: String,
    #[diesel(select_expression = users::first_name)]
    pub first_name: String,
    #[diesel(select_expression = users::surname)]
    pub surname: String,
    #[diesel(select_expression = memberships::ended_at)]
    pub ended_at: Option<DateTime<Utc>>,
    /// When the membership began ("member since").
    #[diesel(select_expression = memberships::created_at)]
    pub created_at: DateTime<Utc>,
}

impl Member {
    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.surname)
    }
}

#[derive(Insertable)]
#[diesel(table_name = memberships)]
pub struct NewMembership {
    pub user_id: UserId,
    pub enterprise_id: EnterpriseId,
    pub partner_id: Option<PartnerId>,
    pub role: UserRole,
}

/// Adds the membership, or brings an ended one of the same person and organisation back
/// with `role`. A live one keeps its role (callers decide on promotions). Returns its id.
pub fn grant(conn: &mut PgConnection, new: &NewMembership) -> QueryResult<MembershipId> {
    let existing: Option<(MembershipId, Option<DateTime<Utc>>)> = memberships::table
        .filter(memberships::user_id.eq(new.user_id))
        .filter(memberships::enterprise_id.eq(new.enterprise_id))
        .filter(memberships::partner_id.is_not_distinct_from(new.partner_id))
        .for_update()
        .select((memberships::id, memberships::ended_at))
        .first(conn)
        .optional()?;
    match existing {
        Some((id, None)) => Ok(id),
        Some((id, Some(_))) => {
            diesel::update(memberships::table.find(id))
                .set((
                    memberships::ended_at.eq(None::<DateTime<Utc>>),
                    memberships::role.eq(new.role),
                    memberships::created_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            Ok(id)
        }
        None => diesel::insert_into(memberships::table).values(new).returning(memberships::id).get_result(conn),
    }
}

fn joined() -> diesel::dsl::InnerJoin<memberships::table, users::table> {
    memberships::table.inner_join(users::table)
}

/// The partnership's people, live and ended, by name.
pub fn for_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<Member>> {
    joined()
        .filter(memberships::partner_id.eq(partner_id))
        .order((users::first_name.asc(), users::surname.asc(), users::id.asc()))
        .select(Member::as_select())
        .load(conn)
}

/// The partnership's live members, by name.
pub fn live_for_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<Member>> {
    joined()
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::ended_at.is_null())
        .order((users::first_name.asc(), users::surname.asc(), users::id.asc()))
        .select(Member::as_select())
        .load(conn)
}

/// The person's live memberships, oldest first.
pub fn live_for_user(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<Member>> {
    joined()
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::ended_at.is_null())
        .order(memberships::id.asc())
        .select(Member::as_select())
        .load(conn)
}

/// The partnership's live Admins, by name (who hear of changes to its access).
pub fn partner_admins(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<Member>> {
    Ok(live_for_partner(conn, partner_id)?.into_iter().filter(|m| m.role == UserRole::Admin).collect())
}

/// The enterprise's live Enterprise admins, by name (who answer requests and reminders).
pub fn team_admins(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Member>> {
    Ok(team(conn, enterprise_id)?.into_iter().filter(|m| m.role == UserRole::EnterpriseAdmin).collect())
}

/// The enterprise's own team (Enterprise admins and Viewers), live, by name.
pub fn team(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Member>> {
    joined()
        .filter(memberships::enterprise_id.eq(enterprise_id))
        .filter(memberships::partner_id.is_null())
        .filter(memberships::ended_at.is_null())
        .order((users::first_name.asc(), users::surname.asc(), users::id.asc()))
        .select(Member::as_select())
        .load(conn)
}

/// Addresses of the partnership's live members in `domain` (they block removing it).
pub fn emails_with_domain(conn: &mut PgConnection, partner_id: PartnerId, domain: &str) -> QueryResult<Vec<String>> {
    joined()
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::ended_at.is_null())
        .filter(users::email.like(format!("%@{domain}")))
        .order(users::email.asc())
        .select(users::email)
        .load(conn)
}

pub fn set_role(conn: &mut PgConnection, id: MembershipId, role: UserRole) -> QueryResult<()> {
    diesel::update(memberships::table.find(id)).set(memberships::role.eq(role)).execute(conn).map(|_| ())
}

/// The person's live membership in this partnership, locked for the rest of the
/// transaction; None for anyone else (another partnership's or a removed member is "not
/// found").
pub fn lock_in_partner(conn: &mut PgConnection, partner_id: PartnerId, user_id: UserId) -> QueryResult<Option<Member>> {
    joined()
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::ended_at.is_null())
        .for_update()
        .select(Member::as_select())
        .first(conn)
        .optional()
}

/// The person's live membership in the enterprise's team, locked.
pub fn lock_in_team(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    user_id: UserId,
) -> QueryResult<Option<Member>> {
    joined()
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::enterprise_id.eq(enterprise_id))
        .filter(memberships::partner_id.is_null())
        .filter(memberships::ended_at.is_null())
        .for_update()
        .select(Member::as_select())
        .first(conn)
        .optional()
}

/// The person's live membership in this partnership, or None.
pub fn find_in_partner(conn: &mut PgConnection, partner_id: PartnerId, user_id: UserId) -> QueryResult<Option<Member>> {
    joined()
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::ended_at.is_null())
        .select(Member::as_select())
        .first(conn)
        .optional()
}

/// Ends a membership (removal, leaving, "no access"); the row stays for the history.
pub fn end(conn: &mut PgConnection, id: MembershipId) -> QueryResult<()> {
    diesel::update(memberships::table.find(id).filter(memberships::ended_at.is_null()))
        .set(memberships::ended_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(|_| ())
}

/// Ends every live membership of the partnership (deactivation, leaving the enterprise);
/// returns how many. Their sessions stop acting through it on the next request; the people's
/// other memberships keep working.
pub fn end_all_in_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<usize> {
    diesel::update(
        memberships::table.filter(memberships::partner_id.eq(partner_id)).filter(memberships::ended_at.is_null()),
    )
    .set(memberships::ended_at.eq(diesel::dsl::now))
    .execute(conn)
}

/// How many live members the partnership has.
pub fn count_live_in_partner(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::ended_at.is_null())
        .count()
        .get_result(conn)
}

/// How many live members of the partnership have `role` (the last-admin rule counts Admins).
pub fn count_with_role_in_partner(conn: &mut PgConnection, partner_id: PartnerId, role: UserRole) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::partner_id.eq(partner_id))
        .filter(memberships::role.eq(role))
        .filter(memberships::ended_at.is_null())
        .count()
        .get_result(conn)
}

/// How many live Enterprise admins the enterprise has.
pub fn count_team_admins(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<i64> {
    memberships::table
        .filter(memberships::enterprise_id.eq(enterprise_id))
        .filter(memberships::partner_id.is_null())
        .filter(memberships::role.eq(UserRole::EnterpriseAdmin))
        .filter(memberships::ended_at.is_null())
        .count()
        .get_result(conn)
}

/// One membership a person can act in: its organisation as the switcher shows it.
#[derive(Queryable, Debug, Clone)]
pub struct Choice {
    pub membership_id: MembershipId,
    pub role: UserRole,
    pub enterprise_name: String,
    pub partner_name: Option<String>,
}

impl Choice {
    /// "Acme (partner of Globex)" or "Globex".
    pub fn organisation(&self) -> String {
        match &self.partner_name {
            Some(p) => format!("{p} (partner of {})", self.enterprise_name),
            None => self.enterprise_name.clone(),
        }
    }
}

/// The person's usable memberships: live, and in a partnership that still gives access.
pub fn choices(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Vec<Choice>> {
    memberships::table
        .inner_join(enterprises::table)
        .left_join(partners::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::ended_at.is_null())
        .filter(
            memberships::partner_id
                .is_null()
                .or(partners::status.eq_any([PartnerStatus::Invited, PartnerStatus::Active]).assume_not_null()),
        )
        .order((enterprises::name.asc(), partners::name.asc().nulls_first(), memberships::id.asc()))
        .select((memberships::id, memberships::role, enterprises::name, partners::name.nullable()))
        .load(conn)
}

/// The `applied` partnership (Invite to apply, SPEC §12) the person is a live Admin of and whose
/// application form they still have to submit or see answered, if any: where their login leads
/// while they hold no usable membership.
pub fn applying_in(conn: &mut PgConnection, user_id: UserId) -> QueryResult<Option<PartnerId>> {
    memberships::table
        .inner_join(partners::table)
        .filter(memberships::user_id.eq(user_id))
        .filter(memberships::ended_at.is_null())
        .filter(memberships::role.eq(UserRole::Admin))
        .filter(partners::status.eq(PartnerStatus::Applied))
        .order(memberships::id.asc())
        .select(partners::id)
        .first(conn)
        .optional()
}
