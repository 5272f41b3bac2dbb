//! The *Personal note* of an invitation (SPEC §13): optional plain text, at most 1,000
//! characters, line breaks kept. It reaches the email as text (escaped in the HTML part), so
//! nothing in it is markup; hidden characters that could disguise it (bidi overrides,
//! zero-width spaces) and control characters other than line breaks and tabs are refused.

use super::chars::is_control_or_bidi;

pub const NOTE_MAX_CHARS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("The personal note can be at most 1,000 characters long (this one has {0}).")]
    TooLong(usize),
    #[error("Remove the hidden or control characters from the personal note.")]
    ControlCharacter,
}

/// A non-empty note: trimmed, line endings as `\n`, 1–1,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalNote(String);

impl PersonalNote {
    /// `Ok(None)` for an empty (or blank) field: no note.
    pub fn parse(input: &str) -> Result<Option<PersonalNote>, NoteError> {
        let normalised = input.replace("\r\n", "\n").replace('\r', "\n");
        let trimmed = normalised.trim();
        if trimmed.is_empty() {
            return Ok(None);
        }
        // Count no further than needed: a huge paste is cheap to refuse.
        let count = trimmed.chars().take(NOTE_MAX_CHARS * 4).count();
        if count > NOTE_MAX_CHARS {
            return Err(NoteError::TooLong(trimmed.chars().count()));
        }
        if trimmed.chars().any(|c| c != '\n' && c != '\t' && is_control_or_bidi(c)) {
            return Err(NoteError::ControlCharacter);
        }
        Ok(Some(PersonalNote(trimmed.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_note_is_no_note_and_text_is_kept_as_typed() {
        assert_eq!(PersonalNote::parse("").unwrap(), None);
        assert_eq!(PersonalNote::parse("  \r\n ").unwrap(), None);
        let note = PersonalNote::parse(" Hi <b>team</b> & co,\r\nsee you\tsoon ").unwrap().unwrap();
        assert_eq!(note.as_str(), "Hi <b>team</b> & co,\nsee you\tsoon");
    }

    #[test]
    fn at_most_a_thousand_characters() {
        assert!(PersonalNote::parse(&"é".repeat(1000)).unwrap().is_some());
        assert_eq!(PersonalNote::parse(&"é".repeat(1001)), Err(NoteError::TooLong(1001)));
    }

    #[test]
    fn hidden_characters_are_refused() {
        for bad in ["a\u{202E}b", "a\u{0007}b", "a\u{200B}b"] {
            assert_eq!(PersonalNote::parse(bad), Err(NoteError::ControlCharacter), "{bad:?}");
        }
    }
}
