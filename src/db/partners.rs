//! Partners: the list (one statement, whatever the number of partners), lookups scoped to an
//! enterprise, domains and logos.

use crate::domain::{DomainId, DraftId, EndedBy, EnterpriseId, InvitationId, OrganisationId, PartnerId, UserId};
use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bool, Nullable, Text, Timestamptz},
};

use crate::db::schema::{partner_domains, partner_logos, partners};
use crate::domain::{InvitationStatus, PartnerStatus};

#[derive(Queryable, QueryableByName, Selectable, Identifiable, Debug, Clone)]
#[diesel(table_name = partners)]
pub struct Partner {
    pub id: PartnerId,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub status: PartnerStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
    pub created_by: Option<UserId>,
    pub account_admin_user_id: Option<UserId>,
    pub organisation_id: OrganisationId,
    pub ended_by: Option<EndedBy>,
    /// Who sent the connection request, for a partnership made by Partner ID.
    pub requested_by: Option<UserId>,
}

/// The statuses that count toward the limit and keep a partnership's name and domains.
pub const LIVE: [PartnerStatus; 4] =
    [PartnerStatus::Requested, PartnerStatus::Invited, PartnerStatus::Applied, PartnerStatus::Active];

impl Partner {
    /// Ended for good (deactivated by either side, or a declined request): read-only.
    pub fn is_deactivated(&self) -> bool {
        !self.status.is_live()
    }
}

/// One row of Settings → Partners.
#[derive(QueryableByName, Debug, Clone)]
pub struct PartnerListRow {
    #[diesel(sql_type = BigInt)]
    pub id: PartnerId,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub status: PartnerStatus,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub has_logo: bool,
    /// When the logo was last saved: its URL's version, as on the partner page.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub logo_updated_at: Option<DateTime<Utc>>,
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
    /// The partner organisation's public Partner ID (SPEC §11).
    #[diesel(sql_type = Text)]
    pub partner_code: String,
}

/// How Settings → Partners is sorted: by name, status or registration date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListSort {
    Name,
    Status,
    /// Newest first by default: the list's order before it could be sorted.
    #[default]
    Created,
}

impl ListSort {
    /// The value in the URL (`?sort=name`) and in the statement.
    pub const fn as_str(self) -> &'static str {
        match self {
            ListSort::Name => "name",
            ListSort::Status => "status",
            ListSort::Created => "created",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [ListSort::Name, ListSort::Status, ListSort::Created].into_iter().find(|s| s.as_str() == value)
    }

    /// The direction a header link sorts in first: A–Z, but the newest first.
    pub const fn default_ascending(self) -> bool {
        !matches!(self, ListSort::Created)
    }
}

/// Which partners Settings → Partners lists, in which order, and which page of them.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Matches the name or any one domain, case-insensitively, anywhere in them.
    pub search: Option<String>,
    /// Only this status (an ended status included, whatever `show_ended` says).
    pub status: Option<PartnerStatus>,
    /// Deactivated and declined partners are listed too (after the live ones).
    pub show_ended: bool,
    /// Only the partners in this group (`partner_groups.id`; another enterprise's matches none).
    pub group: Option<i64>,
    pub sort: ListSort,
    pub ascending: bool,
    /// 1-based, of `LIST_PAGE_SIZE` partners; a page past the end is answered with the last.
    pub page: u32,
}

/// One row of the list statement: the enterprise's limit and the admin's unfinished draft on
/// every row, and a partner (absent when the enterprise has none: the row is still there).
/// Loaded by position: the fields are in the statement's column order (`ListPageColumns`).
#[derive(Queryable, Debug)]
struct ListPageRow {
    partner_limit: i64,
    draft_id: Option<DraftId>,
    draft_name: Option<String>,
    live: i64,
    total: i64,
    matched: i64,
    id: Option<PartnerId>,
    name: Option<String>,
    status: Option<PartnerStatus>,
    created_at: Option<DateTime<Utc>>,
    has_logo: Option<bool>,
    logo_updated_at: Option<DateTime<Utc>>,
    domains: Option<String>,
    admin_name: Option<String>,
    admin_email: Option<String>,
    admin_pending: Option<bool>,
    product_count: Option<i64>,
    api_count: Option<i64>,
    partner_code: Option<String>,
    group_options: Option<String>,
}

