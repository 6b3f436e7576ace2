//! The permission resolver: an immutable snapshot of the org tree and everyone's
//! grants, built from plain rows, answering `check` in nanoseconds.
//!
//! The tree is laid out by an Euler tour (children in name order, so tour order is
//! path order): org `o` lies in the subtree of `g` iff `tin[g] <= tin[o] < tout[g]`.
//! `bdepth[o]` is the depth of the nearest privacy-mode org at or above `o` (0 when
//! none): a grant made at depth `d` reaches `o` only if `d >= bdepth[o]`, which is
//! how privacy mode stops ancestors at the border. Seeing a private org's own name
//! and place (`org.view` of the node itself) uses the border above it instead.

use std::sync::Arc;

use chrono::NaiveDateTime;
use rustc_hash::FxHashMap;

use super::memo::{Memo, MemoKey, MemoKind};
use super::permission::{Permission, PermissionSet};

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

/// Maps database ids to values. Ids come from a sequence, so a plain array
/// indexed by id is the usual layout (one load, no hashing); sparse ids fall back
/// to a hash map.
#[derive(Clone, Debug)]
struct IdMap<V> {
    slots: Vec<Option<V>>,
    spill: FxHashMap<i64, V>,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap {
            slots: Vec::new(),
            spill: FxHashMap::default(),
        }
    }
}

impl<V> IdMap<V> {
    /// Sized for `count` values with ids up to `max_id`.
    fn with_ids(count: usize, max_id: i64) -> Self {
        let dense_enough = max_id >= 0 && (max_id as usize) <= count.saturating_mul(4) + 4096;
        let len = if dense_enough { max_id as usize + 1 } else { 0 };
        IdMap {
            slots: std::iter::repeat_with(|| None).take(len).collect(),
            spill: FxHashMap::default(),
        }
    }

    #[inline]
    fn get(&self, id: i64) -> Option<&V> {
        match usize::try_from(id) {
            Ok(i) if i < self.slots.len() => self.slots[i].as_ref(),
            _ => self.spill.get(&id),
        }
    }

    fn insert(&mut self, id: i64, value: V) {
        match usize::try_from(id) {
            Ok(i) if i < self.slots.len() => self.slots[i] = Some(value),
            // A new id just past the array (a user created since the build).
            Ok(i) if !self.slots.is_empty() && i < self.slots.len() * 2 + 4096 => {
                self.slots.resize_with(i + 1, || None);
                self.slots[i] = Some(value);
            }
            _ => {
                self.spill.insert(id, value);
            }
        }
    }

    fn remove(&mut self, id: i64) {
        match usize::try_from(id) {
            Ok(i) if i < self.slots.len() => self.slots[i] = None,
            _ => {
                self.spill.remove(&id);
            }
        }
    }

    fn keys(&self) -> Vec<i64> {
        let mut keys: Vec<i64> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_some())
            .map(|(i, _)| i as i64)
            .chain(self.spill.keys().copied())
            .collect();
        keys.sort_unstable();
        keys
    }
}

/// What `check` reads of an org, packed together so one cache line serves.
#[derive(Clone, Copy, Debug, Default)]
struct OrgHot {
    tin: u32,
    /// Border depth for every permission.
    bdepth: u32,
    /// Border depth for `org.view` of the org itself (its own border open).
    view_border: u32,
    frozen: bool,
}

/// The org tree in dense arrays.
#[derive(Debug, Default)]
pub struct Tree {
    index: IdMap<u32>,
    hot: Vec<OrgHot>,
    ids: Vec<i64>,
    parent: Vec<u32>,
    depth: Vec<u32>,
    tin: Vec<u32>,
    tout: Vec<u32>,
    /// Dense index by tour position.
    order: Vec<u32>,
    bdepth: Vec<u32>,
    private: Vec<bool>,
    /// Archived itself or below an archived org.
    frozen: Vec<bool>,
    /// Names and codes in tour order, for the searches.
    text: super::search::TreeText,
}

