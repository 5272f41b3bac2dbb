//! The partners list's bulk actions (SPEC §13): the selected partners with what each action
//! needs to know about them, and the rows of **Export CSV**. Every read is scoped to the
//! enterprise: an id of another enterprise is simply not found.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bool, Nullable, Text},
};

use crate::db::schema::{invitations as inv, outbox_emails, partner_groups as g, partners as p};
use crate::domain::{EnterpriseId, InvitationId, InvitationStatus, PartnerId, PartnerStatus};

/// A selected partner: its name, status and group.
#[derive(Debug, Clone)]
pub struct Selected {
    pub id: PartnerId,
    pub name: String,
    pub status: PartnerStatus,
    pub group_id: i64,
    pub group_name: String,
}

/// The enterprise's partners among `ids`, by name (ids of other enterprises are left out: the
/// caller compares the counts).
pub fn selected(conn: &mut PgConnection, enterprise_id: EnterpriseId, ids: &[PartnerId]) -> QueryResult<Vec<Selected>> {
    let rows: Vec<(PartnerId, String, PartnerStatus, i64, String)> = p::table
        .inner_join(g::table.on(g::id.eq(p::group_id).and(g::enterprise_id.eq(p::enterprise_id))))
        .filter(p::enterprise_id.eq(enterprise_id))
        .filter(p::id.eq_any(ids))
        .order((crate::db::lower(p::name), p::id))
        .select((p::id, p::name, p::status, g::id, g::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, status, group_id, group_name)| Selected { id, name, status, group_id, group_name })
        .collect())
}

/// A partner's pending account-administrator invitation.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub id: InvitationId,
    pub partner_id: PartnerId,
    pub email: String,
    /// Never emailed: made by Import partners with *Send invitation emails* off (or while the
    /// enterprise requires verified domains): no outbox row was ever written for it.
    pub held: bool,
    pub expires_at: DateTime<Utc>,
}

/// The pending account-administrator invitations of the enterprise's partners among `ids`.
pub fn open_admin_invitations(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    ids: &[PartnerId],
) -> QueryResult<Vec<OpenInvitation>> {
    let rows: Vec<(InvitationId, Option<PartnerId>, String, DateTime<Utc>)> = inv::table
        .filter(inv::enterprise_id.eq(enterprise_id))
        .filter(inv::partner_id.eq_any(ids))
        .filter(inv::for_account_admin.eq(true))
        .filter(inv::status.eq(InvitationStatus::Pending))
        .order(inv::id)
        .select((inv::id, inv::partner_id, inv::email, inv::expires_at))
        .load(conn)?;
    let invitation_ids: Vec<InvitationId> = rows.iter().map(|r| r.0).collect();
    let emailed: HashSet<InvitationId> = outbox_emails::table
        .filter(outbox_emails::invitation_id.eq_any(&invitation_ids))
        .select(outbox_emails::invitation_id)
        .load::<Option<InvitationId>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(id, partner_id, email, expires_at)| {
            Some(OpenInvitation { id, partner_id: partner_id?, email, held: !emailed.contains(&id), expires_at })
        })
        .collect())
}

/// Which partners **Export CSV** writes: the selected ones, or those the list's filter lets
/// through (every page of them).
pub enum ExportScope {
    Selected(Vec<PartnerId>),
    Filter { search: Option<String>, status: Option<PartnerStatus>, group: Option<i64>, show_ended: bool },
}

/// One row of the export.
#[derive(QueryableByName, Debug)]
pub struct ExportRow {
    #[diesel(sql_type = BigInt)]
    pub id: PartnerId,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub status: PartnerStatus,
    #[diesel(sql_type = Text)]
    pub group_name: String,
    /// "a.com, b.com".
    #[diesel(sql_type = Text)]
    pub domains: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub admin_email: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// The export's rows, by name: the filter's conditions are the list's
/// (`sql/partners_list_page_rows.sql` and its search), without the paging.
pub fn export_rows(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    scope: &ExportScope,
) -> QueryResult<Vec<ExportRow>> {
    let (ids, search, status, group, show_ended) = match scope {
        ExportScope::Selected(ids) => (Some(ids.clone()), None, None, None, true),
        ExportScope::Filter { search, status, group, show_ended } => {
            (None, search.clone(), *status, *group, *show_ended)
        }
    };
    crate::db::static_query(
        "SELECT p.id, p.name, p.status, g.name AS group_name, COALESCE(m.domains, '') AS domains,
                m.admin_email, p.created_at
           FROM partners p
           JOIN partner_groups g ON g.enterprise_id = p.enterprise_id AND g.id = p.group_id
           LEFT JOIN partner_summaries m ON m.partner_id = p.id
          WHERE p.enterprise_id = $1
            AND ($2::bigint[] IS NULL OR p.id = ANY($2))
            AND ($2::bigint[] IS NOT NULL OR $3 OR $4::text IS NOT NULL OR p.status IN ('requested', 'invited', 'applied', 'active'))
            AND ($4::text IS NULL OR p.status = $4)
            AND ($6::bigint IS NULL OR p.group_id = $6)
            AND ($5::text IS NULL
                 OR strpos(lower(p.name), lower($5)) > 0
                 OR EXISTS (SELECT 1 FROM unnest(string_to_array(m.domains, ', ')) AS d(domain)
                             WHERE strpos(lower(d.domain), lower($5)) > 0))
          ORDER BY lower(p.name), p.id",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<Nullable<Array<BigInt>>, _>(ids)
    .bind::<Bool, _>(show_ended)
    .bind::<Nullable<Text>, _>(status.map(PartnerStatus::as_str))
    .bind::<Nullable<Text>, _>(search)
    .bind::<Nullable<BigInt>, _>(group)
    .load(conn)
}
