//! Where a person holds a permission (or sees inside), as disjoint parts of
//! the tree: the subtree of a part's root without the subtrees of its
//! `hidden` orgs. Unlike `Access::org_scope`, which leaves out an org that
//! is visible again deep inside a hidden part (a grant inside a privacy
//! border under a grant above it), the parts cover exactly the orgs where
//! `can` (or `sees_inside`) holds: such an org starts a part of its own one
//! `level` deeper.
//!
//! What the parts are good for: counting a subtree's orgs from the tour
//! (`Tree::span`) and its rows in SQL (`domain::rollup`), proportional to
//! what is hidden rather than to the installation; and list filters that
//! answer exactly what `can` answers (`scope_levels`). Worked out once per
//! snapshot and person (`authz::memo`).

use std::sync::Arc;

use super::access::{Access, OrgScope};
use super::memo::{MemoKey, MemoKind};
use super::permission::Permission;
use super::snapshot::Tree;

/// The subtree of `root` without the subtrees of `hidden` (the highest orgs
/// under `root` where the test fails, in path order). `level` counts the
/// parts whose hidden subtrees this one lies in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub root: i64,
    pub hidden: Vec<i64>,
    pub level: usize,
}

impl Access {
    /// The orgs where the person holds `perm`, as disjoint parts in path
    /// order of their roots: an org is covered by exactly one part iff
    /// `can(perm, org)`.
    pub fn parts(&self, perm: Permission) -> Arc<Vec<Part>> {
        let key = MemoKey::new(MemoKind::Parts, self.me(), perm.bit() as i64, 0);
        self.snapshot.memo().get_or(
            key,
            |p: &Vec<Part>| weight(p),
            || {
                let candidates = self.snapshot.visible_orgs_shared(self.user_id, perm);
                walk(self.snapshot.tree(), &candidates, |o| self.can(perm, o))
            },
        )
    }

    /// The orgs the person sees inside (`sees_inside`), as disjoint parts.
    pub fn inside_parts(&self) -> Arc<Vec<Part>> {
        let key = MemoKey::new(MemoKind::Parts, self.me(), 0, 0);
        self.snapshot.memo().get_or(
            key,
            |p: &Vec<Part>| weight(p),
            || {
                // Seeing inside needs `org.view` through a grant: a subset of
                // the orgs `org.view` shows.
                let candidates = self
                    .snapshot
                    .visible_orgs_shared(self.user_id, Permission::OrgView);
                walk(self.snapshot.tree(), &candidates, |o| self.sees_inside(o))
            },
        )
    }

    /// `parts(perm)` as SQL filters, one per level: within a level no part
    /// overlaps another or lies in another's hidden subtrees, so a level is
    /// `IN subtree(roots) AND NOT IN subtree(hidden)`; an org is visible iff
    /// some level takes it. Empty when the person holds `perm` nowhere.
    pub fn scope_levels(&self, perm: Permission) -> Vec<OrgScope> {
        let mut levels: Vec<OrgScope> = Vec::new();
        for part in self.parts(perm).iter() {
            if levels.len() <= part.level {
                levels.resize_with(part.level + 1, OrgScope::default);
            }
            levels[part.level].roots.push(part.root);
            levels[part.level].hidden.extend_from_slice(&part.hidden);
        }
        levels
    }
}

/// How a list of rows that sit at orgs narrows to where a permission holds.
#[derive(Debug)]
pub enum Narrowing {
    /// It holds nowhere the list reaches: no rows.
    Nothing,
    /// It holds everywhere the list reaches: no filter.
    Everything,
    /// `Access::scope_levels`: an org is in iff some level takes it.
    Levels(Vec<OrgScope>),
}

impl Access {
    /// The narrowing of a list of `perm`, over the whole tree or, with `at`,
    /// over that one org (then `can` decides alone).
    pub fn narrowing(&self, perm: Permission, at: Option<i64>) -> Narrowing {
        if let Some(o) = at {
            return if self.can(perm, o) {
                Narrowing::Everything
            } else {
                Narrowing::Nothing
            };
        }
        let levels = self.scope_levels(perm);
        match levels.as_slice() {
            [] => Narrowing::Nothing,
            [only] if only.is_whole_tree(self.snapshot.tree()) => Narrowing::Everything,
            _ => Narrowing::Levels(levels),
        }
    }
}

fn weight(parts: &[Part]) -> usize {
    parts.iter().map(|p| 1 + p.hidden.len()).sum()
}

/// An open part while walking: where its subtree ends in the tour and the
/// spans of its hidden subtrees.
struct Open {
    level: usize,
    tout: u32,
    hidden: Vec<(u32, u32)>,
}

/// The parts covering exactly the orgs where `holds` is true, given every
/// such org (and maybe more) in path order as `candidates`. Each part's
/// subtree is walked once, skipping its hidden subtrees.
pub fn walk(tree: &Tree, candidates: &[i64], holds: impl Fn(i64) -> bool) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut open: Vec<Open> = Vec::new();
    for &org in candidates {
        let Some((tin, tout)) = tree.span(org) else {
            continue;
        };
        while open.last().is_some_and(|top| tin >= top.tout) {
            open.pop();
        }
        let level = match open.last() {
            None => 0,
            Some(top) => {
                let i = top.hidden.partition_point(|h| h.0 <= tin);
                if i > 0 && tin < top.hidden[i - 1].1 {
                    top.level + 1
                } else {
                    continue; // covered by the part that is open
                }
            }
        };
        if !holds(org) {
            continue;
        }
        let mut hidden = Vec::new();
        let mut pos = tin + 1;
        while pos < tout {
            let below = tree.at_position(pos);
            if holds(below) {
                pos += 1;
            } else {
                let end = tree.span(below).map_or(pos + 1, |(_, end)| end);
                hidden.push((pos, end));
                pos = end;
            }
        }
        parts.push(Part {
            root: org,
            hidden: hidden.iter().map(|h| tree.at_position(h.0)).collect(),
            level,
        });
        open.push(Open {
            level,
            tout,
            hidden,
        });
    }
    parts
}

/// The part of `parts` inside the subtree of `org_id`: the parts whose roots
/// lie in it, and the part covering `org_id` itself cut at it; with the
/// number of orgs they cover, counted from the tour.
pub fn within(tree: &Tree, parts: &[Part], org_id: i64) -> (Vec<Part>, usize) {
    let Some((it, io)) = tree.span(org_id) else {
        return (Vec::new(), 0);
    };
    let len = |o: i64| tree.span(o).map_or(0, |(a, b)| (b - a) as usize);
    let mut out = Vec::new();
    let mut count = 0;
    for part in parts {
        let Some((rt, ro)) = tree.span(part.root) else {
            continue;
        };
        let (root, hidden) = if it <= rt && rt < io {
            (part.root, part.hidden.clone())
        } else if rt <= it && it < ro {
            let tin = |o: &i64| tree.span(*o).map_or(0, |s| s.0);
            let i = part.hidden.partition_point(|h| tin(h) <= it);
            if i > 0 && tree.is_within(org_id, part.hidden[i - 1]) {
                continue; // `org_id` lies in a hidden subtree of this part
            }
            let end = part.hidden.partition_point(|h| tin(h) < io);
            (org_id, part.hidden[i..end].to_vec())
        } else {
            continue;
        };
        count += len(root) - hidden.iter().map(|h| len(*h)).sum::<usize>();
        out.push(Part {
            root,
            hidden,
            level: part.level,
        });
    }
    (out, count)
}
