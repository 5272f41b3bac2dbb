//! A group's application form (SPEC §12): its questions as the form builder takes them, and an
//! applicant's answers checked against them. Parse once: a `QuestionSpec` is a valid question,
//! an `Answer` a valid answer to one.

use serde::{Deserialize, Serialize};

use super::chars::is_control_or_bidi;
use super::QuestionKind;

pub const LABEL_MAX: usize = 200;
pub const CHOICE_MAX: usize = 100;
pub const MAX_CHOICES: usize = 20;
/// Questions per form.
pub const MAX_QUESTIONS: usize = 30;
pub const SHORT_MAX: usize = 200;
pub const LONG_MAX: usize = 4000;
pub const URL_MAX: usize = 2000;

/// A question as checked: its words, its kind, required or not, and the choices (one per line
/// as stored; empty for the kinds without choices).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionSpec {
    pub label: String,
    pub kind: QuestionKind,
    pub required: bool,
    pub choices: Vec<String>,
}

/// Why a question was refused, by field (`label`, `choices`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct QuestionErrors {
    pub label: Option<String>,
    pub choices: Option<String>,
}

impl QuestionSpec {
    /// `choices` is the textarea as typed: one choice per line, blank lines ignored.
    pub fn check(label: &str, kind: QuestionKind, required: bool, choices: &str) -> Result<Self, QuestionErrors> {
        let mut errors = QuestionErrors::default();
        let label = label.trim();
        if label.is_empty() {
            errors.label = Some("Write the question.".into());
        } else if label.chars().count() > LABEL_MAX || label.chars().any(is_control_or_bidi) {
            errors.label = Some(format!("Keep the question on one line, at most {LABEL_MAX} characters."));
        }
        let mut list: Vec<String> = Vec::new();
        if kind.has_choices() {
            for line in choices.lines().map(str::trim).filter(|l| !l.is_empty()) {
                if line.chars().count() > CHOICE_MAX || line.chars().any(is_control_or_bidi) {
                    errors.choices = Some(format!("Each choice can be at most {CHOICE_MAX} characters."));
                } else if list.iter().any(|c| c.to_lowercase() == line.to_lowercase()) {
                    errors.choices = Some(format!("“{line}” is listed twice."));
                } else {
                    list.push(line.to_string());
                }
            }
            if errors.choices.is_none() && list.len() < 2 {
                errors.choices = Some("Give at least two choices, one per line.".into());
            } else if list.len() > MAX_CHOICES {
                errors.choices = Some(format!("Give at most {MAX_CHOICES} choices."));
            }
        }
        if errors.label.is_some() || errors.choices.is_some() {
            return Err(errors);
        }
        Ok(QuestionSpec { label: label.to_string(), kind, required, choices: list })
    }

    /// The choices as stored (one per line).
    pub fn stored_choices(&self) -> String {
        self.choices.join("\n")
    }
}

/// The choices column read back into a list.
pub fn choices_of(stored: &str) -> Vec<String> {
    stored.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// One answer as kept with the application: the question's words and kind at the time, so a
/// question edited or removed later leaves the submitted application as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub question_id: i64,
    pub question: String,
    pub kind: QuestionKind,
    /// Empty when an optional question was left blank; several for multiple choice.
    pub values: Vec<String>,
}

impl Answer {
    /// The answer as one line of text ("—" when left blank).
    pub fn shown(&self) -> String {
        if self.values.is_empty() {
            "—".to_string()
        } else {
            self.values.join(", ")
        }
    }
}

/// A question of the form, as the applicant sees it.
#[derive(Debug, Clone)]
pub struct Question {
    pub id: i64,
    pub spec: QuestionSpec,
}

