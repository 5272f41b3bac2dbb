//! Applications to join a partner program (SPEC §12): submitted through a group's join link or
//! after **Invite to apply**, answered with **Approve** or **Decline**. Every query is scoped by
//! enterprise. A pending application's domains are held by a partial unique index, so two
//! pending applications of one enterprise never name the same domain.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz},
};

use crate::db::schema::{program_application_domains as d, program_applications as a};
use crate::domain::application_form::Answer;
use crate::domain::{ApplicationStatus, EnterpriseId, PartnerId, UserId};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = a)]
pub struct Application {
    pub id: i64,
    pub enterprise_id: EnterpriseId,
    pub group_id: Option<i64>,
    pub applicant_user_id: UserId,
    pub partner_id: Option<PartnerId>,
    pub partner_name: String,
    pub answers: serde_json::Value,
    pub status: ApplicationStatus,
    pub decline_reason: String,
    pub created_at: DateTime<Utc>,
}

impl Application {
    pub fn answer_list(&self) -> Vec<Answer> {
        answers_of(&self.answers)
    }
}

/// The answers as stored; a row that doesn't read shows no answers rather than failing a page.
pub fn answers_of(json: &serde_json::Value) -> Vec<Answer> {
    serde_json::from_value(json.clone()).unwrap_or_default()
}

pub struct NewApplication<'a> {
    pub enterprise_id: EnterpriseId,
    pub group_id: i64,
    pub applicant: UserId,
    pub partner_id: Option<PartnerId>,
    pub partner_name: &'a str,
    pub answers: &'a [Answer],
    pub domains: &'a [String],
}

/// Inserts the application and its domains; a domain another pending application holds
/// fails with a unique violation (the caller's transaction is then rolled back).
pub fn insert(conn: &mut PgConnection, new: &NewApplication<'_>) -> QueryResult<i64> {
    let answers = serde_json::to_value(new.answers).unwrap_or_default();
    let id: i64 = diesel::insert_into(a::table)
        .values((
            a::enterprise_id.eq(new.enterprise_id),
            a::group_id.eq(new.group_id),
            a::applicant_user_id.eq(new.applicant),
            a::partner_id.eq(new.partner_id),
            a::partner_name.eq(new.partner_name),
            a::answers.eq(answers),
        ))
        .returning(a::id)
        .get_result(conn)?;
    let rows: Vec<_> = new
        .domains
        .iter()
        .map(|dom| (d::enterprise_id.eq(new.enterprise_id), d::application_id.eq(id), d::domain.eq(dom)))
        .collect();
    if !rows.is_empty() {
        diesel::insert_into(d::table).values(&rows).execute(conn)?;
    }
    Ok(id)
}

/// The domains among `candidates` that a pending application of the enterprise names.
pub fn pending_domains(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    candidates: &[String],
) -> QueryResult<Vec<String>> {
    d::table
        .filter(d::enterprise_id.eq(enterprise_id))
        .filter(d::pending.eq(true))
        .filter(d::domain.eq_any(candidates))
        .order(d::domain)
        .select(d::domain)
        .load(conn)
}

pub fn domains(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<Vec<String>> {
    d::table
        .filter(d::enterprise_id.eq(enterprise_id))
        .filter(d::application_id.eq(id))
        .order(d::domain)
        .select(d::domain)
        .load(conn)
}

/// The application, row-locked for an answer.
pub fn lock(conn: &mut PgConnection, enterprise_id: EnterpriseId, id: i64) -> QueryResult<Option<Application>> {
    a::table
        .filter(a::enterprise_id.eq(enterprise_id))
        .filter(a::id.eq(id))
        .for_update()
        .select(Application::as_select())
        .first(conn)
        .optional()
}

/// Records the answer: approved (with the partnership it made or activated) or declined (with
/// the reason); the domains are released for other applications.
pub fn decide(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    id: i64,
    status: ApplicationStatus,
    by: UserId,
    reason: &str,
    partner_id: Option<PartnerId>,
) -> QueryResult<()> {
    diesel::update(a::table.filter(a::enterprise_id.eq(enterprise_id)).filter(a::id.eq(id)))
        .set((
            a::status.eq(status),
            a::decided_by.eq(by),
            a::decided_at.eq(diesel::dsl::now),
            a::decline_reason.eq(reason),
            a::partner_id.eq(partner_id),
        ))
        .execute(conn)?;
    diesel::update(d::table.filter(d::enterprise_id.eq(enterprise_id)).filter(d::application_id.eq(id)))
        .set(d::pending.eq(false))
        .execute(conn)?;
    Ok(())
}

/// The partnership's application shown on its Profile tab: the approved one, else the one
/// waiting, else none (the newest of each).
pub fn for_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<Option<Application>> {
    a::table
        .filter(a::enterprise_id.eq(enterprise_id))
        .filter(a::partner_id.eq(partner_id))
        .filter(a::status.eq_any([ApplicationStatus::Approved, ApplicationStatus::Pending]))
        .order((a::status.asc(), a::created_at.desc(), a::id.desc()))
        .select(Application::as_select())
        .first(conn)
        .optional()
}

/// Whether the partnership has an application waiting for an answer.
pub fn pending_for_partner(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    partner_id: PartnerId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        a::table
            .filter(a::enterprise_id.eq(enterprise_id))
            .filter(a::partner_id.eq(partner_id))
            .filter(a::status.eq(ApplicationStatus::Pending)),
    ))
    .get_result(conn)
}

/// An application as the Applications page lists it.
#[derive(QueryableByName, Debug, Clone)]
pub struct Listed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub partner_name: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub partner_id: Option<PartnerId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub group_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub applicant: String,
    #[diesel(sql_type = Text)]
    pub applicant_email: String,
    #[diesel(sql_type = Text)]
    pub domains: String,
    #[diesel(sql_type = Jsonb)]
    pub answers: serde_json::Value,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

impl Listed {
    pub fn answer_list(&self) -> Vec<Answer> {
        answers_of(&self.answers)
    }
}

/// The enterprise's pending applications, oldest first; one statement.
pub fn pending(conn: &mut PgConnection, enterprise_id: EnterpriseId) -> QueryResult<Vec<Listed>> {
    crate::db::static_query(
        "SELECT a.id, a.partner_name, a.partner_id, g.name AS group_name,
                u.first_name || ' ' || u.surname AS applicant, u.email AS applicant_email,
                COALESCE((SELECT string_agg(d.domain, ', ' ORDER BY d.domain) FROM program_application_domains d
                           WHERE d.enterprise_id = a.enterprise_id AND d.application_id = a.id), '') AS domains,
                a.answers, a.created_at
           FROM program_applications a
           JOIN users u ON u.id = a.applicant_user_id
           LEFT JOIN partner_groups g ON g.id = a.group_id AND g.enterprise_id = a.enterprise_id
          WHERE a.enterprise_id = $1 AND a.status = 'pending'
          ORDER BY a.created_at, a.id",
    )
    .bind::<BigInt, _>(enterprise_id)
    .load(conn)
}
