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

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::authz::Snapshot;
use crate::db::{
    self, Conn,
    schema::{approval_parts, time_entries, timesheet_history, timesheets},
};
use crate::domain::approval;
use crate::domain::audit::{self, Actor, Event};
use crate::domain::notification::{self, Notice, kind};
use crate::domain::project::{self, ProjectStatus};
use crate::domain::user::{self, User};
use crate::domain::{assignment, org, settings, validate};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SheetStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
}

impl SheetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SheetStatus::Draft => "draft",
            SheetStatus::Submitted => "submitted",
            SheetStatus::Approved => "approved",
            SheetStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> SheetStatus {
        match s {
            "submitted" => SheetStatus::Submitted,
            "approved" => SheetStatus::Approved,
            "rejected" => SheetStatus::Rejected,
            _ => SheetStatus::Draft,
        }
    }

    /// Draft and rejected sheets take edits; submitted and approved ones do not.
    pub fn is_editable(self) -> bool {
        matches!(self, SheetStatus::Draft | SheetStatus::Rejected)
    }
}

/// Who approves: the home org's `approval_mode` setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMode {
    Project,
    Team,
    Both,
}

impl ApprovalMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalMode::Project => "project",
            ApprovalMode::Team => "team",
            ApprovalMode::Both => "both",
        }
    }

    fn parse(s: &str) -> ApprovalMode {
        match s {
            "team" => ApprovalMode::Team,
            "both" => ApprovalMode::Both,
            _ => ApprovalMode::Project,
        }
    }
}

/// The settings that govern a user's time, read at their home org.
#[derive(Clone, Debug)]
pub struct TimeRules {
    pub week_start: Weekday,
    pub max_minutes_per_day: i64,
    pub approval_mode: ApprovalMode,
    pub lock_after_days: Option<i64>,
    pub lock_before: Option<NaiveDate>,
    pub reminder_day: Weekday,
}

pub fn rules(conn: &mut Conn, org_id: i64) -> Result<TimeRules> {
    let all = settings::effective(conn, org_id)?;
    let get = |key: &str| {
        all.iter()
            .find(|e| e.key == key)
            .map(|e| e.value.clone())
            .unwrap_or(Value::Null)
    };
    let text = |v: Value| match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    let weekday = |v: Value| text(v).parse::<Weekday>().unwrap_or(Weekday::Mon);
    let number = |v: Value| text(v).trim().parse::<i64>().ok();
    Ok(TimeRules {
        week_start: weekday(get("week_start")),
        max_minutes_per_day: number(get("max_minutes_per_day")).unwrap_or(1440),
        approval_mode: ApprovalMode::parse(&text(get("approval_mode"))),
        lock_after_days: number(get("lock_after_days")),
        lock_before: validate::date(&text(get("lock_before")), "lock_before").ok(),
        reminder_day: weekday(get("reminder_day")),
    })
}

/// Week start days by home org, each read once (lists of people share a few orgs).
#[derive(Default)]
pub struct WeekStarts(HashMap<i64, Weekday>);

impl WeekStarts {
    pub fn of(&mut self, conn: &mut Conn, org_id: i64) -> Result<Weekday> {
        if let Some(day) = self.0.get(&org_id) {
            return Ok(*day);
        }
        let day = rules(conn, org_id)?.week_start;
        self.0.insert(org_id, day);
        Ok(day)
    }
}

/// The first day of the week holding `date`, for weeks starting on `start`.
/// Dates people type are in `validate::DATE_YEARS`; at the very first days
/// chrono can hold (where the week would begin before them) this answers
/// `date` itself instead of overflowing.
pub fn week_start_of(date: NaiveDate, start: Weekday) -> NaiveDate {
    let back = (date.weekday().num_days_from_monday() + 7 - start.num_days_from_monday()) % 7;
    date.checked_sub_days(chrono::Days::new(u64::from(back)))
        .unwrap_or(date)
}

/// The week `weeks` weeks from `week_start`, if its first day is still one
/// people may type (`validate::DATE_YEARS`); `None` past either end.
pub fn week_from(week_start: NaiveDate, weeks: i64) -> Option<NaiveDate> {
    let day = week_start.checked_add_signed(Duration::try_days(weeks.checked_mul(7)?)?)?;
    validate::DATE_YEARS.contains(&day.year()).then_some(day)
}

/// The seven days of the week starting on `week_start`.
pub fn days_of(week_start: NaiveDate) -> Vec<NaiveDate> {
    (0..7).map(|i| week_start + Duration::days(i)).collect()
}

