//! `check` and `explain`: the hot path, borders and archived subtrees.

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::authz::permission::Permission;
use crate::ids::{OrgId, UserId};

use super::*;

impl Snapshot {
    pub fn tree_arc(&self) -> Arc<Tree> {
        self.tree.clone()
    }

    /// True once a grant in the snapshot has expired.
    pub fn is_stale_at(&self, now: NaiveDateTime) -> bool {
        self.next_expiry.is_some_and(|e| e <= now)
    }

    /// May `user_id` do `perm` at `org_id`? The hot path: no allocation.
    pub fn check(&self, user_id: UserId, perm: Permission, org_id: OrgId) -> bool {
        let (user_id, org_id) = (user_id.0, org_id.0);
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
    pub fn sees_inside(&self, user_id: UserId, org_id: OrgId) -> bool {
        let (user_id, org_id) = (user_id.0, org_id.0);
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

    pub(super) fn check_dense(
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
    pub(super) fn granted_dense(
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
    pub(super) fn border(&self, o: usize, own_border_open: bool) -> u32 {
        let h = &self.tree.hot[o];
        if own_border_open {
            h.view_border
        } else {
            h.bdepth
        }
    }

    /// The decision with its reason and the grants behind it.
    pub fn explain(&self, user_id: UserId, perm: Permission, org_id: OrgId) -> Decision {
        let (user_id, org_id) = (user_id.0, org_id.0);
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

    pub(super) fn archived_org(&self, org_id: i64) -> i64 {
        // The topmost frozen org on the path is the one that was archived.
        let t = &*self.tree;
        t.archived_ancestor(org_id, &|id| {
            t.dense(id).is_some_and(|d| t.frozen[d as usize])
        })
        .unwrap_or(org_id)
    }
}
