//! The approvals inbox at scale: what waits for one decider, filtered, sorted,
//! counted and paged in SQL, and "approve all N matching".
//!
//! The rule of who decides what lives in [`Approver::may_decide`]; [`Scope`]
//! says the same thing as a SQL condition, built from the same facts (the
//! decider's approving assignments, the members of the teams they lead, the
//! orgs and projects where the resolver gives them `time.approve`). Every row
//! a page shows still passes `may_decide` before it is shown, and a test
//! (`tests/app/inbox_paging.rs`) holds the two to each other on both backends.

use std::collections::{HashMap, HashSet};

use chrono::Duration;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use crate::authz::memo::{MemoKey, MemoKind};
use crate::authz::{Access, Permission};
use crate::db::{
    AnyConnection, Conn,
    schema::{approval_parts, grants, group_members, projects, team_members, timesheets, users},
};
use crate::domain::approval::{Approver, PendingFilter, PendingItem, Sort};
use crate::domain::audit::Actor;
use crate::domain::ids::ProjectId;
use crate::domain::timesheet::{Part, PartStatus, Timesheet};
use crate::domain::user::User;
use crate::domain::{pick, project, team, validate};
use crate::error::{Error, FieldErrors, Result};

/// Who may decide which pending part, as one SQL condition over
/// `approval_parts` (the org scope reads `org_closure`, `projects` and
/// `users` in subqueries). Built only from ids and dates the server holds,
/// never from input.
pub struct Scope {
    clause: String,
}

/// An org condition that holds for the whole tree.
const EVERYWHERE: &str = "1 = 1";
/// The scope of someone who decides nothing.
const NOTHING: &str = "1 = 0";

impl Scope {
    pub fn of(conn: &mut Conn, approver: &Approver) -> Result<Scope> {
        let me = approver.user_id;
        let access = &approver.access;
        let orgs = approve_orgs(access);
        let whole_tree = |root: i64| access.snapshot.tree().parent_of(root).is_none();
        let in_orgs = |column: &str| -> Vec<String> {
            orgs.iter()
                .map(|(root, hidden)| {
                    let mut parts = Vec::new();
                    if !whole_tree(*root) {
                        parts.push(format!(
                            "{column} IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = {root})"
                        ));
                    }
                    if !hidden.is_empty() {
                        parts.push(format!(
                            "{column} NOT IN (SELECT descendant_id FROM org_closure WHERE ancestor_id IN ({}))",
                            list(hidden)
                        ));
                    }
                    if parts.is_empty() {
                        EVERYWHERE.to_string()
                    } else {
                        parts.join(" AND ")
                    }
                })
                .collect()
        };

        // Project parts: an approving assignment covering the week, or
        // time.approve on the project (its org or a grant at the project).
        let mut project_terms: Vec<String> = Vec::new();
        if approver.has_project_roles() {
            let week_end = match conn {
                AnyConnection::Sqlite(_) => "date(approval_parts.week_start, '+6 days')",
                AnyConnection::Postgresql(_) => "(approval_parts.week_start + 6)",
            };
            // Which projects is a plain (indexable) list; whether the
            // assignment covers the part's week is asked per row.
            project_terms.push(format!(
                "(approval_parts.project_id IN (SELECT pa.project_id FROM project_assignments pa \
                 WHERE pa.user_id = {me} AND pa.role IN ('approver', 'manager')) \
                 AND EXISTS (SELECT 1 FROM project_assignments pa WHERE pa.user_id = {me} \
                 AND pa.role IN ('approver', 'manager') AND pa.project_id = approval_parts.project_id \
                 AND pa.start_date <= {week_end} \
                 AND (pa.end_date IS NULL OR pa.end_date >= approval_parts.week_start)))"
            ));
        }
        for term in in_orgs("projects.org_id") {
            project_terms.push(if term == EVERYWHERE {
                term
            } else {
                format!(
                    "approval_parts.project_id IN (SELECT projects.id FROM projects WHERE {term})"
                )
            });
        }
        let granted = project_grants(conn, access)?;
        if !granted.is_empty() {
            project_terms.push(format!("approval_parts.project_id IN ({})", list(&granted)));
        }

        // The team part: a lead of one of the owner's teams, or time.approve
        // at the owner's home org.
        let mut team_terms: Vec<String> = Vec::new();
        let led = approver.led_member_ids();
        if !led.is_empty() {
            team_terms.push(format!("approval_parts.user_id IN ({})", list(&led)));
        }
        for term in in_orgs("users.org_id") {
            team_terms.push(if term == EVERYWHERE {
                term
            } else {
                format!("approval_parts.user_id IN (SELECT users.id FROM users WHERE {term})")
            });
        }

        let mut either: Vec<String> = Vec::new();
        if !project_terms.is_empty() {
            either.push(format!(
                "(approval_parts.project_id IS NOT NULL AND ({}))",
                project_terms.join(" OR ")
            ));
        }
        if !team_terms.is_empty() {
            either.push(format!(
                "(approval_parts.project_id IS NULL AND ({}))",
                team_terms.join(" OR ")
            ));
        }
        let clause = if either.is_empty() {
            NOTHING.to_string()
        } else {
            format!(
                "approval_parts.user_id <> {me} AND ({})",
                either.join(" OR ")
            )
        };
        Ok(Scope { clause })
    }

