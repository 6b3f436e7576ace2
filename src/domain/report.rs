//! Reports (SPEC 6): every one limited to what the viewer may see, filtered by
//! org subtree, period, project, team and user, aggregated in SQL.
//!
//! How a report is scoped: the projects under the chosen org (one join on the
//! closure table) are filtered through the resolver (`report.view` at the
//! project's org, or on the project itself), and only their ids reach the
//! aggregating SQL, so privacy borders and other tenants hold without a single
//! entry being looked at in Rust. People-shaped reports (employee overview,
//! missing timesheets) take the people at home in the subtree whose home org the
//! viewer holds `report.view` at.
//!
//! The SQL is assembled with `format!` from values this module typed itself
//! (integers and `NaiveDate`s), never from text a person sent; each backend gets
//! its own month expression and nothing else differs.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Text};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::authz::{Access, Permission};
use crate::db::{
    AnyConnection, Conn,
    schema::{org_closure, orgs, project_assignments, projects, team_members, teams, users},
};
use crate::domain::timesheet::{self, SheetStatus};
use crate::domain::user;
use crate::error::{Error, FieldErrors, Result};

/// Every report: its name in URLs and its title.
pub const REPORTS: &[(&str, &str)] = &[
    ("monthly-by-project", "Employee: monthly summary by project"),
    (
        "quarterly-by-project",
        "Employee: quarterly summary by project",
    ),
    ("entries", "Employee: timesheet entries"),
    (
        "employee-overview",
        "Employee overview: weeks and their states",
    ),
    (
        "project-hours",
        "Project: hours by user by month, budget against actual",
    ),
    ("team-hours", "Team: hours of members by week"),
    ("team-projects-users", "Team: projects and users"),
    ("org-rollup", "Organizations: hours by child organization"),
    ("missing-timesheets", "Missing timesheets"),
];

pub fn title_of(name: &str) -> Option<&'static str> {
    REPORTS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// The longest period a report covers.
pub const MAX_DAYS: i64 = 5 * 366;

/// Filters as typed (query strings): all optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct FilterInput {
    pub org_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub project_id: Option<String>,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    pub org_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub project_id: Option<i64>,
    pub team_id: Option<i64>,
    pub user_id: Option<i64>,
}

impl FilterInput {
    /// Checks the filters; the org defaults to the highest one where the viewer
    /// may read reports, the period to this month.
    pub fn parse(&self, access: &Access, today: NaiveDate) -> Result<Filter> {
        use crate::domain::validate::{query_date as date, query_id as id};
        let mut errors = FieldErrors::new();
        let org_id = id(&mut errors, "org_id", &self.org_id);
        let project_id = id(&mut errors, "project_id", &self.project_id);
        let team_id = id(&mut errors, "team_id", &self.team_id);
        let user_id = id(&mut errors, "user_id", &self.user_id);
        let month_start = today.with_day(1).unwrap_or(today);
        let from = date(&mut errors, "from", &self.from).unwrap_or(month_start);
        let to = date(&mut errors, "to", &self.to).unwrap_or_else(|| {
            (month_start + Duration::days(32))
                .with_day(1)
                .unwrap_or(today)
                - Duration::days(1)
        });
        if to < from {
            errors.add("to", "The end of the period cannot be before its start.");
        } else if (to - from).num_days() > MAX_DAYS {
            errors.add("to", "A report covers at most 5 years.");
        }
        let org_id = match org_id {
            Some(o) if access.can(Permission::ReportView, o) => Some(o),
            Some(_) => {
                // Unknown and not-yours read the same.
                errors.add("org_id", "There is no such organization among yours.");
                None
            }
            None => access
                .snapshot
                .visible_orgs_shared(access.user_id, Permission::ReportView)
                .first()
                .copied()
                .or_else(|| {
                    errors.add("org_id", "You may not read reports of any organization.");
                    None
                }),
        };
        errors.into_result()?;
        Ok(Filter {
            org_id: org_id.ok_or_else(|| Error::internal("org checked above"))?,
            from,
            to,
            project_id,
            team_id,
            user_id,
        })
    }
}

