//! SQLite's query planner stability guarantee (QPSG), on for every connection.
//!
//! Without it SQLite ties a prepared statement's plan to the values bound to
//! some of its parameters (`LIMIT ?`, which diesel binds for every `.first()`,
//! comparisons against `sqlite_stat4` samples, `LIKE ?`), and expires the
//! statement whenever a new value is bound. Every cached statement was then
//! parsed and planned again at every execution: about 40% of the CPU of a
//! trivial page went to `sqlite3Reprepare` (see docs/performance.md, "Page
//! frame and list throughput"). With QPSG a plan depends on the SQL text only,
//! so diesel's statement cache works as meant.
//!
//! The guarantee is a compile-time default of the bundled SQLite
//! (`SQLITE_ENABLE_QPSG`, set through `LIBSQLITE3_FLAGS` in `.cargo/config.toml`),
//! so no code of ours touches SQLite's C interface; this module holds the checks.

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    #[derive(QueryableByName)]
    struct One {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        one: i32,
    }

    #[test]
    fn the_bundled_sqlite_is_built_with_the_planner_stability_guarantee() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<String> = diesel::sql_query("PRAGMA compile_options")
            .load::<CompileOption>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|o| o.compile_options)
            .collect();
        assert!(
            options.iter().any(|o| o == "ENABLE_QPSG"),
            "SQLite compile options lack ENABLE_QPSG: {options:?}"
        );
    }

    #[test]
    fn repeated_statements_with_new_limits_answer_correctly() {
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
            .unwrap();
        for n in 0..3i64 {
            let rows = diesel::sql_query("SELECT 1 AS one LIMIT ?")
                .bind::<diesel::sql_types::BigInt, _>(n)
                .load::<One>(&mut conn)
                .unwrap();
            assert_eq!(rows.len() as i64, n.min(1));
            assert!(rows.iter().all(|r| r.one == 1));
        }
    }
}
