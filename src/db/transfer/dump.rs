//! The dump file: JSON lines, plain text. First a header (format, format
//! version, the schema version it was taken at, the backend, when); then per
//! table a line naming its columns and their kinds, a JSON array per row, and
//! a line with the table's row count and checksum; last a line saying the
//! dump is complete. So a reader knows a truncated file (no last line) and a
//! damaged one (a line that is not JSON, a count or checksum that does not
//! match) before anything of it is committed.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::catalog::{Column, Table};
use super::value::{Kind, Summer, Value, row_from_json};
use super::{HighWater, Sink, Sum};
use crate::error::{Error, Result};

pub const FORMAT: &str = "canopy-dump";
/// Raised when the layout of the file changes; a reader refuses newer ones.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// The newest migration of the database it was taken from.
    pub schema: String,
    /// "SQLite" or "PostgreSQL".
    pub backend: String,
    /// RFC 3339, UTC.
    pub taken_at: String,
    /// The Canopy version that wrote it.
    pub canopy: String,
}

/// Writes a dump to `PATH.partial`, readable by its owner only, and moves it
/// to `PATH` when it is complete: a failed backup leaves no file that looks
/// like a backup.
pub struct Writer {
    out: BufWriter<File>,
    partial: PathBuf,
    path: PathBuf,
    tables: usize,
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::BadRequest(format!("{}: {e}", path.display()))
}

