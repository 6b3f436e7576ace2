//! The weekly grid page: what it shows, read through the resolver, and how
//! it is built from the stored week and what the person typed.

use std::collections::{BTreeSet, HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::authz::Permission;
use crate::db::{Conn, schema::users};
use crate::domain::approval::{self, Approver};
use crate::domain::assignment;
use crate::domain::project::{self, ProjectStatus};
use crate::domain::timesheet::{self, PartStatus, SheetStatus, Week, hours, weekday_name};
use crate::error::{Error, FieldErrors};
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render};

use super::saving::added_project;

/// One cell of the grid as shown.
struct Cell {
    date: NaiveDate,
    hours: String,
    note: String,
    error: Option<String>,
}

struct Row {
    project_id: i64,
    label: String,
    cells: Vec<Cell>,
    total: String,
}

struct Day {
    date: NaiveDate,
    label: String,
    total: String,
    error: Option<String>,
}

struct PartView {
    label: String,
    status: String,
    hours: String,
    decided_by: String,
    reason: String,
    mine: bool,
}

struct HistoryView {
    at: String,
    who: String,
    what: String,
    change: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "timesheets/sheet.html")]
struct SheetPage {
    layout: Layout,
    owner_id: i64,
    owner_name: String,
    own: bool,
    week_start: NaiveDate,
    week_end: NaiveDate,
    prev: Option<NaiveDate>,
    next: Option<NaiveDate>,
    sheet_id: Option<i64>,
    status: SheetStatus,
    version: i64,
    rejection_reason: Option<String>,
    days: Vec<Day>,
    rows: Vec<Row>,
    row_ids: String,
    week_total: String,
    /// Today, whose column is marked (`aria-current="date"`).
    today: NaiveDate,
    editable: bool,
    can_submit: bool,
    can_withdraw: bool,
    can_decide: bool,
    can_reopen: bool,
    add_choices: Vec<(i64, String)>,
    parts: Vec<PartView>,
    history: Vec<HistoryView>,
    errors: FieldErrors,
    message: Option<String>,
    problem: Option<String>,
    unsaved: Vec<String>,
    /// Why time cannot be entered before anyone types: no seat, none left.
    seat_notice: Option<String>,
}

/// What the person typed, kept to show again after an error.
#[derive(Default)]
pub(super) struct Typed {
    pub(super) rows: Vec<i64>,
    pub(super) cells: HashMap<(i64, NaiveDate), (String, String)>,
}

/// How the page should come out beyond the stored week.
#[derive(Default)]
pub(super) struct Outcome {
    pub(super) typed: Option<Typed>,
    pub(super) errors: FieldErrors,
    pub(super) message: Option<String>,
    pub(super) problem: Option<String>,
    pub(super) unsaved: Vec<String>,
    pub(super) extra_rows: Vec<i64>,
}

pub(super) struct Loaded {
    pub(super) week: Week,
    pub(super) approver: Approver,
    pub(super) names: HashMap<i64, String>,
    pub(super) projects: HashMap<i64, String>,
    pub(super) assignable: Vec<(i64, String)>,
    pub(super) seat_notice: Option<String>,
}

/// Reads everything the page shows, deciding visibility through the resolver.
pub(super) fn load(
    conn: &mut Conn,
    me: &crate::authz::Access,
    user_id: i64,
    week: NaiveDate,
) -> crate::error::Result<Loaded> {
    let (week, approver) = approval::visible_week(conn, me, user_id, week)?;
    let mut people: Vec<i64> = week.history.iter().filter_map(|c| c.actor_id).collect();
    people.extend(week.parts.iter().filter_map(|p| p.decided_by));
    let names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(people))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    // Projects the owner may log on this week (for new rows), and the names of
    // every project the sheet mentions.
    let days = week.days();
    let mut assignable: Vec<(i64, String)> = Vec::new();
    for (a, p) in assignment::overlapping(conn, week.user.id, days[0], days[6])? {
        let label = format!("{} ({})", p.name, p.code);
        if p.status == ProjectStatus::Active
            && !assignable.iter().any(|(id, _)| *id == a.project_id)
        {
            assignable.push((a.project_id, label));
        }
    }
    let mut ids: Vec<i64> = week.entries.iter().map(|e| e.project_id).collect();
    ids.extend(week.parts.iter().filter_map(|p| p.project_id));
    ids.extend(week.history.iter().filter_map(|c| c.project_id));
    let projects: HashMap<i64, String> = project::find_many(conn, &ids)?
        .into_iter()
        .map(|p| (p.id, format!("{} ({})", p.name, p.code)))
        .chain(assignable.iter().cloned())
        .collect();
    let seat_notice = crate::domain::seats::entry_notice(conn, &week.user)?;
    Ok(Loaded {
        week,
        approver,
        names,
        projects,
        assignable,
        seat_notice,
    })
}

use diesel::prelude::*;