/// One value of a report.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Date(NaiveDate),
    /// Minutes, shown as hours with two decimals.
    Hours(i64),
    Count(i64),
}

impl Cell {
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Date(d) => d.to_string(),
            Cell::Hours(m) => timesheet::hours(*m),
            Cell::Count(n) => n.to_string(),
        }
    }

    pub fn json(&self) -> Value {
        match self {
            Cell::Text(t) => json!(t),
            Cell::Date(d) => json!(d.to_string()),
            Cell::Hours(m) => json!((*m as f64 / 60.0 * 100.0).round() / 100.0),
            Cell::Count(n) => json!(n),
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Cell::Hours(_) | Cell::Count(_))
    }
}

/// A finished report: a table, and the totals a chart draws.
#[derive(Clone, Debug)]
pub struct Report {
    pub name: &'static str,
    pub title: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Bars: a label and its value (minutes, or a count for missing sheets).
    pub chart: Vec<(String, i64)>,
    /// True when `chart` counts rather than sums minutes.
    pub chart_counts: bool,
    /// The column the chart's bars are grouped by.
    pub chart_by: &'static str,
}

impl Report {
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "columns": self.columns,
            "rows": self.rows.iter().map(|r| r.iter().map(Cell::json).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })
    }

    pub fn to_csv(&self) -> Result<String> {
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(&self.columns).map_err(Error::internal)?;
        for row in &self.rows {
            out.write_record(row.iter().map(Cell::display))
                .map_err(Error::internal)?;
        }
        String::from_utf8(out.into_inner().map_err(Error::internal)?).map_err(Error::internal)
    }

    /// The sum of the report's hours column, if it has one.
    pub fn total_minutes(&self) -> Option<i64> {
        let col = self.columns.iter().position(|c| *c == "hours")?;
        Some(
            self.rows
                .iter()
                .map(|r| match r.get(col) {
                    Some(Cell::Hours(m)) => *m,
                    _ => 0,
                })
                .sum(),
        )
    }
}

/// A visible project in the report's scope.
#[derive(Clone, Debug)]
struct ScopeProject {
    id: i64,
    code: String,
    name: String,
    budget_minutes: Option<i64>,
}

/// What the viewer may see under the filter: projects, and (when the filter
/// names a team or a user) the people whose time counts.
struct Scope {
    projects: Vec<ScopeProject>,
    people: Option<Vec<i64>>,
}

fn scope(conn: &mut Conn, access: &Access, f: &Filter) -> Result<Scope> {
    let mut query = projects::table
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(projects::org_id)))
        .filter(org_closure::ancestor_id.eq(f.org_id))
        .into_boxed();
    if let Some(p) = f.project_id {
        query = query.filter(projects::id.eq(p));
    }
    let rows: Vec<(i64, i64, String, String, Option<i64>)> = query
        .select((
            projects::id,
            projects::org_id,
            projects::code,
            projects::name,
            projects::budget_minutes,
        ))
        .load(conn)?;
    let projects: Vec<ScopeProject> = rows
        .into_iter()
        .filter(|(id, org, ..)| {
            access.can(Permission::ReportView, *org)
                || access.can_project(Permission::ReportView, *id)
        })
        .map(|(id, _, code, name, budget_minutes)| ScopeProject {
            id,
            code,
            name,
            budget_minutes,
        })
        .collect();
    if let Some(p) = f.project_id
        && !projects.iter().any(|sp| sp.id == p)
    {
        return Err(FieldErrors::single(
            "project_id",
            "There is no such project in this organization's reports.",
        ));
    }
    let mut people: Option<Vec<i64>> = None;
    if let Some(t) = f.team_id {
        let team_org: Option<i64> = teams::table
            .find(t)
            .select(teams::org_id)
            .first(conn)
            .optional()?;
        let visible = team_org.is_some_and(|o| {
            access.can(Permission::TeamView, o) || access.can(Permission::ReportView, o)
        });
        if !visible {
            return Err(FieldErrors::single(
                "team_id",
                "There is no such team among yours.",
            ));
        }
        people = Some(
            team_members::table
                .filter(team_members::team_id.eq(t))
                .select(team_members::user_id)
                .load(conn)?,
        );
    }
    if let Some(u) = f.user_id {
        if !known_person(conn, access, u)? {
            return Err(FieldErrors::single(
                "user_id",
                "There is no such person among yours.",
            ));
        }
        people = Some(match people {
            Some(members) => members.into_iter().filter(|m| *m == u).collect(),
            None => vec![u],
        });
    }
    Ok(Scope { projects, people })
}

