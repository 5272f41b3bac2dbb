//! A validated, normalised, single plain email address such as `bob@acme.com`.

use std::fmt;
use std::str::FromStr;

use super::chars::is_control_or_bidi;
use super::domain_name::{Domain, DomainError};

/// Raw input longer than this many bytes is refused before it is even trimmed.
const MAX_RAW_BYTES: usize = 1000;
/// Maximum length of a whole address (RFC 5321 path limit minus the brackets).
const MAX_EMAIL_LEN: usize = 254;
/// Maximum length of the part before the `@`.
const MAX_LOCAL_LEN: usize = 64;

/// Why an email address was refused. The `Display` text is shown next to the
/// form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("Enter an email address.")]
    Empty,
    #[error("That email address is too long. It can have at most 254 characters.")]
    TooLong,
    #[error("Remove the hidden or control characters (such as line breaks) from the email address.")]
    ControlCharacter,
    #[error("Enter only the email address, like name@acme.com, without a name or < >.")]
    DisplayName,
    #[error("Quoted email addresses aren't supported. Enter an address like name@acme.com.")]
    QuotedLocalPart,
    #[error("Remove the comment in brackets ( ) from the email address.")]
    Comment,
    #[error("Enter only one email address.")]
    MultipleAddresses,
    #[error("Remove the spaces from the email address.")]
    Whitespace,
    #[error("Enter an email address with an @, like name@acme.com.")]
    MissingAt,
    #[error("An email address can contain only one @.")]
    MultipleAt,
    #[error("Enter the part before the @, like name@acme.com.")]
    MissingLocalPart,
    #[error("The part before the @ can have at most 64 characters.")]
    LocalPartTooLong,
    #[error(
        "The part before the @ can only contain letters, digits, dots and the symbols ! # $ % & ' * + / = ? ^ _ ` {{ | }} ~ -."
    )]
    InvalidLocalPart,
    #[error("The part before the @ can't start or end with a dot or have two dots in a row.")]
    LocalPartDots,
    #[error("Enter the part after the @, like name@acme.com.")]
    MissingDomain,
    #[error("The part after the @ must be a valid domain, like acme.com.")]
    InvalidDomain(#[source] DomainError),
}

/// One plain `local@domain` address, normalised for case-insensitive
/// comparison: the local part is lower-cased and the domain is a normalised
/// [`Domain`] (lower-case, punycode, no trailing dot).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress {
    /// The full normalised address, `local@domain`.
    full: String,
    /// Byte index of the `@` in `full`.
    at: usize,
    domain: Domain,
}

impl EmailAddress {
    /// Parses and normalises user input such as `" Bob@ACME.com. "` into
    /// `bob@acme.com`.
    ///
    /// Never panics; every refusal comes back as an [`EmailError`] whose
    /// message explains what to change.
    pub fn parse(input: &str) -> Result<EmailAddress, EmailError> {
        if input.len() > MAX_RAW_BYTES {
            return Err(EmailError::TooLong);
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        reject_non_plain_address(trimmed)?;
        if trimmed.chars().count() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }

        let (local, domain_input) = match trimmed.split_once('@') {
            None => return Err(EmailError::MissingAt),
            Some((_, rest)) if rest.contains('@') => return Err(EmailError::MultipleAt),
            Some(parts) => parts,
        };
        verify_local_part(local)?;
        if domain_input.is_empty() {
            return Err(EmailError::MissingDomain);
        }
        let domain = Domain::parse(domain_input).map_err(EmailError::InvalidDomain)?;

        let local = local.to_ascii_lowercase();
        let full = format!("{local}@{domain}");
        if full.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        Ok(EmailAddress { at: local.len(), full, domain })
    }

    /// The full normalised address, e.g. `bob@acme.com`.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The normalised (lower-cased) part before the `@`.
    pub fn local_part(&self) -> &str {
        self.full.get(..self.at).unwrap_or_default()
    }

    /// The normalised domain after the `@`.
    pub fn domain(&self) -> &Domain {
        &self.domain
    }

    /// `true` if this address's domain is exactly one of `domains`.
    ///
    /// Sub-domains do not match their parent: `a@eu.acme.com` does not belong
    /// to `acme.com`, and neither does `a@acme.com.evil.com`.
    pub fn belongs_to(&self, domains: &[Domain]) -> bool {
        domains.contains(&self.domain)
    }
}

/// Refuses display names, quoting, comments, lists, whitespace and control
/// characters with a specific message.
fn reject_non_plain_address(s: &str) -> Result<(), EmailError> {
    if s.chars().any(is_control_or_bidi) {
        return Err(EmailError::ControlCharacter);
    }
    if s.contains(['<', '>']) {
        return Err(EmailError::DisplayName);
    }
    if s.contains('"') {
        return Err(EmailError::QuotedLocalPart);
    }
    if s.contains(['(', ')']) {
        return Err(EmailError::Comment);
    }
    if s.contains([',', ';']) {
        return Err(EmailError::MultipleAddresses);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(EmailError::Whitespace);
    }
    Ok(())
}

fn verify_local_part(local: &str) -> Result<(), EmailError> {
    if local.is_empty() {
        return Err(EmailError::MissingLocalPart);
    }
    if !local.bytes().all(is_dot_atom_byte) {
        return Err(EmailError::InvalidLocalPart);
    }
    // All bytes are ASCII from here on, so byte length == character count.
    if local.len() > MAX_LOCAL_LEN {
        return Err(EmailError::LocalPartTooLong);
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::LocalPartDots);
    }
    Ok(())
}

/// RFC 5322 `atext` plus `.`.
fn is_dot_atom_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-.".contains(&b)
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.full
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl FromStr for EmailAddress {
    type Err = EmailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EmailAddress::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