/// Checks `given(question_id)` (the values sent for that question's field) against each
/// question: required ones answered, lengths, URLs, choices among the offered ones. Err: the
/// message per question id.
pub fn check_answers<'a>(
    questions: &[Question],
    given: impl Fn(i64) -> Vec<&'a str>,
) -> Result<Vec<Answer>, Vec<(i64, String)>> {
    let mut answers = Vec::new();
    let mut errors = Vec::new();
    for q in questions {
        let values: Vec<String> =
            given(q.id).into_iter().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string).collect();
        match check_one(&q.spec, values) {
            Ok(values) => {
                answers.push(Answer { question_id: q.id, question: q.spec.label.clone(), kind: q.spec.kind, values })
            }
            Err(message) => errors.push((q.id, message)),
        }
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

fn check_one(q: &QuestionSpec, values: Vec<String>) -> Result<Vec<String>, String> {
    if values.is_empty() {
        return if q.required { Err("Answer this question: it is required.".into()) } else { Ok(values) };
    }
    match q.kind {
        QuestionKind::ShortText | QuestionKind::LongText | QuestionKind::Url if values.len() > 1 => {
            Err("Give one answer.".into())
        }
        QuestionKind::ShortText => {
            let v = &values[0];
            if v.chars().count() > SHORT_MAX || v.chars().any(is_control_or_bidi) {
                Err(format!("Keep the answer on one line, at most {SHORT_MAX} characters."))
            } else {
                Ok(values)
            }
        }
        QuestionKind::LongText => {
            let v = &values[0];
            let hidden = v.chars().any(|c| is_control_or_bidi(c) && c != '\n' && c != '\r' && c != '\t');
            if v.chars().count() > LONG_MAX || hidden {
                Err(format!("Keep the answer under {LONG_MAX} characters, without hidden characters."))
            } else {
                Ok(vec![v.replace("\r\n", "\n")])
            }
        }
        QuestionKind::Url => {
            let v = &values[0];
            match url::Url::parse(v) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && v.len() <= URL_MAX => {
                    Ok(values)
                }
                _ => Err("Enter a web address starting with https:// or http://.".into()),
            }
        }
        QuestionKind::SingleChoice if values.len() > 1 => Err("Choose one answer.".into()),
        QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
            let mut picked: Vec<String> = Vec::new();
            for v in values {
                if !q.choices.contains(&v) {
                    return Err("Choose among the answers offered.".into());
                }
                if !picked.contains(&v) {
                    picked.push(v);
                }
            }
            // In the order the form offers them.
            picked.sort_by_key(|v| q.choices.iter().position(|c| c == v));
            Ok(picked)
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn q(id: i64, kind: QuestionKind, required: bool, choices: &str) -> Question {
        Question { id, spec: QuestionSpec::check("Q", kind, required, choices).unwrap() }
    }

    #[test]
    fn questions_need_words_and_choice_questions_two_distinct_choices() {
        let e = QuestionSpec::check("  ", QuestionKind::ShortText, true, "").unwrap_err();
        assert_eq!(e.label.as_deref(), Some("Write the question."));
        let e = QuestionSpec::check("Size?", QuestionKind::SingleChoice, true, "Small\n\n").unwrap_err();
        assert_eq!(e.choices.as_deref(), Some("Give at least two choices, one per line."));
        let e = QuestionSpec::check("Size?", QuestionKind::MultipleChoice, true, "Small\nsmall").unwrap_err();
        assert_eq!(e.choices.as_deref(), Some("“small” is listed twice."));
        let ok = QuestionSpec::check(" Size? ", QuestionKind::SingleChoice, false, " Small \r\nLarge\n").unwrap();
        assert_eq!((ok.label.as_str(), ok.stored_choices().as_str()), ("Size?", "Small\nLarge"));
        let text = QuestionSpec::check("Why?", QuestionKind::LongText, true, "ignored\nlines").unwrap();
        assert!(text.choices.is_empty());
    }

    #[test]
    fn answers_are_checked_by_kind() {
        let form = [
            q(1, QuestionKind::ShortText, true, ""),
            q(2, QuestionKind::Url, false, ""),
            q(3, QuestionKind::SingleChoice, true, "A\nB"),
            q(4, QuestionKind::MultipleChoice, false, "A\nB\nC"),
        ];
        let given = |answers: &'static [(i64, &'static str)]| {
            move |id: i64| answers.iter().filter(|(q, _)| *q == id).map(|(_, v)| *v).collect::<Vec<_>>()
        };
        let errors = check_answers(&form, given(&[(2, "javascript:alert(1)"), (3, "Z"), (4, "C")])).unwrap_err();
        assert_eq!(
            errors,
            [
                (1, "Answer this question: it is required.".to_string()),
                (2, "Enter a web address starting with https:// or http://.".to_string()),
                (3, "Choose among the answers offered.".to_string()),
            ]
        );
        let answers = check_answers(&form, given(&[(1, " Hi "), (3, "B"), (4, "C"), (4, "A")])).unwrap();
        let shown: Vec<String> = answers.iter().map(Answer::shown).collect();
        assert_eq!(shown, ["Hi", "—", "B", "A, C"]);
    }
}
