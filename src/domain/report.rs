//! Reports (SPEC 6): every one limited to what the viewer may see, filtered by
//! org subtree, period, project, team and user, aggregated in SQL.
//!
//! How a report is scoped (`scope`): the projects under the chosen org (the
//! closure table), minus the subtrees where the resolver says the viewer may
//! not read reports (privacy borders, other tenants), plus projects granted
//! on themselves, all as SQL conditions; no entry is looked at in Rust to
//! decide what may be seen. People-shaped reports (employee overview, missing
//! timesheets) take the people at home in that same scope.
//!
//! How a report is read: [`prepare`] checks the filters and plans the report;
//! the plan then answers one page ([`Prepared::page`]: `LIMIT`/`OFFSET` and
//! the row count in SQL for the one-statement reports, `sql`) or walks every
//! row in order for a download ([`Prepared::for_each`], read row by row from
//! the database, never held whole). Reports that need Rust between the SQL
//! and the table (`computed`) are at most a row per person and week; the
//! team reports (`teams`) take their totals from per-team sums and read the
//! entries of the teams on the page.
//!
//! The SQL is assembled with `format!` from values this module typed itself
//! (integers and `NaiveDate`s), never from text a person sent; each backend gets
//! its own month expression and nothing else differs.

mod computed;
pub mod missing;
pub mod period;
mod plans;
mod rows;
pub mod scope;
mod sql;
mod teams;
mod walk;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::authz::{Access, Permission};
use crate::db::{Conn, schema::users};
use crate::domain::timesheet;
use crate::domain::user;
use crate::error::{Error, FieldErrors, Result};
use scope::SqlScope;

/// Every report, by what it shows. Each one is planned by one function:
/// a statement (`plans`) or Rust between statements (`computed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    MonthlyByProject,
    QuarterlyByProject,
    Entries,
    EmployeeOverview,
    ProjectHours,
    TeamHours,
    TeamProjectsUsers,
    OrgRollup,
    MissingTimesheets,
}

/// Every report: its name in URLs and its title, in the order of [`Kind`]
/// (the reports page lists them in this order).
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

impl Kind {
    /// Every kind, in the order of [`REPORTS`].
    pub const ALL: [Kind; 9] = [
        Kind::MonthlyByProject,
        Kind::QuarterlyByProject,
        Kind::Entries,
        Kind::EmployeeOverview,
        Kind::ProjectHours,
        Kind::TeamHours,
        Kind::TeamProjectsUsers,
        Kind::OrgRollup,
        Kind::MissingTimesheets,
    ];

    /// The report named `name` in a URL.
    pub fn from_name(name: &str) -> Option<Kind> {
        let at = REPORTS.iter().position(|(n, _)| *n == name)?;
        Kind::ALL.get(at).copied()
    }

    pub fn name(self) -> &'static str {
        REPORTS[self as usize].0
    }

    pub fn title(self) -> &'static str {
        REPORTS[self as usize].1
    }

    /// The columns (the CSV header, the JSON `columns`).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Kind::MonthlyByProject => &["user", "month", "project_code", "project", "hours"],
            Kind::QuarterlyByProject => &["user", "quarter", "project_code", "project", "hours"],
            Kind::Entries => &[
                "date",
                "user",
                "project_code",
                "project",
                "hours",
                "note",
                "status",
            ],
            Kind::ProjectHours => &[
                "project_code",
                "project",
                "user",
                "month",
                "hours",
                "budget_hours",
                "project_hours",
            ],
            Kind::EmployeeOverview => &["user", "week_start", "status", "hours"],
            Kind::TeamHours => &["team", "user", "week_start", "hours"],
            Kind::TeamProjectsUsers => &["team", "project_code", "project", "user", "hours"],
            Kind::OrgRollup => &["org", "org_code", "hours"],
            Kind::MissingTimesheets => &["week_start", "user", "email", "org", "state"],
        }
    }

    /// The columns' headings on the pages, in order (the CSV and the API keep
    /// the names of [`Kind::columns`]).
    pub fn column_labels(self) -> Vec<&'static str> {
        self.columns().iter().map(|c| column_label(c)).collect()
    }

    /// The column the chart's bars are grouped by.
    fn chart_by(self) -> &'static str {
        match self {
            Kind::MonthlyByProject => "month",
            Kind::QuarterlyByProject => "quarter",
            Kind::TeamHours | Kind::MissingTimesheets => "week_start",
            Kind::OrgRollup => "org",
            Kind::EmployeeOverview => "status",
            Kind::Entries | Kind::ProjectHours | Kind::TeamProjectsUsers => "project_code",
        }
    }

    /// Whether the chart counts rows rather than sums minutes.
    fn chart_counts(self) -> bool {
        self == Kind::MissingTimesheets
    }

    /// Plans the report under a checked filter and scope.
    fn plan(self, conn: &mut Conn, access: &Access, f: &Filter, scope: &SqlScope) -> Result<Body> {
        use plans::Period;
        let sources = || plans::Sources::new(f, scope);
        let plan = |p: sql::Plan| Ok(Body::Sql(Box::new(p)));
        let rows = |(rows, chart): computed::Table| Ok(Body::Rows { rows, chart });
        match self {
            Kind::MonthlyByProject => {
                plan(plans::by_period(conn, &sources(), scope, Period::Month))
            }
            Kind::QuarterlyByProject => {
                plan(plans::by_period(conn, &sources(), scope, Period::Quarter))
            }
            Kind::Entries => plan(plans::entries(f, &sources(), scope)),
            Kind::ProjectHours => plan(plans::project_hours(conn, f, &sources(), scope)),
            Kind::EmployeeOverview => plan(plans::employee_overview(f, scope)),
            Kind::TeamHours => team_report(conn, access, f, scope, true),
            Kind::TeamProjectsUsers => team_report(conn, access, f, scope, false),
            Kind::OrgRollup => rows(computed::org_rollup(conn, access, f, scope)?),
            Kind::MissingTimesheets => rows(missing::report(conn, f, scope)?),
        }
    }
}

