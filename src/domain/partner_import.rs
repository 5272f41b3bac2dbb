//! **Import partners** (SPEC §13): a CSV file read into rows, and each row judged by the
//! wizard's own rules (`NewPartner::check`) and against the rows before it in the file. The
//! rules that need the database (a name or domain taken, the partner limit) are
//! `db::partner_import`'s, through the same functions Add Partner uses.
//!
//! The file: UTF-8 (a byte order mark is skipped), at most 1 MiB and 500 rows, a header row
//! naming the columns `name`, `domains` (separated by `;`), `first_name`, `surname`, `email`
//! and optionally `group`, in any order. Empty lines are skipped; quoted fields may hold
//! commas, quotes (doubled) and line breaks. A file that breaks these is refused whole; a row
//! that breaks a rule is listed with its reasons and skipped.
//!
//! The `group` column names one of the enterprise's groups (any case); empty means the default
//! group. Whether the group exists is the database's rule (`db::partner_import::judge`).

use std::collections::HashMap;

use super::new_partner::{NewPartner, PartnerInput};
use super::{normalise_for_compare, Domain};

/// The largest file accepted.
pub const MAX_BYTES: usize = 1024 * 1024;
/// The most rows (besides the header) accepted.
pub const MAX_ROWS: usize = 500;
const REQUIRED: [&str; 5] = ["name", "domains", "first_name", "surname", "email"];
const OPTIONAL: [&str; 1] = ["group"];
/// A cell is shown in the preview up to this many characters.
const SHOWN_CHARS: usize = 120;

/// Why a whole file is refused; nothing of it is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("Choose a CSV file to import.")]
    NoFile,
    #[error(
        "The file is larger than 1 MiB. Split it into files of at most 500 rows and import them one at a time. \
         Nothing was imported."
    )]
    TooLarge,
    #[error(
        "The file is not UTF-8 text: line {line} has a character that can't be read. Save the file as \
         “CSV UTF-8” and choose it again. Nothing was imported."
    )]
    NotUtf8 { line: usize },
    #[error("The file is empty: the first line must name the columns name, domains, first_name, surname, email.")]
    Empty,
    #[error("The first line must name the columns; these are missing: {0}.")]
    MissingColumns(String),
    #[error("The first line names columns the import does not know: {0}. Use name, domains, first_name, surname, email and, optionally, group.")]
    UnknownColumns(String),
    #[error("The first line names the column {0} twice.")]
    RepeatedColumn(String),
    #[error("The file has no rows under its first line: there is nothing to import.")]
    NoRows,
    #[error(
        "The file has more than 500 rows. Split it into files of at most 500 rows and import them one at a time. \
         Nothing was imported."
    )]
    TooManyRows,
    #[error("Line {line} can't be read as CSV: {reason}")]
    Unreadable { line: u64, reason: String },
}

/// One row of the file, as written (cells trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    pub name: String,
    /// The `domains` cell split at `;`, empty pieces left out.
    pub domains: Vec<String>,
    pub first_name: String,
    pub surname: String,
    pub email: String,
    pub group: String,
    /// The row has a different number of cells than the header.
    pub cells: Option<(usize, usize)>,
}

/// Reads the file into rows, or refuses it whole.
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, FileError> {
    if bytes.len() > MAX_BYTES {
        return Err(FileError::TooLarge);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        FileError::NotUtf8 { line }
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(FileError::Empty);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let unreadable = |e: csv::Error| {
        let line = e.position().map_or(1, csv::Position::line);
        FileError::Unreadable { line, reason: e.to_string() }
    };
    // The first record that is not blank names the columns.
    let header = loop {
        match records.next() {
            None => return Err(FileError::Empty),
            Some(record) => {
                let record = record.map_err(unreadable)?;
                if !is_blank(&record) {
                    break record;
                }
            }
        }
    };
    let columns = Columns::of(&header)?;
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(unreadable)?;
        if is_blank(&record) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows);
        }
        rows.push(columns.row(&record, header.len(), first_line(text.as_bytes(), record.position())));
    }
    if rows.is_empty() {
        return Err(FileError::NoRows);
    }
    Ok(rows)
}

/// The line a record starts on. The reader gives the position where it began looking for the
/// record, before the empty lines it skipped: they are counted here.
fn first_line(text: &[u8], position: Option<&csv::Position>) -> u64 {
    let Some(position) = position else { return 0 };
    let from = usize::try_from(position.byte()).unwrap_or(usize::MAX).min(text.len());
    let skipped = text[from..].iter().take_while(|&&b| b == b'\n' || b == b'\r').filter(|&&b| b == b'\n').count();
    position.line() + skipped as u64
}

fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|cell| cell.trim().is_empty())
}

