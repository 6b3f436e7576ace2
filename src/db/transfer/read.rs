//! Reading a live database: one consistent snapshot for the whole run, and
//! each table streamed a row at a time as JSON the database writes itself
//! (generic rows through Diesel would need a type per table).

use diesel::connection::{DefaultLoadingMode, SimpleConnection};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::catalog::{Table, quoted};
use super::value::{Kind, Summer, Value, row_from_json};
use super::{Sink, Sum};
use crate::db::{AnyConnection, Backend, Conn, Db};
use crate::error::{Error, Result};

/// Rows PostgreSQL hands over per `FETCH`: memory stays bounded by this.
const FETCH_ROWS: usize = 1000;

/// Runs `f` on a connection of `db` inside one read-only snapshot: on SQLite
/// a read transaction (in WAL mode writers go on beside it), on PostgreSQL
/// `REPEATABLE READ READ ONLY`. Every table is read as of one moment, while
/// the server keeps writing.
pub fn in_snapshot<T>(db: &Db, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
    let mut conn = db.conn()?;
    conn.batch_execute(match db.backend() {
        Backend::Sqlite => "BEGIN DEFERRED",
        Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    })?;
    let outcome = f(&mut conn);
    // Nothing was written: ending the snapshot either way is the same.
    let ended = conn.batch_execute(if outcome.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    });
    let value = outcome?;
    ended?;
    Ok(value)
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    r: String,
}

/// The statement reading `table` as one JSON array per row, binary columns
/// as hex.
fn select(backend: Backend, table: &Table) -> Result<String> {
    // Both backends' JSON array functions take at most 100 arguments.
    if table.columns.len() > 100 {
        return Err(Error::internal(format!(
            "{}: more than 100 columns cannot be copied",
            table.name
        )));
    }
    let values: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let q = quoted(&c.name);
            match (c.kind, backend) {
                // `hex(NULL)` is '' in SQLite, so NULL stays NULL by hand.
                (Kind::Bytes, Backend::Sqlite) => {
                    format!("CASE WHEN {q} IS NULL THEN NULL ELSE hex({q}) END")
                }
                (Kind::Bytes, Backend::Postgres) => format!("encode({q}, 'hex')"),
                _ => q,
            }
        })
        .collect();
    Ok(match backend {
        Backend::Sqlite => format!(
            "SELECT json_array({}) AS r FROM {}",
            values.join(", "),
            quoted(&table.name)
        ),
        Backend::Postgres => format!(
            "SELECT json_build_array({})::text AS r FROM {}",
            values.join(", "),
            quoted(&table.name)
        ),
    })
}

/// Calls `f` with each row of `table`, streamed.
pub fn scan(
    conn: &mut Conn,
    table: &Table,
    f: &mut dyn FnMut(Vec<Value>) -> Result<()>,
) -> Result<()> {
    let kinds = table.kinds();
    let what = || format!("table {}", table.name);
    let mut parse = |json: String| -> Result<()> {
        let json = serde_json::from_str(&json).map_err(Error::internal)?;
        f(row_from_json(&kinds, json, &what)?)
    };
    match conn {
        AnyConnection::Sqlite(c) => {
            let sql = select(Backend::Sqlite, table)?;
            for row in diesel::sql_query(sql).load_iter::<JsonRow, DefaultLoadingMode>(c)? {
                parse(row?.r)?;
            }
        }
        AnyConnection::Postgresql(c) => {
            let sql = select(Backend::Postgres, table)?;
            c.batch_execute(&format!(
                "DECLARE canopy_transfer NO SCROLL CURSOR FOR {sql}"
            ))?;
            let fetch = format!("FETCH {FETCH_ROWS} FROM canopy_transfer");
            loop {
                let rows: Vec<JsonRow> = diesel::sql_query(&fetch).load(c)?;
                if rows.is_empty() {
                    break;
                }
                for row in rows {
                    parse(row.r)?;
                }
            }
            c.batch_execute("CLOSE canopy_transfer")?;
        }
    }
    Ok(())
}

/// The count and checksum of `table` as it is now.
pub fn sum(conn: &mut Conn, table: &Table) -> Result<Sum> {
    let mut summer = Summer::new(&table.column_names());
    scan(conn, table, &mut |row| {
        summer.add(&row);
        Ok(())
    })?;
    Ok(summer.sum)
}

/// Sends every row of `tables` to `sink`, table after table, and answers
/// each table's sum as read.
pub fn pump(conn: &mut Conn, tables: &[Table], sink: &mut dyn Sink) -> Result<Vec<(Table, Sum)>> {
    let mut sums = Vec::with_capacity(tables.len());
    for table in tables {
        sink.table(table)?;
        let mut summer = Summer::new(&table.column_names());
        scan(conn, table, &mut |row| {
            summer.add(&row);
            sink.row(row)
        })?;
        sink.end(table, summer.sum)?;
        sums.push((table.clone(), summer.sum));
    }
    sink.high_water(&super::catalog::serial_columns(conn)?)?;
    Ok(sums)
}
