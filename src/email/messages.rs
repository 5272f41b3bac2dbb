//! One constructor per email: the subject, and text and HTML bodies rendered from
//! `templates/email/<name>.{txt,html}`.
//!
//! The `.html` templates escape every value (askama picks its HTML escaper from the file
//! extension); the `.txt` templates are declared `escape = "none"` so a name like `A & B`
//! reads as typed.

use askama::Template;
use chrono::{DateTime, Utc};

use super::OutgoingEmail;
use crate::error::AppError;

/// An invitation to join a partner on the portal.
pub struct InvitationEmail<'a> {
    pub enterprise_name: &'a str,
    pub partner_name: &'a str,
    pub first_name: &'a str,
    pub inviter_name: &'a str,
    /// `"Admin"` or `"Member"`.
    pub role_label: &'a str,
    /// The person becomes the partner's account administrator.
    pub account_administrator: bool,
    /// An invitation to the enterprise's own team (`partner_name` is then the enterprise's).
    pub team: bool,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
    /// The inviter's *Personal note*: plain text, shown as typed (escaped in the HTML part).
    pub note: Option<&'a str>,
}

/// A "forgotten password" link.
pub struct PasswordResetEmail<'a> {
    pub first_name: &'a str,
    pub link: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// What both parts of an invitation need, worked out once.
struct InvitationView<'a> {
    e: &'a InvitationEmail<'a>,
    /// Who the email says invited the person: the inviter, else the enterprise.
    inviter: &'a str,
    /// False when no inviter name was given: the enterprise alone is named.
    inviter_known: bool,
    /// "an Admin" / "a Member".
    role_phrase: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/invitation.txt", escape = "none")]
struct InvitationText<'a> {
    v: &'a InvitationView<'a>,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    v: &'a InvitationView<'a>,
    subject: &'a str,
}

#[derive(Template)]
#[template(path = "email/password_reset.txt", escape = "none")]
struct PasswordResetText<'a> {
    e: &'a PasswordResetEmail<'a>,
    expires: String,
}

#[derive(Template)]
#[template(path = "email/password_reset.html")]
struct PasswordResetHtml<'a> {
    e: &'a PasswordResetEmail<'a>,
    expires: String,
    subject: &'a str,
}

/// "2026-11-28 14:00 UTC": unambiguous for readers in any time zone.
pub fn format_expiry(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A subject is one header line: control characters (a newline above all) become spaces.
pub(crate) fn one_line(s: &str) -> String {
    let cleaned: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A rendered part, or the error naming the template that failed (every email module uses it).
pub(crate) fn rendered(result: askama::Result<String>, what: &str) -> Result<String, AppError> {
    result.map_err(|e| AppError::Unexpected(anyhow::anyhow!("email template {what} failed: {e}")))
}

pub fn invitation_subject(e: &InvitationEmail<'_>) -> String {
    let inviter = if e.inviter_name.trim().is_empty() { e.enterprise_name } else { e.inviter_name };
    one_line(&format!("{inviter} invited you to join {} on Partner Portal", e.partner_name))
}

/// The invitation email. `to` is left empty for the caller to fill
/// (`OutgoingEmail { to: address, ..messages::invitation(&e)? }`); the outbox refuses an
/// email without a recipient.
pub fn invitation(e: &InvitationEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let inviter = if e.inviter_name.trim().is_empty() { e.enterprise_name } else { e.inviter_name };
    let article = if e.role_label.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    let view = InvitationView {
        e,
        inviter,
        inviter_known: !e.inviter_name.trim().is_empty(),
        role_phrase: format!("{article} {}", e.role_label),
        expires: format_expiry(e.expires_at),
    };
    let subject = invitation_subject(e);
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(InvitationText { v: &view }.render(), "invitation.txt")?,
        html: rendered(InvitationHtml { v: &view, subject: &subject }.render(), "invitation.html")?,
        subject,
    })
}

