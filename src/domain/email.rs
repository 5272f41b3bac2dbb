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
mod tests {
    use super::*;

    fn ok(input: &str) -> EmailAddress {
        EmailAddress::parse(input).unwrap_or_else(|e| panic!("{input:?} should be accepted, got {e:?}"))
    }

    fn err(input: &str) -> EmailError {
        match EmailAddress::parse(input) {
            Ok(e) => panic!("{input:?} should be refused, got {e:?}"),
            Err(e) => e,
        }
    }

    fn domains(list: &[&str]) -> Vec<Domain> {
        list.iter().map(|d| Domain::parse(d).unwrap()).collect()
    }

    #[test]
    fn a_plain_address_is_accepted() {
        let e = ok("bob@acme.com");
        assert_eq!(e.as_str(), "bob@acme.com");
        assert_eq!(e.local_part(), "bob");
        assert_eq!(e.domain().as_str(), "acme.com");
    }

    #[test]
    fn the_whole_address_is_trimmed_and_lower_cased() {
        let e = ok("  Bob.Smith+Tag@ACME.Com  ");
        assert_eq!(e.as_str(), "bob.smith+tag@acme.com");
        assert_eq!(e.local_part(), "bob.smith+tag");
    }

    #[test]
    fn the_domain_is_normalised_like_a_domain_field() {
        assert_eq!(ok("a@acme.com.").as_str(), "a@acme.com");
        assert_eq!(ok("a@Bücher.example").as_str(), "a@xn--bcher-kva.example");
    }

    #[test]
    fn all_dot_atom_symbols_are_accepted_in_the_local_part() {
        let local = "a!#$%&'*+/=?^_`{|}~-z";
        assert_eq!(ok(&format!("{local}@acme.com")).local_part(), local);
    }

    #[test]
    fn upper_case_address_with_trailing_dot_belongs_to_its_domain() {
        assert!(ok("A@ACME.COM.").belongs_to(&domains(&["acme.com"])));
    }

    #[test]
    fn address_belongs_when_any_listed_domain_matches() {
        assert!(ok("a@beta.io").belongs_to(&domains(&["acme.com", "beta.io"])));
        assert!(!ok("a@beta.io").belongs_to(&[]));
    }

    #[test]
    fn subdomain_address_does_not_belong_to_the_parent_domain() {
        assert!(!ok("a@sub.acme.com").belongs_to(&domains(&["acme.com"])));
        assert!(!ok("a@eu.acme.com").belongs_to(&domains(&["acme.com"])));
    }

    #[test]
    fn parent_domain_appended_with_another_domain_does_not_belong() {
        assert!(!ok("a@acme.com.evil.com").belongs_to(&domains(&["acme.com"])));
        assert!(!ok("a@evilacme.com").belongs_to(&domains(&["acme.com"])));
    }

    #[test]
    fn homoglyph_domain_does_not_belong_to_the_real_domain() {
        assert!(!ok("a@\u{0430}cme.com").belongs_to(&domains(&["acme.com"])));
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(err(""), EmailError::Empty);
        assert_eq!(err(" \t "), EmailError::Empty);
    }

    #[test]
    fn quoted_local_part_is_refused() {
        assert_eq!(err("\"a b\"@acme.com"), EmailError::QuotedLocalPart);
        assert_eq!(err("\"ab\"@acme.com"), EmailError::QuotedLocalPart);
    }

    #[test]
    fn display_name_is_refused() {
        assert_eq!(err("Bob <bob@acme.com>"), EmailError::DisplayName);
        assert_eq!(err("<bob@acme.com>"), EmailError::DisplayName);
        assert_eq!(err("\"Bob\" <bob@acme.com>"), EmailError::DisplayName);
    }

    #[test]
    fn comment_is_refused() {
        assert_eq!(err("bob(x)@acme.com"), EmailError::Comment);
        assert_eq!(err("bob@acme.com(work)"), EmailError::Comment);
    }

    #[test]
    fn a_list_of_addresses_is_refused() {
        assert_eq!(err("a@acme.com,b@acme.com"), EmailError::MultipleAddresses);
        assert_eq!(err("a@acme.com;b@acme.com"), EmailError::MultipleAddresses);
    }

    #[test]
    fn second_at_sign_is_refused() {
        assert_eq!(err("a@b@acme.com"), EmailError::MultipleAt);
        assert_eq!(err("a@acme.com@evil.com"), EmailError::MultipleAt);
    }

    #[test]
    fn missing_at_sign_is_refused() {
        assert_eq!(err("bob.acme.com"), EmailError::MissingAt);
    }

