//! The *Personal note* field every invitation form has (SPEC §13): what it shows (the
//! enterprise's saved default on a fresh form, else what was typed) and its error. The note
//! itself is checked by `domain::PersonalNote`; the field's markup is `templates/_note_field.html`.

use crate::domain::{NoteError, PersonalNote};

#[derive(Default, Clone)]
pub struct NoteField {
    pub value: String,
    pub error: Option<String>,
}

impl NoteField {
    /// A fresh form: the enterprise's default note, if it saved one.
    pub fn prefilled(default: Option<String>) -> Self {
        NoteField { value: default.unwrap_or_default(), error: None }
    }

    /// Reads what was typed: the field to show again, and the note (`Err` when refused).
    pub fn read(typed: String) -> (Self, Result<Option<PersonalNote>, NoteError>) {
        let note = PersonalNote::parse(&typed);
        let error = note.as_ref().err().map(ToString::to_string);
        (NoteField { value: typed, error }, note)
    }
}
