//! What a report may look at, as SQL: the projects under the chosen org whose
//! reports the viewer may read, and the people whose time counts.
//!
//! The resolver decides once per request which subtrees under the chosen org
//! are closed (`Access::hidden_under`: privacy borders, the edge of a "this
//! org only" grant) and which projects in them are open anyway (a grant on
//! the project itself); the SQL keeps the rest. Every number in the text is
//! one this module typed itself, never text a person sent.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{Filter, known_person};
use crate::authz::{Access, Permission};
use crate::db::{
    Conn,
    schema::{org_closure, projects, teams},
};
use crate::error::{FieldErrors, Result};

/// The report's scope as SQL conditions.
#[derive(Clone, Debug)]
pub struct SqlScope {
    /// Conditions on `p` (projects): under the org, outside closed subtrees
    /// (unless granted on the project), and the project filter.
    pub projects: String,
    /// The same without the project filter (what the filter form offers).
    pub open_projects: String,
    /// Conditions on `u` (users): the people filter (team, person).
    pub people: String,
    /// Conditions on `u` (users) for people-shaped reports: at home under the
    /// org where the viewer reads reports.
    pub homes: String,
    /// True when `projects` keeps every project of the installation: the
    /// chosen org holds the whole tree, nothing under it is closed to the
    /// viewer, and no project filter narrows it.
    pub every_project: bool,
}

pub(super) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// `column IN (ids)`, or a condition that is never true for no ids.
fn within(column: &str, ids: &[i64]) -> String {
    if ids.is_empty() {
        "1 = 0".into()
    } else {
        format!("{column} IN ({})", id_list(ids))
    }
}

/// Checks the project, team and person filters against what the viewer may
/// see (unknown and not-yours answer the same 422) and builds the scope.
pub fn build(conn: &mut Conn, access: &Access, f: &Filter) -> Result<SqlScope> {
    let tree = access.snapshot.tree();
    let hidden = access.hidden_under(Permission::ReportView, f.org_id);
    // The chosen org holds the whole tree: no org condition at all.
    let everything = tree.subtree(f.org_id).count() == tree.len();
    // Projects behind a closed border that are open to the viewer by a grant
    // on the project itself.
    let granted: Vec<i64> = if hidden.is_empty() {
        Vec::new()
    } else {
        let mut open = Vec::new();
        for chunk in hidden.chunks(500) {
            let found: Vec<i64> = projects::table
                .inner_join(org_closure::table.on(org_closure::descendant_id.eq(projects::org_id)))
                .filter(org_closure::ancestor_id.eq_any(chunk))
                .select(projects::id)
                .load(conn)?;
            open.extend(
                found
                    .into_iter()
                    .filter(|p| access.can_project(Permission::ReportView, *p)),
            );
        }
        open
    };
    let under = |column: &str| {
        if everything {
            String::new()
        } else {
            format!(
                " AND {column} IN (SELECT descendant_id FROM org_closure WHERE ancestor_id = {})",
                f.org_id
            )
        }
    };
    let outside_hidden = |column: &str| {
        if hidden.is_empty() {
            None
        } else {
            Some(format!(
                "{column} NOT IN (SELECT descendant_id FROM org_closure WHERE ancestor_id IN ({}))",
                id_list(&hidden)
            ))
        }
    };
    let mut projects_sql = format!("1 = 1{}", under("p.org_id"));
    if let Some(open) = outside_hidden("p.org_id") {
        if granted.is_empty() {
            projects_sql.push_str(&format!(" AND {open}"));
        } else {
            projects_sql.push_str(&format!(" AND ({open} OR {})", within("p.id", &granted)));
        }
    }
    let mut homes = format!("u.status <> 'invited'{}", under("u.org_id"));
    if let Some(open) = outside_hidden("u.org_id") {
        homes.push_str(&format!(" AND {open}"));
    }
    let open_projects = projects_sql.clone();
    if let Some(p) = f.project_id {
        projects_sql.push_str(&format!(" AND p.id = {p}"));
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let sql = format!("SELECT COUNT(*) AS n FROM projects p WHERE {projects_sql}");
        let found: Count = crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str())
            .get_result::<Count>(c))?;
        if found.n == 0 {
            return Err(FieldErrors::single(
                "project_id",
                "There is no such project in this organization's reports.",
            ));
        }
    }
    let mut people = String::new();
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
        people.push_str(&format!(
            " AND u.id IN (SELECT user_id FROM team_members WHERE team_id = {t})"
        ));
    }
    if let Some(u) = f.user_id {
        if !known_person(conn, access, u)? {
            return Err(FieldErrors::single(
                "user_id",
                "There is no such person among yours.",
            ));
        }
        people.push_str(&format!(" AND u.id = {u}"));
    }
    Ok(SqlScope {
        every_project: everything && hidden.is_empty() && f.project_id.is_none(),
        projects: projects_sql,
        open_projects,
        people,
        homes,
    })
}