/// The list statement's columns, in order (see `sql/partners_list_page.sql`).
type ListPageColumns = (
    BigInt,
    Nullable<BigInt>,
    Nullable<Text>,
    BigInt,
    BigInt,
    BigInt,
    Nullable<BigInt>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Timestamptz>,
    Nullable<Bool>,
    Nullable<Timestamptz>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Text>,
    Nullable<Bool>,
    Nullable<BigInt>,
    Nullable<BigInt>,
    Nullable<Text>,
    Nullable<Text>,
);

/// What Settings → Partners shows.
pub struct ListPage {
    /// One page of the partners the filter lets through.
    pub rows: Vec<PartnerListRow>,
    /// How many partners the filter lets through, on every page.
    pub matched: i64,
    /// The page shown: the one asked for, or the last one when that was past the end.
    pub page: u32,
    pub usage: Usage,
    /// The admin's latest unfinished registration: (draft id, partner name so far).
    pub draft: Option<(DraftId, String)>,
    /// The enterprise's groups (id, name), the default first: the Group filter's choices.
    pub groups: Vec<(i64, String)>,
}

/// Everything Settings → Partners shows, in one statement: one page of the partners the filter
/// lets through, with their domains, administrator (or pending administrator invitation) and
/// grant counts, and how many it lets through (counted in the same statement, so the total and the page
/// can't disagree); the usage meter's counts over all the enterprise's partners; its limit; the
/// admin's unfinished draft. Filtering, sorting and paging happen in the statement, so a
/// page reads the summaries of its own rows only, however many partners there are.
///
/// Domains, grant counts, the logo flag and the administrator come from `partner_summaries`,
/// which triggers keep current (migrations 000005 and 000006): aggregating the child tables
/// and joining the administrators here on every view cost the database most of this statement.
pub fn list_page(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    user_id: UserId,
    filter: &ListFilter,
) -> QueryResult<ListPage> {
    let page_size = LIST_PAGE_SIZE;
    let offset = i64::from(filter.page.max(1) - 1) * i64::from(page_size);
    let search = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let rows: Vec<ListPageRow> =
        crate::db::static_query(list_page_sql(filter.sort, filter.ascending, search.is_some(), filter.group.is_some()))
            .bind::<BigInt, _>(enterprise_id)
            .bind::<BigInt, _>(user_id)
            .bind::<Bool, _>(filter.show_ended)
            .bind::<Nullable<Text>, _>(filter.status.map(PartnerStatus::as_str))
            .bind::<Nullable<Text>, _>(search)
            .bind::<BigInt, _>(offset)
            .bind::<BigInt, _>(i64::from(page_size))
            .bind::<Nullable<BigInt>, _>(filter.group)
            .typed::<ListPageColumns>()
            .load(conn)?;
    let first = rows.first().ok_or(diesel::result::Error::NotFound)?;
    let usage = Usage { live: first.live, total: first.total, limit: first.partner_limit };
    let matched = first.matched;
    let draft = first.draft_id.map(|id| (id, first.draft_name.clone().unwrap_or_default()));
    let groups = first
        .group_options
        .as_deref()
        .map(serde_json::from_str::<Vec<(i64, String)>>)
        .transpose()
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?
        .unwrap_or_default();
    let rows = rows
        .into_iter()
        .filter_map(|r| {
            Some(PartnerListRow {
                id: r.id?,
                name: r.name?,
                status: r.status?,
                created_at: r.created_at?,
                has_logo: r.has_logo.unwrap_or(false),
                logo_updated_at: r.logo_updated_at,
                domains: r.domains.unwrap_or_default(),
                admin_name: r.admin_name,
                admin_email: r.admin_email,
                admin_pending: r.admin_pending.unwrap_or(false),
                product_count: r.product_count.unwrap_or(0),
                api_count: r.api_count.unwrap_or(0),
                partner_code: r.partner_code.unwrap_or_default(),
            })
        })
        .collect();
    Ok(ListPage { rows, matched, page: page_shown(filter.page.max(1), matched, page_size), usage, draft, groups })
}

