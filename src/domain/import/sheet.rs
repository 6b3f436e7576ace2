//! Reading an import file one row at a time: UTF-8 (with or without a byte
//! order mark; anything else is refused with a message), comma or semicolon
//! (detected from the header row), a header row matched by name in any order.

use std::io::{BufRead, BufReader, Read};

/// How much of the file is looked at before the first row: the header and the
/// encoding check read this far ahead, never the whole file.
const PEEK_BYTES: usize = 64 * 1024;

const NOT_UTF8: &str = "The file is not UTF-8 text. Save it as \"CSV UTF-8\" (or UTF-8 \
     in your editor's encoding menu) and import it again.";

/// An open import file: its columns, then its rows as they are read.
pub struct Sheet<R: Read> {
    reader: csv::Reader<BufReader<R>>,
    /// For each expected column (by position in `names`), where it is in the file.
    places: Vec<Option<usize>>,
    names: &'static [&'static str],
    width: usize,
    record: csv::ByteRecord,
    done: bool,
}

/// One row read: its line in the file and its cells by column name.
pub struct Row {
    pub line: u64,
    cells: Vec<String>,
}

impl Row {
    /// The trimmed cell of an expected column ("" when the file lacks it).
    pub fn get(&self, index: usize) -> &str {
        self.cells.get(index).map(|s| s.trim()).unwrap_or("")
    }
}

/// A header as people type it: case, spaces and dashes do not matter.
fn header_key(raw: &str) -> String {
    raw.trim().to_lowercase().replace([' ', '-'], "_")
}

/// The delimiter of the header line: the one of `,` and `;` that occurs more
/// often outside quotes (a comma when neither does).
fn delimiter(line: &[u8]) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas += 1,
            b';' if !quoted => semicolons += 1,
            _ => {}
        }
    }
    if semicolons > commas { b';' } else { b',' }
}

