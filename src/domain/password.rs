//! A new password chosen by a user, checked against length and a list of
//! common passwords (NIST SP 800-63B style: no composition rules).

use std::fmt;

const MIN_CHARS: usize = 12;
const MAX_CHARS: usize = 128;

/// Why a new password was refused. The `Display` text is shown next to the
/// form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("The two passwords don't match.")]
    Mismatch,
    #[error("Your password must be at least 12 characters long.")]
    TooShort,
    #[error("Your password can be at most 128 characters long.")]
    TooLong,
    #[error("That password is too common and easy to guess. Choose a different one.")]
    TooCommon,
    #[error("Your password can't be one character repeated. Choose a different one.")]
    RepeatedCharacter,
}

/// A password that passed the rules for new passwords. It is never printed:
/// `Debug` shows `NewPassword(***)` and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// Checks a new password and its confirmation, e.g. from a
    /// "set password" form. The password is taken exactly as typed (it is not
    /// trimmed).
    pub fn parse(first: &str, confirmation: &str) -> Result<NewPassword, PasswordError> {
        if first != confirmation {
            return Err(PasswordError::Mismatch);
        }
        // Stop counting as soon as the limit is exceeded, so huge input is cheap.
        let count = first.chars().take(MAX_CHARS + 1).count();
        if count > MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        if count < MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if is_single_repeated_char(first) {
            return Err(PasswordError::RepeatedCharacter);
        }
        if is_common(first) || is_short_pattern_repeated(first) || is_simple_sequence(first) {
            return Err(PasswordError::TooCommon);
        }
        Ok(NewPassword(first.to_owned()))
    }

    /// The password itself, for hashing. Do not log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

fn is_single_repeated_char(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => chars.all(|c| c == first),
        None => false,
    }
}

fn is_common(s: &str) -> bool {
    let lower = s.to_lowercase();
    COMMON_PASSWORDS.iter().any(|common| *common == lower)
}

/// `abcabcabcabc`, `12121212121212`, `Ab1!Ab1!Ab1!`: a unit of at most four
/// characters repeated to fill the whole password (case-insensitively).
fn is_short_pattern_repeated(s: &str) -> bool {
    let chars: Vec<char> = s.to_lowercase().chars().collect();
    (1..=4).any(|unit| {
        chars.len().is_multiple_of(unit)
            && chars.iter().enumerate().skip(unit).all(|(i, c)| chars.get(i - unit) == Some(c))
    })
}

/// Straight runs like `abcdefghijklm`, `0123456789012` or `zyxwvutsrqpo`:
/// every character is the next (or previous) letter or digit of the one
/// before it, with digits wrapping from 9 to 0.
fn is_simple_sequence(s: &str) -> bool {
    let bytes: Vec<u8> = s.bytes().map(|b| b.to_ascii_lowercase()).collect();
    if !bytes.iter().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let step = |a: u8, b: u8| -> Option<i8> {
        match (a, b) {
            (b'9', b'0') => Some(1),
            (b'0', b'9') => Some(-1),
            _ if a.is_ascii_digit() != b.is_ascii_digit() => None,
            _ if b == a.wrapping_add(1) => Some(1),
            _ if a == b.wrapping_add(1) => Some(-1),
            _ => None,
        }
    };
    let steps: Vec<Option<i8>> = bytes
        .windows(2)
        .map(|w| match w {
            [a, b] => step(*a, *b),
            _ => None,
        })
        .collect();
    match steps.first() {
        Some(Some(direction)) => steps.iter().all(|s| *s == Some(*direction)),
        _ => false,
    }
}