/// The list statement with `$search` as the search condition, `$counts` as its counts and
/// `$keys` as the page's order; see the comment in `sql/partners_list_page.sql`.
macro_rules! list_page_sql {
    ($search:expr, $counts:expr, $keys:literal) => {
        concat!(
            include_str!("sql/partners_list_page.sql"),
            $counts,
            include_str!("sql/partners_list_page_rows.sql"),
            $search,
            "        ORDER BY ",
            $keys,
            // A literal (LIST_PAGE_SIZE): with `LIMIT $7` the generic plan guessed 50 rows, cost
            // twice the custom plans, and PostgreSQL re-planned the statement on every view.
            "\n        LIMIT 25 OFFSET LEAST($6, GREATEST(c.matched - 1, 0) / $7 * $7)\n",
            include_str!("sql/partners_list_page_tail.sql"),
            // The rows come out of the nested loops in the page's order, but only an ORDER BY
            // promises it (a sort of at most 25 rows).
            " ORDER BY ",
            $keys,
            "\n",
        )
    };
}

/// Partners per page of Settings → Partners: the `LIMIT` of the list statements.
pub const LIST_PAGE_SIZE: u32 = 25;

/// The search: the name or one domain (never across two) contains $5, in any case.
macro_rules! searched {
    () => {
        "        AND (strpos(lower(p.name), lower($5)) > 0
             OR EXISTS (SELECT 1 FROM partner_summaries ms, unnest(string_to_array(ms.domains, ', ')) AS d(domain)
                         WHERE ms.partner_id = p.id AND strpos(lower(d.domain), lower($5)) > 0))\n"
    };
}

/// A search's counts: the partners it matches, counted.
macro_rules! searched_counts {
    () => {
        concat!(
            include_str!("sql/partners_list_page_counted.sql"),
            searched!(),
            include_str!("sql/partners_list_page_matched.sql")
        )
    };
}

/// No search ($5 is NULL: the condition is decided before any row is read).
macro_rules! unsearched {
    () => {
        "        AND $5::text IS NULL\n"
    };
}

/// A group but no search: the counts of one pass over the partners (`partner_status_counts`
/// has no group), with the group condition that every counted variant carries.
macro_rules! grouped_counts {
    () => {
        concat!(
            include_str!("sql/partners_list_page_counted.sql"),
            unsearched!(),
            include_str!("sql/partners_list_page_matched.sql")
        )
    };
}

/// Without a search or a group, the counts kept per status (`partner_status_counts`).
macro_rules! unsearched_counts {
    () => {
        include_str!("sql/partners_list_page_kept.sql")
    };
}

/// The six orders, live partners always first; each with and without a search.
macro_rules! list_page_sqls {
    ($search:ident, $counts:ident, $sort:expr, $ascending:expr) => {
        match ($sort, $ascending) {
            (ListSort::Created, false) => list_page_sql!(
                $search!(),
                $counts!(),
                "p.status IN ('deactivated', 'declined'), p.created_at DESC, p.id DESC"
            ),
            (ListSort::Created, true) => {
                list_page_sql!($search!(), $counts!(), "p.status IN ('deactivated', 'declined'), p.created_at, p.id")
            }
            (ListSort::Name, true) => {
                list_page_sql!($search!(), $counts!(), "p.status IN ('deactivated', 'declined'), lower(p.name), p.id")
            }
            (ListSort::Name, false) => list_page_sql!(
                $search!(),
                $counts!(),
                "p.status IN ('deactivated', 'declined'), lower(p.name) DESC, p.id DESC"
            ),
            (ListSort::Status, true) => list_page_sql!(
                $search!(),
                $counts!(),
                "p.status IN ('deactivated', 'declined'), p.status, p.created_at DESC, p.id DESC"
            ),
            (ListSort::Status, false) => list_page_sql!(
                $search!(),
                $counts!(),
                "p.status IN ('deactivated', 'declined'), p.status DESC, p.created_at DESC, p.id DESC"
            ),
        }
    };
}

/// One static statement per sort and per search, group or neither.
fn list_page_sql(sort: ListSort, ascending: bool, search: bool, group: bool) -> &'static str {
    if search {
        list_page_sqls!(searched, searched_counts, sort, ascending)
    } else if group {
        list_page_sqls!(unsearched, grouped_counts, sort, ascending)
    } else {
        list_page_sqls!(unsearched, unsearched_counts, sort, ascending)
    }
}

/// The page the statement answers with: the one asked for, or the last when that is past the
/// end (the statement clamps its offset the same way).
pub fn page_shown(asked: u32, matched: i64, page_size: u32) -> u32 {
    let pages = if matched <= 0 { 1 } else { (matched - 1) / i64::from(page_size.max(1)) + 1 };
    asked.min(u32::try_from(pages).unwrap_or(u32::MAX))
}

