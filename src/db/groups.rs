//! Partner groups (SPEC §12): an enterprise's groups, the partnerships in each, and each
//! group's default access. Every query is scoped by enterprise.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bool, Text, Timestamptz},
};

use crate::db::schema::{group_api_environments as ga, group_products as gp, partner_groups as g, partners as p};
use crate::domain::{ApiId, EnterpriseId, EnvironmentId, PartnerId, ProductId};

pub type Cell = (ApiId, EnvironmentId);

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = g)]
pub struct Group {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub name: String,
    pub description: String,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    /// The join link's code (SPEC §12), once one was made; `join_open` says whether it works.
    pub join_code: Option<String>,
    pub join_open: bool,
}

/// A group as the Groups page lists it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Listed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Bool)]
    pub is_default: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Partnerships in the group (deactivated ones included: they stay where they were).
    #[diesel(sql_type = BigInt)]
    pub partners: i64,
    #[diesel(sql_type = BigInt)]
    pub default_products: i64,
    #[diesel(sql_type = BigInt)]
    pub default_cells: i64,
}

/// The enterprise's groups, the default first, then by name; one statement.
pub fn list(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Listed>> {
    crate::db::static_query(
        "SELECT g.id, g.name, g.description, g.is_default, g.created_at,
                (SELECT count(*) FROM partners p WHERE p.enterprise_id = g.enterprise_id AND p.group_id = g.id) AS partners,
                (SELECT count(*) FROM group_products x WHERE x.enterprise_id = g.enterprise_id AND x.group_id = g.id) AS default_products,
                (SELECT count(*) FROM group_api_environments x WHERE x.enterprise_id = g.enterprise_id AND x.group_id = g.id) AS default_cells
           FROM partner_groups g
          WHERE g.enterprise_id = $1
          ORDER BY g.is_default DESC, lower(g.name), g.id",
    )
    .bind::<BigInt, _>(enterprise_id)
    .load(conn)
}

pub fn find(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<Option<Group>> {
    g::table
        .filter(g::enterprise_id.eq(enterprise_id))
        .filter(g::id.eq(id))
        .select(Group::as_select())
        .first(conn)
        .optional()
}

/// The group, row-locked for a change.
pub fn lock(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<Option<Group>> {
    g::table
        .filter(g::enterprise_id.eq(enterprise_id))
        .filter(g::id.eq(id))
        .for_update()
        .select(Group::as_select())
        .first(conn)
        .optional()
}

/// Is the name taken by another group of the enterprise (compared without case)?
pub fn name_taken(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    name: &str,
    except: Option<i64>,
) -> QueryResult<bool> {
    let ids: Vec<i64> = g::table
        .filter(g::enterprise_id.eq(enterprise_id))
        .filter(crate::db::lower(g::name).eq(name.to_lowercase()))
        .select(g::id)
        .load(conn)?;
    Ok(ids.iter().any(|id| Some(*id) != except))
}

pub fn insert(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    name: &str,
    description: &str,
) -> QueryResult<Group> {
    diesel::insert_into(g::table)
        .values((g::enterprise_id.eq(enterprise_id), g::name.eq(name), g::description.eq(description)))
        .returning(Group::as_returning())
        .get_result(conn)
}

pub fn update(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    name: &str,
    description: &str,
) -> QueryResult<usize> {
    diesel::update(g::table.filter(g::enterprise_id.eq(enterprise_id)).filter(g::id.eq(id)))
        .set((g::name.eq(name), g::description.eq(description)))
        .execute(conn)
}

pub fn delete(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<usize> {
    diesel::delete(
        g::table.filter(g::enterprise_id.eq(enterprise_id)).filter(g::id.eq(id)).filter(g::is_default.eq(false)),
    )
    .execute(conn)
}

/// The names of the partnerships in the group, by name.
pub fn partner_names(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
) -> QueryResult<Vec<(PartnerId, String)>> {
    p::table
        .filter(p::enterprise_id.eq(enterprise_id))
        .filter(p::group_id.eq(id))
        .order((crate::db::lower(p::name), p::id))
        .select((p::id, p::name))
        .load(conn)
}

pub fn default_products(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
) -> QueryResult<BTreeSet<ProductId>> {
    Ok(gp::table
        .filter(gp::enterprise_id.eq(enterprise_id))
        .filter(gp::group_id.eq(id))
        .select(gp::product_id)
        .load::<ProductId>(conn)?
        .into_iter()
        .collect())
}

pub fn default_cells(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<BTreeSet<Cell>> {
    Ok(ga::table
        .filter(ga::enterprise_id.eq(enterprise_id))
        .filter(ga::group_id.eq(id))
        .select((ga::api_id, ga::environment_id))
        .load::<Cell>(conn)?
        .into_iter()
        .collect())
}

/// Replaces the group's default access.
pub fn set_default_access(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    products: &BTreeSet<ProductId>,
    cells: &BTreeSet<Cell>,
) -> QueryResult<()> {
    diesel::delete(gp::table.filter(gp::enterprise_id.eq(enterprise_id)).filter(gp::group_id.eq(id))).execute(conn)?;
    diesel::delete(ga::table.filter(ga::enterprise_id.eq(enterprise_id)).filter(ga::group_id.eq(id))).execute(conn)?;
    let rows: Vec<_> = products
        .iter()
        .map(|pid| (gp::enterprise_id.eq(enterprise_id), gp::group_id.eq(id), gp::product_id.eq(*pid)))
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(gp::table).values(&rows).execute(conn)?;
    }
    let rows: Vec<_> = cells
        .iter()
        .map(|(a, e)| {
            (ga::enterprise_id.eq(enterprise_id), ga::group_id.eq(id), ga::api_id.eq(*a), ga::environment_id.eq(*e))
        })
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(ga::table).values(&rows).execute(conn)?;
    }
    Ok(())
}

/// The partnership's group id.
pub fn of_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<i64>> {
    p::table
        .filter(p::enterprise_id.eq(enterprise_id))
        .filter(p::id.eq(partner_id))
        .select(p::group_id)
        .first(conn)
        .optional()
}

pub fn move_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    group_id: i64,
) -> QueryResult<usize> {
    diesel::update(p::table.filter(p::enterprise_id.eq(enterprise_id)).filter(p::id.eq(partner_id)))
        .set(p::group_id.eq(group_id))
        .execute(conn)
}

/// The enterprise's default group.
pub fn default_group(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Group> {
    g::table
        .filter(g::enterprise_id.eq(enterprise_id))
        .filter(g::is_default.eq(true))
        .select(Group::as_select())
        .first(conn)
}
