//! Reminding people of last week's missing timesheet.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde_json::json;

use super::{SheetStatus, WeekStarts, week_start_of};
use crate::db::{Conn, schema::timesheets};
use crate::domain::assignment;
use crate::domain::audit::{self, Actor, Event};
use crate::domain::notification::{self, Notice, kind};
use crate::domain::user::User;
use crate::error::Result;

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
        let status: Option<SheetStatus> = timesheets::table
            .filter(timesheets::user_id.eq(person.id))
            .filter(timesheets::week_start.eq(week))
            .select(timesheets::status)
            .first(conn)
            .optional()?;
        if status.is_some_and(|s| !s.is_editable()) {
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
