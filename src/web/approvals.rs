//! The approvals inbox (pending items the viewer may decide, filterable by
//! project, team, org (pickers) and week, paged by the shared pager, with
//! approve, reject and bulk approve), the
//! reminder button for `time.manage` holders, and the notifications list.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::pager::{Pager, fetch};
use super::pick::Picker;
use super::{PageError, SignedIn, page, see_other};
use crate::authz::Permission;
use crate::db;
use crate::domain::approval::{self, Approver, PendingItem};
use crate::domain::ids::ProjectId;
use crate::domain::inbox::{self, FilterInput, ReadFilter};
use crate::domain::notification::{self, Notification};
use crate::domain::timesheet::{self, hours};
use crate::error::Error;

mod approve_all;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(approve_all::confirm)
        .service(approve_all::approve)
        .service(bulk_approve)
        .service(remind)
        .service(notifications)
        .service(open)
        .service(read);
}

struct ItemView {
    item: PendingItem,
    hours: String,
    /// `{timesheet}:{project or "team"}`, the bulk form's value.
    key: String,
    /// When the sheet was handed in, UTC.
    submitted: String,
}

impl ItemView {
    fn of(item: PendingItem) -> ItemView {
        ItemView {
            hours: hours(item.minutes),
            key: format!(
                "{}:{}",
                item.timesheet_id,
                item.project_id
                    .map_or("team".to_string(), |p| p.to_string()),
            ),
            submitted: item
                .submitted_at
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            item,
        }
    }
}

#[derive(Template)]
#[template(path = "approvals/inbox.html")]
struct InboxPage {
    layout: Layout,
    items: Vec<ItemView>,
    form: InboxQuery,
    /// The project, team and org filters (`web::pick`).
    project_picker: Picker,
    team_picker: Picker,
    org_picker: Picker,
    errors: crate::FieldErrors,
    /// The filter as a query string (without page), for links that keep it.
    filter_query: String,
    /// What the filter keeps, said back.
    described: Vec<(&'static str, String)>,
    pager: Pager,
    can_remind: bool,
}

/// The inbox's query: the filter fields as typed (see
/// `domain::inbox::FilterInput`), the order and the page. The old names
/// `project_id` and `team_id` still work.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(crate) struct InboxQuery {
    #[serde(alias = "project_id")]
    pub project: String,
    #[serde(alias = "team_id")]
    pub team: String,
    pub org: String,
    pub week: String,
    pub sort: String,
    pub page: String,
}

impl InboxQuery {
    fn input(&self) -> FilterInput {
        FilterInput {
            project: self.project.clone(),
            team: self.team.clone(),
            org: self.org.clone(),
            week: self.week.clone(),
            sort: self.sort.clone(),
        }
    }

