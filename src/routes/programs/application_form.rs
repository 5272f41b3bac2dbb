//! The application form as an applicant fills it in: *Partner name*, *Domain* (one per line;
//! on a join link only) and the group's questions (`answer-<question id>` fields). Checked with
//! the wizard's rules and messages (`domain::new_partner`) and the form's own
//! (`domain::application_form`); the typed input is kept for the form shown again.

use crate::{
    db::application_forms::QuestionRow,
    domain::{
        application_form::{check_answers, Answer, Question},
        new_partner::{domain_in_list, email_outside, ADD_ONE_DOMAIN},
        Domain, EmailAddress, PartnerName,
    },
    routes::partners::grants::shared::form_fields,
};

/// The form as typed, with a message per field.
#[derive(Default, Clone)]
pub struct TypedApplication {
    pub partner_name: String,
    pub domains: String,
    /// (question id, value) as sent; several for multiple choice.
    pub answers: Vec<(i64, String)>,
    pub partner_name_error: Option<String>,
    pub domains_error: Option<String>,
    pub answer_errors: Vec<(i64, String)>,
}

impl TypedApplication {
    pub fn read(body: &[u8]) -> TypedApplication {
        let mut typed = TypedApplication::default();
        for (name, value) in form_fields(body) {
            match name.as_str() {
                "partner_name" => typed.partner_name = value,
                "domains" => typed.domains = value,
                other => {
                    if let Some(id) = other.strip_prefix("answer-").and_then(|id| id.parse::<i64>().ok()) {
                        typed.answers.push((id, value));
                    }
                }
            }
        }
        typed
    }

    /// The typed value of a text question.
    pub fn value_of(&self, question: &i64) -> &str {
        self.answers.iter().find(|(q, _)| q == question).map_or("", |(_, v)| v.as_str())
    }

    /// Whether the choice was picked.
    pub fn picked(&self, question: &i64, choice: &str) -> bool {
        self.answers.iter().any(|(q, v)| q == question && v == choice)
    }

    pub fn error_of(&self, question: &i64) -> Option<&str> {
        self.answer_errors.iter().find(|(q, _)| q == question).map(|(_, m)| m.as_str())
    }

    pub fn has_errors(&self) -> bool {
        self.partner_name_error.is_some() || self.domains_error.is_some() || !self.answer_errors.is_empty()
    }

    /// The domains as typed, one per line, blank lines left out.
    pub fn domain_lines(&self) -> Vec<String> {
        self.domains.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
    }

    /// Only the answers: an invited administrator's application (the partnership already has
    /// its name and domains).
    pub fn check_answers(&mut self, questions: &[QuestionRow]) -> Option<Vec<Answer>> {
        let list: Vec<Question> = questions.iter().map(QuestionRow::question).collect();
        let answers = self.answers.clone();
        match check_answers(&list, |id| {
            answers.iter().filter(|(q, _)| *q == id).map(|(_, v)| v.as_str()).collect::<Vec<_>>()
        }) {
            Ok(answers) => Some(answers),
            Err(errors) => {
                self.answer_errors = errors;
                None
            }
        }
    }

    /// Everything a join link application holds: (name, domains, answers), or None with the
    /// errors set. The applicant's address must be in one of the domains (the wizard's rule).
    pub fn check_all(
        &mut self,
        questions: &[QuestionRow],
        applicant: &str,
    ) -> Option<(PartnerName, Vec<Domain>, Vec<Answer>)> {
        let name =
            PartnerName::parse(&self.partner_name).map_err(|e| self.partner_name_error = Some(e.to_string())).ok();
        let mut domains: Vec<Domain> = Vec::new();
        let mut domain_errors: Vec<String> = Vec::new();
        for line in self.domain_lines() {
            match Domain::parse_for_partner(&line) {
                Err(e) => domain_errors.push(format!("{line}: {e}")),
                Ok(d) if domains.contains(&d) => domain_errors.push(domain_in_list(d.as_str())),
                Ok(d) => domains.push(d),
            }
        }
        if self.domain_lines().is_empty() {
            domain_errors.push(ADD_ONE_DOMAIN.to_string());
        } else if domain_errors.is_empty() {
            let inside = EmailAddress::parse(applicant).is_ok_and(|e| e.belongs_to(&domains));
            if !inside {
                let listed: Vec<String> = domains.iter().map(|d| d.as_str().to_string()).collect();
                domain_errors.push(format!("{} Your address is {applicant}.", email_outside(&listed)));
            }
        }
        if !domain_errors.is_empty() {
            self.domains_error = Some(domain_errors.join(" "));
        }
        let answers = self.check_answers(questions);
        match (name, answers) {
            (Some(name), Some(answers)) if !self.has_errors() => Some((name, domains, answers)),
            _ => None,
        }
    }
}
