//! Who decides and who sees timesheets (SPEC 5).
//!
//! - A project part: the project's approvers and managers (by assignment during
//!   the week), or anyone with `time.approve` on the project or its org.
//! - The team part: the leads of the owner's teams, or anyone with
//!   `time.approve` on the owner's home org.
//! - Nobody decides on their own time.
//!
//! A whole sheet is seen by its owner, by `time.view`/`time.approve`/
//! `time.manage` holders at the owner's home org and by the owner's team leads;
//! a project's approvers see only that project's lines.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use crate::authz::{Access, Permission, Snapshot};
use crate::db::{
    Conn,
    schema::{
        approval_parts, grants, group_members, project_assignments, projects, team_members,
        timesheets, users,
    },
};
use crate::domain::timesheet::{Part, Timesheet, Week};
use crate::domain::user::User;
use crate::error::Result;

const APPROVING_ROLES: [&str; 2] = ["approver", "manager"];

/// One person as a decider, with what the resolver cannot know loaded once:
/// their approver assignments and the members of the teams they lead.
pub struct Approver {
    pub user_id: i64,
    pub access: Access,
    project_roles: Vec<(i64, NaiveDate, Option<NaiveDate>)>,
    led_members: HashSet<i64>,
}

impl Approver {
    pub fn load(conn: &mut Conn, access: &Access) -> Result<Approver> {
        let project_roles = project_assignments::table
            .filter(project_assignments::user_id.eq(access.user_id))
            .filter(project_assignments::role.eq_any(APPROVING_ROLES))
            .select((
                project_assignments::project_id,
                project_assignments::start_date,
                project_assignments::end_date,
            ))
            .load(conn)?;
        let led: Vec<i64> = team_members::table
            .filter(team_members::user_id.eq(access.user_id))
            .filter(team_members::lead.eq(true))
            .select(team_members::team_id)
            .load(conn)?;
        let led_members = team_members::table
            .filter(team_members::team_id.eq_any(led))
            .select(team_members::user_id)
            .load::<i64>(conn)?
            .into_iter()
            .filter(|id| *id != access.user_id)
            .collect();
        Ok(Approver {
            user_id: access.user_id,
            access: access.clone(),
            project_roles,
            led_members,
        })
    }

    /// True when an assignment as approver or manager covers part of the week.
    fn approves_project(&self, project_id: i64, week_start: NaiveDate) -> bool {
        let week_end = week_start + Duration::days(6);
        self.project_roles.iter().any(|(p, s, e)| {
            *p == project_id && *s <= week_end && e.is_none_or(|e| e >= week_start)
        })
    }

    pub fn leads(&self, user_id: i64) -> bool {
        self.led_members.contains(&user_id)
    }

    pub fn may_decide(&self, owner: &User, week_start: NaiveDate, part: &Part) -> bool {
        if owner.id == self.user_id {
            return false;
        }
        match part.project_id {
            Some(p) => {
                self.approves_project(p, week_start)
                    || self.access.can_project(Permission::TimeApprove, p)
            }
            None => self.leads(owner.id) || self.access.can(Permission::TimeApprove, owner.org_id),
        }
    }

    /// True when the whole of `owner`'s sheets are visible.
    pub fn sees_all_of(&self, owner: &User) -> bool {
        owner.id == self.user_id
            || self.leads(owner.id)
            || [
                Permission::TimeView,
                Permission::TimeApprove,
                Permission::TimeManage,
            ]
            .iter()
            .any(|p| self.access.can(*p, owner.org_id))
    }

    /// True when one project's lines of a sheet of that week are visible.
    pub fn sees_project(&self, project_id: i64, week_start: NaiveDate) -> bool {
        self.approves_project(project_id, week_start)
            || self.access.can_project(Permission::TimeView, project_id)
            || self.access.can_project(Permission::TimeApprove, project_id)
    }

