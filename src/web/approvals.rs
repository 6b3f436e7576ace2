//! The approvals inbox (pending items the viewer may decide, filterable by
//! project, team and week, with approve, reject and bulk approve), the
//! reminder button for `time.manage` holders, and the notifications list.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageError, SignedIn, page, see_other};
use crate::authz::Permission;
use crate::db;
use crate::domain::approval::{self, Approver, PendingFilter, PendingItem};
use crate::domain::notification::{self, Notification};
use crate::domain::team;
use crate::domain::timesheet::{self, hours};
use crate::error::Error;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(inbox)
        .service(bulk_approve)
        .service(remind)
        .service(notifications)
        .service(read);
}

struct ItemView {
    item: PendingItem,
    hours: String,
    /// `{timesheet}:{project or "team"}`, the bulk form's value.
    key: String,
}

#[derive(Template)]
#[template(path = "approvals/inbox.html")]
struct InboxPage {
    layout: Layout,
    items: Vec<ItemView>,
    projects: Vec<(i64, String)>,
    teams: Vec<(i64, String)>,
    weeks: Vec<NaiveDate>,
    project_id: String,
    team_id: String,
    week: String,
    can_remind: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InboxQuery {
    project_id: String,
    team_id: String,
    week: String,
}

/// The most items the inbox lists at once (filters narrow it down).
const SHOWN: usize = 500;

/// `GET /approvals?project_id=&team_id=&week=`.
#[get("/approvals")]
async fn inbox(me: SignedIn, query: web::Query<InboxQuery>) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let filter = PendingFilter {
        project_id: query.project_id.trim().parse().ok(),
        team_id: query.team_id.trim().parse().ok(),
        week_start: crate::domain::validate::date(&query.week, "week").ok(),
    };
    let access = me.access.clone();
    let (all, items, teams) = me
        .db()
        .read(move |conn| {
            let approver = Approver::load(conn, &access)?;
            let all = approval::pending(conn, &approver, &PendingFilter::default(), 2000)?;
            let items = approval::pending(conn, &approver, &filter, SHOWN)?;
            // Teams to filter by: those the viewer may see, and those they lead.
            let visible = access
                .snapshot
                .visible_orgs(access.user_id, Permission::TeamView);
            let mut teams: Vec<(i64, String)> = team::in_orgs(conn, &visible)?
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect();
            for (t, lead) in team::of_user(conn, access.user_id)? {
                if lead && !teams.iter().any(|(id, _)| *id == t.id) {
                    teams.push((t.id, t.name));
                }
            }
            Ok((all, items, teams))
        })
        .await?;
    let mut projects: Vec<(i64, String)> = all
        .iter()
        .filter_map(|i| Some((i.project_id?, i.project_name.clone()?)))
        .collect();
    projects.sort_by(|a, b| a.1.cmp(&b.1));
    projects.dedup();
    let mut weeks: Vec<NaiveDate> = all.iter().map(|i| i.week_start).collect();
    weeks.sort();
    weeks.dedup();
    page(&InboxPage {
        layout: me.ctx.layout("Approvals", "approvals")?,
        items: items
            .into_iter()
            .map(|item| ItemView {
                hours: hours(item.minutes),
                key: format!(
                    "{}:{}",
                    item.timesheet_id,
                    item.project_id
                        .map_or("team".to_string(), |p| p.to_string()),
                ),
                item,
            })
            .collect(),
        projects,
        teams,
        weeks,
        project_id: query.project_id,
        team_id: query.team_id,
        week: query.week,
        can_remind: me.access.anywhere(Permission::TimeManage),
    })
}

/// The most items one bulk approval takes (the inbox lists at most [`SHOWN`]).
const MAX_BULK_ITEMS: usize = SHOWN;

/// How many items did not go through, with the first few distinct reasons
/// (the flash helper bounds the length in any case).
fn not_approved(reasons: &[String]) -> String {
    const FIRST: usize = 3;
    let mut distinct: Vec<&str> = Vec::new();
    for r in reasons {
        if !distinct.contains(&r.as_str()) {
            distinct.push(r);
        }
    }
    let mut message = format!(
        "{} not approved: {}",
        reasons.len(),
        distinct[..distinct.len().min(FIRST)].join("; ")
    );
    if distinct.len() > FIRST {
        message.push_str(&format!(" (and {} other reasons)", distinct.len() - FIRST));
    }
    message
}