impl Tree {
    /// Builds the tree; rows whose parent is missing (or that form a cycle) are
    /// left out rather than trusted.
    pub fn build(rows: &[OrgRow]) -> Tree {
        let n = rows.len();
        let mut t = Tree {
            index: IdMap::with_ids(n, rows.iter().map(|r| r.id).max().unwrap_or(0)),
            ids: Vec::with_capacity(n),
            ..Default::default()
        };
        for row in rows {
            let dense = t.ids.len() as u32;
            t.index.insert(row.id, dense);
            t.ids.push(row.id);
        }
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            match row.parent_id.and_then(|p| t.index.get(p)) {
                Some(&p) => children[p as usize].push(i as u32),
                None if row.parent_id.is_none() => roots.push(i as u32),
                None => {}
            }
        }
        for list in &mut children {
            list.sort_by(|a, b| rows[*a as usize].sort_key.cmp(&rows[*b as usize].sort_key));
        }
        t.parent = vec![NONE; n];
        t.depth = vec![0; n];
        t.tin = vec![NONE; n];
        t.tout = vec![NONE; n];
        t.bdepth = vec![0; n];
        t.private = rows.iter().map(|r| r.privacy_mode).collect();
        t.frozen = vec![false; n];
        t.order = Vec::with_capacity(n);
        // Iterative DFS: (node, next child position).
        let mut stack: Vec<(u32, usize)> = Vec::new();
        for root in roots {
            t.enter(root, NONE, rows);
            stack.push((root, 0));
            while let Some((node, pos)) = stack.last_mut() {
                let node = *node;
                if let Some(&child) = children[node as usize].get(*pos) {
                    *pos += 1;
                    t.enter(child, node, rows);
                    stack.push((child, 0));
                } else {
                    t.tout[node as usize] = t.order.len() as u32;
                    stack.pop();
                }
            }
        }
        t.hot = (0..n)
            .map(|i| {
                let p = t.parent[i];
                let above = if p == NONE { 0 } else { t.bdepth[p as usize] };
                OrgHot {
                    tin: t.tin[i],
                    bdepth: t.bdepth[i],
                    view_border: if t.private[i] { above } else { t.bdepth[i] },
                    frozen: t.frozen[i],
                }
            })
            .collect();
        t.text = super::search::TreeText::build(t.order.iter().map(|d| {
            let row = &rows[*d as usize];
            (row.sort_key.as_str(), row.code_key.as_str())
        }));
        t
    }

    /// Names and codes in tour order (`authz::search`).
    pub fn text(&self) -> &super::search::TreeText {
        &self.text
    }

    fn enter(&mut self, node: u32, parent: u32, rows: &[OrgRow]) {
        let i = node as usize;
        self.parent[i] = parent;
        self.tin[i] = self.order.len() as u32;
        self.order.push(node);
        let (depth, inherited_border, inherited_frozen) = if parent == NONE {
            (0, 0, false)
        } else {
            let p = parent as usize;
            (self.depth[p] + 1, self.bdepth[p], self.frozen[p])
        };
        self.depth[i] = depth;
        self.bdepth[i] = if rows[i].privacy_mode {
            depth
        } else {
            inherited_border
        };
        self.frozen[i] = inherited_frozen || rows[i].archived;
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn dense(&self, org_id: i64) -> Option<u32> {
        self.index
            .get(org_id)
            .copied()
            .filter(|d| self.tin[*d as usize] != NONE)
    }

    pub fn contains(&self, org_id: i64) -> bool {
        self.dense(org_id).is_some()
    }

    pub fn parent_of(&self, org_id: i64) -> Option<i64> {
        let d = self.dense(org_id)?;
        let p = self.parent[d as usize];
        (p != NONE).then(|| self.ids[p as usize])
    }

    pub fn depth_of(&self, org_id: i64) -> Option<u32> {
        self.dense(org_id).map(|d| self.depth[d as usize])
    }

    /// True when `descendant` is `ancestor` or lies below it.
    pub fn is_within(&self, descendant: i64, ancestor: i64) -> bool {
        match (self.dense(descendant), self.dense(ancestor)) {
            (Some(d), Some(a)) => {
                let (d, a) = (d as usize, a as usize);
                self.tin[a] <= self.tin[d] && self.tin[d] < self.tout[a]
            }
            _ => false,
        }
    }

    /// The org ids from the root down to `org_id`, inclusive.
    pub fn path(&self, org_id: i64) -> Vec<i64> {
        let mut path = Vec::new();
        let mut cur = self.dense(org_id);
        while let Some(d) = cur {
            path.push(self.ids[d as usize]);
            let p = self.parent[d as usize];
            cur = (p != NONE).then_some(p);
        }
        path.reverse();
        path
    }

    /// The nearest privacy-mode org at or above `org_id`: the border that
    /// decides who sees inside it.
    pub fn border_of(&self, org_id: i64) -> Option<i64> {
        self.path(org_id).into_iter().rev().find(|id| {
            let d = self.index.get(*id).copied().unwrap_or(NONE) as usize;
            d < self.private.len() && self.private[d]
        })
    }

    /// The nearest privacy-mode org at or above `org_id` whose border lies
    /// strictly below depth `grant_depth` (the border that stops such a grant).
    fn blocking_border(&self, org_id: i64, grant_depth: u32) -> Option<i64> {
        self.path(org_id).into_iter().rev().find(|id| {
            let d = self.index.get(*id).copied().unwrap_or(NONE) as usize;
            d < self.private.len() && self.private[d] && self.depth[d] > grant_depth
        })
    }

    /// The archived org at or above `org_id`, if any.
    fn archived_ancestor(&self, org_id: i64, archived: &dyn Fn(i64) -> bool) -> Option<i64> {
        self.path(org_id).into_iter().find(|id| archived(*id))
    }

    /// True when a grant made at `grant_org` (to it and below when `descendants`)
    /// reaches `org_id`, privacy borders included.
    pub fn grant_reaches(&self, grant_org: i64, descendants: bool, org_id: i64) -> bool {
        let (Some(g), Some(o)) = (self.dense(grant_org), self.dense(org_id)) else {
            return false;
        };
        let (g, o) = (g as usize, o as usize);
        if g == o {
            return true;
        }
        descendants
            && self.tin[g] <= self.tin[o]
            && self.tin[o] < self.tout[g]
            && self.depth[g] >= self.bdepth[o]
    }

    /// `org_id` and every org below it, in path order (empty for an unknown org).
    pub fn subtree(&self, org_id: i64) -> impl Iterator<Item = i64> + '_ {
        let range = match self.dense(org_id) {
            Some(d) => self.tin[d as usize] as usize..self.tout[d as usize] as usize,
            None => 0..0,
        };
        self.order[range].iter().map(|d| self.ids[*d as usize])
    }

    /// How many orgs `subtree` yields (0 for an unknown org), without walking.
    pub fn subtree_len(&self, org_id: i64) -> usize {
        self.dense(org_id).map_or(0, |d| {
            (self.tout[d as usize] - self.tin[d as usize]) as usize
        })
    }

    /// The org's span in the tour, `(tin, tout)`: its subtree holds the
    /// positions `tin..tout`, itself at `tin`.
    pub fn span(&self, org_id: i64) -> Option<(u32, u32)> {
        self.dense(org_id)
            .map(|d| (self.tin[d as usize], self.tout[d as usize]))
    }

    /// The org at tour position `pos` (below `len()`).
    pub fn at_position(&self, pos: u32) -> i64 {
        self.ids[self.order[pos as usize] as usize]
    }

    /// Every org id in path order (the tour order).
    pub fn ids_in_order(&self) -> impl Iterator<Item = i64> + '_ {
        self.order.iter().map(|d| self.ids[*d as usize])
    }

    /// The tree's root: the first org in path order.
    pub fn root(&self) -> Option<i64> {
        self.ids_in_order().next()
    }
}

