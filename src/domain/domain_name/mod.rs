//! A validated, normalised DNS domain name such as `acme.com`; `partner.rs` adds the rules for
//! a domain a partner registers as its own (no public suffixes, no free-mail services).

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};

use super::chars::is_hidden_in_domain;

mod partner;

/// Raw input longer than this many bytes is refused before it is even trimmed.
const MAX_RAW_BYTES: usize = 1000;
/// Maximum length of a domain name in characters (without the trailing dot).
pub(crate) const MAX_DOMAIN_LEN: usize = 253;
/// Maximum length of one label (the part between two dots).
const MAX_LABEL_LEN: usize = 63;

/// URL schemes people commonly paste without the `//`, e.g. `mailto:bob@acme.com`.
const SCHEME_PREFIXES: &[&str] = &["http:", "https:", "ftp:", "mailto:", "ws:", "wss:"];

/// Why a domain was refused. The `Display` text is shown next to the form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("Enter a domain, like acme.com.")]
    Empty,
    #[error("That domain is too long. A domain can have at most 253 characters.")]
    TooLong,
    #[error("Enter a domain like acme.com, without http:// or a path.")]
    HasScheme,
    #[error("Enter only the domain, like acme.com, without a path (/ and anything after it).")]
    HasPath,
    #[error("Enter only the domain, like acme.com, without ? and anything after it.")]
    HasQuery,
    #[error("Enter only the domain, like acme.com, without # and anything after it.")]
    HasFragment,
    #[error("Enter the domain without a port number, like acme.com instead of acme.com:8080.")]
    HasPort,
    #[error("Enter only the domain, like acme.com, not an email address.")]
    HasAt,
    #[error("Wildcards (*) aren't allowed. Enter one exact domain, like acme.com.")]
    Wildcard,
    #[error("Enter a domain name, like acme.com, not an IP address.")]
    IpAddress,
    #[error("Remove the spaces from the domain.")]
    Whitespace,
    #[error("Remove the hidden or control characters (such as line breaks) from the domain.")]
    ControlCharacter,
    #[error("Enter the full domain including its ending, like acme.com.")]
    NoDot,
    #[error("The domain can't start with a dot or have two dots in a row.")]
    EmptyLabel,
    #[error("Each part of the domain between dots can have at most 63 characters.")]
    LabelTooLong,
    #[error("Parts of the domain can't start or end with a hyphen (-).")]
    LabelHyphen,
    #[error(
        "The domain contains characters that aren't allowed. Use letters, digits, hyphens and dots, like acme.com."
    )]
    InvalidCharacter,
    #[error("The domain must end with a name like .com, not a number.")]
    NumericTld,
    #[error("That isn't a valid domain name. Enter a domain like acme.com.")]
    Invalid,
    /// Only from [`Domain::parse_for_partner`].
    #[error(
        "{0} is shared by many unrelated organisations (it is a public suffix). Enter your organisation's own domain, like acme.{0}."
    )]
    PublicSuffix(String),
    /// Only from [`Domain::parse_for_partner`].
    #[error(
        "{0} is a free or disposable email service: anyone can get an address there. Enter your organisation's own domain, like acme.com."
    )]
    FreeEmail(String),
}

