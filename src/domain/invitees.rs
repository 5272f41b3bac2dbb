//! **Invite a team** (SPEC §13): the addresses typed into the form, one a line, read into
//! people to invite or lines refused with their reason. A line is an address
//! (`ana.lima@globex.example`: the name is read from the address) or a name and an address
//! (`Ana Lima <ana@globex.example>`). An address whose name can't be read (`ana@…`, one word)
//! needs the name written out: an invitation names the person (first name and surname).

use std::collections::HashSet;

use super::{EmailAddress, PersonName};

/// At most this many addresses at once.
pub const MAX_INVITEES: usize = 50;

/// Why the whole list was refused (nothing is sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteesError {
    #[error("Enter at least one email address, one per line.")]
    Empty,
    #[error("At most 50 addresses at a time: this list has {0}. Nothing was sent; split the list and send each part.")]
    TooMany(usize),
}

/// A person to invite, read from one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitee {
    pub email: EmailAddress,
    pub first_name: PersonName,
    pub surname: PersonName,
}

/// One non-empty line of the list: the person, or why the line can't be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteeLine {
    Ok(Invitee),
    Refused { line: String, reason: String },
}

pub const NAME_NEEDED: &str =
    "The name can't be read from this address. Write the line as First name Surname <address>.";
pub const LISTED_TWICE: &str = "This address is already higher up in the list.";

/// Reads the textarea. Blank lines are skipped; more than [`MAX_INVITEES`] lines (or none)
/// refuses the whole list.
pub fn parse_invitees(text: &str) -> Result<Vec<InviteeLine>, InviteesError> {
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        return Err(InviteesError::Empty);
    }
    if lines.len() > MAX_INVITEES {
        return Err(InviteesError::TooMany(lines.len()));
    }
    let mut seen = HashSet::new();
    Ok(lines
        .into_iter()
        .map(|line| match parse_line(line) {
            Ok(invitee) if !seen.insert(invitee.email.as_str().to_string()) => {
                InviteeLine::Refused { line: invitee.email.as_str().to_string(), reason: LISTED_TWICE.into() }
            }
            Ok(invitee) => InviteeLine::Ok(invitee),
            Err(reason) => InviteeLine::Refused { line: line.chars().take(254).collect(), reason },
        })
        .collect())
}

fn parse_line(line: &str) -> Result<Invitee, String> {
    let (name, address) = match (line.rfind('<'), line.strip_suffix('>')) {
        (Some(open), Some(inner)) => (Some(line[..open].trim()), &inner[open + 1..]),
        _ => (None, line),
    };
    let email = EmailAddress::parse(address).map_err(|e| e.to_string())?;
    let (first, surname) = match name.filter(|n| !n.is_empty()) {
        Some(name) => split_name(name).ok_or_else(|| {
            "Write the person's first name and surname before the address: Ana Lima <ana@globex.example>.".to_string()
        })?,
        None => name_from_address(email.local_part()).ok_or_else(|| NAME_NEEDED.to_string())?,
    };
    let first_name = PersonName::parse(&first).map_err(|e| e.to_string())?;
    let surname = PersonName::parse(&surname).map_err(|e| e.to_string())?;
    Ok(Invitee { email, first_name, surname })
}

/// "Ana Maria Lima" → ("Ana", "Maria Lima"); one word is not enough.
fn split_name(name: &str) -> Option<(String, String)> {
    let name = name.trim_matches('"').trim();
    let (first, rest) = name.split_once(char::is_whitespace)?;
    let rest = rest.trim();
    (!first.is_empty() && !rest.is_empty()).then(|| (first.to_string(), rest.to_string()))
}

/// `ana.lima+news` → ("Ana", "Lima"); `ana` → None (no surname to read).
fn name_from_address(local_part: &str) -> Option<(String, String)> {
    let base = local_part.split('+').next().unwrap_or(local_part);
    let words: Vec<String> = base
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty() && w.chars().any(char::is_alphabetic))
        .map(capitalise)
        .collect();
    match words.split_first() {
        Some((first, rest)) if !rest.is_empty() => Some((first.clone(), rest.join(" "))),
        _ => None,
    }
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn invited(line: &InviteeLine) -> (String, String, String) {
        match line {
            InviteeLine::Ok(i) => {
                (i.email.as_str().to_string(), i.first_name.as_str().to_string(), i.surname.as_str().to_string())
            }
            InviteeLine::Refused { line, reason } => panic!("{line} refused: {reason}"),
        }
    }

    fn refused(line: &InviteeLine) -> &str {
        match line {
            InviteeLine::Refused { reason, .. } => reason,
            InviteeLine::Ok(i) => panic!("{} was accepted", i.email.as_str()),
        }
    }

    #[test]
    fn names_come_from_the_line_or_from_the_address() {
        let lines = parse_invitees(
            "ana.lima@globex.example\n\n  Bo Ek Sten <bo@globex.example>\r\njo_ann-smith+x@globex.example",
        )
        .unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(invited(&lines[0]), ("ana.lima@globex.example".into(), "Ana".into(), "Lima".into()));
        assert_eq!(invited(&lines[1]), ("bo@globex.example".into(), "Bo".into(), "Ek Sten".into()));
        assert_eq!(invited(&lines[2]).1, "Jo");
        assert_eq!(invited(&lines[2]).2, "Ann Smith");
    }

    #[test]
    fn each_bad_line_says_why_and_the_others_stay() {
        let lines = parse_invitees(
            "not-an-address\nana@globex.example\nAna <ana@globex.example>\nx.y@globex.example\nX.Y@globex.example",
        )
        .unwrap();
        assert!(refused(&lines[0]).contains('@'), "{}", refused(&lines[0]));
        assert_eq!(refused(&lines[1]), NAME_NEEDED);
        assert!(refused(&lines[2]).contains("first name and surname"));
        invited(&lines[3]);
        assert_eq!(refused(&lines[4]), LISTED_TWICE, "addresses are compared as the portal stores them");
    }

    #[test]
    fn an_empty_list_or_more_than_fifty_is_refused_whole() {
        assert_eq!(parse_invitees(" \n\n"), Err(InviteesError::Empty));
        let fifty: Vec<String> = (0..50).map(|n| format!("p.n{n}@globex.example")).collect();
        assert_eq!(parse_invitees(&fifty.join("\n")).unwrap().len(), 50);
        let fifty_one: Vec<String> = (0..51).map(|n| format!("p.n{n}@globex.example")).collect();
        assert_eq!(parse_invitees(&fifty_one.join("\n")), Err(InviteesError::TooMany(51)));
    }
}
