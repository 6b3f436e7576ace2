//! Saving the cells of a week: what may be entered, checked cell by cell.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::json;

use super::history::{self, Line};
use super::week::load_week_under;
use super::{
    Entry, HistoryChange, SheetStatus, Week, hours, load_week, lock_row, stale, wrong_state,
};
use crate::db::{
    self, Conn,
    schema::{time_entries, timesheets},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::project::ProjectStatus;
use crate::domain::user::User;
use crate::domain::{assignment, org, validate};
use crate::error::{FieldErrors, Result};

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

/// Saves a week as a person: [`approval::require_editor`] (its owner, or
/// someone who may edit it for them), then [`save`]; with `submit`, submits
/// the saved sheet too, in the same transaction. Pages and the API both save
/// through here.
#[allow(clippy::too_many_arguments)]
pub fn save_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    user_id: i64,
    week_start: NaiveDate,
    version: i64,
    cells: &[CellInput],
    submit: bool,
) -> Result<Week> {
    let owner = crate::domain::approval::require_editor(conn, access, user_id, week_start)?;
    let saved = save(conn, actor, &owner, week_start, version, cells)?;
    if submit {
        let id = saved
            .sheet
            .as_ref()
            .map(|s| s.id)
            .ok_or_else(|| crate::error::Error::internal("saved week has no sheet"))?;
        super::submit(conn, actor, &access.snapshot, id, None)?;
    }
    Ok(saved)
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
    // Entering time needs a seat where the person's chain counts them (one is
    // given automatically while the pool has one left); removing time does not.
    if changed.iter().any(|k| wanted.contains_key(k)) {
        crate::domain::seats::ensure_for_entry(conn, actor, user)?;
    }
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
        history::record(
            conn,
            actor,
            sheet_id,
            Line {
                change: HistoryChange::Entry,
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
            Event::new("timesheet.saved", Target::Timesheet, Some(sheet_id))
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
