//! Register-wizard drafts: one admin's work in progress, kept server-side.

use crate::domain::{DraftId, EnterpriseId, PartnerId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::partner_drafts;

/// Drafts untouched for this long are removed by housekeeping.
pub const MAX_AGE_DAYS: i64 = 7;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = partner_drafts)]
pub struct Draft {
    pub id: DraftId,
    pub enterprise_id: EnterpriseId,
    pub created_by: UserId,
    pub name: String,
    pub domains: Vec<String>,
    pub admin_first_name: String,
    pub admin_surname: String,
    pub admin_email: String,
    pub logo_content_type: Option<String>,
    pub logo_width: Option<i32>,
    pub logo_height: Option<i32>,
    pub submitted_partner_id: Option<PartnerId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The *Personal note* of the administrator's invitation: None until the administrator
    /// step is saved (its form then offers the enterprise's default), "" for no note.
    pub admin_note: Option<String>,
}

impl Draft {
    pub fn has_info(&self) -> bool {
        !self.name.is_empty()
    }
    pub fn has_domains(&self) -> bool {
        !self.domains.is_empty()
    }
    pub fn has_admin(&self) -> bool {
        !self.admin_email.is_empty()
    }
    pub fn has_logo(&self) -> bool {
        self.logo_content_type.is_some()
    }
}

/// The admin's latest unfinished draft, so "Register partners" resumes instead of losing work.
pub fn latest_open(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    user_id: UserId,
) -> QueryResult<Option<Draft>> {
    partner_drafts::table
        .filter(partner_drafts::enterprise_id.eq(enterprise_id))
        .filter(partner_drafts::created_by.eq(user_id))
        .filter(partner_drafts::submitted_partner_id.is_null())
        .order(partner_drafts::updated_at.desc())
        .select(Draft::as_select())
        .first(conn)
        .optional()
}

pub fn create(conn: &mut PgConnection, enterprise_id: EnterpriseId, user_id: UserId) -> QueryResult<Draft> {
    diesel::insert_into(partner_drafts::table)
        .values((partner_drafts::enterprise_id.eq(enterprise_id), partner_drafts::created_by.eq(user_id)))
        .returning(Draft::as_returning())
        .get_result(conn)
}

/// A draft of this admin in this enterprise; anyone else's is "not found".
pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    user_id: UserId,
    draft_id: DraftId,
) -> QueryResult<Option<Draft>> {
    partner_drafts::table
        .filter(partner_drafts::id.eq(draft_id))
        .filter(partner_drafts::enterprise_id.eq(enterprise_id))
        .filter(partner_drafts::created_by.eq(user_id))
        .select(Draft::as_select())
        .first(conn)
        .optional()
}

/// Same as `find`, locking the draft: Add Partner submissions of one draft serialise on it.
pub fn lock(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    user_id: UserId,
    draft_id: DraftId,
) -> QueryResult<Option<Draft>> {
    partner_drafts::table
        .filter(partner_drafts::id.eq(draft_id))
        .filter(partner_drafts::enterprise_id.eq(enterprise_id))
        .filter(partner_drafts::created_by.eq(user_id))
        .for_update()
        .select(Draft::as_select())
        .first(conn)
        .optional()
}

pub fn logo(conn: &mut PgConnection, draft_id: DraftId) -> QueryResult<Option<(String, Vec<u8>)>> {
    let row: (Option<String>, Option<Vec<u8>>) = partner_drafts::table
        .find(draft_id)
        .select((partner_drafts::logo_content_type, partner_drafts::logo_bytes))
        .first(conn)?;
    Ok(match row {
        (Some(ct), Some(bytes)) => Some((ct, bytes)),
        _ => None,
    })
}

pub fn save_info(conn: &mut PgConnection, draft_id: DraftId, name: &str) -> QueryResult<()> {
    diesel::update(partner_drafts::table.find(draft_id))
        .set((partner_drafts::name.eq(name), partner_drafts::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

pub fn save_logo(conn: &mut PgConnection, draft_id: DraftId, logo: Option<(&str, &[u8], i32, i32)>) -> QueryResult<()> {
    let (ct, bytes, w, h) = match logo {
        Some((ct, bytes, w, h)) => (Some(ct), Some(bytes), Some(w), Some(h)),
        None => (None, None, None, None),
    };
    diesel::update(partner_drafts::table.find(draft_id))
        .set((
            partner_drafts::logo_content_type.eq(ct),
            partner_drafts::logo_bytes.eq(bytes),
            partner_drafts::logo_width.eq(w),
            partner_drafts::logo_height.eq(h),
            partner_drafts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn save_domains(conn: &mut PgConnection, draft_id: DraftId, domains: &[String]) -> QueryResult<()> {
    diesel::update(partner_drafts::table.find(draft_id))
        .set((partner_drafts::domains.eq(domains), partner_drafts::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

/// The administrator step: who is invited, and the note (checked by `PersonalNote`; "" for none).
pub fn save_admin(
    conn: &mut PgConnection,
    draft_id: DraftId,
    first: &str,
    surname: &str,
    email: &str,
    note: &str,
) -> QueryResult<()> {
    diesel::update(partner_drafts::table.find(draft_id))
        .set((
            partner_drafts::admin_first_name.eq(first),
            partner_drafts::admin_surname.eq(surname),
            partner_drafts::admin_email.eq(email),
            partner_drafts::admin_note.eq(note),
            partner_drafts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_submitted(conn: &mut PgConnection, draft_id: DraftId, partner_id: PartnerId) -> QueryResult<()> {
    diesel::update(partner_drafts::table.find(draft_id))
        .set((
            partner_drafts::submitted_partner_id.eq(partner_id),
            // The logo now lives with the partner; the draft needn't keep a copy.
            partner_drafts::logo_bytes.eq(None::<Vec<u8>>),
            partner_drafts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete(conn: &mut PgConnection, draft_id: DraftId) -> QueryResult<usize> {
    diesel::delete(partner_drafts::table.find(draft_id)).execute(conn)
}

/// Housekeeping: drafts untouched for a week are abandoned.
pub fn delete_stale(conn: &mut PgConnection) -> QueryResult<usize> {
    let before = Utc::now() - chrono::Duration::days(MAX_AGE_DAYS);
    diesel::delete(partner_drafts::table.filter(partner_drafts::updated_at.lt(before))).execute(conn)
}