/// Minutes as the grid shows them in an input: "7.5", "" for none.
fn cell_hours(minutes: i32) -> String {
    if minutes == 0 {
        return String::new();
    }
    let h = f64::from(minutes) / 60.0;
    let text = format!("{h:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Reads "7.5", "7,5" or "7:30" as minutes; "" is none.
pub(super) fn parse_hours(raw: &str) -> Result<i64, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(0);
    }
    let bad = || "Enter hours like 7.5 or 7:30.".to_string();
    if let Some((h, m)) = text.split_once(':') {
        let h: i64 = h.trim().parse().map_err(|_| bad())?;
        let m: i64 = m.trim().parse().map_err(|_| bad())?;
        if !(0..60).contains(&m) || h < 0 {
            return Err(bad());
        }
        return Ok(h * 60 + m);
    }
    let h: f64 = text.replace(',', ".").parse().map_err(|_| bad())?;
    if !h.is_finite() || h.abs() > 1000.0 {
        return Err(bad());
    }
    Ok((h * 60.0).round() as i64)
}

pub(super) fn cell_key(project_id: i64, date: NaiveDate) -> String {
    format!("cell-{project_id}-{date}")
}

pub(super) fn build_page(
    me: &SignedIn,
    loaded: Loaded,
    outcome: Outcome,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let Loaded {
        week,
        approver,
        names,
        projects,
        assignable,
        seat_notice,
    } = loaded;
    let days = week.days();
    let own = week.user.id == me.user.id;
    let editable = week.status().is_editable() && approval::may_edit(&me.access, &week.user);
    let stored: HashMap<(i64, NaiveDate), (i32, String)> = week
        .entries
        .iter()
        .map(|e| ((e.project_id, e.entry_date), (e.minutes, e.note.clone())))
        .collect();
    let mut row_ids: Vec<i64> = Vec::new();
    let mut push = |id: i64| {
        if !row_ids.contains(&id) {
            row_ids.push(id);
        }
    };
    week.entries.iter().for_each(|e| push(e.project_id));
    if let Some(t) = &outcome.typed {
        t.rows.iter().for_each(|id| push(*id));
    }
    outcome.extra_rows.iter().for_each(|id| push(*id));
    let label = |id: i64| {
        projects
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Project #{id}"))
    };
    let mut day_totals = [0i64; 7];
    let rows: Vec<Row> = row_ids
        .iter()
        .map(|&pid| {
            let mut total = 0i64;
            let cells = days
                .iter()
                .enumerate()
                .map(|(i, &date)| {
                    let (m, n) = stored.get(&(pid, date)).cloned().unwrap_or_default();
                    total += i64::from(m);
                    day_totals[i] += i64::from(m);
                    let (hours_text, note) = match outcome
                        .typed
                        .as_ref()
                        .and_then(|t| t.cells.get(&(pid, date)))
                    {
                        Some((h, n)) => (h.clone(), n.clone()),
                        None => (cell_hours(m), n),
                    };
                    let key = cell_key(pid, date);
                    let error = ["minutes", "date", "project_id", "note", "hours"]
                        .iter()
                        .find_map(|f| outcome.errors.get(&format!("{key}.{f}")))
                        .map(str::to_string);
                    Cell {
                        date,
                        hours: hours_text,
                        note,
                        error,
                    }
                })
                .collect();
            Row {
                project_id: pid,
                label: label(pid),
                cells,
                total: hours(total),
            }
        })
        .collect();
    let day_views = days
        .iter()
        .enumerate()
        .map(|(i, &date)| Day {
            date,
            label: format!(
                "{} {}",
                &weekday_name(chrono::Datelike::weekday(&date))[..3],
                date.format("%d %b")
            ),
            total: hours(day_totals[i]),
            error: outcome
                .errors
                .get(&format!("day.{date}"))
                .map(str::to_string),
        })
        .collect();
    let parts: Vec<PartView> = week
        .parts
        .iter()
        .map(|p| PartView {
            label: p
                .project_id
                .map_or("Team approval (whole week)".into(), &label),
            status: p.status.to_string(),
            hours: hours(i64::from(p.minutes)),
            decided_by: p
                .decided_by
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_default(),
            reason: p.reason.clone().unwrap_or_default(),
            mine: p.status == PartStatus::Pending
                && approver.may_decide(&week.user, week.week_start, p),
        })
        .collect();
    let history: Vec<HistoryView> = week
        .history
        .iter()
        .map(|c| HistoryView {
            at: c.at.format("%Y-%m-%d %H:%M").to_string(),
            who: c
                .actor_id
                .and_then(|u| names.get(&u).cloned())
                .unwrap_or_else(|| "system".into()),
            what: match (c.project_id, c.entry_date) {
                (Some(p), Some(d)) => format!("{} · {d}", label(p)),
                (Some(p), None) => format!("{} · {}", label(p), c.change),
                _ => c.change.to_string(),
            },
            change: format!(
                "{} → {}",
                c.old_value.clone().unwrap_or_else(|| "—".into()),
                c.new_value.clone().unwrap_or_else(|| "—".into())
            ),
            reason: c.reason.clone().unwrap_or_default(),
        })
        .collect();
    let sheet = week.sheet.as_ref();
    let status_now = week.status();
    let can_decide = parts.iter().any(|p| p.mine);
    let row_set: HashSet<i64> = row_ids.iter().copied().collect();
    let page = SheetPage {
        layout: me.ctx.layout(
            format!("{} · week of {}", week.user.display_name, week.week_start),
            "timesheets",
        )?,
        owner_id: week.user.id,
        owner_name: week.user.display_name.clone(),
        own,
        week_start: week.week_start,
        week_end: days[6],
        prev: timesheet::week_from(week.week_start, -1),
        next: timesheet::week_from(week.week_start, 1),
        sheet_id: sheet.map(|s| s.id),
        status: status_now,
        version: week.version(),
        rejection_reason: sheet.and_then(|s| s.rejection_reason.clone()),
        days: day_views,
        row_ids: row_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(","),
        rows,
        week_total: hours(week.total()),
        today: crate::db::now().date(),
        editable,
        can_submit: editable && own,
        can_withdraw: own
            && status_now == SheetStatus::Submitted
            && week.parts.iter().all(|p| p.decided_by.is_none()),
        can_decide,
        can_reopen: status_now == SheetStatus::Approved
            && me.access.can(Permission::TimeManage, week.user.org_id),
        add_choices: assignable
            .into_iter()
            .filter(|(id, _)| !row_set.contains(id))
            .collect(),
        parts,
        history,
        errors: outcome.errors,
        message: outcome.message,
        problem: outcome.problem,
        unsaved: outcome.unsaved,
        seat_notice: seat_notice.filter(|_| editable),
    };
    Ok(render(status, &page))
}

