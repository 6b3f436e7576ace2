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
//! - minutes: summed in SQL per project for the month so far, on those
//!   projects only, from the covering index `(project_id, entry_date, minutes)`.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;

use crate::authz::Access;
use crate::db::Conn;
use crate::db::schema::{org_closure, projects, time_entries, users};
use crate::domain::org::Rollup;
use crate::error::Result;

/// Above this many orgs in the subtree, people are counted per org over the
/// whole table (one index scan) rather than through the closure table.
const WHOLE_TABLE_ABOVE: usize = 2_000;

pub fn of(conn: &mut Conn, access: &Access, id: i64, today: NaiveDate) -> Result<Rollup> {
    use diesel::dsl::{count_star, sum};
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
    let counted: Vec<i64> = project_orgs
        .into_iter()
        .filter(|(_, o)| visible_inside(*o))
        .map(|(p, _)| p)
        .collect();
    rollup.projects = counted.len() as i64;
    let month_start = today.with_day(1).unwrap_or(today);
    // Chunked: both backends limit the number of bound parameters.
    for chunk in counted.chunks(500) {
        let minutes: Option<i64> = time_entries::table
            .filter(time_entries::project_id.eq_any(chunk))
            .filter(time_entries::entry_date.between(month_start, today))
            .select(sum(time_entries::minutes))
            .first(conn)?;
        rollup.minutes_this_month += minutes.unwrap_or(0);
    }
    Ok(rollup)
}