    /// The week as this person may see it, or `None` when they may see none of
    /// it (the caller answers 404, as for a week that does not exist).
    pub fn view(&self, mut week: Week) -> Option<Week> {
        if self.sees_all_of(&week.user) {
            return Some(week);
        }
        let mut on_sheet: HashSet<i64> = week.entries.iter().map(|e| e.project_id).collect();
        on_sheet.extend(week.parts.iter().filter_map(|p| p.project_id));
        let visible: HashSet<i64> = on_sheet
            .into_iter()
            .filter(|p| self.sees_project(*p, week.week_start))
            .collect();
        if visible.is_empty() {
            return None;
        }
        week.restrict_to(&visible);
        Some(week)
    }
}

/// The people to tell that `part` of `owner`'s week waits: the project's
/// approvers and managers, or the owner's team leads; when there are none, the
/// holders of `time.approve` there (checked by the resolver, so privacy borders
/// hold). Never the owner.
pub fn approvers_of(
    conn: &mut Conn,
    snapshot: &Snapshot,
    owner: &User,
    week_start: NaiveDate,
    part: &Part,
) -> Result<Vec<i64>> {
    let week_end = week_start + Duration::days(6);
    let direct: Vec<i64> = match part.project_id {
        Some(p) => project_assignments::table
            .filter(project_assignments::project_id.eq(p))
            .filter(project_assignments::role.eq_any(APPROVING_ROLES))
            .filter(project_assignments::start_date.le(week_end))
            .filter(
                project_assignments::end_date
                    .is_null()
                    .or(project_assignments::end_date.ge(week_start)),
            )
            .select(project_assignments::user_id)
            .load(conn)?,
        None => {
            let teams: Vec<i64> = team_members::table
                .filter(team_members::user_id.eq(owner.id))
                .select(team_members::team_id)
                .load(conn)?;
            team_members::table
                .filter(team_members::team_id.eq_any(teams))
                .filter(team_members::lead.eq(true))
                .select(team_members::user_id)
                .load(conn)?
        }
    };
    let mut out: Vec<i64> = direct.into_iter().filter(|id| *id != owner.id).collect();
    if out.is_empty() {
        let (org_id, project_id) = match part.project_id {
            Some(p) => (
                projects::table
                    .find(p)
                    .select(projects::org_id)
                    .first::<i64>(conn)?,
                Some(p),
            ),
            None => (owner.org_id, None),
        };
        let path = snapshot.tree().path(org_id);
        let mut held = grants::table
            .filter(grants::org_id.eq_any(&path))
            .into_boxed();
        if let Some(p) = project_id {
            held = held.or_filter(grants::project_id.eq(p));
        }
        let holders: Vec<(Option<i64>, Option<i64>)> = held
            .select((grants::user_id, grants::group_id))
            .load(conn)?;
        let mut candidates: Vec<i64> = holders.iter().filter_map(|h| h.0).collect();
        let groups: Vec<i64> = holders.iter().filter_map(|h| h.1).collect();
        candidates.extend(
            group_members::table
                .filter(group_members::group_id.eq_any(groups))
                .select(group_members::user_id)
                .load::<i64>(conn)?,
        );
        candidates.sort_unstable();
        candidates.dedup();
        out = candidates
            .into_iter()
            .filter(|u| *u != owner.id)
            .filter(|u| match project_id {
                Some(p) => snapshot.check_project(*u, Permission::TimeApprove, p),
                None => snapshot.check(*u, Permission::TimeApprove, org_id),
            })
            .collect();
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// One decision waiting in someone's inbox.
#[derive(Clone, Debug, Serialize)]
pub struct PendingItem {
    pub timesheet_id: i64,
    pub part_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub week_start: NaiveDate,
    pub project_id: Option<i64>,
    pub project_name: Option<String>,
    pub minutes: i64,
    pub version: i64,
}

#[derive(Clone, Debug, Default)]
pub struct PendingFilter {
    pub project_id: Option<i64>,
    pub team_id: Option<i64>,
    pub week_start: Option<NaiveDate>,
}

/// Pending parts `approver` may decide, oldest week first: at most `limit`
/// of them (read in batches, so a root owner's inbox does not load every
/// pending part of the installation). `pending_count` counts them all.
pub fn pending(
    conn: &mut Conn,
    approver: &Approver,
    filter: &PendingFilter,
    limit: usize,
) -> Result<Vec<PendingItem>> {
    let members: Option<Vec<i64>> = match filter.team_id {
        Some(t) => Some(
            team_members::table
                .filter(team_members::team_id.eq(t))
                .select(team_members::user_id)
                .load(conn)?,
        ),
        None => None,
    };
    const BATCH: i64 = 1000;
    let mut mine: Vec<(Part, Timesheet, User)> = Vec::new();
    let mut offset = 0;
    loop {
        let mut query = approval_parts::table
            .inner_join(timesheets::table.inner_join(users::table))
            .filter(approval_parts::status.eq("pending"))
            .filter(timesheets::status.eq("submitted"))
            .filter(timesheets::user_id.ne(approver.user_id))
            .into_boxed();
        if let Some(p) = filter.project_id {
            query = query.filter(approval_parts::project_id.eq(p));
        }
        if let Some(w) = filter.week_start {
            query = query.filter(timesheets::week_start.eq(w));
        }
        if let Some(m) = &members {
            query = query.filter(timesheets::user_id.eq_any(m.clone()));
        }
        let rows: Vec<(Part, Timesheet, User)> = query
            .order((
                timesheets::week_start,
                users::display_name,
                approval_parts::id,
            ))
            .offset(offset)
            .limit(BATCH)
            .select((Part::as_select(), Timesheet::as_select(), User::as_select()))
            .load(conn)?;
        let done = (rows.len() as i64) < BATCH;
        mine.extend(
            rows.into_iter()
                .filter(|(part, sheet, owner)| approver.may_decide(owner, sheet.week_start, part)),
        );
        if done || mine.len() >= limit {
            break;
        }
        offset += BATCH;
    }
    mine.truncate(limit);
    let ids: Vec<i64> = mine.iter().filter_map(|(p, _, _)| p.project_id).collect();
    let names: std::collections::HashMap<i64, String> = projects::table
        .filter(projects::id.eq_any(ids))
        .select((projects::id, projects::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(mine
        .into_iter()
        .map(|(part, sheet, owner)| PendingItem {
            timesheet_id: sheet.id,
            part_id: part.id,
            user_id: owner.id,
            user_name: owner.display_name,
            week_start: sheet.week_start,
            project_name: part.project_id.and_then(|p| names.get(&p).cloned()),
            project_id: part.project_id,
            minutes: i64::from(part.minutes),
            version: sheet.version,
        })
        .collect())
}

/// How many pending parts `approver` may decide, counted in SQL by the facts
/// a decision depends on (project and week; the owner's home org, or the
/// owner when they are in a team the approver leads) and checked once per
/// group, so it stays cheap enough for every page's navigation.
pub fn pending_count(conn: &mut Conn, approver: &Approver) -> Result<usize> {
    let open = || {
        approval_parts::table
            .filter(approval_parts::status.eq("pending"))
            .filter(approval_parts::user_id.ne(approver.user_id))
    };
    let by_project: Vec<(Option<i64>, NaiveDate, i64)> = open()
        .filter(approval_parts::project_id.is_not_null())
        .group_by((approval_parts::project_id, approval_parts::week_start))
        .select((
            approval_parts::project_id,
            approval_parts::week_start,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut total: i64 = by_project
        .into_iter()
        .filter_map(|(p, week, n)| {
            let p = p?;
            (approver.approves_project(p, week)
                || approver.access.can_project(Permission::TimeApprove, p))
            .then_some(n)
        })
        .sum();
    let led: Vec<i64> = approver.led_members.iter().copied().collect();
    let led_count: i64 = open()
        .filter(approval_parts::project_id.is_null())
        .filter(approval_parts::user_id.eq_any(&led))
        .count()
        .get_result(conn)?;
    let by_home: Vec<(i64, i64)> = open()
        .inner_join(users::table.on(users::id.eq(approval_parts::user_id)))
        .filter(approval_parts::project_id.is_null())
        .filter(approval_parts::user_id.ne_all(&led))
        .group_by(users::org_id)
        .select((users::org_id, diesel::dsl::count_star()))
        .load(conn)?;
    total += led_count
        + by_home
            .into_iter()
            .filter(|(org, _)| approver.access.can(Permission::TimeApprove, *org))
            .map(|(_, n)| n)
            .sum::<i64>();
    Ok(total as usize)
}

/// `user_id`'s week as `access` may see it, with the viewer as a decider; 404
/// when they may see none of it (or the user does not exist), 422 when
/// `week_start` is not the first day of a week (told only to those who see
/// the whole of the person's time).
pub fn visible_week(
    conn: &mut Conn,
    access: &Access,
    user_id: i64,
    week_start: NaiveDate,
) -> Result<(Week, Approver)> {
    let owner = crate::domain::user::find(conn, user_id)?;
    let approver = Approver::load(conn, access)?;
    if !approver.sees_all_of(&owner) {
        let exists: i64 = timesheets::table
            .filter(timesheets::user_id.eq(user_id))
            .filter(timesheets::week_start.eq(week_start))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(crate::error::Error::NotFound);
        }
    }
    let week = crate::domain::timesheet::load_week(conn, &owner, week_start)?;
    let week = approver.view(week).ok_or(crate::error::Error::NotFound)?;
    Ok((week, approver))
}

/// The sheet `id` as `access` may see it (404 otherwise).
pub fn visible_sheet(conn: &mut Conn, access: &Access, id: i64) -> Result<(Week, Approver)> {
    let sheet = crate::domain::timesheet::find(conn, id)?;
    visible_week(conn, access, sheet.user_id, sheet.week_start)
}

/// The owner of the week `access` wants to change, when they may: 404 when
/// they may see nothing of that person's time (or the person does not exist),
/// 403 when they may look but not change. Decided without loading the week
/// on the way that succeeds, since saving loads it anyway.
pub fn require_editor(
    conn: &mut Conn,
    access: &Access,
    user_id: i64,
    week_start: NaiveDate,
) -> Result<User> {
    let owner = crate::domain::user::find(conn, user_id)?;
    if may_edit(access, &owner) {
        return Ok(owner);
    }
    visible_week(conn, access, user_id, week_start)?;
    Err(crate::error::Error::Forbidden(
        "Only the person themselves, or someone with time.manage over them, can change this week."
            .into(),
    ))
}

/// True when `access` may change `owner`'s entries: their own, or anyone's
/// with `time.manage` at the owner's home org (corrections).
pub fn may_edit(access: &Access, owner: &User) -> bool {
    owner.id == access.user_id || access.can(Permission::TimeManage, owner.org_id)
}

/// A state change someone asks for on a sheet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Submit,
    Withdraw,
    Approve,
    Reject,
    Reopen,
}

impl Action {
    pub fn parse(name: &str) -> Option<Action> {
        Some(match name {
            "submit" => Action::Submit,
            "withdraw" => Action::Withdraw,
            "approve" => Action::Approve,
            "reject" => Action::Reject,
            "reopen" => Action::Reopen,
            _ => return None,
        })
    }
}

/// What comes with an action: the version it was read at, the one project's
/// part to decide, the reason (rejecting, reopening).
#[derive(Clone, Debug, Default)]
pub struct ActionInput {
    pub version: Option<i64>,
    pub project_id: Option<i64>,
    pub reason: String,
}

/// Carries out `action` on sheet `id` for `access` (404 when they may not see
/// it; reopening needs `time.manage` at the owner's home org) and answers the
/// week as they see it afterwards. Pages and API both come through here.
pub fn act(
    conn: &mut Conn,
    actor: &crate::domain::audit::Actor,
    access: &Access,
    id: i64,
    action: Action,
    input: &ActionInput,
) -> Result<Week> {
    use crate::domain::timesheet;
    let (week, decider) = visible_sheet(conn, access, id)?;
    let (v, p, reason) = (input.version, input.project_id, input.reason.as_str());
    match action {
        Action::Submit => timesheet::submit(conn, actor, &access.snapshot, id, v)?,
        Action::Withdraw => timesheet::withdraw(conn, actor, id, v)?,
        Action::Approve => timesheet::approve(conn, actor, &decider, id, p, v)?,
        Action::Reject => timesheet::reject(conn, actor, &decider, id, p, reason, v)?,
        Action::Reopen => {
            access.require(Permission::TimeManage, week.user.org_id)?;
            timesheet::reopen(conn, actor, id, reason, v)?
        }
    };
    Ok(visible_sheet(conn, access, id)?.0)
}
