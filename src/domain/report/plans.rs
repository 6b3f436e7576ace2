//! One function per report that is a single statement (see `sql`): each
//! builds its [`Plan`] from the statement parts every report shares
//! ([`Sources`]).

use chrono::Datelike;

use super::scope::SqlScope;
use super::sql::{
    PerRow, Plan, Shape, month, monthly_source, people_first, projects_in_code_order, quarter,
};
use super::walk::DayWalk;
use crate::db::Conn;
use crate::domain::report::Filter;

/// The `FROM … WHERE` parts the statement reports share.
pub(super) struct Sources {
    /// Every entry of the period in scope (`te`, `p`, `u`).
    entries: String,
    /// The same sums, from the monthly totals where whole months allow
    /// (`te` rows are a month, project and person each then).
    monthly: String,
    /// The monthly source alone, for joins of its own.
    source: String,
    /// How many months the totals alone span (`None` when days of a month
    /// come from the entries).
    total_months: Option<u32>,
    /// The chart's sums, which name no person: the people are joined only
    /// when the filter names them.
    chart_from: String,
}

impl Sources {
    pub(super) fn new(f: &Filter, scope: &SqlScope) -> Sources {
        let entries = format!(
            "FROM time_entries te JOIN projects p ON p.id = te.project_id \
             JOIN users u ON u.id = te.user_id \
             WHERE te.entry_date BETWEEN '{}' AND '{}' AND {}{}",
            f.from, f.to, scope.projects, scope.people
        );
        let (source, total_months) = monthly_source(f.from, f.to);
        let monthly = format!(
            "FROM {source} te JOIN projects p ON p.id = te.project_id \
             JOIN users u ON u.id = te.user_id WHERE {}{}",
            scope.projects, scope.people
        );
        let chart_from = if scope.people.is_empty() {
            format!(
                "FROM {source} te JOIN projects p ON p.id = te.project_id WHERE {}",
                scope.projects
            )
        } else {
            monthly.clone()
        };
        Sources {
            entries,
            monthly,
            source,
            total_months,
            chart_from,
        }
    }
}

/// The length of period a by-period report sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Period {
    Month,
    Quarter,
}

/// `monthly-by-project` and `quarterly-by-project`: a person's hours per
/// period and project.
pub(super) fn by_period(conn: &Conn, s: &Sources, scope: &SqlScope, by: Period) -> Plan {
    let period = match by {
        Period::Month => month(conn),
        Period::Quarter => quarter(conn),
    };
    // Totals alone, by month (or one month by quarter): each total is a row
    // already, so no GROUP BY, and the rows are counted apart instead of by
    // a window over every row.
    let one_row_each = match s.total_months {
        Some(1) => true,
        Some(_) => by == Period::Month,
        None => false,
    };
    let select = |minutes: &str| {
        format!(
            "u.display_name AS user_name, {period} AS period, p.code AS project_code, \
             p.name AS project_name, {minutes} AS minutes"
        )
    };
    let (chart_from, monthly) = (&s.chart_from, &s.monthly);
    let chart = format!(
        "SELECT {period} AS label, SUM(te.minutes) AS minutes {chart_from} GROUP BY {period} ORDER BY 1"
    );
    let order = "user_name, u.id, period, project_code, p.id".to_string();
    if one_row_each {
        Plan {
            shape: Shape::ByPeriod,
            select: select("CAST(te.minutes AS BIGINT)"),
            rest: monthly.clone(),
            order,
            chart,
            count: Some(format!("SELECT COUNT(*) AS n {chart_from}")),
            walk: None,
            by_person: Some(format!(
                "FROM users u {} {} te ON te.user_id = u.id \
                 JOIN projects p ON p.id = te.project_id WHERE {}{}",
                people_first(conn),
                s.source,
                scope.projects,
                scope.people
            )),
            per_row: None,
        }
    } else {
        Plan {
            shape: Shape::ByPeriod,
            select: select("SUM(te.minutes)"),
            rest: format!(
                "{monthly} GROUP BY u.id, u.display_name, {period}, p.id, p.code, p.name"
            ),
            order,
            chart,
            count: None,
            walk: None,
            by_person: None,
            per_row: None,
        }
    }
}

/// `entries`: every entry of the period, read a day at a time.
pub(super) fn entries(f: &Filter, s: &Sources, scope: &SqlScope) -> Plan {
    let (chart_from, monthly) = (&s.chart_from, &s.monthly);
    Plan {
        shape: Shape::Entry,
        select: "te.entry_date AS entry_date, u.display_name AS user_name, \
                 p.code AS project_code, p.name AS project_name, te.minutes AS minutes, \
                 te.note AS note, ts.status AS status"
            .into(),
        rest: s.entries.replacen(
            "JOIN users u",
            "JOIN timesheets ts ON ts.id = te.timesheet_id JOIN users u",
            1,
        ),
        order: "te.entry_date, u.display_name, u.id, p.code, te.id".into(),
        // The bars carry their entries too: every entry has its sheet, so
        // the monthly counts add up to the rows, and the page needs no
        // second pass over the totals to count them.
        chart: format!(
            "SELECT p.code AS label, SUM(te.minutes) AS minutes, \
             CAST(SUM(te.entries) AS BIGINT) AS rows_in {chart_from} GROUP BY p.code ORDER BY 1"
        ),
        count: Some(format!(
            "SELECT CAST(COALESCE(SUM(te.entries), 0) AS BIGINT) AS n {monthly}"
        )),
        walk: Some(DayWalk {
            from: f.from,
            to: f.to,
            scope: format!("{}{}", scope.projects, scope.people),
            people: !scope.people.is_empty(),
        }),
        by_person: None,
        per_row: None,
    }
}

