//! The snapshot resolver (`canopy::authz::snapshot`) against a naive reference.
//!
//! The reference below is written straight from SPEC.md 1 and 3 (privacy mode,
//! archive, roles and access): it walks parent pointers and scans every grant, with
//! no Euler tour and no bitmask tricks beyond asking a `PermissionSet` whether it
//! contains a permission. Property tests generate random forests, users and grants
//! and demand that the snapshot agree with it on every question it answers; the
//! scenario tests at the end tell the same rules as short stories.

use std::fmt;

use canopy::authz::snapshot::{Decision, GrantRow, OrgRow, Reason, Snapshot, UserRow};
use canopy::authz::{BuiltinRole, Permission, PermissionSet};
use canopy::ids::{OrgId, UserId};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config as ProptestConfig;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

mod properties;
mod stories;

/// An org id no generated world contains. Generated grants and home orgs sometimes
/// point at it, and every check also asks about it.
const UNKNOWN_ORG: i64 = 99_999;
/// A user id no generated world contains (grants sometimes name it too).
const UNKNOWN_USER: i64 = 9_999;

/// The fixed "now" every snapshot is built at.
fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2025, 6, 2)
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
}

// ---------------------------------------------------------------------------
// The naive reference resolver
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct World {
    orgs: Vec<OrgRow>,
    users: Vec<UserRow>,
    grants: Vec<GrantRow>,
}

impl World {
    fn snapshot(&self, epoch: i64) -> Snapshot {
        Snapshot::build(epoch, &self.orgs, &self.users, &self.grants, now())
    }

    /// Every user id plus one nobody has.
    fn user_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.users.iter().map(|u| u.id).collect();
        ids.push(UNKNOWN_USER);
        ids
    }

    /// Every org id plus one that does not exist.
    fn org_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.orgs.iter().map(|o| o.id).collect();
        ids.push(UNKNOWN_ORG);
        ids
    }
}

struct Reference<'a> {
    orgs: HashMap<i64, &'a OrgRow>,
    users: HashMap<i64, &'a UserRow>,
    /// Each user's grants (every grant row, live or not).
    grants: HashMap<i64, Vec<&'a GrantRow>>,
    /// `chain_of` for every org, walked once up front (the walk is the slow part).
    chains: HashMap<i64, Vec<i64>>,
    now: NaiveDateTime,
}

impl<'a> Reference<'a> {
    fn new(world: &'a World, now: NaiveDateTime) -> Self {
        let orgs: HashMap<i64, &OrgRow> = world.orgs.iter().map(|o| (o.id, o)).collect();
        let chains = orgs.keys().map(|o| (*o, chain_of(&orgs, *o))).collect();
        let mut grants: HashMap<i64, Vec<&GrantRow>> = HashMap::default();
        for g in &world.grants {
            grants.entry(g.user_id).or_default().push(g);
        }
        Reference {
            orgs,
            users: world.users.iter().map(|u| (u.id, u)).collect(),
            grants,
            chains,
            now,
        }
    }

    /// `o`, its parent, its grandparent, ... up to its root. Empty when `o` is not
    /// in the tree.
    fn chain(&self, o: i64) -> &[i64] {
        self.chains.get(&o).map_or(&[], Vec::as_slice)
    }

    fn in_tree(&self, o: i64) -> bool {
        !self.chain(o).is_empty()
    }

    /// True when `a` is `o` or one of its ancestors.
    fn at_or_above(&self, a: i64, o: i64) -> bool {
        self.chain(o).contains(&a)
    }

    fn private(&self, o: i64) -> bool {
        self.orgs[&o].privacy_mode
    }

    fn archived(&self, o: i64) -> bool {
        self.orgs[&o].archived
    }

    fn expired(&self, g: &GrantRow) -> bool {
        g.expires_at.is_some_and(|at| at <= self.now)
    }

    /// Does the grant's scope cover `o`, privacy and expiry aside?
    fn scope_covers(&self, g: &GrantRow, o: i64) -> bool {
        if !self.in_tree(g.org_id) || !self.in_tree(o) {
            return false;
        }
        if g.descendants {
            self.at_or_above(g.org_id, o)
        } else {
            g.org_id == o
        }
    }

    /// The privacy-mode orgs that stop grant `g` on its way down to `o`: those on the
    /// path from `o` up to, but excluding, the grant's org. With `own_border_open`
    /// (org.view of `o` itself) the border of `o` does not count.
    fn blockers(&self, g: &GrantRow, o: i64, own_border_open: bool) -> Vec<i64> {
        let mut out = Vec::new();
        for &p in self.chain(o) {
            if p == g.org_id {
                break;
            }
            if self.private(p) && !(own_border_open && p == o) {
                out.push(p);
            }
        }
        out
    }

