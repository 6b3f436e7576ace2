//! `/api/v1/timesheets`, `/api/v1/approvals` and `/api/v1/notifications`.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::json::{OptionalJson, time};
use super::list::{ListBody, PageQuery};
use super::{ApiError, ApiUser};
use crate::domain::approval::{self, Action, ActionInput, Approver, PendingFilter, PendingItem};
use crate::domain::notification;
use crate::domain::timesheet::{self, CellInput, Week};
use crate::domain::validate::{self, query_date, query_id};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(replace)
        .service(submit)
        .service(withdraw)
        .service(approve)
        .service(reject)
        .service(reopen)
        .service(approvals)
        .service(notifications)
        .service(read_notifications);
}

/// A week as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Timesheet)]
pub struct WeekJson {
    /// null for a week never saved.
    id: Option<i64>,
    user_id: i64,
    #[schema(value_type = String, format = Date)]
    week_start: NaiveDate,
    /// `draft`, `submitted`, `approved` or `rejected`.
    status: &'static str,
    /// 0 for a week never saved.
    version: i64,
    approval_mode: Option<String>,
    rejection_reason: Option<String>,
    #[schema(format = DateTime)]
    submitted_at: Option<String>,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    total_minutes: i64,
    entries: Vec<EntryJson>,
    parts: Vec<PartJson>,
}

/// A line of a week: minutes on a project on a day.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Entry)]
struct EntryJson {
    project_id: i64,
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    minutes: i32,
    note: String,
}

/// What one approver decides: a project's lines, or (`project_id` null) the
/// whole week in team mode.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ApprovalPart)]
struct PartJson {
    project_id: Option<i64>,
    /// `waiting`, `pending`, `approved`, `rejected` or `cancelled`.
    status: String,
    minutes: i32,
    decided_by: Option<i64>,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    reason: Option<String>,
}

pub fn week_json(week: &Week) -> WeekJson {
    let sheet = week.sheet.as_ref();
    WeekJson {
        id: sheet.map(|s| s.id),
        user_id: week.user.id,
        week_start: week.week_start,
        status: week.status().as_str(),
        version: week.version(),
        approval_mode: sheet.and_then(|s| s.approval_mode.map(|m| m.to_string())),
        rejection_reason: sheet.and_then(|s| s.rejection_reason.clone()),
        submitted_at: sheet.and_then(|s| s.submitted_at).map(time),
        decided_at: sheet.and_then(|s| s.decided_at).map(time),
        total_minutes: week.total(),
        entries: week
            .entries
            .iter()
            .map(|e| EntryJson {
                project_id: e.project_id,
                date: e.entry_date,
                minutes: e.minutes,
                note: e.note.clone(),
            })
            .collect(),
        parts: week
            .parts
            .iter()
            .map(|p| PartJson {
                project_id: p.project_id,
                status: p.status.to_string(),
                minutes: p.minutes,
                decided_by: p.decided_by,
                decided_at: p.decided_at.map(time),
                reason: p.reason.clone(),
            })
            .collect(),
    }
}

fn parse_week(raw: &str) -> Result<NaiveDate, Error> {
    validate::date(raw, "The week's first day").map_err(|m| FieldErrors::single("week_start", m))
}

/// `GET /timesheets/{user_id}/{week_start}`: a week never saved answers an
/// empty draft with `id: null` and `version: 0`; nothing is stored.
#[utoipa::path(
    operation_id = "getTimesheet",
    summary = "A week; one never saved is an empty draft with id null and version 0 (nothing is stored)",
    params(("week_start" = String, Path, format = Date, description = "the week's first day (the home org's week_start setting)")),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[get("/timesheets/{user_id}/{week_start}")]
