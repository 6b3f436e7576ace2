//! Backup, restore and copy between backends: one engine. A row source (a
//! live database read in one snapshot, or a dump file) feeds a row sink (an
//! empty database in one transaction, or a dump file); `backup` is database
//! to file, `restore` file to database, `copy` database to database. Each
//! ends by verifying every table the same way on both sides: its row count
//! and a checksum over the canonical form of its rows (`value`).

pub mod catalog;
pub mod dump;
mod load;
mod read;
pub mod value;

use std::path::{Path, PathBuf};

use catalog::Table;
pub use value::Sum;
use value::Value;

use crate::db::Db;
use crate::error::{Error, Result};

/// Where rows go, table after table.
pub trait Sink {
    fn table(&mut self, table: &Table) -> Result<()>;
    fn row(&mut self, row: Vec<Value>) -> Result<()>;
    fn end(&mut self, table: &Table, sum: Sum) -> Result<()>;
    /// The ids the source's sequences have handed out (PostgreSQL), so the
    /// target never hands out again the id of a row deleted before the copy
    /// (the audit log still names it).
    fn high_water(&mut self, _marks: &[HighWater]) -> Result<()> {
        Ok(())
    }
}

/// A sequence's position: `table.column` has handed out ids up to `last`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HighWater {
    pub table: String,
    pub column: String,
    pub last: i64,
}

/// Reads and forgets: a dump read back only for its checks.
struct Discard;

impl Sink for Discard {
    fn table(&mut self, _: &Table) -> Result<()> {
        Ok(())
    }
    fn row(&mut self, _: Vec<Value>) -> Result<()> {
        Ok(())
    }
    fn end(&mut self, _: &Table, _: Sum) -> Result<()> {
        Ok(())
    }
}

/// One table as the source had it and as the copy has it.
#[derive(Clone, Debug)]
pub struct TableReport {
    pub name: String,
    pub source: Sum,
    pub copy: Sum,
}

impl TableReport {
    pub fn matches(&self) -> bool {
        self.source == self.copy
    }

    /// `orgs   64 rows  checksum 3f2a…  ok`.
    pub fn line(&self) -> String {
        let verdict = if self.matches() {
            "ok".to_string()
        } else {
            format!(
                "MISMATCH: the copy has {} rows, checksum {}",
                self.copy.rows,
                self.copy.checksum_hex()
            )
        };
        format!(
            "{:<28} {:>10} rows  checksum {}  {verdict}",
            self.name,
            self.source.rows,
            &self.source.checksum_hex()[..16]
        )
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    pub tables: Vec<TableReport>,
    /// The schema version (newest migration) the data was taken at.
    pub schema: String,
}

impl Report {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.source.rows).sum()
    }

    fn compare(schema: String, source: &[(Table, Sum)], copy: &[(Table, Sum)]) -> Result<Report> {
        let tables: Vec<TableReport> = source
            .iter()
            .map(|(table, sum)| TableReport {
                name: table.name.clone(),
                source: *sum,
                copy: copy
                    .iter()
                    .find(|(t, _)| t.name == table.name)
                    .map(|(_, s)| *s)
                    .unwrap_or_default(),
            })
            .collect();
        let wrong = tables.iter().filter(|t| !t.matches()).count();
        if wrong > 0 {
            let lines: Vec<String> = tables.iter().map(TableReport::line).collect();
            return Err(Error::conflict(format!(
                "{}\nverification failed on {wrong} table(s); nothing was kept",
                lines.join("\n")
            )));
        }
        Ok(Report { tables, schema })
    }
}

fn not_canopy(what: &str) -> Error {
    Error::BadRequest(format!(
        "{what} has no Canopy schema (no migrations applied)"
    ))
}

