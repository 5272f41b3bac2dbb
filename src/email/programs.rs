//! The emails of partner programs (SPEC §12): the link that confirms an applicant's address,
//! and the enterprise's answer to an application.

use askama::Template;
use chrono::{DateTime, Utc};

use super::messages::{format_expiry, one_line, rendered};
use super::OutgoingEmail;
use crate::error::AppError;

/// The confirmation link of an account made on a join link.
pub struct ConfirmationEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
}

#[derive(Template)]
#[template(path = "email/email_confirmation.txt", escape = "none")]
struct ConfirmationText<'a> {
    e: &'a ConfirmationEmail<'a>,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/email_confirmation.html")]
struct ConfirmationHtml<'a> {
    e: &'a ConfirmationEmail<'a>,
    expires: String,
    subject: &'a str,
}

/// `to` is for the caller to fill, as with every email constructor.
pub fn confirmation(e: &ConfirmationEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject = "Confirm your email address for Partner Portal".to_string();
    let expires = format_expiry(e.expires_at);
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(ConfirmationText { e, expires: expires.clone() }.render(), "email_confirmation.txt")?,
        html: rendered(ConfirmationHtml { e, expires, subject: &subject }.render(), "email_confirmation.html")?,
        subject,
    })
}

/// The enterprise approved or declined an application.
pub struct ApplicationAnsweredEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub partner_name: &'a str,
    pub approved: bool,
    /// Declined: the reason given (may be empty).
    pub reason: &'a str,
    /// Approved: where to log in.
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/application_answered.txt", escape = "none")]
struct AnsweredText<'a> {
    e: &'a ApplicationAnsweredEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/application_answered.html")]
struct AnsweredHtml<'a> {
    e: &'a ApplicationAnsweredEmail<'a>,
    subject: &'a str,
}

pub fn application_answered(e: &ApplicationAnsweredEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let verdict = if e.approved { "approved" } else { "declined" };
    let subject = one_line(&format!("{} {verdict} the application of {}", e.enterprise_name, e.partner_name));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(AnsweredText { e }.render(), "application_answered.txt")?,
        html: rendered(AnsweredHtml { e, subject: &subject }.render(), "application_answered.html")?,
        subject,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_decline_reason_reads_as_typed_in_text_and_escaped_in_html() {
        let mail = application_answered(&ApplicationAnsweredEmail {
            first_name: "Ada",
            enterprise_name: "Acme",
            partner_name: "Globex",
            approved: false,
            reason: "We only work with <b>resellers</b> & integrators.",
            link: "https://portal.example/login",
        })
        .unwrap();
        assert_eq!(mail.subject, "Acme declined the application of Globex");
        assert!(mail.text.contains("We only work with <b>resellers</b> & integrators."), "{}", mail.text);
        assert!(mail.html.contains("&#60;b&#62;resellers&#60;/b&#62; &#38; integrators"), "{}", mail.html);
    }
}
