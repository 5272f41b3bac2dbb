//! `/dev/mailbox`: in development without `SMTP_URL`, the emails the portal "sent", newest
//! first, with their links clickable. Answers 404 unless `APP_ENV=development`.

use crate::domain::EmailId;
use actix_web::{http::header, web, HttpResponse};
use askama::Template;

use crate::{
    auth::guards::Visitor,
    config::AppEnv,
    db,
    db::outbox::{self, MailboxEmail},
    error::AppError,
    render::{render, Layout, Nav},
    state::AppState,
};

const SHOWN: i64 = 50;

/// The HTML part is shown as its own document, in a sandbox: a unique origin, no script,
/// nothing loaded from anywhere, only its own `<style>` block.
const HTML_PART_CSP: &str = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
                             frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A run of text, or a link to the portal itself.
pub struct Segment {
    pub text: String,
    pub is_link: bool,
}

pub struct ShownEmail {
    pub id: EmailId,
    pub to: String,
    pub subject: String,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub has_html: bool,
    /// Paragraphs of lines of segments.
    pub paragraphs: Vec<Vec<Vec<Segment>>>,
}

#[derive(Template)]
#[template(path = "dev/mailbox.html")]
struct MailboxPage {
    layout: Layout,
    emails: Vec<ShownEmail>,
    smtp_configured: bool,
}

fn development_only(state: &AppState) -> Result<(), AppError> {
    if state.settings.app_env == AppEnv::Development {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

pub async fn mailbox(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, AppError> {
    development_only(&state)?;
    let rows = db::run(&state.pool, |conn| Ok(outbox::mailbox(conn, SHOWN)?)).await?;
    let base = state.settings.public_base_url.clone();
    let emails = rows.into_iter().map(|e| shown(e, &base)).collect();
    let layout =
        Layout { nav: visitor.user.as_ref().map(Nav::from_principal), ..visitor.layout("Development mailbox")? };
    Ok(render(&MailboxPage { layout, emails, smtp_configured: state.settings.email.smtp_url.is_some() }))
}

pub async fn html_part(state: web::Data<AppState>, path: web::Path<EmailId>) -> Result<HttpResponse, AppError> {
    development_only(&state)?;
    let id = path.into_inner();
    let email =
        db::run(&state.pool, move |conn| Ok(outbox::mailbox_email(conn, id)?)).await?.ok_or(AppError::NotFound)?;
    let html = email.html_body.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, HTML_PART_CSP))
        .body(html))
}

fn shown(e: MailboxEmail, base: &str) -> ShownEmail {
    let text = e.text_body.unwrap_or_default();
    ShownEmail {
        id: e.id,
        to: e.to_address,
        subject: e.subject,
        sent_at: e.sent_at,
        has_html: e.html_body.is_some(),
        paragraphs: paragraphs(&text, base),
    }
}

/// Splits a text body into paragraphs (blank lines) of lines, each cut into text and links.
pub fn paragraphs(text: &str, base: &str) -> Vec<Vec<Vec<Segment>>> {
    let text = text.replace("\r\n", "\n");
    text.split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
        .map(|p| p.lines().map(|line| linkify(line, base)).collect())
        .collect()
}

/// Cuts `line` into segments; words that are URLs of the portal itself (`base` followed by
/// `/` or nothing) become links. Everything is escaped by the template, links included.
pub fn linkify(line: &str, base: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let push_text = |out: &mut Vec<Segment>, s: &str| match out.last_mut() {
        Some(last) if !last.is_link => last.text.push_str(s),
        _ => out.push(Segment { text: s.to_string(), is_link: false }),
    };
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            push_text(&mut out, " ");
        }
        // Trailing punctuation ends a sentence, not the URL.
        let url = word.trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
        let rest = &word[url.len()..];
        if is_portal_url(url, base) {
            out.push(Segment { text: url.to_string(), is_link: true });
            push_text(&mut out, rest);
        } else {
            push_text(&mut out, word);
        }
    }
    out
}

fn is_portal_url(word: &str, base: &str) -> bool {
    match word.strip_prefix(base) {
        Some(rest) => (rest.is_empty() || rest.starts_with('/')) && !word.chars().any(|c| c.is_control() || c == '"'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:8080";

    fn kinds(line: &str) -> Vec<(String, bool)> {
        linkify(line, BASE).into_iter().map(|s| (s.text, s.is_link)).collect()
    }

    #[test]
    fn portal_urls_become_links_and_punctuation_stays_text() {
        assert_eq!(
            kinds("open http://127.0.0.1:8080/invitations/abc. now"),
            vec![
                ("open ".to_string(), false),
                ("http://127.0.0.1:8080/invitations/abc".to_string(), true),
                (". now".to_string(), false),
            ]
        );
    }

    #[test]
    fn other_urls_and_look_alikes_stay_text() {
        assert!(kinds("http://evil.example/x").iter().all(|(_, link)| !link));
        assert!(kinds("http://127.0.0.1:8080.evil.example/x").iter().all(|(_, link)| !link));
        assert!(kinds("javascript:alert(1)").iter().all(|(_, link)| !link));
    }

    #[test]
    fn paragraphs_are_split_on_blank_lines() {
        let p = paragraphs("Hello,\n\nline one\nline two\n\n\nbye\n", BASE);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].len(), 2);
    }
}