async fn show(me: ApiUser, path: web::Path<(i64, String)>) -> Result<HttpResponse, ApiError> {
    let (user_id, raw) = path.into_inner();
    let week_start = parse_week(&raw)?;
    let access = me.access.clone();
    let (week, _) = me
        .db()
        .read(move |conn| approval::visible_week(conn, &access, user_id, week_start))
        .await?;
    Ok(HttpResponse::Ok().json(week_json(&week)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = EntryPut)]
struct EntryBody {
    project_id: i64,
    #[schema(format = Date)]
    date: String,
    /// In steps of 15, at most 1440 a day.
    minutes: i64,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TimesheetPut)]
struct ReplaceBody {
    /// 0 for a week never saved.
    version: i64,
    #[serde(default)]
    entries: Vec<EntryBody>,
}

/// `PUT /timesheets/{user_id}/{week_start}`: replaces the entries of a draft or
/// rejected week; the first PUT creates the sheet.
#[utoipa::path(
    operation_id = "putTimesheet",
    summary = "Replace the entries of a draft or rejected week (the owner, or time.manage); the first PUT creates the sheet",
    params(("week_start" = String, Path, format = Date, description = "the week's first day")),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[put("/timesheets/{user_id}/{week_start}")]
async fn replace(
    me: ApiUser,
    path: web::Path<(i64, String)>,
    body: web::Json<ReplaceBody>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, raw) = path.into_inner();
    let week_start = parse_week(&raw)?;
    let (access, actor) = (me.access.clone(), me.actor());
    let body = body.into_inner();
    let cells: Vec<CellInput> = body
        .entries
        .into_iter()
        .enumerate()
        .map(|(i, e)| CellInput {
            key: format!("entries[{i}]"),
            project_id: e.project_id,
            date: e.date,
            minutes: e.minutes,
            note: e.note.unwrap_or_default(),
        })
        .collect();
    let week = me
        .db()
        .write(move |conn| {
            let version = body.version;
            timesheet::save_as(
                conn, &access, &actor, user_id, week_start, version, &cells, false,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(week_json(&week)))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = Transition)]
struct TransitionBody {
    /// Refuse if the week changed since.
    version: Option<i64>,
    /// Approve or reject one project's part.
    project_id: Option<i64>,
    /// Required to reject and to reopen.
    reason: Option<String>,
}

