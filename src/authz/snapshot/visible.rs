//! Where a user holds a permission: visible orgs and what they hold at one.

use std::sync::Arc;

use crate::authz::memo::{Memo, MemoKey, MemoKind};
use crate::authz::permission::{Permission, PermissionSet};
use crate::ids::{OrgId, UserId};

use super::*;

impl Snapshot {
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
            MemoKey::new(MemoKind::VisibleOrgs, UserId(user_id), perm.bit() as i64, 0),
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

    pub(super) fn visible_orgs_walk(&self, user_id: i64, perm: Permission) -> Vec<i64> {
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
    pub fn permissions_at(&self, user_id: UserId, org_id: OrgId) -> PermissionSet {
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
    pub fn cascading_permissions_at(&self, user_id: UserId, org_id: OrgId) -> PermissionSet {
        let (user_id, org_id) = (user_id.0, org_id.0);
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
