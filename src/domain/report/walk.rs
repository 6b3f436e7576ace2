//! The entries report's pages a day at a time (see [`DayWalk`]).

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Date, Nullable};

use super::Cell;
use super::sql::{Entry, Row, count_of, load, people_first};
use crate::db::Conn;
use crate::error::Result;

/// The entries report's pages a day at a time: the order is (day, person by
/// name, project, entry), so a page is the first rows of one day or a few,
/// read by walking the people in name order (`users_display_name`) and
/// looking up each one's entries of that day (`time_entries_user_date`),
/// instead of sorting every entry of the period. Days before the page are
/// skipped by counting their rows; days without entries by one index seek.
#[derive(Clone, Debug)]
pub(super) struct DayWalk {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Conditions on `p` and `u`: the report's scope.
    pub scope: String,
    /// Whether the scope names `u` (else a day's count needs no person).
    pub people: bool,
}

#[derive(QueryableByName)]
struct Day {
    #[diesel(sql_type = Nullable<Date>)]
    day: Option<NaiveDate>,
}

impl DayWalk {
    /// The first day on or after `from` (up to the period's end) with any
    /// entry: one seek in `time_entries_date`.
    fn next_day(&self, conn: &mut Conn, from: NaiveDate) -> Result<Option<NaiveDate>> {
        let sql = format!(
            "SELECT MIN(entry_date) AS day FROM time_entries \
             WHERE entry_date BETWEEN '{from}' AND '{}'",
            self.to
        );
        let found: Day = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
            .get_result::<Day>(c))?;
        Ok(found.day)
    }

    /// The report's rows on `day`.
    fn count(&self, conn: &mut Conn, day: NaiveDate) -> Result<i64> {
        let people = if self.people {
            " JOIN users u ON u.id = te.user_id"
        } else {
            ""
        };
        count_of(
            conn,
            &format!(
                "SELECT COUNT(*) AS n FROM time_entries te JOIN projects p ON p.id = te.project_id{people} \
                 WHERE te.entry_date = '{day}' AND {}",
                self.scope
            ),
        )
    }

    /// Rows `offset..offset + limit` of the report, walking its days.
    pub fn page(
        &self,
        conn: &mut Conn,
        select: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Vec<Cell>>> {
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        let mut skip = offset;
        let mut from = self.from;
        while (rows.len() as i64) < limit {
            let Some(day) = self.next_day(conn, from)? else {
                break;
            };
            from = day + Duration::days(1);
            if skip > 0 {
                let n = self.count(conn, day)?;
                if skip >= n {
                    skip -= n;
                    continue;
                }
            }
            let need = limit - rows.len() as i64;
            let then = people_first(conn);
            let sql = format!(
                "SELECT {select}, CAST(0 AS BIGINT) AS total_rows FROM users u \
                 {then} time_entries te ON te.user_id = u.id AND te.entry_date = '{day}' \
                 JOIN timesheets ts ON ts.id = te.timesheet_id \
                 JOIN projects p ON p.id = te.project_id \
                 WHERE {} ORDER BY u.display_name, u.id, p.code, te.id LIMIT {need} OFFSET {skip}",
                self.scope
            );
            rows.extend(load::<Entry>(conn, &sql)?.into_iter().map(Row::cells));
            skip = 0;
            if day >= self.to {
                break;
            }
        }
        Ok(rows)
    }
}