/// One grant as the hot path reads it: 24 bytes, so a user's grants share a
/// cache line or two.
#[derive(Clone, Copy, Debug)]
struct FlatGrant {
    mask: u64,
    tin: u32,
    tout: u32,
    depth: u32,
    only_here: bool,
}

/// What `explain` adds to a grant, kept apart from the hot path.
#[derive(Clone, Copy, Debug)]
struct GrantMeta {
    grant_id: i64,
    role_id: i64,
    org_id: i64,
    group_id: Option<i64>,
}

/// Everything the resolver knows of one user.
#[derive(Clone, Debug, Default)]
pub struct UserAccess {
    active: bool,
    home: Option<u32>,
    /// Live grants, sorted by `tin`; `meta[i]` describes `grants[i]`.
    grants: Vec<FlatGrant>,
    meta: Vec<GrantMeta>,
    /// Expired grants, kept only to explain a denial.
    expired: Vec<(FlatGrant, GrantMeta)>,
    /// Project-scope grants: (project id, permissions), sorted by project.
    projects: Vec<(i64, u64)>,
}

/// Why a decision came out as it did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Allowed by the grants in `via`.
    Granted,
    /// Allowed: every active user may see their own home org.
    HomeMembership,
    UnknownUser,
    UnknownOrg,
    UserDeactivated,
    /// The org (or an ancestor) is archived and the permission changes things.
    OrgArchived {
        org_id: i64,
    },
    /// A grant would reach, but privacy mode at `org_id` stops it.
    BlockedByPrivacy {
        org_id: i64,
    },
    /// A grant would reach, but it expired.
    GrantExpired {
        grant_id: i64,
    },
    NoGrant,
}

