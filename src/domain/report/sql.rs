//! How the reports that are one aggregating statement each (by month, by
//! quarter, entries, project hours, employee overview; each planned in
//! `plans`) are read: a page of them is
//! `LIMIT`/`OFFSET` with the row count from a window (the entries report
//! counts from the monthly totals instead), the chart and the total are one
//! more `GROUP BY` (by-month sums read `entry_month_totals` for the whole
//! months of the period), and a download walks the same ordered statement
//! row by row (`load_iter`), so no report is ever held whole in memory.

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::Cell;
use super::rows::{Bar, ByPeriod, CountedBar, Overview, ProjectHours};
pub(super) use super::rows::{Bars, Entry, Row};
use super::walk::DayWalk;
use crate::db::{AnyConnection, Conn};
use crate::error::Result;

/// Which row shape a statement answers.
#[derive(Clone, Copy, Debug)]
pub(super) enum Shape {
    ByPeriod,
    Entry,
    ProjectHours,
    Overview,
}

/// One report as SQL: `SELECT {select}, … AS total_rows {rest} ORDER BY {order}`.
#[derive(Clone, Debug)]
pub struct Plan {
    pub(super) shape: Shape,
    pub(super) select: String,
    pub(super) rest: String,
    pub(super) order: String,
    /// Label and minutes per chart bar, in label order.
    pub(super) chart: String,
    /// The row count (`n`) when a cheaper statement than counting the rows
    /// answers it; else a window over the page's statement counts them.
    /// When the chart also answers `rows_in` per bar, their sum is the count
    /// and this statement is not run for a page.
    pub(super) count: Option<String>,
    /// The entries report read a day at a time (see [`DayWalk`]).
    pub(super) walk: Option<DayWalk>,
    /// For a large report ordered by person first (at least [`WALK_FROM`]
    /// rows), `rest` driven by the people in name order
    /// (`users_display_name`), each one's rows looked up by index, so a page
    /// reads about its own rows instead of sorting all of them.
    pub(super) by_person: Option<String>,
    /// Columns worked out apart and joined to the rows by a key (a project's
    /// hours beside each of its rows): a page is selected first and the
    /// values read for its own keys alone, so rows skipped by `OFFSET` never
    /// pay for them.
    pub(super) per_row: Option<PerRow>,
}

/// See [`Plan::per_row`].
#[derive(Clone, Debug)]
pub(super) struct PerRow {
    /// A statement answering the columns by a key (as `s.*`), for every row
    /// at once (a download); `{rows}` stands for the rows' own condition,
    /// which a page fills in so that only its own keys are read.
    pub(super) values: String,
    /// The join of the rows (`o`) to the values (`s`).
    pub(super) on: String,
    /// For a page: the condition on the values that keeps the page's keys.
    pub(super) of_page: String,
    /// The order again, over `o`.
    pub(super) order: String,
}

/// From this many rows on, the entries report is read a day at a time and a
/// by-month report by person (`Plan::by_person`); below it, one sort of the
/// rows is cheaper than walking every person in name order.
const WALK_FROM: i64 = 1_000;

/// The join that keeps the people (`users u`, read in name order) as the
/// outer loop: SQLite is told so (`CROSS JOIN` keeps the order as written);
/// PostgreSQL chooses its plan itself.
pub(super) fn people_first(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => "CROSS JOIN",
        AnyConnection::Postgresql(_) => "JOIN",
    }
}

/// The projects read in code order (`projects_code`), as the outer loop of
/// the project hours walk. SQLite 3.53 otherwise scans `projects_org` and
/// sorts every row of the period (100 ms instead of 0.2 for the first page
/// of the installation); PostgreSQL chooses its plan itself.
pub(super) fn projects_in_code_order(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Sqlite(_) => "projects p INDEXED BY projects_code",
        AnyConnection::Postgresql(_) => "projects p",
    }
}

pub(super) fn month(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Postgresql(_) => "to_char(te.entry_date, 'YYYY-MM')",
        AnyConnection::Sqlite(_) => "substr(te.entry_date, 1, 7)",
    }
}

pub(super) fn quarter(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Postgresql(_) => "to_char(te.entry_date, 'YYYY-\"Q\"Q')",
        AnyConnection::Sqlite(_) => {
            "(substr(te.entry_date, 1, 4) || '-Q' || ((CAST(substr(te.entry_date, 6, 2) AS INTEGER) + 2) / 3))"
        }
    }
}

