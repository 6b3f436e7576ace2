//! An org's roll-up (SPEC 1): sub-orgs, people, projects and this month's
//! minutes of its subtree, limited to what the person sees inside. Worked out
//! from what the person sees inside as disjoint parts (`Access::inside_parts`,
//! kept per snapshot): a part is a subtree less some hidden subtrees, so
//!
//! - sub-orgs are counted from the resolver's tour (`authz::parts::within`),
//!   without a walk;
//! - people, projects and minutes are counted in SQL per part root less per
//!   hidden root, each through the closure table (a join, so a part nested in
//!   another's hidden subtree counts once), the whole installation's root as
//!   a plain count: a root owner's roll-up costs what is hidden, not the
//!   installation;
//! - minutes: the month's totals per project (`entry_month_totals`, kept by
//!   triggers on `time_entries`) less the entries already made for the days
//!   after today.

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;

use crate::authz::Access;
use crate::db::Conn;
use crate::db::schema::{org_closure, orgs, projects, time_entries, users};
use crate::domain::org::Rollup;
use crate::error::Result;

/// Ids per statement (both backends limit bound parameters).
const CHUNK: usize = 500;

pub fn of(conn: &mut Conn, access: &Access, id: i64, today: NaiveDate) -> Result<Rollup> {
    let tree = access.snapshot.tree();
    let parts = access.inside_parts();
    let (parts, orgs) = crate::authz::parts::within(tree, &parts, id);
    let sees_here = access.sees_inside(id);
    let added: Vec<i64> = parts.iter().map(|p| p.root).collect();
    let taken: Vec<i64> = parts.iter().flat_map(|p| p.hidden.clone()).collect();
    let whole = |roots: &[i64]| -> (bool, Vec<i64>) {
        let is_top = |o: &i64| tree.subtree_len(*o) == tree.len();
        (
            roots.iter().any(is_top),
            roots.iter().copied().filter(|o| !is_top(o)).collect(),
        )
    };
    let (added_whole, added) = whole(&added);
    let (taken_whole, taken) = whole(&taken);
    let signed = |conn: &mut Conn, f: &dyn Fn(&mut Conn, Scope) -> Result<i64>| -> Result<i64> {
        Ok(
            f(conn, Scope::Under(&added))? - f(conn, Scope::Under(&taken))?
                + if added_whole {
                    f(conn, Scope::Everything)?
                } else {
                    0
                }
                - if taken_whole {
                    f(conn, Scope::Everything)?
                } else {
                    0
                },
        )
    };
    // The org's own figures (people at home here, projects here, their
    // hours, children seen inside) beside the subtree's, when the viewer
    // sees inside it.
    let own = |conn: &mut Conn, f: &dyn Fn(&mut Conn, Scope) -> Result<i64>| -> Result<i64> {
        if sees_here {
            f(conn, Scope::At(id))
        } else {
            Ok(0)
        }
    };
    let own_sub_orgs = if sees_here {
        orgs::table
            .filter(orgs::parent_id.eq(id))
            .select(orgs::id)
            .load::<i64>(conn)?
            .into_iter()
            .filter(|child| access.sees_inside(*child))
            .count()
    } else {
        0
    };
    Ok(Rollup {
        sub_orgs: orgs - usize::from(sees_here),
        own_sub_orgs,
        own_users: own(conn, &users_in)?,
        subtree_users: signed(conn, &users_in)?,
        projects: signed(conn, &projects_in)?,
        own_projects: own(conn, &projects_in)?,
        minutes_this_month: signed(conn, &|c, scope| minutes_in(c, scope, today))?,
        own_minutes_this_month: own(conn, &|c, scope| minutes_in(c, scope, today))?,
    })
}

/// Rows counted: under some orgs (once per org above them), everywhere, or
/// at one org itself.
#[derive(Clone, Copy)]
enum Scope<'a> {
    Under(&'a [i64]),
    Everything,
    At(i64),
}

fn users_in(conn: &mut Conn, scope: Scope) -> Result<i64> {
    match scope {
        Scope::Everything => Ok(users::table.count().get_result(conn)?),
        Scope::At(org) => Ok(users::table
            .filter(users::org_id.eq(org))
            .count()
            .get_result(conn)?),
        Scope::Under(roots) => {
            let mut n = 0;
            for chunk in roots.chunks(CHUNK) {
                n += users::table
                    .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
                    .filter(org_closure::ancestor_id.eq_any(chunk))
                    .count()
                    .get_result::<i64>(conn)?;
            }
            Ok(n)
        }
    }
}

