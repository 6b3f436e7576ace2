//! The rows report statements answer, each read by name from either backend
//! and turned into the report's cells.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text};

use super::Cell;
use crate::domain::timesheet::SheetStatus;

/// Reading what a statement answers: the report's cells.
pub(super) trait Row:
    QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static
{
    fn cells(self) -> Vec<Cell>;
    fn total_rows(&self) -> i64;
}

#[derive(QueryableByName)]
pub(super) struct ByPeriod {
    #[diesel(sql_type = Text)]
    user_name: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = Text)]
    project_code: String,
    #[diesel(sql_type = Text)]
    project_name: String,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    total_rows: i64,
}

impl Row for ByPeriod {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.user_name),
            Cell::Text(self.period),
            Cell::Text(self.project_code),
            Cell::Text(self.project_name),
            Cell::Hours(self.minutes),
        ]
    }
    fn total_rows(&self) -> i64 {
        self.total_rows
    }
}

#[derive(QueryableByName)]
pub(super) struct Entry {
    #[diesel(sql_type = Date)]
    entry_date: NaiveDate,
    #[diesel(sql_type = Text)]
    user_name: String,
    #[diesel(sql_type = Text)]
    project_code: String,
    #[diesel(sql_type = Text)]
    project_name: String,
    #[diesel(sql_type = Integer)]
    minutes: i32,
    #[diesel(sql_type = Text)]
    note: String,
    /// The sheet's (a closed set: read as one, so an unknown stored value
    /// is an error, not a cell).
    #[diesel(sql_type = Text)]
    status: SheetStatus,
    #[diesel(sql_type = BigInt)]
    total_rows: i64,
}

impl Row for Entry {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Date(self.entry_date),
            Cell::Text(self.user_name),
            Cell::Text(self.project_code),
            Cell::Text(self.project_name),
            Cell::Hours(i64::from(self.minutes)),
            Cell::Text(self.note),
            Cell::Text(self.status.to_string()),
        ]
    }
    fn total_rows(&self) -> i64 {
        self.total_rows
    }
}

#[derive(QueryableByName)]
pub(super) struct ProjectHours {
    #[diesel(sql_type = Text)]
    project_code: String,
    #[diesel(sql_type = Text)]
    project_name: String,
    #[diesel(sql_type = Text)]
    user_name: String,
    #[diesel(sql_type = Text)]
    period: String,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    budget_minutes: Option<i64>,
    #[diesel(sql_type = BigInt)]
    project_minutes: i64,
    #[diesel(sql_type = BigInt)]
    total_rows: i64,
}

impl Row for ProjectHours {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.project_code),
            Cell::Text(self.project_name),
            Cell::Text(self.user_name),
            Cell::Text(self.period),
            Cell::Hours(self.minutes),
            self.budget_minutes
                .map_or(Cell::Text(String::new()), Cell::Hours),
            Cell::Hours(self.project_minutes),
        ]
    }
    fn total_rows(&self) -> i64 {
        self.total_rows
    }
}

#[derive(QueryableByName)]
pub(super) struct Overview {
    #[diesel(sql_type = Text)]
    user_name: String,
    #[diesel(sql_type = Date)]
    week_start: NaiveDate,
    /// The sheet's (a closed set: read as one, so an unknown stored value
    /// is an error, not a cell).
    #[diesel(sql_type = Text)]
    status: SheetStatus,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
    #[diesel(sql_type = BigInt)]
    total_rows: i64,
}

impl Row for Overview {
    fn cells(self) -> Vec<Cell> {
        vec![
            Cell::Text(self.user_name),
            Cell::Date(self.week_start),
            Cell::Text(self.status.to_string()),
            Cell::Hours(self.minutes),
        ]
    }
    fn total_rows(&self) -> i64 {
        self.total_rows
    }
}

#[derive(QueryableByName)]
pub(super) struct Bar {
    #[diesel(sql_type = Text)]
    pub(super) label: String,
    #[diesel(sql_type = BigInt)]
    pub(super) minutes: i64,
}

/// A chart's bars: label and value.
pub type Bars = Vec<(String, i64)>;

#[derive(QueryableByName)]
pub(super) struct CountedBar {
    #[diesel(sql_type = Text)]
    pub(super) label: String,
    #[diesel(sql_type = BigInt)]
    pub(super) minutes: i64,
    #[diesel(sql_type = BigInt)]
    pub(super) rows_in: i64,
}
