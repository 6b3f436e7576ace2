//! What a step leaves behind: a line in the sheet's history, an audit entry,
//! and notices to the owner and the approvers.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::{HistoryChange, Part, PartStatus, Timesheet, hours};
use crate::authz::Snapshot;
use crate::db::{self, Conn, schema::timesheet_history};
use crate::domain::approval;
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::notification::{self, Notice, NoticeKind, kind};
use crate::domain::project;
use crate::domain::user::User;
use crate::error::Result;

/// One line for a sheet's history.
pub(super) struct Line<'a> {
    pub(super) change: HistoryChange,
    pub(super) project_id: Option<i64>,
    pub(super) entry_date: Option<NaiveDate>,
    pub(super) old_value: Option<String>,
    pub(super) new_value: Option<String>,
    pub(super) reason: Option<&'a str>,
}

impl<'a> Line<'a> {
    /// A state change (of the sheet, or of one project's part).
    pub(super) fn state(
        change: HistoryChange,
        from: &str,
        to: &str,
        reason: Option<&'a str>,
    ) -> Self {
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

pub(super) fn record(conn: &mut Conn, actor: &Actor, sheet_id: i64, line: Line) -> Result<()> {
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

fn sheet_link(sheet: &Timesheet) -> String {
    format!("/timesheets/{}/{}", sheet.user_id, sheet.week_start)
}

/// Tells the owner what became of their week ("Your week of … was rejected").
pub(super) fn tell_owner(
    conn: &mut Conn,
    owner: &User,
    sheet: &Timesheet,
    kind: NoticeKind,
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

pub(super) fn audit_transition(
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
        Event::new(action, Target::Timesheet, Some(sheet.id))
            .org(owner.org_id)
            .before(json!({"status": sheet.status, "version": sheet.version - 1}))
            .after(after),
    )
}

/// Tells the approvers of every pending part that it waits for them.
pub(super) fn notify_waiting(
    conn: &mut Conn,
    snapshot: &Snapshot,
    owner: &User,
    sheet: &Timesheet,
    parts: &[Part],
) -> Result<()> {
    for part in parts.iter().filter(|p| p.status == PartStatus::Pending) {
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