    #[test]
    fn missing_local_part_or_domain_is_refused() {
        assert_eq!(err("@acme.com"), EmailError::MissingLocalPart);
        assert_eq!(err("bob@"), EmailError::MissingDomain);
    }

    #[test]
    fn crlf_header_injection_is_refused() {
        assert_eq!(err("a@acme.com\r\nBcc: x@evil.com"), EmailError::ControlCharacter);
        assert_eq!(err("a@acme.com\nx"), EmailError::ControlCharacter);
        assert_eq!(err("a\u{0}@acme.com"), EmailError::ControlCharacter);
        assert_eq!(err("a@acme.com\u{2028}x"), EmailError::ControlCharacter);
    }

    #[test]
    fn whitespace_inside_is_refused() {
        assert_eq!(err("bob smith@acme.com"), EmailError::Whitespace);
        assert_eq!(err("bob@acme .com"), EmailError::Whitespace);
    }

    #[test]
    fn leading_trailing_or_double_dots_in_the_local_part_are_refused() {
        assert_eq!(err(".bob@acme.com"), EmailError::LocalPartDots);
        assert_eq!(err("bob.@acme.com"), EmailError::LocalPartDots);
        assert_eq!(err("bo..b@acme.com"), EmailError::LocalPartDots);
    }

    #[test]
    fn non_ascii_or_unsupported_symbols_in_the_local_part_are_refused() {
        assert_eq!(err("böb@acme.com"), EmailError::InvalidLocalPart);
        assert_eq!(err("bob\\x@acme.com"), EmailError::InvalidLocalPart);
        assert_eq!(err("bob[1]@acme.com"), EmailError::InvalidLocalPart);
        assert_eq!(err("bob:x@acme.com"), EmailError::InvalidLocalPart);
    }

    #[test]
    fn local_part_of_64_characters_is_accepted_and_65_refused() {
        let ok64 = format!("{}@acme.com", "a".repeat(64));
        assert_eq!(ok(&ok64).as_str(), ok64);
        let bad65 = format!("{}@acme.com", "a".repeat(65));
        assert_eq!(err(&bad65), EmailError::LocalPartTooLong);
    }

    #[test]
    fn invalid_domain_is_refused_with_the_domain_reason_attached() {
        assert_eq!(err("a@[10.0.0.1]"), EmailError::InvalidDomain(DomainError::IpAddress));
        assert_eq!(err("a@localhost"), EmailError::InvalidDomain(DomainError::NoDot));
        assert_eq!(err("a@acme.com:25"), EmailError::InvalidDomain(DomainError::HasPort));
        assert_eq!(err("a@acme.com/x"), EmailError::InvalidDomain(DomainError::HasPath));
    }

    #[test]
    fn over_long_address_is_refused() {
        // 64 + 1 + 190 = 255 characters, every part individually valid.
        let domain = format!("{0}.{0}.{1}.com", "d".repeat(62), "e".repeat(60));
        let input = format!("{}@{}", "a".repeat(64), domain);
        assert_eq!(input.len(), 255);
        assert_eq!(err(&input), EmailError::TooLong);
    }

    #[test]
    fn very_long_input_is_refused() {
        assert_eq!(err(&format!("{}@acme.com", "a".repeat(300))), EmailError::TooLong);
        assert_eq!(err(&"a".repeat(5000)), EmailError::TooLong);
    }

    #[test]
    fn error_messages_are_user_facing_sentences() {
        assert_eq!(
            EmailError::InvalidDomain(DomainError::NoDot).to_string(),
            "The part after the @ must be a valid domain, like acme.com."
        );
        assert_eq!(EmailError::Empty.to_string(), "Enter an email address.");
    }

    #[test]
    fn display_as_ref_and_from_str_agree_with_as_str() {
        let e: EmailAddress = "Bob@Acme.com".parse().unwrap();
        assert_eq!(e.to_string(), "bob@acme.com");
        assert_eq!(e.as_ref(), "bob@acme.com");
    }

    #[test]
    fn odd_inputs_never_panic() {
        for input in [
            "@",
            "@@",
            "a@",
            "@a",
            ".@.",
            "a@.",
            "a@.com",
            "\u{10FFFF}@\u{10FFFF}",
            "é@é.com",
            "a@é",
            "a@xn--",
            "a@[::1]",
            "a@\u{FF20}acme.com",
            "a\u{FF20}acme.com",
        ] {
            let _ = EmailAddress::parse(input);
        }
    }
}
