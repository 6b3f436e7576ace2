//! The permission resolver: an immutable snapshot of the org tree and everyone's
//! grants, built from plain rows, answering `check` in nanoseconds.
//!
//! The tree is laid out by an Euler tour (children in name order, so tour order is
//! path order): org `o` lies in the subtree of `g` iff `tin[g] <= tin[o] < tout[g]`.
//! `bdepth[o]` is the depth of the nearest privacy-mode org at or above `o` (0 when
//! none): a grant made at depth `d` reaches `o` only if `d >= bdepth[o]`, which is
//! how privacy mode stops ancestors at the border. Seeing a private org's own name
//! and place (`org.view` of the node itself) uses the border above it instead.

mod changes;
mod check;
mod decision;
mod id_map;
mod projects;
mod tree;
mod visible;

use std::sync::Arc;

use chrono::NaiveDateTime;
use rustc_hash::FxHashMap;

use crate::authz::memo::Memo;
use crate::authz::permission::PermissionSet;

pub use changes::{AccessChange, access_changes};
pub use decision::{Decision, Reason, Via};
pub use tree::Tree;

use id_map::IdMap;

const NONE: u32 = u32::MAX;

/// An org as the resolver needs it.
#[derive(Clone, Debug)]
pub struct OrgRow {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// Sort key among siblings (the normalised name, `name_key`).
    pub sort_key: String,
    /// `code_key`, for the searches (`authz::search`).
    pub code_key: String,
    pub privacy_mode: bool,
    pub archived: bool,
}

/// A user as the resolver needs it.
#[derive(Clone, Debug)]
pub struct UserRow {
    pub id: i64,
    pub active: bool,
    pub home_org_id: i64,
}

/// A grant of a role at an org, to a user directly or through a group.
#[derive(Clone, Debug)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub org_id: i64,
    pub role_id: i64,
    pub permissions: PermissionSet,
    /// False for "this org only".
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub group_id: Option<i64>,
}

/// A project as the resolver needs it: the org it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct ProjectRow {
    pub id: i64,
    pub org_id: i64,
}

/// A grant of a role at one project (that project only), to a user directly or
/// through a group.
#[derive(Clone, Debug)]
pub struct ProjectGrantRow {
    pub id: i64,
    pub user_id: i64,
    pub project_id: i64,
    pub role_id: i64,
    pub permissions: PermissionSet,
    pub expires_at: Option<NaiveDateTime>,
    pub group_id: Option<i64>,
}

/// One grant as the hot path reads it: 24 bytes, so a user's grants share a
/// cache line or two.
#[derive(Clone, Copy, Debug)]
pub(super) struct FlatGrant {
    pub(super) mask: u64,
    pub(super) tin: u32,
    pub(super) tout: u32,
    pub(super) depth: u32,
    pub(super) only_here: bool,
}

/// What `explain` adds to a grant, kept apart from the hot path.
#[derive(Clone, Copy, Debug)]
pub(super) struct GrantMeta {
    pub(super) grant_id: i64,
    pub(super) role_id: i64,
    pub(super) org_id: i64,
    pub(super) group_id: Option<i64>,
}

/// Everything the resolver knows of one user.
#[derive(Clone, Debug, Default)]
pub struct UserAccess {
    pub(super) active: bool,
    pub(super) home: Option<u32>,
    /// Live grants, sorted by `tin`; `meta[i]` describes `grants[i]`.
    pub(super) grants: Vec<FlatGrant>,
    pub(super) meta: Vec<GrantMeta>,
    /// Expired grants, kept only to explain a denial.
    pub(super) expired: Vec<(FlatGrant, GrantMeta)>,
    /// Project-scope grants: (project id, permissions), sorted by project.
    pub(super) projects: Vec<(i64, u64)>,
}