/// A team report from the per-team sums when they can answer it, else
/// computed whole.
fn team_report(
    conn: &mut Conn,
    access: &Access,
    f: &Filter,
    scope: &SqlScope,
    weekly: bool,
) -> Result<Body> {
    Ok(match teams::prepare(conn, access, f, scope, weekly)? {
        Some(plan) => Body::Teams(Box::new(plan)),
        None => {
            let (rows, chart) = teams::whole(conn, access, f, scope, weekly)?;
            Body::Rows { rows, chart }
        }
    })
}

/// A column's heading on the pages ("Budget (hours)" for `budget_hours`).
pub fn column_label(column: &str) -> &'static str {
    match column {
        "user" => "Person",
        "month" => "Month",
        "quarter" => "Quarter",
        "project_code" => "Project code",
        "project" => "Project",
        "hours" => "Hours",
        "date" => "Date",
        "note" => "Note",
        "status" | "state" => "State",
        "budget_hours" => "Budget (hours)",
        "project_hours" => "Project total (hours)",
        "week_start" => "Week of",
        "team" => "Team",
        "org" => "Organization",
        "org_code" => "Organization code",
        "email" => "Email",
        _ => "Value",
    }
}

/// The chart's title ("Hours by project"), from what it counts and the
/// column its bars group by.
pub fn chart_title(counts: impl std::borrow::Borrow<bool>, by: &str) -> String {
    let counts = *counts.borrow();
    let by = match by {
        "project_code" => "project",
        "week_start" => "week",
        "user" => "person",
        "org" => "organization",
        "status" => "state",
        other => other,
    };
    if counts {
        format!("Missing timesheets by {by}")
    } else {
        format!("Hours by {by}")
    }
}