/// May the viewer name this person in a report filter? Those they see
/// (`Access::sees_user`) and those at home where they read reports (the
/// people the form offers). Anyone else answers exactly like an id that
/// names no one: the same 422 and message, so the filter counts nobody.
fn known_person(conn: &mut Conn, access: &Access, user_id: i64) -> Result<bool> {
    let home: Option<i64> = users::table
        .find(user_id)
        .select(users::org_id)
        .first(conn)
        .optional()?;
    Ok(match home {
        None => false,
        Some(h) if access.can(Permission::ReportView, h) => true,
        Some(_) => user::visible_ids(conn, access, &[user_id])?.contains(&user_id),
    })
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

fn month_expr(conn: &Conn) -> &'static str {
    match conn {
        AnyConnection::Postgresql(_) => "to_char(te.entry_date, 'YYYY-MM')",
        AnyConnection::Sqlite(_) => "substr(te.entry_date, 1, 7)",
    }
}

/// Runs `sql_for(where_clause)` once per chunk of visible projects (so no
/// statement grows past the backends' limits) and gathers the rows.
fn per_chunk<T>(
    conn: &mut Conn,
    f: &Filter,
    scope: &Scope,
    sql_for: impl Fn(&str) -> String,
) -> Result<Vec<T>>
where
    T: QueryableByName<diesel::sqlite::Sqlite> + QueryableByName<diesel::pg::Pg> + 'static,
{
    let mut out = Vec::new();
    let people = match &scope.people {
        Some(p) if p.is_empty() => return Ok(out),
        Some(p) => format!(" AND te.user_id IN ({})", id_list(p)),
        None => String::new(),
    };
    let ids: Vec<i64> = scope.projects.iter().map(|p| p.id).collect();
    for chunk in ids.chunks(2000) {
        let filter = format!(
            "te.entry_date BETWEEN '{}' AND '{}' AND te.project_id IN ({}){people}",
            f.from,
            f.to,
            id_list(chunk)
        );
        let sql = sql_for(&filter);
        let rows: Vec<T> =
            crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str()).load::<T>(c))?;
        out.extend(rows);
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct ByMonth {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    project_id: i64,
    #[diesel(sql_type = Text)]
    month: String,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

#[derive(QueryableByName)]
struct ByDay {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    project_id: i64,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = Date)]
    entry_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    project_id: i64,
    #[diesel(sql_type = Integer)]
    minutes: i32,
    #[diesel(sql_type = Text)]
    note: String,
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct ByOrg {
    #[diesel(sql_type = BigInt)]
    org_id: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

fn by_month(conn: &mut Conn, f: &Filter, scope: &Scope) -> Result<Vec<ByMonth>> {
    let month = month_expr(conn);
    per_chunk(conn, f, scope, |w| {
        format!(
            "SELECT te.user_id AS user_id, te.project_id AS project_id, {month} AS month, \
             SUM(te.minutes) AS minutes FROM time_entries te WHERE {w} \
             GROUP BY te.user_id, te.project_id, {month}"
        )
    })
}

fn by_day(conn: &mut Conn, f: &Filter, scope: &Scope) -> Result<Vec<ByDay>> {
    per_chunk(conn, f, scope, |w| {
        format!(
            "SELECT te.user_id AS user_id, te.project_id AS project_id, te.entry_date AS day, \
             SUM(te.minutes) AS minutes FROM time_entries te WHERE {w} \
             GROUP BY te.user_id, te.project_id, te.entry_date"
        )
    })
}

fn names_of(conn: &mut Conn, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, String>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(2000) {
        out.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select((users::id, users::display_name))
                .load::<(i64, String)>(conn)?,
        );
    }
    Ok(out)
}

