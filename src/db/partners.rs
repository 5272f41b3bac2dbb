//! Partners: the list (one statement, whatever the number of partners), lookups scoped to an
//! enterprise, domains and logos.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bool, Nullable, Text, Timestamptz},
};

use crate::db::schema::{partner_domains, partner_logos, partners};

pub const STATUS_INVITED: &str = "invited";
pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_DEACTIVATED: &str = "deactivated";

#[derive(Queryable, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = partners)]
pub struct Partner {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
    pub account_admin_user_id: Option<i64>,
}

impl Partner {
    pub fn is_deactivated(&self) -> bool {
        self.status == STATUS_DEACTIVATED
    }
}

/// One row of Settings → Partners.
#[derive(QueryableByName, Debug, Clone)]
pub struct PartnerListRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub has_logo: bool,
    #[diesel(sql_type = Text)]
    pub domains: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub admin_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub admin_email: Option<String>,
    /// True when the administrator shown has not accepted their invitation yet.
    #[diesel(sql_type = Bool)]
    pub admin_pending: bool,
    #[diesel(sql_type = BigInt)]
    pub product_count: i64,
    #[diesel(sql_type = BigInt)]
    pub api_count: i64,
}

#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Matches the name or any domain, case-insensitively.
    pub search: Option<String>,
    pub status: Option<String>,
}