/// The resolver's immutable state at one `authz_epoch` (with a memo of
/// answers derived from it, which is the only part that fills up over time).
#[derive(Debug)]
pub struct Snapshot {
    pub epoch: i64,
    tree: Arc<Tree>,
    users: IdMap<Arc<UserAccess>>,
    /// Project id → the org it belongs to.
    projects: Arc<IdMap<i64>>,
    /// The earliest expiry of a live grant: the snapshot is stale from then on.
    next_expiry: Option<NaiveDateTime>,
    /// Answers derived from this snapshot (visible orgs, scopes), kept while it lives.
    memo: Memo,
}

impl Snapshot {
    /// Builds a snapshot from rows, as of `now` (grants expired by then drop out).
    pub fn build(
        epoch: i64,
        orgs: &[OrgRow],
        users: &[UserRow],
        grants: &[GrantRow],
        now: NaiveDateTime,
    ) -> Snapshot {
        let tree = Arc::new(Tree::build(orgs));
        let mut by_user: FxHashMap<i64, Vec<&GrantRow>> = FxHashMap::default();
        for g in grants {
            by_user.entry(g.user_id).or_default().push(g);
        }
        let mut snapshot = Snapshot {
            epoch,
            tree,
            users: IdMap::with_ids(users.len(), users.iter().map(|u| u.id).max().unwrap_or(0)),
            projects: Arc::new(IdMap::default()),
            next_expiry: None,
            memo: Memo::default(),
        };
        for user in users {
            let rows = by_user.remove(&user.id).unwrap_or_default();
            let access = snapshot.user_access(user, &rows, now);
            snapshot.users.insert(user.id, Arc::new(access));
        }
        snapshot
    }

    /// A copy with the access of some users replaced (a grant or status change):
    /// the tree and everyone else are shared, not rebuilt.
    pub fn patched(
        &self,
        epoch: i64,
        users: &[(UserRow, Vec<GrantRow>)],
        removed: &[i64],
        now: NaiveDateTime,
    ) -> Snapshot {
        let mut changed: Vec<i64> = users.iter().map(|(u, _)| u.id).collect();
        changed.extend_from_slice(removed);
        changed.sort_unstable();
        let mut next = Snapshot {
            epoch,
            tree: self.tree.clone(),
            users: self.users.clone(),
            projects: self.projects.clone(),
            next_expiry: self.next_expiry,
            memo: self.memo.carried_over(&changed),
        };
        for id in removed {
            next.users.remove(*id);
        }
        for (user, grants) in users {
            let rows: Vec<&GrantRow> = grants.iter().collect();
            let access = next.user_access(user, &rows, now);
            next.users.insert(user.id, Arc::new(access));
        }
        next
    }

    fn user_access(
        &mut self,
        user: &UserRow,
        rows: &[&GrantRow],
        now: NaiveDateTime,
    ) -> UserAccess {
        let tree = &self.tree;
        let mut access = UserAccess {
            active: user.active,
            home: tree.dense(user.home_org_id),
            ..Default::default()
        };
        let (mut live, mut expired) = (Vec::new(), Vec::new());
        for g in rows {
            let Some(d) = tree.dense(g.org_id) else {
                continue;
            };
            let d = d as usize;
            let flat = FlatGrant {
                tin: tree.tin[d],
                tout: tree.tout[d],
                depth: tree.depth[d],
                mask: g.permissions.0,
                only_here: !g.descendants,
            };
            let meta = GrantMeta {
                grant_id: g.id,
                role_id: g.role_id,
                org_id: g.org_id,
                group_id: g.group_id,
            };
            match g.expires_at {
                Some(at) if at <= now => expired.push((flat, meta)),
                Some(at) => {
                    self.next_expiry = Some(self.next_expiry.map_or(at, |e| e.min(at)));
                    live.push((flat, meta));
                }
                None => live.push((flat, meta)),
            }
        }
        live.sort_by_key(|(g, m)| (g.tin, m.grant_id));
        access.grants = live.iter().map(|(g, _)| *g).collect();
        access.meta = live.iter().map(|(_, m)| *m).collect();
        access.expired = expired;
        access
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }
}
