//! The team reports: `team-hours` (a row per team, member and week) and
//! `team-projects-users` (a row per team, project and member), teams in name
//! order, a person counted in each of their teams.
//!
//! A week is a timesheet's week (its `week_start`), counted whole when it
//! overlaps the period: the hours of a week are those its person logged on
//! that sheet, so a week across two months reads the same in both.
//!
//! Work in proportion to the page: when the maintained per-team sums
//! (`team_week_totals`, `team_month_totals`; migration
//! `2026-12-08-000100_team_totals`) can answer the report's row count, chart
//! and hours, [`prepare`] reads only those (a row per team and week, or per
//! team, month and project), and a page reads the entries of the teams it
//! shows. They can when no person filter narrows the members, and
//! - for `team-hours`, when the viewer reads every project's hours (the sums
//!   are per team and week, not per project);
//! - for `team-projects-users`, when the period is one whole month (the sums
//!   are per project, so any project scope applies to them exactly, but a
//!   member counted in two months is one row of a longer period).
//!
//! Otherwise the report is computed whole, in the same fixed number of
//! statements, never one per team or person.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::computed::Table;
use super::scope::{SqlScope, id_list};
use super::{Cell, Filter, chart_by};
use crate::authz::{Access, Permission};
use crate::db::{
    Conn,
    schema::{org_closure, projects, team_members, teams, users},
};
use crate::error::Result;

/// The teams of a report, in order, and what the per-team sums say of them.
pub struct Plan {
    weekly: bool,
    /// The one whole month of the period, when the monthly sums serve.
    month: Option<NaiveDate>,
    filter: Filter,
    scope: SqlScope,
    teams: Vec<(i64, String)>,
    /// Rows of each team, in the order of `teams`.
    rows_per_team: Vec<i64>,
    pub chart: Vec<(String, i64)>,
    pub total_minutes: i64,
}

/// Teams under the chosen org (or the one asked for) the viewer may see, by name.
fn teams_in_scope(conn: &mut Conn, access: &Access, f: &Filter) -> Result<Vec<(i64, String)>> {
    let tree = access.snapshot.tree();
    let mut query = teams::table.into_boxed();
    // At the root every team is under it: no walk of the closure's 100k rows.
    if tree.root() != Some(f.org_id) {
        let under = org_closure::table
            .filter(org_closure::ancestor_id.eq(f.org_id))
            .select(org_closure::descendant_id);
        query = query.filter(teams::org_id.eq_any(under));
    }
    if let Some(t) = f.team_id {
        query = query.filter(teams::id.eq(t));
    }
    let found: Vec<(i64, i64, String)> = query
        .order((teams::name_key, teams::id))
        .select((teams::id, teams::org_id, teams::name))
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter(|(_, org, _)| {
            access.can(Permission::TeamView, *org) || access.can(Permission::ReportView, *org)
        })
        .map(|(id, _, name)| (id, name))
        .collect())
}

/// The first day of the period's month when the period is that whole month.
fn one_whole_month(f: &Filter) -> Option<NaiveDate> {
    let next = (f.from + Duration::days(32)).with_day(1)?;
    (f.from.day() == 1 && f.to == next - Duration::days(1)).then_some(f.from)
}

/// The first week start whose week overlaps the period.
fn first_week(f: &Filter) -> NaiveDate {
    f.from - Duration::days(6)
}

