//! What a database holds, read from the database itself at run time (SQLite's
//! `sqlite_master` and `pragma_table_info`, PostgreSQL's `information_schema`)
//! rather than from `db/schema.rs`: that file lists only the tables Diesel
//! queries, not those kept by triggers alone (the team totals), and a table a
//! later migration adds is copied without anyone remembering to list it here.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::value::Kind;
use crate::db::{AnyConnection, Conn};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

impl Table {
    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    pub fn kinds(&self) -> Vec<Kind> {
        self.columns.iter().map(|c| c.kind).collect()
    }
}

/// Diesel's own bookkeeping: the target runs its migrations itself.
const MIGRATIONS_TABLE: &str = "__diesel_schema_migrations";

/// Tables the migrations themselves fill with a row or two (the epochs and
/// the scheduled jobs' leases). A database whose only rows are these is
/// still empty; loading replaces them with the source's.
pub const SEEDED: [&str; 3] = ["app_state", "job_leases", "nav_epoch"];

/// A name as an SQL identifier, the same on both backends.
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct VersionRow {
    #[diesel(sql_type = Nullable<Text>)]
    version: Option<String>,
}

/// Every table of the database but Diesel's, in name order, with its columns
/// in the table's own order.
pub fn tables(conn: &mut Conn) -> Result<Vec<Table>> {
    let names: Vec<NameRow> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        )
        .load(c)?,
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
        )
        .load(c)?,
    };
    let mut names: Vec<String> = names
        .into_iter()
        .map(|n| n.name)
        .filter(|n| n != MIGRATIONS_TABLE)
        .collect();
    // Sorted here: the backends' collations order `_` differently.
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let columns = columns(conn, &name)?;
            Ok(Table { name, columns })
        })
        .collect()
}

fn columns(conn: &mut Conn, table: &str) -> Result<Vec<Column>> {
    /// How a backend's declared type names a kind.
    type KindOf = fn(&str) -> Option<Kind>;
    let (rows, kind_of): (Vec<ColumnRow>, KindOf) = match conn {
        AnyConnection::Sqlite(c) => (
            diesel::sql_query(
                "SELECT name, type AS declared FROM pragma_table_info(?) ORDER BY cid",
            )
            .bind::<Text, _>(table)
            .load(c)?,
            Kind::of_sqlite,
        ),
        AnyConnection::Postgresql(c) => (
            diesel::sql_query(
                "SELECT column_name::text AS name, data_type::text AS declared \
                 FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 \
                 ORDER BY ordinal_position",
            )
            .bind::<Text, _>(table)
            .load(c)?,
            Kind::of_postgres,
        ),
    };
    rows.into_iter()
        .map(|r| {
            let kind = kind_of(&r.declared).ok_or_else(|| {
                Error::internal(format!(
                    "{table}.{}: column type {} cannot be copied",
                    r.name, r.declared
                ))
            })?;
            Ok(Column { name: r.name, kind })
        })
        .collect()
}

pub fn count(conn: &mut Conn, table: &str) -> Result<i64> {
    count_sql(
        conn,
        &format!("SELECT COUNT(*) AS n FROM {}", quoted(table)),
    )
}

/// The newest migration applied to the database, `None` when it has none
/// (a new, empty database).
pub fn schema_version(conn: &mut Conn) -> Result<Option<String>> {
    let exists = tables_named(conn, MIGRATIONS_TABLE)?;
    if !exists {
        return Ok(None);
    }
    let sql = format!("SELECT MAX(version) AS version FROM {MIGRATIONS_TABLE}");
    let row: VersionRow =
        crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str()).get_result(c))?;
    Ok(row.version)
}

fn tables_named(conn: &mut Conn, name: &str) -> Result<bool> {
    let rows: Vec<NameRow> = match conn {
        AnyConnection::Sqlite(c) => {
            diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
                .bind::<Text, _>(name)
                .load(c)?
        }
        AnyConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind::<Text, _>(name)
        .load(c)?,
    };
    Ok(!rows.is_empty())
}

/// The tables holding rows, with their counts, leaving out the rows the
/// migrations seed: what makes a database not empty.
pub fn holding_data(conn: &mut Conn, tables: &[Table]) -> Result<Vec<(String, i64)>> {
    let mut held = Vec::new();
    for table in tables.iter().filter(|t| !SEEDED.contains(&t.name.as_str())) {
        let n = count(conn, &table.name)?;
        if n > 0 {
            held.push((table.name.clone(), n));
        }
    }
    Ok(held)
}

#[derive(QueryableByName)]
struct SerialRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = BigInt)]
    last: i64,
}

/// PostgreSQL's identity and serial columns with the last id each handed
/// out (0 if none); nothing on SQLite, which has no sequences (its next id
/// is the largest one plus one).
pub fn serial_columns(conn: &mut Conn) -> Result<Vec<super::HighWater>> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(Vec::new());
    };
    let rows: Vec<SerialRow> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name,          COALESCE(pg_sequence_last_value(pg_get_serial_sequence(            quote_ident(table_name), column_name)), 0) AS last          FROM information_schema.columns WHERE table_schema = current_schema()          AND table_name <> '__diesel_schema_migrations'          AND (is_identity = 'YES' OR column_default LIKE 'nextval(%')          ORDER BY table_name, column_name",
    )
    .load(c)?;
    Ok(rows
        .into_iter()
        .map(|r| super::HighWater {
            table: r.table_name,
            column: r.column_name,
            last: r.last,
        })
        .collect())
}

/// The one number `sql` answers as `n`.
pub fn count_sql(conn: &mut Conn, sql: &str) -> Result<i64> {
    let row: CountRow = crate::with_backend!(conn, |c| diesel::sql_query(sql).get_result(c))?;
    Ok(row.n)
}
