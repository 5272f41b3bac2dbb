//! The extra rules for a domain a partner registers as its own email domain (SPEC: a
//! partner's domains decide who may be invited): a public suffix (`co.uk`, `github.io`) or a
//! free-mail or disposable email service (`gmail.com`, `mailinator.com`) is shared by many
//! unrelated people, so it proves no organisation and is refused.
//!
//! These rules apply where a domain is *entered* (and where a draft is re-validated), never
//! when a stored domain is read back: [`Domain::parse`] stays as it was, so a domain saved
//! before a list changed keeps working.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::{Domain, DomainError};

/// One lower-case ASCII domain per line; `#` comments and blank lines are skipped. The file's
/// header names its source, version and licence.
const FREE_EMAIL_DOMAINS: &str = include_str!("../../../data/free_email_domains.txt");

/// Built once, on first use.
static FREE_EMAIL: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    FREE_EMAIL_DOMAINS.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')).collect()
});

impl Domain {
    /// Parses like [`Domain::parse`], then refuses what can't be a partner's own domain:
    /// a public suffix ([`DomainError::PublicSuffix`]) or a free-mail or disposable email
    /// service, or a name under one ([`DomainError::FreeEmail`]).
    pub fn parse_for_partner(input: &str) -> Result<Domain, DomainError> {
        let domain = Domain::parse(input)?;
        check_partner_domain(&domain)?;
        Ok(domain)
    }
}

/// The partner rules on an already normalised domain (lower-case, punycode), so `GMAIL.COM`
/// and `Gmail.com.` are looked up as `gmail.com`.
fn check_partner_domain(domain: &Domain) -> Result<(), DomainError> {
    let name = domain.as_str();
    // The compiled-in Public Suffix List, ICANN and private sections alike. A name under an
    // unknown ending (`globex.example`) gets the list's default rule: only its last label
    // is the suffix, so a name with a dot is never refused for it.
    if psl::suffix_str(name) == Some(name) {
        return Err(DomainError::PublicSuffix(name.to_owned()));
    }
    // `gmail.com` and also `eu.gmail.com`: every parent down to two labels is looked up.
    let mut rest = name;
    while rest.contains('.') {
        if FREE_EMAIL.contains(rest) {
            return Err(DomainError::FreeEmail(rest.to_owned()));
        }
        rest = rest.split_once('.').map_or("", |(_, parent)| parent);
    }
    Ok(())
}

/// How many domains the free-mail list holds (a check that the file was read line by line).
#[cfg(test)]
pub(super) fn free_email_count() -> usize {
    FREE_EMAIL.len()
}