impl<R: Read> Sheet<R> {
    /// Opens a file whose columns are `names` (`required` must be there);
    /// a file that cannot be read as such is one message.
    pub fn open(
        input: R,
        names: &'static [&'static str],
        required: &[&str],
    ) -> std::result::Result<Self, String> {
        let mut input = BufReader::with_capacity(PEEK_BYTES, input);
        let peek = input
            .fill_buf()
            .map_err(|e| format!("The file could not be read: {e}"))?;
        if peek.starts_with(&[0xFF, 0xFE]) || peek.starts_with(&[0xFE, 0xFF]) {
            return Err(format!("{NOT_UTF8} (This file is UTF-16.)"));
        }
        let bom = if peek.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        let peek = &peek[bom..];
        if let Err(e) = std::str::from_utf8(peek) {
            // A character cut at the end of the look-ahead is not an error.
            if e.error_len().is_some() {
                return Err(NOT_UTF8.into());
            }
        }
        if peek.iter().all(|b| b.is_ascii_whitespace()) {
            return Err("The file is empty: it needs a header row naming the columns.".into());
        }
        let header_end = peek.iter().position(|&b| b == b'\n').unwrap_or(peek.len());
        let header = &peek[..header_end];
        if header.contains(&b'\t') && !header.iter().any(|b| matches!(b, b',' | b';')) {
            return Err(
                "The columns are separated by tabs: save the file as CSV, with \
                        commas or semicolons between the columns."
                    .into(),
            );
        }
        let delimiter = delimiter(header);
        input.consume(bom);
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(input);
        let headers = reader
            .byte_headers()
            .map_err(|e| format!("The header row could not be read: {e}"))?
            .clone();
        let mut places = vec![None; names.len()];
        for (at, raw) in headers.iter().enumerate() {
            let name = std::str::from_utf8(raw).map_err(|_| NOT_UTF8.to_string())?;
            let key = header_key(name);
            if key.is_empty() {
                continue;
            }
            let Some(index) = names.iter().position(|n| *n == key) else {
                return Err(format!(
                    "Unknown column \"{}\". The columns are: {}.",
                    name.trim(),
                    names.join(", ")
                ));
            };
            if places[index].is_some() {
                return Err(format!("The column \"{key}\" appears twice."));
            }
            places[index] = Some(at);
        }
        let missing: Vec<&str> = required
            .iter()
            .filter(|r| {
                names
                    .iter()
                    .position(|n| n == *r)
                    .is_none_or(|i| places[i].is_none())
            })
            .copied()
            .collect();
        if !missing.is_empty() {
            let found = if delimiter == b';' {
                "semicolons"
            } else {
                "commas"
            };
            return Err(format!(
                "The header row lacks the column(s) {} (columns are separated by commas or \
                 semicolons; this file's header was read with {found}).",
                missing.join(", ")
            ));
        }
        Ok(Sheet {
            reader,
            places,
            names,
            width: headers.len(),
            record: csv::ByteRecord::new(),
            done: false,
        })
    }

    /// The index of column `name` for [`Row::get`].
    pub fn column(&self, name: &str) -> usize {
        self.names
            .iter()
            .position(|n| *n == name)
            .unwrap_or(usize::MAX)
    }

    /// Whether the file has column `name`.
    pub fn has(&self, name: &str) -> bool {
        self.places
            .get(self.column(name))
            .is_some_and(|p| p.is_some())
    }

    /// The next row that is not blank; `Err((line, message))` for one that
    /// cannot be read. `None` at the end (or after an error of the file itself).
    pub fn next_row(&mut self) -> Option<std::result::Result<Row, (u64, String)>> {
        if self.done {
            return None;
        }
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    // Nothing after a broken read can be trusted; stop here.
                    self.done = true;
                    return Some(Err((line, format!("The file could not be read: {e}"))));
                }
                Ok(true) => {}
            }
            let line = self.record.position().map(|p| p.line()).unwrap_or(0);
            if self
                .record
                .iter()
                .all(|f| f.iter().all(u8::is_ascii_whitespace))
            {
                continue;
            }
            if self.record.len() > self.width {
                return Some(Err((
                    line,
                    format!(
                        "This row has {} cells; the header names {}.",
                        self.record.len(),
                        self.width
                    ),
                )));
            }
            let mut cells = Vec::with_capacity(self.places.len());
            for place in &self.places {
                let raw = place.and_then(|p| self.record.get(p)).unwrap_or(b"");
                match std::str::from_utf8(raw) {
                    Ok(s) => cells.push(s.to_string()),
                    Err(_) => return Some(Err((line, NOT_UTF8.into()))),
                }
            }
            return Some(Ok(Row { line, cells }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: &[&str] = &["code", "name", "parent"];

    fn rows(text: &[u8]) -> std::result::Result<Vec<Vec<String>>, String> {
        let mut sheet = Sheet::open(text, NAMES, &["code", "name"])?;
        let mut out = Vec::new();
        while let Some(row) = sheet.next_row() {
            let row = row.map_err(|(_, m)| m)?;
            out.push((0..3).map(|i| row.get(i).to_string()).collect());
        }
        Ok(out)
    }

    #[test]
    fn headers_in_any_order_either_delimiter_and_a_bom() {
        let comma = rows(b"Name,CODE\nAcme,ac\n").unwrap();
        assert_eq!(comma, vec![vec!["ac", "Acme", ""]]);
        let semi = rows(b"\xEF\xBB\xBFparent;code;name\nROOT;ac;\"A; B\"\n").unwrap();
        assert_eq!(semi, vec![vec!["ac", "A; B", "ROOT"]]);
    }

    #[test]
    fn other_encodings_and_bad_headers_are_refused_with_a_message() {
        assert!(
            rows(b"code,name\nX,Caf\xE9\n")
                .unwrap_err()
                .contains("UTF-8")
        );
        assert!(rows(b"\xFF\xFEc\0o\0").unwrap_err().contains("UTF-16"));
        assert!(
            rows(b"code,nom\n")
                .unwrap_err()
                .contains("Unknown column \"nom\"")
        );
        assert!(
            rows(b"code\n")
                .unwrap_err()
                .contains("lacks the column(s) name")
        );
        assert!(rows(b"").unwrap_err().contains("empty"));
        assert!(rows(b"code\tname\nX\tY\n").unwrap_err().contains("tabs"));
    }
}