impl Writer {
    pub fn create(path: &Path, header: &Header) -> Result<Writer> {
        if path.exists() {
            return Err(Error::BadRequest(format!(
                "{} already exists: choose a new file name (a backup never overwrites one)",
                path.display()
            )));
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        // The dump holds password and token hashes and the session key.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&partial).map_err(|e| io_error(&partial, e))?;
        let mut writer = Writer {
            out: BufWriter::with_capacity(1 << 16, file),
            partial,
            path: path.to_path_buf(),
            tables: 0,
        };
        writer.line(&serde_json::to_value(header).map_err(Error::internal)?)?;
        Ok(writer)
    }

    fn line(&mut self, json: &Json) -> Result<()> {
        serde_json::to_writer(&mut self.out, json).map_err(Error::internal)?;
        self.out
            .write_all(b"\n")
            .map_err(|e| io_error(&self.partial, e))
    }

    /// Ends the dump and flushes it to disk; [`Finished::publish`] gives it
    /// its name once it has been read back.
    pub fn finish(mut self) -> Result<Finished> {
        self.line(&json!({"complete": true, "tables": self.tables}))?;
        let file = self
            .out
            .into_inner()
            .map_err(|e| io_error(&self.partial, e.into_error()))?;
        file.sync_all().map_err(|e| io_error(&self.partial, e))?;
        Ok(Finished {
            partial: self.partial,
            path: self.path,
        })
    }

    /// Removes the unfinished file after a failure.
    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

/// A complete dump under its temporary name.
pub struct Finished {
    pub partial: PathBuf,
    path: PathBuf,
}

impl Finished {
    pub fn publish(self) -> Result<PathBuf> {
        std::fs::rename(&self.partial, &self.path).map_err(|e| io_error(&self.path, e))?;
        Ok(self.path)
    }

    pub fn abandon(self) {
        let _ = std::fs::remove_file(&self.partial);
    }
}

impl Sink for Writer {
    fn table(&mut self, table: &Table) -> Result<()> {
        let columns: Vec<Json> = table
            .columns
            .iter()
            .map(|c| json!({"name": c.name, "kind": c.kind.name()}))
            .collect();
        self.line(&json!({"table": table.name, "columns": columns}))
    }

    fn row(&mut self, row: Vec<Value>) -> Result<()> {
        self.line(&Json::Array(row.iter().map(Value::to_json).collect()))
    }

    fn end(&mut self, table: &Table, sum: Sum) -> Result<()> {
        self.tables += 1;
        self.line(&json!({"end": table.name, "rows": sum.rows, "checksum": sum.checksum_hex()}))
    }

    fn high_water(&mut self, marks: &[HighWater]) -> Result<()> {
        self.line(&json!({ "high_water": marks }))
    }
}

/// Reads a dump, checking each table's rows against its recorded count and
/// checksum as it goes.
pub struct Reader {
    input: BufReader<File>,
    path: PathBuf,
    line_no: usize,
    pub header: Header,
}

impl Reader {
    pub fn open(path: &Path) -> Result<Reader> {
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        let mut reader = Reader {
            input: BufReader::with_capacity(1 << 16, file),
            path: path.to_path_buf(),
            line_no: 0,
            header: Header {
                format: String::new(),
                version: 0,
                schema: String::new(),
                backend: String::new(),
                taken_at: String::new(),
                canopy: String::new(),
            },
        };
        let not_a_dump = || {
            Error::BadRequest(format!(
                "{} is not a Canopy dump (no {FORMAT} header)",
                path.display()
            ))
        };
        let first = reader.next_json().ok().flatten().ok_or_else(not_a_dump)?;
        if first.get("format").and_then(Json::as_str) != Some(FORMAT) {
            return Err(not_a_dump());
        }
        match first.get("version").and_then(Json::as_u64) {
            Some(v) if v > u64::from(FORMAT_VERSION) => {
                return Err(Error::BadRequest(format!(
                    "{} is a Canopy dump of format version {v}, newer than this Canopy reads \
                     ({FORMAT_VERSION}): restore it with the Canopy version that wrote it",
                    path.display()
                )));
            }
            _ => {}
        }
        reader.header = serde_json::from_value(first).map_err(|e| reader.damaged(e))?;
        Ok(reader)
    }

    fn damaged(&self, why: impl std::fmt::Display) -> Error {
        Error::BadRequest(format!(
            "{} is damaged at line {}: {why}",
            self.path.display(),
            self.line_no
        ))
    }

    /// The next line as JSON, `None` at the end of the file.
    fn next_json(&mut self) -> Result<Option<Json>> {
        let mut line = String::new();
        let read = self
            .input
            .read_line(&mut line)
            .map_err(|e| self.damaged(e))?;
        if read == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        if !line.ends_with('\n') {
            return Err(self.truncated());
        }
        serde_json::from_str(&line)
            .map(Some)
            .map_err(|e| self.damaged(format!("not JSON ({e})")))
    }

    fn truncated(&self) -> Error {
        Error::BadRequest(format!(
            "{} ends at line {} before the dump does: the file is truncated",
            self.path.display(),
            self.line_no
        ))
    }

    fn columns(&self, json: &Json) -> Result<Vec<Column>> {
        let list = json.as_array().ok_or_else(|| self.damaged("no columns"))?;
        list.iter()
            .map(|c| {
                let name = c.get("name").and_then(Json::as_str);
                let kind = c
                    .get("kind")
                    .and_then(Json::as_str)
                    .and_then(Kind::from_name);
                match (name, kind) {
                    (Some(name), Some(kind)) => Ok(Column {
                        name: name.to_string(),
                        kind,
                    }),
                    _ => Err(self.damaged("a column without name or kind")),
                }
            })
            .collect()
    }

    /// Sends every table and row to `sink`, and answers each table's sum.
    pub fn pump(&mut self, sink: &mut dyn Sink) -> Result<Vec<(Table, Sum)>> {
        let mut sums = Vec::new();
        loop {
            let json = self.next_json()?.ok_or_else(|| self.truncated())?;
            if json.get("complete").is_some() {
                if self.next_json()?.is_some() {
                    return Err(self.damaged("lines after the end of the dump"));
                }
                return Ok(sums);
            }
            if let Some(marks) = json.get("high_water") {
                let marks: Vec<HighWater> = serde_json::from_value(marks.clone())
                    .map_err(|e| self.damaged(format!("sequence positions: {e}")))?;
                sink.high_water(&marks)?;
                continue;
            }
            let name = json
                .get("table")
                .and_then(Json::as_str)
                .ok_or_else(|| self.damaged("expected a table"))?;
            let table = Table {
                name: name.to_string(),
                columns: self.columns(json.get("columns").unwrap_or(&Json::Null))?,
            };
            let sum = self.pump_table(&table, sink)?;
            sums.push((table, sum));
        }
    }

    fn pump_table(&mut self, table: &Table, sink: &mut dyn Sink) -> Result<Sum> {
        sink.table(table)?;
        let kinds = table.kinds();
        let mut summer = Summer::new(&table.column_names());
        loop {
            let json = self.next_json()?.ok_or_else(|| self.truncated())?;
            if json.is_array() {
                let line_no = self.line_no;
                let what = || format!("{} line {line_no}", self.path.display());
                let row = row_from_json(&kinds, json, &what)?;
                summer.add(&row);
                sink.row(row)?;
                continue;
            }
            if json.get("end").and_then(Json::as_str) != Some(table.name.as_str()) {
                return Err(self.damaged(format!("table {} has no end", table.name)));
            }
            let recorded = Sum {
                rows: json.get("rows").and_then(Json::as_u64).unwrap_or(u64::MAX),
                checksum: json
                    .get("checksum")
                    .and_then(Json::as_str)
                    .and_then(Sum::parse_hex)
                    .unwrap_or_default(),
            };
            if recorded != summer.sum {
                return Err(self.damaged(format!(
                    "table {} holds {} rows with checksum {}, its record says {} rows with checksum {}",
                    table.name,
                    summer.sum.rows,
                    summer.sum.checksum_hex(),
                    recorded.rows,
                    recorded.checksum_hex()
                )));
            }
            sink.end(table, summer.sum)?;
            return Ok(summer.sum);
        }
    }
}
