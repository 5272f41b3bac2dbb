//! Access requests (SPEC §15): the catalog items an enterprise lets its partners request, the
//! requests, and their answers. Every query is scoped by the enterprise.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Date, Nullable, Text, Timestamptz};

use crate::db::schema::access_requests;
use crate::domain::{AccessRequestStatus, ApiId, EnterpriseId, EnvironmentId, PartnerId, ProductId, UserId};

/// A requestable product or API, as the partner's Request access page offers it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Requestable {
    #[diesel(sql_type = Bool)]
    pub is_product: bool,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub questions: Vec<Option<String>>,
    /// APIs: the environments it is offered in and not granted yet, as "id:name" in
    /// environment order. Products: empty.
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub environments: Vec<Option<String>>,
    /// Already granted (a product) or granted everywhere it is offered (an API).
    #[diesel(sql_type = Bool)]
    pub granted: bool,
    /// A request of the partner's for it is waiting.
    #[diesel(sql_type = Bool)]
    pub pending: bool,
}

impl Requestable {
    pub fn questions(&self) -> Vec<String> {
        self.questions.iter().flatten().cloned().collect()
    }

    /// The environments still to ask for, in order.
    pub fn environments(&self) -> Vec<(EnvironmentId, String)> {
        self.environments
            .iter()
            .flatten()
            .filter_map(|e| {
                let (id, name) = e.split_once(':')?;
                Some((EnvironmentId::new(id.parse().ok()?), name.to_string()))
            })
            .collect()
    }
}

/// The enterprise's requestable items (not archived), products then APIs, by name; `only`
/// narrows to one item.
pub fn requestable(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
    only: Option<(bool, i64)>,
) -> QueryResult<Vec<Requestable>> {
    let (filter, is_product, id) = match only {
        Some((is_product, id)) => (true, is_product, id),
        None => (false, false, 0),
    };
    diesel::sql_query(
        "SELECT * FROM (
           SELECT true AS is_product, p.id, p.name, p.description, p.request_questions AS questions,
                  '{}'::text[] AS environments,
                  EXISTS (SELECT 1 FROM partner_products g WHERE g.partner_id = $2 AND g.product_id = p.id) AS granted,
                  EXISTS (SELECT 1 FROM access_requests r WHERE r.partner_id = $2 AND r.product_id = p.id
                             AND r.status = 'pending' AND r.enterprise_id = $1) AS pending
             FROM products p
            WHERE p.enterprise_id = $1 AND p.requestable AND p.archived_at IS NULL
           UNION ALL
           SELECT false, a.id, a.name, a.description, a.request_questions,
                  COALESCE((SELECT array_agg(e.id || ':' || e.name ORDER BY e.position, e.name, e.id)
                              FROM api_environments ae JOIN environments e ON e.id = ae.environment_id
                             WHERE ae.api_id = a.id AND e.enterprise_id = $1
                               AND NOT EXISTS (SELECT 1 FROM partner_api_environments g
                                                WHERE g.partner_id = $2 AND g.api_id = a.id
                                                  AND g.environment_id = e.id)), '{}'),
                  false,
                  EXISTS (SELECT 1 FROM access_requests r WHERE r.partner_id = $2 AND r.api_id = a.id
                             AND r.status = 'pending' AND r.enterprise_id = $1)
             FROM apis a
            WHERE a.enterprise_id = $1 AND a.requestable AND a.archived_at IS NULL) items
         WHERE NOT $3 OR (is_product = $4 AND id = $5)
         ORDER BY is_product DESC, lower(name), id",
    )
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(partner_id)
    .bind::<Bool, _>(filter)
    .bind::<Bool, _>(is_product)
    .bind::<BigInt, _>(id)
    .load::<Requestable>(conn)
    .map(|rows| {
        rows.into_iter()
            .map(|mut r| {
                // An API is "granted" once nothing is left to ask for.
                if !r.is_product {
                    r.granted = r.environments.is_empty();
                }
                r
            })
            .collect()
    })
}

/// A new request.
pub struct NewRequest<'a> {
    pub enterprise_id: EnterpriseId,
    pub partner_id: PartnerId,
    pub product_id: Option<ProductId>,
    pub api_id: Option<ApiId>,
    pub environment_ids: &'a [EnvironmentId],
    pub answers: serde_json::Value,
    pub requested_by: UserId,
}