/// Where the by-month sums come from for `from..=to`: the monthly totals
/// (`entry_month_totals`, kept by triggers on `time_entries`) for the whole
/// months inside the period, the entries themselves for the days of a month
/// the period covers only in part. Rows read `project_id, user_id,
/// entry_date, minutes, entries`; a month's row is dated its first day, so the
/// month and quarter expressions read both alike.
///
/// Answers the source and, when it is the totals alone, how many months they
/// span (then each row is one month, project and person already).
pub(super) fn monthly_source(from: NaiveDate, to: NaiveDate) -> (String, Option<u32>) {
    let raw = |a: NaiveDate, b: NaiveDate| {
        format!(
            "SELECT project_id, user_id, entry_date, minutes, 1 AS entries \
             FROM time_entries WHERE entry_date BETWEEN '{a}' AND '{b}'"
        )
    };
    let next_month = |d: NaiveDate| {
        (d.with_day(1).unwrap_or(d) + Duration::days(32))
            .with_day(1)
            .unwrap_or(d)
    };
    let first = if from.day() == 1 {
        from
    } else {
        next_month(from)
    };
    // The last day of the last whole month.
    let last_end = if next_month(to) - Duration::days(1) == to {
        to
    } else {
        to.with_day(1).unwrap_or(to) - Duration::days(1)
    };
    if last_end < first {
        return (format!("({})", raw(from, to)), None);
    }
    let mut parts = vec![format!(
        "SELECT project_id, user_id, month AS entry_date, CAST(minutes AS INTEGER) AS minutes, \
         entries FROM entry_month_totals WHERE month BETWEEN '{first}' AND '{}'",
        last_end.with_day(1).unwrap_or(last_end)
    )];
    if from < first {
        parts.push(raw(from, first - Duration::days(1)));
    }
    if last_end < to {
        parts.push(raw(last_end + Duration::days(1), to));
    }
    let months = (parts.len() == 1).then(|| {
        let (a, b) = (first, last_end);
        (b.year() - a.year()) as u32 * 12 + b.month() + 1 - a.month()
    });
    (format!("({})", parts.join(" UNION ALL ")), months)
}

pub(super) fn load<T: Row>(conn: &mut Conn, sql: &str) -> Result<Vec<T>> {
    logged(sql, || {
        Ok(crate::with_backend!(conn, |c| diesel::sql_query(sql).load::<T>(c))?)
    })
}

/// Runs one report statement; `RUST_LOG=canopy::domain::report=debug` prints
/// each with the time it took (where a slow report spends it).
pub(super) fn logged<T>(sql: &str, run: impl FnOnce() -> Result<T>) -> Result<T> {
    if !log::log_enabled!(log::Level::Debug) {
        return run();
    }
    let started = std::time::Instant::now();
    let answer = run();
    log::debug!("{:.1} ms: {sql}", started.elapsed().as_secs_f64() * 1000.0);
    answer
}