#[derive(QueryableByName)]
struct TeamCount {
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct ProjectBar {
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

#[derive(QueryableByName)]
struct WeekBar {
    #[diesel(sql_type = Date)]
    week: NaiveDate,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

/// Plans a team report from the per-team sums, or `None` when they cannot
/// answer it (see the module's text) and it must be computed whole.
pub fn prepare(
    conn: &mut Conn,
    access: &Access,
    f: &Filter,
    scope: &SqlScope,
    weekly: bool,
) -> Result<Option<Plan>> {
    let month = one_whole_month(f);
    let served = f.user_id.is_none()
        && if weekly {
            scope.every_project
        } else {
            month.is_some()
        };
    if !served {
        return Ok(None);
    }
    let teams = teams_in_scope(conn, access, f)?;
    let ids = if teams.is_empty() {
        "NULL".to_string()
    } else {
        id_list(&teams.iter().map(|t| t.0).collect::<Vec<_>>())
    };
    let (counts, chart) = if let (Some(m), false) = (month, weekly) {
        let from = format!(
            "FROM team_month_totals t JOIN projects p ON p.id = t.project_id \
             WHERE t.month = '{m}' AND t.team_id IN ({ids}) AND {}",
            scope.projects
        );
        let counts = format!(
            "SELECT t.team_id AS team_id, CAST(SUM(t.members) AS BIGINT) AS n {from} GROUP BY t.team_id"
        );
        let bars = format!(
            "SELECT p.code AS label, CAST(SUM(t.minutes) AS BIGINT) AS minutes {from} GROUP BY p.code"
        );
        let bars: Vec<ProjectBar> =
            crate::with_backend!(conn, |c| diesel::sql_query(bars.as_str())
                .load::<ProjectBar>(c))?;
        (
            counts,
            bars.into_iter()
                .map(|b| (b.label, b.minutes))
                .collect::<Vec<_>>(),
        )
    } else {
        let from = format!(
            "FROM team_week_totals t WHERE t.week_start BETWEEN '{}' AND '{}' \
             AND t.team_id IN ({ids})",
            first_week(f),
            f.to
        );
        let counts = format!(
            "SELECT t.team_id AS team_id, CAST(SUM(t.members) AS BIGINT) AS n {from} GROUP BY t.team_id"
        );
        let bars = format!(
            "SELECT t.week_start AS week, CAST(SUM(t.minutes) AS BIGINT) AS minutes {from} GROUP BY t.week_start"
        );
        let bars: Vec<WeekBar> = crate::with_backend!(conn, |c| diesel::sql_query(bars.as_str())
            .load::<WeekBar>(c))?;
        (
            counts,
            bars.into_iter()
                .map(|b| (b.week.to_string(), b.minutes))
                .collect(),
        )
    };
    let counts: Vec<TeamCount> =
        crate::with_backend!(conn, |c| diesel::sql_query(counts.as_str())
            .load::<TeamCount>(c))?;
    let by_team: HashMap<i64, i64> = counts.into_iter().map(|c| (c.team_id, c.n)).collect();
    // In label order, as `chart_by` gives them when the report is computed whole.
    let chart: BTreeMap<String, i64> = chart.into_iter().collect();
    Ok(Some(Plan {
        weekly,
        month: month.filter(|_| !weekly),
        filter: f.clone(),
        scope: scope.clone(),
        rows_per_team: teams
            .iter()
            .map(|t| by_team.get(&t.0).copied().unwrap_or(0))
            .collect(),
        teams,
        total_minutes: chart.values().sum(),
        chart: chart.into_iter().collect(),
    }))
}

impl Plan {
    /// Rows in the whole report.
    pub fn total_rows(&self) -> i64 {
        self.rows_per_team.iter().sum()
    }

    /// Rows `offset..offset + limit`: the entries of the teams that hold
    /// them, and no other team's.
    pub fn page(&self, conn: &mut Conn, offset: i64, limit: i64) -> Result<Vec<Vec<Cell>>> {
        let (mut start, mut first) = (0i64, None);
        let mut last = 0;
        for (at, n) in self.rows_per_team.iter().enumerate() {
            let end = start + n;
            if end > offset && start < offset + limit && *n > 0 {
                if first.is_none() {
                    first = Some((at, start));
                }
                last = at + 1;
            }
            start = end;
        }
        let Some((first, first_start)) = first else {
            return Ok(Vec::new());
        };
        let rows = self.rows_of(conn, first..last)?;
        let skip = usize::try_from(offset - first_start).unwrap_or(0);
        let take = usize::try_from(limit).unwrap_or(0);
        Ok(rows.into_iter().skip(skip).take(take).collect())
    }

    /// Every row in order, a few teams at a time.
    pub fn for_each(
        &self,
        conn: &mut Conn,
        each: &mut dyn FnMut(Vec<Cell>) -> Result<()>,
    ) -> Result<()> {
        const TEAMS_AT_ONCE: usize = 50;
        let mut at = 0;
        while at < self.teams.len() {
            let end = (at + TEAMS_AT_ONCE).min(self.teams.len());
            for row in self.rows_of(conn, at..end)? {
                each(row)?;
            }
            at = end;
        }
        Ok(())
    }

    fn rows_of(&self, conn: &mut Conn, teams: Range<usize>) -> Result<Vec<Vec<Cell>>> {
        let Some(chosen) = self.teams.get(teams) else {
            return Ok(Vec::new());
        };
        let source = match self.month {
            Some(m) => Source::MonthTotals(m),
            None => Source::Entries,
        };
        rows(conn, chosen, &self.filter, &self.scope, self.weekly, source)
    }
}

/// Where a team report's rows are summed from.
#[derive(Clone, Copy)]
enum Source {
    /// The entries of the period (any period).
    Entries,
    /// The monthly totals of one whole month (`team-projects-users` only).
    MonthTotals(NaiveDate),
}

/// `team-hours` or `team-projects-users` computed whole: every team at once.
pub fn whole(
    conn: &mut Conn,
    access: &Access,
    f: &Filter,
    scope: &SqlScope,
    weekly: bool,
) -> Result<Table> {
    let teams = teams_in_scope(conn, access, f)?;
    let rows = rows(conn, &teams, f, scope, weekly, Source::Entries)?;
    let chart = if weekly {
        chart_by(&rows, 2, 3)
    } else {
        chart_by(&rows, 1, 4)
    };
    Ok((rows, chart))
}

#[derive(QueryableByName)]
struct PersonWeek {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Date)]
    week: NaiveDate,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

#[derive(QueryableByName)]
struct PersonProject {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    project_id: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

/// The rows of `teams` (in that order): the members' sums per person (and
/// week or project) in one statement, the memberships in another, joined
/// here. (Joining `team_members` in the statement made SQLite look up every
/// team for every row: seconds to minutes for the root owner's 800 teams.)
fn rows(
    conn: &mut Conn,
    teams: &[(i64, String)],
    f: &Filter,
    scope: &SqlScope,
    weekly: bool,
    source: Source,
) -> Result<Vec<Vec<Cell>>> {
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    let of_user = memberships(conn, teams)?;
    let members = format!(
        "SELECT tm.user_id FROM team_members tm WHERE tm.team_id IN ({})",
        id_list(&teams.iter().map(|t| t.0).collect::<Vec<_>>())
    );
    // The person is joined only when the filter names people (`u.id`).
    let person = |on: &str| {
        if scope.people.is_empty() {
            String::new()
        } else {
            format!(" JOIN users u ON u.id = {on}")
        }
    };
    let team_name = |at: usize| teams.get(at).map(|t| t.1.clone()).unwrap_or_default();
    if weekly {
        let sql = format!(
            "SELECT te.user_id AS user_id, ts.week_start AS week, SUM(te.minutes) AS minutes \
             FROM timesheets ts JOIN time_entries te ON te.timesheet_id = ts.id \
             JOIN projects p ON p.id = te.project_id{} \
             WHERE ts.user_id IN ({members}) AND ts.week_start BETWEEN '{}' AND '{}' \
             AND te.entry_date BETWEEN '{}' AND '{}' \
             AND {}{} GROUP BY te.user_id, ts.week_start",
            person("te.user_id"),
            first_week(f),
            f.to,
            // Implied by the weeks (an entry lies in its sheet's week), and
            // what lets PostgreSQL read a project's entries of the period by
            // `(project_id, entry_date)` rather than all of them (119 → 7 ms
            // for an org admin's team hours).
            first_week(f),
            f.to + Duration::days(6),
            scope.projects,
            scope.people
        );
        let data: Vec<PersonWeek> =
            crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
                .load::<PersonWeek>(c))?;
        let named = people_named(conn, &distinct(data.iter().map(|r| r.user_id).collect()))?;
        let mut sums: BTreeMap<(usize, &str, i64, NaiveDate), i64> = BTreeMap::new();
        for r in &data {
            let Some(user_name) = named.get(&r.user_id) else {
                continue;
            };
            for at in of_user.get(&r.user_id).into_iter().flatten() {
                *sums.entry((*at, user_name, r.user_id, r.week)).or_default() += r.minutes;
            }
        }
        return Ok(sums
            .into_iter()
            .map(|((at, user, _, week), m)| {
                vec![
                    Cell::Text(team_name(at)),
                    Cell::Text(user.to_string()),
                    Cell::Date(week),
                    Cell::Hours(m),
                ]
            })
            .collect());
    }
    let sql = match source {
        Source::MonthTotals(month) => format!(
            "SELECT t.user_id AS user_id, t.project_id AS project_id, t.minutes AS minutes \
             FROM entry_month_totals t JOIN projects p ON p.id = t.project_id \
             WHERE t.user_id IN ({members}) AND t.month = '{month}' AND {}",
            scope.projects
        ),
        Source::Entries => format!(
            "SELECT te.user_id AS user_id, te.project_id AS project_id, SUM(te.minutes) AS minutes \
             FROM time_entries te JOIN projects p ON p.id = te.project_id{} \
             WHERE te.user_id IN ({members}) AND te.entry_date BETWEEN '{}' AND '{}' AND {}{} \
             GROUP BY te.user_id, te.project_id",
            person("te.user_id"),
            f.from,
            f.to,
            scope.projects,
            scope.people
        ),
    };
    let data: Vec<PersonProject> = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
        .load::<PersonProject>(c))?;
    let named = people_named(conn, &distinct(data.iter().map(|r| r.user_id).collect()))?;
    let projects = projects_named(conn, &distinct(data.iter().map(|r| r.project_id).collect()))?;
    // (team, project code, project, person's name, person) → (project name, minutes)
    type Key<'a> = (usize, &'a str, i64, &'a str, i64);
    let mut sums: BTreeMap<Key, (&str, i64)> = BTreeMap::new();
    for r in &data {
        let (Some(user_name), Some((code, name))) =
            (named.get(&r.user_id), projects.get(&r.project_id))
        else {
            continue;
        };
        for at in of_user.get(&r.user_id).into_iter().flatten() {
            sums.entry((*at, code, r.project_id, user_name, r.user_id))
                .or_insert((name, 0))
                .1 += r.minutes;
        }
    }
    Ok(sums
        .into_iter()
        .map(|((at, code, _, user, _), (name, m))| {
            vec![
                Cell::Text(team_name(at)),
                Cell::Text(code.to_string()),
                Cell::Text(name.to_string()),
                Cell::Text(user.to_string()),
                Cell::Hours(m),
            ]
        })
        .collect())
}

/// The name of each of `ids`, read after the sums (so the sums group by ids
/// alone, in the order the indexes read them).
fn people_named(conn: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for (id, name) in users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::display_name))
            .load::<(i64, String)>(conn)?
        {
            out.insert(id, name);
        }
    }
    Ok(out)
}