/// Where each column is in the file.
struct Columns {
    at: HashMap<&'static str, usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Columns, FileError> {
        let mut at = HashMap::new();
        let mut unknown = Vec::new();
        for (i, raw) in header.iter().enumerate() {
            let name = raw.trim().to_lowercase().replace([' ', '-'], "_");
            match REQUIRED.iter().chain(OPTIONAL.iter()).find(|c| **c == name) {
                Some(column) => {
                    if at.insert(*column, i).is_some() {
                        return Err(FileError::RepeatedColumn((*column).to_string()));
                    }
                }
                None => unknown.push(if raw.trim().is_empty() { "(an empty name)".to_string() } else { shown(raw) }),
            }
        }
        let missing: Vec<&str> = REQUIRED.iter().filter(|c| !at.contains_key(*c)).copied().collect();
        if !missing.is_empty() {
            return Err(FileError::MissingColumns(missing.join(", ")));
        }
        if !unknown.is_empty() {
            return Err(FileError::UnknownColumns(unknown.join(", ")));
        }
        Ok(Columns { at })
    }

    fn row(&self, record: &csv::StringRecord, header_len: usize, line: u64) -> Row {
        let cell = |column: &str| {
            self.at.get(column).and_then(|&i| record.get(i)).map(|c| c.trim().to_string()).unwrap_or_default()
        };
        Row {
            line,
            name: cell("name"),
            domains: cell("domains").split(';').map(str::trim).filter(|d| !d.is_empty()).map(str::to_string).collect(),
            first_name: cell("first_name"),
            surname: cell("surname"),
            email: cell("email"),
            group: cell("group"),
            cells: (record.len() != header_len).then_some((record.len(), header_len)),
        }
    }
}

/// A row judged by the rules that need no database.
#[derive(Debug, Clone)]
pub struct Checked {
    pub row: Row,
    /// The partner the row describes, when no rule is broken (the database may still refuse).
    pub partner: Option<NewPartner>,
    /// Why it can't be added, in the wizard's words prefixed by the column.
    pub reasons: Vec<String>,
}

/// Judges every row: the wizard's rules (`NewPartner::check`), the group, and the rows before
/// it in the file (the first row with a name or a domain keeps it; later ones are refused).
pub fn check(rows: Vec<Row>) -> Vec<Checked> {
    let mut names: HashMap<String, u64> = HashMap::new();
    let mut domains: HashMap<String, u64> = HashMap::new();
    rows.into_iter()
        .map(|row| {
            let mut reasons = Vec::new();
            if let Some((found, expected)) = row.cells {
                reasons.push(format!("The row has {found} cells; the first line names {expected} columns."));
            }
            let checked = NewPartner::check(&PartnerInput {
                name: &row.name,
                domains: &row.domains,
                first_name: &row.first_name,
                surname: &row.surname,
                email: &row.email,
            });
            if let Err(errors) = &checked {
                reasons.extend(errors.iter().map(|(field, message)| column_reason(&row, field, message)));
            }
            // Duplicates inside the file, whatever else is wrong with either row.
            let name_key = normalise_for_compare(&row.name);
            if !name_key.is_empty() {
                match names.get(&name_key) {
                    Some(first) => reasons.push(format!("name: line {first} of the file has the same partner name.")),
                    None => {
                        names.insert(name_key, row.line);
                    }
                }
            }
            let mut own: Vec<String> = Vec::new();
            for d in row.domains.iter().filter_map(|raw| Domain::parse_for_partner(raw).ok()) {
                let d = d.as_str().to_string();
                if own.contains(&d) {
                    continue;
                }
                match domains.get(&d) {
                    Some(first) => reasons.push(format!("domains: {d} is also in line {first} of the file.")),
                    None => {
                        domains.insert(d.clone(), row.line);
                    }
                }
                own.push(d);
            }
            let partner = if reasons.is_empty() { checked.ok() } else { None };
            Checked { row, partner, reasons }
        })
        .collect()
}

/// The wizard's message for `field`, prefixed by the CSV column it is about.
fn column_reason(row: &Row, field: &str, message: &str) -> String {
    let column = match field {
        "name" => "name".to_string(),
        "administrator.first_name" => "first_name".to_string(),
        "administrator.surname" => "surname".to_string(),
        "administrator.email" => "email".to_string(),
        f => match f.strip_prefix("domains[").and_then(|i| i.trim_end_matches(']').parse::<usize>().ok()) {
            Some(i) => format!("domains ({})", row.domains.get(i).map(|d| shown(d)).unwrap_or_default()),
            None => "domains".to_string(),
        },
    };
    format!("{column}: {message}")
}