/// The password reset email; like [`invitation`], `to` is for the caller to fill.
pub fn password_reset(e: &PasswordResetEmail<'_>) -> Result<OutgoingEmail, AppError> {
    let subject = "Reset your Partner Portal password".to_string();
    let expires = format_expiry(e.expires_at);
    Ok(OutgoingEmail {
        to: String::new(),
        text: rendered(PasswordResetText { e, expires: expires.clone() }.render(), "password_reset.txt")?,
        html: rendered(PasswordResetHtml { e, expires, subject: &subject }.render(), "password_reset.html")?,
        subject,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    const HOSTILE: &str = "<img src=x onerror=alert(1)> & \"Co\"";

    fn hostile_invitation() -> OutgoingEmail {
        invitation(&InvitationEmail {
            enterprise_name: "Acme & Sons",
            partner_name: HOSTILE,
            first_name: "Ana",
            inviter_name: "",
            role_label: "Member",
            account_administrator: false,
            team: false,
            link: "https://portal.example/invitations/abc?x=1&y=2",
            expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap(),
            note: None,
        })
        .unwrap()
    }

    #[test]
    fn the_html_part_escapes_what_people_typed_and_the_text_part_does_not() {
        let email = hostile_invitation();
        assert!(!email.html.contains("<img"), "{}", email.html);
        assert!(email.html.contains("&#60;img src=x onerror=alert(1)&#62; &#38; &#34;Co&#34;"), "{}", email.html);
        assert!(email.text.contains(HOSTILE), "{}", email.text);
        assert!(email.text.contains("Acme & Sons has invited you"), "{}", email.text);
        assert!(email.text.contains("https://portal.example/invitations/abc?x=1&y=2\n"), "{}", email.text);
        assert!(email.text.contains("as a Member."), "{}", email.text);
        assert!(!email.text.contains("account administrator"), "{}", email.text);
    }

    #[test]
    fn without_an_inviter_the_enterprise_invites() {
        assert_eq!(
            hostile_invitation().subject,
            format!("Acme & Sons invited you to join {HOSTILE} on Partner Portal")
        );
    }

    #[test]
    fn the_personal_note_is_text_in_both_parts() {
        let note = "Hi Ana,\n<script>alert(1)</script> & welcome";
        let email = invitation(&InvitationEmail {
            enterprise_name: "Acme",
            partner_name: "Globex",
            first_name: "Ana",
            inviter_name: "Erin Admin",
            role_label: "Member",
            account_administrator: false,
            team: false,
            link: "https://portal.example/invitations/abc",
            expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap(),
            note: Some(note),
        })
        .unwrap();
        assert!(
            email.text.contains(&format!("Erin Admin added a personal note:\n\n{note}\n\nTo accept")),
            "{}",
            email.text
        );
        assert!(!email.html.contains("<script>"), "{}", email.html);
        assert!(email.html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; welcome"), "{}", email.html);
    }

    #[test]
    fn a_subject_stays_on_one_line() {
        assert_eq!(one_line("a\r\nBcc: x@y \t b"), "a Bcc: x@y b");
    }

    #[test]
    fn the_password_reset_email_names_the_link_and_its_expiry() {
        let email = password_reset(&PasswordResetEmail {
            first_name: "Ana",
            link: "https://portal.example/password/t",
            expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap(),
        })
        .unwrap();
        assert_eq!(email.subject, "Reset your Partner Portal password");
        assert!(email.text.contains("https://portal.example/password/t\n"));
        assert!(email.text.contains("expires on 2026-11-28 14:00 UTC."));
        assert!(email.html.contains(r#"href="https://portal.example/password/t""#));
    }

    #[test]
    fn the_invitation_text_reads_as_a_letter() {
        let email = invitation(&InvitationEmail {
            enterprise_name: "Acme",
            partner_name: "Globex",
            first_name: "Ana",
            inviter_name: "Erin Admin",
            role_label: "Admin",
            account_administrator: true,
            team: false,
            link: "https://portal.example/invitations/abc",
            expires_at: Utc.with_ymd_and_hms(2026, 11, 28, 14, 0, 0).unwrap(),
            note: None,
        })
        .unwrap();
        assert_eq!(email.subject, "Erin Admin invited you to join Globex on Partner Portal");
        assert_eq!(
            email.text,
            "Hello Ana,\n\n\
             Erin Admin of Acme has invited you to join Globex on Partner Portal as an Admin. \
             You will be the account administrator of Globex: you can invite your colleagues and manage their access.\n\n\
             To accept, open this link and choose a password (if you already have a Partner Portal account, log in with it instead):\n\n\
             https://portal.example/invitations/abc\n\n\
             This invitation expires on 2026-11-28 14:00 UTC.\n\n\
             If you were not expecting this invitation, you can ignore this email: nothing happens unless you open the link.\n\n\
             -- \nPartner Portal, on behalf of Acme"
        );
    }
}
