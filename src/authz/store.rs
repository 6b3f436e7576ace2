//! Keeps the current resolver snapshot and brings it up to date: each request
//! reads `authz_epoch` (one primary-key read); when it moved, the snapshot is
//! patched (only some users' grants changed) or rebuilt (the tree changed).

use std::sync::{Arc, Mutex, RwLock};

use diesel::prelude::*;
use rustc_hash::FxHashMap;

use super::epoch;
use super::permission::PermissionSet;
use super::snapshot::{GrantRow, OrgRow, ProjectGrantRow, ProjectRow, Snapshot, UserRow};
use crate::db::schema::{grants, group_members, orgs, projects, roles, users};
use crate::db::{self, Conn};
use crate::error::Result;

/// Above this many changed users a rebuild is cheaper than patching.
const MAX_PATCHED_USERS: usize = 500;

pub struct AuthzStore {
    current: RwLock<Arc<Snapshot>>,
    refresh: Mutex<()>,
}

impl Default for AuthzStore {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthzStore {
    /// An empty store; the first `fresh` call builds the snapshot.
    pub fn new() -> Self {
        AuthzStore {
            current: RwLock::new(Arc::new(Snapshot::build(-1, &[], &[], &[], db::now()))),
            refresh: Mutex::new(()),
        }
    }

    fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The snapshot as of the database's current epoch.
    pub fn fresh(&self, conn: &mut Conn) -> Result<Arc<Snapshot>> {
        let epoch = epoch::authz(conn)?;
        let now = db::now();
        let snapshot = self.current();
        if snapshot.epoch == epoch && !snapshot.is_stale_at(now) {
            return Ok(snapshot);
        }
        // One refresher at a time; the others wait and take its result.
        let _guard = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        let snapshot = self.current();
        if snapshot.epoch >= epoch && !snapshot.is_stale_at(now) {
            return Ok(snapshot);
        }
        let patch = if snapshot.epoch >= 0 && !snapshot.is_stale_at(now) {
            epoch::changes_since(conn, snapshot.epoch)?
                .filter(|users| users.len() <= MAX_PATCHED_USERS)
        } else {
            None
        };
        let next = match patch {
            Some(user_ids) => {
                let (rows, project_grants, removed) = load_users(conn, &user_ids)?;
                let mut next = snapshot.patched(epoch, &rows, &removed, now);
                let mut by_user: FxHashMap<i64, Vec<ProjectGrantRow>> = FxHashMap::default();
                for g in project_grants {
                    by_user.entry(g.user_id).or_default().push(g);
                }
                for (user, _) in &rows {
                    let grants = by_user.remove(&user.id).unwrap_or_default();
                    next.patch_project_grants(user.id, &grants, now);
                }
                next
            }
            None => load(conn, epoch, now)?,
        };
        let next = Arc::new(next);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = next.clone();
        Ok(next)
    }
}

/// Builds a whole snapshot from the database.
pub fn load(conn: &mut Conn, epoch: i64, now: chrono::NaiveDateTime) -> Result<Snapshot> {
    let orgs = org_rows(conn, None)?;
    let users = user_rows(conn)?;
    let (grants, project_grants) = load_grants(conn, None)?;
    let projects = project_rows(conn)?;
    Ok(
        Snapshot::build(epoch, &orgs, &users, &grants, now).with_projects(
            &projects,
            &project_grants,
            now,
        ),
    )
}

fn project_rows(conn: &mut Conn) -> Result<Vec<ProjectRow>> {
    Ok(projects::table
        .select((projects::id, projects::org_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(id, org_id)| ProjectRow { id, org_id })
        .collect())
}

/// Every org as the resolver needs it; `moved` re-parents one org (for previews).
fn org_rows(conn: &mut Conn, moved: Option<(i64, i64)>) -> Result<Vec<OrgRow>> {
    let rows: Vec<(i64, Option<i64>, String, String, bool, String)> = orgs::table
        .select((
            orgs::id,
            orgs::parent_id,
            orgs::name_key,
            orgs::code_key,
            orgs::privacy_mode,
            orgs::status,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, parent_id, sort_key, code_key, privacy_mode, status)| OrgRow {
                id,
                parent_id: match moved {
                    Some((org, new_parent)) if org == id => Some(new_parent),
                    _ => parent_id,
                },
                sort_key,
                code_key,
                privacy_mode,
                archived: status == "archived",
            },
        )
        .collect())
}

fn user_rows(conn: &mut Conn) -> Result<Vec<UserRow>> {
    Ok(users::table
        .select((users::id, users::status, users::org_id))
        .load::<(i64, String, i64)>(conn)?
        .into_iter()
        .map(user_row)
        .collect())
}

fn user_row((id, status, home_org_id): (i64, String, i64)) -> UserRow {
    UserRow {
        id,
        active: status == "active",
        home_org_id,
    }
}

/// The current rows of some users and their grants; ids no longer present are
/// returned as removed.
/// Users with their grants, as `Snapshot::patched` takes them.
type UserGrants = Vec<(UserRow, Vec<GrantRow>)>;

fn load_users(
    conn: &mut Conn,
    ids: &[i64],
) -> Result<(UserGrants, Vec<ProjectGrantRow>, Vec<i64>)> {
    let found: Vec<UserRow> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::status, users::org_id))
        .load::<(i64, String, i64)>(conn)?
        .into_iter()
        .map(user_row)
        .collect();
    let mut grants_by_user: FxHashMap<i64, Vec<GrantRow>> = FxHashMap::default();
    let (at_orgs, at_projects) = load_grants(conn, Some(ids))?;
    for g in at_orgs {
        grants_by_user.entry(g.user_id).or_default().push(g);
    }
    let removed = ids
        .iter()
        .copied()
        .filter(|id| !found.iter().any(|u| u.id == *id))
        .collect();
    let rows = found
        .into_iter()
        .map(|u| {
            let g = grants_by_user.remove(&u.id).unwrap_or_default();
            (u, g)
        })
        .collect();
    Ok((rows, at_projects, removed))
}