/// `POST /approvals/approve`: approves every checked item (`item` values as
/// the inbox writes them), each on its own; reports what did not go through.
#[post("/approvals/approve")]
async fn bulk_approve(
    me: SignedIn,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let items = form.iter().filter(|(k, _)| k == "item");
    if items.clone().count() > MAX_BULK_ITEMS {
        return Err(crate::FieldErrors::single(
            "item",
            format!("Approve at most {MAX_BULK_ITEMS} items at once."),
        )
        .into());
    }
    let picked: Vec<(i64, Option<i64>)> = items
        .filter_map(|(_, v)| {
            let (sheet, project) = v.split_once(':')?;
            Some((sheet.parse().ok()?, project.parse().ok()))
        })
        .collect();
    if picked.is_empty() {
        me.ctx
            .flash("error", "Tick at least one item to approve.")?;
        return see_other("/approvals");
    }
    let (mut approved, mut failed) = (0, Vec::new());
    for (sheet, project) in picked {
        let (access, actor) = (me.access.clone(), me.actor());
        let outcome = me
            .db()
            .write(move |conn| {
                let (_, decider) = approval::visible_sheet(conn, &access, sheet)?;
                // Each item names its part, so a decision someone else made in
                // the meantime answers 409 for that part alone.
                timesheet::approve(conn, &actor, &decider, sheet, project, None)
            })
            .await;
        match outcome {
            Ok(_) => approved += 1,
            Err(e) if e.is_internal() => return Err(e.into()),
            Err(e) => failed.push(e.to_string()),
        }
    }
    if approved > 0 {
        me.ctx.flash("success", format!("{approved} approved."))?;
    }
    if !failed.is_empty() {
        me.ctx.flash("error", not_approved(&failed))?;
    }
    see_other("/approvals")
}

/// `POST /approvals/remind`: reminders for last week's missing sheets of the
/// people whose home org the viewer holds `time.manage` at.
#[post("/approvals/remind")]
async fn remind(me: SignedIn) -> Result<HttpResponse, PageError> {
    let (access, actor) = (me.access.clone(), me.actor());
    if !access.anywhere(Permission::TimeManage) {
        return Err(Error::NotFound.into());
    }
    let sent = me
        .db()
        .write(move |conn| {
            timesheet::remind(conn, &actor, db::now().date(), &|u| {
                access.can(Permission::TimeManage, u.org_id)
            })
        })
        .await?;
    me.ctx.flash(
        "success",
        format!("{sent} reminder(s) sent for last week's missing timesheets."),
    )?;
    see_other("/approvals")
}

#[derive(Template)]
#[template(path = "approvals/notifications.html")]
struct NotificationsPage {
    layout: Layout,
    items: Vec<Notification>,
    page: i64,
    pages: i64,
    total: i64,
}

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageNo {
    page: String,
}

/// `GET /notifications`: the signed-in person's, newest first.
#[get("/notifications")]
async fn notifications(me: SignedIn, query: web::Query<PageNo>) -> Result<HttpResponse, PageError> {
    let page_no = super::page_number(Some(&query.page));
    let access = me.access.clone();
    let (items, total) = me
        .db()
        .read(move |conn| {
            let offset = crate::http::page_offset(page_no, PER_PAGE as usize);
            notification::list(conn, &access, false, offset, PER_PAGE)
        })
        .await?;
    page(&NotificationsPage {
        layout: me.ctx.layout("Notifications", "notifications")?,
        items,
        page: page_no as i64,
        pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
        total,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReadForm {
    /// One notification, or empty for all of them.
    id: String,
}

/// `POST /notifications/read`: marks one (`id`) or all read.
#[post("/notifications/read")]
async fn read(me: SignedIn, form: web::Form<ReadForm>) -> Result<HttpResponse, PageError> {
    let ids: Option<Vec<i64>> = match form.id.trim() {
        "" => None,
        one => Some(vec![one.parse().map_err(|_| Error::NotFound)?]),
    };
    let user_id = me.user.id;
    me.db()
        .write(move |conn| notification::mark_read(conn, user_id, ids.as_deref()))
        .await?;
    see_other("/notifications")
}