fn like_pattern(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

/// Every partner of the enterprise matching the filter, with everything the list shows.
pub fn list(conn: &mut PgConnection, enterprise_id: i64, filter: &ListFilter) -> QueryResult<Vec<PartnerListRow>> {
    diesel::sql_query(
        "SELECT p.id, p.name, p.status, p.created_at,
                (l.partner_id IS NOT NULL) AS has_logo,
                COALESCE(d.domains, '') AS domains,
                COALESCE(a.first_name || ' ' || a.surname, i.first_name || ' ' || i.surname) AS admin_name,
                COALESCE(a.email, i.email) AS admin_email,
                (a.id IS NULL AND i.id IS NOT NULL) AS admin_pending,
                COALESCE(pp.n, 0) AS product_count,
                COALESCE(pa.n, 0) AS api_count
           FROM partners p
           LEFT JOIN partner_logos l ON l.partner_id = p.id
           LEFT JOIN LATERAL (
                SELECT string_agg(domain, ', ' ORDER BY domain) AS domains, bool_or(domain LIKE $2) AS hit
                  FROM partner_domains WHERE partner_id = p.id
           ) d ON true
           LEFT JOIN users a ON a.id = p.account_admin_user_id
           LEFT JOIN LATERAL (
                SELECT id, first_name, surname, email FROM invitations
                 WHERE partner_id = p.id AND for_account_admin AND status = 'pending'
                 ORDER BY created_at DESC LIMIT 1
           ) i ON true
           LEFT JOIN (SELECT partner_id, count(*) AS n FROM partner_products GROUP BY partner_id) pp
                  ON pp.partner_id = p.id
           LEFT JOIN (SELECT partner_id, count(DISTINCT api_id) AS n FROM partner_api_environments GROUP BY partner_id) pa
                  ON pa.partner_id = p.id
          WHERE p.enterprise_id = $1
            AND ($2 = '%%' OR lower(p.name) LIKE $2 OR COALESCE(d.hit, false))
            AND ($3::text IS NULL OR p.status = $3)
          ORDER BY (p.status = 'deactivated'), p.created_at DESC, p.id DESC",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<Text, _>(like_pattern(filter.search.as_deref().unwrap_or("").trim()))
    .bind::<Nullable<Text>, _>(filter.status.clone())
    .load(conn)
}

/// How many partners count toward the limit (all but deactivated ones).
pub fn count_toward_limit(conn: &mut PgConnection, enterprise_id: i64) -> QueryResult<i64> {
    partners::table
        .filter(partners::enterprise_id.eq(enterprise_id))
        .filter(partners::status.ne(STATUS_DEACTIVATED))
        .count()
        .get_result(conn)
}

/// A partner of this enterprise, or None (another tenant's partner is "not found").
pub fn find(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64) -> QueryResult<Option<Partner>> {
    partners::table
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .select(Partner::as_select())
        .first(conn)
        .optional()
}

/// Like `find`, locking the row for the rest of the transaction.
pub fn lock(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64) -> QueryResult<Option<Partner>> {
    partners::table
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .for_update()
        .select(Partner::as_select())
        .first(conn)
        .optional()
}

/// Is this name used by another partner that still counts (ignoring case)?
pub fn name_taken(conn: &mut PgConnection, enterprise_id: i64, name: &str, except: Option<i64>) -> QueryResult<bool> {
    let mut q = partners::table
        .filter(partners::enterprise_id.eq(enterprise_id))
        .filter(partners::status.ne(STATUS_DEACTIVATED))
        .filter(diesel::dsl::sql::<Bool>("lower(name) = lower(").bind::<Text, _>(name).sql(")"))
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(partners::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(q)).get_result(conn)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = partner_domains)]
pub struct PartnerDomain {
    pub id: i64,
    pub partner_id: i64,
    pub domain: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

pub fn domains(conn: &mut PgConnection, partner_id: i64) -> QueryResult<Vec<PartnerDomain>> {
    partner_domains::table
        .filter(partner_domains::partner_id.eq(partner_id))
        .order(partner_domains::domain.asc())
        .select(PartnerDomain::as_select())
        .load(conn)
}

/// The domains among `candidates` already registered to another live partner of the enterprise.
pub fn domains_taken(
    conn: &mut PgConnection,
    enterprise_id: i64,
    candidates: &[String],
    except_partner: Option<i64>,
) -> QueryResult<Vec<String>> {
    let mut q = partner_domains::table
        .filter(partner_domains::enterprise_id.eq(enterprise_id))
        .filter(partner_domains::active.eq(true))
        .filter(partner_domains::domain.eq_any(candidates))
        .select(partner_domains::domain)
        .into_boxed();
    if let Some(id) = except_partner {
        q = q.filter(partner_domains::partner_id.ne(id));
    }
    q.load(conn)
}

pub fn add_domain(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64, domain: &str) -> QueryResult<()> {
    diesel::insert_into(partner_domains::table)
        .values((
            partner_domains::partner_id.eq(partner_id),
            partner_domains::enterprise_id.eq(enterprise_id),
            partner_domains::domain.eq(domain),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn remove_domain(conn: &mut PgConnection, partner_id: i64, domain_id: i64) -> QueryResult<usize> {
    diesel::delete(
        partner_domains::table
            .filter(partner_domains::partner_id.eq(partner_id))
            .filter(partner_domains::id.eq(domain_id)),
    )
    .execute(conn)
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = partner_logos)]
pub struct StoredLogo {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub width: i32,
    pub height: i32,
    pub updated_at: DateTime<Utc>,
}

/// The logo of a partner of this enterprise (scoped: another tenant's logo is not found).
pub fn logo(conn: &mut PgConnection, enterprise_id: i64, partner_id: i64) -> QueryResult<Option<StoredLogo>> {
    partner_logos::table
        .inner_join(partners::table)
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .select(StoredLogo::as_select())
        .first(conn)
        .optional()
}

pub fn has_logo(conn: &mut PgConnection, partner_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(partner_logos::table.filter(partner_logos::partner_id.eq(partner_id))))
        .get_result(conn)
}

pub fn set_logo(
    conn: &mut PgConnection,
    partner_id: i64,
    content_type: &str,
    bytes: &[u8],
    width: i32,
    height: i32,
) -> QueryResult<()> {
    diesel::insert_into(partner_logos::table)
        .values((
            partner_logos::partner_id.eq(partner_id),
            partner_logos::content_type.eq(content_type),
            partner_logos::bytes.eq(bytes),
            partner_logos::width.eq(width),
            partner_logos::height.eq(height),
        ))
        .on_conflict(partner_logos::partner_id)
        .do_update()
        .set((
            partner_logos::content_type.eq(content_type),
            partner_logos::bytes.eq(bytes),
            partner_logos::width.eq(width),
            partner_logos::height.eq(height),
            partner_logos::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn remove_logo(conn: &mut PgConnection, partner_id: i64) -> QueryResult<usize> {
    diesel::delete(partner_logos::table.filter(partner_logos::partner_id.eq(partner_id))).execute(conn)
}

pub fn rename(conn: &mut PgConnection, partner_id: i64, name: &str) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((partners::name.eq(name), partners::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

/// How full the enterprise is: partners that count toward the limit, all partners, and the limit.
#[derive(QueryableByName, Debug, Clone, Copy)]
pub struct Usage {
    #[diesel(sql_type = BigInt)]
    pub live: i64,
    #[diesel(sql_type = BigInt)]
    pub total: i64,
    #[diesel(sql_type = BigInt)]
    pub limit: i64,
}

impl Usage {
    pub fn at_limit(&self) -> bool {
        self.live >= self.limit
    }
}

/// The enterprise's partner usage in one statement (the list page's meter and button).
pub fn usage(conn: &mut PgConnection, enterprise_id: i64) -> QueryResult<Usage> {
    diesel::sql_query(
        "SELECT count(p.id) FILTER (WHERE p.status <> 'deactivated') AS live,
                count(p.id) AS total,
                e.partner_limit::bigint AS \"limit\"
           FROM enterprises e
           LEFT JOIN partners p ON p.enterprise_id = e.id
          WHERE e.id = $1
          GROUP BY e.id",
    )
    .bind::<BigInt, _>(enterprise_id)
    .get_result(conn)
}

/// Like `find`, with when its logo was last changed (None: no logo), in one statement for
/// every partner tab.
pub fn find_with_logo(
    conn: &mut PgConnection,
    enterprise_id: i64,
    partner_id: i64,
) -> QueryResult<Option<(Partner, Option<DateTime<Utc>>)>> {
    partners::table
        .left_join(partner_logos::table)
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .select((Partner::as_select(), partner_logos::updated_at.nullable()))
        .first(conn)
        .optional()
}

/// How many products and how many distinct APIs are granted to the partner.
#[derive(QueryableByName, Debug, Clone, Copy)]
pub struct GrantCounts {
    #[diesel(sql_type = BigInt)]
    pub products: i64,
    #[diesel(sql_type = BigInt)]
    pub apis: i64,
}

pub fn grant_counts(conn: &mut PgConnection, partner_id: i64) -> QueryResult<GrantCounts> {
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM partner_products WHERE partner_id = $1) AS products,
                (SELECT count(DISTINCT api_id) FROM partner_api_environments WHERE partner_id = $1) AS apis",
    )
    .bind::<BigInt, _>(partner_id)
    .get_result(conn)
}

pub fn set_account_admin(conn: &mut PgConnection, partner_id: i64, user_id: i64) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((partners::account_admin_user_id.eq(user_id), partners::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

pub fn set_status(conn: &mut PgConnection, partner_id: i64, status: &str) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((partners::status.eq(status), partners::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

/// Deactivates the partner for good (status and date). The caller holds the row lock and
/// does the rest of the deactivation in the same transaction.
pub fn mark_deactivated(conn: &mut PgConnection, partner_id: i64) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((
            partners::status.eq(STATUS_DEACTIVATED),
            partners::deactivated_at.eq(diesel::dsl::now),
            partners::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Marks the partner's domains inactive: the unique index `partner_domains_active_per_enterprise`
/// only covers active rows, so another partner may register them again. Returns how many.
pub fn release_domains(conn: &mut PgConnection, partner_id: i64) -> QueryResult<usize> {
    diesel::update(
        partner_domains::table
            .filter(partner_domains::partner_id.eq(partner_id))
            .filter(partner_domains::active.eq(true)),
    )
    .set(partner_domains::active.eq(false))
    .execute(conn)
}