/// A grant that takes part in a decision.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Via {
    pub grant_id: i64,
    pub role_id: i64,
    /// The org the grant was made at.
    pub org_id: i64,
    pub descendants: bool,
    pub group_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Decision {
    pub allowed: bool,
    pub reason: Reason,
    pub via: Vec<Via>,
}

impl Decision {
    fn denied(reason: Reason) -> Self {
        Decision {
            allowed: false,
            reason,
            via: vec![],
        }
    }
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

    /// Adds the projects and the project-scope grants (a second build step, so
    /// org-only callers need not know about projects).
    pub fn with_projects(
        mut self,
        projects: &[ProjectRow],
        grants: &[ProjectGrantRow],
        now: NaiveDateTime,
    ) -> Snapshot {
        let mut map = IdMap::with_ids(
            projects.len(),
            projects.iter().map(|p| p.id).max().unwrap_or(0),
        );
        for p in projects {
            map.insert(p.id, p.org_id);
        }
        self.projects = Arc::new(map);
        let mut by_user: FxHashMap<i64, Vec<&ProjectGrantRow>> = FxHashMap::default();
        for g in grants {
            by_user.entry(g.user_id).or_default().push(g);
        }
        for (user_id, rows) in by_user {
            self.set_project_grants(user_id, &rows, now);
        }
        self
    }

    /// Replaces one user's project grants (after `patched` rebuilt their org grants).
    pub fn patch_project_grants(
        &mut self,
        user_id: i64,
        grants: &[ProjectGrantRow],
        now: NaiveDateTime,
    ) {
        let rows: Vec<&ProjectGrantRow> = grants.iter().collect();
        self.set_project_grants(user_id, &rows, now);
    }

