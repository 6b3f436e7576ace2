//! The reports that need Rust between the SQL and the table (besides the
//! team reports, `teams`): the roll-up to the chosen org's children (the
//! tree is the resolver's) and missing timesheets (weeks nobody filled in are
//! not rows anywhere; weeks start on each person's own week start day). Each
//! reads its data in a fixed number of statements, never one per person, and
//! its result is at most a row per person and week.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::scope::{SqlScope, id_list};
use super::{Cell, Filter, chart_by};
use crate::authz::Access;
use crate::db::{
    Conn,
    schema::{orgs, project_assignments},
};
use crate::domain::timesheet::{self, SheetStatus};
use crate::error::Result;

/// Each home org's week start, as `timesheet::rules` reads it (the nearest
/// value set at the org or above, else Monday), from the few orgs that set
/// one and the resolver's tree: no query per home org.
struct WeekStarts {
    set: HashMap<i64, chrono::Weekday>,
    known: HashMap<i64, chrono::Weekday>,
}

impl WeekStarts {
    fn load(conn: &mut Conn) -> Result<WeekStarts> {
        use crate::db::schema::org_settings;
        let rows: Vec<(i64, String)> = org_settings::table
            .filter(org_settings::key.eq("week_start"))
            .select((org_settings::org_id, org_settings::value))
            .load(conn)?;
        let set = rows
            .into_iter()
            .map(|(org, raw)| {
                let text = match serde_json::from_str::<serde_json::Value>(&raw) {
                    Ok(serde_json::Value::String(s)) => s,
                    Ok(other) => other.to_string(),
                    Err(_) => String::new(),
                };
                (org, text.parse().unwrap_or(chrono::Weekday::Mon))
            })
            .collect();
        Ok(WeekStarts {
            set,
            known: HashMap::new(),
        })
    }

    fn of(&mut self, access: &Access, org: i64) -> chrono::Weekday {
        if let Some(day) = self.known.get(&org) {
            return *day;
        }
        let day = access
            .snapshot
            .tree()
            .path(org)
            .iter()
            .rev()
            .find_map(|o| self.set.get(o).copied())
            .unwrap_or(chrono::Weekday::Mon);
        self.known.insert(org, day);
        day
    }
}

/// Columns, rows and chart bars.
pub type Table = (Vec<Vec<Cell>>, Vec<(String, i64)>);

#[derive(QueryableByName)]
struct ByOrg {
    #[diesel(sql_type = BigInt)]
    org_id: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

/// Hours by child of the chosen org (and the org itself).
pub fn org_rollup(conn: &mut Conn, access: &Access, f: &Filter, scope: &SqlScope) -> Result<Table> {
    // Whole months from the monthly totals, the rest from the entries.
    let (source, _) = super::sql::monthly_source(f.from, f.to);
    let person = if scope.people.is_empty() {
        ""
    } else {
        " JOIN users u ON u.id = te.user_id"
    };
    let sql = format!(
        "SELECT p.org_id AS org_id, CAST(SUM(te.minutes) AS BIGINT) AS minutes FROM {source} te \
         JOIN projects p ON p.id = te.project_id{person} \
         WHERE {}{} GROUP BY p.org_id",
        scope.projects, scope.people
    );
    let data: Vec<ByOrg> =
        crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str()).load::<ByOrg>(c))?;
    // Each org's hours go to the child of the chosen org that holds it (or to
    // the chosen org itself).
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
    let mut named: Vec<(String, String, i64, bool)> = Vec::new();
    for chunk in ids.chunks(500) {
        named.extend(
            orgs::table
                .filter(orgs::id.eq_any(chunk))
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
                }),
        );
    }
    named.sort_by(|a, b| (!a.3, &a.0, &a.1).cmp(&(!b.3, &b.0, &b.1)));
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
    Ok((rows, chart))
}

#[derive(QueryableByName)]
struct Person {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    org_name: String,
    #[diesel(sql_type = BigInt)]
    org_id: i64,
}

#[derive(QueryableByName)]
struct SheetRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Date)]
    week_start: NaiveDate,
    #[diesel(sql_type = Text)]
    status: SheetStatus,
}

/// Past weeks starting in the period (by each person's week start) in which
/// a person at home in scope was assigned to a project and has no submitted
/// or approved sheet.
pub fn missing(conn: &mut Conn, access: &Access, f: &Filter, scope: &SqlScope) -> Result<Table> {
    let today = crate::db::now().date();
    // A row's week starts in the period and is over before today: when no
    // day can start one (this month's first days, a period in the future),
    // there is nothing to read.
    let last_start = f.to.min(today - Duration::days(7));
    if last_start < f.from {
        return Ok((Vec::new(), Vec::new()));
    }
    let sql = format!(
        "SELECT u.id AS id, u.display_name AS name, u.email AS email, o.name AS org_name, \
         u.org_id AS org_id FROM users u JOIN orgs o ON o.id = u.org_id \
         WHERE {}{} ORDER BY u.display_name, u.id",
        scope.homes, scope.people
    );
    let people: Vec<Person> =
        crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str()).load::<Person>(c))?;
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let mut assignments: HashMap<i64, Vec<(NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    let mut sheets: HashMap<(i64, NaiveDate), SheetStatus> = HashMap::new();
    let since = f
        .from
        .checked_sub_signed(Duration::days(6))
        .unwrap_or(f.from);
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
        let sql = format!(
            "SELECT ts.user_id AS user_id, ts.week_start AS week_start, ts.status AS status \
             FROM timesheets ts WHERE ts.user_id IN ({}) AND ts.week_start BETWEEN '{since}' AND '{}'",
            id_list(chunk),
            f.to
        );
        let found: Vec<SheetRow> = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
            .load::<SheetRow>(c))?;
        sheets.extend(
            found
                .into_iter()
                .map(|r| ((r.user_id, r.week_start), r.status)),
        );
    }
    let mut starts = WeekStarts::load(conn)?;
    let mut rows = Vec::new();
    for p in &people {
        let Some(list) = assignments.get(&p.id) else {
            continue;
        };
        let start = starts.of(access, p.org_id);
        let mut week = timesheet::week_start_of(f.from, start);
        if week < f.from {
            week += Duration::days(7);
        }
        while week <= f.to && week + Duration::days(6) < today {
            let end = week + Duration::days(6);
            let worked = list
                .iter()
                .any(|(s, e)| *s <= end && e.is_none_or(|e| e >= week));
            let state = sheets.get(&(p.id, week)).copied();
            if worked && state.is_none_or(SheetStatus::is_editable) {
                rows.push(vec![
                    Cell::Date(week),
                    Cell::Text(p.name.clone()),
                    Cell::Text(p.email.clone()),
                    Cell::Text(p.org_name.clone()),
                    Cell::Text(state.map_or("missing", SheetStatus::as_str).to_string()),
                ]);
            }
            week += Duration::days(7);
        }
    }
    rows.sort_by_key(|r| (r[0].display(), r[1].display()));
    let mut chart: BTreeMap<String, i64> = BTreeMap::new();
    for r in &rows {
        *chart.entry(r[0].display()).or_default() += 1;
    }
    Ok((rows, chart.into_iter().collect()))
}
