//! What a report's filter form offers: the first projects, teams and people
//! (by name) the viewer may report on under the chosen org, read in SQL with
//! the report's own scope, and the labels of the ones chosen.
//
// TODO(tree): the search pickers replace these lists; they need only the
// chosen labels (`Choices::*_label`), which stay.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::Filter;
use super::scope::SqlScope;
use crate::authz::{Access, Permission};
use crate::db::{
    Conn,
    schema::{org_closure, teams},
};
use crate::error::Result;

/// How many of each the form lists.
pub const LISTED: i64 = 100;

#[derive(Default)]
pub struct Choices {
    pub projects: Vec<(i64, String)>,
    pub teams: Vec<(i64, String)>,
    pub people: Vec<(i64, String)>,
}

#[derive(QueryableByName)]
struct Labelled {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    label: String,
}

fn labelled(conn: &mut Conn, sql: &str) -> Result<Vec<(i64, String)>> {
    let found: Vec<Labelled> =
        crate::with_backend!(conn, |c| diesel::sql_query(sql).load::<Labelled>(c))?;
    Ok(found.into_iter().map(|l| (l.id, l.label)).collect())
}

/// Keeps the chosen one in the list even when it is not among the first.
fn with_chosen(
    conn: &mut Conn,
    mut list: Vec<(i64, String)>,
    chosen: Option<i64>,
    sql_for: impl Fn(i64) -> String,
) -> Result<Vec<(i64, String)>> {
    if let Some(id) = chosen
        && !list.iter().any(|(i, _)| *i == id)
    {
        list.extend(labelled(conn, &sql_for(id))?);
    }
    Ok(list)
}

pub fn choices(conn: &mut Conn, access: &Access, f: &Filter, scope: &SqlScope) -> Result<Choices> {
    let label = (
        "p.name || ' (' || p.code || ')'",
        "u.display_name || ' <' || u.email || '>'",
    );
    let projects = labelled(
        conn,
        &format!(
            "SELECT p.id AS id, {} AS label FROM projects p WHERE {} ORDER BY p.name, p.id LIMIT {LISTED}",
            label.0, scope.open_projects
        ),
    )?;
    let projects = with_chosen(conn, projects, f.project_id, |id| {
        format!(
            "SELECT p.id AS id, {} AS label FROM projects p WHERE {} AND p.id = {id}",
            label.0, scope.open_projects
        )
    })?;
    let people = labelled(
        conn,
        &format!(
            "SELECT u.id AS id, {} AS label FROM users u WHERE {} ORDER BY u.display_name, u.id LIMIT {LISTED}",
            label.1, scope.homes
        ),
    )?;
    // A person named in the filter passed `known_person`: their label may show.
    let people = with_chosen(conn, people, f.user_id, |id| {
        format!(
            "SELECT u.id AS id, {} AS label FROM users u WHERE u.id = {id}",
            label.1
        )
    })?;
    let found: Vec<(i64, i64, String)> = teams::table
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(teams::org_id)))
        .filter(org_closure::ancestor_id.eq(f.org_id))
        .order((teams::name_key, teams::id))
        .limit(LISTED * 5)
        .select((teams::id, teams::org_id, teams::name))
        .load(conn)?;
    let see =
        |org: i64| access.can(Permission::TeamView, org) || access.can(Permission::ReportView, org);
    let mut team_list: Vec<(i64, String)> = found
        .into_iter()
        .filter(|(_, org, _)| see(*org))
        .map(|(id, _, name)| (id, name))
        .take(LISTED as usize)
        .collect();
    if let Some(t) = f.team_id
        && !team_list.iter().any(|(i, _)| *i == t)
        && let Some((org, name)) = teams::table
            .find(t)
            .select((teams::org_id, teams::name))
            .first::<(i64, String)>(conn)
            .optional()?
        && see(org)
    {
        team_list.push((t, name));
    }
    Ok(Choices {
        projects,
        teams: team_list,
        people,
    })
}
