//! An org's roll-up (SPEC 1): sub-orgs, people, projects and this month's
//! minutes of its subtree, limited to what the person sees inside. Worked out
//! so that a root owner's roll-up of 100k orgs costs what the installation's
//! projects and people cost to count from an index, not a walk of the
//! closure table three times:
//!
//! - people: grouped by home org straight from `users_org` when the subtree
//!   is large (the whole table is then the cheaper read), else through the
//!   closure table;
//! - projects: the project → org pairs (one small covering index read), kept
//!   where the subtree and the person's sight reach;
//! - minutes: the month's totals per project and person (`entry_month_totals`,
//!   kept by triggers on `time_entries`) less the entries already made for
//!   the days after today, on those projects only.

use std::collections::HashSet;

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;

use crate::authz::Access;
use crate::db::Conn;
use crate::db::schema::{entry_month_totals, org_closure, projects, time_entries, users};
use crate::domain::org::Rollup;
use crate::error::Result;

/// Above this many orgs in the subtree, people are counted per org over the
/// whole table (one index scan) rather than through the closure table.
const WHOLE_TABLE_ABOVE: usize = 2_000;

pub fn of(conn: &mut Conn, access: &Access, id: i64, today: NaiveDate) -> Result<Rollup> {
    use diesel::dsl::count_star;
    let tree = access.snapshot.tree();
    let visible_inside = |o: i64| tree.is_within(o, id) && access.sees_inside(o);
    let size = tree.subtree_len(id);
    let mut rollup = Rollup {
        sub_orgs: tree
            .subtree(id)
            .filter(|o| *o != id && access.sees_inside(*o))
            .count(),
        ..Rollup::default()
    };
    let per_org: Vec<(i64, i64)> = if size > WHOLE_TABLE_ABOVE {
        users::table
            .group_by(users::org_id)
            .select((users::org_id, count_star()))
            .load(conn)?
    } else {
        crate::domain::org::subtree_user_counts(conn, id)?
    };
    for (org_id, n) in per_org {
        if visible_inside(org_id) {
            rollup.subtree_users += n;
            if org_id == id {
                rollup.own_users = n;
            }
        }
    }
    let project_orgs: Vec<(i64, i64)> = if size > WHOLE_TABLE_ABOVE {
        projects::table
            .select((projects::id, projects::org_id))
            .load(conn)?
    } else {
        projects::table
            .inner_join(org_closure::table.on(org_closure::descendant_id.eq(projects::org_id)))
            .filter(org_closure::ancestor_id.eq(id))
            .select((projects::id, projects::org_id))
            .load(conn)?
    };
    let all_projects = project_orgs.len();
    let counted: Vec<i64> = project_orgs
        .into_iter()
        .filter(|(_, o)| visible_inside(*o))
        .map(|(p, _)| p)
        .collect();
    rollup.projects = counted.len() as i64;
    rollup.minutes_this_month = if size > WHOLE_TABLE_ABOVE {
        month_so_far_whole(conn, &counted, all_projects, today)?
    } else {
        month_so_far_of(conn, &counted, today)?
    };
    Ok(rollup)
}

/// The first day of `today`'s month, and the days after today in it.
fn month_bounds(today: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate) {
    let month_start = today.with_day(1).unwrap_or(today);
    let month_end = (month_start + Duration::days(32))
        .with_day(1)
        .map_or(today, |next| next - Duration::days(1));
    (month_start, today + Duration::days(1), month_end)
}

/// This month's minutes so far on `counted` projects, for a large subtree:
/// the month's totals (`entry_month_totals`) less what is already entered
/// for the days after today, read once for the whole installation and kept
/// per project; one sum each when every project counts.
fn month_so_far_whole(
    conn: &mut Conn,
    counted: &[i64],
    all_projects: usize,
    today: NaiveDate,
) -> Result<i64> {
    use diesel::dsl::sum;
    let (month_start, after_today, month_end) = month_bounds(today);
    if counted.len() == all_projects {
        #[derive(QueryableByName)]
        struct Total {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            minutes: i64,
        }
        // Typed here, never text a person sent. SUM of a BIGINT column is
        // NUMERIC on PostgreSQL, hence the cast.
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS minutes \
             FROM entry_month_totals WHERE month = '{month_start}'"
        );
        let month: Total = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
            .get_result::<Total>(c))?;
        let later: Option<i64> = time_entries::table
            .filter(time_entries::entry_date.between(after_today, month_end))
            .select(sum(time_entries::minutes))
            .first(conn)?;
        return Ok(month.minutes - later.unwrap_or(0));
    }
    let counted: HashSet<i64> = counted.iter().copied().collect();
    let month: Vec<(i64, i64)> = entry_month_totals::table
        .filter(entry_month_totals::month.eq(month_start))
        .select((entry_month_totals::project_id, entry_month_totals::minutes))
        .load(conn)?;
    let later: Vec<(i64, i32)> = time_entries::table
        .filter(time_entries::entry_date.between(after_today, month_end))
        .select((time_entries::project_id, time_entries::minutes))
        .load(conn)?;
    let month: i64 = month
        .into_iter()
        .filter(|(p, _)| counted.contains(p))
        .map(|(_, m)| m)
        .sum();
    let later: i64 = later
        .into_iter()
        .filter(|(p, _)| counted.contains(p))
        .map(|(_, m)| i64::from(m))
        .sum();
    Ok(month - later)
}

/// This month's minutes so far on `counted` projects of a small subtree, a
/// few hundred projects at a time (both backends limit bound parameters).
fn month_so_far_of(conn: &mut Conn, counted: &[i64], today: NaiveDate) -> Result<i64> {
    use diesel::dsl::sum;
    let (month_start, after_today, month_end) = month_bounds(today);
    let mut minutes = 0;
    for chunk in counted.chunks(500) {
        let month: Vec<i64> = entry_month_totals::table
            .filter(entry_month_totals::month.eq(month_start))
            .filter(entry_month_totals::project_id.eq_any(chunk))
            .select(entry_month_totals::minutes)
            .load(conn)?;
        let later: Option<i64> = time_entries::table
            .filter(time_entries::project_id.eq_any(chunk))
            .filter(time_entries::entry_date.between(after_today, month_end))
            .select(sum(time_entries::minutes))
            .first(conn)?;
        minutes += month.into_iter().sum::<i64>() - later.unwrap_or(0);
    }
    Ok(minutes)
}
