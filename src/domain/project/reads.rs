//! Who sees a project, and the searches and pages of the projects one sees.

use diesel::prelude::*;

use crate::db::{
    self, Conn,
    schema::{grants, org_closure, projects},
};
use crate::domain::validate;
use crate::error::{Error, Result};

use super::*;

/// Filters for listing projects.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// The org's whole subtree.
    pub org_id: Option<i64>,
    pub status: Option<ProjectStatus>,
    /// Name or code contains (case-insensitive).
    pub q: Option<String>,
}

/// Projects matching `filter`, by name. The caller keeps those its viewer may see.
pub fn search(conn: &mut Conn, filter: &ProjectFilter) -> Result<Vec<Project>> {
    let mut query = projects::table
        .select(Project::as_select())
        .order((projects::name, projects::id))
        .into_boxed();
    if let Some(org_id) = filter.org_id {
        query = query.filter(
            projects::org_id.eq_any(
                org_closure::table
                    .filter(org_closure::ancestor_id.eq(org_id))
                    .select(org_closure::descendant_id),
            ),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(projects::status.eq(status.as_str()));
    }
    let mut found: Vec<Project> = query.load(conn)?;
    if let Some(q) = filter
        .q
        .as_deref()
        .map(validate::key)
        .filter(|q| !q.is_empty())
    {
        // Names keep their case (no lower-cased column): compare here.
        found.retain(|p| p.code_key.contains(&q) || p.name.to_lowercase().contains(&q));
    }
    Ok(found)
}

/// May the person know the project exists? `project.view` through a grant at its
/// org (or above) or at the project itself — or a current assignment to it.
pub fn can_view(conn: &mut Conn, access: &crate::authz::Access, p: &Project) -> Result<bool> {
    use crate::authz::Permission;
    if access.can_project(Permission::ProjectView, p.id) {
        return Ok(true);
    }
    let today = db::now().date();
    Ok(
        crate::domain::assignment::assigned_project_ids(conn, access.user_id, today)?
            .contains(&p.id),
    )
}

/// `Ok` when the person may do `perm` on the project; 404 when they may not even
/// see it (exactly as if it did not exist), else 403.
pub fn require(
    conn: &mut Conn,
    access: &crate::authz::Access,
    p: &Project,
    perm: crate::authz::Permission,
) -> Result<()> {
    if !can_view(conn, access, p)? {
        return Err(Error::NotFound);
    }
    if perm == crate::authz::Permission::ProjectView || access.can_project(perm, p.id) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "You do not have the permission {perm} on this project."
        )))
    }
}

/// The project if the person may see it, else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Project> {
    let p = find(conn, id)?;
    require(conn, access, &p, crate::authz::Permission::ProjectView)?;
    Ok(p)
}

/// One page (in name order) of the projects `filter` matches among those
/// `access` may see (`project.view` at their org, a grant on the project
/// itself) or `also` (the viewer's current assignments), narrowed in SQL;
/// with the number of all matches. The caller keeps the resolver's final word.
pub fn search_visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    filter: &ProjectFilter,
    also: &[i64],
    offset: i64,
    limit: i64,
) -> Result<(Vec<Project>, i64)> {
    use crate::authz::Permission;
    use crate::db::schema::group_members;
    use crate::domain::org::subtree_ids;
    let scope = access.org_scope(Permission::ProjectView);
    let everything = scope.is_whole_tree(access.snapshot.tree());
    // Projects open by a grant on the project itself (the person's, or one
    // of their groups'), as the resolver sees them.
    let mut extra: Vec<i64> = grants::table
        .filter(grants::project_id.is_not_null())
        .filter(
            grants::user_id
                .eq(access.user_id)
                .or(grants::group_id.eq_any(
                    group_members::table
                        .filter(group_members::user_id.eq(access.user_id))
                        .select(group_members::group_id.nullable()),
                )),
        )
        .filter(crate::domain::grant::live_at(crate::db::now()))
        .select(grants::project_id.assume_not_null())
        .load(conn)?;
    extra.retain(|p| access.can_project(Permission::ProjectView, *p));
    extra.extend_from_slice(also);
    extra.sort_unstable();
    extra.dedup();
    let needle = filter
        .q
        .as_deref()
        .map(validate::key)
        .filter(|q| !q.is_empty())
        .map(|q| format!("%{}%", q.replace(['%', '_'], "")));
    let build = || {
        let mut query = projects::table.into_boxed();
        if !everything {
            query = query.filter(
                projects::org_id
                    .eq_any(subtree_ids(scope.roots.clone()))
                    .and(projects::org_id.ne_all(subtree_ids(scope.hidden.clone())))
                    .or(projects::id.eq_any(extra.clone())),
            );
        }
        if let Some(org_id) = filter.org_id {
            query = query.filter(projects::org_id.eq_any(subtree_ids(vec![org_id])));
        }
        if let Some(status) = filter.status {
            query = query.filter(projects::status.eq(status.as_str()));
        }
        if let Some(pattern) = &needle {
            query = query.filter(
                projects::code_key
                    .like(pattern.clone())
                    .or(crate::db::lower(projects::name).like(pattern.clone())),
            );
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((projects::name, projects::id))
        .offset(offset)
        .limit(limit)
        .select(Project::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// One page of the projects `access` may see (`search_visible`, with the
/// viewer's current assignments), each row given the resolver's final word:
/// the list behind both the projects page and `GET /api/v1/projects`.
pub fn visible_page(
    conn: &mut Conn,
    access: &crate::authz::Access,
    filter: &ProjectFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Project>, i64)> {
    use crate::authz::Permission;
    let assigned = crate::domain::assignment::assigned_project_ids(
        conn,
        access.user_id,
        crate::db::now().date(),
    )?;
    let (found, total) = search_visible(conn, access, filter, &assigned, offset, limit)?;
    let found = found
        .into_iter()
        .filter(|p| access.can_project(Permission::ProjectView, p.id) || assigned.contains(&p.id))
        .collect();
    Ok((found, total))
}