fn quarter_of(month: &str) -> String {
    let (year, m) = month.split_once('-').unwrap_or((month, "01"));
    let q = (m.parse::<u32>().unwrap_or(1) - 1) / 3 + 1;
    format!("{year}-Q{q}")
}

/// Totals per label, in label order, for the chart.
fn chart_by(rows: &[Vec<Cell>], label: usize, value: usize) -> Vec<(String, i64)> {
    let mut sums: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        let v = match r.get(value) {
            Some(Cell::Hours(m) | Cell::Count(m)) => *m,
            _ => 0,
        };
        *sums.entry(r[label].display()).or_default() += v;
    }
    sums.into_iter().collect()
}

/// How a report is wanted: a table in JSON, or CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    /// `json` (or nothing) and `csv`; anything else is a 422 on `format`.
    pub fn parse(raw: Option<&str>, default: Format) -> Result<Format> {
        match raw.map(str::trim) {
            None | Some("") => Ok(default),
            Some("json") => Ok(Format::Json),
            Some("csv") => Ok(Format::Csv),
            Some(_) => Err(FieldErrors::single("format", "The format is csv or json.")),
        }
    }
}

/// Columns, rows and chart bars, as each report builds them.
type Table = (Vec<&'static str>, Vec<Vec<Cell>>, Vec<(String, i64)>);

/// Someone a people-shaped report is about.
struct Person {
    id: i64,
    name: String,
    email: String,
    org_name: String,
}

/// Runs report `name` for `access` under `f`. Unknown names are not found.
pub fn run(conn: &mut Conn, access: &Access, name: &str, f: &Filter) -> Result<Report> {
    let (name, title) = REPORTS
        .iter()
        .find(|(n, _)| *n == name)
        .copied()
        .ok_or(Error::NotFound)?;
    let scope = scope(conn, access, f)?;
    let project = |id: i64| scope.projects.iter().find(|p| p.id == id);
    let mut chart_counts = false;
    let (columns, rows, chart): Table = match name {
        "monthly-by-project" | "quarterly-by-project" => {
            let quarterly = name == "quarterly-by-project";
            let mut sums: BTreeMap<(String, String, String), (String, i64)> = BTreeMap::new();
            let data = by_month(conn, f, &scope)?;
            let names = names_of(conn, data.iter().map(|r| r.user_id))?;
            for r in data {
                let Some(p) = project(r.project_id) else {
                    continue;
                };
                let period = if quarterly {
                    quarter_of(&r.month)
                } else {
                    r.month
                };
                let user = names.get(&r.user_id).cloned().unwrap_or_default();
                let key = (user, period, p.code.clone());
                sums.entry(key).or_insert_with(|| (p.name.clone(), 0)).1 += r.minutes;
            }
            let rows: Vec<Vec<Cell>> = sums
                .into_iter()
                .map(|((user, period, code), (pname, m))| {
                    vec![
                        Cell::Text(user),
                        Cell::Text(period),
                        Cell::Text(code),
                        Cell::Text(pname),
                        Cell::Hours(m),
                    ]
                })
                .collect();
            let chart = chart_by(&rows, 1, 4);
            let period = if quarterly { "quarter" } else { "month" };
            (
                vec!["user", period, "project_code", "project", "hours"],
                rows,
                chart,
            )
        }
        "entries" => {
            let data: Vec<EntryRow> = per_chunk(conn, f, &scope, |w| {
                format!(
                    "SELECT te.entry_date AS entry_date, te.user_id AS user_id, te.project_id AS project_id, \
                     te.minutes AS minutes, te.note AS note, ts.status AS status \
                     FROM time_entries te JOIN timesheets ts ON ts.id = te.timesheet_id WHERE {w}"
                )
            })?;
            let names = names_of(conn, data.iter().map(|r| r.user_id))?;
            let mut rows: Vec<(NaiveDate, String, String, Vec<Cell>)> = data
                .into_iter()
                .filter_map(|r| {
                    let p = project(r.project_id)?;
                    let user = names.get(&r.user_id).cloned().unwrap_or_default();
                    Some((
                        r.entry_date,
                        user.clone(),
                        p.code.clone(),
                        vec![
                            Cell::Date(r.entry_date),
                            Cell::Text(user),
                            Cell::Text(p.code.clone()),
                            Cell::Text(p.name.clone()),
                            Cell::Hours(i64::from(r.minutes)),
                            Cell::Text(r.note),
                            Cell::Text(r.status),
                        ],
                    ))
                })
                .collect();
            rows.sort_by(|a, b| (a.0, &a.1, &a.2).cmp(&(b.0, &b.1, &b.2)));
            let rows: Vec<Vec<Cell>> = rows.into_iter().map(|r| r.3).collect();
            let chart = chart_by(&rows, 2, 4);
            (
                vec![
                    "date",
                    "user",
                    "project_code",
                    "project",
                    "hours",
                    "note",
                    "status",
                ],
                rows,
                chart,
            )
        }
        "project-hours" => {
            let data = by_month(conn, f, &scope)?;
            let names = names_of(conn, data.iter().map(|r| r.user_id))?;
            let mut per_project: HashMap<i64, i64> = HashMap::new();
            for r in &data {
                *per_project.entry(r.project_id).or_default() += r.minutes;
            }
            let mut sums: BTreeMap<(String, String, String), (i64, i64)> = BTreeMap::new();
            for r in data {
                let Some(p) = project(r.project_id) else {
                    continue;
                };
                let user = names.get(&r.user_id).cloned().unwrap_or_default();
                sums.entry((p.code.clone(), user, r.month))
                    .or_insert((p.id, 0))
                    .1 += r.minutes;
            }
            let rows: Vec<Vec<Cell>> = sums
                .into_iter()
                .filter_map(|((code, user, month), (pid, m))| {
                    let p = project(pid)?;
                    Some(vec![
                        Cell::Text(code),
                        Cell::Text(p.name.clone()),
                        Cell::Text(user),
                        Cell::Text(month),
                        Cell::Hours(m),
                        p.budget_minutes
                            .map_or(Cell::Text(String::new()), Cell::Hours),
                        Cell::Hours(per_project.get(&pid).copied().unwrap_or(0)),
                    ])
                })
                .collect();
            let chart = chart_by(&rows, 0, 4);
            (
                vec![
                    "project_code",
                    "project",
                    "user",
                    "month",
                    "hours",
                    "budget_hours",
                    "project_hours",
                ],
                rows,
                chart,
            )
        }
        "team-hours" | "team-projects-users" => {
            let teams = teams_in_scope(conn, access, f)?;
            let mut rows: Vec<Vec<Cell>> = Vec::new();
            for (team_name, members) in teams {
                let team_scope = Scope {
                    projects: scope.projects.clone(),
                    people: Some(match &scope.people {
                        Some(p) => members.iter().copied().filter(|m| p.contains(m)).collect(),
                        None => members,
                    }),
                };
                let data = by_day(conn, f, &team_scope)?;
                let names = names_of(conn, data.iter().map(|r| r.user_id))?;
                if name == "team-hours" {
                    let starts = week_starts(conn, data.iter().map(|r| r.user_id))?;
                    let mut sums: BTreeMap<(String, NaiveDate), i64> = BTreeMap::new();
                    for r in data {
                        let start = starts
                            .get(&r.user_id)
                            .copied()
                            .unwrap_or(chrono::Weekday::Mon);
                        let week = timesheet::week_start_of(r.day, start);
                        let user = names.get(&r.user_id).cloned().unwrap_or_default();
                        *sums.entry((user, week)).or_default() += r.minutes;
                    }
                    rows.extend(sums.into_iter().map(|((user, week), m)| {
                        vec![
                            Cell::Text(team_name.clone()),
                            Cell::Text(user),
                            Cell::Date(week),
                            Cell::Hours(m),
                        ]
                    }));
                } else {
                    let mut sums: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
                    for r in data {
                        let Some(p) = project(r.project_id) else {
                            continue;
                        };
                        let user = names.get(&r.user_id).cloned().unwrap_or_default();
                        sums.entry((p.code.clone(), user)).or_insert((p.id, 0)).1 += r.minutes;
                    }
                    rows.extend(sums.into_iter().filter_map(|((code, user), (pid, m))| {
                        Some(vec![
                            Cell::Text(team_name.clone()),
                            Cell::Text(code),
                            Cell::Text(project(pid)?.name.clone()),
                            Cell::Text(user),
                            Cell::Hours(m),
                        ])
                    }));
                }
            }
            if name == "team-hours" {
                let chart = chart_by(&rows, 2, 3);
                (vec!["team", "user", "week_start", "hours"], rows, chart)
            } else {
                let chart = chart_by(&rows, 1, 4);
                (
                    vec!["team", "project_code", "project", "user", "hours"],
                    rows,
                    chart,
                )
            }
        }
        "org-rollup" => {
            let data: Vec<ByOrg> = per_chunk(conn, f, &scope, |w| {
                format!(
                    "SELECT p.org_id AS org_id, SUM(te.minutes) AS minutes FROM time_entries te \
                     JOIN projects p ON p.id = te.project_id WHERE {w} GROUP BY p.org_id"
                )
            })?;
            // Each org's hours go to the child of the chosen org that holds it
            // (or to the chosen org itself).
            let tree = access.snapshot.tree();
            let mut sums: HashMap<i64, i64> = HashMap::new();
            for r in data {
                let path = tree.path(r.org_id);
                let at = path.iter().position(|o| *o == f.org_id);
                let bucket = at
                    .and_then(|i| path.get(i + 1))
                    .copied()
                    .unwrap_or(f.org_id);
                *sums.entry(bucket).or_default() += r.minutes;
            }
            let ids: Vec<i64> = sums.keys().copied().collect();
            let mut named: Vec<(String, String, i64, bool)> = orgs::table
                .filter(orgs::id.eq_any(&ids))
                .select((orgs::id, orgs::name, orgs::code))
                .load::<(i64, String, String)>(conn)?
                .into_iter()
                .map(|(id, name, code)| {
                    (
                        name,
                        code,
                        sums.get(&id).copied().unwrap_or(0),
                        id == f.org_id,
                    )
                })
                .collect();
            named.sort_by(|a, b| (!a.3, &a.0).cmp(&(!b.3, &b.0)));
            let rows: Vec<Vec<Cell>> = named
                .into_iter()
                .map(|(name, code, m, own)| {
                    let label = if own {
                        format!("{name} (itself)")
                    } else {
                        name
                    };
                    vec![Cell::Text(label), Cell::Text(code), Cell::Hours(m)]
                })
                .collect();
            let chart = chart_by(&rows, 0, 2);
            (vec!["org", "org_code", "hours"], rows, chart)
        }
        "employee-overview" => {
            let people = people_in_scope(conn, access, f, &scope)?;
            let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
            let sheets = sheets_in(conn, &ids, f.from, f.to)?;
            let names: HashMap<i64, String> =
                people.iter().map(|p| (p.id, p.name.clone())).collect();
            let mut rows: Vec<Vec<Cell>> = sheets
                .into_iter()
                .map(|(user, week, status, minutes)| {
                    vec![
                        Cell::Text(names.get(&user).cloned().unwrap_or_default()),
                        Cell::Date(week),
                        Cell::Text(status),
                        Cell::Hours(minutes),
                    ]
                })
                .collect();
            rows.sort_by_key(|r| (r[0].display(), r[1].display()));
            let chart = chart_by(&rows, 2, 3);
            (vec!["user", "week_start", "status", "hours"], rows, chart)
        }
        "missing-timesheets" => {
            chart_counts = true;
            let rows = missing(conn, access, f, &scope)?;
            let mut chart: BTreeMap<String, i64> = BTreeMap::new();
            for r in &rows {
                *chart.entry(r[0].display()).or_default() += 1;
            }
            (
                vec!["week_start", "user", "email", "org", "state"],
                rows,
                chart.into_iter().collect(),
            )
        }
        _ => return Err(Error::NotFound),
    };
    let chart_by = match name {
        "monthly-by-project" => "month",
        "quarterly-by-project" => "quarter",
        "team-hours" | "missing-timesheets" => "week_start",
        "org-rollup" => "org",
        "employee-overview" => "status",
        _ => "project_code",
    };
    Ok(Report {
        name,
        title,
        columns,
        rows,
        chart,
        chart_counts,
        chart_by,
    })
}

/// Teams under the chosen org (or the one asked for), with their members.
fn teams_in_scope(conn: &mut Conn, access: &Access, f: &Filter) -> Result<Vec<(String, Vec<i64>)>> {
    let mut query = teams::table
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(teams::org_id)))
        .filter(org_closure::ancestor_id.eq(f.org_id))
        .into_boxed();
    if let Some(t) = f.team_id {
        query = query.filter(teams::id.eq(t));
    }
    let found: Vec<(i64, i64, String)> = query
        .order(teams::name_key)
        .select((teams::id, teams::org_id, teams::name))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, org, name) in found {
        if access.can(Permission::TeamView, org) || access.can(Permission::ReportView, org) {
            let members = team_members::table
                .filter(team_members::team_id.eq(id))
                .select(team_members::user_id)
                .load(conn)?;
            out.push((name, members));
        }
    }
    Ok(out)
}