fn projects_in(conn: &mut Conn, scope: Scope) -> Result<i64> {
    match scope {
        Scope::Everything => Ok(projects::table.count().get_result(conn)?),
        Scope::At(org) => Ok(projects::table
            .filter(projects::org_id.eq(org))
            .count()
            .get_result(conn)?),
        Scope::Under(roots) => {
            let mut n = 0;
            for chunk in roots.chunks(CHUNK) {
                n += projects::table
                    .inner_join(
                        org_closure::table.on(org_closure::descendant_id.eq(projects::org_id)),
                    )
                    .filter(org_closure::ancestor_id.eq_any(chunk))
                    .count()
                    .get_result::<i64>(conn)?;
            }
            Ok(n)
        }
    }
}

/// This month's minutes so far on the projects in `scope`: the month's
/// totals less what is already entered for the days after today.
fn minutes_in(conn: &mut Conn, scope: Scope, today: NaiveDate) -> Result<i64> {
    use diesel::dsl::sum;
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        minutes: i64,
    }
    let (month_start, after_today, month_end) = month_bounds(today);
    // The month's total of the projects a condition on `p` picks (`None`:
    // every project). Typed here (a date and ids), never text a person sent.
    // SUM of a BIGINT column is NUMERIC on PostgreSQL, hence the cast.
    let month = |conn: &mut Conn, projects_where: Option<String>| -> Result<i64> {
        let sql = match projects_where {
            None => format!(
                "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) AS minutes \
                 FROM entry_month_totals WHERE month = '{month_start}'"
            ),
            // A project under several of the orgs counts once per org (as
            // the closure join counts it): the parts' sums rely on it.
            Some(cond) => format!(
                "SELECT CAST(COALESCE(SUM(t.minutes), 0) AS BIGINT) AS minutes \
                 FROM entry_month_totals t JOIN projects p ON p.id = t.project_id \
                 JOIN org_closure c ON c.descendant_id = p.org_id \
                 WHERE t.month = '{month_start}' AND {cond}"
            ),
        };
        let total: Total = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
            .get_result::<Total>(c))?;
        Ok(total.minutes)
    };
    let later_days = time_entries::entry_date.between(after_today, month_end);
    match scope {
        Scope::Everything => {
            let later: Option<i64> = time_entries::table
                .filter(later_days)
                .select(sum(time_entries::minutes))
                .first(conn)?;
            Ok(month(conn, None)? - later.unwrap_or(0))
        }
        Scope::At(org) => {
            let later: Option<i64> = time_entries::table
                .inner_join(projects::table.on(projects::id.eq(time_entries::project_id)))
                .filter(projects::org_id.eq(org))
                .filter(later_days)
                .select(sum(time_entries::minutes))
                .first(conn)?;
            let here = format!("c.ancestor_id = {org} AND c.descendant_id = {org}");
            Ok(month(conn, Some(here))? - later.unwrap_or(0))
        }
        Scope::Under(roots) => {
            let mut minutes = 0;
            for chunk in roots.chunks(CHUNK) {
                let later: Option<i64> = time_entries::table
                    .inner_join(projects::table.on(projects::id.eq(time_entries::project_id)))
                    .inner_join(
                        org_closure::table.on(org_closure::descendant_id.eq(projects::org_id)),
                    )
                    .filter(org_closure::ancestor_id.eq_any(chunk))
                    .filter(later_days)
                    .select(sum(time_entries::minutes))
                    .first(conn)?;
                let under = format!(
                    "c.ancestor_id IN ({})",
                    chunk
                        .iter()
                        .map(i64::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                );
                minutes += month(conn, Some(under))? - later.unwrap_or(0);
            }
            Ok(minutes)
        }
    }
}

/// The first day of `today`'s month, and the days after today in it.
fn month_bounds(today: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate) {
    let month_start = today.with_day(1).unwrap_or(today);
    let month_end = (month_start + Duration::days(32))
        .with_day(1)
        .map_or(today, |next| next - Duration::days(1));
    (month_start, today + Duration::days(1), month_end)
}