/// `project-hours`: each project's hours by person and month, beside its
/// budget and its whole period's hours.
pub(super) fn project_hours(conn: &Conn, f: &Filter, s: &Sources, scope: &SqlScope) -> Plan {
    let month = month(conn);
    let (chart_from, monthly, source) = (&s.chart_from, &s.monthly, &s.source);
    let chart = format!(
        "SELECT p.code AS label, SUM(te.minutes) AS minutes {chart_from} GROUP BY p.code ORDER BY 1"
    );
    // The totals alone answer whole months, from `f.from` to the month
    // `f.to` ends.
    let whole_months = s
        .total_months
        .and_then(|_| Some((f.from, f.to.with_day(1)?)));
    match whole_months {
        // Each monthly total is one row already (project, person, month), so
        // the projects are walked in code order (`projects_code`) and a page
        // reads about its own rows; the project's hours are summed for the
        // page's rows alone.
        Some((first, last)) if scope.people.is_empty() => Plan {
            shape: Shape::ProjectHours,
            select: format!(
                "p.id AS project_id, u.id AS user_id, p.code AS project_code, \
                 p.name AS project_name, u.display_name AS user_name, {month} AS period, \
                 CAST(te.minutes AS BIGINT) AS minutes, p.budget_minutes AS budget_minutes"
            ),
            rest: format!(
                "FROM {} {} {source} te ON te.project_id = p.id \
                 JOIN users u ON u.id = te.user_id WHERE {}",
                projects_in_code_order(conn),
                people_first(conn),
                scope.projects
            ),
            order: "project_code, p.id, user_name, u.id, period".into(),
            chart,
            count: Some(format!("SELECT COUNT(*) AS n {chart_from}")),
            walk: None,
            by_person: None,
            per_row: Some(PerRow {
                values: format!(
                    "SELECT x.project_id AS of_project, \
                     CAST(SUM(x.minutes) AS BIGINT) AS project_minutes \
                     FROM entry_month_totals x WHERE x.month BETWEEN '{first}' AND '{last}' \
                     AND {{rows}} GROUP BY x.project_id"
                ),
                of_page: "x.project_id IN (SELECT project_id FROM o)".into(),
                on: "s.of_project = o.project_id".into(),
                order: "o.project_code, o.project_id, o.user_name, o.user_id, o.period".into(),
            }),
        },
        _ => Plan {
            shape: Shape::ProjectHours,
            select: format!(
                "p.code AS project_code, p.name AS project_name, u.display_name AS user_name, \
                 {month} AS period, SUM(te.minutes) AS minutes, p.budget_minutes AS budget_minutes, \
                 CAST(SUM(SUM(te.minutes)) OVER (PARTITION BY p.id) AS BIGINT) AS project_minutes"
            ),
            rest: format!(
                "{monthly} GROUP BY p.id, p.code, p.name, p.budget_minutes, u.id, u.display_name, {month}"
            ),
            order: "project_code, p.id, user_name, u.id, period".into(),
            chart,
            count: None,
            walk: None,
            by_person: None,
            per_row: None,
        },
    }
}

/// `employee-overview`: each person's weeks of the period, their state and
/// hours.
pub(super) fn employee_overview(f: &Filter, scope: &SqlScope) -> Plan {
    let sheets = format!(
        "FROM timesheets ts JOIN users u ON u.id = ts.user_id \
         LEFT JOIN time_entries te ON te.timesheet_id = ts.id \
         WHERE ts.week_start BETWEEN '{}' AND '{}' AND {}{}",
        f.from, f.to, scope.homes, scope.people
    );
    Plan {
        shape: Shape::Overview,
        select: "u.display_name AS user_name, ts.week_start AS week_start, \
                 ts.status AS status, COALESCE(SUM(te.minutes), 0) AS minutes"
            .into(),
        rest: format!("{sheets} GROUP BY ts.id, u.id, u.display_name, ts.week_start, ts.status"),
        order: "user_name, u.id, week_start".into(),
        chart: format!(
            "SELECT ts.status AS label, COALESCE(SUM(te.minutes), 0) AS minutes {sheets} \
             GROUP BY ts.status ORDER BY 1"
        ),
        count: None,
        walk: None,
        by_person: None,
        per_row: None,
    }
}
