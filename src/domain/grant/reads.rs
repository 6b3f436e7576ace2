//! Reading grants: lists, filters and pages for the access pages and the API.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::authz::{Access, Permission};
use crate::db::{
    Conn,
    schema::{grants, groups, orgs, roles, users},
};
use crate::domain::ids::{ProjectId, UserId};
use crate::domain::role::{self, Role};
use crate::error::Result;

use super::*;

/// The grants held directly by `user_id` that `access` may know of: all
/// of one's own, else those made at an org where the viewer holds
/// `access.view`.
pub fn known_to(
    conn: &mut Conn,
    access: &crate::authz::Access,
    user_id: i64,
) -> Result<Vec<GrantView>> {
    use crate::authz::Permission;
    Ok(list(conn, None, Some(user_id))?
        .into_iter()
        .filter(|g| {
            user_id == access.user_id
                || g.grant
                    .org_id
                    .is_some_and(|o| access.can(Permission::AccessView, o))
        })
        .collect())
}

/// Grants at any of `org_ids` (all orgs when `None`), optionally of one user.
pub fn list(
    conn: &mut Conn,
    org_ids: Option<&[i64]>,
    user_id: Option<i64>,
) -> Result<Vec<GrantView>> {
    matching(
        conn,
        &GrantFilter {
            org_ids,
            user_id,
            ..GrantFilter::default()
        },
    )
}

/// Grants made to a group.
pub fn of_group(conn: &mut Conn, group_id: i64) -> Result<Vec<GrantView>> {
    matching(
        conn,
        &GrantFilter {
            group_id: Some(group_id),
            ..GrantFilter::default()
        },
    )
}

/// The live grants at a project that give `user_id` the permission `perm`
/// there, made to them directly or to a group they belong to, each with its
/// role (what `/check` names when project grants decide).
pub fn at_project_for(
    conn: &mut Conn,
    user_id: UserId,
    project_id: ProjectId,
    perm: crate::authz::Permission,
    now: NaiveDateTime,
) -> Result<Vec<(Grant, Role)>> {
    let mut live = Vec::new();
    for g in held_by(conn, user_id.0)? {
        if g.project_id != Some(project_id.0) || !g.is_live(now) {
            continue;
        }
        let role = role::find(conn, g.role_id)?;
        if role.permission_set().contains(perm) {
            live.push((g, role));
        }
    }
    Ok(live)
}

/// Which grants to load; every field set narrows the list.
#[derive(Clone, Copy, Debug, Default)]
pub struct GrantFilter<'a> {
    /// These grants only (one page of a list paged by [`visible_page`]).
    pub ids: Option<&'a [i64]>,
    pub org_ids: Option<&'a [i64]>,
    pub project_id: Option<i64>,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
}

/// Grants matching every part of the filter, oldest first, with the names a
/// list shows.
pub fn matching(conn: &mut Conn, filter: &GrantFilter) -> Result<Vec<GrantView>> {
    let GrantFilter {
        ids,
        org_ids,
        project_id,
        user_id,
        group_id,
    } = *filter;
    let mut query = grants::table
        .inner_join(roles::table)
        .left_join(users::table.on(users::id.nullable().eq(grants::user_id)))
        .left_join(groups::table.on(groups::id.nullable().eq(grants::group_id)))
        .left_join(orgs::table.on(orgs::id.nullable().eq(grants::org_id)))
        .select((
            Grant::as_select(),
            roles::name,
            users::display_name.nullable(),
            users::email.nullable(),
            groups::name.nullable(),
            orgs::name.nullable(),
        ))
        .order(grants::id)
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(grants::id.eq_any(ids.to_vec()));
    }
    if let Some(ids) = org_ids {
        query = query.filter(grants::org_id.eq_any(ids.to_vec()));
    }
    if let Some(uid) = user_id {
        query = query.filter(grants::user_id.eq(uid));
    }
    if let Some(gid) = group_id {
        query = query.filter(grants::group_id.eq(gid));
    }
    if let Some(pid) = project_id {
        query = query.filter(grants::project_id.eq(pid));
    }
    let rows: Vec<ViewRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(grant, role, user_name, user_email, group_name, org_name)| GrantView {
                grant,
                role,
                user_name,
                user_email,
                group_name,
                org_name,
            },
        )
        .collect())
}

/// One page of the grants matching `filter` that `access` may know of (their
/// own, and those decided where they hold `access.view`, as SQL can describe
/// it), oldest first, with the number of all matches. The caller gives each
/// row the resolver's final word.
pub fn visible_page(
    conn: &mut Conn,
    access: &Access,
    filter: &GrantFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GrantView>, i64)> {
    use crate::db::schema::projects;
    use crate::domain::org::subtree_ids;
    let scope = access.org_scope(Permission::AccessView);
    let everything = scope.is_whole_tree(access.snapshot.tree());
    let build = || {
        let mut query = grants::table.into_boxed();
        if let Some(ids) = filter.org_ids {
            query = query.filter(grants::org_id.eq_any(ids.to_vec()));
        }
        if let Some(uid) = filter.user_id {
            query = query.filter(grants::user_id.eq(uid));
        }
        if let Some(gid) = filter.group_id {
            query = query.filter(grants::group_id.eq(gid));
        }
        if let Some(pid) = filter.project_id {
            query = query.filter(grants::project_id.eq(pid));
        }
        if !everything {
            let in_scope = |roots: Vec<i64>, hidden: Vec<i64>| {
                grants::org_id
                    .assume_not_null()
                    .eq_any(subtree_ids(roots))
                    .and(grants::org_id.assume_not_null().ne_all(subtree_ids(hidden)))
            };
            let scoped_projects = projects::table
                .filter(projects::org_id.eq_any(subtree_ids(scope.roots.clone())))
                .filter(projects::org_id.ne_all(subtree_ids(scope.hidden.clone())))
                .select(projects::id);
            query = query.filter(
                grants::user_id
                    .eq(access.user_id)
                    .or(in_scope(scope.roots.clone(), scope.hidden.clone()))
                    .or(grants::project_id.assume_not_null().eq_any(scoped_projects)),
            );
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let ids: Vec<i64> = build()
        .order(grants::id)
        .offset(offset)
        .limit(limit)
        .select(grants::id)
        .load(conn)?;
    let rows = matching(
        conn,
        &GrantFilter {
            ids: Some(&ids),
            ..GrantFilter::default()
        },
    )?;
    Ok((rows, total))
}

/// True when `user_id` holds `role_id` at `org_id` (with this reach) by a
/// live grant of their own: what an import asks before granting again.
pub fn holds(
    conn: &mut Conn,
    user_id: i64,
    role_id: i64,
    org_id: i64,
    descendants: bool,
) -> Result<bool> {
    let found: Option<i64> = grants::table
        .filter(grants::user_id.eq(user_id))
        .filter(grants::role_id.eq(role_id))
        .filter(grants::org_id.eq(org_id))
        .filter(grants::descendants.eq(descendants))
        .filter(live_at(crate::db::now()))
        .select(grants::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}
