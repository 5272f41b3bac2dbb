//! Unit tests of `domain::email`.

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
