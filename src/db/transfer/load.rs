//! Writing into an empty database, inside the one transaction the caller
//! holds: refuse a database with data, switch off what would rewrite the
//! rows on the way in (triggers keep totals and epochs; the source's rows of
//! those are copied as they are) and what would refuse them in table order
//! (foreign keys, checked at the end instead: `orgs.parent_id` may point to a
//! later row), insert in batches with typed binds, then put all of that back
//! and move PostgreSQL's sequences past the copied ids.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::query_builder::{BoxedSqlQuery, SqlQuery};
use diesel::sql_types::{BigInt, Binary, Bool, Date, Double, Nullable, Text, Timestamp};

use super::catalog::{self, SEEDED, Table, quoted};
use super::value::{Kind, Value};
use super::{HighWater, Sink, Sum};
use crate::db::{AnyConnection, Backend, Conn};
use crate::error::{Error, Result};

/// Rows per INSERT, and the most bound values in one (under both backends'
/// limits: 32,766 in SQLite, 65,535 in PostgreSQL).
const BATCH_ROWS: usize = 500;
const BATCH_VALUES: usize = 30_000;

pub struct Loader<'c> {
    conn: &'c mut Conn,
    backend: Backend,
    target: HashMap<String, Table>,
    loaded: Vec<String>,
    current: Option<Batch>,
    /// SQLite: the triggers dropped for the load, recreated after it.
    triggers: Vec<String>,
    /// PostgreSQL: the foreign keys made deferrable for the load.
    deferred: Vec<(String, String)>,
    /// The source's sequence positions, by table and column.
    high_water: HashMap<(String, String), i64>,
}

struct Batch {
    head: String,
    kinds: Vec<Kind>,
    columns: usize,
    max_rows: usize,
    rows: Vec<Vec<Value>>,
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
}

fn pairs(conn: &mut Conn, sql: &str) -> Result<Vec<(String, String)>> {
    let rows: Vec<Pair> = crate::with_backend!(conn, |c| diesel::sql_query(sql).load(c))?;
    Ok(rows.into_iter().map(|p| (p.a, p.b)).collect())
}

/// Refuses a database that holds data, naming the tables and their counts.
pub fn refuse_unless_empty(conn: &mut Conn) -> Result<Vec<Table>> {
    let tables = catalog::tables(conn)?;
    let held = catalog::holding_data(conn, &tables)?;
    if !held.is_empty() {
        let list: Vec<String> = held.iter().map(|(t, n)| format!("{t}: {n}")).collect();
        return Err(Error::conflict(format!(
            "the database already holds data ({}); restore and copy fill only an empty \
             database: create a new one and point the command at it",
            list.join(", ")
        )));
    }
    Ok(tables)
}

impl<'c> Loader<'c> {
    /// Checks that the database is empty and readies it for loading.
    pub fn prepare(conn: &'c mut Conn) -> Result<Loader<'c>> {
        let tables = refuse_unless_empty(conn)?;
        let backend = match conn {
            AnyConnection::Sqlite(_) => Backend::Sqlite,
            AnyConnection::Postgresql(_) => Backend::Postgres,
        };
        let mut loader = Loader {
            backend,
            target: tables.into_iter().map(|t| (t.name.clone(), t)).collect(),
            loaded: Vec::new(),
            current: None,
            triggers: Vec::new(),
            deferred: Vec::new(),
            high_water: HashMap::new(),
            conn,
        };
        loader.switch_off()?;
        Ok(loader)
    }

    fn switch_off(&mut self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => {
                let triggers = pairs(
                    self.conn,
                    "SELECT name AS a, sql AS b FROM sqlite_master WHERE type = 'trigger'",
                )?;
                for (name, sql) in triggers {
                    self.conn
                        .batch_execute(&format!("DROP TRIGGER {}", quoted(&name)))?;
                    self.triggers.push(sql);
                }
                self.conn.batch_execute("PRAGMA defer_foreign_keys = ON")?;
            }
            Backend::Postgres => {
                for table in self.target.keys() {
                    self.conn.batch_execute(&format!(
                        "ALTER TABLE {} DISABLE TRIGGER USER",
                        quoted(table)
                    ))?;
                }
                self.deferred = pairs(
                    self.conn,
                    "SELECT conrelid::regclass::text AS a, conname::text AS b FROM pg_constraint \
                     WHERE contype = 'f' AND NOT condeferrable \
                     AND connamespace = current_schema()::regnamespace",
                )?;
                for (table, name) in &self.deferred {
                    self.conn.batch_execute(&format!(
                        "ALTER TABLE {table} ALTER CONSTRAINT {} DEFERRABLE INITIALLY DEFERRED",
                        quoted(name)
                    ))?;
                }
                self.conn.batch_execute("SET CONSTRAINTS ALL DEFERRED")?;
            }
        }
        Ok(())
    }