    /// True when nothing at all can be theirs to decide.
    pub fn is_empty(&self) -> bool {
        self.clause == NOTHING
    }

    fn condition(&self) -> diesel::expression::SqlLiteral<Bool> {
        diesel::dsl::sql::<Bool>(&self.clause)
    }
}

fn list(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where `access` holds `time.approve`, exactly: subtrees (`root`) without
/// the subtrees where it stops (`hidden`: privacy borders, the edge of a
/// "this org only" grant). A region inside a hidden part where it holds again
/// (a grant behind a border) is a root of its own, so the description covers
/// what `Access::can` allows, no more and no less.
///
/// Worked out once per snapshot and person (`authz::memo`): at the root it
/// walks the whole tree.
pub fn approve_orgs(access: &Access) -> Vec<(i64, Vec<i64>)> {
    let key = MemoKey::new(MemoKind::Other("inbox::approve_orgs"), access.me(), 0, 0);
    let regions = access.snapshot.memo().get_or(
        key,
        |r: &Vec<(i64, Vec<i64>)>| r.iter().map(|(_, h)| h.len() + 1).sum(),
        || approve_orgs_walk(access),
    );
    regions.as_ref().clone()
}

fn approve_orgs_walk(access: &Access) -> Vec<(i64, Vec<i64>)> {
    let perm = Permission::TimeApprove;
    let tree = access.snapshot.tree();
    let mut todo: Vec<i64> = Vec::new();
    for &org in access
        .snapshot
        .visible_orgs_shared(access.user_id, perm)
        .iter()
    {
        if todo.iter().any(|r| tree.is_within(org, *r)) {
            continue;
        }
        todo.push(org);
    }
    let mut regions = Vec::new();
    while let Some(root) = todo.pop() {
        let hidden = access.hidden_under(perm, root);
        for h in &hidden {
            let mut last: Option<i64> = None;
            for org in tree.subtree(*h) {
                if last.is_some_and(|l| tree.is_within(org, l)) {
                    continue;
                }
                if access.can(perm, org) {
                    todo.push(org);
                    last = Some(org);
                }
            }
        }
        regions.push((root, hidden));
    }
    regions.sort();
    regions
}

/// The projects where `access` holds `time.approve` through a grant at the
/// project itself (to them or to a group of theirs), as the resolver says.
fn project_grants(conn: &mut Conn, access: &Access) -> Result<Vec<i64>> {
    let my_groups = group_members::table
        .filter(group_members::user_id.eq(access.user_id))
        .select(group_members::group_id.nullable());
    let mut ids: Vec<i64> = grants::table
        .filter(grants::project_id.is_not_null())
        .filter(
            grants::user_id
                .eq(access.user_id)
                .or(grants::group_id.eq_any(my_groups)),
        )
        .select(grants::project_id.assume_not_null())
        .load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    ids.retain(|p| access.can_project(Permission::TimeApprove, *p));
    Ok(ids)
}

/// The pending parts `scope` allows and `filter` keeps, from `$source` (the
/// parts alone, or joined to their sheets and owners), as a boxed query
/// (callers add order, paging or count). Every condition reads
/// `approval_parts` or a subquery, so counting needs no join. A pending part
/// always belongs to a submitted sheet (submitting makes the parts,
/// withdrawing and reopening delete them, a decision ends them).
macro_rules! matching {
    ($source:expr, $scope:expr, $filter:expr) => {{
        let filter: &PendingFilter = $filter;
        let mut query = $source
            .filter(approval_parts::status.eq(PartStatus::Pending))
            .filter($scope.condition())
            .into_boxed();
        if let Some(p) = filter.project_id {
            query = query.filter(approval_parts::project_id.eq(p));
        }
        if let Some(t) = filter.team_id {
            query = query.filter(
                approval_parts::user_id.eq_any(
                    team_members::table
                        .filter(team_members::team_id.eq(t))
                        .select(team_members::user_id),
                ),
            );
        }
        if let Some(o) = filter.org_id {
            // A subquery of its own (`users` may be joined already); `o` is
            // a number.
            query = query.filter(diesel::dsl::sql::<Bool>(&format!(
                "approval_parts.user_id IN (SELECT u.id FROM users u WHERE u.org_id IN \
                 (SELECT descendant_id FROM org_closure WHERE ancestor_id = {o}))"
            )));
        }
        if let Some(w) = filter.week_start {
            query = query.filter(approval_parts::week_start.eq(w));
        }
        if let Some(d) = filter.week_of {
            query = query.filter(approval_parts::week_start.between(d - Duration::days(6), d));
        }
        query
    }};
}

/// The parts joined to their sheets and owners.
macro_rules! joined {
    () => {
        approval_parts::table.inner_join(timesheets::table.inner_join(users::table))
    };
}

/// How many pending parts `approver` may decide that `filter` keeps.
pub fn count(conn: &mut Conn, approver: &Approver, filter: &PendingFilter) -> Result<i64> {
    let scope = Scope::of(conn, approver)?;
    count_in(conn, &scope, filter)
}

fn count_in(conn: &mut Conn, scope: &Scope, filter: &PendingFilter) -> Result<i64> {
    if scope.is_empty() {
        return Ok(0);
    }
    Ok(matching!(approval_parts::table, scope, filter)
        .count()
        .get_result(conn)?)
}

/// One page of what `approver` may decide (`filter`ed, in `filter.sort`
/// order), with the number of all matches. Each row is checked once more by
/// `may_decide`; one that fails it is left out and logged (the SQL rule and
/// the Rust rule disagree, which the tests forbid).
pub fn page(
    conn: &mut Conn,
    approver: &Approver,
    filter: &PendingFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<PendingItem>, i64)> {
    let scope = Scope::of(conn, approver)?;
    let total = count_in(conn, &scope, filter)?;
    if total == 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    Ok((rows(conn, approver, &scope, filter, offset, limit)?, total))
}

/// The first `limit` items of what `approver` may decide, without the total.
pub fn first(
    conn: &mut Conn,
    approver: &Approver,
    filter: &PendingFilter,
    limit: i64,
) -> Result<Vec<PendingItem>> {
    let scope = Scope::of(conn, approver)?;
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    rows(conn, approver, &scope, filter, 0, limit)
}

fn rows(
    conn: &mut Conn,
    approver: &Approver,
    scope: &Scope,
    filter: &PendingFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<PendingItem>> {
    // The page is chosen over the parts alone, sorted by the copy of their
    // sheet's submission kept on each part (index `approval_parts_submitted`),
    // and only the page's parts are joined to their sheets and owners.
    // Joined first, PostgreSQL misjudged the scope (11k rows for 544) and
    // hash-joined every timesheet of the installation to sort them.
    let query = matching!(approval_parts::table, scope, filter);
    let query = match filter.sort {
        Sort::OldestFirst => {
            query.order((approval_parts::submitted_at.asc(), approval_parts::id.asc()))
        }
        Sort::NewestFirst => query.order((
            approval_parts::submitted_at.desc(),
            approval_parts::id.desc(),
        )),
    };
    let ids: Vec<i64> = query
        .offset(offset)
        .limit(limit)
        .select(approval_parts::id)
        .load(conn)?;
    let mut rows: Vec<(Part, Timesheet, User)> = joined!()
        .filter(approval_parts::id.eq_any(&ids))
        .select((Part::as_select(), Timesheet::as_select(), User::as_select()))
        .load(conn)?;
    let place: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|(part, _, _)| place.get(&part.id).copied().unwrap_or(usize::MAX));
    items(conn, approver, rows)
}

/// The rows as inbox items, each checked by the Rust rule.
fn items(
    conn: &mut Conn,
    approver: &Approver,
    rows: Vec<(Part, Timesheet, User)>,
) -> Result<Vec<PendingItem>> {
    let ids: Vec<i64> = rows.iter().filter_map(|(p, _, _)| p.project_id).collect();
    let names: HashMap<i64, String> = projects::table
        .filter(projects::id.eq_any(ids))
        .select((projects::id, projects::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .filter(|(part, sheet, owner)| {
            let ok = approver.may_decide(owner, sheet.week_start, part);
            if !ok {
                log::error!(
                    "inbox: SQL scope showed part {} that may_decide refuses to user {}",
                    part.id,
                    approver.user_id
                );
            }
            ok
        })
        .map(|(part, sheet, owner)| PendingItem {
            timesheet_id: sheet.id,
            part_id: part.id,
            user_id: owner.id,
            user_name: owner.display_name,
            user_email: owner.email,
            user_org_id: owner.org_id,
            week_start: sheet.week_start,
            project_name: part.project_id.and_then(|p| names.get(&p).cloned()),
            project_id: part.project_id,
            minutes: i64::from(part.minutes),
            version: sheet.version,
            submitted_at: sheet.submitted_at,
        })
        .collect())
}

/// The inbox's filter as typed: a project, a team and an org as their
/// pickers take them (`domain::pick`: a code, a name, a path or an id; the
/// org means its people, that org and below), a day of the week wanted, the
/// order.
#[derive(Clone, Debug, Default)]
pub struct FilterInput {
    pub project: String,
    pub team: String,
    pub org: String,
    pub week: String,
    pub sort: String,
}

/// A filter read from [`FilterInput`], with how to say it back to the person.
#[derive(Clone, Debug, Default)]
pub struct ReadFilter {
    pub filter: PendingFilter,
    /// (what, value) for each field given, e.g. ("Project", "Apollo (APO)").
    pub described: Vec<(&'static str, String)>,
    /// What the project, team and org pickers show for what was picked
    /// (`pick::field_value`), empty for a field left empty.
    pub shown: Shown,
}

/// The pickers' values of a read filter.
#[derive(Clone, Debug, Default)]
pub struct Shown {
    pub project: String,
    pub team: String,
    pub org: String,
}

/// A picker's answer: its message joins `errors`, anything else is the
/// request's.
fn picked(found: Result<Option<i64>>, errors: &mut FieldErrors) -> Result<Option<i64>> {
    match found {
        Ok(id) => Ok(id),
        Err(Error::Validation(e)) => {
            errors.0.extend(e.0);
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The teams `user_id` leads (theirs to filter by, as their inbox holds
/// those teams' parts).
fn led_teams(conn: &mut Conn, user_id: i64) -> Result<Vec<i64>> {
    Ok(team_members::table
        .filter(team_members::user_id.eq(user_id))
        .filter(team_members::lead.eq(true))
        .select(team_members::team_id)
        .load(conn)?)
}

/// Reads `input` for `access`: the project, team and org through their
/// pickers (`domain::pick`: each must be something they may see, anything
/// else answers as if it did not exist; a team they lead counts too), the
/// week a date, the order `oldest` or `newest`. Bad values come back as
/// field errors.
pub fn read_filter(conn: &mut Conn, access: &Access, input: &FilterInput) -> Result<ReadFilter> {
    let mut errors = FieldErrors::new();
    let mut out = ReadFilter::default();

    let found = pick::project(conn, access, "project", &input.project, |_| true);
    if let Some(id) = picked(found, &mut errors)? {
        let p = project::find(conn, id)?;
        out.filter.project_id = Some(id);
        out.described
            .push(("Project", format!("{} ({})", p.name, p.code)));
        out.shown.project = p.code;
    }

    if !input.team.trim().is_empty() {
        let led = led_teams(conn, access.user_id)?;
        let found = pick::team_or(conn, access, "team", &input.team, &led);
        if let Some(id) = picked(found, &mut errors)? {
            out.filter.team_id = Some(id);
            out.described.push(("Team", team::find(conn, id)?.name));
            out.shown.team = pick::team_field_value(conn, access, id)?;
        }
    }

    let found = pick::org(conn, access, Permission::OrgView, "org", &input.org);
    if let Some(id) = picked(found, &mut errors)? {
        let label = pick::org_labels(conn, access, &[id])?
            .remove(&id)
            .unwrap_or_default();
        out.filter.org_id = Some(id);
        out.described
            .push(("Organization", format!("{label} and below")));
        out.shown.org = pick::org_field_value(conn, access, id)?;
    }

    let raw = input.week.trim();
    if !raw.is_empty() {
        match validate::date(raw, "Week") {
            Ok(day) => {
                out.filter.week_of = Some(day);
                out.described.push(("Week", format!("the week of {day}")));
            }
            Err(message) => errors.add("week", message),
        }
    }

    match Sort::parse(&input.sort) {
        Some(sort) => out.filter.sort = sort,
        None => errors.add("sort", "Sort by oldest or newest."),
    }
    errors.into_result()?;
    Ok(out)
}

// After the macros above, which it uses (`matching!`, `joined!`).
mod approve_all;
pub use approve_all::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_lists_round_trip_and_refuse_garbage() {
        let list = vec![
            Seen {
                part_id: 12,
                version: 3,
            },
            Seen {
                part_id: 7,
                version: 1,
            },
        ];
        assert_eq!(Seen::encode(&list), "12.3 7.1");
        assert_eq!(Seen::parse_list("12.3 7.1"), Some(list.clone()));
        assert_eq!(Seen::parse_list("12.3,7.1"), Some(list));
        assert_eq!(Seen::parse_list(""), Some(vec![]));
        for bad in ["12", "x.1", "1.y", "1.2.3", "-"] {
            assert_eq!(Seen::parse_list(bad), None, "{bad}");
        }
    }
}
