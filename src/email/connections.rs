//! The emails of partner connections (SPEC §11): a connection request to the organisation's
//! Admins, and "you now have access" to a person given staff access. Rendered from
//! `templates/email/<name>.{txt,html}` like the others in `messages`.

use askama::Template;

use super::{
    messages::{one_line, rendered},
    OutgoingEmail,
};
use crate::error::AppError;

/// An enterprise asks to connect with the organisation (to each of its Admins).
pub struct ConnectionRequestEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub organisation_name: &'a str,
    pub requester_name: &'a str,
    /// `PUBLIC_BASE_URL/partner/profile`.
    pub link: &'a str,
}

/// A person of the organisation was given access to its partnership with an enterprise.
pub struct AccessGrantedEmail<'a> {
    pub first_name: &'a str,
    pub enterprise_name: &'a str,
    pub organisation_name: &'a str,
    /// "Admin" or "Member".
    pub role_label: &'a str,
    pub granted_by: &'a str,
    /// `PUBLIC_BASE_URL/login`.
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "email/connection_request.txt", escape = "none")]
struct RequestText<'a> {
    e: &'a ConnectionRequestEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/connection_request.html")]
struct RequestHtml<'a> {
    e: &'a ConnectionRequestEmail<'a>,
    subject: &'a str,
}

#[derive(Template)]
#[template(path = "email/access_granted.txt", escape = "none")]
struct GrantedText<'a> {
    e: &'a AccessGrantedEmail<'a>,
}

#[derive(Template)]
#[template(path = "email/access_granted.html")]
struct GrantedHtml<'a> {
    e: &'a AccessGrantedEmail<'a>,
    subject: &'a str,
}

/// The connection request; `to` is for the caller to fill.
pub fn connection_request(e: &ConnectionRequestEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject =
        one_line(&format!("{} wants to connect with {} on Partner Portal", e.enterprise_name, e.organisation_name));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(RequestText { e }.render(), "connection_request.txt")?,
        html: rendered(RequestHtml { e, subject: &subject }.render(), "connection_request.html")?,
        subject,
    })
}

/// The "you now have access" email; `to` is for the caller to fill.
pub fn access_granted(e: &AccessGrantedEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject = one_line(&format!("You now have access to {} for {}", e.enterprise_name, e.organisation_name));
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(GrantedText { e }.render(), "access_granted.txt")?,
        html: rendered(GrantedHtml { e, subject: &subject }.render(), "access_granted.html")?,
        subject,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn user_supplied_names_are_escaped_in_the_html_part_only() {
        let mail = connection_request(&ConnectionRequestEmail {
            first_name: "Ada",
            enterprise_name: "<b>Acme</b> & Co",
            organisation_name: "Globex",
            requester_name: "Erin Admin",
            link: "https://portal.example/partner/profile",
        })
        .unwrap();
        assert!(mail.text.contains("<b>Acme</b> & Co"));
        assert!(mail.html.contains("&#60;b&#62;Acme&#60;/b&#62; &#38; Co"), "escaped: {}", mail.html);
        assert!(!mail.html.contains("<b>Acme"));
        assert!(mail.text.contains("https://portal.example/partner/profile"));
    }
}
