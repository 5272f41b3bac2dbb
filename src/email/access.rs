//! The emails of reviewed access changes (SPEC §15): "What changed in your access" to each
//! of the partner's Admins, with the same list the enterprise confirmed. Rendered from
//! `templates/email/access_changed.{txt,html}` like the others in `messages`.

use askama::Template;

use super::{
    messages::{one_line, rendered},
    OutgoingEmail,
};
use crate::error::AppError;

/// What an enterprise changed in a partner's access, to one of the partner's Admins.
pub struct AccessChangedEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub partner_name: &'a str,
    /// "Erin Admin": who confirmed the change.
    pub changed_by: &'a str,
    /// "+ Payments API — Production", "− Accounts API — Staging".
    pub lines: &'a [String],
    /// `PUBLIC_BASE_URL/service-catalog`.
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/access_changed.txt", escape = "none")]
struct ChangedText<'a> {
    e: &'a AccessChangedEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/access_changed.html")]
struct ChangedHtml<'a> {
    e: &'a AccessChangedEmail<'a>,
    subject: &'a str,
}

/// The "What changed in your access" email; `to` is for the caller to fill.
pub fn access_changed(e: &AccessChangedEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject = one_line(&format!("What changed in your access to {}", e.enterprise_name));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(ChangedText { e }.render(), "access_changed.txt")?,
        html: rendered(ChangedHtml { e, subject: &subject }.render(), "access_changed.html")?,
        subject,
    })
}

/// A grant ends soon (SPEC §15: 14, 3 and 1 days before), to the partner's Admins and to the
/// enterprise's admins.
pub struct AccessEndingEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub partner_name: &'a str,
    /// "Payments API — Production", "Product One".
    pub what: &'a str,
    /// "31 Jan 2027".
    pub ends_on: &'a str,
    /// 14, 3 or 1.
    pub days_left: i16,
    /// For the enterprise's admins (who can Extend) rather than the partner's.
    pub to_enterprise: bool,
    /// The partner's tab (enterprise) or the Service Catalog (partner).
    pub link: &'a str,
}

impl AccessEndingEmail<'_> {
    /// "in 1 day", "in 14 days".
    fn in_days(&self) -> String {
        if self.days_left == 1 {
            "in 1 day".to_string()
        } else {
            format!("in {} days", self.days_left)
        }
    }
}

#[derive(Template)]
#[template(path = "email/access_ending.txt", escape = "none")]
struct EndingText<'a> {
    e: &'a AccessEndingEmail<'a>,
    in_days: String,
}

#[derive(Template)]
#[template(path = "email/access_ending.html")]
struct EndingHtml<'a> {
    e: &'a AccessEndingEmail<'a>,
    in_days: String,
    subject: &'a str,
}

/// The reminder that a grant ends; `to` is for the caller to fill.
pub fn access_ending(e: &AccessEndingEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject = one_line(&format!("{}: access to {} ends on {}", e.partner_name, e.what, e.ends_on));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(EndingText { e, in_days: e.in_days() }.render(), "access_ending.txt")?,
        html: rendered(EndingHtml { e, in_days: e.in_days(), subject: &subject }.render(), "access_ending.html")?,
        subject,
    })
}

/// A partner Admin asked for access, to each of the enterprise's admins.
pub struct AccessRequestedEmail<'a> {
    pub first_name: &'a str,
    pub partner_name: &'a str,
    pub requester: &'a str,
    /// "Payments API in Development, Production".
    pub what: &'a str,
    pub answers: &'a [(String, String)],
    /// `PUBLIC_BASE_URL/settings/access-requests/{id}`.
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/access_requested.txt", escape = "none")]
struct RequestedText<'a> {
    e: &'a AccessRequestedEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/access_requested.html")]
struct RequestedHtml<'a> {
    e: &'a AccessRequestedEmail<'a>,
    subject: &'a str,
}

pub fn access_requested(e: &AccessRequestedEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject = one_line(&format!("{} asks for access to {}", e.partner_name, e.what));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(RequestedText { e }.render(), "access_requested.txt")?,
        html: rendered(RequestedHtml { e, subject: &subject }.render(), "access_requested.html")?,
        subject,
    })
}

/// The enterprise's answer to an access request, to the person who asked.
pub struct AccessRequestAnsweredEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub what: &'a str,
    pub approved: bool,
    /// Declined: the reason given.
    pub reason: &'a str,
    /// Approved with an end: "31 Jan 2027".
    pub until: Option<&'a str>,
    /// The Service Catalog (approved) or Request access (declined).
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/access_request_answered.txt", escape = "none")]
struct AnsweredText<'a> {
    e: &'a AccessRequestAnsweredEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/access_request_answered.html")]
struct AnsweredHtml<'a> {
    e: &'a AccessRequestAnsweredEmail<'a>,
    subject: &'a str,
}

pub fn access_request_answered(e: &AccessRequestAnsweredEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let verdict = if e.approved { "approved" } else { "declined" };
    let subject = one_line(&format!("{} {verdict} your request for {}", e.enterprise_name, e.what));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(AnsweredText { e }.render(), "access_request_answered.txt")?,
        html: rendered(AnsweredHtml { e, subject: &subject }.render(), "access_request_answered.html")?,
        subject,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_list_reads_the_same_in_both_parts_and_names_are_escaped_in_html_only() {
        let lines = vec!["+ Payments API — Production".to_string(), "− <b>Old</b> API — Staging".to_string()];
        let mail = access_changed(&AccessChangedEmail {
            first_name: "Ada",
            enterprise_name: "Acme & Co",
            partner_name: "Globex",
            changed_by: "Erin Admin",
            lines: &lines,
            link: "https://portal.example/service-catalog",
        })
        .unwrap();
        assert_eq!(mail.subject, "What changed in your access to Acme & Co");
        assert!(mail.text.contains("+ Payments API — Production\n− <b>Old</b> API — Staging\n"), "{}", mail.text);
        assert!(mail.html.contains("− &#60;b&#62;Old&#60;/b&#62; API — Staging"), "{}", mail.html);
        assert!(mail.text.contains("https://portal.example/service-catalog"));
    }
}