    fn set_project_grants(&mut self, user_id: i64, rows: &[&ProjectGrantRow], now: NaiveDateTime) {
        let Some(current) = self.users.get(user_id) else {
            return;
        };
        let mut access = UserAccess::clone(current);
        let mut list: Vec<(i64, u64)> = Vec::new();
        for g in rows {
            match g.expires_at {
                Some(at) if at <= now => continue,
                Some(at) => self.next_expiry = Some(self.next_expiry.map_or(at, |e| e.min(at))),
                None => {}
            }
            list.push((g.project_id, g.permissions.0));
        }
        list.sort_unstable();
        // One entry per project: the union of its grants.
        list.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 |= next.1;
            }
            same
        });
        access.projects = list;
        self.users.insert(user_id, Arc::new(access));
    }

    /// The org a project belongs to.
    pub fn project_org(&self, project_id: i64) -> Option<i64> {
        self.projects.get(project_id).copied()
    }

    /// May `user_id` do `perm` on project `project_id`? Grants at the project's org
    /// (or above) reach its projects; a grant at the project reaches that project
    /// only. Nothing changes in a project of an archived org.
    pub fn check_project(&self, user_id: i64, perm: Permission, project_id: i64) -> bool {
        let Some(org_id) = self.project_org(project_id) else {
            return false;
        };
        if self.check(user_id, perm, org_id) {
            return true;
        }
        let (Some(user), Some(o)) = (self.users.get(user_id), self.tree.dense(org_id)) else {
            return false;
        };
        if !user.active || (self.tree.hot[o as usize].frozen && !perm.is_read_only()) {
            return false;
        }
        user.projects
            .binary_search_by_key(&project_id, |(p, _)| *p)
            .is_ok_and(|i| user.projects[i].1 & perm.bit() != 0)
    }

    /// Every permission `user_id` holds on project `project_id`.
    pub fn project_permissions(&self, user_id: i64, project_id: i64) -> PermissionSet {
        PermissionSet::of(
            &Permission::ALL
                .iter()
                .copied()
                .filter(|p| self.check_project(user_id, *p, project_id))
                .collect::<Vec<_>>(),
        )
    }

    pub fn tree_arc(&self) -> Arc<Tree> {
        self.tree.clone()
    }

    /// True once a grant in the snapshot has expired.
    pub fn is_stale_at(&self, now: NaiveDateTime) -> bool {
        self.next_expiry.is_some_and(|e| e <= now)
    }

    /// May `user_id` do `perm` at `org_id`? The hot path: no allocation.
    pub fn check(&self, user_id: i64, perm: Permission, org_id: i64) -> bool {
        let Some(user) = self.users.get(user_id) else {
            return false;
        };
        let Some(o) = self.tree.dense(org_id) else {
            return false;
        };
        self.check_dense(user, perm, o, perm == Permission::OrgView)
    }

    /// The user's home org, if the snapshot knows the user.
    pub fn home_org(&self, user_id: i64) -> Option<i64> {
        let home = self.users.get(user_id)?.home?;
        self.tree.ids.get(home as usize).copied()
    }

    /// Like `check` for `org.view`, but respecting the org's own privacy border:
    /// true when the user sees inside the org, not only its name and place.
    pub fn sees_inside(&self, user_id: i64, org_id: i64) -> bool {
        let Some(user) = self.users.get(user_id) else {
            return false;
        };
        let Some(o) = self.tree.dense(org_id) else {
            return false;
        };
        // Through a grant only: home membership shows the home org's name and
        // place, not what is inside it (SPEC 3).
        self.granted_dense(user, Permission::OrgView, o, false)
    }

    fn check_dense(
        &self,
        user: &UserAccess,
        perm: Permission,
        o: u32,
        own_border_open: bool,
    ) -> bool {
        self.granted_dense(user, perm, o, own_border_open)
            || (user.active && perm == Permission::OrgView && user.home == Some(o))
    }

    /// `check_dense` without home membership: some live grant gives `perm`.
    fn granted_dense(
        &self,
        user: &UserAccess,
        perm: Permission,
        o: u32,
        own_border_open: bool,
    ) -> bool {
        if !user.active {
            return false;
        }
        let h = self.tree.hot[o as usize];
        if h.frozen && !perm.is_read_only() {
            return false;
        }
        let tin = h.tin;
        let border = self.border(o as usize, own_border_open);
        let bit = perm.bit();
        for g in &user.grants {
            if g.tin > tin {
                break;
            }
            if g.mask & bit != 0
                && g.depth >= border
                && if g.only_here {
                    g.tin == tin
                } else {
                    tin < g.tout
                }
            {
                return true;
            }
        }
        false
    }

    /// The depth a grant must be made at (or below) to reach `o`.
    fn border(&self, o: usize, own_border_open: bool) -> u32 {
        let h = &self.tree.hot[o];
        if own_border_open {
            h.view_border
        } else {
            h.bdepth
        }
    }

    /// The decision with its reason and the grants behind it.
    pub fn explain(&self, user_id: i64, perm: Permission, org_id: i64) -> Decision {
        let Some(user) = self.users.get(user_id) else {
            return Decision::denied(Reason::UnknownUser);
        };
        let Some(o) = self.tree.dense(org_id) else {
            return Decision::denied(Reason::UnknownOrg);
        };
        if !user.active {
            return Decision::denied(Reason::UserDeactivated);
        }
        let t = &*self.tree;
        let oi = o as usize;
        if t.frozen[oi] && !perm.is_read_only() {
            let archived = self.archived_org(org_id);
            return Decision::denied(Reason::OrgArchived { org_id: archived });
        }
        let tin = t.tin[oi];
        let border = self.border(oi, perm == Permission::OrgView);
        let reaches = |g: &FlatGrant| {
            g.mask & perm.bit() != 0
                && if g.only_here {
                    g.tin == tin
                } else {
                    g.tin <= tin && tin < g.tout
                }
        };
        let via: Vec<Via> = user
            .grants
            .iter()
            .zip(&user.meta)
            .filter(|(g, _)| reaches(g) && g.depth >= border)
            .map(|(g, m)| Via {
                grant_id: m.grant_id,
                role_id: m.role_id,
                org_id: m.org_id,
                descendants: !g.only_here,
                group_id: m.group_id,
            })
            .collect();
        if !via.is_empty() {
            return Decision {
                allowed: true,
                reason: Reason::Granted,
                via,
            };
        }
        if perm == Permission::OrgView && user.home == Some(o) {
            return Decision {
                allowed: true,
                reason: Reason::HomeMembership,
                via: vec![],
            };
        }
        if let Some(g) = user.grants.iter().find(|g| reaches(g)) {
            // For org.view the org's own border is open: blame the one above it.
            let from = if perm == Permission::OrgView && t.private[oi] {
                t.parent_of(org_id).unwrap_or(org_id)
            } else {
                org_id
            };
            let border_org = t.blocking_border(from, g.depth).unwrap_or(org_id);
            return Decision::denied(Reason::BlockedByPrivacy { org_id: border_org });
        }
        if let Some((_, g)) = user.expired.iter().find(|(g, _)| reaches(g)) {
            return Decision::denied(Reason::GrantExpired {
                grant_id: g.grant_id,
            });
        }
        Decision::denied(Reason::NoGrant)
    }

    fn archived_org(&self, org_id: i64) -> i64 {
        // The topmost frozen org on the path is the one that was archived.
        let t = &*self.tree;
        t.archived_ancestor(org_id, &|id| {
            t.dense(id).is_some_and(|d| t.frozen[d as usize])
        })
        .unwrap_or(org_id)
    }

    /// The answers kept for this snapshot's lifetime (see `memo`).
    pub fn memo(&self) -> &Memo {
        &self.memo
    }

    /// The orgs where `user_id` has `perm`, in path order.
    pub fn visible_orgs(&self, user_id: i64, perm: Permission) -> Vec<i64> {
        self.visible_orgs_shared(user_id, perm).as_ref().clone()
    }

    /// `visible_orgs` without a copy: worked out once per snapshot and user.
    pub fn visible_orgs_shared(&self, user_id: i64, perm: Permission) -> Arc<Vec<i64>> {
        self.memo.get_or(
            MemoKey::new(MemoKind::VisibleOrgs, user_id, perm.bit() as i64, 0),
            Vec::len,
            || self.visible_orgs_walk(user_id, perm),
        )
    }

    /// True when `user_id` has `perm` at some org: stops at the first one.
    pub fn any_visible(&self, user_id: i64, perm: Permission) -> bool {
        let Some(user) = self.users.get(user_id) else {
            return false;
        };
        if !user.active {
            return false;
        }
        let own = perm == Permission::OrgView;
        if own && user.home.is_some() {
            return true;
        }
        let t = &*self.tree;
        let mut next_unvisited = 0u32;
        for g in user.grants.iter().filter(|g| g.mask & perm.bit() != 0) {
            let (start, end) = if g.only_here {
                (g.tin, g.tin + 1)
            } else {
                (g.tin, g.tout)
            };
            for pos in start.max(next_unvisited)..end {
                if self.check_dense(user, perm, t.order[pos as usize], own) {
                    return true;
                }
            }
            next_unvisited = next_unvisited.max(end);
        }
        false
    }

    fn visible_orgs_walk(&self, user_id: i64, perm: Permission) -> Vec<i64> {
        let Some(user) = self.users.get(user_id) else {
            return vec![];
        };
        if !user.active {
            return vec![];
        }
        let t = &*self.tree;
        let mut out = Vec::new();
        // Walk only the tour ranges the user's grants cover, then test each org;
        // a position is visited once even where grants overlap.
        let mut next_unvisited = 0u32;
        let own = perm == Permission::OrgView;
        for g in user.grants.iter().filter(|g| g.mask & perm.bit() != 0) {
            let (start, end) = if g.only_here {
                (g.tin, g.tin + 1)
            } else {
                (g.tin, g.tout)
            };
            let start = start.max(next_unvisited);
            for pos in start..end {
                let o = t.order[pos as usize];
                if self.check_dense(user, perm, o, own) {
                    out.push(t.ids[o as usize]);
                }
            }
            next_unvisited = next_unvisited.max(end);
        }
        if own && let Some(home) = user.home {
            let id = t.ids[home as usize];
            if !out.contains(&id) {
                out.push(id);
                out.sort_by_key(|id| t.dense(*id).map_or(u32::MAX, |d| t.tin[d as usize]));
            }
        }
        out
    }

    /// Every permission `user_id` holds at `org_id`.
    pub fn permissions_at(&self, user_id: i64, org_id: i64) -> PermissionSet {
        PermissionSet::of(
            &Permission::ALL
                .iter()
                .copied()
                .filter(|p| self.check(user_id, *p, org_id))
                .collect::<Vec<_>>(),
        )
    }

    /// Every permission `user_id` holds at `org_id` through grants that reach
    /// below it too: "and below" grants made here or above (privacy borders and
    /// archiving as for `check`), without "this org only" grants or home
    /// membership. What a grantor needs to hand out a grant to an org and below.
    pub fn cascading_permissions_at(&self, user_id: i64, org_id: i64) -> PermissionSet {
        let (Some(user), Some(o)) = (self.users.get(user_id), self.tree.dense(org_id)) else {
            return PermissionSet::EMPTY;
        };
        if !user.active {
            return PermissionSet::EMPTY;
        }
        let h = self.tree.hot[o as usize];
        let mut held = PermissionSet::EMPTY;
        for perm in Permission::ALL.iter().copied() {
            if h.frozen && !perm.is_read_only() {
                continue;
            }
            let border = self.border(o as usize, perm == Permission::OrgView);
            let reaches = user.grants.iter().take_while(|g| g.tin <= h.tin).any(|g| {
                !g.only_here && g.mask & perm.bit() != 0 && g.depth >= border && h.tin < g.tout
            });
            if reaches {
                held = held.union(PermissionSet::of(&[perm]));
            }
        }
        held
    }

    /// True when the user holds some grant at all (used to show admin areas).
    pub fn has_any_grant(&self, user_id: i64) -> bool {
        self.users
            .get(user_id)
            .is_some_and(|u| u.active && !u.grants.is_empty())
    }
}