/// Common passwords of 12+ characters (all lower-case; compared
/// case-insensitively). Shorter favourites such as `password` or `123456`
/// are already refused by the length rule; this list covers the ways people
/// stretch them to 12 characters: suffixes, doubling, keyboard walks and
/// number runs.
#[rustfmt::skip]
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012", "1234567890123", "12345678901234", "123456789012345", "1234567890123456",
    "123456789123", "123456789101", "1234567891011", "123123123123", "123412341234",
    "112233445566", "111222333444", "121212121212", "123321123321", "098765432109",
    "987654321098", "147258369147", "159357159357", "147852369147", "qwertyuiop12",
    "qwertyuiop123", "qwertyuiop1234", "qwertyuiopasdf", "qwertyuiopasdfghjkl",
    "qwertyuiopasdfghjklzxcvbnm", "qwertyqwerty", "qwerty123456", "qwerty1234567", "qwertyuiop!!",
    "asdfghjkl123", "asdfghjkl1234", "asdfghjklqwe", "asdfasdfasdf", "asdf1234asdf",
    "zxcvbnm12345", "zxcvbnm123456", "zxcvbnmasdfghjkl", "1q2w3e4r5t6y", "1q2w3e4r5t6y7u",
    "1q2w3e4r5t6y7u8i", "1qaz2wsx3edc", "1qaz2wsx3edc4rfv", "1qazxsw23edc", "zaq12wsxcde3",
    "zaq1zaq1zaq1", "q1w2e3r4t5y6", "q1w2e3r4t5y6u7", "qazwsxedcrfv", "qazwsxedc123",
    "qazwsxedcrfvtgb", "1234qwerasdf", "1234qwerasdfzxcv", "qwer1234asdf", "asdfqwer1234",
    "!qaz@wsx#edc", "1qaz!qaz1qaz", "!qaz2wsx3edc", "abcdefghijkl", "abcdefghijklm",
    "abcdefghijklmnop", "abcdefghijklmnopqrstuvwxyz", "abc123abc123", "abcd12345678",
    "abcd1234abcd", "a1b2c3d4e5f6", "aa123456789a", "passwordpassword", "password12345678",
    "iloveyouiloveyou", "trustno1trustno1", "letmeinletmein", "welcomewelcome", "adminadmin123",
    "administrator1", "administrator123", "correcthorsebatterystaple", "thequickbrownfox",
    "thequickbrownfoxjumpsoverthelazydog", "iloveyousomuch", "iloveyoubaby", "ilovemyfamily",
    "iloveyouforever", "letmein123456", "changemenow123", "myspace12345", "onetwothreefour",
    "mypassword123", "mypassword1234", "thisismypassword", "passwordispassword", "newpassword123",
    "newpassword1234", "password1password", "defaultpassword", "youllneverguess",
    "nobodyknows123", "supersecret123", "verysecretpassword", "qwertyuiopzxcvbnm",
    "0000000000000", "changeme12345", "temp12345678", "temppassword123", "welcome2thejungle",
    "princess12345", "sunshine12345", "starwars12345", "football12345", "password1234",
    "password12345", "password123456", "password123!", "password1234!", "password2020",
    "password2021", "password2022", "password2023", "password2024", "password2025",
    "password2026", "password!@#$", "passw0rd1234", "passw0rd12345", "passw0rd123456",
    "passw0rd123!", "passw0rd1234!", "passw0rd2020", "passw0rd2021", "passw0rd2022",
    "passw0rd2023", "passw0rd2024", "passw0rd2025", "passw0rd2026", "passw0rd!@#$",
    "passw0rdpassw0rd", "p@ssw0rd1234", "p@ssw0rd12345", "p@ssw0rd123456", "p@ssw0rd123!",
    "p@ssw0rd1234!", "p@ssw0rd2020", "p@ssw0rd2021", "p@ssw0rd2022", "p@ssw0rd2023",
    "p@ssw0rd2024", "p@ssw0rd2025", "p@ssw0rd2026", "p@ssw0rd!@#$", "p@ssw0rdp@ssw0rd",
    "p@ssword1234", "p@ssword12345", "p@ssword123456", "p@ssword123!", "p@ssword1234!",
    "p@ssword2020", "p@ssword2021", "p@ssword2022", "p@ssword2023", "p@ssword2024",
    "p@ssword2025", "p@ssword2026", "p@ssword!@#$", "p@sswordp@ssword", "iloveyou1234",
    "iloveyou12345", "iloveyou123456", "iloveyou123!", "iloveyou1234!", "iloveyou2020",
    "iloveyou2021", "iloveyou2022", "iloveyou2023", "iloveyou2024", "iloveyou2025",
    "iloveyou2026", "iloveyou!@#$", "welcome12345", "welcome123456", "welcome1234!",
    "letmein12345", "letmein1234!", "administrator1234", "administrator12345",
    "administrator123456", "administrator123!", "administrator1234!", "administrator2020",
    "administrator2021", "administrator2022", "administrator2023", "administrator2024",
    "administrator2025", "administrator2026", "administrator!@#$", "administrator1!",
    "administrator01", "administrator69", "administratoradministrator", "football1234",
    "football123456", "football123!", "football1234!", "football2020", "football2021",
    "football2022", "football2023", "football2024", "football2025", "football2026",
    "football!@#$", "footballfootball", "baseball1234", "baseball12345", "baseball123456",
    "baseball123!", "baseball1234!", "baseball2020", "baseball2021", "baseball2022",
    "baseball2023", "baseball2024", "baseball2025", "baseball2026", "baseball!@#$",
    "baseballbaseball", "basketball1234", "basketball12345", "basketball123456", "basketball123!",
    "basketball1234!", "basketball2020", "basketball2021", "basketball2022", "basketball2023",
    "basketball2024", "basketball2025", "basketball2026", "basketball!@#$", "basketball1!",
    "basketball01", "basketball69", "basketballbasketball", "soccer123456", "soccersoccer",
    "hockey123456", "hockeyhockey", "dragon123456", "dragondragon", "monkey123456",
    "monkeymonkey", "master123456", "mastermaster", "shadow123456", "shadowshadow",
    "sunshine1234", "sunshine123456", "sunshine123!", "sunshine1234!", "sunshine2020",
    "sunshine2021", "sunshine2022", "sunshine2023", "sunshine2024", "sunshine2025",
    "sunshine2026", "sunshine!@#$", "sunshinesunshine", "princess1234", "princess123456",
    "princess123!", "princess1234!", "princess2020", "princess2021", "princess2022",
    "princess2023", "princess2024", "princess2025", "princess2026", "princess!@#$",
    "princessprincess", "superman1234", "superman12345", "superman123456", "superman123!",
    "superman1234!", "superman2020", "superman2021", "superman2022", "superman2023",
    "superman2024", "superman2025", "superman2026", "superman!@#$", "supermansuperman",
    "batman123456", "batmanbatman", "starwars1234", "starwars123456", "starwars123!",
    "starwars1234!", "starwars2020", "starwars2021", "starwars2022", "starwars2023",
    "starwars2024", "starwars2025", "starwars2026", "starwars!@#$", "starwarsstarwars",
    "trustno11234", "trustno112345", "trustno1123456", "trustno1123!", "trustno11234!",
    "trustno12020", "trustno12021", "trustno12022", "trustno12023", "trustno12024",
    "trustno12025", "trustno12026", "trustno1!@#$", "whatever1234", "whatever12345",
    "whatever123456", "whatever123!", "whatever1234!", "whatever2020", "whatever2021",
    "whatever2022", "whatever2023", "whatever2024", "whatever2025", "whatever2026",
    "whatever!@#$", "whateverwhatever", "freedom12345", "freedom123456", "freedom1234!",
    "freedomfreedom", "michael12345", "michael123456", "michael1234!", "michaelmichael",
    "jennifer1234", "jennifer12345", "jennifer123456", "jennifer123!", "jennifer1234!",
    "jennifer2020", "jennifer2021", "jennifer2022", "jennifer2023", "jennifer2024",
    "jennifer2025", "jennifer2026", "jennifer!@#$", "jenniferjennifer", "jordan123456",
    "jordanjordan", "charlie12345", "charlie123456", "charlie1234!", "charliecharlie",
    "thomas123456", "thomasthomas", "hunter123456", "hunterhunter", "ranger123456",
    "rangerranger", "buster123456", "busterbuster", "summer123456", "summersummer",
    "winter123456", "winterwinter", "computer1234", "computer12345", "computer123456",
    "computer123!", "computer1234!", "computer2020", "computer2021", "computer2022",
    "computer2023", "computer2024", "computer2025", "computer2026", "computer!@#$",
    "computercomputer", "internet1234", "internet12345", "internet123456", "internet123!",
    "internet1234!", "internet2020", "internet2021", "internet2022", "internet2023",
    "internet2024", "internet2025", "internet2026", "internet!@#$", "internetinternet",
    "secret123456", "secretsecret", "abc123123456", "qwerty1231234", "qwerty12312345",
    "qwerty123123456", "qwerty123123!", "qwerty1231234!", "qwerty1232020", "qwerty1232021",
    "qwerty1232022", "qwerty1232023", "qwerty1232024", "qwerty1232025", "qwerty1232026",
    "qwerty123!@#$", "qwerty123qwerty123", "changeme1234", "changeme123456", "changeme123!",
    "changeme1234!", "changeme2020", "changeme2021", "changeme2022", "changeme2023",
    "changeme2024", "changeme2025", "changeme2026", "changeme!@#$", "changemechangeme",
    "correct horse battery staple",
];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Result<NewPassword, PasswordError> {
        NewPassword::parse(p, p)
    }

    #[test]
    fn a_good_passphrase_is_accepted() {
        let p = parse("lantern orbit maple cinder").unwrap();
        assert_eq!(p.expose(), "lantern orbit maple cinder");
    }

    #[test]
    fn a_random_looking_password_is_accepted() {
        assert!(parse("Vt7#kq9!Lm2z").is_ok());
    }

    #[test]
    fn mismatched_confirmation_is_refused() {
        assert_eq!(
            NewPassword::parse("lantern orbit maple cinder", "lantern orbit maple cindr"),
            Err(PasswordError::Mismatch)
        );
    }

    #[test]
    fn confirmation_differing_only_in_case_or_spaces_is_refused() {
        assert_eq!(NewPassword::parse("Lantern orbit maple", "lantern orbit maple"), Err(PasswordError::Mismatch));
        assert_eq!(NewPassword::parse("lantern orbit maple", "lantern orbit maple "), Err(PasswordError::Mismatch));
    }

    #[test]
    fn mismatch_message_is_the_expected_sentence() {
        assert_eq!(PasswordError::Mismatch.to_string(), "The two passwords don't match.");
    }

    #[test]
    fn password_of_11_characters_is_too_short() {
        assert_eq!(parse("xk3!vb8#qm2"), Err(PasswordError::TooShort));
        assert_eq!(parse(""), Err(PasswordError::TooShort));
    }

    #[test]
    fn password_of_12_characters_is_long_enough() {
        assert!(parse("xk3!vb8#qm2z").is_ok());
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        // 11 characters but 22 bytes.
        assert_eq!(parse("ñçøüéßåæœðþ"), Err(PasswordError::TooShort));
        assert!(parse("ñçøüéßåæœðþł").is_ok());
    }

    #[test]
    fn password_of_128_characters_is_accepted_and_129_refused() {
        let base = "Lantern orbit maple cinder 42 ";
        let p128: String = base.chars().cycle().take(128).collect();
        assert!(parse(&p128).is_ok());
        let p129: String = base.chars().cycle().take(129).collect();
        assert_eq!(parse(&p129), Err(PasswordError::TooLong));
        assert_eq!(parse(&"x".repeat(100_000)), Err(PasswordError::TooLong));
    }

    #[test]
    fn common_passwords_are_refused() {
        for p in [
            "password1234",
            "123456789012",
            "qwertyuiop12",
            "iloveyou1234",
            "passwordpassword",
            "1qaz2wsx3edc",
            "qwerty123456",
            "correct horse battery staple",
        ] {
            assert_eq!(parse(p), Err(PasswordError::TooCommon), "{p}");
        }
    }

    #[test]
    fn common_passwords_are_refused_case_insensitively() {
        assert_eq!(parse("Password1234"), Err(PasswordError::TooCommon));
        assert_eq!(parse("QWERTYUIOP12"), Err(PasswordError::TooCommon));
    }

    #[test]
    fn single_repeated_character_is_refused() {
        assert_eq!(parse("aaaaaaaaaaaa"), Err(PasswordError::RepeatedCharacter));
        assert_eq!(parse("111111111111111"), Err(PasswordError::RepeatedCharacter));
        assert_eq!(parse("            "), Err(PasswordError::RepeatedCharacter));
        assert_eq!(parse(&"é".repeat(20)), Err(PasswordError::RepeatedCharacter));
    }

    #[test]
    fn short_pattern_repeated_is_refused() {
        assert_eq!(parse("abababababab"), Err(PasswordError::TooCommon));
        assert_eq!(parse("abcabcabcabc"), Err(PasswordError::TooCommon));
        assert_eq!(parse("Ab1!ab1!AB1!"), Err(PasswordError::TooCommon));
    }

    #[test]
    fn straight_sequences_are_refused() {
        assert_eq!(parse("abcdefghijklmn"), Err(PasswordError::TooCommon));
        assert_eq!(parse("0123456789012"), Err(PasswordError::TooCommon));
        assert_eq!(parse("zyxwvutsrqpo"), Err(PasswordError::TooCommon));
        assert_eq!(parse("987654321098"), Err(PasswordError::TooCommon));
    }

    #[test]
    fn common_list_has_hundreds_of_lower_case_entries_of_twelve_characters_or_more() {
        assert!(COMMON_PASSWORDS.len() >= 300, "{}", COMMON_PASSWORDS.len());
        for p in COMMON_PASSWORDS {
            assert!(p.chars().count() >= MIN_CHARS, "{p}");
            assert_eq!(*p, p.to_lowercase(), "{p}");
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let p = parse("lantern orbit maple cinder").unwrap();
        let shown = format!("{p:?}");
        assert_eq!(shown, "NewPassword(***)");
        assert!(!shown.contains("lantern"));
        let in_struct = format!("{:?}", Some(p));
        assert!(!in_struct.contains("lantern"));
    }
}