/// How many partners count toward the limit (live ones: requested, invited, applied, active).
pub fn count_toward_limit(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<i64> {
    partners::table
        .filter(partners::enterprise_id.eq(enterprise_id))
        .filter(partners::status.eq_any(LIVE))
        .count()
        .get_result(conn)
}

/// A partner of this enterprise, or None (another tenant's partner is "not found").
pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<Partner>> {
    partners::table
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .select(Partner::as_select())
        .first(conn)
        .optional()
}

/// Like `find`, locking the row for the rest of the transaction.
pub fn lock(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<Partner>> {
    partners::table
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .for_update()
        .select(Partner::as_select())
        .first(conn)
        .optional()
}

/// Is this name used by another partner that still counts (ignoring case)?
pub fn name_taken(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    name: &str,
    except: Option<PartnerId>,
) -> QueryResult<bool> {
    let mut q = partners::table
        .filter(partners::enterprise_id.eq(enterprise_id))
        .filter(partners::status.eq_any(LIVE))
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
    pub id: DomainId,
    pub partner_id: PartnerId,
    pub domain: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

pub fn domains(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<PartnerDomain>> {
    partner_domains::table
        .filter(partner_domains::partner_id.eq(partner_id))
        .order(partner_domains::domain.asc())
        .select(PartnerDomain::as_select())
        .load(conn)
}

/// The domains among `candidates` already registered to another live partner of the enterprise.
pub fn domains_taken(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    candidates: &[String],
    except_partner: Option<PartnerId>,
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

pub fn add_domain(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    domain: &str,
) -> QueryResult<()> {
    diesel::insert_into(partner_domains::table)
        .values((
            partner_domains::partner_id.eq(partner_id),
            partner_domains::enterprise_id.eq(enterprise_id),
            partner_domains::domain.eq(domain),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn remove_domain(conn: &mut PgConnection, partner_id: PartnerId, domain_id: DomainId) -> QueryResult<usize> {
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
pub fn logo(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<StoredLogo>> {
    partner_logos::table
        .inner_join(partners::table)
        .filter(partners::id.eq(partner_id))
        .filter(partners::enterprise_id.eq(enterprise_id))
        .select(StoredLogo::as_select())
        .first(conn)
        .optional()
}

pub fn has_logo(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(partner_logos::table.filter(partner_logos::partner_id.eq(partner_id))))
        .get_result(conn)
}

pub fn set_logo(
    conn: &mut PgConnection,
    partner_id: PartnerId,
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

pub fn remove_logo(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<usize> {
    diesel::delete(partner_logos::table.filter(partner_logos::partner_id.eq(partner_id))).execute(conn)
}

pub fn rename(conn: &mut PgConnection, partner_id: PartnerId, name: &str) -> QueryResult<()> {
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
pub fn usage(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Usage> {
    crate::db::static_query(
        "SELECT count(p.id) FILTER (WHERE p.status IN ('requested', 'invited', 'applied', 'active')) AS live,
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
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
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
#[derive(Debug, Clone, Copy)]
pub struct GrantCounts {
    pub products: i64,
    pub apis: i64,
}

pub fn set_account_admin(conn: &mut PgConnection, partner_id: PartnerId, user_id: UserId) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((partners::account_admin_user_id.eq(user_id), partners::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

pub fn set_status(conn: &mut PgConnection, partner_id: PartnerId, status: PartnerStatus) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((partners::status.eq(status), partners::updated_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(|_| ())
}

/// Deactivates the partner for good (status, date, which side). The caller holds the row lock
/// and does the rest of the deactivation in the same transaction.
pub fn mark_deactivated(conn: &mut PgConnection, partner_id: PartnerId, by: EndedBy) -> QueryResult<()> {
    diesel::update(partners::table.find(partner_id))
        .set((
            partners::status.eq(PartnerStatus::Deactivated),
            partners::ended_by.eq(by),
            partners::deactivated_at.eq(diesel::dsl::now),
            partners::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Marks the partner's domains inactive: the unique index `partner_domains_active_per_enterprise`
/// only covers active rows, so another partner may register them again. Returns how many.
pub fn release_domains(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<usize> {
    diesel::update(
        partner_domains::table
            .filter(partner_domains::partner_id.eq(partner_id))
            .filter(partner_domains::active.eq(true)),
    )
    .set(partner_domains::active.eq(false))
    .execute(conn)
}

/// Everything a partner's General tab shows, in one statement (it took seven): the partner and
/// its logo date, its domains, its account administrator, its grant counts, the latest
/// administrator invitation and that invitation's latest email.
#[derive(QueryableByName, Debug)]
pub struct GeneralRow {
    #[diesel(sql_type = BigInt)]
    id: PartnerId,
    #[diesel(sql_type = BigInt)]
    enterprise_id: EnterpriseId,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    status: PartnerStatus,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    deactivated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    created_by: Option<UserId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    account_admin_user_id: Option<UserId>,
    #[diesel(sql_type = BigInt)]
    organisation_id: OrganisationId,
    #[diesel(sql_type = Nullable<Text>)]
    ended_by: Option<EndedBy>,
    #[diesel(sql_type = Nullable<BigInt>)]
    requested_by: Option<UserId>,
    #[diesel(sql_type = Text)]
    partner_code: String,
    #[diesel(sql_type = BigInt)]
    group_id: i64,
    #[diesel(sql_type = Text)]
    group_name: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    logo_updated_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Array<BigInt>)]
    domain_ids: Vec<DomainId>,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    domain_names: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Array<Text>)]
    domain_tokens: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Array<Nullable<Timestamptz>>)]
    domain_verified_at: Vec<Option<DateTime<Utc>>>,
    #[diesel(sql_type = diesel::sql_types::Array<Nullable<Timestamptz>>)]
    domain_checked_at: Vec<Option<DateTime<Utc>>>,
    #[diesel(sql_type = diesel::sql_types::Array<Nullable<Text>>)]
    domain_check_errors: Vec<Option<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    admin_first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    admin_surname: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    admin_email: Option<String>,
    #[diesel(sql_type = BigInt)]
    product_count: i64,
    #[diesel(sql_type = BigInt)]
    api_count: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    inv_id: Option<InvitationId>,
    #[diesel(sql_type = Nullable<Text>)]
    inv_email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    inv_first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    inv_surname: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    inv_role: Option<crate::domain::UserRole>,
    #[diesel(sql_type = Nullable<Text>)]
    inv_status: Option<InvitationStatus>,
    #[diesel(sql_type = Nullable<BigInt>)]
    inv_invited_by: Option<UserId>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    inv_created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    inv_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    inv_accepted_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    inv_revoked_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    inv_accepted_user_id: Option<UserId>,
    #[diesel(sql_type = Nullable<Text>)]
    inv_note: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    enterprise_note: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    mail_status: Option<crate::domain::EmailStatus>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Integer>)]
    mail_attempts: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    mail_last_error: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    mail_sent_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    mail_created_at: Option<DateTime<Utc>>,
}

/// [`GeneralRow`] taken apart.
pub struct General {
    pub partner: Partner,
    /// The partner organisation's public Partner ID.
    pub partner_code: String,
    /// Its group (SPEC §12): id and name.
    pub group: (i64, String),
    pub logo_updated_at: Option<DateTime<Utc>>,
    /// The domains with their verification state, by domain.
    pub domains: Vec<GeneralDomain>,
    /// The account administrator (first name, surname, email), if still a user of the partner.
    pub admin: Option<(String, String, String)>,
    pub grants: GrantCounts,
    /// The latest administrator invitation.
    pub latest_admin_invitation: Option<crate::db::invitations::Invitation>,
    /// The latest email of that invitation.
    pub delivery: Option<crate::db::outbox::Delivery>,
    /// The enterprise's default *Personal note*, which pre-fills the administrator form.
    pub enterprise_note: Option<String>,
}

/// A domain as General (and the partner's own Partner profile) shows it: its name and its
/// verification (SPEC §17).
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = partner_domains)]
pub struct GeneralDomain {
    pub id: DomainId,
    pub domain: String,
    pub verification_token: String,
    pub verified_at: Option<DateTime<Utc>>,
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Why the last check did not find the value.
    pub last_check_error: Option<String>,
}

/// The General tab's data for a partner of this enterprise (None: not found).
pub fn general(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<General>> {
    let row: Option<GeneralRow> = crate::db::static_query(include_str!("sql/partners_general.sql"))
        .bind::<BigInt, _>(enterprise_id)
        .bind::<BigInt, _>(partner_id)
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| {
        let latest_admin_invitation = match (r.inv_id, r.inv_created_at, r.inv_expires_at) {
            (Some(id), Some(created_at), Some(expires_at)) => Some(crate::db::invitations::Invitation {
                id,
                enterprise_id: r.enterprise_id,
                partner_id: Some(r.id),
                email: r.inv_email.unwrap_or_default(),
                first_name: r.inv_first_name.unwrap_or_default(),
                surname: r.inv_surname.unwrap_or_default(),
                role: r.inv_role.unwrap_or(crate::domain::UserRole::Admin),
                for_account_admin: true,
                status: r.inv_status.unwrap_or(InvitationStatus::Pending),
                invited_by: r.inv_invited_by,
                created_at,
                expires_at,
                accepted_at: r.inv_accepted_at,
                revoked_at: r.inv_revoked_at,
                accepted_user_id: r.inv_accepted_user_id,
                note: r.inv_note,
            }),
            _ => None,
        };
        let delivery = match (r.mail_status, r.mail_attempts, r.mail_created_at) {
            (Some(status), Some(attempts), Some(created_at)) => Some(crate::db::outbox::Delivery {
                status,
                attempts,
                last_error: r.mail_last_error,
                sent_at: r.mail_sent_at,
                created_at,
            }),
            _ => None,
        };
        let admin = match (r.admin_first_name, r.admin_surname, r.admin_email) {
            (Some(first), Some(surname), Some(email)) => Some((first, surname, email)),
            _ => None,
        };
        General {
            partner: Partner {
                id: r.id,
                enterprise_id: r.enterprise_id,
                name: r.name,
                status: r.status,
                created_at: r.created_at,
                updated_at: r.updated_at,
                deactivated_at: r.deactivated_at,
                created_by: r.created_by,
                account_admin_user_id: r.account_admin_user_id,
                organisation_id: r.organisation_id,
                ended_by: r.ended_by,
                requested_by: r.requested_by,
            },
            partner_code: r.partner_code,
            group: (r.group_id, r.group_name),
            logo_updated_at: r.logo_updated_at,
            domains: r
                .domain_ids
                .into_iter()
                .zip(r.domain_names)
                .zip(r.domain_tokens)
                .zip(r.domain_verified_at)
                .zip(r.domain_checked_at)
                .zip(r.domain_check_errors)
                .map(|(((((id, domain), verification_token), verified_at), last_checked_at), last_check_error)| {
                    GeneralDomain { id, domain, verification_token, verified_at, last_checked_at, last_check_error }
                })
                .collect(),
            admin,
            grants: GrantCounts { products: r.product_count, apis: r.api_count },
            latest_admin_invitation,
            delivery,
            enterprise_note: r.enterprise_note,
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_past_the_end_is_the_last_page() {
        assert_eq!(page_shown(1, 0, 25), 1, "no partners: page 1, empty");
        assert_eq!(page_shown(2, 50, 25), 2);
        assert_eq!(page_shown(3, 50, 25), 2);
        assert_eq!(page_shown(3, 51, 25), 3);
        assert_eq!(page_shown(u32::MAX, 500, 25), 20);
    }

    #[test]
    fn every_list_statement_pages_by_list_page_size() {
        for sort in [ListSort::Name, ListSort::Status, ListSort::Created] {
            for (ascending, search, group) in
                [(true, true, false), (true, false, false), (false, true, true), (false, false, true)]
            {
                let sql = list_page_sql(sort, ascending, search, group);
                assert!(sql.contains(&format!("LIMIT {LIST_PAGE_SIZE} OFFSET")), "{sort:?}");
                assert_eq!(sql.contains("strpos(lower(p.name), lower($5))"), search);
                // The kept counts have no group: a group filter counts the partners it lets through.
                assert_eq!(sql.contains("FROM partner_status_counts"), !search && !group, "{sort:?} {group}");
            }
        }
    }

    #[test]
    fn sorts_parse_from_their_url_value_only() {
        assert_eq!(ListSort::parse("name"), Some(ListSort::Name));
        assert_eq!(ListSort::parse("created"), Some(ListSort::Created));
        assert_eq!(ListSort::parse("Name"), None);
        assert_eq!(ListSort::parse("id; drop"), None);
    }
}