/// "1 partner", "12 partners".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A cell as the preview shows it: at most 120 characters.
pub fn shown(cell: &str) -> String {
    let mut chars = cell.chars();
    let head: String = chars.by_ref().take(SHOWN_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const HEADER: &str = "name,domains,first_name,surname,email\n";

    fn rows(body: &str) -> Vec<Row> {
        parse(format!("{HEADER}{body}").as_bytes()).unwrap()
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks_and_lines_are_counted() {
        let r = rows("\"Globex, Inc.\",globex.example;globex-eu.example,Hank,\"Scor\"\"pio\",hank@globex.example\n\n\"Two\nlines\",two.example,A,B,a@two.example\nInitech,initech.example,Bill,L,bill@initech.example\n");
        assert_eq!(r.len(), 3, "the empty line is skipped");
        assert_eq!(r[0].name, "Globex, Inc.");
        assert_eq!(r[0].domains, ["globex.example", "globex-eu.example"]);
        assert_eq!(r[0].surname, "Scor\"pio");
        assert_eq!((r[0].line, r[1].line, r[2].line), (2, 4, 6));
        assert_eq!(r[1].name, "Two\nlines");
    }

    #[test]
    fn a_byte_order_mark_crlf_and_columns_in_any_order_are_accepted() {
        let file = "\u{FEFF}Email,First Name,surname,DOMAINS,name,group\r\nhank@globex.example,Hank,Scorpio,globex.example,Globex,\r\n";
        let r = parse(file.as_bytes()).unwrap();
        assert_eq!(r[0].email, "hank@globex.example");
        assert_eq!(r[0].name, "Globex");
        assert_eq!(r[0].group, "");
        assert_eq!(r[0].cells, None);
    }

    #[test]
    fn a_file_that_breaks_the_file_rules_is_refused_whole() {
        assert_eq!(parse(b""), Err(FileError::Empty));
        assert_eq!(parse(HEADER.as_bytes()), Err(FileError::NoRows));
        assert_eq!(
            parse(b"name,domains\nA,b.example\n"),
            Err(FileError::MissingColumns("first_name, surname, email".into()))
        );
        assert_eq!(
            parse(b"name,domains,first_name,surname,email,phone\n").unwrap_err(),
            FileError::UnknownColumns("phone".into())
        );
        assert_eq!(
            parse(b"name,name,domains,first_name,surname,email\n"),
            Err(FileError::RepeatedColumn("name".into()))
        );
        let latin1 = [HEADER.as_bytes(), b"Caf\xE9,cafe.example,A,B,a@cafe.example\n"].concat();
        assert_eq!(parse(&latin1), Err(FileError::NotUtf8 { line: 2 }));
        assert_eq!(parse(&vec![b'a'; MAX_BYTES + 1]), Err(FileError::TooLarge));
        let many: String = (0..=MAX_ROWS).map(|i| format!("P{i},p{i}.example,A,B,a@p{i}.example\n")).collect();
        assert_eq!(parse(format!("{HEADER}{many}").as_bytes()), Err(FileError::TooManyRows));
        let exactly: String = (0..MAX_ROWS).map(|i| format!("P{i},p{i}.example,A,B,a@p{i}.example\n")).collect();
        assert_eq!(parse(format!("{HEADER}{exactly}").as_bytes()).unwrap().len(), MAX_ROWS);
    }

    #[test]
    fn each_row_gets_the_wizards_words_and_duplicates_inside_the_file_are_refused() {
        let checked = check(rows(
            "Globex,globex.example,Hank,Scorpio,hank@globex.example\n\
             GLOBEX,other.example,Ann,Lee,ann@other.example\n\
             Initech,initech.example;GLOBEX.example,Bill,L,bill@initech.example\n\
             X,http://x,,L,bill@nowhere.example\n\
             Hooli,hooli.example,Gavin,Belson,gavin@hooli.example,extra\n",
        ));
        assert!(checked[0].reasons.is_empty() && checked[0].partner.is_some());
        assert_eq!(checked[1].reasons, ["name: line 2 of the file has the same partner name."]);
        assert_eq!(checked[2].reasons, ["domains: globex.example is also in line 2 of the file."]);
        assert_eq!(
            checked[3].reasons,
            [
                "name: The partner name must be at least 2 characters long.",
                "domains (http://x): Enter a domain like acme.com, without http:// or a path.",
                "first_name: Enter a name.",
            ]
        );
        assert_eq!(checked[4].reasons, ["The row has 6 cells; the first line names 5 columns."]);
        assert!(checked[4].partner.is_none());
    }

    #[test]
    fn a_row_naming_a_group_passes_the_file_rules() {
        let r = parse(
            b"name,domains,first_name,surname,email,group\nGlobex,globex.example,H,S,h@globex.example, Resellers \n",
        )
        .unwrap();
        let checked = check(r);
        assert!(checked[0].reasons.is_empty());
        assert_eq!(checked[0].row.group, "Resellers");
    }

    #[test]
    fn long_cells_are_shown_clipped() {
        assert_eq!(shown("abc"), "abc");
        assert_eq!(shown(&"x".repeat(200)).chars().count(), SHOWN_CHARS + 1);
    }
}
