//! Timesheets: one per user per week, a grid of minutes per project and day.
//! This module owns the rules of what may be entered, the states and their
//! transitions, the approval parts approvers decide, and the history of every
//! change. `approval` says who may decide and see what.
//!
//! States (SPEC 5): `draft` → `submitted` → `approved`, or → `rejected` (with a
//! reason) → edited → `submitted` again; the owner may withdraw a submitted sheet
//! before any decision; `time.manage` may reopen an approved one with a reason.
//! Every transition first bumps the sheet's version with a compare-and-set, which
//! also locks the row on PostgreSQL: of two concurrent decisions exactly one wins,
//! the other answers 409.
//!
//! This file holds the stored rows, the states and the errors every step
//! shares; then one file per part of a week's life: `week` (time rules and
//! reading weeks), `entries` (saving cells), `transitions` (submit, withdraw,
//! approve, reject, reopen), `history` (the sheet's history, audit and
//! notices) and `reminders`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::db::{
    self, Conn,
    schema::{approval_parts, time_entries, timesheet_history, timesheets},
};
use crate::error::{Error, Result};

mod entries;
mod history;
mod reminders;
mod transitions;
mod week;

pub use entries::{CellInput, save, save_as};
pub use reminders::{remind, remind_due};
pub use transitions::{approve, parse_reason, reject, reopen, submit, withdraw};
pub use week::{
    TimeRules, Week, WeekStarts, days_of, hours, load_week, minutes_by_project, minutes_on_project,
    rules, sheets_of, states_on, week_from, week_start_of, weekday_name, weekday_setting,
};

crate::text_enum! {
    /// Where a sheet is in its life (`timesheets.status`).
    pub enum SheetStatus {
        Draft = "draft",
        Submitted = "submitted",
        Approved = "approved",
        Rejected = "rejected",
    }
}

impl SheetStatus {
    /// Draft and rejected sheets take edits; submitted and approved ones do not.
    pub fn is_editable(self) -> bool {
        matches!(self, SheetStatus::Draft | SheetStatus::Rejected)
    }
}

crate::text_enum! {
    /// Who approves: the home org's `approval_mode` setting, kept on the sheet
    /// when it was last submitted (`timesheets.approval_mode`).
    pub enum ApprovalMode {
        Project = "project",
        Team = "team",
        Both = "both",
    }
}

crate::text_enum! {
    /// Where one approval part is (`approval_parts.status`): `waiting` (a team
    /// part behind open project parts), `pending`, `approved`, `rejected`, or
    /// `cancelled` (another part was rejected, or the sheet was withdrawn).
    pub enum PartStatus {
        Waiting = "waiting",
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    /// What one line of a sheet's history records (`timesheet_history.change`):
    /// a cell, the state the sheet reached, or one approval part decided.
    pub enum HistoryChange {
        Entry = "entry",
        Submitted = "submitted",
        Withdrawn = "withdrawn",
        Approved = "approved",
        Rejected = "rejected",
        Reopened = "reopened",
        /// A project's part decided.
        Part = "part",
        /// The team's part decided (team approval).
        TeamPart = "team part",
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = timesheets)]
pub struct Timesheet {
    pub id: i64,
    pub user_id: i64,
    pub week_start: NaiveDate,
    pub status: SheetStatus,
    pub approval_mode: Option<ApprovalMode>,
    pub rejection_reason: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Timesheet {
    pub fn status(&self) -> SheetStatus {
        self.status
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = time_entries)]
pub struct Entry {
    pub id: i64,
    pub timesheet_id: i64,
    pub user_id: i64,
    pub project_id: i64,
    pub entry_date: NaiveDate,
    pub minutes: i32,
    pub note: String,
}

/// What one approver (or set of approvers) decides: one project's lines
/// (`project_id` set) or, in team mode, the whole sheet.
#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = approval_parts)]
pub struct Part {
    pub id: i64,
    pub timesheet_id: i64,
    pub project_id: Option<i64>,
    pub user_id: i64,
    pub week_start: NaiveDate,
    pub status: PartStatus,
    pub minutes: i32,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
}

/// One line of a sheet's history.
#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = timesheet_history)]
pub struct Change {
    pub id: i64,
    pub timesheet_id: i64,
    pub actor_id: Option<i64>,
    pub at: NaiveDateTime,
    /// `entry` for a cell, or the state reached (`submitted`, `approved`, …).
    pub change: HistoryChange,
    pub project_id: Option<i64>,
    pub entry_date: Option<NaiveDate>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Timesheet> {
    Ok(timesheets::table
        .find(id)
        .select(Timesheet::as_select())
        .first(conn)?)
}

pub fn parts_of(conn: &mut Conn, sheet_id: i64) -> Result<Vec<Part>> {
    Ok(approval_parts::table
        .filter(approval_parts::timesheet_id.eq(sheet_id))
        .order(approval_parts::id)
        .select(Part::as_select())
        .load(conn)?)
}

/// 409 for a sheet that changed since the editor loaded it.
pub fn stale(current: i64) -> Error {
    Error::Conflict {
        message: format!(
            "This week changed since you loaded it (it is now at version {current}). Reload to see the newer data, then make your change again."
        ),
        details: Some(json!({ "version": current })),
    }
}

fn wrong_state(status: SheetStatus, doing: &str) -> Error {
    let why = match status {
        SheetStatus::Draft => "it is a draft",
        SheetStatus::Submitted => "it is submitted and waits for approval",
        SheetStatus::Approved => "it is approved and locked",
        SheetStatus::Rejected => "it was rejected",
    };
    Error::Conflict {
        message: format!("This week cannot be {doing}: {why}."),
        details: Some(json!({ "status": status.as_str() })),
    }
}

/// Locks the sheet's row (PostgreSQL) so edits of one sheet queue up.
fn lock_row(conn: &mut Conn, id: i64) -> Result<()> {
    if let db::AnyConnection::Postgresql(c) = conn {
        timesheets::table
            .find(id)
            .select(timesheets::id)
            .for_update()
            .first::<i64>(c)?;
    }
    Ok(())
}
