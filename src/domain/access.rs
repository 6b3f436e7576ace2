//! "Who has access here?": the grants that reach an org, with where each comes
//! from. Reads the tree from the resolver's snapshot so privacy borders apply
//! exactly as they do for decisions.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;

use crate::authz::{Access, Permission, Snapshot};
use crate::db::schema::groups;
use crate::db::{self, Conn};
use crate::domain::grant;
use crate::error::Result;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Principal {
    /// `user` or `group`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AccessScope)]
pub struct Scope {
    pub org_id: i64,
    pub org_name: String,
    pub descendants: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccessItem {
    pub grant_id: i64,
    pub principal: Principal,
    pub role: String,
    pub role_id: i64,
    pub scope: Scope,
    /// `direct` for a grant made here, `inherited` for one made above.
    pub via: &'static str,
    pub expires_at: Option<String>,
}

/// What one viewer may know of the access at an org: the rows they may see,
/// and whether grants from above their scope were left out.
#[derive(Clone, Debug, Default)]
pub struct EffectiveAccess {
    pub items: Vec<AccessItem>,
    /// True when grants made at orgs the viewer may not see also reach here.
    pub hidden_above: bool,
}

/// Every live grant that reaches `org_id` (made here, or above it with "and
/// below" and not stopped by a privacy border) that `viewer` may know of: made
/// at an org they see (`org.view`), to a user they may see or a group they may
/// see (`group.view` where it lives). Grants from above their scope are only
/// counted, never named.
pub fn effective_at(conn: &mut Conn, viewer: &Access, org_id: i64) -> Result<EffectiveAccess> {
    let snapshot: &Snapshot = &viewer.snapshot;
    let tree = snapshot.tree();
    let path = tree.path(org_id);
    let now = db::now();
    let reaching: Vec<grant::GrantView> = grant::list(conn, Some(&path), None)?
        .into_iter()
        .filter(|g| !g.is_expired(now))
        .filter(|g| {
            g.grant
                .org_id
                .is_some_and(|at| tree.grant_reaches(at, g.grant.descendants, org_id))
        })
        .collect();
    let hidden_above = reaching.iter().any(|g| {
        g.grant
            .org_id
            .is_some_and(|at| !viewer.can(Permission::OrgView, at))
    });
    let reaching: Vec<grant::GrantView> = reaching
        .into_iter()
        .filter(|g| {
            g.grant
                .org_id
                .is_some_and(|at| viewer.can(Permission::OrgView, at))
        })
        .collect();
    let user_ids: Vec<i64> = reaching.iter().filter_map(|g| g.grant.user_id).collect();
    let group_ids: Vec<i64> = reaching.iter().filter_map(|g| g.grant.group_id).collect();
    let visible_users = crate::domain::user::visible_ids(conn, viewer, &user_ids)?;
    let group_orgs: HashMap<i64, i64> = groups::table
        .filter(groups::id.eq_any(&group_ids))
        .select((groups::id, groups::org_id))
        .load(conn)?
        .into_iter()
        .collect();
    let mut items: Vec<AccessItem> = reaching
        .into_iter()
        .filter_map(|g| {
            let at = g.grant.org_id?;
            let principal = match (g.grant.user_id, g.grant.group_id) {
                (Some(id), _) if visible_users.contains(&id) => Principal {
                    kind: "user",
                    id,
                    name: g.user_name.clone().unwrap_or_default(),
                    email: g.user_email.clone(),
                },
                (None, Some(id))
                    if group_orgs
                        .get(&id)
                        .is_some_and(|o| viewer.can(Permission::GroupView, *o)) =>
                {
                    Principal {
                        kind: "group",
                        id,
                        name: g.group_name.clone().unwrap_or_default(),
                        email: None,
                    }
                }
                _ => return None,
            };
            Some(AccessItem {
                grant_id: g.grant.id,
                principal,
                role: g.role.clone(),
                role_id: g.grant.role_id,
                scope: Scope {
                    org_id: at,
                    org_name: g.org_name.clone().unwrap_or_default(),
                    descendants: g.grant.descendants,
                },
                via: if at == org_id { "direct" } else { "inherited" },
                expires_at: g.grant.expires_at.map(db::rfc3339),
            })
        })
        .collect();
    // Nearest first: grants made here, then each ancestor upward.
    items.sort_by_key(|i| (std::cmp::Reverse(tree.depth_of(i.scope.org_id)), i.grant_id));
    Ok(EffectiveAccess {
        items,
        hidden_above,
    })
}

/// What to narrow an org's access list to: a name or email (of the user, or
/// the group's name) and one role.
#[derive(Clone, Debug, Default)]
pub struct AccessFilter {
    pub q: String,
    pub role_id: Option<i64>,
}

/// The grants that reach a project from its org and above (the project's
/// own grants are `grant::matching` by project): the first `limit` of them
/// as the org's Access tab lists them, and how many there are in all. `None`
/// when the viewer may not read the access at the project's org.
pub fn inherited_by_project(
    conn: &mut Conn,
    viewer: &Access,
    project_org: i64,
    limit: i64,
) -> Result<Option<(EffectiveAccess, i64)>> {
    if !viewer.can(Permission::AccessView, project_org) {
        return Ok(None);
    }
    let page = effective_page(
        conn,
        viewer,
        project_org,
        &AccessFilter::default(),
        0,
        limit,
    )?;
    Ok(Some(page))
}

/// One page of [`effective_at`], filtered, counted and paged in SQL: the same
/// rows in the same order (nearest first: grants made here, then each org
/// above, each by grant id), with the number of all matches. Only the few
/// orgs on the path are walked in Rust; each level is one indexed query.
pub fn effective_page(
    conn: &mut Conn,
    viewer: &Access,
    org_id: i64,
    filter: &AccessFilter,
    offset: i64,
    limit: i64,
) -> Result<(EffectiveAccess, i64)> {
    use crate::db::schema::{grants, orgs, roles, users};
    use crate::domain::user;
    let tree = viewer.snapshot.tree();
    let now = db::now();
    // The orgs whose grants reach here, nearest first: this org with either
    // reach, those above only with "and below" and inside the privacy border.
    let mut path = tree.path(org_id);
    path.reverse();
    let (mut seen, mut unseen) = (Vec::new(), Vec::new());
    for (i, &at) in path.iter().enumerate() {
        if i > 0 && !tree.grant_reaches(at, true, org_id) {
            continue;
        }
        if viewer.can(Permission::OrgView, at) {
            seen.push(at);
        } else {
            unseen.push(at);
        }
    }
    let hidden_above = !unseen.is_empty()
        && grants::table
            .filter(grants::org_id.eq_any(unseen))
            .filter(grants::descendants.eq(true))
            .filter(grant::live_at(now))
            .select(grants::id)
            .first::<i64>(conn)
            .optional()?
            .is_some();
    // The groups holding grants here that the viewer may see (few: listed
    // in Rust, with the resolver's own answer), matching the search.
    let needle = filter.q.trim().to_lowercase().replace(['%', '_'], "");
    let group_rows: Vec<(i64, i64, String)> = grants::table
        .inner_join(groups::table.on(groups::id.nullable().eq(grants::group_id)))
        .filter(grants::org_id.eq_any(seen.clone()))
        .select((groups::id, groups::org_id, groups::name))
        .distinct()
        .load(conn)?;
    let shown_groups: Vec<i64> = group_rows
        .into_iter()
        .filter(|(_, at, name)| {
            viewer.can(Permission::GroupView, *at)
                && (needle.is_empty() || name.to_lowercase().contains(&needle))
        })
        .map(|(id, _, _)| id)
        .collect();
    let scope = user::user_scope(viewer);
    let pattern = user::search_pattern(&filter.q);
    let level = |at: i64| {
        let mut query = grants::table
            .inner_join(roles::table)
            .left_join(users::table.on(users::id.nullable().eq(grants::user_id)))
            .left_join(groups::table.on(groups::id.nullable().eq(grants::group_id)))
            .left_join(orgs::table.on(orgs::id.nullable().eq(grants::org_id)))
            .filter(grants::org_id.eq(at))
            .filter(grant::live_at(now))
            .into_boxed();
        // Users the viewer may see (matching the search), or the groups
        // listed above; on a group's row the user's columns are NULL.
        let to_group = grants::group_id
            .assume_not_null()
            .eq_any(shown_groups.clone());
        query = match (scope.clone(), pattern.clone()) {
            (None, None) => query.filter(grants::user_id.is_not_null().or(to_group)),
            (None, Some(p)) => query.filter(
                users::email_key
                    .like(p.clone())
                    .or(crate::db::lower(users::display_name).like(p))
                    .or(to_group),
            ),
            (Some(scope), None) => {
                query.filter(user::sees_user_sql!(scope, viewer.user_id).or(to_group))
            }
            (Some(scope), Some(p)) => query.filter(
                user::sees_user_sql!(scope, viewer.user_id)
                    .and(
                        users::email_key
                            .like(p.clone())
                            .or(crate::db::lower(users::display_name).like(p)),
                    )
                    .or(to_group),
            ),
        };
        if at != org_id {
            query = query.filter(grants::descendants.eq(true));
        }
        if let Some(role_id) = filter.role_id {
            query = query.filter(grants::role_id.eq(role_id));
        }
        query
    };
    let mut counts = Vec::with_capacity(seen.len());
    for &at in &seen {
        counts.push(level(at).count().get_result::<i64>(conn)?);
    }
    let total: i64 = counts.iter().sum();
    // The levels the page spans, each read from its own offset.
    let mut items = Vec::new();
    let (mut skip, mut want) = (offset, limit);
    for (&at, &count) in seen.iter().zip(&counts) {
        if want <= 0 {
            break;
        }
        if skip >= count {
            skip -= count;
            continue;
        }
        let rows: Vec<grant::ViewRow> = level(at)
            .order(grants::id)
            .offset(skip)
            .limit(want)
            .select((
                grant::Grant::as_select(),
                roles::name,
                users::display_name.nullable(),
                users::email.nullable(),
                groups::name.nullable(),
                orgs::name.nullable(),
            ))
            .load(conn)?;
        want -= rows.len() as i64;
        skip = 0;
        for (g, role, user_name, user_email, group_name, org_name) in rows {
            let principal = match (g.user_id, g.group_id) {
                (Some(id), _) => Principal {
                    kind: "user",
                    id,
                    name: user_name.unwrap_or_default(),
                    email: user_email,
                },
                (None, Some(id)) => Principal {
                    kind: "group",
                    id,
                    name: group_name.unwrap_or_default(),
                    email: None,
                },
                (None, None) => continue,
            };
            items.push(AccessItem {
                grant_id: g.id,
                principal,
                role,
                role_id: g.role_id,
                scope: Scope {
                    org_id: at,
                    org_name: org_name.unwrap_or_default(),
                    descendants: g.descendants,
                },
                via: if at == org_id { "direct" } else { "inherited" },
                expires_at: g.expires_at.map(db::rfc3339),
            });
        }
    }
    Ok((
        EffectiveAccess {
            items,
            hidden_above,
        },
        total,
    ))
}

/// A decision in words, naming roles and orgs.
pub fn describe(
    conn: &mut Conn,
    viewer: &Access,
    decision: &crate::authz::Decision,
    perm: crate::authz::Permission,
) -> Result<String> {
    use crate::authz::Reason;
    // Only what the person asking may see is named: an org admin asking about
    // someone with a grant at the root learns that it comes from above, not
    // what the root is called.
    let org_name = |conn: &mut Conn, id: i64| -> Result<String> {
        if !viewer.can(Permission::OrgView, id) {
            return Ok("an organization above yours".into());
        }
        Ok(crate::domain::org::find(conn, id)
            .map(|o| o.name)
            .unwrap_or_else(|_| format!("org {id}")))
    };
    let group_name = |conn: &mut Conn, id: i64| -> Result<String> {
        Ok(match crate::domain::group::known_to(conn, viewer, id)? {
            Some(g) => format!("group {}", g.name),
            None => "a group".into(),
        })
    };
    // The permission by its label, its code in brackets for those who know it.
    let said = format!("{} ({})", perm.label(), perm.name());
    Ok(match &decision.reason {
        Reason::Granted => {
            let mut parts = Vec::new();
            for via in &decision.via {
                let role = crate::domain::role::find(conn, via.role_id)
                    .map(|r| r.name)
                    .unwrap_or_default();
                let at = org_name(conn, via.org_id)?;
                let reach = if via.descendants {
                    " and below"
                } else {
                    " only"
                };
                let group = match via.group_id {
                    Some(g) => format!(" via {}", group_name(conn, g)?),
                    None => String::new(),
                };
                parts.push(format!("the role {role} at {at}{reach}{group}"));
            }
            format!("Allowed: {said} comes from {}.", parts.join("; "))
        }
        Reason::HomeMembership => "Allowed: everyone sees their own home organization.".into(),
        Reason::UnknownUser => "Denied: no such user.".into(),
        Reason::UnknownOrg => "Denied: no such organization.".into(),
        Reason::UserDeactivated => "Denied: the user is deactivated.".into(),
        Reason::OrgArchived { org_id } => {
            format!(
                "Denied: {} is archived, so nothing in it can change.",
                org_name(conn, *org_id)?
            )
        }
        Reason::BlockedByPrivacy { org_id } => format!(
            "Denied: privacy mode at {} stops grants made above it.",
            org_name(conn, *org_id)?
        ),
        Reason::GrantExpired { grant_id } => {
            let grant = crate::domain::grant::find(conn, *grant_id).ok();
            let what = match grant {
                Some(g) => {
                    let role = crate::domain::role::find(conn, g.role_id)
                        .map(|r| r.name)
                        .unwrap_or_default();
                    match g.org_id {
                        Some(o) => format!("the role {role} at {}", org_name(conn, o)?),
                        None => format!("the role {role}"),
                    }
                }
                None => "a grant".into(),
            };
            format!("Denied: {what} would allow it, but it has expired.")
        }
        Reason::NoGrant => format!("Denied: no grant gives {said} here."),
    })
}