    /// Checks the foreign keys, puts triggers and constraints back and moves
    /// the sequences; every table of the database must have been loaded.
    pub fn finish(mut self) -> Result<()> {
        let mut missing: Vec<&String> = self
            .target
            .keys()
            .filter(|t| !self.loaded.contains(t))
            .collect();
        missing.sort();
        if !missing.is_empty() {
            return Err(Error::conflict(format!(
                "the source has no table {}: its schema differs from this database's",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        match self.backend {
            Backend::Sqlite => {
                let broken = catalog::count_sql(
                    self.conn,
                    "SELECT COUNT(*) AS n FROM pragma_foreign_key_check",
                )?;
                if broken > 0 {
                    return Err(Error::conflict(format!(
                        "{broken} row(s) refer to rows that are not there"
                    )));
                }
                for sql in std::mem::take(&mut self.triggers) {
                    self.conn.batch_execute(&sql)?;
                }
            }
            Backend::Postgres => {
                // Checks every deferred foreign key now, before the ALTERs
                // below (which refuse a table with checks pending).
                self.conn.batch_execute("SET CONSTRAINTS ALL IMMEDIATE")?;
                for table in self.target.keys() {
                    self.conn.batch_execute(&format!(
                        "ALTER TABLE {} ENABLE TRIGGER USER",
                        quoted(table)
                    ))?;
                }
                for (table, name) in &self.deferred {
                    self.conn.batch_execute(&format!(
                        "ALTER TABLE {table} ALTER CONSTRAINT {} NOT DEFERRABLE",
                        quoted(name)
                    ))?;
                }
                // Past the largest id copied and past every id the source
                // ever handed out, whichever is further.
                for serial in catalog::serial_columns(self.conn)? {
                    let (t, c) = (quoted(&serial.table), quoted(&serial.column));
                    let mark = self
                        .high_water
                        .get(&(serial.table.clone(), serial.column.clone()))
                        .copied()
                        .unwrap_or(0);
                    self.conn.batch_execute(&format!(
                        "SELECT setval(pg_get_serial_sequence('{}', '{}'), \
                         GREATEST(COALESCE((SELECT MAX({c}) FROM {t}), 0), {mark}) + 1, false)",
                        t.replace('\'', "''"),
                        serial.column.replace('\'', "''")
                    ))?;
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        let Some(batch) = self.current.as_mut() else {
            return Ok(());
        };
        if batch.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut batch.rows);
        let mut sql = batch.head.clone();
        let mut n = 0;
        for (i, _) in rows.iter().enumerate() {
            sql.push_str(if i == 0 { "(" } else { ", (" });
            for j in 0..batch.columns {
                if j > 0 {
                    sql.push_str(", ");
                }
                n += 1;
                match self.backend {
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => sql.push_str(&format!("${n}")),
                }
            }
            sql.push(')');
        }
        let kinds = batch.kinds.clone();
        insert(self.conn, &sql, &kinds, rows)
    }
}

/// Runs one multi-row INSERT, each value bound with its column's type (a
/// NULL too: PostgreSQL wants to know what it is).
fn insert(conn: &mut Conn, sql: &str, kinds: &[Kind], rows: Vec<Vec<Value>>) -> Result<()> {
    /// The query boxed for `C`'s backend (named once, for both arms below).
    fn boxed<'f, C: Connection>(_: &C, sql: &str) -> BoxedSqlQuery<'f, C::Backend, SqlQuery> {
        diesel::sql_query(sql).into_boxed()
    }
    crate::with_backend!(conn, |c| {
        let mut q = boxed(c, sql);
        for row in rows {
            for (value, kind) in row.into_iter().zip(kinds) {
                q = match (value, kind) {
                    (Value::Null, Kind::Int) => q.bind::<Nullable<BigInt>, _>(None::<i64>),
                    (Value::Null, Kind::Real) => q.bind::<Nullable<Double>, _>(None::<f64>),
                    (Value::Null, Kind::Text) => q.bind::<Nullable<Text>, _>(None::<String>),
                    (Value::Null, Kind::Bool) => q.bind::<Nullable<Bool>, _>(None::<bool>),
                    (Value::Null, Kind::Timestamp) => {
                        q.bind::<Nullable<Timestamp>, _>(None::<chrono::NaiveDateTime>)
                    }
                    (Value::Null, Kind::Date) => {
                        q.bind::<Nullable<Date>, _>(None::<chrono::NaiveDate>)
                    }
                    (Value::Null, Kind::Bytes) => q.bind::<Nullable<Binary>, _>(None::<Vec<u8>>),
                    (Value::Int(v), _) => q.bind::<BigInt, _>(v),
                    (Value::Real(v), _) => q.bind::<Double, _>(v),
                    (Value::Text(v), _) => q.bind::<Text, _>(v),
                    (Value::Bool(v), _) => q.bind::<Bool, _>(v),
                    (Value::Timestamp(v), _) => q.bind::<Timestamp, _>(v),
                    (Value::Date(v), _) => q.bind::<Date, _>(v),
                    (Value::Bytes(v), _) => q.bind::<Binary, _>(v),
                };
            }
        }
        q.execute(c)?;
    });
    Ok(())
}

/// The same column names with the same kinds, in any order.
fn same_columns(source: &Table, target: &Table) -> bool {
    let mut a: Vec<(&str, Kind)> = source
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind))
        .collect();
    let mut b: Vec<(&str, Kind)> = target
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.kind))
        .collect();
    a.sort_by_key(|(n, _)| *n);
    b.sort_by_key(|(n, _)| *n);
    a == b
}

impl Sink for Loader<'_> {
    fn table(&mut self, table: &Table) -> Result<()> {
        let target = self.target.get(&table.name).ok_or_else(|| {
            Error::conflict(format!(
                "this database has no table {}: its schema differs from the source's",
                table.name
            ))
        })?;
        if self.loaded.contains(&table.name) {
            return Err(Error::conflict(format!("table {} comes twice", table.name)));
        }
        if !same_columns(table, target) {
            let names = |t: &Table| {
                t.columns
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.kind.name()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::conflict(format!(
                "table {}: the source's columns ({}) differ from this database's ({})",
                table.name,
                names(table),
                names(target)
            )));
        }
        if SEEDED.contains(&table.name.as_str()) {
            self.conn
                .batch_execute(&format!("DELETE FROM {}", quoted(&table.name)))?;
        }
        let columns: Vec<String> = table.columns.iter().map(|c| quoted(&c.name)).collect();
        let n = columns.len().max(1);
        self.current = Some(Batch {
            head: format!(
                "INSERT INTO {} ({}) VALUES ",
                quoted(&table.name),
                columns.join(", ")
            ),
            kinds: table.kinds(),
            columns: n,
            max_rows: (BATCH_VALUES / n).clamp(1, BATCH_ROWS),
            rows: Vec::new(),
        });
        Ok(())
    }

    fn row(&mut self, row: Vec<Value>) -> Result<()> {
        let batch = self
            .current
            .as_mut()
            .ok_or_else(|| Error::internal("a row before its table"))?;
        batch.rows.push(row);
        if batch.rows.len() >= batch.max_rows {
            self.flush()?;
        }
        Ok(())
    }

    fn high_water(&mut self, marks: &[HighWater]) -> Result<()> {
        for m in marks {
            self.high_water
                .insert((m.table.clone(), m.column.clone()), m.last);
        }
        Ok(())
    }

    fn end(&mut self, table: &Table, _sum: Sum) -> Result<()> {
        self.flush()?;
        self.current = None;
        self.loaded.push(table.name.clone());
        Ok(())
    }
}