/// Minutes as people read them: hours with two decimals.
pub fn hours(minutes: i64) -> String {
    format!("{:.2}", minutes as f64 / 60.0)
}

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = timesheets)]
pub struct Timesheet {
    pub id: i64,
    pub user_id: i64,
    pub week_start: NaiveDate,
    pub status: String,
    pub approval_mode: Option<String>,
    pub rejection_reason: Option<String>,
    pub submitted_at: Option<NaiveDateTime>,
    pub decided_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Timesheet {
    pub fn status(&self) -> SheetStatus {
        SheetStatus::parse(&self.status)
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
    /// `waiting` (a team part behind open project parts), `pending`, `approved`,
    /// `rejected`, or `cancelled` (another part was rejected).
    pub status: String,
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
    pub change: String,
    pub project_id: Option<i64>,
    pub entry_date: Option<NaiveDate>,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

/// A user's week: the sheet if one was ever saved, with everything on it.
#[derive(Clone, Debug)]
pub struct Week {
    pub user: User,
    pub week_start: NaiveDate,
    pub rules: TimeRules,
    pub sheet: Option<Timesheet>,
    pub entries: Vec<Entry>,
    pub parts: Vec<Part>,
    pub history: Vec<Change>,
}

impl Week {
    pub fn status(&self) -> SheetStatus {
        self.sheet
            .as_ref()
            .map_or(SheetStatus::Draft, Timesheet::status)
    }

    /// 0 for a week never saved.
    pub fn version(&self) -> i64 {
        self.sheet.as_ref().map_or(0, |s| s.version)
    }

    pub fn days(&self) -> Vec<NaiveDate> {
        days_of(self.week_start)
    }

    pub fn total(&self) -> i64 {
        self.entries.iter().map(|e| i64::from(e.minutes)).sum()
    }

    /// Keeps only what concerns `projects` (for someone who sees only their
    /// projects' lines): entries, parts and history of those projects, and the
    /// sheet-wide state changes.
    pub fn restrict_to(&mut self, projects: &HashSet<i64>) {
        self.entries.retain(|e| projects.contains(&e.project_id));
        self.parts
            .retain(|p| p.project_id.is_some_and(|id| projects.contains(&id)));
        self.history
            .retain(|c| c.project_id.is_none_or(|id| projects.contains(&id)));
        for c in &mut self.history {
            if c.project_id.is_none() {
                c.reason = None;
            }
        }
        if let Some(sheet) = &mut self.sheet
            && !self.parts.iter().any(|p| p.status == "rejected")
        {
            sheet.rejection_reason = None;
        }
    }
}

/// The week of `user` starting on `week_start`; a 422 when that day is not the
/// first of a week by the user's home org settings.
pub fn load_week(conn: &mut Conn, user: &User, week_start: NaiveDate) -> Result<Week> {
    let rules = rules(conn, user.org_id)?;
    load_week_under(conn, user, week_start, rules)
}

/// `load_week` with the home org's time rules already read (a save reads the
/// week back under the rules it was checked against, in the same transaction).
fn load_week_under(
    conn: &mut Conn,
    user: &User,
    week_start: NaiveDate,
    rules: TimeRules,
) -> Result<Week> {
    if week_start.weekday() != rules.week_start {
        return Err(FieldErrors::single(
            "week_start",
            format!(
                "Weeks start on {}: {week_start} is a {}. Try {}.",
                weekday_name(rules.week_start),
                weekday_name(week_start.weekday()),
                week_start_of(week_start, rules.week_start)
            ),
        ));
    }
    let sheet: Option<Timesheet> = timesheets::table
        .filter(timesheets::user_id.eq(user.id))
        .filter(timesheets::week_start.eq(week_start))
        .select(Timesheet::as_select())
        .first(conn)
        .optional()?;
    let (entries, parts, history) = match &sheet {
        Some(s) => (
            time_entries::table
                .filter(time_entries::timesheet_id.eq(s.id))
                .order((time_entries::project_id, time_entries::entry_date))
                .select(Entry::as_select())
                .load(conn)?,
            parts_of(conn, s.id)?,
            timesheet_history::table
                .filter(timesheet_history::timesheet_id.eq(s.id))
                .order(timesheet_history::id.desc())
                .limit(200)
                .select(Change::as_select())
                .load(conn)?,
        ),
        None => (vec![], vec![], vec![]),
    };
    Ok(Week {
        user: user.clone(),
        week_start,
        rules,
        sheet,
        entries,
        parts,
        history,
    })
}

pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
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

/// A user's sheets, newest week first.
pub fn sheets_of(conn: &mut Conn, user_id: i64, limit: i64) -> Result<Vec<(Timesheet, i64)>> {
    let sheets: Vec<Timesheet> = timesheets::table
        .filter(timesheets::user_id.eq(user_id))
        .order(timesheets::week_start.desc())
        .limit(limit)
        .select(Timesheet::as_select())
        .load(conn)?;
    let ids: Vec<i64> = sheets.iter().map(|s| s.id).collect();
    let totals: Vec<(i64, i32)> = time_entries::table
        .filter(time_entries::timesheet_id.eq_any(&ids))
        .select((time_entries::timesheet_id, time_entries::minutes))
        .load(conn)?;
    let mut sum: HashMap<i64, i64> = HashMap::new();
    for (id, m) in totals {
        *sum.entry(id).or_default() += i64::from(m);
    }
    Ok(sheets
        .into_iter()
        .map(|s| {
            let total = sum.get(&s.id).copied().unwrap_or(0);
            (s, total)
        })
        .collect())
}

/// Minutes a user logged per project between two dates (inclusive).
pub fn minutes_by_project(
    conn: &mut Conn,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, Option<i64>)> = time_entries::table
        .filter(time_entries::user_id.eq(user_id))
        .filter(time_entries::entry_date.between(from, to))
        .group_by(time_entries::project_id)
        .select((
            time_entries::project_id,
            diesel::dsl::sum(time_entries::minutes),
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(|(p, m)| (p, m.unwrap_or(0))).collect())
}

/// Every minute ever logged on a project.
pub fn minutes_on_project(conn: &mut Conn, project_id: i64) -> Result<i64> {
    let total: Option<i64> = time_entries::table
        .filter(time_entries::project_id.eq(project_id))
        .select(diesel::dsl::sum(time_entries::minutes))
        .first(conn)?;
    Ok(total.unwrap_or(0))
}

/// The state of each user's sheet for the week holding `date` (by each user's
/// own week start); users without a sheet that week are missing from the map.
pub fn states_on(
    conn: &mut Conn,
    users: &[User],
    date: NaiveDate,
) -> Result<HashMap<i64, (NaiveDate, SheetStatus)>> {
    let mut starts = WeekStarts::default();
    let mut out = HashMap::new();
    for u in users {
        let week = week_start_of(date, starts.of(conn, u.org_id)?);
        let status: Option<String> = timesheets::table
            .filter(timesheets::user_id.eq(u.id))
            .filter(timesheets::week_start.eq(week))
            .select(timesheets::status)
            .first(conn)
            .optional()?;
        if let Some(s) = status {
            out.insert(u.id, (week, SheetStatus::parse(&s)));
        }
    }
    Ok(out)
}

/// One cell as typed: `key` names it in error messages (`entries[3]` in the
/// API, `cell-12-2026-11-23` on the page).
#[derive(Clone, Debug)]
pub struct CellInput {
    pub key: String,
    pub project_id: i64,
    pub date: String,
    pub minutes: i64,
    pub note: String,
}

type CellKey = (i64, NaiveDate);

struct Wanted {
    minutes: i32,
    note: String,
    key: String,
}

fn describe_cell(minutes: i32, note: &str) -> String {
    let h = hours(i64::from(minutes));
    if note.is_empty() {
        format!("{h} h")
    } else {
        format!("{h} h · {note}")
    }
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

/// One line for a sheet's history.
struct Line<'a> {
    change: &'a str,
    project_id: Option<i64>,
    entry_date: Option<NaiveDate>,
    old_value: Option<String>,
    new_value: Option<String>,
    reason: Option<&'a str>,
}

impl<'a> Line<'a> {
    /// A state change (of the sheet, or of one project's part).
    fn state(change: &'a str, from: &str, to: &str, reason: Option<&'a str>) -> Self {
        Line {
            change,
            project_id: None,
            entry_date: None,
            old_value: Some(from.to_string()),
            new_value: Some(to.to_string()),
            reason,
        }
    }
}

fn history(conn: &mut Conn, actor: &Actor, sheet_id: i64, line: Line) -> Result<()> {
    diesel::insert_into(timesheet_history::table)
        .values((
            timesheet_history::timesheet_id.eq(sheet_id),
            timesheet_history::actor_id.eq(actor.user_id),
            timesheet_history::at.eq(db::now()),
            timesheet_history::change.eq(line.change),
            timesheet_history::project_id.eq(line.project_id),
            timesheet_history::entry_date.eq(line.entry_date),
            timesheet_history::old_value.eq(line.old_value),
            timesheet_history::new_value.eq(line.new_value),
            timesheet_history::reason.eq(line.reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces the entries of `user`'s week with `cells`, if the sheet is at
/// `version` (0 for a week never saved) and is a draft or rejected. Cells with
/// no minutes and no note are dropped. Only cells that change are checked
/// against assignments, project state and locks, so an old line on a project
/// that has since ended can stay. The first save creates the sheet.
pub fn save(
    conn: &mut Conn,
    actor: &Actor,
    user: &User,
    week_start: NaiveDate,
    version: i64,
    cells: &[CellInput],
) -> Result<Week> {
    // PostgreSQL: lock the sheet's row before reading the week. SQLite's write
    // transaction already holds the only write lock, so it skips this read.
    if matches!(conn, db::AnyConnection::Postgresql(_))
        && let Some(id) = timesheets::table
            .filter(timesheets::user_id.eq(user.id))
            .filter(timesheets::week_start.eq(week_start))
            .select(timesheets::id)
            .first::<i64>(conn)
            .optional()?
    {
        lock_row(conn, id)?;
    }
    let week = load_week(conn, user, week_start)?;
    if version != week.version() {
        return Err(stale(week.version()));
    }
    if !week.status().is_editable() {
        return Err(wrong_state(week.status(), "changed"));
    }
    let wanted = validate_cells(conn, &week, cells)?;
    let old: BTreeMap<CellKey, &Entry> = week
        .entries
        .iter()
        .map(|e| ((e.project_id, e.entry_date), e))
        .collect();
    let mut changed: Vec<CellKey> = wanted
        .iter()
        .filter(|(k, w)| {
            old.get(k)
                .is_none_or(|e| e.minutes != w.minutes || e.note != w.note)
        })
        .map(|(k, _)| *k)
        .collect();
    changed.extend(old.keys().filter(|k| !wanted.contains_key(k)));

    let now = db::now();
    let sheet_id = match &week.sheet {
        Some(s) if changed.is_empty() => s.id,
        Some(s) => {
            let bumped = diesel::update(
                timesheets::table
                    .find(s.id)
                    .filter(timesheets::version.eq(s.version)),
            )
            .set((
                timesheets::version.eq(timesheets::version + 1),
                timesheets::updated_at.eq(now),
            ))
            .execute(conn)?;
            if bumped == 0 {
                return Err(stale(s.version));
            }
            s.id
        }
        None => {
            let inserted = crate::with_backend!(conn, |c| diesel::insert_into(timesheets::table)
                .values((
                    timesheets::user_id.eq(user.id),
                    timesheets::week_start.eq(week_start),
                    timesheets::status.eq(SheetStatus::Draft.as_str()),
                    timesheets::created_at.eq(now),
                    timesheets::updated_at.eq(now),
                ))
                .returning(timesheets::id)
                .get_result::<i64>(c));
            match inserted {
                Ok(id) => id,
                // Someone saved the first version of this week just now.
                Err(diesel::result::Error::DatabaseError(
                    diesel::result::DatabaseErrorKind::UniqueViolation,
                    _,
                )) => return Err(stale(1)),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let mut before = Vec::new();
    let mut after = Vec::new();
    for key in &changed {
        let old_entry = old.get(key);
        let new_cell = wanted.get(key);
        match (old_entry, new_cell) {
            (Some(e), Some(w)) => {
                diesel::update(time_entries::table.find(e.id))
                    .set((
                        time_entries::minutes.eq(w.minutes),
                        time_entries::note.eq(&w.note),
                    ))
                    .execute(conn)?;
            }
            (None, Some(w)) => {
                diesel::insert_into(time_entries::table)
                    .values((
                        time_entries::timesheet_id.eq(sheet_id),
                        time_entries::user_id.eq(user.id),
                        time_entries::project_id.eq(key.0),
                        time_entries::entry_date.eq(key.1),
                        time_entries::minutes.eq(w.minutes),
                        time_entries::note.eq(&w.note),
                    ))
                    .execute(conn)?;
            }
            (Some(e), None) => {
                diesel::delete(time_entries::table.find(e.id)).execute(conn)?;
            }
            (None, None) => {}
        }
        let old_text = old_entry.map(|e| describe_cell(e.minutes, &e.note));
        let new_text = new_cell.map(|w| describe_cell(w.minutes, &w.note));
        before.push(json!({"project_id": key.0, "date": key.1, "value": old_text}));
        after.push(json!({"project_id": key.0, "date": key.1, "value": new_text}));
        history(
            conn,
            actor,
            sheet_id,
            Line {
                change: "entry",
                project_id: Some(key.0),
                entry_date: Some(key.1),
                old_value: old_text,
                new_value: new_text,
                reason: None,
            },
        )?;
    }
    if !changed.is_empty() || week.sheet.is_none() {
        audit::record(
            conn,
            actor,
            Event::new("timesheet.saved", "timesheet", Some(sheet_id))
                .org(user.org_id)
                .before(json!({"cells": before}))
                .after(json!({"user_id": user.id, "week_start": week_start, "cells": after})),
        )?;
    }
    load_week_under(conn, user, week_start, week.rules.clone())
}

/// Checks every cell and the day totals; answers the wanted cells by key.
fn validate_cells(
    conn: &mut Conn,
    week: &Week,
    cells: &[CellInput],
) -> Result<BTreeMap<CellKey, Wanted>> {
    let days = week.days();
    let (first, last) = (days[0], days[6]);
    let mut errors = FieldErrors::new();
    let mut wanted: BTreeMap<CellKey, Wanted> = BTreeMap::new();
    for c in cells {
        let field = |name: &str| format!("{}.{name}", c.key);
        let date = match validate::date(&c.date, "The date") {
            Ok(date) => date,
            Err(message) => {
                errors.add(&field("date"), message);
                continue;
            }
        };
        if date < first || date > last {
            errors.add(
                &field("date"),
                format!("{date} is outside this week ({first} to {last})."),
            );
            continue;
        }
        if c.minutes < 0 {
            errors.add(&field("minutes"), "Time cannot be negative.");
            continue;
        }
        if c.minutes > 24 * 60 {
            errors.add(&field("minutes"), "A day has only 24 hours.");
            continue;
        }
        if c.minutes % 15 != 0 {
            errors.add(
                &field("minutes"),
                "Enter time in quarter hours (steps of 15 minutes).",
            );
            continue;
        }
        let note = match crate::domain::validate::text_block(&c.note, "A note", 500) {
            Ok(note) => note,
            Err(message) => {
                errors.add(&field("note"), message);
                continue;
            }
        };
        let cell = Wanted {
            minutes: c.minutes as i32,
            note,
            key: c.key.clone(),
        };
        if wanted.insert((c.project_id, date), cell).is_some() {
            errors.add(
                &field("project_id"),
                "This project and day appear twice; enter each cell once.",
            );
        }
    }
    wanted.retain(|_, w| w.minutes > 0 || !w.note.is_empty());

    // Cells that change must be on an assigned, active project and outside locks.
    let old: HashMap<CellKey, (i32, &str)> = week
        .entries
        .iter()
        .map(|e| ((e.project_id, e.entry_date), (e.minutes, e.note.as_str())))
        .collect();
    let changing: Vec<(&CellKey, &Wanted)> = wanted
        .iter()
        .filter(|(k, w)| old.get(k) != Some(&(w.minutes, w.note.as_str())))
        .collect();
    let assignments = assignment::overlapping(conn, week.user.id, first, last)?;
    let mut frozen: HashMap<i64, bool> = HashMap::new();
    for ((project_id, date), w) in &changing {
        let field = format!("{}.project_id", w.key);
        let Some((_, p)) = assignments
            .iter()
            .find(|(a, _)| a.project_id == *project_id && a.covers(*date))
        else {
            errors.add(
                &field,
                format!("Not assigned to this project on {date}; time goes only on projects you are assigned to that day."),
            );
            continue;
        };
        if p.status() != ProjectStatus::Active {
            errors.add(
                &field,
                format!("{} is {}; it takes no time.", p.name, p.status),
            );
            continue;
        }
        let is_frozen = match frozen.get(&p.org_id) {
            Some(f) => *f,
            None => {
                let f = org::is_frozen(conn, p.org_id)?;
                frozen.insert(p.org_id, f);
                f
            }
        };
        if is_frozen {
            errors.add(
                &field,
                format!("{}'s organization is archived; it takes no time.", p.name),
            );
        }
    }
    if let Some(lock) = week.rules.lock_before {
        let removed = old
            .keys()
            .filter(|k| !wanted.contains_key(k))
            .map(|k| (*k, format!("cell-{}-{}", k.0, k.1)));
        let touched = changing.iter().map(|(k, w)| (**k, w.key.clone()));
        for ((_, date), key) in touched.chain(removed) {
            if date < lock {
                errors.add(
                    &format!("{key}.date"),
                    format!("Time before {lock} is locked and cannot change."),
                );
            }
        }
    }
    let max = week.rules.max_minutes_per_day;
    for day in &days {
        let total: i64 = wanted
            .iter()
            .filter(|((_, d), _)| d == day)
            .map(|(_, w)| i64::from(w.minutes))
            .sum();
        if total > max {
            errors.add(
                &format!("day.{day}"),
                format!(
                    "{day}: {} hours is more than the {} hours allowed in a day.",
                    hours(total),
                    hours(max)
                ),
            );
        }
    }
    errors.into_result()?;
    Ok(wanted)
}

/// Bumps the version of a sheet in one of `from` states (and at `version`, if
/// given), which also locks its row until the transaction ends.
fn begin_transition(
    conn: &mut Conn,
    id: i64,
    from: &[SheetStatus],
    version: Option<i64>,
    doing: &str,
) -> Result<Timesheet> {
    let sheet = find(conn, id)?;
    if let Some(v) = version
        && v != sheet.version
    {
        return Err(stale(sheet.version));
    }
    if !from.contains(&sheet.status()) {
        return Err(wrong_state(sheet.status(), doing));
    }
    let bumped = diesel::update(
        timesheets::table
            .find(id)
            .filter(timesheets::version.eq(sheet.version))
            .filter(timesheets::status.eq(&sheet.status)),
    )
    .set((
        timesheets::version.eq(timesheets::version + 1),
        timesheets::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if bumped == 0 {
        // Another transition committed between our read and our write.
        let now = find(conn, id)?;
        return Err(if now.status() == sheet.status() {
            stale(now.version)
        } else {
            wrong_state(now.status(), doing)
        });
    }
    Ok(Timesheet {
        version: sheet.version + 1,
        ..sheet
    })
}

fn set_status(
    conn: &mut Conn,
    id: i64,
    status: SheetStatus,
    reason: Option<&str>,
    decided: bool,
) -> Result<()> {
    let now = db::now();
    diesel::update(timesheets::table.find(id))
        .set((
            timesheets::status.eq(status.as_str()),
            timesheets::rejection_reason.eq(reason),
            timesheets::decided_at.eq(decided.then_some(now)),
            timesheets::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn sheet_link(sheet: &Timesheet) -> String {
    format!("/timesheets/{}/{}", sheet.user_id, sheet.week_start)
}

/// Tells the owner what became of their week ("Your week of … was rejected").
fn tell_owner(
    conn: &mut Conn,
    owner: &User,
    sheet: &Timesheet,
    kind: &'static str,
    what: &str,
    reason: Option<&str>,
) -> Result<()> {
    let mut notice = Notice::new(
        kind,
        format!("Your week of {} {what}", sheet.week_start),
        sheet_link(sheet),
    )
    // The week is the owner's, kept in their home org (as its audit entries).
    .about(owner.org_id);
    if let Some(reason) = reason {
        notice = notice.body(format!("Reason: {reason}"));
    }
    notification::send(conn, owner.id, &notice).map(|_| ())
}

fn audit_transition(
    conn: &mut Conn,
    actor: &Actor,
    action: &'static str,
    sheet: &Timesheet,
    owner: &User,
    after: Value,
) -> Result<()> {
    audit::record(
        conn,
        actor,
        Event::new(action, "timesheet", Some(sheet.id))
            .org(owner.org_id)
            .before(json!({"status": sheet.status, "version": sheet.version - 1}))
            .after(after),
    )
}

fn require_owner(actor: &Actor, owner: &User) -> Result<()> {
    if actor.user_id == Some(owner.id) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only the person whose week it is can submit or withdraw it.".into(),
        ))
    }
}

/// The owner hands the week in. Parts are made for the approval mode of the
/// owner's home org: one per project with time (`project`), one for the whole
/// sheet (`team`), or both with the team part waiting for the project parts.
/// An empty week in project mode goes to the team approvers, so it is still
/// acknowledged by someone.
pub fn submit(
    conn: &mut Conn,
    actor: &Actor,
    snapshot: &Snapshot,
    id: i64,
    version: Option<i64>,
) -> Result<Timesheet> {
    let sheet = find(conn, id)?;
    let owner = user::find(conn, sheet.user_id)?;
    require_owner(actor, &owner)?;
    let sheet = begin_transition(
        conn,
        id,
        &[SheetStatus::Draft, SheetStatus::Rejected],
        version,
        "submitted",
    )?;
    let mode = rules(conn, owner.org_id)?.approval_mode;
    let rows: Vec<(i64, i32)> = time_entries::table
        .filter(time_entries::timesheet_id.eq(id))
        .select((time_entries::project_id, time_entries::minutes))
        .load(conn)?;
    let mut per_project: BTreeMap<i64, i64> = BTreeMap::new();
    for (p, m) in &rows {
        *per_project.entry(*p).or_default() += i64::from(*m);
    }
    let total: i64 = per_project.values().sum();
    diesel::delete(approval_parts::table.filter(approval_parts::timesheet_id.eq(id)))
        .execute(conn)?;
    let mut new_parts: Vec<(Option<i64>, &str, i64)> = Vec::new();
    if mode != ApprovalMode::Team {
        new_parts.extend(per_project.iter().map(|(p, m)| (Some(*p), "pending", *m)));
    }
    if mode != ApprovalMode::Project || new_parts.is_empty() {
        let status = if new_parts.is_empty() {
            "pending"
        } else {
            "waiting"
        };
        new_parts.push((None, status, total));
    }
    for (project_id, status, minutes) in &new_parts {
        diesel::insert_into(approval_parts::table)
            .values((
                approval_parts::timesheet_id.eq(id),
                approval_parts::project_id.eq(project_id),
                approval_parts::user_id.eq(sheet.user_id),
                approval_parts::week_start.eq(sheet.week_start),
                approval_parts::status.eq(status),
                approval_parts::minutes.eq(*minutes as i32),
            ))
            .execute(conn)?;
    }
    let now = db::now();
    diesel::update(timesheets::table.find(id))
        .set((
            timesheets::status.eq(SheetStatus::Submitted.as_str()),
            timesheets::approval_mode.eq(mode.as_str()),
            timesheets::rejection_reason.eq(None::<String>),
            timesheets::submitted_at.eq(now),
            timesheets::decided_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    history(
        conn,
        actor,
        id,
        Line::state("submitted", &sheet.status, "submitted", None),
    )?;
    audit_transition(
        conn,
        actor,
        "timesheet.submitted",
        &sheet,
        &owner,
        json!({"status": "submitted", "approval_mode": mode.as_str(), "minutes": total}),
    )?;
    let parts = parts_of(conn, id)?;
    notify_waiting(conn, snapshot, &owner, &sheet, &parts)?;
    find(conn, id)
}

/// Tells the approvers of every pending part that it waits for them.
fn notify_waiting(
    conn: &mut Conn,
    snapshot: &Snapshot,
    owner: &User,
    sheet: &Timesheet,
    parts: &[Part],
) -> Result<()> {
    for part in parts.iter().filter(|p| p.status == "pending") {
        let (what, about) = match part.project_id {
            Some(p) => {
                let project = project::find(conn, p)?;
                (format!(" ({})", project.name), project.org_id)
            }
            None => (String::new(), owner.org_id),
        };
        let recipients = approval::approvers_of(conn, snapshot, owner, sheet.week_start, part)?;
        let notice = Notice::new(
            kind::APPROVAL_WAITING,
            format!(
                "{}'s week of {} waits for your approval{what}",
                owner.display_name, sheet.week_start
            ),
            sheet_link(sheet),
        )
        .body(format!(
            "{} hours to decide.",
            hours(i64::from(part.minutes))
        ))
        .about(about);
        notification::send_all(conn, &recipients, &notice)?;
    }
    Ok(())
}

/// The owner takes a submitted week back before anyone decided on it.
pub fn withdraw(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
) -> Result<Timesheet> {
    let sheet = find(conn, id)?;
    let owner = user::find(conn, sheet.user_id)?;
    require_owner(actor, &owner)?;
    let sheet = begin_transition(conn, id, &[SheetStatus::Submitted], version, "withdrawn")?;
    if parts_of(conn, id)?.iter().any(|p| p.decided_by.is_some()) {
        return Err(Error::conflict(
            "Part of this week was already approved; it can no longer be withdrawn.",
        ));
    }
    diesel::delete(approval_parts::table.filter(approval_parts::timesheet_id.eq(id)))
        .execute(conn)?;
    set_status(conn, id, SheetStatus::Draft, None, false)?;
    history(
        conn,
        actor,
        id,
        Line::state("withdrawn", "submitted", "draft", None),
    )?;
    audit_transition(
        conn,
        actor,
        "timesheet.withdrawn",
        &sheet,
        &owner,
        json!({"status": "draft"}),
    )?;
    find(conn, id)
}

/// What a decision is about: every pending part the decider may decide, or
/// only the part of `project_id`.
fn decidable_parts(
    conn: &mut Conn,
    decider: &approval::Approver,
    sheet: &Timesheet,
    owner: &User,
    project_id: Option<i64>,
) -> Result<Vec<Part>> {
    let open: Vec<Part> = parts_of(conn, sheet.id)?
        .into_iter()
        .filter(|p| p.status == "pending")
        .filter(|p| project_id.is_none_or(|id| p.project_id == Some(id)))
        .collect();
    if open.is_empty() {
        return Err(Error::conflict(match project_id {
            Some(_) => "No part of this week for that project waits for a decision.",
            None => "Nothing in this week waits for a decision.",
        }));
    }
    let mine: Vec<Part> = open
        .into_iter()
        .filter(|p| decider.may_decide(owner, sheet.week_start, p))
        .collect();
    if mine.is_empty() {
        return Err(Error::Forbidden(if decider.user_id == owner.id {
            "Nobody approves their own time.".into()
        } else {
            "What waits in this week is not yours to decide.".into()
        }));
    }
    Ok(mine)
}

/// Decides one part, unless someone else decided it first (409).
fn decide_part(
    conn: &mut Conn,
    actor: &Actor,
    part: &Part,
    status: &str,
    reason: Option<&str>,
) -> Result<()> {
    let decided = diesel::update(
        approval_parts::table
            .find(part.id)
            .filter(approval_parts::status.eq("pending")),
    )
    .set((
        approval_parts::status.eq(status),
        approval_parts::decided_by.eq(actor.user_id),
        approval_parts::decided_at.eq(db::now()),
        approval_parts::reason.eq(reason),
    ))
    .execute(conn)?;
    if decided == 0 {
        return Err(Error::conflict("Someone else decided this just now."));
    }
    history(
        conn,
        actor,
        part.timesheet_id,
        Line {
            project_id: part.project_id,
            ..Line::state(
                if part.project_id.is_some() {
                    "part"
                } else {
                    "team part"
                },
                "pending",
                status,
                reason,
            )
        },
    )?;
    Ok(())
}

/// Approves every part the decider may decide (or the part of `project_id`).
/// In `both` mode the team part opens once every project part is approved; the
/// sheet is approved when every part is.
pub fn approve(
    conn: &mut Conn,
    actor: &Actor,
    decider: &approval::Approver,
    id: i64,
    project_id: Option<i64>,
    version: Option<i64>,
) -> Result<Timesheet> {
    let sheet = begin_transition(conn, id, &[SheetStatus::Submitted], version, "approved")?;
    let owner = user::find(conn, sheet.user_id)?;
    let mine = decidable_parts(conn, decider, &sheet, &owner, project_id)?;
    for part in &mine {
        decide_part(conn, actor, part, "approved", None)?;
    }
    let mut parts = parts_of(conn, id)?;
    let projects_done = parts
        .iter()
        .filter(|p| p.project_id.is_some())
        .all(|p| p.status == "approved");
    if projects_done
        && let Some(team) = parts
            .iter()
            .find(|p| p.project_id.is_none() && p.status == "waiting")
    {
        diesel::update(approval_parts::table.find(team.id))
            .set(approval_parts::status.eq("pending"))
            .execute(conn)?;
        parts = parts_of(conn, id)?;
        notify_waiting(conn, &decider.access.snapshot, &owner, &sheet, &parts)?;
    }
    let all_done = parts.iter().all(|p| p.status == "approved");
    if all_done {
        set_status(conn, id, SheetStatus::Approved, None, true)?;
        history(
            conn,
            actor,
            id,
            Line::state("approved", "submitted", "approved", None),
        )?;
        tell_owner(
            conn,
            &owner,
            &sheet,
            kind::SHEET_APPROVED,
            "is approved",
            None,
        )?;
    }
    audit_transition(
        conn,
        actor,
        "timesheet.approved",
        &sheet,
        &owner,
        json!({
            "parts": mine.iter().map(|p| json!({"part_id": p.id, "project_id": p.project_id})).collect::<Vec<_>>(),
            "status": if all_done { "approved" } else { "submitted" },
        }),
    )?;
    find(conn, id)
}

/// The rejection reason, required and bounded.
pub fn parse_reason(raw: &str) -> Result<String> {
    let reason = raw.trim();
    if reason.is_empty() {
        return Err(FieldErrors::single(
            "reason",
            "Give a reason, so the person knows what to change.",
        ));
    }
    crate::domain::validate::text_block(reason, "A reason", 1000)
        .map_err(|message| FieldErrors::single("reason", message))
}

/// Rejects what the decider may decide (or the part of `project_id`): one
/// rejection rejects the sheet, and the other open parts are cancelled.
pub fn reject(
    conn: &mut Conn,
    actor: &Actor,
    decider: &approval::Approver,
    id: i64,
    project_id: Option<i64>,
    reason: &str,
    version: Option<i64>,
) -> Result<Timesheet> {
    let reason = parse_reason(reason)?;
    let sheet = begin_transition(conn, id, &[SheetStatus::Submitted], version, "rejected")?;
    let owner = user::find(conn, sheet.user_id)?;
    let mine = decidable_parts(conn, decider, &sheet, &owner, project_id)?;
    for part in &mine {
        decide_part(conn, actor, part, "rejected", Some(&reason))?;
    }
    diesel::update(
        approval_parts::table
            .filter(approval_parts::timesheet_id.eq(id))
            .filter(approval_parts::status.eq_any(["pending", "waiting"])),
    )
    .set(approval_parts::status.eq("cancelled"))
    .execute(conn)?;
    set_status(conn, id, SheetStatus::Rejected, Some(&reason), true)?;
    history(
        conn,
        actor,
        id,
        Line::state("rejected", "submitted", "rejected", Some(&reason)),
    )?;
    audit_transition(
        conn,
        actor,
        "timesheet.rejected",
        &sheet,
        &owner,
        json!({"status": "rejected", "reason": reason,
               "parts": mine.iter().map(|p| p.project_id).collect::<Vec<_>>()}),
    )?;
    tell_owner(
        conn,
        &owner,
        &sheet,
        kind::SHEET_REJECTED,
        "was rejected",
        Some(&reason),
    )?;
    find(conn, id)
}

/// Opens an approved week again (the caller holds `time.manage` at the owner's
/// home org), unless a lock setting holds it.
pub fn reopen(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    reason: &str,
    version: Option<i64>,
) -> Result<Timesheet> {
    let reason = parse_reason(reason)?;
    let sheet = begin_transition(conn, id, &[SheetStatus::Approved], version, "reopened")?;
    let owner = user::find(conn, sheet.user_id)?;
    let rules = rules(conn, owner.org_id)?;
    if let (Some(days), Some(decided)) = (rules.lock_after_days, sheet.decided_at)
        && decided + Duration::days(days) <= db::now()
    {
        return Err(Error::conflict(format!(
            "This week was approved on {} and locked {days} days later.",
            decided.date()
        )));
    }
    if let Some(lock) = rules.lock_before
        && sheet.week_start + Duration::days(6) < lock
    {
        return Err(Error::conflict(format!(
            "Time before {lock} is locked; this week cannot be reopened."
        )));
    }
    diesel::delete(approval_parts::table.filter(approval_parts::timesheet_id.eq(id)))
        .execute(conn)?;
    set_status(conn, id, SheetStatus::Draft, None, false)?;
    history(
        conn,
        actor,
        id,
        Line::state("reopened", "approved", "draft", Some(&reason)),
    )?;
    audit_transition(
        conn,
        actor,
        "timesheet.reopened",
        &sheet,
        &owner,
        json!({"status": "draft", "reason": reason}),
    )?;
    tell_owner(
        conn,
        &owner,
        &sheet,
        kind::SHEET_REOPENED,
        "was reopened",
        Some(&reason),
    )?;
    find(conn, id)
}

/// Sends a reminder to every active person who worked on a project last week
/// (by their own week start, relative to `today`) and has not submitted that
/// week. `in_scope` narrows the people (an admin's button reaches only the
/// orgs where they hold `time.manage`). Each week is reminded once. Answers how
/// many reminders went out.
pub fn remind(
    conn: &mut Conn,
    actor: &Actor,
    today: NaiveDate,
    in_scope: &dyn Fn(&User) -> bool,
) -> Result<usize> {
    use crate::db::schema::users;
    let people: Vec<User> = users::table
        .filter(users::status.eq("active"))
        .select(User::as_select())
        .load(conn)?;
    let mut starts = WeekStarts::default();
    let mut sent = 0;
    for person in people.iter().filter(|u| in_scope(u)) {
        let week = week_start_of(today, starts.of(conn, person.org_id)?) - Duration::days(7);
        if assignment::overlapping(conn, person.id, week, week + Duration::days(6))?.is_empty() {
            continue;
        }
        let status: Option<String> = timesheets::table
            .filter(timesheets::user_id.eq(person.id))
            .filter(timesheets::week_start.eq(week))
            .select(timesheets::status)
            .first(conn)
            .optional()?;
        if status.is_some_and(|s| !SheetStatus::parse(&s).is_editable()) {
            continue;
        }
        let notice = Notice::new(
            kind::REMINDER,
            format!("Your timesheet for the week of {week} is missing"),
            format!("/timesheets/{}/{week}", person.id),
        )
        .body("Please fill in and submit last week's hours.")
        .once(format!("reminder:{week}"));
        if notification::send(conn, person.id, &notice)? {
            sent += 1;
        }
    }
    audit::record(
        conn,
        actor,
        Event::new("timesheet.reminders_sent", "timesheet", None)
            .after(json!({"sent": sent, "today": today})),
    )?;
    Ok(sent)
}