/// The week in the path; a malformed or out-of-range one is a 400 saying why.
pub(super) fn parse_week(raw: &str) -> Result<NaiveDate, Error> {
    crate::domain::validate::date(raw, "The week's first day").map_err(Error::BadRequest)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    /// Comma-separated project ids to show as (empty) rows.
    rows: String,
    add: String,
    copy: String,
}

/// `GET /timesheets/{user_id}/{week_start}`: the grid. `?copy=1` fills in last
/// week's projects as rows; `?add=ID` adds one (nothing is stored until saved).
#[get("/timesheets/{user_id}/{week_start}")]
pub(super) async fn show(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let (user_id, raw) = path.into_inner();
    let week = parse_week(&raw)?;
    let access = me.access.clone();
    let copy = !query.copy.is_empty();
    let (loaded, copied) = me
        .db()
        .read(move |conn| {
            let loaded = load(conn, &access, user_id, week)?;
            let copied = match copy {
                true => last_weeks_projects(conn, &loaded, week)?,
                false => BTreeSet::new(),
            };
            Ok((loaded, copied))
        })
        .await?;
    let outcome = extra_rows(&query, &loaded.assignable, &copied, copy);
    let status = crate::web::error::status_for(&outcome.errors);
    build_page(&me, loaded, outcome, status)
}

/// The projects of the owner's week before `week` (none for the first week).
fn last_weeks_projects(
    conn: &mut Conn,
    loaded: &Loaded,
    week: NaiveDate,
) -> crate::error::Result<BTreeSet<i64>> {
    Ok(match timesheet::week_from(week, -1) {
        Some(last) => timesheet::load_week(conn, &loaded.week.user, last)?
            .entries
            .iter()
            .map(|e| e.project_id)
            .collect(),
        None => BTreeSet::new(),
    })
}

/// The rows asked for beyond the saved ones (`rows`, `add`, last week's
/// `copied`), only projects that may take time now; the rest are named in a
/// message.
fn extra_rows(
    query: &ShowQuery,
    assignable_rows: &[(i64, String)],
    copied: &BTreeSet<i64>,
    copy: bool,
) -> Outcome {
    let mut extra_rows: Vec<i64> = query
        .rows
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let assignable: HashSet<i64> = assignable_rows.iter().map(|(id, _)| *id).collect();
    extra_rows.retain(|id| assignable.contains(id));
    // The project to add, as typed: its label, code or id among the owner's
    // assignments; anything else answers one message (nothing is told of
    // projects elsewhere).
    let mut errors = FieldErrors::new();
    let add = query.add.trim();
    if !add.is_empty() {
        match added_project(assignable_rows, add) {
            Some(id) => extra_rows.push(id),
            None => errors.add(
                "add",
                "No project you may log time on this week has this code or name.",
            ),
        }
    }
    let skipped = copied.iter().filter(|p| !assignable.contains(p)).count();
    extra_rows.extend(copied.iter().filter(|p| assignable.contains(p)));
    let message = copy.then(|| match (copied.len(), skipped) {
        (0, _) => "Last week has no rows to copy.".to_string(),
        (_, 0) => "Last week's projects are filled in; enter hours and save.".to_string(),
        (_, n) => format!(
            "Last week's projects are filled in; {n} you are no longer assigned to were left out."
        ),
    });
    Outcome {
        extra_rows,
        message,
        errors,
        ..Outcome::default()
    }
}
