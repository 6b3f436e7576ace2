//! Turns on SQLite's query planner stability guarantee (QPSG) on every
//! connection this process opens.
//!
//! Without it SQLite ties a prepared statement's plan to the values bound to
//! some of its parameters (`LIMIT ?`, which diesel binds for every `.first()`,
//! comparisons against `sqlite_stat4` samples, `LIKE ?`), and expires the
//! statement whenever a new value is bound. Every cached statement was then
//! parsed and planned again at every execution: about 40% of the CPU of a
//! trivial page went to `sqlite3Reprepare` (see docs/performance.md, "Page
//! frame and list throughput"). With QPSG a plan depends on the SQL text only,
//! so diesel's statement cache works as meant.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Called by SQLite for every new connection, before it is handed back.
unsafe extern "C" fn enable_qpsg(
    db: *mut ffi::sqlite3,
    _err: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes the connection being opened; the variadic
    // arguments are the documented (int on/off, int* previous or NULL).
    let on: c_int = 1;
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            on,
            std::ptr::null_mut::<c_int>(),
        );
    }
    ffi::SQLITE_OK
}

/// Registers [`enable_qpsg`] once per process; connections opened afterwards
/// get it.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a function with the signature SQLite expects of
        // an auto-extension entry point.
        unsafe {
            ffi::sqlite3_auto_extension(Some(enable_qpsg));
        }
    });
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    #[test]
    fn repeated_statements_with_new_limits_stay_prepared() {
        super::install();
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
            .unwrap();
        // The same statement with different bound values answers correctly.
        for n in 0..3i64 {
            let rows: Vec<i32> = diesel::sql_query("SELECT 1 AS one LIMIT ?")
                .bind::<diesel::sql_types::BigInt, _>(n)
                .load::<One>(&mut conn)
                .unwrap()
                .into_iter()
                .map(|o| o.one)
                .collect();
            assert_eq!(rows.len() as i64, n.min(1));
        }
    }

    #[derive(QueryableByName)]
    struct One {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        one: i32,
    }
}