/// Every row in order, handed to `each` as it is read.
fn walk<T: Row>(
    conn: &mut Conn,
    sql: &str,
    each: &mut dyn FnMut(Vec<Cell>) -> Result<()>,
) -> Result<()> {
    match conn {
        AnyConnection::Sqlite(c) => {
            for row in
                diesel::sql_query(sql).load_iter::<T, diesel::connection::DefaultLoadingMode>(c)?
            {
                each(row?.cells())?;
            }
        }
        AnyConnection::Postgresql(c) => {
            for row in
                diesel::sql_query(sql).load_iter::<T, diesel::pg::PgRowByRowLoadingMode>(c)?
            {
                each(row?.cells())?;
            }
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(super) fn count_of(conn: &mut Conn, sql: &str) -> Result<i64> {
    logged(sql, || {
        let found: Count =
            crate::with_backend!(conn, |c| diesel::sql_query(sql).get_result::<Count>(c))?;
        Ok(found.n)
    })
}

fn rows_of<T: Row>(found: Vec<T>) -> (Vec<Vec<Cell>>, i64) {
    let total = found.first().map_or(0, Row::total_rows);
    (found.into_iter().map(Row::cells).collect(), total)
}

impl Plan {
    /// The whole statement, or rows `offset..offset + limit` of it.
    fn statement(&self, total_rows: &str, page: Option<(i64, i64)>) -> String {
        let limit = page.map_or(String::new(), |(offset, limit)| {
            format!(" LIMIT {limit} OFFSET {offset}")
        });
        let inner = format!(
            "SELECT {}, {total_rows} AS total_rows {} ORDER BY {}{limit}",
            self.select, self.rest, self.order
        );
        let Some(per_row) = &self.per_row else {
            return inner;
        };
        let rows = if page.is_some() {
            per_row.of_page.as_str()
        } else {
            "1 = 1"
        };
        format!(
            "WITH o AS ({inner}), s AS ({}) SELECT o.*, s.* FROM o JOIN s ON {} ORDER BY {}",
            per_row.values.replace("{rows}", rows),
            per_row.on,
            per_row.order
        )
    }

    /// Rows `offset..offset + limit` and the number of rows in all.
    /// `counted` is the row count when the chart already answered it.
    pub fn page(
        &self,
        conn: &mut Conn,
        offset: i64,
        limit: i64,
        counted: Option<i64>,
    ) -> Result<(Vec<Vec<Cell>>, i64)> {
        if let Some(count) = &self.count {
            let n = match counted {
                Some(n) => n,
                None => count_of(conn, count)?,
            };
            let rows = match (&self.walk, &self.by_person) {
                (Some(walk), _) if n >= WALK_FROM => {
                    walk.page(conn, &self.select, offset, limit)?
                }
                (_, Some(rest)) if n >= WALK_FROM => {
                    let sql = format!(
                        "SELECT {}, CAST(0 AS BIGINT) AS total_rows {rest} ORDER BY {} \
                         LIMIT {limit} OFFSET {offset}",
                        self.select, self.order
                    );
                    self.load_rows(conn, &sql)?.0
                }
                _ => self.rows(conn, "CAST(0 AS BIGINT)", offset, limit)?.0,
            };
            return Ok((rows, n));
        }
        let (rows, total) = self.rows(conn, "COUNT(*) OVER ()", offset, limit)?;
        if rows.is_empty() && offset > 0 {
            // Past the end: the window had no row to count on.
            let sql = format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 AS one {}) x",
                self.rest
            );
            return Ok((rows, count_of(conn, &sql)?));
        }
        Ok((rows, total))
    }

    /// Rows `offset..offset + limit` of the whole statement, with `window` as
    /// each row's `total_rows`.
    fn rows(
        &self,
        conn: &mut Conn,
        window: &str,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Vec<Cell>>, i64)> {
        let sql = self.statement(window, Some((offset, limit)));
        self.load_rows(conn, &sql)
    }

    /// The rows `sql` answers, in this plan's shape.
    fn load_rows(&self, conn: &mut Conn, sql: &str) -> Result<(Vec<Vec<Cell>>, i64)> {
        Ok(match self.shape {
            Shape::ByPeriod => rows_of(load::<ByPeriod>(conn, sql)?),
            Shape::Entry => rows_of(load::<Entry>(conn, sql)?),
            Shape::ProjectHours => rows_of(load::<ProjectHours>(conn, sql)?),
            Shape::Overview => rows_of(load::<Overview>(conn, sql)?),
        })
    }

    /// Every row, in order, as it is read.
    pub fn for_each(
        &self,
        conn: &mut Conn,
        each: &mut dyn FnMut(Vec<Cell>) -> Result<()>,
    ) -> Result<()> {
        let sql = self.statement("CAST(0 AS BIGINT)", None);
        match self.shape {
            Shape::ByPeriod => walk::<ByPeriod>(conn, &sql, each),
            Shape::Entry => walk::<Entry>(conn, &sql, each),
            Shape::ProjectHours => walk::<ProjectHours>(conn, &sql, each),
            Shape::Overview => walk::<Overview>(conn, &sql, each),
        }
    }

    /// The chart's bars: label and minutes, in label order.
    pub fn chart(&self, conn: &mut Conn) -> Result<Bars> {
        Ok(self.chart_counted(conn)?.0)
    }

    /// The chart's bars, and the report's row count when the bars carry it
    /// (`rows_in`).
    pub fn chart_counted(&self, conn: &mut Conn) -> Result<(Bars, Option<i64>)> {
        if self.chart.contains(" AS rows_in ") {
            let bars: Vec<CountedBar> = logged(&self.chart, || {
                Ok(crate::with_backend!(conn, |c| diesel::sql_query(
                    self.chart.as_str()
                )
                .load::<CountedBar>(c))?)
            })?;
            let rows = bars.iter().map(|b| b.rows_in).sum();
            return Ok((
                bars.into_iter().map(|b| (b.label, b.minutes)).collect(),
                Some(rows),
            ));
        }
        let bars: Vec<Bar> = logged(&self.chart, || {
            Ok(crate::with_backend!(conn, |c| diesel::sql_query(
                self.chart.as_str()
            )
            .load::<Bar>(c))?)
        })?;
        Ok((
            bars.into_iter().map(|b| (b.label, b.minutes)).collect(),
            None,
        ))
    }
}
