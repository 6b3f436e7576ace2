//! The home page after signing in (SPEC 7): for everyone their week, rejected
//! sheets and projects; for approvers what waits for them; for admins the
//! counts and recent audit entries of the org they run. Each part shows only
//! what the person may see.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::layout::Layout;
use super::{PageError, SignedIn, page};
use crate::authz::{Access, Permission};
use crate::db;
use crate::domain::approval::{self, Approver, PendingFilter, PendingItem};
use crate::domain::audit::{self, Entry, Search};
use crate::domain::project::Project;
use crate::domain::timesheet::{self, Timesheet, hours};
use crate::domain::user::User;
use crate::domain::{assignment, grant, org};
use crate::error::Result;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard);
}

/// The org an admin runs, with its numbers and latest entries.
struct AdminView {
    org: org::Org,
    rollup: org::Rollup,
    hours: String,
    audit: Vec<audit::words::Worded>,
}

/// What the dashboard shows, read in one go.
struct DashboardData {
    home_org: String,
    roles: Vec<String>,
    week_start: chrono::NaiveDate,
    week_status: String,
    week_hours: String,
    rejected: Vec<Timesheet>,
    projects: Vec<(Project, String)>,
    pending: Vec<PendingItem>,
    pending_total: usize,
    admin: Option<AdminView>,
    activity: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    display_name: String,
    user_id: i64,
    data: DashboardData,
}

#[get("/")]
async fn dashboard(me: SignedIn) -> Result<HttpResponse, PageError> {
    let (user, access) = (me.user.clone(), me.access.clone());
    // The navigation's count, already worked out for this request.
    let pending_total = me.ctx.counts.approvals;
    let data = me
        .db()
        .read(move |conn| read_dashboard(conn, &access, &user, pending_total))
        .await?;
    page(&DashboardPage {
        layout: me.ctx.layout("Dashboard", "dashboard")?,
        display_name: me.user.display_name.clone(),
        user_id: me.user.id,
        data,
    })
}

/// Everything the dashboard shows `user`, as of today.
fn read_dashboard(
    conn: &mut db::Conn,
    access: &Access,
    user: &User,
    pending_total: usize,
) -> Result<DashboardData> {
    let today = db::now().date();
    let home = org::find(conn, user.org_id)?;
    let roles = grant::list(conn, None, Some(user.id))?
        .into_iter()
        .map(|g| match g.org_name {
            Some(org) => format!("{} at {org}", g.role),
            None => g.role,
        })
        .collect::<Vec<_>>();
    // Employee: this week, rejected weeks, projects.
    let rules = timesheet::rules(conn, user.org_id)?;
    let week_start = timesheet::week_start_of(today, rules.week_start);
    let week = timesheet::load_week(conn, user, week_start)?;
    let sheets = timesheet::sheets_of(conn, user.id, 52)?;
    let rejected = sheets
        .into_iter()
        .filter(|(s, _)| s.status == timesheet::SheetStatus::Rejected)
        .map(|(s, _)| s)
        .take(10)
        .collect();
    let projects = projects_this_week(conn, user.id, week_start, today)?;
    // Approver: what waits. The navigation's count says whether anything
    // does: nothing to list means nothing to look for (an employee's
    // dashboard no longer reads every pending part).
    let pending = if pending_total == 0 {
        Vec::new()
    } else {
        let approver = Approver::load(conn, access)?;
        approval::pending(conn, &approver, &PendingFilter::default(), 5)?
    };
    Ok(DashboardData {
        home_org: home.name,
        roles,
        week_start,
        week_status: week.status().as_str().to_string(),
        week_hours: hours(week.total()),
        rejected,
        projects,
        pending,
        pending_total,
        admin: admin_view(conn, access, today)?,
        activity: audit::recent_for_user(conn, access, 10)?,
    })
}

/// The user's current projects, each with their hours this week.
fn projects_this_week(
    conn: &mut db::Conn,
    user_id: i64,
    week_start: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<Vec<(Project, String)>> {
    let this_week = timesheet::minutes_by_project(
        conn,
        user_id,
        week_start,
        week_start + chrono::Duration::days(6),
    )?;
    Ok(assignment::current_for_user(conn, user_id, today)?
        .into_iter()
        .map(|(_, p)| {
            let h = hours(this_week.get(&p.id).copied().unwrap_or(0));
            (p, h)
        })
        .collect())
}

/// Admin: the highest org they run (`user.manage` and sight inside), with its
/// numbers and, given `audit.view`, its latest entries.
fn admin_view(
    conn: &mut db::Conn,
    access: &Access,
    today: chrono::NaiveDate,
) -> Result<Option<AdminView>> {
    let runs = access
        .snapshot
        .visible_orgs_shared(access.user_id, Permission::UserManage)
        .iter()
        .copied()
        .find(|o| access.sees_inside(*o));
    let Some(o) = runs else {
        return Ok(None);
    };
    let rollup = org::rollup(conn, access, o, today)?;
    let audit = if access.can(Permission::AuditView, o) {
        let search = Search {
            org_id: o,
            ..Search::default()
        };
        let entries = audit::search(conn, access, &search, 0, 10)?.0;
        audit::words::worded(conn, access, entries)?
    } else {
        vec![]
    };
    Ok(Some(AdminView {
        org: org::find(conn, o)?,
        hours: hours(rollup.minutes_this_month),
        rollup,
        audit,
    }))
}