async fn transition(
    me: ApiUser,
    id: i64,
    body: OptionalJson<TransitionBody>,
    action: Action,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let input = ActionInput {
        version: body.version,
        project_id: body.project_id,
        reason: body.reason.unwrap_or_default(),
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let week = me
        .db()
        .write(move |conn| approval::act(conn, &actor, &access, id, action, &input))
        .await?;
    Ok(HttpResponse::Ok().json(week_json(&week)))
}

/// `POST /timesheets/{id}/submit` (the owner).
#[utoipa::path(
    operation_id = "submitTimesheet",
    summary = "Submit a draft or rejected week (the owner)",
    request_body(content = TransitionBody, description = "May be left out"),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[post("/timesheets/{id}/submit")]
async fn submit(
    me: ApiUser,
    id: web::Path<i64>,
    body: OptionalJson<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    transition(me, id.into_inner(), body, Action::Submit).await
}

/// `POST /timesheets/{id}/withdraw` (the owner, before any decision).
#[utoipa::path(
    operation_id = "withdrawTimesheet",
    summary = "Take a submitted week back before any decision (the owner)",
    request_body(content = TransitionBody, description = "May be left out"),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[post("/timesheets/{id}/withdraw")]
async fn withdraw(
    me: ApiUser,
    id: web::Path<i64>,
    body: OptionalJson<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    transition(me, id.into_inner(), body, Action::Withdraw).await
}

/// `POST /timesheets/{id}/approve`: every part the caller may decide, or the
/// part of `project_id`.
#[utoipa::path(
    operation_id = "approveTimesheet",
    summary = "Approve every part you may decide, or the part of project_id",
    request_body(content = TransitionBody, description = "May be left out"),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[post("/timesheets/{id}/approve")]
async fn approve(
    me: ApiUser,
    id: web::Path<i64>,
    body: OptionalJson<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    transition(me, id.into_inner(), body, Action::Approve).await
}

/// `POST /timesheets/{id}/reject` with `{reason, project_id?}`.
#[utoipa::path(
    operation_id = "rejectTimesheet",
    summary = "Reject with a reason (required); one rejection rejects the week",
    request_body(content = TransitionBody, description = "May be left out"),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[post("/timesheets/{id}/reject")]
async fn reject(
    me: ApiUser,
    id: web::Path<i64>,
    body: OptionalJson<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    transition(me, id.into_inner(), body, Action::Reject).await
}

/// `POST /timesheets/{id}/reopen` with `{reason}` (`time.manage`).
#[utoipa::path(
    operation_id = "reopenTimesheet",
    summary = "Reopen an approved week with a reason (time.manage at the owner's home org)",
    request_body(content = TransitionBody, description = "May be left out"),
    responses((status = 200, description = "The week", body = WeekJson)),
)]
#[post("/timesheets/{id}/reopen")]
async fn reopen(
    me: ApiUser,
    id: web::Path<i64>,
    body: OptionalJson<TransitionBody>,
) -> Result<HttpResponse, ApiError> {
    transition(me, id.into_inner(), body, Action::Reopen).await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ApprovalsQuery {
    /// One project's parts.
    #[param(value_type = Option<i64>)]
    project_id: Option<String>,
    /// Members of one team.
    #[param(value_type = Option<i64>)]
    team_id: Option<String>,
    /// People at home in this org and below.
    #[param(value_type = Option<i64>)]
    org_id: Option<String>,
    /// One week.
    #[param(format = Date)]
    week_start: Option<String>,
    /// `oldest` (submitted longest ago first, the default) or `newest`.
    sort: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// A decision waiting in the caller's inbox.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = PendingApproval)]
struct PendingJson {
    timesheet_id: i64,
    part_id: i64,
    user_id: i64,
    user_name: String,
    user_email: String,
    user_org_id: i64,
    #[schema(value_type = String, format = Date)]
    week_start: NaiveDate,
    project_id: Option<i64>,
    project_name: Option<String>,
    minutes: i64,
    version: i64,
    #[schema(format = DateTime)]
    submitted_at: Option<String>,
}

impl TryFrom<&ApprovalsQuery> for PendingFilter {
    type Error = Error;

    /// The filter the query asks for, or every field it cannot read.
    fn try_from(query: &ApprovalsQuery) -> Result<Self, Error> {
        let mut errors = FieldErrors::new();
        let sort = match approval::Sort::parse(query.sort.as_deref().unwrap_or_default()) {
            Some(sort) => sort,
            None => {
                errors.add("sort", "sort must be oldest or newest.");
                approval::Sort::default()
            }
        };
        let filter = PendingFilter {
            project_id: query_id(&mut errors, "project_id", &query.project_id),
            team_id: query_id(&mut errors, "team_id", &query.team_id),
            org_id: query_id(&mut errors, "org_id", &query.org_id),
            week_start: query_date(&mut errors, "week_start", &query.week_start),
            week_of: None,
            sort,
        };
        errors.into_result()?;
        Ok(filter)
    }
}

impl From<PendingItem> for PendingJson {
    fn from(i: PendingItem) -> Self {
        PendingJson {
            timesheet_id: i.timesheet_id,
            part_id: i.part_id,
            user_id: i.user_id,
            user_name: i.user_name,
            user_email: i.user_email,
            user_org_id: i.user_org_id,
            week_start: i.week_start,
            project_id: i.project_id,
            project_name: i.project_name,
            minutes: i.minutes,
            version: i.version,
            submitted_at: i.submitted_at.map(time),
        }
    }
}

/// `GET /approvals?project_id=&team_id=&org_id=&week_start=&sort=`: pending
/// items the caller may decide, paged and counted in SQL (`domain::inbox`).
/// `org_id` keeps people at home in that org and below; `sort` is `oldest`
/// (submitted longest ago first, the default) or `newest`.
#[utoipa::path(
    operation_id = "listApprovals",
    summary = "Pending items you may decide",
    params(PageQuery),
    responses((status = 200, description = "A page of pending items", body = ListBody<PendingJson>)),
)]
#[get("/approvals")]
async fn approvals(
    me: ApiUser,
    query: web::Query<ApprovalsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let filter = PendingFilter::try_from(&*query)?;
    let access = me.access.clone();
    let (items, total) = me
        .db()
        .read(move |conn| {
            if filter
                .org_id
                .is_some_and(|o| !access.can(crate::authz::Permission::OrgView, o))
            {
                // An org they may not see keeps nothing, as one with nobody.
                return Ok((Vec::new(), 0));
            }
            let approver = Approver::load(conn, &access)?;
            let offset = super::list::offset(page, per_page);
            crate::domain::inbox::page(conn, &approver, &filter, offset, i64::from(per_page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody {
        items: items.into_iter().map(PendingJson::from).collect::<Vec<_>>(),
        page,
        per_page,
        total: usize::try_from(total).unwrap_or(0),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NotificationsQuery {
    /// Only unread ones.
    #[param(value_type = Option<bool>)]
    unread: Option<String>,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// A notification as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Notification)]
struct NotificationJson {
    id: i64,
    kind: String,
    title: String,
    body: String,
    link: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    read_at: Option<String>,
}

/// A page of notifications, with how many are unread in all.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NotificationList)]
struct NotificationListJson {
    items: Vec<NotificationJson>,
    page: u32,
    per_page: u32,
    total: i64,
    unread: i64,
}

/// The answer to marking notifications read.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = NotificationsRead)]
struct ReadJson {
    marked_read: usize,
    unread: i64,
}

impl NotificationJson {
    fn of(n: &notification::Notification) -> Self {
        NotificationJson {
            id: n.id,
            kind: n.kind.to_string(),
            title: n.title.clone(),
            body: n.body.clone(),
            link: n.link.clone(),
            created_at: time(n.created_at),
            read_at: n.read_at.map(time),
        }
    }
}

/// `GET /notifications?unread=true`: the caller's own, newest first.
#[utoipa::path(
    operation_id = "listNotifications",
    summary = "Your notifications, newest first",
    params(PageQuery),
    responses((status = 200, description = "A page of notifications", body = NotificationListJson)),
)]
#[get("/notifications")]
async fn notifications(
    me: ApiUser,
    query: web::Query<NotificationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let unread_only = match query.unread.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(FieldErrors::single("unread", "unread must be true or false.").into());
        }
    };
    let access = me.access.clone();
    let (items, total, unread) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            let (items, total) =
                notification::list(conn, &access, unread_only, offset, i64::from(per_page))?;
            Ok((items, total, notification::unread_count(conn, &access)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(NotificationListJson {
        items: items.iter().map(NotificationJson::of).collect(),
        page,
        per_page,
        total,
        unread,
    }))
}

#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
#[schema(as = NotificationsReadBody)]
struct ReadBody {
    /// These; none means all.
    ids: Option<Vec<i64>>,
}

/// `POST /notifications/read` with `{ids?}`: marks some, or all, read.
#[utoipa::path(
    operation_id = "readNotifications",
    summary = "Mark some (ids) or all of your notifications read",
    request_body(content = ReadBody, description = "May be left out: all"),
    responses((status = 200, description = "How many were marked, and how many stay unread", body = ReadJson)),
)]
#[post("/notifications/read")]
async fn read_notifications(
    me: ApiUser,
    body: OptionalJson<ReadBody>,
) -> Result<HttpResponse, ApiError> {
    let ids = body.into_inner().ids;
    let (user_id, access) = (me.user.id, me.access.clone());
    let (changed, unread) = me
        .db()
        .write(move |conn| {
            let changed = notification::mark_read(conn, user_id, ids.as_deref())?;
            Ok((changed, notification::unread_count(conn, &access)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReadJson {
        marked_read: changed,
        unread,
    }))
}
