//! The time rules of a home org, the week they define, and reading weeks and
//! their totals.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use diesel::prelude::*;
use serde_json::Value;

use super::{ApprovalMode, Change, Entry, Part, SheetStatus, Timesheet, parts_of};
use crate::db::{
    Conn,
    schema::{time_entries, timesheet_history, timesheets},
};
use crate::domain::user::User;
use crate::domain::{settings, validate};
use crate::error::{FieldErrors, Result};

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
        // A setting (validated when written), not a status column: like the
        // other settings here, an unreadable value reads as the default.
        approval_mode: ApprovalMode::parse(&text(get("approval_mode")))
            .unwrap_or(ApprovalMode::Project),
        lock_after_days: number(get("lock_after_days")),
        lock_before: validate::date(&text(get("lock_before")), "lock_before").ok(),
        reminder_day: weekday(get("reminder_day")),
    })
}

/// A weekday setting as `org_settings` stores it (JSON text such as
/// `"tuesday"`); Monday when it cannot be read.
pub fn weekday_setting(raw: &str) -> Weekday {
    let text = match serde_json::from_str::<Value>(raw) {
        Ok(Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    };
    text.parse().unwrap_or(Weekday::Mon)
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
            && !self
                .parts
                .iter()
                .any(|p| p.status == super::PartStatus::Rejected)
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
pub(super) fn load_week_under(
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
        let status: Option<SheetStatus> = timesheets::table
            .filter(timesheets::user_id.eq(u.id))
            .filter(timesheets::week_start.eq(week))
            .select(timesheets::status)
            .first(conn)
            .optional()?;
        if let Some(s) = status {
            out.insert(u.id, (week, s));
        }
    }
    Ok(out)
}
