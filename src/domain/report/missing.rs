//! Missing timesheets: each past week (by the person's own week start) in
//! which a person at home in scope worked on a project and has no submitted
//! or approved sheet.
//!
//! Worked out afresh, a report over the whole installation reads every
//! person's assignments and sheets of the period. So the answer is also kept:
//! `missing_weeks` lists the missing weeks that ended before the day kept in
//! job_leases' `missing` row, and triggers mark the people (or orgs, for a
//! week-start setting or a move) whose weeks a write may have changed. The
//! report reads the kept rows of everyone unmarked and works out the marked
//! people afresh; `canopy serve`'s schedule ([`keep_up`]) extends the list
//! each day and recomputes the marked people, clearing only the marks it saw
//! (`stamp`), so a write during a recomputation leaves its mark.
//! Both ways share [`due_weeks`]: the kept list is the fresh answer stored,
//! the sheet's state (draft, rejected, none) included.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, Weekday};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

use super::computed::Table;
use super::scope::{SqlScope, id_list};
use super::{Cell, Filter};
use crate::db::schema::{job_leases, missing_dirty_orgs, missing_dirty_users, project_assignments};
use crate::db::{Conn, Db};
use crate::domain::timesheet::{self, SheetStatus};
use crate::error::Result;

/// Ids per statement (both backends limit a statement's size).
const CHUNK: usize = 2000;

/// People recomputed per transaction when the list is kept up.
const BATCH: usize = 500;

/// Beyond this many marked people the report works everyone out afresh (the
/// kept rows would save little, and the ids would make a long statement).
const MARKED_AT_MOST: usize = 2000;

/// The job_leases row that holds the day the list is complete up to.
const LIST: &str = "missing";

/// The report's rows and chart.
pub fn report(conn: &mut Conn, f: &Filter, scope: &SqlScope) -> Result<Table> {
    let today = crate::db::now().date();
    // A row's week starts in the period and is over before today: when no
    // day can start one (this month's first days, a period in the future),
    // there is nothing to read.
    let last_start = f.to.min(today - Duration::days(7));
    if last_start < f.from {
        return Ok((Vec::new(), Vec::new()));
    }
    let in_scope = format!("{}{}", scope.homes, scope.people);
    let mut rows = match marked_if_kept(conn, today)? {
        Some(marked) => {
            let mut rows = kept(conn, &in_scope, &marked, f.from, last_start)?;
            if !marked.is_empty() {
                let only = format!("{in_scope} AND u.id IN ({})", id_list(&marked));
                rows.extend(afresh(conn, &only, f.from, last_start, today)?);
            }
            rows
        }
        None => afresh(conn, &in_scope, f.from, last_start, today)?,
    };
    rows.sort_by(|a, b| (a.week, &a.name, a.user_id).cmp(&(b.week, &b.name, b.user_id)));
    let mut chart: BTreeMap<String, i64> = BTreeMap::new();
    let rows: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|r| {
            *chart.entry(Cell::Date(r.week).display()).or_default() += 1;
            vec![
                Cell::Date(r.week),
                Cell::Text(r.name),
                Cell::Text(r.email),
                Cell::Text(r.org_name),
                Cell::Text(r.state.map_or("missing", SheetStatus::as_str).to_string()),
            ]
        })
        .collect();
    Ok((rows, chart.into_iter().collect()))
}

/// One row of the report before it is cells.
#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Date)]
    week: NaiveDate,
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    org_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    state: Option<SheetStatus>,
}

/// When the kept list is complete up to today, the people whose kept weeks
/// may be stale (marked, or at home under a marked org); `None` when the
/// list cannot answer (not kept up to today, or too many marked).
fn marked_if_kept(conn: &mut Conn, today: NaiveDate) -> Result<Option<Vec<i64>>> {
    if kept_through(conn)? != Some(today) {
        return Ok(None);
    }
    let mut marked: Vec<i64> = missing_dirty_users::table
        .select(missing_dirty_users::user_id)
        .limit(MARKED_AT_MOST as i64 + 1)
        .load(conn)?;
    let orgs: Vec<i64> = missing_dirty_orgs::table
        .select(missing_dirty_orgs::org_id)
        .load(conn)?;
    if !orgs.is_empty() {
        use crate::db::schema::{org_closure, users};
        marked.extend(
            users::table
                .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
                .filter(org_closure::ancestor_id.eq_any(&orgs))
                .select(users::id)
                .limit(MARKED_AT_MOST as i64 + 1)
                .load::<i64>(conn)?,
        );
    }
    marked.sort_unstable();
    marked.dedup();
    Ok((marked.len() <= MARKED_AT_MOST).then_some(marked))
}