/// The title of the report named `name` in a URL.
pub fn title_of(name: &str) -> Option<&'static str> {
    Kind::from_name(name).map(Kind::title)
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
        let (month_start, month_end) = period::default_period(today);
        let from = date(&mut errors, "from", &self.from).unwrap_or(month_start);
        let to = date(&mut errors, "to", &self.to).unwrap_or(month_end);
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
            None => access.highest(Permission::ReportView).or_else(|| {
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

/// How a checked report is read.
enum Body {
    /// One statement: pages and downloads read it from the database.
    Sql(Box<sql::Plan>),
    /// A team report whose totals the per-team sums give: a page reads the
    /// teams it shows.
    Teams(Box<teams::Plan>),
    /// Computed whole (at most a row per person and week).
    Rows {
        rows: Vec<Vec<Cell>>,
        chart: Vec<(String, i64)>,
    },
}

/// A report whose filters are checked, ready to be read a page at a time or
/// walked whole.
pub struct Prepared {
    pub name: &'static str,
    pub title: &'static str,
    pub columns: &'static [&'static str],
    /// True when the chart counts rather than sums minutes.
    pub chart_counts: bool,
    /// The column the chart's bars are grouped by.
    pub chart_by: &'static str,
    /// What the viewer may see under the filter, as SQL.
    pub scope: scope::SqlScope,
    body: Body,
}

/// One page of a report, with what the whole report adds up to.
pub struct ReportPage {
    pub rows: Vec<Vec<Cell>>,
    /// Rows in the whole report.
    pub total_rows: usize,
    /// The page shown (a page past the end shows the last one).
    pub page: usize,
    /// The whole report's chart bars.
    pub chart: Vec<(String, i64)>,
    /// The whole report's hours, when it has an hours column.
    pub total_minutes: Option<i64>,
}

/// Checks report `name` for `access` under `f` (project, team and person
/// filters answer 422 when unknown or not the viewer's) and plans it.
/// Unknown names are not found.
pub fn prepare(conn: &mut Conn, access: &Access, name: &str, f: &Filter) -> Result<Prepared> {
    let kind = Kind::from_name(name).ok_or(Error::NotFound)?;
    let scope = scope::build(conn, access, f)?;
    let body = kind.plan(conn, access, f, &scope)?;
    Ok(Prepared {
        name: kind.name(),
        title: kind.title(),
        columns: kind.columns(),
        chart_counts: kind.chart_counts(),
        chart_by: kind.chart_by(),
        scope,
        body,
    })
}

impl Prepared {
    /// Page `page` (from 1) of `per_page` rows; past the end is the last page.
    pub fn page(&self, conn: &mut Conn, page: usize, per_page: usize) -> Result<ReportPage> {
        let has_hours = self.columns.contains(&"hours");
        match &self.body {
            Body::Sql(plan) => {
                let (chart, counted) = plan.chart_counted(conn)?;
                let (rows, total, page) =
                    crate::domain::paging::fetch(page, per_page, |offset, limit| {
                        plan.page(conn, offset, limit, counted)
                    })?;
                let total_minutes = has_hours.then(|| chart.iter().map(|(_, m)| m).sum());
                Ok(ReportPage {
                    rows,
                    total_rows: total,
                    page,
                    chart,
                    total_minutes,
                })
            }
            Body::Teams(plan) => {
                let (rows, total, page) =
                    crate::domain::paging::fetch(page, per_page, |offset, limit| {
                        Ok((plan.page(conn, offset, limit)?, plan.total_rows()))
                    })?;
                Ok(ReportPage {
                    rows,
                    total_rows: total,
                    page,
                    chart: plan.chart.clone(),
                    total_minutes: Some(plan.total_minutes),
                })
            }
            Body::Rows { rows, chart } => {
                let (shown, total, page) =
                    crate::domain::paging::fetch(page, per_page, |offset, limit| {
                        let start = usize::try_from(offset).unwrap_or(usize::MAX);
                        let shown = rows
                            .iter()
                            .skip(start)
                            .take(usize::try_from(limit).unwrap_or(0))
                            .cloned()
                            .collect();
                        Ok((shown, rows.len() as i64))
                    })?;
                let hours = self.columns.iter().position(|c| *c == "hours");
                let total_minutes = hours.map(|col| {
                    rows.iter()
                        .map(|r| match r.get(col) {
                            Some(Cell::Hours(m)) => *m,
                            _ => 0,
                        })
                        .sum()
                });
                Ok(ReportPage {
                    rows: shown,
                    total_rows: total,
                    page,
                    chart: chart.clone(),
                    total_minutes,
                })
            }
        }
    }

    /// Every row in order, handed to `each` as it is read; an error from
    /// `each` (the client went away) stops the walk.
    pub fn for_each(
        &self,
        conn: &mut Conn,
        each: &mut dyn FnMut(Vec<Cell>) -> Result<()>,
    ) -> Result<()> {
        match &self.body {
            Body::Sql(plan) => plan.for_each(conn, each),
            Body::Teams(plan) => plan.for_each(conn, each),
            Body::Rows { rows, .. } => {
                for r in rows {
                    each(r.clone())?;
                }
                Ok(())
            }
        }
    }
}

/// Runs report `name` whole (benchmarks and tests; pages and downloads read
/// a page or a row at a time).
pub fn run(conn: &mut Conn, access: &Access, name: &str, f: &Filter) -> Result<Report> {
    let prepared = prepare(conn, access, name, f)?;
    let mut rows = Vec::new();
    prepared.for_each(conn, &mut |r| {
        rows.push(r);
        Ok(())
    })?;
    let chart = match &prepared.body {
        Body::Sql(plan) => plan.chart(conn)?,
        Body::Teams(plan) => plan.chart.clone(),
        Body::Rows { chart, .. } => chart.clone(),
    };
    Ok(Report {
        name: prepared.name,
        title: prepared.title,
        columns: prepared.columns.to_vec(),
        rows,
        chart,
        chart_counts: prepared.chart_counts,
        chart_by: prepared.chart_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_answers_to_its_own_name_and_nothing_else_does() {
        assert_eq!(Kind::ALL.len(), REPORTS.len());
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            assert!(!kind.title().is_empty());
            assert!(kind.columns().contains(&kind.chart_by()));
            assert!(!kind.column_labels().contains(&"Value"), "{kind:?}");
        }
        for unknown in ["", "Entries", "entries ", "team_hours", "../entries"] {
            assert_eq!(Kind::from_name(unknown), None, "{unknown:?}");
        }
    }
}
