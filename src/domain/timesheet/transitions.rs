//! The states of a submitted week: submit, withdraw, approve, reject, reopen.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::history::{self, Line, audit_transition, notify_waiting, tell_owner};
use super::{
    ApprovalMode, HistoryChange, Part, PartStatus, SheetStatus, Timesheet, find, parts_of, rules,
    stale, wrong_state,
};
use crate::authz::Snapshot;
use crate::db::{
    self, Conn,
    schema::{approval_parts, time_entries, timesheets},
};
use crate::domain::approval;
use crate::domain::audit::Actor;
use crate::domain::ids::ProjectId;
use crate::domain::notification::kind;
use crate::domain::user::{self, User};
use crate::error::{Error, FieldErrors, Result};

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
            timesheets::status.eq(status),
            timesheets::rejection_reason.eq(reason),
            timesheets::decided_at.eq(decided.then_some(now)),
            timesheets::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
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

/// A part as submitting makes it.
#[derive(Insertable)]
#[diesel(table_name = approval_parts)]
struct NewPart {
    timesheet_id: i64,
    project_id: Option<i64>,
    user_id: i64,
    week_start: chrono::NaiveDate,
    status: PartStatus,
    minutes: i32,
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
    let mut new_parts: Vec<(Option<i64>, PartStatus, i64)> = Vec::new();
    if mode != ApprovalMode::Team {
        new_parts.extend(
            per_project
                .iter()
                .map(|(p, m)| (Some(*p), PartStatus::Pending, *m)),
        );
    }
    if mode != ApprovalMode::Project || new_parts.is_empty() {
        let status = if new_parts.is_empty() {
            PartStatus::Pending
        } else {
            PartStatus::Waiting
        };
        new_parts.push((None, status, total));
    }
    for (project_id, status, minutes) in &new_parts {
        diesel::insert_into(approval_parts::table)
            .values(NewPart {
                timesheet_id: id,
                project_id: *project_id,
                user_id: sheet.user_id,
                week_start: sheet.week_start,
                status: *status,
                minutes: *minutes as i32,
            })
            .execute(conn)?;
    }
    let now = db::now();
    diesel::update(timesheets::table.find(id))
        .set((
            timesheets::status.eq(SheetStatus::Submitted),
            timesheets::approval_mode.eq(mode),
            timesheets::rejection_reason.eq(None::<String>),
            timesheets::submitted_at.eq(now),
            timesheets::decided_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    history::record(
        conn,
        actor,
        id,
        Line::state(
            HistoryChange::Submitted,
            sheet.status.as_str(),
            "submitted",
            None,
        ),
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
    history::record(
        conn,
        actor,
        id,
        Line::state(HistoryChange::Withdrawn, "submitted", "draft", None),
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
        .filter(|p| p.status == PartStatus::Pending)
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
    status: PartStatus,
    reason: Option<&str>,
) -> Result<()> {
    let decided = diesel::update(
        approval_parts::table
            .find(part.id)
            .filter(approval_parts::status.eq(PartStatus::Pending)),
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
    history::record(
        conn,
        actor,
        part.timesheet_id,
        Line {
            project_id: part.project_id,
            ..Line::state(
                if part.project_id.is_some() {
                    HistoryChange::Part
                } else {
                    HistoryChange::TeamPart
                },
                PartStatus::Pending.as_str(),
                status.as_str(),
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
    project_id: Option<ProjectId>,
    version: Option<i64>,
) -> Result<Timesheet> {
    let project_id = project_id.map(i64::from);
    let sheet = begin_transition(conn, id, &[SheetStatus::Submitted], version, "approved")?;
    let owner = user::find(conn, sheet.user_id)?;
    let mut mine = decidable_parts(conn, decider, &sheet, &owner, project_id)?;
    for part in &mine {
        decide_part(conn, actor, part, PartStatus::Approved, None)?;
    }
    let mut parts = parts_of(conn, id)?;
    let projects_done = parts
        .iter()
        .filter(|p| p.project_id.is_some())
        .all(|p| p.status == PartStatus::Approved);
    if projects_done
        && let Some(team) = parts
            .iter()
            .find(|p| p.project_id.is_none() && p.status == PartStatus::Waiting)
            .cloned()
    {
        diesel::update(approval_parts::table.find(team.id))
            .set(approval_parts::status.eq(PartStatus::Pending))
            .execute(conn)?;
        let opened = Part {
            status: PartStatus::Pending,
            ..team
        };
        // "Both" mode: the person's team lead, approving the last project
        // step as its approver, holds the team's step too and approves once,
        // not twice. (Anyone else who may decide the team's step, an admin
        // with `time.approve`, still leaves it to its own decision.)
        if decider.leads(owner.id) && decider.may_decide(&owner, sheet.week_start, &opened) {
            decide_part(conn, actor, &opened, PartStatus::Approved, None)?;
            mine.push(opened);
            parts = parts_of(conn, id)?;
        } else {
            parts = parts_of(conn, id)?;
            notify_waiting(conn, &decider.access.snapshot, &owner, &sheet, &parts)?;
        }
    }
    let all_done = parts.iter().all(|p| p.status == PartStatus::Approved);
    if all_done {
        set_status(conn, id, SheetStatus::Approved, None, true)?;
        history::record(
            conn,
            actor,
            id,
            Line::state(HistoryChange::Approved, "submitted", "approved", None),
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
    project_id: Option<ProjectId>,
    reason: &str,
    version: Option<i64>,
) -> Result<Timesheet> {
    let project_id = project_id.map(i64::from);
    let reason = parse_reason(reason)?;
    let sheet = begin_transition(conn, id, &[SheetStatus::Submitted], version, "rejected")?;
    let owner = user::find(conn, sheet.user_id)?;
    let mine = decidable_parts(conn, decider, &sheet, &owner, project_id)?;
    for part in &mine {
        decide_part(conn, actor, part, PartStatus::Rejected, Some(&reason))?;
    }
    diesel::update(
        approval_parts::table
            .filter(approval_parts::timesheet_id.eq(id))
            .filter(approval_parts::status.eq_any([PartStatus::Pending, PartStatus::Waiting])),
    )
    .set(approval_parts::status.eq(PartStatus::Cancelled))
    .execute(conn)?;
    set_status(conn, id, SheetStatus::Rejected, Some(&reason), true)?;
    history::record(
        conn,
        actor,
        id,
        Line::state(
            HistoryChange::Rejected,
            "submitted",
            "rejected",
            Some(&reason),
        ),
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
    history::record(
        conn,
        actor,
        id,
        Line::state(HistoryChange::Reopened, "approved", "draft", Some(&reason)),
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
