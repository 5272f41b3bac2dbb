//! What a partner was granted: products (`partner_products`) and APIs per environment
//! (`partner_api_environments`), with the catalog rows the grant pages offer and check.
//!
//! Every function is scoped by enterprise or by a partner id the caller already scoped; the
//! grant and revoke flows (in `routes::partners::grants_*`) run them inside a transaction
//! that holds the partner row lock. Each grant added or removed queues its webhook
//! (`grant.added`, `grant.removed`) in that same transaction, whoever the caller is.

use crate::domain::{expiry, ApiId, EnterpriseId, EnvironmentId, PartnerId, ProductId, UserId, WebhookEvent};
use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    dsl::{exists, sql},
    prelude::*,
    sql_types::Text,
    PgTextExpressionMethods,
};

use crate::db::schema::{api_environments, apis, environments, partner_api_environments, partner_products, products};

// ---- products ------------------------------------------------------------------------------

/// A product granted to a partner, as the Products tab shows it.
#[derive(Queryable, Debug, Clone)]
pub struct GrantedProduct {
    pub product_id: ProductId,
    pub name: String,
    pub description: String,
    pub archived_at: Option<DateTime<Utc>>,
    pub granted_at: DateTime<Utc>,
    pub expires_on: Option<NaiveDate>,
}

pub fn granted_products(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<GrantedProduct>> {
    partner_products::table
        .inner_join(products::table)
        .filter(partner_products::partner_id.eq(partner_id))
        .order((sql::<Text>("lower(products.name)"), products::id.asc()))
        .select((
            products::id,
            products::name,
            products::description,
            products::archived_at,
            partner_products::granted_at,
            partner_products::expires_on,
        ))
        .load(conn)
}

/// A catalog product (of the enterprise that asked).
#[derive(Queryable, Debug, Clone)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub description: String,
    pub archived_at: Option<DateTime<Utc>>,
}

/// `%text%` for ILIKE, with the wildcards of the text itself escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// The enterprise's products that can still be granted to the partner: not archived, not
/// granted yet, matching `search` (name or description, ignoring case) when it isn't empty.
pub fn grantable_products(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    search: &str,
) -> QueryResult<Vec<Product>> {
    let granted = partner_products::table
        .filter(partner_products::partner_id.eq(partner_id))
        .filter(partner_products::product_id.eq(products::id));
    let mut q = products::table
        .filter(products::enterprise_id.eq(enterprise_id))
        .filter(products::archived_at.is_null())
        .filter(diesel::dsl::not(exists(granted)))
        .into_boxed();
    if !search.is_empty() {
        let pattern = contains_pattern(search);
        q = q.filter(products::name.ilike(pattern.clone()).or(products::description.ilike(pattern)));
    }
    q.order((sql::<Text>("lower(products.name)"), products::id.asc()))
        .select((products::id, products::name, products::description, products::archived_at))
        .load(conn)
}

/// The enterprise's products among `ids`, share-locked so that archiving one of them waits
/// until the grant that checked it has committed. Other tenants' ids are simply absent.
pub fn lock_products(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    ids: &BTreeSet<ProductId>,
) -> QueryResult<Vec<Product>> {
    products::table
        .filter(products::enterprise_id.eq(enterprise_id))
        .filter(products::id.eq_any(ids.iter().copied().collect::<Vec<_>>()))
        .order(products::id.asc())
        .for_share()
        .select((products::id, products::name, products::description, products::archived_at))
        .load(conn)
}

pub fn find_product(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: ProductId,
) -> QueryResult<Option<Product>> {
    products::table
        .filter(products::enterprise_id.eq(enterprise_id))
        .filter(products::id.eq(id))
        .select((products::id, products::name, products::description, products::archived_at))
        .first(conn)
        .optional()
}

/// When a grant ends (SPEC §15): the day the admin chose and the moment it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    pub on: NaiveDate,
    pub at: DateTime<Utc>,
}

impl Expiry {
    pub fn new(on: NaiveDate, zone: crate::domain::TimeZone) -> Self {
        Expiry { on, at: expiry::ends_at(on, zone) }
    }

    /// The schedule's first step: the first reminder, or the end.
    fn first_action(self) -> DateTime<Utc> {
        expiry::next_action(self.at, None)
    }
}

