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
    schema::{grants, group_members, project_assignments, projects, team_members, timesheets},
};
use crate::domain::assignment::ProjectRole;
use crate::domain::ids::{OrgId, ProjectId, UserId};
use crate::domain::timesheet::{Part, Week};
use crate::domain::user::User;
use crate::error::Result;

const APPROVING_ROLES: [ProjectRole; 2] = [ProjectRole::Approver, ProjectRole::Manager];

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

    /// True when the person approves any week at all: an approving role on a
    /// project, a team they lead, or `time.approve` somewhere.
    pub fn approves_anything(&self) -> bool {
        !self.project_roles.is_empty()
            || !self.led_members.is_empty()
            || self.access.anywhere(Permission::TimeApprove)
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

    /// True when they approve or manage some project by assignment.
    pub(crate) fn has_project_roles(&self) -> bool {
        !self.project_roles.is_empty()
    }

    /// The members of the teams they lead (without themselves), sorted.
    pub(crate) fn led_member_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.led_members.iter().copied().collect();
        ids.sort_unstable();
        ids
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
                Some(p) => {
                    snapshot.check_project(UserId(*u), Permission::TimeApprove, ProjectId(p))
                }
                None => snapshot.check(UserId(*u), Permission::TimeApprove, OrgId(org_id)),
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
    /// Tells apart people of the same name.
    pub user_email: String,
    pub user_org_id: i64,
    pub week_start: NaiveDate,
    pub project_id: Option<i64>,
    pub project_name: Option<String>,
    pub minutes: i64,
    pub version: i64,
    pub submitted_at: Option<chrono::NaiveDateTime>,
}

/// The inbox's order: by waiting time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Submitted longest ago first (waiting longest).
    #[default]
    OldestFirst,
    NewestFirst,
}

impl Sort {
    pub fn parse(raw: &str) -> Option<Sort> {
        match raw.trim() {
            "" | "oldest" => Some(Sort::OldestFirst),
            "newest" => Some(Sort::NewestFirst),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::OldestFirst => "oldest",
            Sort::NewestFirst => "newest",
        }
    }
}

/// What the inbox narrows to; every field is optional.
#[derive(Clone, Debug, Default)]
pub struct PendingFilter {
    pub project_id: Option<i64>,
    /// The person is a member of this team.
    pub team_id: Option<i64>,
    /// The person's home org is this org or below it.
    pub org_id: Option<i64>,
    /// The week that starts on this day.
    pub week_start: Option<NaiveDate>,
    /// The week that contains this day (whichever day weeks start on).
    pub week_of: Option<NaiveDate>,
    pub sort: Sort,
}

/// Pending parts `approver` may decide, oldest submission first (or as
/// `filter.sort` says): at most `limit` of them, chosen in SQL
/// (`domain::inbox`). `pending_count` counts them all.
pub fn pending(
    conn: &mut Conn,
    approver: &Approver,
    filter: &PendingFilter,
    limit: usize,
) -> Result<Vec<PendingItem>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    crate::domain::inbox::first(conn, approver, filter, limit)
}

/// How many pending parts `approver` may decide: the inbox's unfiltered
/// total, counted in SQL by the same rule (`domain::inbox::count`), so the
/// navigation and the inbox always agree.
pub fn pending_count(conn: &mut Conn, approver: &Approver) -> Result<usize> {
    let n = crate::domain::inbox::count(conn, approver, &PendingFilter::default())?;
    Ok(usize::try_from(n).unwrap_or(0))
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
    let (v, p, reason) = (
        input.version,
        input.project_id.map(ProjectId),
        input.reason.as_str(),
    );
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
