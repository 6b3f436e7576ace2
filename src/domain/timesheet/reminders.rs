//! Reminding people of last week's missing timesheet: on their org's reminder
//! day (`canopy serve` by itself, `canopy remind` from cron), or now for an
//! admin's own people (the button on the Approvals page).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use diesel::prelude::*;
use serde_json::json;

use super::{SheetStatus, rules, week_start_of};
use crate::db::{Conn, Db, schema::timesheets};
use crate::domain::assignment;
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::notification::{self, Notice, kind};
use crate::domain::user::User;
use crate::error::Result;

/// People reminded per transaction on the reminder day: a day's run over the
/// whole installation never holds the writer for long, and a run cut short is
/// taken up where it stopped (each week is reminded once).
const BATCH: usize = 200;

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
    let mut rules = OrgRules::default();
    let mut sent = 0;
    for person in active_people(conn)?.iter().filter(|u| in_scope(u)) {
        let week_start = rules.of(conn, person.org_id)?.week_start;
        sent += usize::from(remind_person(conn, person, week_start, today)?);
    }
    record(conn, actor, today, sent, None)?;
    Ok(sent)
}

/// The reminders due `today`: every active person whose home org's
/// `reminder_day` is today's weekday is reminded of last week as [`remind`]
/// does, in batches of [`BATCH`] people per transaction. What `canopy serve`
/// runs once a day and `canopy remind` runs from cron.
pub fn remind_due(db: &Db, actor: &Actor, today: NaiveDate) -> Result<usize> {
    let due: Vec<(User, Weekday)> = db.read_sync(|conn| {
        let mut rules = OrgRules::default();
        let mut due = Vec::new();
        for person in active_people(conn)? {
            let r = rules.of(conn, person.org_id)?;
            if r.reminder_day == today.weekday() {
                due.push((person, r.week_start));
            }
        }
        Ok(due)
    })?;
    let mut sent = 0;
    for batch in due.chunks(BATCH) {
        sent += db.write_sync(|conn| {
            let mut sent = 0;
            for (person, week_start) in batch {
                sent += usize::from(remind_person(conn, person, *week_start, today)?);
            }
            Ok(sent)
        })?;
    }
    db.write_sync(|conn| record(conn, actor, today, sent, Some(today.weekday())))?;
    Ok(sent)
}

fn active_people(conn: &mut Conn) -> Result<Vec<User>> {
    use crate::db::schema::users;
    Ok(users::table
        .filter(users::status.eq("active"))
        .order(users::id)
        .select(User::as_select())
        .load(conn)?)
}

/// Reminds `person` of last week (weeks starting on `week_start`) when they
/// worked on a project then and have not submitted it, once per week.
fn remind_person(
    conn: &mut Conn,
    person: &User,
    week_start: Weekday,
    today: NaiveDate,
) -> Result<bool> {
    let week = week_start_of(today, week_start) - Duration::days(7);
    if assignment::overlapping(conn, person.id, week, week + Duration::days(6))?.is_empty() {
        return Ok(false);
    }
    let status: Option<SheetStatus> = timesheets::table
        .filter(timesheets::user_id.eq(person.id))
        .filter(timesheets::week_start.eq(week))
        .select(timesheets::status)
        .first(conn)
        .optional()?;
    if status.is_some_and(|s| !s.is_editable()) {
        return Ok(false);
    }
    let notice = Notice::new(
        kind::REMINDER,
        format!("Your timesheet for the week of {week} is missing"),
        format!("/timesheets/{}/{week}", person.id),
    )
    .body("Please fill in and submit last week's hours.")
    .once(format!("reminder:{week}"));
    notification::send(conn, person.id, &notice)
}

fn record(
    conn: &mut Conn,
    actor: &Actor,
    today: NaiveDate,
    sent: usize,
    reminder_day: Option<Weekday>,
) -> Result<()> {
    let mut after = json!({"sent": sent, "today": today});
    if let Some(day) = reminder_day {
        after["reminder_day"] = json!(day.to_string());
    }
    audit::record(
        conn,
        actor,
        Event::new("timesheet.reminders_sent", Target::Timesheet, None).after(after),
    )?;
    Ok(())
}

/// The two rules reminders need, read once per home org.
#[derive(Clone, Copy)]
struct ReminderRules {
    week_start: Weekday,
    reminder_day: Weekday,
}

#[derive(Default)]
struct OrgRules(HashMap<i64, ReminderRules>);

impl OrgRules {
    fn of(&mut self, conn: &mut Conn, org_id: i64) -> Result<ReminderRules> {
        if let Some(r) = self.0.get(&org_id) {
            return Ok(*r);
        }
        let all = rules(conn, org_id)?;
        let r = ReminderRules {
            week_start: all.week_start,
            reminder_day: all.reminder_day,
        };
        self.0.insert(org_id, r);
        Ok(r)
    }
}
