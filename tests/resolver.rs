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
use chrono::{Duration, NaiveDate, NaiveDateTime};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config as ProptestConfig;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

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

// ---------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------

/// `check`, `visible_orgs`, `permissions_at`, `sees_inside` and `has_any_grant`
/// agree with the reference everywhere; `visible_orgs` lists exactly the orgs the
/// reference allows, in tour order.
fn assert_checks_agree(world: &World, snap: &Snapshot) -> Result<(), TestCaseError> {
    let r = Reference::new(world, now());
    let order: Vec<i64> = snap.tree().ids_in_order().collect();
    for u in world.user_ids() {
        let mut held: HashMap<i64, Vec<Permission>> = HashMap::default();
        for &p in Permission::ALL {
            let mut allowed = HashSet::default();
            for o in world.org_ids() {
                let expected = r.allows(u, p, o);
                prop_assert_eq!(
                    snap.check(u, p, o),
                    expected,
                    "check(user {}, {}, org {})",
                    u,
                    p,
                    o
                );
                if expected {
                    allowed.insert(o);
                    held.entry(o).or_default().push(p);
                }
            }
            let expected: Vec<i64> = order
                .iter()
                .copied()
                .filter(|o| allowed.contains(o))
                .collect();
            prop_assert_eq!(expected.len(), allowed.len(), "allowed outside the tour");
            prop_assert_eq!(
                snap.visible_orgs(u, p),
                expected.clone(),
                "visible_orgs(user {}, {})",
                u,
                p
            );
            prop_assert_eq!(
                snap.any_visible(u, p),
                !expected.is_empty(),
                "any_visible(user {}, {})",
                u,
                p
            );
        }
        for o in world.org_ids() {
            let held = held.get(&o).map_or(&[][..], Vec::as_slice);
            prop_assert_eq!(snap.permissions_at(u, o), PermissionSet::of(held));
            let cascading: Vec<Permission> = Permission::ALL
                .iter()
                .copied()
                .filter(|p| r.allows_through_cascading(u, *p, o))
                .collect();
            prop_assert_eq!(
                snap.cascading_permissions_at(u, o),
                PermissionSet::of(&cascading),
                "cascading_permissions_at(user {}, org {})",
                u,
                o
            );
            prop_assert_eq!(
                snap.sees_inside(u, o),
                r.sees_inside(u, o),
                "sees_inside(user {}, org {})",
                u,
                o
            );
        }
        let holds_a_grant = r.users.get(&u).is_some_and(|x| x.active)
            && r.grants_of(u).any(|g| !r.expired(g) && r.in_tree(g.org_id));
        prop_assert_eq!(
            snap.has_any_grant(u),
            holds_a_grant,
            "has_any_grant(user {})",
            u
        );
    }
    Ok(())
}

/// Names the question in a failure message (formatted only on failure).
struct Ctx<'a>(i64, Permission, i64, &'a Decision);

impl fmt::Display for Ctx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Ctx(u, p, o, d) = self;
        write!(f, "explain(user {u}, {p}, org {o}) = {d:?}")
    }
}

