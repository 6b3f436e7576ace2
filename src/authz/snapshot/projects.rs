//! Projects and project-scope grants: a second build step and its checks.

use std::sync::Arc;

use chrono::NaiveDateTime;
use rustc_hash::FxHashMap;

use crate::authz::permission::{Permission, PermissionSet};
use crate::ids::{OrgId, ProjectId, UserId};

use super::*;

impl Snapshot {
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

    pub(super) fn set_project_grants(
        &mut self,
        user_id: i64,
        rows: &[&ProjectGrantRow],
        now: NaiveDateTime,
    ) {
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
    pub fn check_project(&self, user_id: UserId, perm: Permission, project_id: ProjectId) -> bool {
        let Some(org_id) = self.project_org(project_id.0) else {
            return false;
        };
        if self.check(user_id, perm, OrgId(org_id)) {
            return true;
        }
        let (user_id, project_id) = (user_id.0, project_id.0);
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
    pub fn project_permissions(&self, user_id: UserId, project_id: ProjectId) -> PermissionSet {
        PermissionSet::of(
            &Permission::ALL
                .iter()
                .copied()
                .filter(|p| self.check_project(user_id, *p, project_id))
                .collect::<Vec<_>>(),
        )
    }
}
