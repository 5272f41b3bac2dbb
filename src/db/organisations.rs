//! Partner organisations (SPEC §11): a company that may partner with several enterprises,
//! with one public Partner ID and a regenerable connection link. Global, like people: each
//! enterprise's relationship with it is a `partners` row (a partnership).

use crate::domain::OrganisationId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rand::Rng;

use crate::{auth::tokens, db::schema::partner_organisations as o};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = o)]
pub struct Organisation {
    pub id: OrganisationId,
    pub partner_code: String,
    pub connect_code: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Partner ID characters: digits and capitals without the look-alikes 0/O and 1/I, so an ID
/// read over the phone is typed right. Six of them: about a billion IDs.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

fn new_partner_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let body: String = (0..6).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("PRT-{body}")
}

/// A typed Partner ID in its stored form: trimmed, upper-cased, the `PRT-` prefix optional.
pub fn normalise_partner_code(input: &str) -> String {
    let upper = input.trim().to_uppercase();
    let body = upper.strip_prefix("PRT-").or_else(|| upper.strip_prefix("PRT")).unwrap_or(&upper);
    format!("PRT-{}", body.trim_start_matches('-'))
}

/// Starts a new organisation (the wizard's Add Partner). A Partner ID that happens to be
/// taken is drawn again.
pub fn create(conn: &mut PgConnection, name: &str) -> QueryResult<Organisation> {
    loop {
        let inserted = diesel::insert_into(o::table)
            .values((
                o::partner_code.eq(new_partner_code()),
                o::connect_code.eq(tokens::random_token()),
                o::name.eq(name),
            ))
            .on_conflict(o::partner_code)
            .do_nothing()
            .returning(Organisation::as_returning())
            .get_result(conn)
            .optional()?;
        if let Some(org) = inserted {
            return Ok(org);
        }
    }
}

pub fn find(conn: &mut PgConnection, id: OrganisationId) -> QueryResult<Organisation> {
    o::table.find(id).select(Organisation::as_select()).first(conn)
}

pub fn find_by_partner_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Organisation>> {
    o::table
        .filter(o::partner_code.eq(normalise_partner_code(code)))
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_connect_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Organisation>> {
    o::table.filter(o::connect_code.eq(code)).select(Organisation::as_select()).first(conn).optional()
}

/// A new connection link; the old one stops working at once.
pub fn regenerate_link(conn: &mut PgConnection, id: OrganisationId) -> QueryResult<Organisation> {
    diesel::update(o::table.find(id))
        .set(o::connect_code.eq(tokens::random_token()))
        .returning(Organisation::as_returning())
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_codes_have_the_public_shape() {
        for _ in 0..200 {
            let code = new_partner_code();
            assert_eq!(code.len(), 10);
            assert!(code.starts_with("PRT-"));
            assert!(code[4..].bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        }
    }

    #[test]
    fn typed_partner_ids_are_normalised() {
        assert_eq!(normalise_partner_code(" prt-4k7q9x "), "PRT-4K7Q9X");
        assert_eq!(normalise_partner_code("4K7Q9X"), "PRT-4K7Q9X");
        assert_eq!(normalise_partner_code("PRT4K7Q9X"), "PRT-4K7Q9X");
    }
}
