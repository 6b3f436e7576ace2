//! Writing demo rows in bulk: quoted SQL values, multi-row INSERTs, explicit ids
//! and the sequences that must move past them.

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::{AnyConnection, Conn};
use crate::error::Result;

pub(super) fn q(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub(super) fn ts(t: NaiveDateTime) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// Collects rows and writes them as multi-row INSERTs of `BATCH` rows.
pub(super) struct Bulk {
    head: String,
    rows: Vec<String>,
    written: usize,
}

pub(super) const BATCH: usize = 500;

impl Bulk {
    pub(super) fn new(table: &str, columns: &str) -> Bulk {
        Bulk {
            head: format!("INSERT INTO {table} ({columns}) VALUES "),
            rows: Vec::with_capacity(BATCH),
            written: 0,
        }
    }

    pub(super) fn push(&mut self, conn: &mut Conn, row: String) -> Result<()> {
        self.rows.push(row);
        if self.rows.len() >= BATCH {
            self.flush(conn)?;
        }
        Ok(())
    }

    /// Like `push`, for rows that reference rows of `parents`: those are written
    /// first whenever this one writes.
    pub(super) fn push_after(
        &mut self,
        conn: &mut Conn,
        row: String,
        parents: &mut [&mut Bulk],
    ) -> Result<()> {
        self.rows.push(row);
        if self.rows.len() >= BATCH {
            for parent in parents.iter_mut() {
                parent.flush(conn)?;
            }
            self.flush(conn)?;
        }
        Ok(())
    }

    pub(super) fn flush(&mut self, conn: &mut Conn) -> Result<usize> {
        if !self.rows.is_empty() {
            let sql = format!("{}{}", self.head, self.rows.join(","));
            conn.batch_execute(&sql)?;
            self.written += self.rows.len();
            self.rows.clear();
        }
        Ok(self.written)
    }
}

pub(super) fn next_id(conn: &mut Conn, table: &str) -> Result<i64> {
    #[derive(QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let sql = format!("SELECT COALESCE(MAX(id), 0) AS id FROM {table}");
    let max: Max = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
        .get_result::<Max>(c))?;
    Ok(max.id + 1)
}

/// After explicit ids, PostgreSQL's identity sequences must move past them.
pub(super) fn sync_sequences(conn: &mut Conn) -> Result<()> {
    if let AnyConnection::Postgresql(_) = conn {
        for table in [
            "orgs",
            "users",
            "grants",
            "projects",
            "project_assignments",
            "teams",
            "timesheets",
            "time_entries",
            "approval_parts",
        ] {
            conn.batch_execute(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))?;
        }
    }
    Ok(())
}
