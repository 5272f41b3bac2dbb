//! Validated display names: partner (company) names and person names.

use std::fmt;
use std::str::FromStr;

use super::chars::is_control_or_bidi;

const PARTNER_MIN_CHARS: usize = 2;
const NAME_MAX_CHARS: usize = 100;

/// Why a partner name was refused. The `Display` text is shown next to the
/// form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartnerNameError {
    #[error("Enter the partner's name.")]
    Empty,
    #[error("The partner name must be at least 2 characters long.")]
    TooShort,
    #[error("The partner name can be at most 100 characters long.")]
    TooLong,
    #[error("Remove the hidden or control characters (such as line breaks) from the partner name.")]
    ControlCharacter,
}

/// Why a first name or surname was refused. The `Display` text is shown next
/// to the form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PersonNameError {
    #[error("Enter a name.")]
    Empty,
    #[error("The name can be at most 100 characters long.")]
    TooLong,
    #[error("Remove the hidden or control characters (such as line breaks) from the name.")]
    ControlCharacter,
}

/// A partner (company) name: trimmed, 2–100 characters, no control
/// characters. Case is preserved; use [`normalise_for_compare`] for
/// "unique ignoring case" checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PartnerName(String);

impl PartnerName {
    /// Parses user input such as `"  Acme Ltd "` into `Acme Ltd`.
    pub fn parse(input: &str) -> Result<PartnerName, PartnerNameError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PartnerNameError::Empty);
        }
        // Stop counting as soon as the limit is exceeded, so huge input is cheap.
        let count = trimmed.chars().take(NAME_MAX_CHARS + 1).count();
        if count > NAME_MAX_CHARS {
            return Err(PartnerNameError::TooLong);
        }
        if count < PARTNER_MIN_CHARS {
            return Err(PartnerNameError::TooShort);
        }
        if trimmed.chars().any(is_control_or_bidi) {
            return Err(PartnerNameError::ControlCharacter);
        }
        Ok(PartnerName(trimmed.to_owned()))
    }

    /// The trimmed name exactly as entered otherwise.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A first name or surname: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PersonName(String);

impl PersonName {
    /// Parses user input such as `" Zoë "` into `Zoë`.
    pub fn parse(input: &str) -> Result<PersonName, PersonNameError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PersonNameError::Empty);
        }
        if trimmed.chars().take(NAME_MAX_CHARS + 1).count() > NAME_MAX_CHARS {
            return Err(PersonNameError::TooLong);
        }
        if trimmed.chars().any(is_control_or_bidi) {
            return Err(PersonNameError::ControlCharacter);
        }
        Ok(PersonName(trimmed.to_owned()))
    }

    /// The trimmed name exactly as entered otherwise.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Key for "unique ignoring case" checks: trims surrounding whitespace and
/// lower-cases with full Unicode rules (`"ÄRGER GmbH"` -> `"ärger gmbh"`).
pub fn normalise_for_compare(name: &str) -> String {
    name.trim().to_lowercase()
}

impl AsRef<str> for PartnerName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PartnerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PartnerName {
    type Err = PartnerNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PartnerName::parse(s)
    }
}

