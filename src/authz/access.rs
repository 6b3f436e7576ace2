//! One person's access at one request: the user and the snapshot that was fresh
//! when the request began. Every page and API handler decides through this.

use std::sync::Arc;

use super::memo::{MemoKey, MemoKind};
use super::permission::{Permission, PermissionSet};
use super::snapshot::Snapshot;
use crate::error::{Error, Result};
use crate::ids::{OrgId, ProjectId, UserId};

#[derive(Clone)]
pub struct Access {
    pub user_id: i64,
    pub snapshot: Arc<Snapshot>,
}

impl Access {
    /// The person, typed for the resolver's questions.
    pub fn me(&self) -> UserId {
        UserId(self.user_id)
    }

    pub fn can(&self, perm: Permission, org_id: i64) -> bool {
        self.snapshot.check(self.me(), perm, OrgId(org_id))
    }

    /// True when the person sees inside the org, not only its name and place.
    pub fn sees_inside(&self, org_id: i64) -> bool {
        self.snapshot.sees_inside(self.me(), OrgId(org_id))
    }

    /// `Ok` when allowed. Otherwise 404 when the org is not even visible (so
    /// nothing tells it exists), else 403.
    pub fn require(&self, perm: Permission, org_id: i64) -> Result<()> {
        if self.can(perm, org_id) {
            Ok(())
        } else if self.can(Permission::OrgView, org_id) {
            let decision = self.snapshot.explain(self.me(), perm, OrgId(org_id));
            Err(Error::Forbidden(match decision.reason {
                super::Reason::OrgArchived { .. } => {
                    "This organization is archived, so nothing in it can change until it is restored."
                        .into()
                }
                _ => format!("You do not have the permission {perm} here."),
            }))
        } else {
            Err(Error::NotFound)
        }
    }

