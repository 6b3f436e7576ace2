//! Who gains and who loses access when a subtree moves (the move preview).

use crate::authz::permission::Permission;
use crate::ids::{OrgId, UserId};

use super::*;

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
                    before.check(UserId(user_id), perm, OrgId(*org)),
                    after.check(UserId(user_id), perm, OrgId(*org)),
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