/// Records the request; `None` when one of the partner's for the same item is already
/// waiting (the unique index decides, whatever the race).
pub fn insert(conn: &mut PgConnection, new: &NewRequest<'_>) -> QueryResult<Option<i64>> {
    let environment_ids: Vec<i64> = new.environment_ids.iter().map(|e| e.get()).collect();
    let inserted = diesel::insert_into(access_requests::table)
        .values((
            access_requests::enterprise_id.eq(new.enterprise_id),
            access_requests::partner_id.eq(new.partner_id),
            access_requests::product_id.eq(new.product_id),
            access_requests::api_id.eq(new.api_id),
            access_requests::environment_ids.eq(environment_ids.into_iter().map(Some).collect::<Vec<_>>()),
            access_requests::answers.eq(&new.answers),
            access_requests::requested_by.eq(new.requested_by),
        ))
        .on_conflict_do_nothing()
        .returning(access_requests::id)
        .get_result(conn)
        .optional()?;
    Ok(inserted)
}

/// A request with what the pages show about it.
#[derive(QueryableByName, Debug, Clone)]
pub struct RequestRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub partner_id: PartnerId,
    #[diesel(sql_type = Text)]
    pub partner_name: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub product_id: Option<ProductId>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub api_id: Option<ApiId>,
    /// The product's or the API's name.
    #[diesel(sql_type = Text)]
    pub item: String,
    #[diesel(sql_type = Array<Nullable<BigInt>>)]
    pub environment_ids: Vec<Option<i64>>,
    /// "Development, Production".
    #[diesel(sql_type = Text)]
    pub environments: String,
    #[diesel(sql_type = Text)]
    pub answers: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub requested_by: Option<UserId>,
    #[diesel(sql_type = Text)]
    pub requester: String,
    #[diesel(sql_type = Text)]
    pub requester_email: String,
    #[diesel(sql_type = Text)]
    pub requester_first_name: String,
    #[diesel(sql_type = Timestamptz)]
    pub requested_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub status: AccessRequestStatus,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub decided_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub decided_by_name: String,
    #[diesel(sql_type = Text)]
    pub decline_reason: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub expires_on: Option<NaiveDate>,
}

impl RequestRow {
    /// "Payments API in Development, Production", or the product's name.
    pub fn what(&self) -> String {
        if self.api_id.is_some() {
            format!("{} in {}", self.item, self.environments)
        } else {
            self.item.clone()
        }
    }

    pub fn environment_ids(&self) -> BTreeSet<EnvironmentId> {
        self.environment_ids.iter().flatten().map(|&e| EnvironmentId::new(e)).collect()
    }

    /// The questions with their answers, in order.
    pub fn answers(&self) -> Vec<(String, String)> {
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&self.answers).unwrap_or_default();
        parsed
            .iter()
            .map(|a| {
                let s = |k: &str| a.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                (s("question"), s("answer"))
            })
            .collect()
    }
}

const SELECT: &str = "SELECT r.id, r.partner_id, p.name AS partner_name, r.product_id, r.api_id,
        COALESCE(pr.name, a.name, '') AS item, r.environment_ids,
        COALESCE((SELECT string_agg(e.name, ', ' ORDER BY e.position, e.name, e.id) FROM environments e
                   WHERE e.id = ANY (r.environment_ids) AND e.enterprise_id = r.enterprise_id), '') AS environments,
        r.answers::text AS answers, r.requested_by,
        COALESCE(u.first_name || ' ' || u.surname, 'Someone no longer here') AS requester,
        COALESCE(u.email, '') AS requester_email, COALESCE(u.first_name, '') AS requester_first_name,
        r.requested_at, r.status, r.decided_at,
        COALESCE(d.first_name || ' ' || d.surname, CASE WHEN r.status <> 'pending' THEN 'Partner Portal' ELSE '' END)
          AS decided_by_name, r.decline_reason, r.expires_on
   FROM access_requests r
   JOIN partners p ON p.id = r.partner_id AND p.enterprise_id = r.enterprise_id
   LEFT JOIN products pr ON pr.id = r.product_id
   LEFT JOIN apis a ON a.id = r.api_id
   LEFT JOIN users u ON u.id = r.requested_by
   LEFT JOIN users d ON d.id = r.decided_by";