/// Writes a consistent copy of `source` to a new file at `path` (mode 0600),
/// reads it back to check it, and only then gives it its name.
pub fn backup(source: &Db, path: &Path) -> Result<(Report, PathBuf)> {
    let (schema, sums, finished) = read::in_snapshot(source, |conn| {
        let schema = catalog::schema_version(conn)?.ok_or_else(|| not_canopy("the database"))?;
        let tables = catalog::tables(conn)?;
        let header = dump::Header {
            format: dump::FORMAT.into(),
            version: dump::FORMAT_VERSION,
            schema: schema.clone(),
            backend: source.backend().name().into(),
            taken_at: crate::db::rfc3339(crate::db::now()),
            canopy: env!("CARGO_PKG_VERSION").into(),
        };
        let mut writer = dump::Writer::create(path, &header)?;
        match read::pump(conn, &tables, &mut writer) {
            Ok(sums) => Ok((schema, sums, writer.finish()?)),
            Err(err) => {
                writer.abandon();
                Err(err)
            }
        }
    })?;
    let read_back = dump::Reader::open(&finished.partial).and_then(|mut r| r.pump(&mut Discard));
    match read_back.and_then(|back| Report::compare(schema, &sums, &back)) {
        Ok(report) => Ok((report, finished.publish()?)),
        Err(err) => {
            finished.abandon();
            Err(err)
        }
    }
}

/// Fills the empty database `target` from the dump at `path`.
pub fn restore(path: &Path, target: &Db) -> Result<Report> {
    let mut reader = dump::Reader::open(path)?;
    let schema = reader.header.schema.clone();
    load_into(target, &schema, |sink| reader.pump(sink))
}

/// Copies `source`, as of one moment, into the empty database `target`.
pub fn copy(source: &Db, target: &Db) -> Result<Report> {
    let schema = source
        .read_sync(catalog::schema_version)?
        .ok_or_else(|| not_canopy("the source database"))?;
    load_into(target, &schema, |sink| {
        read::in_snapshot(source, |conn| {
            let tables = catalog::tables(conn)?;
            read::pump(conn, &tables, sink)
        })
    })
}

/// Brings `target` to `schema`, loads what `pump` sends in one transaction,
/// verifies every table before committing, then applies the migrations that
/// came after `schema`.
fn load_into(
    target: &Db,
    schema: &str,
    pump: impl FnOnce(&mut dyn Sink) -> Result<Vec<(Table, Sum)>>,
) -> Result<Report> {
    let latest = target.latest_schema()?;
    if schema > latest.as_str() {
        return Err(Error::BadRequest(format!(
            "the data was taken at schema version {schema}, newer than this Canopy knows \
             ({latest}): use the Canopy version it came from, or a newer one"
        )));
    }
    let report = target.exclusively(|| {
        if let Some(current) = target.read_sync(catalog::schema_version)?
            && current.as_str() > schema
        {
            return Err(Error::conflict(format!(
                "this database is already at schema version {current}, newer than the \
                 data's ({schema}): fill a new, empty database"
            )));
        }
        // Before migrating: a database with data is left exactly as it was.
        target.read_sync(|conn| load::refuse_unless_empty(conn).map(drop))?;
        target.migrate_up_to(schema)?;
        target.write_sync(|conn| {
            let mut loader = load::Loader::prepare(conn)?;
            let sums = pump(&mut loader)?;
            loader.finish()?;
            let mut copied = Vec::with_capacity(sums.len());
            for (table, _) in &sums {
                copied.push((table.clone(), read::sum(conn, table)?));
            }
            Report::compare(schema.to_string(), &sums, &copied)
        })
    })?;
    target.exclusively(|| target.migrate())?;
    Ok(report)
}

/// Every table's count and checksum as of one moment (what the commands
/// compare; the tests compare databases by it).
pub fn sums(db: &Db) -> Result<Vec<(String, Sum)>> {
    read::in_snapshot(db, |conn| {
        catalog::tables(conn)?
            .iter()
            .map(|t| Ok((t.name.clone(), read::sum(conn, t)?)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::Column;

    fn table(name: &str) -> Table {
        Table {
            name: name.into(),
            columns: vec![Column {
                name: "id".into(),
                kind: value::Kind::Int,
            }],
        }
    }

    #[test]
    fn a_mismatch_reports_every_table_and_fails() {
        let sum = |rows, checksum| Sum { rows, checksum };
        let source = [(table("orgs"), sum(2, 7)), (table("users"), sum(1, 9))];
        let same = Report::compare("1".into(), &source, &source).unwrap();
        assert_eq!(same.rows(), 3);
        let copy = [(table("orgs"), sum(2, 7)), (table("users"), sum(1, 8))];
        let err = Report::compare("1".into(), &source, &copy)
            .unwrap_err()
            .to_string();
        assert!(err.contains("orgs") && err.contains("ok"), "{err}");
        assert!(err.contains("users") && err.contains("MISMATCH"), "{err}");
        assert!(err.ends_with("verification failed on 1 table(s); nothing was kept"));
    }
}