    /// The filter (and order) as (name, value) pairs, trimmed.
    fn filter_pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("project", self.project.trim()),
            ("team", self.team.trim()),
            ("org", self.org.trim()),
            ("week", self.week.trim()),
            ("sort", self.sort.trim()),
        ]
    }

    /// The filter (and order) as a query string, without the page.
    pub(crate) fn filter_query(&self) -> String {
        self.filter_pairs()
            .iter()
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| format!("{name}={}", super::error::urlencode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Rows on one page of the inbox.
pub(crate) const INBOX_PAGE: usize = 50;

/// 2444 as "2,444".
pub(crate) fn thousands(n: i64) -> String {
    super::pager::thousands(usize::try_from(n).unwrap_or(0))
}

/// `GET /approvals?project=&team=&org=&week=&sort=&page=`: one page (50 rows)
/// of what the viewer may decide, filtered and ordered in SQL. The project,
/// team and org are pickers (`domain::pick`); a filter value that is not a
/// date, or names nothing the viewer may see, answers 422 with the message
/// next to its field; a page past the end shows the last one.
#[get("/approvals")]
async fn list(me: SignedIn, query: web::Query<InboxQuery>) -> Result<HttpResponse, PageError> {
    let form = query.into_inner();
    let page_no = super::page_number(Some(&form.page));
    let (access, input) = (me.access.clone(), form.input());
    let outcome = me
        .db()
        .read(move |conn| read_inbox(conn, &access, &input, page_no))
        .await?;
    let (found, items, total, page_no, errors) = match outcome {
        Ok((found, items, total, page_no)) => {
            (found, items, total, page_no, crate::FieldErrors::new())
        }
        Err(errors) => (ReadFilter::default(), Vec::new(), 0, 1, errors),
    };
    let pager = Pager::new(
        "/approvals",
        &form.filter_pairs(),
        page_no,
        INBOX_PAGE,
        total,
    );
    let template = InboxPage {
        layout: me.ctx.layout("Approvals", "approvals")?,
        items: items.into_iter().map(ItemView::of).collect(),
        project_picker: Picker::project("project", "Project").id("f-project"),
        team_picker: Picker::team("team", "Team").id("f-team"),
        org_picker: Picker::org("org", "Organization (and below)", Permission::OrgView).id("f-org"),
        filter_query: form.filter_query(),
        described: found.described,
        pager,
        can_remind: me.access.anywhere(Permission::TimeManage),
        form,
        errors,
    }
    .with_pickers(found.shown);
    let status = crate::web::error::status_for(&template.errors);
    Ok(super::render(status, &template))
}

/// One page of the inbox that the filter keeps, or what is wrong with the filter.
#[allow(clippy::type_complexity)]
fn read_inbox(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    input: &FilterInput,
    page_no: usize,
) -> crate::error::Result<Result<(ReadFilter, Vec<PendingItem>, usize, usize), crate::FieldErrors>>
{
    let found = match inbox::read_filter(conn, access, input) {
        Ok(found) => found,
        Err(Error::Validation(errors)) => return Ok(Err(errors)),
        Err(e) => return Err(e),
    };
    let approver = Approver::load(conn, access)?;
    let (items, total, page_no) = fetch(page_no, INBOX_PAGE, |offset, limit| {
        inbox::page(conn, &approver, &found.filter, offset, limit)
    })?;
    Ok(Ok((found, items, total, page_no)))
}

impl InboxPage {
    /// The pickers' values and messages: a picked value as its picker writes
    /// it, a refused one as typed.
    fn with_pickers(mut self, picked: inbox::Shown) -> Self {
        let shown = |typed: &str, picked: String| {
            if picked.is_empty() {
                typed.to_string()
            } else {
                picked
            }
        };
        let errors = &self.errors;
        self.project_picker = self
            .project_picker
            .value(shown(&self.form.project, picked.project))
            .errors(errors);
        self.team_picker = self
            .team_picker
            .value(shown(&self.form.team, picked.team))
            .errors(errors);
        self.org_picker = self
            .org_picker
            .value(shown(&self.form.org, picked.org))
            .errors(errors);
        self
    }
}

/// The most items one "approve selected" takes (a page shows [`INBOX_PAGE`]).
const MAX_BULK_ITEMS: usize = 500;

/// How many items did not go through, with the first few distinct reasons
/// (the flash helper bounds the length in any case).
pub(crate) fn not_approved(reasons: &[String]) -> String {
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

/// The checked items (`sheet:project` as the inbox writes them; one that
/// does not read is left out), at most [`MAX_BULK_ITEMS`].
fn picked_items(form: &[(String, String)]) -> Result<Vec<(i64, Option<i64>)>, Error> {
    let items = form.iter().filter(|(k, _)| k == "item");
    if items.clone().count() > MAX_BULK_ITEMS {
        return Err(crate::FieldErrors::single(
            "item",
            format!("Approve at most {MAX_BULK_ITEMS} items at once."),
        ));
    }
    Ok(items
        .filter_map(|(_, v)| {
            let (sheet, project) = v.split_once(':')?;
            Some((sheet.parse().ok()?, project.parse().ok()))
        })
        .collect())
}

/// Approves one item in its own transaction. Each item names its part, so a
/// decision someone else made in the meantime answers 409 for that part alone.
async fn approve_one(me: &SignedIn, sheet: i64, project: Option<i64>) -> Result<(), Error> {
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| {
            let (_, decider) = approval::visible_sheet(conn, &access, sheet)?;
            // Each item names its part, so a decision someone else made in
            // the meantime answers 409 for that part alone.
            timesheet::approve(conn, &actor, &decider, sheet, project.map(ProjectId), None)
        })
        .await
        .map(|_| ())
}

/// `POST /approvals/approve`: approves every checked item (`item` values as
/// the inbox writes them), each on its own; reports what did not go through.
#[post("/approvals/approve")]
async fn bulk_approve(
    me: SignedIn,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let picked = picked_items(&form)?;
    if picked.is_empty() {
        me.ctx
            .flash("error", "Tick at least one item to approve.")?;
        return see_other("/approvals");
    }
    let (mut approved, mut failed) = (0, Vec::new());
    for (sheet, project) in picked {
        match approve_one(&me, sheet, project).await {
            Ok(()) => approved += 1,
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

/// `GET /notifications/{id}`: opens one, marked read on the way, at the
/// page it points to.
#[get("/notifications/{id}")]
async fn open(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (access, id) = (me.access.clone(), id.into_inner());
    let link = me
        .db()
        .write(move |conn| notification::open(conn, &access, id))
        .await?;
    see_other(&link)
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