/// The enterprise's requests: the waiting ones oldest first, then the 50 newest answered.
pub fn queue(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<RequestRow>> {
    diesel::sql_query(format!(
        "(SELECT * FROM ({SELECT} WHERE r.enterprise_id = $1 AND r.status = 'pending') w ORDER BY requested_at, id)
         UNION ALL
         (SELECT * FROM ({SELECT} WHERE r.enterprise_id = $1 AND r.status <> 'pending') d
           ORDER BY decided_at DESC, id DESC LIMIT 50)"
    ))
    .bind::<BigInt, _>(enterprise_id)
    .load(conn)
}

/// One partner's requests, newest first.
pub fn of_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Vec<RequestRow>> {
    diesel::sql_query(format!(
        "{SELECT} WHERE r.enterprise_id = $1 AND r.partner_id = $2 ORDER BY r.requested_at DESC, r.id DESC LIMIT 100"
    ))
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(partner_id)
    .load(conn)
}

/// One request of the enterprise's; `lock` takes its row lock for the transaction.
pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    lock: bool,
) -> QueryResult<Option<RequestRow>> {
    let sql =
        format!("{SELECT} WHERE r.enterprise_id = $1 AND r.id = $2{}", if lock { " FOR UPDATE OF r" } else { "" });
    diesel::sql_query(sql).bind::<BigInt, _>(enterprise_id).bind::<BigInt, _>(id).get_result(conn).optional()
}

/// Records the answer of a waiting request; false when it was answered already.
pub fn decide(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    status: AccessRequestStatus,
    by: UserId,
    (reason, expires_on): (&str, Option<NaiveDate>),
) -> QueryResult<bool> {
    let n = diesel::update(
        access_requests::table
            .filter(access_requests::enterprise_id.eq(enterprise_id))
            .filter(access_requests::id.eq(id))
            .filter(access_requests::status.eq(AccessRequestStatus::Pending.as_str())),
    )
    .set((
        access_requests::status.eq(status.as_str()),
        access_requests::decided_by.eq(by),
        access_requests::decided_at.eq(diesel::dsl::now),
        access_requests::decline_reason.eq(reason),
        access_requests::expires_on.eq(expires_on),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The request settings of a catalog item: requestable, and its questions.
pub fn set_requestable(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    (is_product, id): (bool, i64),
    requestable: bool,
    questions: &[String],
) -> QueryResult<bool> {
    let table = if is_product { "products" } else { "apis" };
    let n = diesel::sql_query(format!(
        "UPDATE {table} SET requestable = $3, request_questions = $4 WHERE enterprise_id = $1 AND id = $2"
    ))
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(id)
    .bind::<Bool, _>(requestable)
    .bind::<Array<Text>, _>(questions)
    .execute(conn)?;
    Ok(n == 1)
}

/// An item's request settings: (name, requestable, questions); None when it isn't the
/// enterprise's.
pub fn request_settings(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    (is_product, id): (bool, i64),
) -> QueryResult<Option<(String, bool, Vec<String>)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Bool)]
        requestable: bool,
        #[diesel(sql_type = Array<Nullable<Text>>)]
        questions: Vec<Option<String>>,
    }
    let table = if is_product { "products" } else { "apis" };
    let row: Option<Row> = diesel::sql_query(format!(
        "SELECT name, requestable, request_questions AS questions FROM {table} WHERE enterprise_id = $1 AND id = $2"
    ))
    .bind::<BigInt, _>(enterprise_id)
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| (r.name, r.requestable, r.questions.into_iter().flatten().collect())))
}

/// The partnership ended (deactivated or left): its waiting requests are declined with
/// `reason`, by nobody in particular. Returns how many.
pub fn decline_all_waiting(conn: &mut PgConnection, partner_id: PartnerId, reason: &str) -> QueryResult<usize> {
    diesel::update(
        access_requests::table
            .filter(access_requests::partner_id.eq(partner_id))
            .filter(access_requests::status.eq(AccessRequestStatus::Pending.as_str())),
    )
    .set((
        access_requests::status.eq(AccessRequestStatus::Declined.as_str()),
        access_requests::decided_at.eq(diesel::dsl::now),
        access_requests::decline_reason.eq(reason),
    ))
    .execute(conn)
}
