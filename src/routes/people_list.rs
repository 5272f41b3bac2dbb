//! Pages and sorting by plain links for the lists of a partnership's people: Members
//! (`/members`) and the partner's Users tab (`/settings/partners/{id}/users`), like the
//! partners list (`?page=2&sort=role&dir=desc`): 25 a page, **Previous** / **Next**,
//! "Showing 26–50 of 60 people", column headers that sort with `aria-sort`.

use serde::Deserialize;

use crate::{
    db::member_pages::{PeopleFilter, PeopleSort, PEOPLE_PAGE_SIZE},
    error::AppError,
    routes::partners::list::{parse_page, SortHeader},
};

#[derive(Deserialize, Default)]
pub struct PeopleQuery {
    page: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
}

impl PeopleQuery {
    /// The filter asked for; a bad page, sort or direction is a 400 saying what is wrong.
    pub fn filter(&self, include_ended: bool) -> Result<PeopleFilter, AppError> {
        let page = parse_page(self.page.as_deref())?;
        let sort = match self.sort.as_deref().filter(|v| !v.is_empty()) {
            None => PeopleSort::default(),
            Some(v) => PeopleSort::parse(v).ok_or_else(|| {
                AppError::bad_request("The list can be sorted by name, role or joined, nothing else.")
            })?,
        };
        let ascending = match self.dir.as_deref().filter(|v| !v.is_empty()) {
            None => sort.default_ascending(),
            Some("asc") => true,
            Some("desc") => false,
            Some(_) => return Err(AppError::bad_request("The sort direction must be asc or desc.")),
        };
        Ok(PeopleFilter { include_ended, sort, ascending, page })
    }
}

/// The list's links: its address plus the sort (defaults left out) and the page.
#[derive(Clone)]
pub struct PeopleUrl {
    pub base: String,
    pub sort: PeopleSort,
    pub ascending: bool,
}

impl PeopleUrl {
    pub fn href(&self, page: u32) -> String {
        let mut pairs: Vec<String> = Vec::new();
        if self.sort != PeopleSort::default() || self.ascending != self.sort.default_ascending() {
            pairs.push(format!("sort={}", self.sort.as_str()));
            pairs.push(format!("dir={}", if self.ascending { "asc" } else { "desc" }));
        }
        if page > 1 {
            pairs.push(format!("page={page}"));
        }
        if pairs.is_empty() {
            self.base.clone()
        } else {
            format!("{}?{}", self.base, pairs.join("&"))
        }
    }

    /// A header: sorts by its column (page 1); on the sorted column, the other way round.
    pub fn header(&self, label: &'static str, sort: PeopleSort) -> SortHeader {
        let sorted = self.sort == sort;
        let ascending = if sorted { !self.ascending } else { sort.default_ascending() };
        let href = PeopleUrl { sort, ascending, base: self.base.clone() }.href(1);
        let aria_sort = sorted.then_some(if self.ascending { "ascending" } else { "descending" });
        SortHeader { label, href, aria_sort }
    }
}

/// What the list's footer and headers show.
pub struct PeoplePager {
    pub name_header: SortHeader,
    pub role_header: SortHeader,
    pub joined_header: SortHeader,
    /// "Showing 26–50 of 60 people".
    pub first_shown: i64,
    pub last_shown: i64,
    pub total: i64,
    pub page: u32,
    pub pages: u32,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl PeoplePager {
    /// `joined_label`: "Joined" on Members, "Since" on the Users tab.
    pub fn new(
        base: String,
        filter: &PeopleFilter,
        shown_page: u32,
        shown: usize,
        total: i64,
        joined_label: &'static str,
    ) -> Self {
        let url = PeopleUrl { base, sort: filter.sort, ascending: filter.ascending };
        let pages = crate::db::partners::page_shown(u32::MAX, total, PEOPLE_PAGE_SIZE);
        let first_shown = i64::from(shown_page - 1) * i64::from(PEOPLE_PAGE_SIZE) + 1;
        PeoplePager {
            name_header: url.header("Name", PeopleSort::Name),
            role_header: url.header("Role", PeopleSort::Role),
            joined_header: url.header(joined_label, PeopleSort::Joined),
            first_shown,
            last_shown: first_shown - 1 + shown as i64,
            total,
            page: shown_page,
            pages,
            previous: (shown_page > 1).then(|| url.href(shown_page - 1)),
            next: (shown_page < pages).then(|| url.href(shown_page + 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_sort_and_drop_defaults() {
        let url = PeopleUrl { base: "/members".into(), sort: PeopleSort::Name, ascending: true };
        assert_eq!(url.href(1), "/members");
        assert_eq!(url.href(2), "/members?page=2");
        let role = url.header("Role", PeopleSort::Role);
        assert_eq!(role.href, "/members?sort=role&dir=asc");
        assert_eq!(role.aria_sort, None);
        let name = url.header("Name", PeopleSort::Name);
        assert_eq!(name.href, "/members?sort=name&dir=desc");
        assert_eq!(name.aria_sort, Some("ascending"));
        let joined = PeopleUrl { sort: PeopleSort::Joined, ascending: false, ..url };
        assert_eq!(joined.href(3), "/members?sort=joined&dir=desc&page=3");
    }
}