/// The day the kept list is complete up to: every missing week that ended
/// before it is in `missing_weeks`.
fn kept_through(conn: &mut Conn) -> Result<Option<NaiveDate>> {
    Ok(job_leases::table
        .find(LIST)
        .select(job_leases::done_for)
        .first::<Option<NaiveDate>>(conn)
        .optional()?
        .flatten())
}

/// The kept rows of people in scope but not `marked`, weeks `from..=to`.
fn kept(
    conn: &mut Conn,
    in_scope: &str,
    marked: &[i64],
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Row>> {
    let unmarked = if marked.is_empty() {
        String::new()
    } else {
        format!(" AND m.user_id NOT IN ({})", id_list(marked))
    };
    let sql = format!(
        "SELECT m.week_start AS week, u.id AS user_id, u.display_name AS name, u.email AS email, \
         o.name AS org_name, m.state AS state \
         FROM missing_weeks m JOIN users u ON u.id = m.user_id JOIN orgs o ON o.id = u.org_id \
         WHERE m.week_start BETWEEN '{from}' AND '{to}' AND {in_scope}{unmarked}"
    );
    Ok(crate::with_backend!(conn, |c| diesel::sql_query(
        sql.as_str()
    )
    .load::<Row>(c))?)
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

/// The rows of the people `people_where` (conditions on `u`) picks, worked
/// out from their assignments and sheets.
fn afresh(
    conn: &mut Conn,
    people_where: &str,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Row>> {
    let sql = format!(
        "SELECT u.id AS id, u.display_name AS name, u.email AS email, o.name AS org_name, \
         u.org_id AS org_id FROM users u JOIN orgs o ON o.id = u.org_id WHERE {people_where}"
    );
    let people: Vec<Person> =
        crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str()).load::<Person>(c))?;
    let mut rows = Vec::new();
    for chunk in people.chunks(CHUNK) {
        let ids: Vec<i64> = chunk.iter().map(|p| p.id).collect();
        let homes: Vec<i64> = chunk.iter().map(|p| p.org_id).collect();
        let facts = Facts::read(conn, &ids, from, to)?;
        let starts = week_starts(conn, &homes)?;
        for p in chunk {
            let start = starts.get(&p.org_id).copied().unwrap_or(Weekday::Mon);
            for (week, state) in due_weeks(&facts, p.id, start, from, to, today) {
                rows.push(Row {
                    week,
                    user_id: p.id,
                    name: p.name.clone(),
                    email: p.email.clone(),
                    org_name: p.org_name.clone(),
                    state,
                });
            }
        }
    }
    Ok(rows)
}

/// What decides some people's missing weeks: their assignments, and their
/// sheets of the weeks starting from six days before `from` to `to`.
struct Facts {
    assignments: HashMap<i64, Vec<(NaiveDate, Option<NaiveDate>)>>,
    sheets: HashMap<(i64, NaiveDate), SheetStatus>,
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

impl Facts {
    fn read(conn: &mut Conn, ids: &[i64], from: NaiveDate, to: NaiveDate) -> Result<Facts> {
        let mut facts = Facts {
            assignments: HashMap::new(),
            sheets: HashMap::new(),
        };
        let since = from.checked_sub_signed(Duration::days(6)).unwrap_or(from);
        for chunk in ids.chunks(CHUNK) {
            for (user, s, e) in project_assignments::table
                .filter(project_assignments::user_id.eq_any(chunk))
                .select((
                    project_assignments::user_id,
                    project_assignments::start_date,
                    project_assignments::end_date,
                ))
                .load::<(i64, NaiveDate, Option<NaiveDate>)>(conn)?
            {
                facts.assignments.entry(user).or_default().push((s, e));
            }
            let sql = format!(
                "SELECT ts.user_id AS user_id, ts.week_start AS week_start, ts.status AS status \
                 FROM timesheets ts WHERE ts.user_id IN ({}) AND ts.week_start BETWEEN '{since}' AND '{to}'",
                id_list(chunk)
            );
            let found: Vec<SheetRow> =
                crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
                    .load::<SheetRow>(c))?;
            facts.sheets.extend(
                found
                    .into_iter()
                    .map(|r| ((r.user_id, r.week_start), r.status)),
            );
        }
        Ok(facts)
    }
}

/// The person's missing weeks: each week (starting on `start`) that starts in
/// `from..=to` and is over before `today`, in which they were assigned to a
/// project and have no submitted or approved sheet, with the sheet's state
/// (`None`: no sheet at all).
fn due_weeks(
    facts: &Facts,
    person: i64,
    start: Weekday,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<(NaiveDate, Option<SheetStatus>)> {
    let Some(list) = facts.assignments.get(&person) else {
        return Vec::new();
    };
    let mut week = timesheet::week_start_of(from, start);
    if week < from {
        week += Duration::days(7);
    }
    let mut due = Vec::new();
    while week <= to && week + Duration::days(6) < today {
        let end = week + Duration::days(6);
        let worked = list
            .iter()
            .any(|(s, e)| *s <= end && e.is_none_or(|e| e >= week));
        let state = facts.sheets.get(&(person, week)).copied();
        if worked && state.is_none_or(SheetStatus::is_editable) {
            due.push((week, state));
        }
        week += Duration::days(7);
    }
    due
}

/// Each org's week start as `timesheet::rules` reads it (the nearest value
/// set at the org or above, else Monday), one statement for all of `orgs`.
fn week_starts(conn: &mut Conn, orgs: &[i64]) -> Result<HashMap<i64, Weekday>> {
    use crate::db::schema::{org_closure, org_settings};
    let mut nearest: HashMap<i64, (i32, Weekday)> = HashMap::new();
    let mut orgs = orgs.to_vec();
    orgs.sort_unstable();
    orgs.dedup();
    for chunk in orgs.chunks(CHUNK) {
        let set: Vec<(i64, i32, String)> = org_closure::table
            .inner_join(org_settings::table.on(org_settings::org_id.eq(org_closure::ancestor_id)))
            .filter(org_settings::key.eq("week_start"))
            .filter(org_closure::descendant_id.eq_any(chunk))
            .select((
                org_closure::descendant_id,
                org_closure::depth,
                org_settings::value,
            ))
            .load(conn)?;
        for (org, depth, raw) in set {
            let day = timesheet::weekday_setting(&raw);
            match nearest.get(&org) {
                Some((d, _)) if *d <= depth => {}
                _ => {
                    nearest.insert(org, (depth, day));
                }
            }
        }
    }
    Ok(nearest.into_iter().map(|(o, (_, d))| (o, d)).collect())
}

// ------------------------------------------------------------ keeping it up

/// What [`keep_up`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kept {
    /// People whose weeks were worked out to extend the list to a new day.
    pub extended: usize,
    /// Marked people recomputed.
    pub recomputed: usize,
}

/// Brings the kept list up to `today` (the weeks that ended since it was
/// last extended, for everyone) and recomputes the marked people. Runs under
/// the schedule's lease, so never beside itself.
pub fn keep_up(db: &Db, today: NaiveDate) -> Result<Kept> {
    let mut kept = Kept::default();
    let through = db.read_sync(kept_through)?;
    if through != Some(today) {
        kept.extended = extend(db, through, today)?;
    }
    kept.recomputed = recompute_marked(db, today)?;
    Ok(kept)
}

/// Adds the weeks that ended on or after `through` and before `today`
/// (every week, when the list was never kept), person by person in batches,
/// then records `today` as the day the list is complete up to.
fn extend(db: &Db, through: Option<NaiveDate>, today: NaiveDate) -> Result<usize> {
    use crate::db::schema::{missing_weeks, users};
    let from = match through {
        Some(t) => t - Duration::days(6),
        None => db.read_sync(first_week)?.unwrap_or(today),
    };
    let to = today - Duration::days(7);
    let people: Vec<(i64, i64)> = db.read_sync(|c| {
        Ok(users::table
            .select((users::id, users::org_id))
            .order(users::id)
            .load(c)?)
    })?;
    // Built for the first time, the list is worked out from everyone's data
    // as it is now: the marks made before that need no second look (those
    // made while it is built stay).
    let seen_marks: Vec<(i64, i64)> = if through.is_none() {
        db.read_sync(|c| {
            Ok(missing_dirty_users::table
                .select((missing_dirty_users::user_id, missing_dirty_users::stamp))
                .load(c)?)
        })?
    } else {
        Vec::new()
    };
    if from <= to {
        for batch in people.chunks(BATCH) {
            db.write_sync(|conn| {
                let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
                let rows = weeks_of(conn, batch, from, to, today)?;
                diesel::delete(
                    missing_weeks::table
                        .filter(missing_weeks::user_id.eq_any(&ids))
                        .filter(missing_weeks::week_start.between(from, to)),
                )
                .execute(conn)?;
                store(conn, &rows)
            })?;
        }
    }
    db.write_sync(|conn| {
        diesel::update(job_leases::table.find(LIST))
            .set(job_leases::done_for.eq(today))
            .execute(conn)?;
        clear_marks(conn, &seen_marks)
    })?;
    Ok(people.len())
}

/// Recomputes the marked people's kept weeks (all that ended before the day
/// the list is complete up to), each batch in one transaction that clears
/// only the marks it read first.
fn recompute_marked(db: &Db, today: NaiveDate) -> Result<usize> {
    use crate::db::schema::{missing_weeks, org_closure, users};
    let mut done = 0;
    loop {
        let recomputed = db.write_sync(|conn| {
            let Some(through) = kept_through(conn)? else {
                return Ok(None);
            };
            let user_marks: Vec<(i64, i64)> = missing_dirty_users::table
                .select((missing_dirty_users::user_id, missing_dirty_users::stamp))
                .order(missing_dirty_users::user_id)
                .limit(BATCH as i64)
                .load(conn)?;
            let org_mark: Option<(i64, i64)> = if user_marks.is_empty() {
                missing_dirty_orgs::table
                    .select((missing_dirty_orgs::org_id, missing_dirty_orgs::stamp))
                    .first(conn)
                    .optional()?
            } else {
                None
            };
            let people: Vec<(i64, i64)> = match org_mark {
                Some((org, _)) => users::table
                    .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
                    .filter(org_closure::ancestor_id.eq(org))
                    .select((users::id, users::org_id))
                    .load(conn)?,
                None => {
                    let ids: Vec<i64> = user_marks.iter().map(|(u, _)| *u).collect();
                    users::table
                        .filter(users::id.eq_any(&ids))
                        .select((users::id, users::org_id))
                        .load(conn)?
                }
            };
            if user_marks.is_empty() && org_mark.is_none() {
                return Ok(None);
            }
            let (from, to) = (first_week(conn)?, through - Duration::days(7));
            for batch in people.chunks(BATCH) {
                let ids: Vec<i64> = batch.iter().map(|(id, _)| *id).collect();
                diesel::delete(missing_weeks::table.filter(missing_weeks::user_id.eq_any(&ids)))
                    .execute(conn)?;
                if let Some(from) = from.filter(|f| *f <= to) {
                    let rows = weeks_of(conn, batch, from, to, through)?;
                    store(conn, &rows)?;
                }
            }
            clear_marks(conn, &user_marks)?;
            if let Some((org, stamp)) = org_mark {
                diesel::delete(
                    missing_dirty_orgs::table
                        .filter(missing_dirty_orgs::org_id.eq(org))
                        .filter(missing_dirty_orgs::stamp.eq(stamp)),
                )
                .execute(conn)?;
            }
            Ok(Some(people.len()))
        })?;
        match recomputed {
            Some(n) => done += n,
            None => return Ok(done),
        }
        // A day turning over mid-way leaves the rest to the next tick.
        if crate::db::now().date() != today {
            return Ok(done);
        }
    }
}

/// Clears the marks of people as they were read (a mark made since has a
/// higher stamp and stays).
fn clear_marks(conn: &mut Conn, marks: &[(i64, i64)]) -> Result<()> {
    for (user, stamp) in marks {
        diesel::delete(
            missing_dirty_users::table
                .filter(missing_dirty_users::user_id.eq(user))
                .filter(missing_dirty_users::stamp.eq(stamp)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// The first week anyone can be missing: six days before the earliest
/// assignment starts.
fn first_week(conn: &mut Conn) -> Result<Option<NaiveDate>> {
    let first: Option<NaiveDate> = project_assignments::table
        .select(diesel::dsl::min(project_assignments::start_date))
        .first(conn)?;
    Ok(first.map(|d| d - Duration::days(6)))
}

/// The missing weeks of `people` (id, home org) starting in `from..=to`,
/// over before `today`.
fn weeks_of(
    conn: &mut Conn,
    people: &[(i64, i64)],
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<KeptRow>> {
    let ids: Vec<i64> = people.iter().map(|(id, _)| *id).collect();
    let homes: Vec<i64> = people.iter().map(|(_, org)| *org).collect();
    let facts = Facts::read(conn, &ids, from, to)?;
    let starts = week_starts(conn, &homes)?;
    let mut rows = Vec::new();
    for (id, org) in people {
        let start = starts.get(org).copied().unwrap_or(Weekday::Mon);
        for (week, state) in due_weeks(&facts, *id, start, from, to, today) {
            rows.push((week, *id, state));
        }
    }
    Ok(rows)
}

/// A kept week: its start, the person, the sheet's state.
type KeptRow = (NaiveDate, i64, Option<SheetStatus>);

fn store(conn: &mut Conn, rows: &[KeptRow]) -> Result<()> {
    use crate::db::schema::missing_weeks;
    for chunk in rows.chunks(CHUNK / 3) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(week, user, state)| {
                (
                    missing_weeks::week_start.eq(*week),
                    missing_weeks::user_id.eq(*user),
                    missing_weeks::state.eq(state.map(SheetStatus::as_str)),
                )
            })
            .collect();
        crate::with_backend!(conn, |c| diesel::insert_into(missing_weeks::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(())
}