impl AsRef<str> for PersonName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PersonName {
    type Err = PersonNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PersonName::parse(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn partner_name_surrounding_spaces_are_trimmed() {
        assert_eq!(PartnerName::parse("  Acme Ltd \n").unwrap().as_str(), "Acme Ltd");
    }

    #[test]
    fn partner_name_keeps_its_case_and_inner_spaces() {
        assert_eq!(PartnerName::parse("ACME  Ltd").unwrap().as_str(), "ACME  Ltd");
    }

    #[test]
    fn partner_name_of_one_character_is_refused() {
        assert_eq!(PartnerName::parse("A"), Err(PartnerNameError::TooShort));
        assert_eq!(PartnerName::parse("  A  "), Err(PartnerNameError::TooShort));
    }

    #[test]
    fn partner_name_of_two_characters_is_accepted() {
        assert_eq!(PartnerName::parse("3M").unwrap().as_str(), "3M");
    }

    #[test]
    fn empty_partner_name_is_refused() {
        assert_eq!(PartnerName::parse(""), Err(PartnerNameError::Empty));
        assert_eq!(PartnerName::parse("   "), Err(PartnerNameError::Empty));
    }

    #[test]
    fn partner_name_of_100_characters_is_accepted() {
        let name = "a".repeat(100);
        assert_eq!(PartnerName::parse(&name).unwrap().as_str(), name);
    }

    #[test]
    fn partner_name_of_101_characters_is_refused() {
        assert_eq!(PartnerName::parse(&"a".repeat(101)), Err(PartnerNameError::TooLong));
    }

    #[test]
    fn partner_name_length_counts_characters_not_bytes() {
        // 100 two-byte characters = 200 bytes, still accepted.
        let name = "é".repeat(100);
        assert_eq!(PartnerName::parse(&name).unwrap().as_str(), name);
        assert_eq!(PartnerName::parse(&"é".repeat(101)), Err(PartnerNameError::TooLong));
        assert_eq!(PartnerName::parse("日本").unwrap().as_str(), "日本");
    }

    #[test]
    fn partner_name_with_control_characters_is_refused() {
        for input in ["Acme\nLtd", "Acme\r\nLtd", "Acme\tLtd", "Acme\u{0}", "Acme\u{7F}x", "Ac\u{202E}me"] {
            assert_eq!(PartnerName::parse(input), Err(PartnerNameError::ControlCharacter), "{input:?}");
        }
    }

    #[test]
    fn person_name_of_one_character_is_accepted() {
        assert_eq!(PersonName::parse(" Q ").unwrap().as_str(), "Q");
    }

    #[test]
    fn person_name_surrounding_spaces_are_trimmed() {
        assert_eq!(PersonName::parse("  Zoë  ").unwrap().to_string(), "Zoë");
    }

    #[test]
    fn empty_person_name_is_refused() {
        assert_eq!(PersonName::parse(" "), Err(PersonNameError::Empty));
    }

    #[test]
    fn person_name_of_100_characters_is_accepted_and_101_refused() {
        assert!(PersonName::parse(&"ß".repeat(100)).is_ok());
        assert_eq!(PersonName::parse(&"ß".repeat(101)), Err(PersonNameError::TooLong));
    }

    #[test]
    fn person_name_with_control_characters_is_refused() {
        assert_eq!(PersonName::parse("Bob\r\nBcc"), Err(PersonNameError::ControlCharacter));
    }

    #[test]
    fn names_with_apostrophes_hyphens_and_emoji_are_accepted() {
        assert!(PersonName::parse("O'Brien-Smith").is_ok());
        assert!(PartnerName::parse("Family \u{1F468}\u{200D}\u{1F469}").is_ok());
    }

    #[test]
    fn normalise_for_compare_lower_cases_unicode() {
        assert_eq!(normalise_for_compare("ÄRGER GmbH"), "ärger gmbh");
        assert_eq!(normalise_for_compare("ΣΊΣΥΦΟΣ"), "σίσυφος");
        assert_eq!(normalise_for_compare(" Acme "), normalise_for_compare("ACME"));
    }

    #[test]
    fn display_as_ref_and_from_str_agree_with_as_str() {
        let p: PartnerName = " Acme ".parse().unwrap();
        assert_eq!(p.to_string(), "Acme");
        assert_eq!(p.as_ref(), "Acme");
        let n: PersonName = "Ann".parse().unwrap();
        assert_eq!(n.as_ref(), "Ann");
    }

    #[test]
    fn error_messages_are_user_facing_sentences() {
        assert_eq!(PartnerNameError::TooShort.to_string(), "The partner name must be at least 2 characters long.");
        assert_eq!(PersonNameError::Empty.to_string(), "Enter a name.");
    }
}