/// Each user's week start day, read once per home org.
fn week_starts(
    conn: &mut Conn,
    user_ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, chrono::Weekday>> {
    let ids: Vec<i64> = user_ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let homes: Vec<(i64, i64)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::org_id))
        .load(conn)?;
    let mut starts = timesheet::WeekStarts::default();
    let mut out = HashMap::new();
    for (user, org) in homes {
        out.insert(user, starts.of(conn, org)?);
    }
    Ok(out)
}

/// People at home under the chosen org whose home org the viewer reads reports
/// of (narrowed by the team or user filter): id, name, email, home org name.
fn people_in_scope(
    conn: &mut Conn,
    access: &Access,
    f: &Filter,
    scope: &Scope,
) -> Result<Vec<Person>> {
    let mut query = users::table
        .inner_join(orgs::table)
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
        .filter(org_closure::ancestor_id.eq(f.org_id))
        .filter(users::status.ne("invited"))
        .into_boxed();
    if let Some(people) = &scope.people {
        query = query.filter(users::id.eq_any(people.clone()));
    }
    let rows: Vec<(i64, String, String, String, i64)> = query
        .order(users::display_name)
        .select((
            users::id,
            users::display_name,
            users::email,
            orgs::name,
            users::org_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| access.can(Permission::ReportView, r.4))
        .map(|(id, name, email, org_name, _)| Person {
            id,
            name,
            email,
            org_name,
        })
        .collect())
}

