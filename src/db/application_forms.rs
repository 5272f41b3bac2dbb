//! A group's application form (SPEC §12): its ordered questions. Every query is scoped by
//! enterprise and group; positions are kept in order by the functions here (gaps allowed).

use diesel::prelude::*;

use crate::db::schema::application_questions as q;
use crate::domain::application_form::{choices_of, Question, QuestionSpec};
use crate::domain::{EnterpriseId, QuestionKind};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = q)]
pub struct QuestionRow {
    pub id: i64,
    pub position: i32,
    pub kind: QuestionKind,
    pub label: String,
    pub required: bool,
    pub choices: String,
}

impl QuestionRow {
    pub fn choice_list(&self) -> Vec<String> {
        choices_of(&self.choices)
    }

    pub fn question(&self) -> Question {
        Question {
            id: self.id,
            spec: QuestionSpec {
                label: self.label.clone(),
                kind: self.kind,
                required: self.required,
                choices: self.choice_list(),
            },
        }
    }
}

/// The group's questions in order.
pub fn questions(conn: &mut PgConnection, enterprise_id: EnterpriseId, group_id: i64) -> QueryResult<Vec<QuestionRow>> {
    q::table
        .filter(q::enterprise_id.eq(enterprise_id))
        .filter(q::group_id.eq(group_id))
        .order((q::position, q::id))
        .select(QuestionRow::as_select())
        .load(conn)
}

pub fn find(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    group_id: i64,
    id: i64,
) -> QueryResult<Option<QuestionRow>> {
    q::table
        .filter(q::enterprise_id.eq(enterprise_id))
        .filter(q::group_id.eq(group_id))
        .filter(q::id.eq(id))
        .select(QuestionRow::as_select())
        .first(conn)
        .optional()
}

/// Adds the question at the end of the form; its id.
pub fn add(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    group_id: i64,
    spec: &QuestionSpec,
) -> QueryResult<i64> {
    let last: Option<i32> = q::table
        .filter(q::enterprise_id.eq(enterprise_id))
        .filter(q::group_id.eq(group_id))
        .select(diesel::dsl::max(q::position))
        .first(conn)?;
    diesel::insert_into(q::table)
        .values((
            q::enterprise_id.eq(enterprise_id),
            q::group_id.eq(group_id),
            q::position.eq(last.unwrap_or(0) + 1),
            q::kind.eq(spec.kind),
            q::label.eq(&spec.label),
            q::required.eq(spec.required),
            q::choices.eq(spec.stored_choices()),
        ))
        .returning(q::id)
        .get_result(conn)
}

pub fn update(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    group_id: i64,
    id: i64,
    spec: &QuestionSpec,
) -> QueryResult<usize> {
    diesel::update(
        q::table.filter(q::enterprise_id.eq(enterprise_id)).filter(q::group_id.eq(group_id)).filter(q::id.eq(id)),
    )
    .set((
        q::kind.eq(spec.kind),
        q::label.eq(&spec.label),
        q::required.eq(spec.required),
        q::choices.eq(spec.stored_choices()),
    ))
    .execute(conn)
}

pub fn remove(conn: &mut PgConnection, enterprise_id: EnterpriseId, group_id: i64, id: i64) -> QueryResult<usize> {
    diesel::delete(
        q::table.filter(q::enterprise_id.eq(enterprise_id)).filter(q::group_id.eq(group_id)).filter(q::id.eq(id)),
    )
    .execute(conn)
}

/// Swaps the question with its neighbour above (`up`) or below; false when it is already first
/// (or last). The caller holds the group's row lock, so two moves don't interleave.
pub fn move_question(
    conn: &mut PgConnection,
    enterprise_id: EnterpriseId,
    group_id: i64,
    id: i64,
    up: bool,
) -> QueryResult<bool> {
    let rows = questions(conn, enterprise_id, group_id)?;
    let Some(at) = rows.iter().position(|r| r.id == id) else { return Ok(false) };
    let other = if up { at.checked_sub(1) } else { Some(at + 1).filter(|i| *i < rows.len()) };
    let Some(other) = other else { return Ok(false) };
    // Positions may tie or have gaps: renumber the whole (short) list with the two swapped.
    let mut order: Vec<i64> = rows.iter().map(|r| r.id).collect();
    order.swap(at, other);
    for (i, qid) in order.iter().enumerate() {
        let position = i32::try_from(i + 1).unwrap_or(i32::MAX);
        diesel::update(q::table.filter(q::enterprise_id.eq(enterprise_id)).filter(q::id.eq(qid)))
            .set(q::position.eq(position))
            .execute(conn)?;
    }
    Ok(true)
}