    /// Does this one grant give `perm` at `o`?
    fn grant_gives(&self, g: &GrantRow, perm: Permission, o: i64, own_border_open: bool) -> bool {
        g.permissions.contains(perm)
            && !self.expired(g)
            && self.scope_covers(g, o)
            && self.blockers(g, o, own_border_open).is_empty()
    }

    fn grants_of(&self, u: i64) -> impl Iterator<Item = &'a GrantRow> + '_ {
        self.grants.get(&u).into_iter().flatten().copied()
    }

    /// The archived orgs at or above `o`.
    fn archived_on_path(&self, o: i64) -> Vec<i64> {
        self.chain(o)
            .iter()
            .copied()
            .filter(|p| self.archived(*p))
            .collect()
    }

    fn allows_with(&self, u: i64, perm: Permission, o: i64, own_border_open: bool) -> bool {
        let Some(user) = self.users.get(&u) else {
            return false;
        };
        if !user.active || !self.in_tree(o) {
            return false;
        }
        if !perm.is_read_only() && !self.archived_on_path(o).is_empty() {
            return false;
        }
        if perm == Permission::OrgView && user.home_org_id == o {
            return true;
        }
        self.grants_of(u)
            .any(|g| self.grant_gives(g, perm, o, own_border_open))
    }

    /// The rules of SPEC.md 3: what `check` must answer.
    fn allows(&self, u: i64, perm: Permission, o: i64) -> bool {
        self.allows_with(u, perm, o, perm == Permission::OrgView)
    }

    /// What `cascading_permissions_at` must answer for one permission: `allows`
    /// through "and below" grants only (no "this org only" grant, no home).
    fn allows_through_cascading(&self, u: i64, perm: Permission, o: i64) -> bool {
        let Some(user) = self.users.get(&u) else {
            return false;
        };
        if !user.active || !self.in_tree(o) {
            return false;
        }
        if !perm.is_read_only() && !self.archived_on_path(o).is_empty() {
            return false;
        }
        self.grants_of(u)
            .filter(|g| g.descendants)
            .any(|g| self.grant_gives(g, perm, o, perm == Permission::OrgView))
    }

    /// org.view through a grant, with the org's own border closed: seeing
    /// inside the org. Home membership gives the name only (SPEC 3).
    fn sees_inside(&self, u: i64, o: i64) -> bool {
        let Some(user) = self.users.get(&u) else {
            return false;
        };
        user.active
            && self.in_tree(o)
            && self
                .grants_of(u)
                .any(|g| self.grant_gives(g, Permission::OrgView, o, false))
    }
}

/// `o`, its parent, its grandparent, ... up to its root, by following `parent_id`.
/// Empty when `o` is not in the tree (unknown, or hanging from a parent that does not
/// exist, or caught in a cycle).
fn chain_of(orgs: &HashMap<i64, &OrgRow>, o: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut cur = orgs.get(&o).copied();
    while let Some(row) = cur {
        if out.contains(&row.id) {
            return Vec::new();
        }
        out.push(row.id);
        match row.parent_id {
            None => return out,
            Some(p) => cur = orgs.get(&p).copied(),
        }
    }
    Vec::new()
}

// ---------------------------------------------------------------------------
// Random worlds
// ---------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct OrgSpec {
    parent: Index,
    extra_root: bool,
    private: bool,
    archived: bool,
    key: String,
    row_order: u8,
}

#[derive(Clone, Debug)]
struct UserSpec {
    active: bool,
    home: Index,
    home_missing: bool,
}

#[derive(Clone, Debug)]
struct GrantSpec {
    user: Index,
    user_missing: bool,
    org: Index,
    /// Made at one of the first few orgs, near the top, so it covers more.
    near_top: bool,
    org_missing: bool,
    permissions: PermissionSet,
    descendants: bool,
    expires_at: Option<NaiveDateTime>,
    role_id: i64,
    group_id: Option<i64>,
}

fn org_spec() -> impl Strategy<Value = OrgSpec> {
    (
        any::<Index>(),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.1),
        // Few letters so sibling sort keys often tie.
        "[a-c]{1,2}",
        any::<u8>(),
    )
        .prop_map(
            |(parent, extra_root, private, archived, key, row_order)| OrgSpec {
                parent,
                extra_root,
                private,
                archived,
                key,
                row_order,
            },
        )
}

fn user_spec() -> impl Strategy<Value = UserSpec> {
    (
        prop::bool::weighted(0.85),
        any::<Index>(),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(active, home, home_missing)| UserSpec {
            active,
            home,
            home_missing,
        })
}

fn permission_set() -> impl Strategy<Value = PermissionSet> {
    prop_oneof![
        3 => prop::sample::select(BuiltinRole::ALL.to_vec()).prop_map(|r| r.permissions()),
        2 => any::<u64>().prop_map(|m| PermissionSet(m & PermissionSet::all().0)),
        2 => prop::sample::subsequence(Permission::ALL.to_vec(), 0..=3)
            .prop_map(|ps| PermissionSet::of(&ps)),
    ]
}

