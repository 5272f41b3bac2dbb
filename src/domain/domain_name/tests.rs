//! Unit tests of `domain::domain_name`.

use super::*;

fn ok(input: &str) -> String {
    Domain::parse(input).unwrap_or_else(|e| panic!("{input:?} should be accepted, got {e:?}")).as_str().to_owned()
}

fn err(input: &str) -> DomainError {
    match Domain::parse(input) {
        Ok(d) => panic!("{input:?} should be refused, got {d:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_plain_domain_is_accepted_unchanged() {
    assert_eq!(ok("acme.com"), "acme.com");
    assert_eq!(ok("eu.sub.acme.co.uk"), "eu.sub.acme.co.uk");
    assert_eq!(ok("my-company1.example"), "my-company1.example");
}

#[test]
fn upper_case_is_lower_cased() {
    assert_eq!(ok("ACME.Com"), "acme.com");
}

#[test]
fn surrounding_whitespace_is_trimmed() {
    assert_eq!(ok("  acme.com \t"), "acme.com");
}

#[test]
fn one_trailing_dot_is_removed() {
    assert_eq!(ok("acme.com."), "acme.com");
}

#[test]
fn two_trailing_dots_are_refused() {
    assert_eq!(err("acme.com.."), DomainError::EmptyLabel);
}

#[test]
fn leading_dot_and_double_dot_are_refused() {
    assert_eq!(err(".acme.com"), DomainError::EmptyLabel);
    assert_eq!(err("acme..com"), DomainError::EmptyLabel);
}

#[test]
fn internationalised_name_is_converted_to_punycode() {
    assert_eq!(ok("Bücher.example"), "xn--bcher-kva.example");
}

#[test]
fn punycode_input_is_accepted_and_lower_cased() {
    assert_eq!(ok("XN--BCHER-KVA.EXAMPLE"), "xn--bcher-kva.example");
}

#[test]
fn invalid_punycode_is_refused() {
    assert_eq!(err("xn--zz.com"), DomainError::Invalid);
}

#[test]
fn full_width_characters_are_normalised() {
    assert_eq!(ok("ａｃｍｅ．ｃｏｍ"), "acme.com");
    assert_eq!(ok("acme.com。"), "acme.com");
}

#[test]
fn homoglyph_with_cyrillic_letter_stays_distinct() {
    let fake = Domain::parse("\u{0430}cme.com").unwrap();
    let real = Domain::parse("acme.com").unwrap();
    assert_ne!(fake, real);
    assert!(fake.as_str().starts_with("xn--"));
    assert_eq!(fake.as_str(), "xn--cme-5cd.com");
}

#[test]
fn empty_input_is_refused() {
    assert_eq!(err(""), DomainError::Empty);
    assert_eq!(err("   "), DomainError::Empty);
    assert_eq!(err("."), DomainError::Empty);
}

#[test]
fn scheme_is_refused() {
    assert_eq!(err("http://acme.com"), DomainError::HasScheme);
    assert_eq!(err("https://acme.com/"), DomainError::HasScheme);
    assert_eq!(err("HTTPS://ACME.COM"), DomainError::HasScheme);
    assert_eq!(err("ftp://acme.com"), DomainError::HasScheme);
    assert_eq!(err("anything://acme.com"), DomainError::HasScheme);
    assert_eq!(err("http:acme.com"), DomainError::HasScheme);
}

#[test]
fn path_is_refused() {
    assert_eq!(err("acme.com/login"), DomainError::HasPath);
    assert_eq!(err("acme.com/"), DomainError::HasPath);
    assert_eq!(err("acme.com\\x"), DomainError::HasPath);
}

#[test]
fn full_width_path_is_refused_after_mapping() {
    assert_eq!(err("acme．com／x"), DomainError::HasPath);
}

#[test]
fn query_and_fragment_are_refused() {
    assert_eq!(err("acme.com?x=1"), DomainError::HasQuery);
    assert_eq!(err("acme.com#top"), DomainError::HasFragment);
}

#[test]
fn port_is_refused() {
    assert_eq!(err("acme.com:8080"), DomainError::HasPort);
    assert_eq!(err("acme.com:"), DomainError::HasPort);
}

#[test]
fn ipv4_address_is_refused() {
    assert_eq!(err("10.0.0.1"), DomainError::IpAddress);
    assert_eq!(err("127.1"), DomainError::IpAddress);
    assert_eq!(err("１０．０．０．１"), DomainError::IpAddress);
}

#[test]
fn ipv6_address_is_refused() {
    assert_eq!(err("::1"), DomainError::IpAddress);
    assert_eq!(err("2001:db8::1"), DomainError::IpAddress);
    assert_eq!(err("fe80::1%eth0"), DomainError::IpAddress);
}

#[test]
fn bracketed_ip_address_is_refused() {
    assert_eq!(err("[::1]"), DomainError::IpAddress);
    assert_eq!(err("[2001:db8::1]:443"), DomainError::IpAddress);
    assert_eq!(err("[10.0.0.1]"), DomainError::IpAddress);
}

#[test]
fn numeric_top_level_domain_is_refused() {
    assert_eq!(err("acme.123"), DomainError::NumericTld);
}

#[test]
fn digits_in_other_labels_are_accepted() {
    assert_eq!(ok("123.acme.com"), "123.acme.com");
    assert_eq!(ok("1password.com"), "1password.com");
}

#[test]
fn wildcard_is_refused() {
    assert_eq!(err("*.acme.com"), DomainError::Wildcard);
}

#[test]
fn at_sign_is_refused() {
    assert_eq!(err("bob@acme.com"), DomainError::HasAt);
    assert_eq!(err("@acme.com"), DomainError::HasAt);
}

#[test]
fn name_without_a_dot_is_refused() {
    assert_eq!(err("localhost"), DomainError::NoDot);
    assert_eq!(err("acme"), DomainError::NoDot);
}

#[test]
fn whitespace_inside_is_refused() {
    assert_eq!(err("acme .com"), DomainError::Whitespace);
    assert_eq!(err("ac me.com"), DomainError::Whitespace);
    assert_eq!(err("acme\u{00A0}.com"), DomainError::Whitespace);
}

#[test]
fn control_and_hidden_characters_are_refused() {
    assert_eq!(err("acme.com\r\nx"), DomainError::ControlCharacter);
    assert_eq!(err("acme\u{0}.com"), DomainError::ControlCharacter);
    assert_eq!(err("ac\u{200B}me.com"), DomainError::ControlCharacter);
    assert_eq!(err("ac\u{00AD}me.com"), DomainError::ControlCharacter);
    assert_eq!(err("acme\u{202E}.com"), DomainError::ControlCharacter);
}

#[test]
fn label_of_63_characters_is_accepted() {
    let input = format!("{}.com", "a".repeat(63));
    assert_eq!(ok(&input), input);
}

#[test]
fn label_of_64_characters_is_refused() {
    let input = format!("{}.com", "a".repeat(64));
    assert_eq!(err(&input), DomainError::LabelTooLong);
}

#[test]
fn domain_of_253_characters_is_accepted() {
    // 4 labels of 62 + 3 dots = 251, plus ".ab" = 254 -> use 61-char last label.
    let input = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(61));
    assert_eq!(input.len(), 253);
    assert_eq!(ok(&input), input);
    assert_eq!(ok(&format!("{input}.")), input);
}

#[test]
fn domain_of_254_characters_is_refused() {
    let input = format!("{0}.{0}.{0}.{1}", "a".repeat(63), "b".repeat(62));
    assert_eq!(input.len(), 254);
    assert_eq!(err(&input), DomainError::TooLong);
}

#[test]
fn over_long_domain_is_refused() {
    let input = format!("{}com", "abc.".repeat(100));
    assert_eq!(err(&input), DomainError::TooLong);
}

#[test]
fn idn_that_grows_past_253_characters_in_punycode_is_refused() {
    // 20 distinct CJK characters become a 57-character punycode label,
    // so this 108-character input is 293 characters in ASCII.
    let label: String = (0..20u32).filter_map(|i| char::from_u32(0x4E00 + i * 97)).collect();
    let input = format!("{0}.{0}.{0}.{0}.{0}.com", label);
    assert_eq!(input.chars().count(), 108);
    assert_eq!(err(&input), DomainError::TooLong);
}

#[test]
fn raw_input_over_1000_bytes_is_refused() {
    let input = format!("acme.com{}", " ".repeat(1000));
    assert_eq!(err(&input), DomainError::TooLong);
}

#[test]
fn hyphen_at_label_edge_is_refused() {
    assert_eq!(err("-acme.com"), DomainError::LabelHyphen);
    assert_eq!(err("acme-.com"), DomainError::LabelHyphen);
    assert_eq!(err("acme.com-"), DomainError::LabelHyphen);
}

#[test]
fn hyphen_inside_label_is_accepted() {
    assert_eq!(ok("ac-me.com"), "ac-me.com");
    assert_eq!(ok("ab--cd.com"), "ab--cd.com");
}

#[test]
fn underscore_and_other_symbols_are_refused() {
    assert_eq!(err("ac_me.com"), DomainError::InvalidCharacter);
    assert_eq!(err("acme!.com"), DomainError::InvalidCharacter);
    assert_eq!(err("a,b.com"), DomainError::InvalidCharacter);
}

#[test]
fn error_messages_are_user_facing_sentences() {
    assert_eq!(DomainError::HasScheme.to_string(), "Enter a domain like acme.com, without http:// or a path.");
    for e in [DomainError::Empty, DomainError::TooLong, DomainError::IpAddress, DomainError::Invalid] {
        let msg = e.to_string();
        assert!(msg.ends_with('.'), "{msg}");
        assert!(msg.chars().next().is_some_and(char::is_uppercase), "{msg}");
    }
}

#[test]
fn display_as_ref_and_from_str_agree_with_as_str() {
    let d: Domain = "Acme.com".parse().unwrap();
    assert_eq!(d.to_string(), "acme.com");
    assert_eq!(d.as_ref(), "acme.com");
    assert_eq!(d.as_str(), "acme.com");
}

#[test]
fn odd_inputs_never_panic() {
    let mut inputs: Vec<String> = [
        "",
        ".",
        "..",
        "-",
        "xn--",
        "xn--.com",
        "a.-",
        "[",
        "]",
        ":",
        "::",
        "%",
        "\u{FFFF}",
        "\u{10FFFF}.com",
        "é",
        "ß.de",
        "ǅ.com",
        "a\u{0301}.com",
        "٠١٢.com",
        "a.b.c.d.e.f",
        "\u{1F600}.com",
        "i\u{307}.com",
        "xn--a.xn--b",
        "0x7f.0.0.1",
        "%41.com",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    inputs.push("é".repeat(300));
    inputs.push("a.".repeat(600));
    inputs.push("\u{1F600}".repeat(250));
    for input in &inputs {
        let _ = Domain::parse(input);
    }
}

// ---------------------------------------------------------------- partner domains

fn partner_ok(input: &str) -> String {
    Domain::parse_for_partner(input)
        .unwrap_or_else(|e| panic!("{input:?} should be accepted for a partner, got {e:?}"))
        .as_str()
        .to_owned()
}

fn partner_err(input: &str) -> DomainError {
    match Domain::parse_for_partner(input) {
        Ok(d) => panic!("{input:?} should be refused for a partner, got {d:?}"),
        Err(e) => e,
    }
}

#[test]
fn an_icann_public_suffix_is_refused_for_a_partner() {
    assert_eq!(partner_err("co.uk"), DomainError::PublicSuffix("co.uk".into()));
    assert_eq!(partner_err("com.au"), DomainError::PublicSuffix("com.au".into()));
    assert_eq!(partner_err("ac.jp"), DomainError::PublicSuffix("ac.jp".into()));
}

#[test]
fn a_private_public_suffix_is_refused_for_a_partner() {
    assert_eq!(partner_err("github.io"), DomainError::PublicSuffix("github.io".into()));
    assert_eq!(partner_err("blogspot.com"), DomainError::PublicSuffix("blogspot.com".into()));
    assert_eq!(partner_err("s3.amazonaws.com"), DomainError::PublicSuffix("s3.amazonaws.com".into()));
}

#[test]
fn a_registrable_domain_under_a_public_suffix_is_accepted_for_a_partner() {
    assert_eq!(partner_ok("acme.co.uk"), "acme.co.uk");
    assert_eq!(partner_ok("acme.github.io"), "acme.github.io");
    assert_eq!(partner_ok("eu.sub.acme.co.uk"), "eu.sub.acme.co.uk");
    assert_eq!(partner_ok("acme.com"), "acme.com");
}

#[test]
fn the_test_domains_under_reserved_endings_are_accepted_for_a_partner() {
    // The end-to-end journey and the HTTP tests register these.
    for name in ["globex.example", "initech.example", "initech.com", "acme.example", "acme.test"] {
        assert_eq!(partner_ok(name), name);
    }
}

#[test]
fn a_free_mail_domain_is_refused_for_a_partner() {
    for name in ["gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de"] {
        assert_eq!(partner_err(name), DomainError::FreeEmail(name.into()), "{name}");
    }
}

#[test]
fn a_disposable_email_domain_is_refused_for_a_partner() {
    for name in ["mailinator.com", "guerrillamail.com", "yopmail.com", "10minutemail.com"] {
        assert_eq!(partner_err(name), DomainError::FreeEmail(name.into()), "{name}");
    }
}

#[test]
fn a_name_under_a_free_mail_domain_is_refused_for_a_partner() {
    assert_eq!(partner_err("eu.gmail.com"), DomainError::FreeEmail("gmail.com".into()));
}

#[test]
fn case_trailing_dot_and_full_width_are_normalised_before_the_lookups() {
    assert_eq!(partner_err("GMAIL.COM"), DomainError::FreeEmail("gmail.com".into()));
    assert_eq!(partner_err(" Gmail.com. "), DomainError::FreeEmail("gmail.com".into()));
    assert_eq!(partner_err("ｇｍａｉｌ．ｃｏｍ"), DomainError::FreeEmail("gmail.com".into()));
    assert_eq!(partner_err("CO.UK"), DomainError::PublicSuffix("co.uk".into()));
    assert_eq!(partner_err("GitHub.IO."), DomainError::PublicSuffix("github.io".into()));
}

#[test]
fn an_internationalised_public_suffix_is_refused_in_its_punycode_form() {
    // 個人.香港 is an ICANN suffix under the .香港 (Hong Kong) ending.
    let err = partner_err("個人.香港");
    assert_eq!(err, DomainError::PublicSuffix("xn--gmqw5a.xn--j6w193g".into()));
    assert_eq!(partner_ok("acme.個人.香港"), "acme.xn--gmqw5a.xn--j6w193g");
}

#[test]
fn the_partner_rules_leave_plain_parsing_alone() {
    // Stored domains are read back with `Domain::parse`: it must keep accepting them.
    assert_eq!(ok("gmail.com"), "gmail.com");
    assert_eq!(ok("co.uk"), "co.uk");
    assert_eq!(partner_err("not a domain"), DomainError::Whitespace);
}

#[test]
fn the_partner_refusals_name_the_domain_and_what_to_enter() {
    assert_eq!(
        DomainError::PublicSuffix("co.uk".into()).to_string(),
        "co.uk is shared by many unrelated organisations (it is a public suffix). \
         Enter your organisation's own domain, like acme.co.uk."
    );
    assert_eq!(
        DomainError::FreeEmail("gmail.com".into()).to_string(),
        "gmail.com is a free or disposable email service: anyone can get an address there. \
         Enter your organisation's own domain, like acme.com."
    );
}

#[test]
fn the_free_email_list_file_is_loaded() {
    // A broken file (e.g. one long line) would silently accept everything.
    assert!(partner::free_email_count() > 10_000, "{}", partner::free_email_count());
}
