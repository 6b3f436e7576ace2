//! The properties: the snapshot agrees with the reference on every question,
//! over generated worlds (and after a patch, as after a rebuild).

use super::*;

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
                    snap.check(UserId(u), p, OrgId(o)),
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
            prop_assert_eq!(
                snap.permissions_at(UserId(u), OrgId(o)),
                PermissionSet::of(held)
            );
            let cascading: Vec<Permission> = Permission::ALL
                .iter()
                .copied()
                .filter(|p| r.allows_through_cascading(u, *p, o))
                .collect();
            prop_assert_eq!(
                snap.cascading_permissions_at(UserId(u), OrgId(o)),
                PermissionSet::of(&cascading),
                "cascading_permissions_at(user {}, org {})",
                u,
                o
            );
            prop_assert_eq!(
                snap.sees_inside(UserId(u), OrgId(o)),
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
                let d = snap.explain(UserId(u), p, OrgId(o));
                let ctx = Ctx(u, p, o, &d);
                prop_assert_eq!(d.allowed, snap.check(UserId(u), p, OrgId(o)), "{}", ctx);
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
                    a.check(UserId(u), p, OrgId(o)),
                    b.check(UserId(u), p, OrgId(o)),
                    "check(user {}, {}, org {})",
                    u,
                    p,
                    o
                );
                prop_assert_eq!(
                    a.explain(UserId(u), p, OrgId(o)),
                    b.explain(UserId(u), p, OrgId(o))
                );
            }
            prop_assert_eq!(a.visible_orgs(u, p), b.visible_orgs(u, p));
        }
        for o in world.org_ids() {
            prop_assert_eq!(
                a.sees_inside(UserId(u), OrgId(o)),
                b.sees_inside(UserId(u), OrgId(o))
            );
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
                        snap.check(UserId(u), p, OrgId(o)),
                        "scope of user {} covers org {} for {}",
                        u,
                        o,
                        p
                    );
                }
            }
            for r in &scope.roots {
                prop_assert!(snap.check(UserId(u), p, OrgId(*r)));
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
                usize::from(snap.sees_inside(UserId(u), OrgId(o))),
                "inside: user {} org {}",
                u,
                o
            );
        }
        for o in world.org_ids() {
            let (cut, count) = within(tree, &inside, o);
            let expected = tree
                .subtree(o)
                .filter(|x| snap.sees_inside(UserId(u), OrgId(*x)))
                .count();
            prop_assert_eq!(count, expected, "within: user {} org {}", u, o);
            for x in tree.subtree(o) {
                let n = cut.iter().filter(|p| covers(p, x)).count();
                prop_assert_eq!(n, usize::from(snap.sees_inside(UserId(u), OrgId(x))));
            }
        }
        for &p in Permission::ALL {
            let parts = access.parts(p);
            let levels = access.scope_levels(p);
            for o in world.org_ids() {
                let n = parts.iter().filter(|part| covers(part, o)).count();
                prop_assert_eq!(
                    n,
                    usize::from(snap.check(UserId(u), p, OrgId(o))),
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
                    usize::from(snap.check(UserId(u), p, OrgId(o))),
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