/// Grants the product, until `expiry` when given; false when it was already granted
/// (nothing changes).
pub fn grant_product(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    product_id: ProductId,
    granted_by: Option<UserId>,
    expiry: Option<Expiry>,
) -> QueryResult<bool> {
    let n = diesel::insert_into(partner_products::table)
        .values((
            partner_products::partner_id.eq(partner_id),
            partner_products::product_id.eq(product_id),
            partner_products::granted_by.eq(granted_by),
            partner_products::expires_on.eq(expiry.map(|e| e.on)),
            partner_products::expires_at.eq(expiry.map(|e| e.at)),
            partner_products::next_action_at.eq(expiry.map(Expiry::first_action)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if n == 1 {
        let data =
            serde_json::json!({ "grant": "product", "product_id": product_id, "expires_on": expiry.map(|e| e.on) });
        crate::webhooks::emit_for_partner(conn, partner_id, WebhookEvent::GrantAdded, data)?;
    }
    Ok(n == 1)
}

/// Revokes the product; false when it wasn't granted.
pub fn revoke_product(conn: &mut PgConnection, partner_id: PartnerId, product_id: ProductId) -> QueryResult<bool> {
    let n = diesel::delete(
        partner_products::table
            .filter(partner_products::partner_id.eq(partner_id))
            .filter(partner_products::product_id.eq(product_id)),
    )
    .execute(conn)?;
    if n == 1 {
        let data = serde_json::json!({ "grant": "product", "product_id": product_id, "reason": "revoked" });
        crate::webhooks::emit_for_partner(conn, partner_id, WebhookEvent::GrantRemoved, data)?;
    }
    Ok(n == 1)
}

// ---- environments and APIs ----------------------------------------------------------------

#[derive(Queryable, Debug, Clone)]
pub struct Environment {
    pub id: EnvironmentId,
    pub name: String,
    /// New grants here wait for a second Enterprise admin's approval (SPEC §15).
    pub requires_approval: bool,
}

/// The enterprise's environments in their display order.
pub fn environments(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Environment>> {
    environments::table
        .filter(environments::enterprise_id.eq(enterprise_id))
        .order((environments::position.asc(), environments::name.asc(), environments::id.asc()))
        .select((environments::id, environments::name, environments::requires_approval))
        .load(conn)
}

pub fn find_environment(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: EnvironmentId,
) -> QueryResult<Option<Environment>> {
    environments::table
        .filter(environments::enterprise_id.eq(enterprise_id))
        .filter(environments::id.eq(id))
        .select((environments::id, environments::name, environments::requires_approval))
        .first(conn)
        .optional()
}

#[derive(Queryable, Debug, Clone)]
pub struct Api {
    pub id: ApiId,
    pub name: String,
    pub description: String,
    pub base_path: String,
    pub archived_at: Option<DateTime<Utc>>,
}

impl Api {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

type ApiColumns = (apis::id, apis::name, apis::description, apis::base_path, apis::archived_at);
const API_COLUMNS: ApiColumns = (apis::id, apis::name, apis::description, apis::base_path, apis::archived_at);

/// The enterprise's APIs that are not archived, by name (the rows of the Add APIs matrix).
pub fn live_apis(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Api>> {
    apis::table
        .filter(apis::enterprise_id.eq(enterprise_id))
        .filter(apis::archived_at.is_null())
        .order((sql::<Text>("lower(apis.name)"), apis::id.asc()))
        .select(API_COLUMNS)
        .load(conn)
}

pub fn find_api(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: ApiId) -> QueryResult<Option<Api>> {
    apis::table
        .filter(apis::enterprise_id.eq(enterprise_id))
        .filter(apis::id.eq(id))
        .select(API_COLUMNS)
        .first(conn)
        .optional()
}

/// The enterprise's APIs among `ids`, share-locked like [`lock_products`].
pub fn lock_apis(conn: &mut PgConnection, enterprise_id: EnterpriseId, ids: &BTreeSet<ApiId>) -> QueryResult<Vec<Api>> {
    apis::table
        .filter(apis::enterprise_id.eq(enterprise_id))
        .filter(apis::id.eq_any(ids.iter().copied().collect::<Vec<_>>()))
        .order(apis::id.asc())
        .for_share()
        .select(API_COLUMNS)
        .load(conn)
}

/// The (API, environment) pairs the enterprise offers, for the APIs in `api_ids` (all of the
/// enterprise's APIs when None). Both sides are checked to belong to the enterprise.
pub fn offered(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    api_ids: Option<&BTreeSet<ApiId>>,
) -> QueryResult<BTreeSet<(ApiId, EnvironmentId)>> {
    let mut q = api_environments::table
        .inner_join(apis::table)
        .inner_join(environments::table)
        .filter(apis::enterprise_id.eq(enterprise_id))
        .filter(environments::enterprise_id.eq(enterprise_id))
        .select((api_environments::api_id, api_environments::environment_id))
        .into_boxed();
    if let Some(ids) = api_ids {
        q = q.filter(api_environments::api_id.eq_any(ids.iter().copied().collect::<Vec<_>>()));
    }
    Ok(q.load::<(ApiId, EnvironmentId)>(conn)?.into_iter().collect())
}

/// One granted (API, environment) cell with what the pages show about it.
#[derive(Queryable, Debug, Clone)]
pub struct ApiGrant {
    pub api_id: ApiId,
    pub api_name: String,
    pub api_description: String,
    pub api_archived_at: Option<DateTime<Utc>>,
    pub environment_id: EnvironmentId,
    pub environment_name: String,
    pub granted_at: DateTime<Utc>,
    pub expires_on: Option<NaiveDate>,
}

/// Every API grant of the partner, by API name then environment position.
pub fn api_grants(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<Vec<ApiGrant>> {
    partner_api_environments::table
        .inner_join(apis::table.on(apis::id.eq(partner_api_environments::api_id)))
        .inner_join(environments::table.on(environments::id.eq(partner_api_environments::environment_id)))
        .filter(partner_api_environments::partner_id.eq(partner_id))
        .order((
            sql::<Text>("lower(apis.name)"),
            apis::id.asc(),
            environments::position.asc(),
            environments::name.asc(),
            environments::id.asc(),
        ))
        .select((
            apis::id,
            apis::name,
            apis::description,
            apis::archived_at,
            environments::id,
            environments::name,
            partner_api_environments::granted_at,
            partner_api_environments::expires_on,
        ))
        .load(conn)
}

/// The partner's granted cells, for the APIs in `api_ids` (all when None).
pub fn granted_cells(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    api_ids: Option<&BTreeSet<ApiId>>,
) -> QueryResult<BTreeSet<(ApiId, EnvironmentId)>> {
    let mut q = partner_api_environments::table
        .filter(partner_api_environments::partner_id.eq(partner_id))
        .select((partner_api_environments::api_id, partner_api_environments::environment_id))
        .into_boxed();
    if let Some(ids) = api_ids {
        q = q.filter(partner_api_environments::api_id.eq_any(ids.iter().copied().collect::<Vec<_>>()));
    }
    Ok(q.load::<(ApiId, EnvironmentId)>(conn)?.into_iter().collect())
}

/// Does the partner have access to any API in any environment?
pub fn has_api_access(conn: &mut PgConnection, partner_id: PartnerId) -> QueryResult<bool> {
    diesel::select(exists(partner_api_environments::table.filter(partner_api_environments::partner_id.eq(partner_id))))
        .get_result(conn)
}

/// Grants the API in the environment, until `expiry` when given; false when it was already
/// granted.
pub fn grant_api_environment(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    api_id: ApiId,
    environment_id: EnvironmentId,
    granted_by: Option<UserId>,
    expiry: Option<Expiry>,
) -> QueryResult<bool> {
    let n = diesel::insert_into(partner_api_environments::table)
        .values((
            partner_api_environments::partner_id.eq(partner_id),
            partner_api_environments::api_id.eq(api_id),
            partner_api_environments::environment_id.eq(environment_id),
            partner_api_environments::granted_by.eq(granted_by),
            partner_api_environments::expires_on.eq(expiry.map(|e| e.on)),
            partner_api_environments::expires_at.eq(expiry.map(|e| e.at)),
            partner_api_environments::next_action_at.eq(expiry.map(Expiry::first_action)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if n == 1 {
        let data = serde_json::json!({
            "grant": "api", "api_id": api_id, "environment_id": environment_id, "expires_on": expiry.map(|e| e.on),
        });
        crate::webhooks::emit_for_partner(conn, partner_id, WebhookEvent::GrantAdded, data)?;
    }
    Ok(n == 1)
}

/// Revokes the API in the environment; false when it wasn't granted.
pub fn revoke_api_environment(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    api_id: ApiId,
    environment_id: EnvironmentId,
) -> QueryResult<bool> {
    let n = diesel::delete(
        partner_api_environments::table
            .filter(partner_api_environments::partner_id.eq(partner_id))
            .filter(partner_api_environments::api_id.eq(api_id))
            .filter(partner_api_environments::environment_id.eq(environment_id)),
    )
    .execute(conn)?;
    if n == 1 {
        emit_api_removed(conn, partner_id, api_id, environment_id)?;
    }
    Ok(n == 1)
}

fn emit_api_removed(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    api_id: ApiId,
    environment_id: EnvironmentId,
) -> QueryResult<usize> {
    let data =
        serde_json::json!({ "grant": "api", "api_id": api_id, "environment_id": environment_id, "reason": "revoked" });
    crate::webhooks::emit_for_partner(conn, partner_id, WebhookEvent::GrantRemoved, data)
}

/// Revokes the API in every environment; returns the environments it was granted in.
pub fn revoke_api(conn: &mut PgConnection, partner_id: PartnerId, api_id: ApiId) -> QueryResult<Vec<EnvironmentId>> {
    let gone: Vec<EnvironmentId> = diesel::delete(
        partner_api_environments::table
            .filter(partner_api_environments::partner_id.eq(partner_id))
            .filter(partner_api_environments::api_id.eq(api_id)),
    )
    .returning(partner_api_environments::environment_id)
    .get_results(conn)?;
    for environment_id in &gone {
        emit_api_removed(conn, partner_id, api_id, *environment_id)?;
    }
    Ok(gone)
}

// ---- expiry --------------------------------------------------------------------------------

/// **Extend**: moves the end of a product grant to `expiry` (its reminders start over);
/// `Ok(Some(previous day))` when the grant exists and expires, `Ok(None)` otherwise (nothing
/// changes: a grant without an end has nothing to extend).
pub fn extend_product(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    product_id: ProductId,
    expiry: Expiry,
) -> QueryResult<Option<NaiveDate>> {
    let target = partner_products::table
        .filter(partner_products::partner_id.eq(partner_id))
        .filter(partner_products::product_id.eq(product_id))
        .filter(partner_products::expires_on.is_not_null());
    let previous: Option<Option<NaiveDate>> =
        target.select(partner_products::expires_on).for_update().first(conn).optional()?;
    let Some(Some(previous)) = previous else { return Ok(None) };
    diesel::update(target)
        .set((
            partner_products::expires_on.eq(expiry.on),
            partner_products::expires_at.eq(expiry.at),
            partner_products::reminded_days.eq(None::<i16>),
            partner_products::next_action_at.eq(expiry.first_action()),
        ))
        .execute(conn)?;
    Ok(Some(previous))
}

/// **Extend** for an API in one environment; as [`extend_product`].
pub fn extend_api_environment(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    (api_id, environment_id): (ApiId, EnvironmentId),
    expiry: Expiry,
) -> QueryResult<Option<NaiveDate>> {
    let target = partner_api_environments::table
        .filter(partner_api_environments::partner_id.eq(partner_id))
        .filter(partner_api_environments::api_id.eq(api_id))
        .filter(partner_api_environments::environment_id.eq(environment_id))
        .filter(partner_api_environments::expires_on.is_not_null());
    let previous: Option<Option<NaiveDate>> =
        target.select(partner_api_environments::expires_on).for_update().first(conn).optional()?;
    let Some(Some(previous)) = previous else { return Ok(None) };
    diesel::update(target)
        .set((
            partner_api_environments::expires_on.eq(expiry.on),
            partner_api_environments::expires_at.eq(expiry.at),
            partner_api_environments::reminded_days.eq(None::<i16>),
            partner_api_environments::next_action_at.eq(expiry.first_action()),
        ))
        .execute(conn)?;
    Ok(Some(previous))
}

/// The product grant's end: `None` when it isn't granted, `Some(None)` when it doesn't end.
pub fn product_expiry(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    product_id: ProductId,
) -> QueryResult<Option<Option<NaiveDate>>> {
    partner_products::table
        .filter(partner_products::partner_id.eq(partner_id))
        .filter(partner_products::product_id.eq(product_id))
        .select(partner_products::expires_on)
        .first(conn)
        .optional()
}

/// The API-in-environment grant's end, as [`product_expiry`].
pub fn api_environment_expiry(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    (api_id, environment_id): (ApiId, EnvironmentId),
) -> QueryResult<Option<Option<NaiveDate>>> {
    partner_api_environments::table
        .filter(partner_api_environments::partner_id.eq(partner_id))
        .filter(partner_api_environments::api_id.eq(api_id))
        .filter(partner_api_environments::environment_id.eq(environment_id))
        .select(partner_api_environments::expires_on)
        .first(conn)
        .optional()
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(contains_pattern("pay"), "%pay%");
        assert_eq!(contains_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