/// Sheets of `users` with weeks starting in the period: user, week, status, minutes.
fn sheets_in(
    conn: &mut Conn,
    user_ids: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, NaiveDate, String, i64)>> {
    #[derive(QueryableByName)]
    struct SheetRow {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
        #[diesel(sql_type = Date)]
        week_start: NaiveDate,
        #[diesel(sql_type = Text)]
        status: String,
        #[diesel(sql_type = BigInt)]
        minutes: i64,
    }
    let mut out = Vec::new();
    for chunk in user_ids.chunks(2000) {
        let sql = format!(
            "SELECT ts.user_id AS user_id, ts.week_start AS week_start, ts.status AS status, \
             COALESCE(SUM(te.minutes), 0) AS minutes FROM timesheets ts \
             LEFT JOIN time_entries te ON te.timesheet_id = ts.id \
             WHERE ts.user_id IN ({}) AND ts.week_start BETWEEN '{from}' AND '{to}' \
             GROUP BY ts.user_id, ts.week_start, ts.status",
            id_list(chunk)
        );
        let rows: Vec<SheetRow> = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
            .load::<SheetRow>(c))?;
        out.extend(
            rows.into_iter()
                .map(|r| (r.user_id, r.week_start, r.status, r.minutes)),
        );
    }
    Ok(out)
}