type GrantTuple = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    i64,
    String,
    bool,
    Option<chrono::NaiveDateTime>,
    Option<i64>,
);

/// Every grant with its role's permissions, one row per holder: a grant to a user
/// directly, and a grant to a group once per member (all users, or some users'),
/// split into org-scope and project-scope grants.
fn load_grants(
    conn: &mut Conn,
    user_ids: Option<&[i64]>,
) -> Result<(Vec<GrantRow>, Vec<ProjectGrantRow>)> {
    let mut direct = grants::table
        .inner_join(roles::table)
        .filter(grants::user_id.is_not_null())
        .select((
            grants::id,
            grants::user_id.assume_not_null(),
            grants::org_id,
            grants::project_id,
            grants::role_id,
            roles::permissions,
            grants::descendants,
            grants::expires_at,
            grants::group_id,
        ))
        .into_boxed();
    let mut via_groups = grants::table
        .inner_join(roles::table)
        .inner_join(
            group_members::table.on(group_members::group_id.nullable().eq(grants::group_id)),
        )
        .select((
            grants::id,
            group_members::user_id,
            grants::org_id,
            grants::project_id,
            grants::role_id,
            roles::permissions,
            grants::descendants,
            grants::expires_at,
            grants::group_id,
        ))
        .into_boxed();
    if let Some(ids) = user_ids {
        direct = direct.filter(grants::user_id.eq_any(ids.to_vec()));
        via_groups = via_groups.filter(group_members::user_id.eq_any(ids.to_vec()));
    }
    let mut rows: Vec<GrantTuple> = direct.load(conn)?;
    rows.extend(via_groups.load::<GrantTuple>(conn)?);
    let mut masks: FxHashMap<i64, PermissionSet> = FxHashMap::default();
    let (mut at_orgs, mut at_projects) = (Vec::new(), Vec::new());
    for (id, user_id, org_id, project_id, role_id, perms, descendants, expires_at, group_id) in rows
    {
        let permissions = *masks.entry(role_id).or_insert_with(|| {
            // A name the code no longer knows grants nothing, rather than failing.
            PermissionSet::from_names(&perms).unwrap_or_else(|e| {
                log::warn!("role {role_id}: {e}");
                PermissionSet::EMPTY
            })
        });
        match (org_id, project_id) {
            (Some(org_id), _) => at_orgs.push(GrantRow {
                id,
                user_id,
                org_id,
                role_id,
                permissions,
                descendants,
                expires_at,
                group_id,
            }),
            (None, Some(project_id)) => at_projects.push(ProjectGrantRow {
                id,
                user_id,
                project_id,
                role_id,
                permissions,
                expires_at,
                group_id,
            }),
            (None, None) => {}
        }
    }
    Ok((at_orgs, at_projects))
}

/// The snapshot now and as it would be if `org_id` hung under `new_parent_id`
/// (for the access preview of a move). Built from the database, stored nowhere.
pub fn load_with_move(
    conn: &mut Conn,
    org_id: i64,
    new_parent_id: i64,
) -> Result<(Snapshot, Snapshot)> {
    let now = db::now();
    let epoch = epoch::authz(conn)?;
    let users = user_rows(conn)?;
    // Project grants do not change with an org's place: the preview compares orgs.
    let (grants, _) = load_grants(conn, None)?;
    let before = Snapshot::build(epoch, &org_rows(conn, None)?, &users, &grants, now);
    let after = Snapshot::build(
        epoch,
        &org_rows(conn, Some((org_id, new_parent_id)))?,
        &users,
        &grants,
        now,
    );
    Ok((before, after))
}
