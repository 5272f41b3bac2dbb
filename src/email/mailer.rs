//! The `Mailer`: where a claimed email goes. SMTP through lettre's real transport when
//! `SMTP_URL` is set; in development without it, the development mailbox (the email is
//! marked sent and stays readable at `/dev/mailbox`, nothing leaves the machine).

use std::str::FromStr;

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::{
    config::EmailSettings,
    db::outbox::{Claimed, VIA_MAILBOX, VIA_SMTP},
};

pub enum Mailer {
    Smtp { transport: AsyncSmtpTransport<Tokio1Executor>, from: Mailbox },
    DevMailbox,
}

/// How a failed send should be treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The SMTP server could not be reached or did not answer in time: not the email's
    /// fault, so it is retried for as long as it takes.
    Unreachable,
    /// The server answered 4xx (or the conversation broke): retried with back-off, a
    /// limited number of times.
    Temporary,
    /// The server answered 5xx, or the message cannot be built: never retried.
    Permanent,
}

#[derive(Debug, Clone)]
pub struct SendFailure {
    pub kind: FailureKind,
    /// Short and generic: stored for admins, so no address, server text or secret.
    pub reason: String,
}

impl Mailer {
    /// The mailer for these settings; `None` (logged) when emails cannot be sent at all:
    /// production without `SMTP_URL`. Emails then stay queued, nothing is lost.
    pub fn from_settings(settings: &EmailSettings) -> Option<Mailer> {
        let from = settings.from.clone();
        match (&settings.smtp_url, settings.dev_mailbox) {
            (Some(url), _) => match AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose()) {
                Ok(builder) => {
                    Some(Mailer::Smtp { transport: builder.timeout(Some(settings.smtp_timeout)).build(), from })
                }
                Err(e) => {
                    tracing::error!(error = %e, "SMTP_URL cannot be used; emails stay queued");
                    None
                }
            },
            (None, true) => Some(Mailer::DevMailbox),
            (None, false) => {
                tracing::error!("SMTP_URL is not set: emails are queued in the database but not sent until it is");
                None
            }
        }
    }

    /// Sends one email; on success returns how it was delivered (`smtp` | `mailbox`).
    pub async fn send(&self, email: &Claimed) -> Result<&'static str, SendFailure> {
        match self {
            Mailer::DevMailbox => Ok(VIA_MAILBOX),
            Mailer::Smtp { transport, from } => {
                let message = build_message(from, email)?;
                transport.send(message).await.map(|_| VIA_SMTP).map_err(classify)
            }
        }
    }
}

fn permanent(reason: &str) -> SendFailure {
    SendFailure { kind: FailureKind::Permanent, reason: reason.to_string() }
}

/// From, To, Subject, Date, a Message-ID that stays the same across retries, and a
/// multipart/alternative body (text first, HTML preferred by clients that can show it).
pub fn build_message(from: &Mailbox, email: &Claimed) -> Result<Message, SendFailure> {
    let to = Mailbox::from_str(&email.to_address).map_err(|_| permanent("the recipient address is not valid"))?;
    let (Some(text), Some(html)) = (&email.text_body, &email.html_body) else {
        return Err(permanent("the email has no body"));
    };
    let domain = from.email.domain().to_string();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(format!("<{}@{}>", email.message_id, domain)))
        .date_now()
        .multipart(MultiPart::alternative_plain_html(text.clone(), html.clone()))
        .map_err(|_| permanent("the message could not be built"))
}

/// Turns a lettre error into a retry decision and a reason safe to show an admin: the
/// reply code is kept, the server's text (which may quote the address) is not.
fn classify(e: lettre::transport::smtp::Error) -> SendFailure {
    let code = e.status().map(|c| c.to_string()).unwrap_or_default();
    if e.is_permanent() {
        SendFailure { kind: FailureKind::Permanent, reason: format!("the mail server refused the email ({code})") }
    } else if e.is_transient() {
        SendFailure { kind: FailureKind::Temporary, reason: format!("the mail server asked to retry later ({code})") }
    } else if e.is_timeout() {
        SendFailure { kind: FailureKind::Unreachable, reason: "the mail server did not answer in time".into() }
    } else if is_connect_error(&e) {
        SendFailure { kind: FailureKind::Unreachable, reason: "could not connect to the mail server".into() }
    } else if e.is_tls() {
        SendFailure { kind: FailureKind::Temporary, reason: "the TLS connection to the mail server failed".into() }
    } else {
        SendFailure { kind: FailureKind::Temporary, reason: "the conversation with the mail server failed".into() }
    }
}

/// Connection refused / reset / unreachable anywhere in the error's chain.
fn is_connect_error(e: &lettre::transport::smtp::Error) -> bool {
    use std::{error::Error as _, io::ErrorKind};
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::NotConnected
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::HostUnreachable
                    | ErrorKind::NetworkUnreachable
                    | ErrorKind::AddrNotAvailable
            );
        }
        source = err.source();
    }
    false
}