/// Who gains and who loses which permissions over some orgs between two
/// snapshots (the access preview of a move).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessChange {
    pub user_id: i64,
    pub gained: Vec<Permission>,
    pub lost: Vec<Permission>,
}

/// Compares what every user holds at `orgs` in `before` and `after`; a permission
/// counts as gained (lost) if the user holds it at any of the orgs after (before)
/// where they did not before (after).
///
/// `orgs` is a moved subtree (its root first). Only a grant at an org above the
/// old or the new parent can reach the subtree differently after the move (the
/// subtree keeps its inside, and its borders with it), so only the holders of
/// such grants are compared: a preview costs what the few people above it hold,
/// not every user times every org.
pub fn access_changes(before: &Snapshot, after: &Snapshot, orgs: &[i64]) -> Vec<AccessChange> {
    let Some(&moved) = orgs.first() else {
        return Vec::new();
    };
    let mut above: Vec<i64> = Vec::new();
    for (snap, parent) in [
        (before, before.tree.parent_of(moved)),
        (after, after.tree.parent_of(moved)),
    ] {
        if let Some(p) = parent {
            above.extend(snap.tree.path(p));
        }
    }
    above.sort_unstable();
    above.dedup();
    // Moving into or out of an archived part freezes or thaws the subtree
    // itself: then anyone's grants inside it may change, so everyone counts.
    let frozen = |snap: &Snapshot| {
        snap.tree
            .dense(moved)
            .is_some_and(|d| snap.tree.frozen[d as usize])
    };
    let everyone = frozen(before) != frozen(after);
    let holds_above = |snap: &Snapshot, user_id: i64| {
        everyone
            || snap.users.get(user_id).is_some_and(|u| {
                u.meta
                    .iter()
                    .any(|m| above.binary_search(&m.org_id).is_ok())
            })
    };
    let users = before
        .users
        .keys()
        .into_iter()
        .filter(|u| holds_above(before, *u) || holds_above(after, *u));
    let mut out = Vec::new();
    for user_id in users {
        let (mut gained, mut lost) = (Vec::new(), Vec::new());
        for perm in Permission::ALL.iter().copied() {
            let mut g = false;
            let mut l = false;
            for org in orgs {
                let (was, is) = (
                    before.check(user_id, perm, *org),
                    after.check(user_id, perm, *org),
                );
                g |= is && !was;
                l |= was && !is;
            }
            if g {
                gained.push(perm);
            }
            if l {
                lost.push(perm);
            }
        }
        if !gained.is_empty() || !lost.is_empty() {
            out.push(AccessChange {
                user_id,
                gained,
                lost,
            });
        }
    }
    out
}