fn expiry() -> impl Strategy<Value = Option<NaiveDateTime>> {
    prop_oneof![
        5 => Just(None),
        2 => (1..=5_000i64).prop_map(|m| Some(now() - Duration::minutes(m))),
        1 => Just(Some(now())),
        3 => (1..=5_000i64).prop_map(|m| Some(now() + Duration::minutes(m))),
    ]
}

fn grant_spec() -> impl Strategy<Value = GrantSpec> {
    (
        (
            any::<Index>(),
            prop::bool::weighted(0.03),
            any::<Index>(),
            prop::bool::weighted(0.35),
            prop::bool::weighted(0.05),
        ),
        permission_set(),
        prop::bool::weighted(0.7),
        expiry(),
        1..=7i64,
        prop::option::weighted(0.2, 1..=3i64),
    )
        .prop_map(
            |(
                (user, user_missing, org, near_top, org_missing),
                permissions,
                descendants,
                expires_at,
                role_id,
                group_id,
            )| {
                GrantSpec {
                    user,
                    user_missing,
                    org,
                    near_top,
                    org_missing,
                    permissions,
                    descendants,
                    expires_at,
                    role_id,
                    group_id,
                }
            },
        )
}

/// Org ids are not dense indexes: 100, 103, 106, ...
fn org_id(i: usize) -> i64 {
    100 + 3 * i as i64
}

fn user_id(i: usize) -> i64 {
    1_000 + i as i64
}

fn make_orgs(specs: &[OrgSpec]) -> Vec<OrgRow> {
    let mut rows: Vec<(u8, OrgRow)> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            // Org 0 is the root; every other org hangs from an earlier one (or, now
            // and then, starts a tree of its own).
            let parent_id = if i == 0 || s.extra_root {
                None
            } else {
                Some(org_id(s.parent.index(i)))
            };
            let row = OrgRow {
                id: org_id(i),
                parent_id,
                sort_key: s.key.clone(),
                code_key: String::new(),
                privacy_mode: s.private,
                archived: s.archived,
            };
            (s.row_order, row)
        })
        .collect();
    // The rows reach the snapshot in no particular order (children before parents too).
    rows.sort_by_key(|(order, _)| *order);
    rows.into_iter().map(|(_, row)| row).collect()
}

fn make_users(specs: &[UserSpec], n_orgs: usize) -> Vec<UserRow> {
    specs
        .iter()
        .enumerate()
        .map(|(i, s)| UserRow {
            id: user_id(i),
            active: s.active,
            home_org_id: if s.home_missing {
                UNKNOWN_ORG
            } else {
                org_id(s.home.index(n_orgs))
            },
        })
        .collect()
}

fn make_grant(id: i64, s: &GrantSpec, user: i64, n_orgs: usize) -> GrantRow {
    GrantRow {
        id,
        user_id: user,
        org_id: if s.org_missing {
            UNKNOWN_ORG
        } else {
            org_id(s.org.index(if s.near_top { n_orgs.min(3) } else { n_orgs }))
        },
        role_id: s.role_id,
        permissions: s.permissions,
        descendants: s.descendants,
        expires_at: s.expires_at,
        group_id: s.group_id,
    }
}

fn make_world(orgs: &[OrgSpec], users: &[UserSpec], grants: &[GrantSpec]) -> World {
    let n_orgs = orgs.len();
    let grants = grants
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let user = if s.user_missing {
                UNKNOWN_USER
            } else {
                user_id(s.user.index(users.len()))
            };
            make_grant(5_000 + i as i64, s, user, n_orgs)
        })
        .collect();
    World {
        orgs: make_orgs(orgs),
        users: make_users(users, n_orgs),
        grants,
    }
}

fn world() -> impl Strategy<Value = World> {
    (
        prop::collection::vec(org_spec(), 1..=40),
        prop::collection::vec(user_spec(), 1..=8),
        prop::collection::vec(grant_spec(), 0..=25),
    )
        .prop_map(|(o, u, g)| make_world(&o, &u, &g))
}

/// A change to one user: new active flag, maybe a new home, a new list of grants.
#[derive(Clone, Debug)]
struct Change {
    user: Index,
    active: bool,
    home: Option<Index>,
    grants: Vec<GrantSpec>,
}

fn change() -> impl Strategy<Value = Change> {
    (
        any::<Index>(),
        prop::bool::weighted(0.85),
        prop::option::weighted(0.3, any::<Index>()),
        prop::collection::vec(grant_spec(), 0..=8),
    )
        .prop_map(|(user, active, home, grants)| Change {
            user,
            active,
            home,
            grants,
        })
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrunk failures are reported in the test output; keep the tree clean.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