/// Past weeks starting in the period (by each person's week start) in which the
/// person was assigned to a project and has no submitted or approved sheet.
fn missing(conn: &mut Conn, access: &Access, f: &Filter, scope: &Scope) -> Result<Vec<Vec<Cell>>> {
    let people = people_in_scope(conn, access, f, scope)?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let starts = week_starts(conn, ids.iter().copied())?;
    let today = crate::db::now().date();
    let mut assignments: HashMap<i64, Vec<(NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    let mut sheets: HashMap<(i64, NaiveDate), String> = HashMap::new();
    for chunk in ids.chunks(2000) {
        for (user, s, e) in project_assignments::table
            .filter(project_assignments::user_id.eq_any(chunk))
            .select((
                project_assignments::user_id,
                project_assignments::start_date,
                project_assignments::end_date,
            ))
            .load::<(i64, NaiveDate, Option<NaiveDate>)>(conn)?
        {
            assignments.entry(user).or_default().push((s, e));
        }
    }
    for (user, week, status, _) in sheets_in(
        conn,
        &ids,
        f.from
            .checked_sub_signed(Duration::days(6))
            .unwrap_or(f.from),
        f.to,
    )? {
        sheets.insert((user, week), status);
    }
    let mut rows = Vec::new();
    for Person {
        id,
        name,
        email,
        org_name: org,
    } in &people
    {
        let start = starts.get(id).copied().unwrap_or(chrono::Weekday::Mon);
        let mut week = timesheet::week_start_of(f.from, start);
        if week < f.from {
            week += Duration::days(7);
        }
        while week <= f.to && week + Duration::days(6) < today {
            let end = week + Duration::days(6);
            let worked = assignments.get(id).is_some_and(|list| {
                list.iter()
                    .any(|(s, e)| *s <= end && e.is_none_or(|e| e >= week))
            });
            let state = sheets.get(&(*id, week)).map(|s| SheetStatus::parse(s));
            if worked && state.is_none_or(SheetStatus::is_editable) {
                rows.push(vec![
                    Cell::Date(week),
                    Cell::Text(name.clone()),
                    Cell::Text(email.clone()),
                    Cell::Text(org.clone()),
                    Cell::Text(state.map_or("missing", SheetStatus::as_str).to_string()),
                ]);
            }
            week += Duration::days(7);
        }
    }
    rows.sort_by_key(|r| (r[0].display(), r[1].display()));
    Ok(rows)
}

/// What the filter form offers under the chosen org: projects, teams and
/// people the viewer may report on (at most 500 of each, by name).
#[derive(Default)]
pub struct Choices {
    pub projects: Vec<(i64, String)>,
    pub teams: Vec<(i64, String)>,
    pub people: Vec<(i64, String)>,
}

pub fn choices(conn: &mut Conn, access: &Access, f: &Filter) -> Result<Choices> {
    let open = Filter {
        project_id: None,
        team_id: None,
        user_id: None,
        ..f.clone()
    };
    let scope = scope(conn, access, &open)?;
    let mut projects: Vec<(i64, String)> = scope
        .projects
        .iter()
        .map(|p| (p.id, format!("{} ({})", p.name, p.code)))
        .collect();
    projects.sort_by(|a, b| a.1.cmp(&b.1));
    projects.truncate(500);
    let found: Vec<(i64, i64, String)> = teams::table
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(teams::org_id)))
        .filter(org_closure::ancestor_id.eq(f.org_id))
        .order(teams::name_key)
        .limit(2000)
        .select((teams::id, teams::org_id, teams::name))
        .load(conn)?;
    let teams = found
        .into_iter()
        .filter(|(_, org, _)| {
            access.can(Permission::TeamView, *org) || access.can(Permission::ReportView, *org)
        })
        .map(|(id, _, name)| (id, name))
        .take(500)
        .collect();
    let people = people_in_scope(conn, access, &open, &scope)?
        .into_iter()
        .take(500)
        .map(|p| (p.id, format!("{} <{}>", p.name, p.email)))
        .collect();
    Ok(Choices {
        projects,
        teams,
        people,
    })
}