/// `explain` agrees with `check`, and its reason is true by the reference rules.
///
/// With `strict_blame`, a `BlockedByPrivacy` denial must name a border that really
/// stops some grant (for org.view of a private org, a border above it, not its own);
/// without, only that the org is private and on the target's path.
fn assert_explain_is_truthful(
    world: &World,
    snap: &Snapshot,
    strict_blame: bool,
) -> Result<(), TestCaseError> {
    let r = Reference::new(world, now());
    let grant_by_id: HashMap<i64, &GrantRow> = world.grants.iter().map(|g| (g.id, g)).collect();
    for u in world.user_ids() {
        for o in world.org_ids() {
            for &p in Permission::ALL {
                let d = snap.explain(u, p, o);
                let ctx = Ctx(u, p, o, &d);
                prop_assert_eq!(d.allowed, snap.check(u, p, o), "{}", ctx);
                let own = p == Permission::OrgView;
                // Live grants of u that carry p and whose scope covers o (privacy aside).
                let covering: Vec<&GrantRow> = r
                    .grants_of(u)
                    .filter(|g| g.permissions.contains(p) && !r.expired(g) && r.scope_covers(g, o))
                    .collect();
                match &d.reason {
                    Reason::Granted => {
                        prop_assert!(d.allowed, "{}", ctx);
                        prop_assert!(!d.via.is_empty(), "{}", ctx);
                        for via in &d.via {
                            let g = grant_by_id.get(&via.grant_id);
                            prop_assert!(g.is_some(), "{}: via names no grant", ctx);
                            let g = g.unwrap();
                            prop_assert_eq!(g.user_id, u, "{}", ctx);
                            prop_assert!(
                                r.grant_gives(g, p, o, own),
                                "{}: via does not reach",
                                ctx
                            );
                            prop_assert_eq!(via.org_id, g.org_id, "{}", ctx);
                            prop_assert_eq!(via.role_id, g.role_id, "{}", ctx);
                            prop_assert_eq!(via.descendants, g.descendants, "{}", ctx);
                            prop_assert_eq!(via.group_id, g.group_id, "{}", ctx);
                        }
                        // And none is left out.
                        let listed: HashSet<i64> = d.via.iter().map(|v| v.grant_id).collect();
                        let giving: HashSet<i64> = covering
                            .iter()
                            .filter(|g| r.grant_gives(g, p, o, own))
                            .map(|g| g.id)
                            .collect();
                        prop_assert_eq!(listed, giving, "{}", ctx);
                    }
                    Reason::HomeMembership => {
                        prop_assert!(d.allowed, "{}", ctx);
                        prop_assert_eq!(p, Permission::OrgView, "{}", ctx);
                        let user = r.users.get(&u);
                        prop_assert!(
                            user.is_some_and(|x| x.active && x.home_org_id == o),
                            "{}",
                            ctx
                        );
                    }
                    Reason::UnknownUser => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        prop_assert!(!r.users.contains_key(&u), "{}", ctx);
                    }
                    Reason::UnknownOrg => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        prop_assert!(!r.in_tree(o), "{}", ctx);
                    }
                    Reason::UserDeactivated => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        prop_assert!(r.users.get(&u).is_some_and(|x| !x.active), "{}", ctx);
                    }
                    Reason::OrgArchived { org_id } => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        prop_assert!(!p.is_read_only(), "{}", ctx);
                        prop_assert!(r.archived_on_path(o).contains(org_id), "{}", ctx);
                    }
                    Reason::BlockedByPrivacy { org_id } => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        prop_assert!(r.chain(o).contains(org_id), "{}: not on the path", ctx);
                        prop_assert!(r.private(*org_id), "{}: not private", ctx);
                        // Some grant that would reach is really stopped at that border.
                        prop_assert!(
                            !strict_blame
                                || covering
                                    .iter()
                                    .any(|g| r.blockers(g, o, own).contains(org_id)),
                            "{}: that border stops no grant",
                            ctx
                        );
                    }
                    Reason::GrantExpired { grant_id } => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        let g = grant_by_id.get(grant_id);
                        prop_assert!(g.is_some(), "{}", ctx);
                        let g = g.unwrap();
                        prop_assert_eq!(g.user_id, u, "{}", ctx);
                        prop_assert!(r.expired(g), "{}: not expired", ctx);
                        prop_assert!(g.permissions.contains(p), "{}", ctx);
                        prop_assert!(r.scope_covers(g, o), "{}", ctx);
                    }
                    Reason::NoGrant => {
                        prop_assert!(!d.allowed, "{}", ctx);
                        // Not hiding a privacy block or an expired grant.
                        prop_assert!(covering.is_empty(), "{}", ctx);
                        prop_assert!(
                            !r.grants_of(u).any(|g| g.permissions.contains(p)
                                && r.expired(g)
                                && r.scope_covers(g, o)),
                            "{}",
                            ctx
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// The tour order is a path order: each subtree is one contiguous run starting at
/// its root, and siblings come in sort-key order.
fn assert_tour_order(world: &World, snap: &Snapshot) -> Result<(), TestCaseError> {
    let r = Reference::new(world, now());
    let order: Vec<i64> = snap.tree().ids_in_order().collect();
    let mut sorted = order.clone();
    sorted.sort();
    let mut all: Vec<i64> = world.orgs.iter().map(|o| o.id).collect();
    all.sort();
    prop_assert_eq!(sorted, all, "the tour lists every org once");
    let pos: HashMap<i64, usize> = order.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    for a in &order {
        let start = pos[a];
        let size = order.iter().filter(|o| r.at_or_above(*a, **o)).count();
        for (i, o) in order.iter().enumerate() {
            let inside = start <= i && i < start + size;
            prop_assert_eq!(
                inside,
                r.at_or_above(*a, *o),
                "subtree of {} is not contiguous",
                a
            );
        }
    }
    for row in &world.orgs {
        let keys: Vec<&str> = order
            .iter()
            .filter(|o| r.orgs[*o].parent_id == Some(row.id))
            .map(|o| r.orgs[o].sort_key.as_str())
            .collect();
        prop_assert!(
            keys.is_sorted(),
            "children of {} out of order: {:?}",
            row.id,
            keys
        );
    }
    // The tree's small questions, walked the slow way.
    let t = snap.tree();
    prop_assert_eq!(t.len(), world.orgs.len());
    prop_assert!(!t.contains(UNKNOWN_ORG));
    for o in world.org_ids() {
        let mut chain = r.chain(o).to_vec();
        prop_assert_eq!(t.contains(o), !chain.is_empty());
        prop_assert_eq!(t.parent_of(o), chain.get(1).copied());
        prop_assert_eq!(t.depth_of(o), chain.len().checked_sub(1).map(|d| d as u32));
        for a in world.org_ids() {
            prop_assert_eq!(
                t.is_within(o, a),
                r.at_or_above(a, o),
                "is_within({}, {})",
                o,
                a
            );
        }
        chain.reverse();
        prop_assert_eq!(t.path(o), chain);
    }
    Ok(())
}

/// Two snapshots give the same answer to every question.
fn assert_same_answers(world: &World, a: &Snapshot, b: &Snapshot) -> Result<(), TestCaseError> {
    for u in world.user_ids() {
        for &p in Permission::ALL {
            for o in world.org_ids() {
                prop_assert_eq!(
                    a.check(u, p, o),
                    b.check(u, p, o),
                    "check(user {}, {}, org {})",
                    u,
                    p,
                    o
                );
                prop_assert_eq!(a.explain(u, p, o), b.explain(u, p, o));
            }
            prop_assert_eq!(a.visible_orgs(u, p), b.visible_orgs(u, p));
        }
        for o in world.org_ids() {
            prop_assert_eq!(a.sees_inside(u, o), b.sees_inside(u, o));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2_000))]

    /// The main property: check, sees_inside, explain and visible_orgs against the
    /// reference, for every user (and a stranger), permission and org (and a ghost).
    #[test]
    fn snapshot_agrees_with_the_reference(world in world()) {
        let snap = world.snapshot(1);
        assert_checks_agree(&world, &snap)?;
        assert_explain_is_truthful(&world, &snap, false)?;
    }
}

/// `Access::org_scope` never covers an org where `check` denies, covers every
/// org it names as a root, and answers the same from its memo as when it was
/// first worked out; `hidden_under` likewise.
fn assert_scopes_hold(world: &World, snap: Snapshot) -> Result<(), TestCaseError> {
    let snap = std::sync::Arc::new(snap);
    let tree = snap.tree();
    for u in world.user_ids() {
        let access = canopy::authz::Access {
            user_id: u,
            snapshot: snap.clone(),
        };
        for &p in Permission::ALL {
            let scope = access.org_scope(p);
            prop_assert_eq!(&access.org_scope(p), &scope, "memoized scope differs");
            for o in world.org_ids() {
                let covered = scope.roots.iter().any(|r| tree.is_within(o, *r))
                    && !scope.hidden.iter().any(|h| tree.is_within(o, *h));
                if covered {
                    prop_assert!(
                        snap.check(u, p, o),
                        "scope of user {} covers org {} for {}",
                        u,
                        o,
                        p
                    );
                }
            }
            for r in &scope.roots {
                prop_assert!(snap.check(u, p, *r));
            }
            // Every visible org lies under some root: the roots are the highest.
            for o in snap.visible_orgs(u, p) {
                prop_assert!(scope.roots.iter().any(|r| tree.is_within(o, *r)));
            }
            for o in world.org_ids().into_iter().take(3) {
                let first = access.hidden_under(p, o);
                prop_assert_eq!(access.hidden_under(p, o), first);
            }
        }
    }
    Ok(())
}

/// `Access::parts` covers every org where `check` holds exactly once and
/// nothing else; `inside_parts` the same for `sees_inside`; the SQL levels
/// take exactly the same orgs; `parts::within` counts a subtree's share.
fn assert_parts_exact(world: &World, snap: Snapshot) -> Result<(), TestCaseError> {
    use canopy::authz::parts::{Part, within};
    let snap = std::sync::Arc::new(snap);
    let tree = snap.tree();
    let covers = |part: &Part, o: i64| {
        tree.is_within(o, part.root) && !part.hidden.iter().any(|h| tree.is_within(o, *h))
    };
    for u in world.user_ids() {
        let access = canopy::authz::Access {
            user_id: u,
            snapshot: snap.clone(),
        };
        let inside = access.inside_parts();
        for o in world.org_ids() {
            let n = inside.iter().filter(|p| covers(p, o)).count();
            prop_assert_eq!(
                n,
                usize::from(snap.sees_inside(u, o)),
                "inside: user {} org {}",
                u,
                o
            );
        }
        for o in world.org_ids() {
            let (cut, count) = within(tree, &inside, o);
            let expected = tree.subtree(o).filter(|x| snap.sees_inside(u, *x)).count();
            prop_assert_eq!(count, expected, "within: user {} org {}", u, o);
            for x in tree.subtree(o) {
                let n = cut.iter().filter(|p| covers(p, x)).count();
                prop_assert_eq!(n, usize::from(snap.sees_inside(u, x)));
            }
        }
        for &p in Permission::ALL {
            let parts = access.parts(p);
            let levels = access.scope_levels(p);
            for o in world.org_ids() {
                let n = parts.iter().filter(|part| covers(part, o)).count();
                prop_assert_eq!(
                    n,
                    usize::from(snap.check(u, p, o)),
                    "user {} {} org {}",
                    u,
                    p,
                    o
                );
                let taken = levels
                    .iter()
                    .filter(|l| {
                        l.roots.iter().any(|r| tree.is_within(o, *r))
                            && !l.hidden.iter().any(|h| tree.is_within(o, *h))
                    })
                    .count();
                prop_assert_eq!(
                    taken,
                    usize::from(snap.check(u, p, o)),
                    "levels: user {} {} org {}",
                    u,
                    p,
                    o
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn parts_cover_exactly_what_check_and_sees_inside_allow(world in world()) {
        assert_parts_exact(&world, world.snapshot(1))?;
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn org_scopes_never_cover_more_than_check_allows(world in world()) {
        assert_scopes_hold(&world, world.snapshot(1))?;
    }
}

proptest! {
    #![proptest_config(config(1_000))]

    /// Stricter than the main property: a `BlockedByPrivacy` denial names a border
    /// that really stops one of the user's grants, never one the permission passes
    /// (such as a private org's own border for `org.view` of its name; the case
    /// pinned by `org_view_of_a_private_org_inside_another_blames_the_outer_border`).
    #[test]
    fn explain_blames_a_border_that_really_blocks(world in world()) {
        let snap = world.snapshot(1);
        assert_explain_is_truthful(&world, &snap, true)?;
    }
}

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn tree_is_laid_out_in_path_order(world in world()) {
        let snap = world.snapshot(1);
        assert_tour_order(&world, &snap)?;
    }

    /// Patching one user's grants and status answers like a full rebuild, and like
    /// the reference on the changed rows.
    #[test]
    fn patch_agrees_with_rebuild(world in world(), change in change()) {
        let epoch = 7;
        let before = world.snapshot(epoch);
        let n_orgs = world.orgs.len();
        let who = change.user.index(world.users.len());
        let mut user = world.users[who].clone();
        user.active = change.active;
        if let Some(home) = change.home {
            user.home_org_id = org_id(home.index(n_orgs));
        }
        let new_grants: Vec<GrantRow> = change
            .grants
            .iter()
            .enumerate()
            .map(|(i, s)| make_grant(8_000 + i as i64, s, user.id, n_orgs))
            .collect();
        let mut after = world.clone();
        after.users[who] = user.clone();
        after.grants.retain(|g| g.user_id != user.id);
        after.grants.extend(new_grants.iter().cloned());

        // Fill the memo first: a patch keeps the other users' kept answers
        // and must drop the changed user's.
        for u in world.user_ids() {
            for &p in Permission::ALL {
                before.visible_orgs(u, p);
            }
        }
        let patched = before.patched(epoch + 1, &[(user.clone(), new_grants)], &[], now());
        prop_assert_eq!(patched.epoch, epoch + 1);
        let rebuilt = after.snapshot(epoch + 1);
        assert_same_answers(&after, &patched, &rebuilt)?;
        assert_checks_agree(&after, &patched)?;

        // Removing the user altogether: they reach nothing, like in a rebuild without them.
        let removed = before.patched(epoch + 1, &[], &[user.id], now());
        let mut gone = world.clone();
        gone.users.remove(who);
        gone.grants.retain(|g| g.user_id != user.id);
        let rebuilt = gone.snapshot(epoch + 1);
        assert_same_answers(&world, &removed, &rebuilt)?;
        for &p in Permission::ALL {
            prop_assert!(removed.visible_orgs(user.id, p).is_empty());
        }
    }
}

proptest! {
    #![proptest_config(config(2_000))]

    /// Fresh snapshots are not stale; they turn stale exactly at the earliest expiry
    /// of a grant they hold.
    #[test]
    fn stale_at_the_earliest_future_expiry(world in world()) {
        let snap = world.snapshot(1);
        prop_assert!(!snap.is_stale_at(now()));
        let r = Reference::new(&world, now());
        let earliest = world
            .grants
            .iter()
            .filter(|g| r.users.contains_key(&g.user_id) && r.in_tree(g.org_id))
            .filter_map(|g| g.expires_at)
            .filter(|at| *at > now())
            .min();
        match earliest {
            Some(at) => {
                prop_assert!(!snap.is_stale_at(at - Duration::seconds(1)));
                prop_assert!(snap.is_stale_at(at));
                prop_assert!(snap.is_stale_at(at + Duration::days(1)));
            }
            None => prop_assert!(!snap.is_stale_at(now() + Duration::days(3650))),
        }
    }
}

// ---------------------------------------------------------------------------
// Stories
// ---------------------------------------------------------------------------

const ROOT: i64 = 1;
const ACME: i64 = 10;
const ACME_EAST: i64 = 11;
const BOSTON: i64 = 12;
const NEW_YORK: i64 = 13;
const ACME_WEST: i64 = 14;
const LOS_ANGELES: i64 = 15;
const GLOBEX: i64 = 20;
const GLOBEX_SALES: i64 = 21;
const GLOBEX_LABS: i64 = 22;
const LAB_ONE: i64 = 23;

fn org(id: i64, parent: Option<i64>, name: &str) -> OrgRow {
    OrgRow {
        id,
        parent_id: parent,
        sort_key: name.to_lowercase(),
        code_key: String::new(),
        privacy_mode: false,
        archived: false,
    }
}

fn private(mut row: OrgRow) -> OrgRow {
    row.privacy_mode = true;
    row
}

fn archived(mut row: OrgRow) -> OrgRow {
    row.archived = true;
    row
}

/// Root
/// ├── Acme                (customer)
/// │   ├── Acme East       (region)
/// │   │   ├── Boston      (site)
/// │   │   └── New York    (site)
/// │   └── Acme West       (region)
/// │       └── Los Angeles (site)
/// └── Globex              (customer)
///     ├── Globex Sales
///     └── Globex Labs
///         └── Lab One
fn company() -> Vec<OrgRow> {
    vec![
        org(ROOT, None, "Root"),
        org(ACME, Some(ROOT), "Acme"),
        org(ACME_EAST, Some(ACME), "Acme East"),
        org(BOSTON, Some(ACME_EAST), "Boston"),
        org(NEW_YORK, Some(ACME_EAST), "New York"),
        org(ACME_WEST, Some(ACME), "Acme West"),
        org(LOS_ANGELES, Some(ACME_WEST), "Los Angeles"),
        org(GLOBEX, Some(ROOT), "Globex"),
        org(GLOBEX_SALES, Some(GLOBEX), "Globex Sales"),
        org(GLOBEX_LABS, Some(GLOBEX), "Globex Labs"),
        org(LAB_ONE, Some(GLOBEX_LABS), "Lab One"),
    ]
}

/// The same company with some orgs changed.
fn company_with(change: impl Fn(OrgRow) -> OrgRow) -> Vec<OrgRow> {
    company().into_iter().map(change).collect()
}

fn user(id: i64, home: i64) -> UserRow {
    UserRow {
        id,
        active: true,
        home_org_id: home,
    }
}

fn grant(id: i64, user: i64, at: i64, role: BuiltinRole) -> GrantRow {
    GrantRow {
        id,
        user_id: user,
        org_id: at,
        role_id: BuiltinRole::ALL.iter().position(|r| *r == role).unwrap() as i64 + 1,
        permissions: role.permissions(),
        descendants: true,
        expires_at: None,
        group_id: None,
    }
}

fn this_org_only(mut g: GrantRow) -> GrantRow {
    g.descendants = false;
    g
}

fn expiring(mut g: GrantRow, at: NaiveDateTime) -> GrantRow {
    g.expires_at = Some(at);
    g
}

fn build(orgs: &[OrgRow], users: &[UserRow], grants: &[GrantRow]) -> Snapshot {
    Snapshot::build(1, orgs, users, grants, now())
}

const ERIN: i64 = 1;
const OWEN: i64 = 2;
const GRACE: i64 = 3;

#[test]
fn a_region_admin_runs_the_region_and_its_sites_but_not_the_sibling_region_or_the_parent() {
    let orgs = company();
    let erin = user(ERIN, BOSTON);
    let snap = build(
        &orgs,
        &[erin],
        &[grant(1, ERIN, ACME_EAST, BuiltinRole::OrgAdmin)],
    );

    for org in [ACME_EAST, BOSTON, NEW_YORK] {
        assert!(snap.check(ERIN, Permission::OrgEdit, org));
        assert!(snap.check(ERIN, Permission::UserManage, org));
    }
    // An org admin may not move or delete, not even inside the region.
    assert!(!snap.check(ERIN, Permission::OrgMove, BOSTON));
    // Access never flows upward or sideways.
    for org in [ACME, ROOT, ACME_WEST, LOS_ANGELES, GLOBEX] {
        assert!(
            !snap.check(ERIN, Permission::OrgView, org),
            "erin sees {org}"
        );
    }
    assert_eq!(
        snap.visible_orgs(ERIN, Permission::OrgView),
        vec![ACME_EAST, BOSTON, NEW_YORK]
    );
    let d = snap.explain(ERIN, Permission::UserManage, NEW_YORK);
    assert!(d.allowed);
    assert_eq!(d.reason, Reason::Granted);
    assert_eq!(d.via.len(), 1);
    assert_eq!((d.via[0].grant_id, d.via[0].org_id), (1, ACME_EAST));
    assert_eq!(
        snap.explain(ERIN, Permission::OrgView, ACME_WEST).reason,
        Reason::NoGrant
    );
}

#[test]
fn a_this_org_only_grant_does_not_reach_the_children() {
    let orgs = company();
    let owen = user(OWEN, ROOT);
    let snap = build(
        &orgs,
        &[owen],
        &[this_org_only(grant(1, OWEN, ACME, BuiltinRole::OrgAdmin))],
    );

    assert!(snap.check(OWEN, Permission::OrgEdit, ACME));
    for org in [ACME_EAST, BOSTON, ACME_WEST, LOS_ANGELES] {
        assert!(!snap.check(OWEN, Permission::OrgEdit, org));
        assert!(!snap.check(OWEN, Permission::OrgView, org));
    }
    // Home membership still shows Owen his own home, the root, and nothing more.
    assert_eq!(
        snap.visible_orgs(OWEN, Permission::OrgView),
        vec![ROOT, ACME]
    );
    assert_eq!(
        snap.explain(OWEN, Permission::OrgView, ROOT).reason,
        Reason::HomeMembership
    );
}

#[test]
fn only_grants_that_reach_below_count_for_granting_below() {
    let orgs = company();
    let owen = user(OWEN, ROOT);
    let snap = build(
        &orgs,
        &[owen],
        &[
            this_org_only(grant(1, OWEN, ACME, BuiltinRole::OrgAdmin)),
            grant(2, OWEN, ACME, BuiltinRole::Viewer),
        ],
    );
    let admin = BuiltinRole::OrgAdmin.permissions();
    let viewer = BuiltinRole::Viewer.permissions();
    assert!(snap.permissions_at(OWEN, ACME).is_superset_of(admin));
    assert_eq!(snap.cascading_permissions_at(OWEN, ACME), viewer);
    assert!(
        !snap
            .cascading_permissions_at(OWEN, ACME)
            .contains(Permission::AccessManage)
    );
    // The Viewer grant reaches below; the Org admin one does not.
    assert_eq!(snap.cascading_permissions_at(OWEN, ACME_EAST), viewer);
    assert_eq!(snap.permissions_at(OWEN, ACME_EAST), viewer);
    // Home membership is no grant: nothing reaches below from it.
    assert_eq!(
        snap.cascading_permissions_at(OWEN, ROOT),
        PermissionSet::EMPTY
    );
}

#[test]
fn privacy_at_a_customer_stops_the_root_owner_at_its_border() {
    let orgs = company_with(|o| if o.id == GLOBEX { private(o) } else { o });
    let users = [user(OWEN, ROOT), user(GRACE, GLOBEX_SALES)];
    let grants = [
        grant(1, OWEN, ROOT, BuiltinRole::Owner),
        grant(2, GRACE, GLOBEX, BuiltinRole::OrgAdmin),
    ];
    let snap = build(&orgs, &users, &grants);

    // The owner of the root still sees Globex's name and place in the tree ...
    assert!(snap.check(OWEN, Permission::OrgView, GLOBEX));
    assert!(!snap.sees_inside(OWEN, GLOBEX));
    // ... and nothing more: not its users, not its settings, not its children.
    for p in [
        Permission::UserView,
        Permission::OrgSettings,
        Permission::AuditView,
    ] {
        assert!(!snap.check(OWEN, p, GLOBEX), "owner has {p} at Globex");
    }
    for org in [GLOBEX_SALES, GLOBEX_LABS, LAB_ONE] {
        assert!(!snap.check(OWEN, Permission::OrgView, org));
        assert_eq!(
            snap.explain(OWEN, Permission::OrgView, org).reason,
            Reason::BlockedByPrivacy { org_id: GLOBEX }
        );
    }
    assert_eq!(
        snap.explain(OWEN, Permission::UserView, GLOBEX).reason,
        Reason::BlockedByPrivacy { org_id: GLOBEX }
    );
    // Acme is not private: the owner runs it as before.
    assert!(snap.check(OWEN, Permission::OrgDelete, BOSTON));

    // A grant made at the customer itself counts inside.
    assert!(snap.sees_inside(GRACE, GLOBEX));
    for org in [GLOBEX, GLOBEX_SALES, GLOBEX_LABS, LAB_ONE] {
        assert!(snap.check(GRACE, Permission::UserManage, org));
    }
    assert!(!snap.check(GRACE, Permission::OrgView, ROOT));
}

#[test]
fn nested_privacy_stops_each_grant_at_the_first_border_below_it() {
    let orgs = company_with(|o| match o.id {
        GLOBEX | GLOBEX_LABS => private(o),
        _ => o,
    });
    let users = [user(OWEN, ROOT), user(GRACE, GLOBEX)];
    let grants = [
        grant(1, OWEN, ROOT, BuiltinRole::Owner),
        grant(2, GRACE, GLOBEX, BuiltinRole::OrgAdmin),
    ];
    let snap = build(&orgs, &users, &grants);

    // Globex's admin runs Globex Sales and sees that Globex Labs exists ...
    assert!(snap.check(GRACE, Permission::UserManage, GLOBEX_SALES));
    assert!(snap.check(GRACE, Permission::OrgView, GLOBEX_LABS));
    // ... but the labs are private too: nothing inside them.
    assert!(!snap.sees_inside(GRACE, GLOBEX_LABS));
    assert!(!snap.check(GRACE, Permission::UserView, GLOBEX_LABS));
    assert!(!snap.check(GRACE, Permission::OrgView, LAB_ONE));
    assert_eq!(
        snap.explain(GRACE, Permission::UserView, LAB_ONE).reason,
        Reason::BlockedByPrivacy {
            org_id: GLOBEX_LABS
        }
    );
    assert_eq!(
        snap.visible_orgs(GRACE, Permission::OrgView),
        vec![GLOBEX, GLOBEX_LABS, GLOBEX_SALES]
    );

    // The root's owner stops at the outer border: Globex's name, not even the labs'.
    assert!(snap.check(OWEN, Permission::OrgView, GLOBEX));
    assert!(!snap.check(OWEN, Permission::OrgView, GLOBEX_LABS));
    // Deeper inside, both borders stand in his way.
    let reason = snap.explain(OWEN, Permission::UserView, LAB_ONE).reason;
    assert!(
        [GLOBEX, GLOBEX_LABS]
            .map(|org_id| Reason::BlockedByPrivacy { org_id })
            .contains(&reason),
        "{reason:?}"
    );
}

/// A private org inside another private org: `org.view` of the inner one is
/// denied, and `explain` blames the outer border, which really stops the grant,
/// not the inner org's own border, which `org.view` of its name passes.
#[test]
fn org_view_of_a_private_org_inside_another_blames_the_outer_border() {
    let orgs = company_with(|o| match o.id {
        GLOBEX | GLOBEX_LABS => private(o),
        _ => o,
    });
    let users = [user(OWEN, ROOT)];
    let snap = build(&orgs, &users, &[grant(1, OWEN, ROOT, BuiltinRole::Owner)]);

    assert!(!snap.check(OWEN, Permission::OrgView, GLOBEX_LABS));
    // The labs' own border does not hide their name: Globex's border is what stops him.
    assert_eq!(
        snap.explain(OWEN, Permission::OrgView, GLOBEX_LABS).reason,
        Reason::BlockedByPrivacy { org_id: GLOBEX }
    );
}

#[test]
fn an_archived_customer_is_read_only_all_the_way_down() {
    let orgs = company_with(|o| if o.id == ACME { archived(o) } else { o });
    let users = [user(OWEN, ROOT)];
    let snap = build(&orgs, &users, &[grant(1, OWEN, ROOT, BuiltinRole::Owner)]);

    for org in [ACME, ACME_EAST, BOSTON] {
        assert!(!snap.check(OWEN, Permission::OrgEdit, org));
        assert!(!snap.check(OWEN, Permission::TimeManage, org));
        assert!(snap.check(OWEN, Permission::OrgView, org));
        assert!(snap.check(OWEN, Permission::TimeView, org));
        let d = snap.explain(OWEN, Permission::OrgEdit, org);
        assert!(!d.allowed);
        assert_eq!(d.reason, Reason::OrgArchived { org_id: ACME });
    }
    // Outside the archived subtree nothing changes.
    assert!(snap.check(OWEN, Permission::OrgEdit, GLOBEX));
}

#[test]
fn an_expired_grant_counts_for_nothing_and_says_so() {
    let orgs = company();
    let users = [user(ERIN, BOSTON)];
    let grants = [
        expiring(
            grant(7, ERIN, ACME_WEST, BuiltinRole::Approver),
            now() - Duration::days(1),
        ),
        expiring(
            grant(8, ERIN, ACME_EAST, BuiltinRole::Approver),
            now() + Duration::days(1),
        ),
    ];
    let snap = build(&orgs, &users, &grants);

    assert!(!snap.check(ERIN, Permission::TimeApprove, LOS_ANGELES));
    let d = snap.explain(ERIN, Permission::TimeApprove, LOS_ANGELES);
    assert!(!d.allowed);
    assert_eq!(d.reason, Reason::GrantExpired { grant_id: 7 });

    // The other grant is live today and makes the snapshot stale when it ends.
    assert!(snap.check(ERIN, Permission::TimeApprove, BOSTON));
    assert!(!snap.is_stale_at(now()));
    assert!(snap.is_stale_at(now() + Duration::days(1)));
}

#[test]
fn a_deactivated_user_gets_nothing_not_even_their_home() {
    let orgs = company();
    let mut erin = user(ERIN, BOSTON);
    erin.active = false;
    let snap = build(&orgs, &[erin], &[grant(1, ERIN, ROOT, BuiltinRole::Owner)]);

    for &p in Permission::ALL {
        assert!(!snap.check(ERIN, p, BOSTON));
        assert!(snap.visible_orgs(ERIN, p).is_empty());
    }
    let d = snap.explain(ERIN, Permission::OrgView, BOSTON);
    assert!(!d.allowed);
    assert_eq!(d.reason, Reason::UserDeactivated);
    assert!(!snap.has_any_grant(ERIN));
}

#[test]
fn strangers_and_ghost_orgs_get_nothing_and_nothing_panics() {
    let orgs = company();
    // A user whose home is gone, and a grant at an org that is gone.
    let users = [user(ERIN, UNKNOWN_ORG)];
    let grants = [grant(1, ERIN, UNKNOWN_ORG, BuiltinRole::Owner)];
    let snap = build(&orgs, &users, &grants);

    for &p in Permission::ALL {
        assert!(snap.visible_orgs(ERIN, p).is_empty());
        assert!(!snap.check(ERIN, p, UNKNOWN_ORG));
        assert!(!snap.check(ERIN, p, ROOT));
    }
    assert_eq!(
        snap.explain(ERIN, Permission::OrgView, UNKNOWN_ORG).reason,
        Reason::UnknownOrg
    );
    assert_eq!(
        snap.explain(ERIN, Permission::OrgView, ROOT).reason,
        Reason::NoGrant
    );
    assert_eq!(
        snap.explain(UNKNOWN_USER, Permission::OrgView, ROOT).reason,
        Reason::UnknownUser
    );
}

mod project_scope {
    //! Grants at a project reach that project only; grants at its org (or above)
    //! reach every project of the org; archived orgs freeze their projects.

    use canopy::authz::snapshot::{
        GrantRow, OrgRow, ProjectGrantRow, ProjectRow, Snapshot, UserRow,
    };
    use canopy::authz::{BuiltinRole, Permission};
    use chrono::NaiveDate;

    fn now() -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    fn org(id: i64, parent: Option<i64>, archived: bool) -> OrgRow {
        OrgRow {
            id,
            parent_id: parent,
            sort_key: format!("o{id}"),
            code_key: String::new(),
            privacy_mode: false,
            archived,
        }
    }

    fn world(archived_site: bool) -> Snapshot {
        // 1 root → 2 customer → 3 site; projects 10 and 11 at the site, 12 at the customer.
        let orgs = [
            org(1, None, false),
            org(2, Some(1), false),
            org(3, Some(2), archived_site),
        ];
        let users = [
            UserRow {
                id: 100,
                active: true,
                home_org_id: 2,
            },
            UserRow {
                id: 101,
                active: true,
                home_org_id: 2,
            },
            UserRow {
                id: 102,
                active: false,
                home_org_id: 2,
            },
        ];
        let org_grants = [GrantRow {
            id: 1,
            user_id: 101,
            org_id: 3,
            role_id: 1,
            permissions: BuiltinRole::ProjectManager.permissions(),
            descendants: true,
            expires_at: None,
            group_id: None,
        }];
        let pm = BuiltinRole::ProjectManager.permissions();
        let project_grants = [
            ProjectGrantRow {
                id: 2,
                user_id: 100,
                project_id: 10,
                role_id: 1,
                permissions: pm,
                expires_at: None,
                group_id: None,
            },
            ProjectGrantRow {
                id: 3,
                user_id: 102,
                project_id: 10,
                role_id: 1,
                permissions: pm,
                expires_at: None,
                group_id: None,
            },
            ProjectGrantRow {
                id: 4,
                user_id: 100,
                project_id: 12,
                role_id: 1,
                permissions: pm,
                expires_at: Some(now() - chrono::Duration::seconds(1)),
                group_id: None,
            },
        ];
        let projects = [
            ProjectRow { id: 10, org_id: 3 },
            ProjectRow { id: 11, org_id: 3 },
            ProjectRow { id: 12, org_id: 2 },
        ];
        Snapshot::build(1, &orgs, &users, &org_grants, now()).with_projects(
            &projects,
            &project_grants,
            now(),
        )
    }

    #[test]
    fn a_project_grant_reaches_that_project_only() {
        let s = world(false);
        assert!(s.check_project(100, Permission::ProjectManage, 10));
        assert!(
            !s.check_project(100, Permission::ProjectManage, 11),
            "not the sibling project"
        );
        assert!(!s.check(100, Permission::ProjectManage, 3), "not the org");
        assert!(
            !s.check_project(100, Permission::AuditView, 10),
            "only the role's permissions"
        );
        assert!(
            !s.check_project(100, Permission::ProjectView, 99),
            "unknown project"
        );
    }

    #[test]
    fn org_grants_reach_every_project_of_the_org() {
        let s = world(false);
        assert!(s.check_project(101, Permission::ProjectManage, 10));
        assert!(s.check_project(101, Permission::ProjectManage, 11));
        assert!(
            !s.check_project(101, Permission::ProjectManage, 12),
            "not up to the customer"
        );
    }

    #[test]
    fn expired_inactive_and_archived_reach_nothing() {
        let s = world(false);
        assert!(
            !s.check_project(100, Permission::ProjectView, 12),
            "expired"
        );
        assert!(
            !s.check_project(102, Permission::ProjectView, 10),
            "deactivated"
        );
        let frozen = world(true);
        assert!(
            frozen.check_project(100, Permission::ProjectView, 10),
            "still readable"
        );
        assert!(
            !frozen.check_project(100, Permission::ProjectManage, 10),
            "nothing changes"
        );
        assert!(!frozen.check_project(101, Permission::ProjectManage, 10));
    }

    #[test]
    fn patching_a_user_keeps_and_replaces_project_grants() {
        let s = world(false);
        let user = UserRow {
            id: 100,
            active: true,
            home_org_id: 2,
        };
        let mut next = s.patched(2, &[(user, vec![])], &[], now());
        next.patch_project_grants(100, &[], now());
        assert!(
            !next.check_project(100, Permission::ProjectManage, 10),
            "revoked"
        );
        assert!(
            next.check_project(101, Permission::ProjectManage, 10),
            "others untouched"
        );
    }
}

/// Every user's gains and losses over `orgs`, asked of every user, permission
/// and org: what `access_changes` must answer, however it narrows the work.
fn every_change(
    world: &World,
    before: &Snapshot,
    after: &Snapshot,
    orgs: &[i64],
) -> Vec<canopy::authz::snapshot::AccessChange> {
    let mut out = Vec::new();
    for u in world.users.iter().map(|u| u.id) {
        let (mut gained, mut lost) = (Vec::new(), Vec::new());
        for &p in Permission::ALL {
            let was = orgs
                .iter()
                .any(|o| before.check(u, p, *o) && !after.check(u, p, *o));
            let is = orgs
                .iter()
                .any(|o| after.check(u, p, *o) && !before.check(u, p, *o));
            if is {
                gained.push(p);
            }
            if was {
                lost.push(p);
            }
        }
        if !gained.is_empty() || !lost.is_empty() {
            out.push(canopy::authz::snapshot::AccessChange {
                user_id: u,
                gained,
                lost,
            });
        }
    }
    out.sort_by_key(|c| c.user_id);
    out
}

proptest! {
    #![proptest_config(config(1_000))]

    /// The move preview compares only the holders of grants above the old or
    /// new parent; it must still find every change a full comparison finds.
    #[test]
    fn a_move_preview_misses_no_change(world in world(), moved in any::<Index>(), to in any::<Index>()) {
        let before = world.snapshot(1);
        let ids: Vec<i64> = world.orgs.iter().map(|o| o.id).collect();
        let (moved, to) = (*moved.get(&ids), *to.get(&ids));
        let tree = before.tree();
        prop_assume!(tree.contains(moved) && tree.contains(to));
        prop_assume!(tree.parent_of(moved).is_some() && !tree.is_within(to, moved));
        let mut moved_world = world.clone();
        for row in &mut moved_world.orgs {
            if row.id == moved {
                row.parent_id = Some(to);
            }
        }
        let after = moved_world.snapshot(2);
        let subtree: Vec<i64> = tree.ids_in_order().filter(|o| tree.is_within(*o, moved)).collect();
        let mut found = canopy::authz::snapshot::access_changes(&before, &after, &subtree);
        found.sort_by_key(|c| c.user_id);
        prop_assert_eq!(found, every_change(&world, &before, &after, &subtree));
    }
}
