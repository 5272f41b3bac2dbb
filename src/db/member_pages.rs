//! A partnership's people a page at a time, sorted (Members `/members`, the partner's Users
//! tab): one statement for the page and the number of people (`count(*) OVER ()`). Only a
//! page past the end (a hand-edited link, or people removed since) runs two more: the count,
//! then the last page.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::memberships::Member;
use crate::db::schema::{memberships, users};
use crate::domain::PartnerId;

/// People per page.
pub const PEOPLE_PAGE_SIZE: u32 = 25;

/// The column a people list is sorted by (`?sort=name|role|joined`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PeopleSort {
    #[default]
    Name,
    Role,
    Joined,
}

impl PeopleSort {
    pub const fn as_str(self) -> &'static str {
        match self {
            PeopleSort::Name => "name",
            PeopleSort::Role => "role",
            PeopleSort::Joined => "joined",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [PeopleSort::Name, PeopleSort::Role, PeopleSort::Joined].into_iter().find(|s| s.as_str() == value)
    }

    /// The direction a header sorts in first: A–Z, Admins first, but the newest first.
    pub const fn default_ascending(self) -> bool {
        !matches!(self, PeopleSort::Joined)
    }
}

/// Which people, in which order, which page.
#[derive(Clone, Copy, Debug)]
pub struct PeopleFilter {
    /// Removed (ended) memberships too: the enterprise's Users tab shows them as disabled.
    pub include_ended: bool,
    pub sort: PeopleSort,
    pub ascending: bool,
    /// 1-based; a page past the end is answered with the last.
    pub page: u32,
}

pub struct PeoplePage {
    pub people: Vec<Member>,
    pub total: i64,
    /// The page shown (the last one when the page asked for is past the end).
    pub page: u32,
}

pub fn page_for_partner(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    filter: &PeopleFilter,
) -> QueryResult<PeoplePage> {
    let page = filter.page.max(1);
    let rows = load(conn, partner_id, filter, page)?;
    if let Some((_, total)) = rows.first() {
        let total = *total;
        return Ok(PeoplePage { people: rows.into_iter().map(|(m, _)| m).collect(), total, page });
    }
    if page == 1 {
        return Ok(PeoplePage { people: Vec::new(), total: 0, page: 1 });
    }
    let of_partner = memberships::table.filter(memberships::partner_id.eq(partner_id));
    let total: i64 = if filter.include_ended {
        of_partner.count().get_result(conn)?
    } else {
        of_partner.filter(memberships::ended_at.is_null()).count().get_result(conn)?
    };
    let last = crate::db::partners::page_shown(u32::MAX, total, PEOPLE_PAGE_SIZE);
    let rows = if total == 0 { Vec::new() } else { load(conn, partner_id, filter, last)? };
    Ok(PeoplePage { people: rows.into_iter().map(|(m, _)| m).collect(), total, page: last })
}

fn load(
    conn: &mut PgConnection,
    partner_id: PartnerId,
    filter: &PeopleFilter,
    page: u32,
) -> QueryResult<Vec<(Member, i64)>> {
    let mut q = memberships::table
        .inner_join(users::table)
        .filter(memberships::partner_id.eq(partner_id))
        .select((Member::as_select(), sql::<BigInt>("count(*) OVER ()")))
        .into_boxed();
    if !filter.include_ended {
        q = q.filter(memberships::ended_at.is_null());
    }
    // Ties are broken by name, then id, so a page never repeats or skips a person.
    q = match (filter.sort, filter.ascending) {
        (PeopleSort::Name, true) => q.order((users::first_name.asc(), users::surname.asc(), users::id.asc())),
        (PeopleSort::Name, false) => q.order((users::first_name.desc(), users::surname.desc(), users::id.desc())),
        (PeopleSort::Role, true) => {
            q.order((memberships::role.asc(), users::first_name.asc(), users::surname.asc(), users::id.asc()))
        }
        (PeopleSort::Role, false) => {
            q.order((memberships::role.desc(), users::first_name.asc(), users::surname.asc(), users::id.asc()))
        }
        (PeopleSort::Joined, true) => q.order((memberships::created_at.asc(), memberships::id.asc())),
        (PeopleSort::Joined, false) => q.order((memberships::created_at.desc(), memberships::id.desc())),
    };
    let offset = i64::from(page - 1) * i64::from(PEOPLE_PAGE_SIZE);
    q.limit(i64::from(PEOPLE_PAGE_SIZE)).offset(offset).load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse_from_their_url_value_only() {
        assert_eq!(PeopleSort::parse("role"), Some(PeopleSort::Role));
        assert_eq!(PeopleSort::parse("joined"), Some(PeopleSort::Joined));
        assert_eq!(PeopleSort::parse("Name"), None);
        assert!(!PeopleSort::Joined.default_ascending());
    }
}