/// Code and name of each of `ids`.
fn projects_named(conn: &mut Conn, ids: &[i64]) -> Result<HashMap<i64, (String, String)>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for (id, code, name) in projects::table
            .filter(projects::id.eq_any(chunk))
            .select((projects::id, projects::code, projects::name))
            .load::<(i64, String, String)>(conn)?
        {
            out.insert(id, (code, name));
        }
    }
    Ok(out)
}

/// The distinct values of `ids`, sorted.
fn distinct(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The teams (as positions in `teams`) each member of them belongs to.
fn memberships(conn: &mut Conn, teams: &[(i64, String)]) -> Result<HashMap<i64, Vec<usize>>> {
    let at: HashMap<i64, usize> = teams
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let ids: Vec<i64> = teams.iter().map(|(id, _)| *id).collect();
    let mut of_user: HashMap<i64, Vec<usize>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for (team, user) in team_members::table
            .filter(team_members::team_id.eq_any(chunk))
            .select((team_members::team_id, team_members::user_id))
            .load::<(i64, i64)>(conn)?
        {
            if let Some(i) = at.get(&team) {
                of_user.entry(user).or_default().push(*i);
            }
        }
    }
    Ok(of_user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn period(from: &str, to: &str) -> Filter {
        Filter {
            org_id: 1,
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
            project_id: None,
            team_id: None,
            user_id: None,
        }
    }

    #[test]
    fn only_a_calendar_month_is_one_whole_month() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            one_whole_month(&period("2026-02-01", "2026-02-28")),
            Some(d("2026-02-01"))
        );
        assert_eq!(
            one_whole_month(&period("2026-12-01", "2026-12-31")),
            Some(d("2026-12-01"))
        );
        assert_eq!(one_whole_month(&period("2026-12-01", "2026-12-30")), None);
        assert_eq!(one_whole_month(&period("2026-11-02", "2026-12-01")), None);
        assert_eq!(one_whole_month(&period("2026-11-01", "2026-12-31")), None);
    }
}