    /// `Ok` when the org is visible at all (its name and place).
    pub fn require_visible(&self, org_id: i64) -> Result<()> {
        if self.can(Permission::OrgView, org_id) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// `Ok` when the person sees inside the org (its content: settings,
    /// access, email domains), not only its name and place; else 404.
    pub fn require_inside(&self, org_id: i64) -> Result<()> {
        self.require_visible(org_id)?;
        if self.sees_inside(org_id) {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The privacy border `org_id` lies behind when the person is outside it:
    /// the nearest privacy-mode org at or above it, when the person neither
    /// sees inside `org_id` through a grant nor lives inside that border.
    /// What was told about such an org before the border went up is no
    /// longer theirs to read (`domain::privacy::hidden_before`).
    pub fn outside_border_of(&self, org_id: i64) -> Option<i64> {
        let tree = self.snapshot.tree();
        let border = tree.border_of(org_id)?;
        if self.sees_inside(org_id) {
            return None;
        }
        match self.snapshot.home_org(self.user_id) {
            Some(home) if tree.is_within(home, border) => None,
            _ => Some(border),
        }
    }

    /// Decisions about an org's place in the tree (move, archive, delete) are taken
    /// at its parent. The root has none: nobody may do them.
    pub fn require_at_parent(&self, perm: Permission, org_id: i64) -> Result<()> {
        self.require_visible(org_id)?;
        match self.snapshot.tree().parent_of(org_id) {
            Some(parent) if self.can(perm, parent) => Ok(()),
            Some(_) => Err(Error::Forbidden(format!(
                "Moving, archiving or deleting this organization needs {perm} on its parent."
            ))),
            None => Err(Error::Forbidden(
                "The root organization cannot be moved, archived or deleted.".into(),
            )),
        }
    }

    /// The no-escalation rule: granting (or revoking) a role at an org needs
    /// `access.manage` there and every permission of the role there. A grant to
    /// the org and below (`descendants`) needs them through grants that reach
    /// below too: a "this org only" grant rules that org, not its children.
    pub fn require_may_grant(
        &self,
        role_permissions: PermissionSet,
        org_id: i64,
        descendants: bool,
    ) -> Result<()> {
        self.require(Permission::AccessManage, org_id)?;
        let needed = role_permissions.union(PermissionSet::of(&[Permission::AccessManage]));
        let held = if descendants {
            self.snapshot
                .cascading_permissions_at(self.me(), OrgId(org_id))
        } else {
            self.snapshot.permissions_at(self.me(), OrgId(org_id))
        };
        if held.is_superset_of(needed) {
            return Ok(());
        }
        let missing: Vec<&str> = needed
            .iter()
            .filter(|p| !held.contains(*p))
            .map(Permission::name)
            .collect();
        let missing = missing.join(", ");
        Err(Error::Forbidden(if descendants {
            format!(
                "A grant to this organization and below needs access.manage and every \
                 permission of the role here through grants that reach below too (not \
                 \"this org only\"); you lack {missing} there."
            )
        } else {
            format!(
                "You can only grant roles whose every permission you hold here; you lack {missing}."
            )
        }))
    }

    /// True when the person may see a user: themselves, a user at home where they
    /// hold `user.view`, or a guest granted somewhere they hold it.
    pub fn sees_user(&self, user_id: UserId, home_org: OrgId, guest_orgs: &[i64]) -> bool {
        user_id.0 == self.user_id
            || self.can(Permission::UserView, home_org.0)
            || guest_orgs
                .iter()
                .any(|o| self.can(Permission::UserView, *o))
    }

    /// Where the person holds `perm`, as SQL can filter it: the highest orgs
    /// (`roots`, whose subtrees count) and inside them the highest orgs where
    /// it stops (`hidden`, whose subtrees do not: privacy borders, "this org
    /// only"). An org deep inside a hidden part that is visible again is left
    /// out too, so the description never covers more than `can` allows.
    ///
    /// Worked out once per snapshot, person and permission (`authz::memo`).
    pub fn org_scope(&self, perm: Permission) -> OrgScope {
        let key = MemoKey::new(MemoKind::OrgScope, self.me(), perm.bit() as i64, 0);
        let scope = self.snapshot.memo().get_or(
            key,
            |s: &OrgScope| s.roots.len() + s.hidden.len(),
            || self.org_scope_walk(perm),
        );
        OrgScope::clone(&scope)
    }

    fn org_scope_walk(&self, perm: Permission) -> OrgScope {
        let tree = self.snapshot.tree();
        let mut scope = OrgScope::default();
        for &org in self.snapshot.visible_orgs_shared(self.user_id, perm).iter() {
            if scope.roots.last().is_some_and(|r| tree.is_within(org, *r)) {
                continue;
            }
            scope.roots.push(org);
            scope.hidden.extend(self.hidden_under_walk(perm, org));
        }
        scope
    }

    /// The highest orgs at or under `org_id` where `perm` does not hold (a
    /// privacy border, the edge of a "this org only" grant): leaving out their
    /// whole subtrees never shows more than `can` allows. Worked out once per
    /// snapshot, person, permission and org.
    pub fn hidden_under(&self, perm: Permission, org_id: i64) -> Vec<i64> {
        let key = MemoKey::new(MemoKind::HiddenUnder, self.me(), perm.bit() as i64, org_id);
        let hidden = self
            .snapshot
            .memo()
            .get_or(key, Vec::len, || self.hidden_under_walk(perm, org_id));
        hidden.as_ref().clone()
    }

    fn hidden_under_walk(&self, perm: Permission, org_id: i64) -> Vec<i64> {
        let tree = self.snapshot.tree();
        let mut hidden: Vec<i64> = Vec::new();
        for org in tree.subtree(org_id) {
            if hidden.last().is_some_and(|h| tree.is_within(org, *h)) {
                continue;
            }
            if !self.can(perm, org) {
                hidden.push(org);
            }
        }
        hidden
    }

    /// The highest org where the person holds `perm`: the tree's root when
    /// they hold it there (without walking the tree), else the first of
    /// their orgs in tree order; none when they hold it nowhere.
    pub fn highest(&self, perm: Permission) -> Option<i64> {
        if let Some(root) = self.snapshot.tree().root()
            && self.can(perm, root)
        {
            return Some(root);
        }
        self.snapshot
            .visible_orgs_shared(self.user_id, perm)
            .first()
            .copied()
    }

    /// True when the person holds `perm` at some org (stops at the first):
    /// what "may they create any?" needs, without listing every org.
    pub fn anywhere(&self, perm: Permission) -> bool {
        self.snapshot.any_visible(self.user_id, perm)
    }

    /// May the person do `perm` on a project (grants at its org or above, or at
    /// the project itself)?
    pub fn can_project(&self, perm: Permission, project_id: i64) -> bool {
        self.snapshot
            .check_project(self.me(), perm, ProjectId(project_id))
    }

    /// `Ok` when allowed on the project; 404 when the project is not visible at
    /// all (`project.view`), else 403.
    pub fn require_project(&self, perm: Permission, project_id: i64) -> Result<()> {
        if self.can_project(perm, project_id) {
            Ok(())
        } else if self.can_project(Permission::ProjectView, project_id) {
            Err(Error::Forbidden(format!(
                "You do not have the permission {perm} on this project."
            )))
        } else {
            Err(Error::NotFound)
        }
    }
}

/// Orgs as a SQL filter: the subtrees of `roots` without those of `hidden`
/// (`domain::org::subtree_ids` turns each into a subquery).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrgScope {
    pub roots: Vec<i64>,
    pub hidden: Vec<i64>,
}

impl OrgScope {
    /// True when the scope is the whole tree: a list needs no org filter.
    pub fn is_whole_tree(&self, tree: &super::snapshot::Tree) -> bool {
        self.hidden.is_empty() && self.roots.len() == 1 && tree.parent_of(self.roots[0]).is_none()
    }
}
