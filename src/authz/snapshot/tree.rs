//! The org tree in dense arrays: the Euler tour, borders and frozen subtrees.

use super::{IdMap, NONE, OrgRow};

/// What `check` reads of an org, packed together so one cache line serves.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct OrgHot {
    pub(super) tin: u32,
    /// Border depth for every permission.
    pub(super) bdepth: u32,
    /// Border depth for `org.view` of the org itself (its own border open).
    pub(super) view_border: u32,
    pub(super) frozen: bool,
}

/// The org tree in dense arrays.
#[derive(Debug, Default)]
pub struct Tree {
    pub(super) index: IdMap<u32>,
    pub(super) hot: Vec<OrgHot>,
    pub(super) ids: Vec<i64>,
    pub(super) parent: Vec<u32>,
    pub(super) depth: Vec<u32>,
    pub(super) tin: Vec<u32>,
    pub(super) tout: Vec<u32>,
    /// Dense index by tour position.
    pub(super) order: Vec<u32>,
    pub(super) bdepth: Vec<u32>,
    pub(super) private: Vec<bool>,
    /// Archived itself or below an archived org.
    pub(super) frozen: Vec<bool>,
    /// Names and codes in tour order, for the searches.
    pub(super) text: crate::authz::search::TreeText,
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
        t.text = crate::authz::search::TreeText::build(t.order.iter().map(|d| {
            let row = &rows[*d as usize];
            (row.sort_key.as_str(), row.code_key.as_str())
        }));
        t
    }

    /// Names and codes in tour order (`authz::search`).
    pub fn text(&self) -> &crate::authz::search::TreeText {
        &self.text
    }

    pub(super) fn enter(&mut self, node: u32, parent: u32, rows: &[OrgRow]) {
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

    pub(super) fn dense(&self, org_id: i64) -> Option<u32> {
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
    pub(super) fn blocking_border(&self, org_id: i64, grant_depth: u32) -> Option<i64> {
        self.path(org_id).into_iter().rev().find(|id| {
            let d = self.index.get(*id).copied().unwrap_or(NONE) as usize;
            d < self.private.len() && self.private[d] && self.depth[d] > grant_depth
        })
    }

    /// The archived org at or above `org_id`, if any.
    pub(super) fn archived_ancestor(
        &self,
        org_id: i64,
        archived: &dyn Fn(i64) -> bool,
    ) -> Option<i64> {
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
