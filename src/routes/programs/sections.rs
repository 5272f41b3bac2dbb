//! What the group page shows of the group's program: its application form (with the builder's
//! buttons) and its join link.

use diesel::PgConnection;

use crate::{
    config::Settings,
    db::application_forms::{self, QuestionRow},
    db::groups::Group,
    domain::{EnterpriseId, QuestionKind},
    error::AppError,
};

/// The program sections of one group page.
pub struct Sections {
    pub questions: Vec<QuestionRow>,
    /// The kinds offered by the *Type* list of the add form.
    pub kinds: &'static [QuestionKind],
    pub join_code: Option<String>,
    pub join_open: bool,
    /// `PUBLIC_BASE_URL/join/<code>`, once a code was made.
    pub join_url: Option<String>,
}

pub fn load(conn: &mut PgConnection, enterprise_id: EnterpriseId, group: &Group) -> Result<Sections, AppError> {
    Ok(Sections {
        questions: application_forms::questions(conn, enterprise_id, group.id)?,
        kinds: QuestionKind::ALL,
        join_code: group.join_code.clone(),
        join_open: group.join_open,
        join_url: None,
    })
}

impl Sections {
    /// Builds the link from `PUBLIC_BASE_URL` (never from the request's headers).
    pub fn link_from(&mut self, settings: &Settings) {
        self.join_url = self.join_code.as_ref().map(|c| settings.link(&format!("/join/{c}")));
    }
}