/// A syntactically valid host name with at least one dot, stored in its
/// canonical form: lower-case ASCII, internationalised labels in punycode
/// (`xn--…`), no trailing dot.
///
/// Two `Domain`s are equal exactly when they name the same DNS name, so
/// comparing them with `==` is a safe exact-match check.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Domain {
    /// Parses and normalises user input such as `" Acme.COM. "` into `acme.com`.
    ///
    /// Never panics; every refusal comes back as a [`DomainError`] whose
    /// message explains what to change.
    pub fn parse(input: &str) -> Result<Domain, DomainError> {
        if input.len() > MAX_RAW_BYTES {
            return Err(DomainError::TooLong);
        }
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(DomainError::Empty);
        }
        reject_non_domain_input(trimmed)?;

        // Cheap length check before the (comparatively expensive) IDNA mapping.
        // One trailing dot is allowed on top of the 253 characters.
        let limit = if trimmed.ends_with('.') { MAX_DOMAIN_LEN + 1 } else { MAX_DOMAIN_LEN };
        if trimmed.chars().count() > limit {
            return Err(DomainError::TooLong);
        }

        // UTS-46: case folding, width folding, NFC and punycode. ASCII is
        // passed through unchanged so that the checks below can give a
        // specific message for it.
        let ascii = Uts46::new()
            .to_ascii(trimmed.as_bytes(), AsciiDenyList::EMPTY, Hyphens::Allow, DnsLength::Ignore)
            .map_err(|_| DomainError::Invalid)?;

        // The mapping can turn look-alikes (full-width "／", "：", "．") into
        // ASCII syntax, so run the same checks again on the result.
        reject_non_domain_input(&ascii)?;

        let name = ascii.strip_suffix('.').unwrap_or(&ascii);
        verify_hostname(name)?;
        Ok(Domain(name.to_owned()))
    }

    /// The canonical ASCII form, e.g. `xn--bcher-kva.example`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Refuses things that are clearly not a bare domain (URLs, emails, IPs, …)
/// with a specific message. Linear scans only.
fn reject_non_domain_input(s: &str) -> Result<(), DomainError> {
    if s.chars().any(is_hidden_in_domain) {
        return Err(DomainError::ControlCharacter);
    }
    if s.contains("://") || has_scheme_prefix(s) {
        return Err(DomainError::HasScheme);
    }
    if s.contains('@') {
        return Err(DomainError::HasAt);
    }
    if looks_like_ipv6(s) {
        return Err(DomainError::IpAddress);
    }
    if let Some(c) = s.chars().find(|c| matches!(c, '/' | '\\' | '?' | '#')) {
        return Err(match c {
            '?' => DomainError::HasQuery,
            '#' => DomainError::HasFragment,
            _ => DomainError::HasPath,
        });
    }
    if s.contains(':') {
        return Err(DomainError::HasPort);
    }
    if s.contains('*') {
        return Err(DomainError::Wildcard);
    }
    if s.chars().any(char::is_whitespace) {
        return Err(DomainError::Whitespace);
    }
    Ok(())
}

fn has_scheme_prefix(s: &str) -> bool {
    SCHEME_PREFIXES.iter().any(|prefix| s.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix)))
}

/// `[::1]`, `[::1]:8080`, `::1`, `2001:db8::1`, `fe80::1%eth0`, …
fn looks_like_ipv6(s: &str) -> bool {
    if s.starts_with('[') || s.contains(']') {
        return true;
    }
    if s.parse::<Ipv6Addr>().is_ok() {
        return true;
    }
    // Anything with two or more colons made only of hex digits, dots and
    // colons (optionally with a zone id) is an IPv6 literal, not a host:port.
    let address = s.split('%').next().unwrap_or(s);
    address.matches(':').count() >= 2 && address.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
}

/// Checks the final ASCII form against the host name rules.
fn verify_hostname(name: &str) -> Result<(), DomainError> {
    if name.is_empty() {
        return Err(DomainError::Empty);
    }
    if name.len() > MAX_DOMAIN_LEN {
        return Err(DomainError::TooLong);
    }
    if !name.contains('.') {
        return Err(DomainError::NoDot);
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.iter().any(|label| label.is_empty()) {
        return Err(DomainError::EmptyLabel);
    }
    if labels.iter().all(|label| is_all_digits(label)) {
        return Err(DomainError::IpAddress);
    }
    for label in &labels {
        if label.len() > MAX_LABEL_LEN {
            return Err(DomainError::LabelTooLong);
        }
        if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            return Err(DomainError::InvalidCharacter);
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DomainError::LabelHyphen);
        }
    }
    if labels.last().is_some_and(|tld| is_all_digits(tld)) {
        return Err(DomainError::NumericTld);
    }
    Ok(())
}

fn is_all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl AsRef<str> for Domain {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Domain {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Domain::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
