//! Character classes shared by the validated types in this module.

/// Returns `true` for characters that are invisible or change how text is
/// displayed: ASCII/Unicode control characters (including CR, LF and tab),
/// bidirectional overrides and isolates, zero-width spaces and byte-order
/// marks.
///
/// Zero-width joiners (U+200C, U+200D) are *not* included because they are
/// needed by emoji sequences and several scripts; callers that want to refuse
/// them too use [`is_hidden_in_domain`].
pub(crate) fn is_control_or_bidi(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'              // Arabic letter mark
            | '\u{180E}'            // Mongolian vowel separator
            | '\u{200B}'            // zero-width space
            | '\u{200E}'..='\u{200F}' // LRM, RLM
            | '\u{2028}'..='\u{2029}' // line / paragraph separator
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // bidi isolates
            | '\u{FEFF}'            // byte-order mark / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotation controls
        )
}

/// Stricter variant for domain names: also refuses soft hyphens and
/// zero-width (non-)joiners, which would otherwise be silently dropped or
/// turned into look-alike names.
pub(crate) fn is_hidden_in_domain(c: char) -> bool {
    is_control_or_bidi(c) || matches!(c, '\u{00AD}' | '\u{200C}' | '\u{200D}')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_tabs_count_as_control_characters() {
        assert!(is_control_or_bidi('\r'));
        assert!(is_control_or_bidi('\n'));
        assert!(is_control_or_bidi('\t'));
        assert!(is_control_or_bidi('\u{0}'));
        assert!(is_control_or_bidi('\u{7F}'));
    }

    #[test]
    fn bidi_overrides_count_as_hidden_characters() {
        assert!(is_control_or_bidi('\u{202E}'));
        assert!(is_control_or_bidi('\u{2066}'));
    }

    #[test]
    fn ordinary_letters_and_joiners_are_not_hidden_in_names() {
        assert!(!is_control_or_bidi('a'));
        assert!(!is_control_or_bidi('é'));
        assert!(!is_control_or_bidi(' '));
        assert!(!is_control_or_bidi('\u{200D}'));
    }

    #[test]
    fn joiners_and_soft_hyphens_are_hidden_in_domains() {
        assert!(is_hidden_in_domain('\u{200D}'));
        assert!(is_hidden_in_domain('\u{00AD}'));
        assert!(!is_hidden_in_domain('ü'));
    }
}
