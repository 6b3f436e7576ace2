//! The same rules told as short stories over one small company.

use super::*;

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
        assert!(snap.check(UserId(ERIN), Permission::OrgEdit, OrgId(org)));
        assert!(snap.check(UserId(ERIN), Permission::UserManage, OrgId(org)));
    }
    // An org admin may not move or delete, not even inside the region.
    assert!(!snap.check(UserId(ERIN), Permission::OrgMove, OrgId(BOSTON)));
    // Access never flows upward or sideways.
    for org in [ACME, ROOT, ACME_WEST, LOS_ANGELES, GLOBEX] {
        assert!(
            !snap.check(UserId(ERIN), Permission::OrgView, OrgId(org)),
            "erin sees {org}"
        );
    }
    assert_eq!(
        snap.visible_orgs(ERIN, Permission::OrgView),
        vec![ACME_EAST, BOSTON, NEW_YORK]
    );
    let d = snap.explain(UserId(ERIN), Permission::UserManage, OrgId(NEW_YORK));
    assert!(d.allowed);
    assert_eq!(d.reason, Reason::Granted);
    assert_eq!(d.via.len(), 1);
    assert_eq!((d.via[0].grant_id, d.via[0].org_id), (1, ACME_EAST));
    assert_eq!(
        snap.explain(UserId(ERIN), Permission::OrgView, OrgId(ACME_WEST))
            .reason,
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

    assert!(snap.check(UserId(OWEN), Permission::OrgEdit, OrgId(ACME)));
    for org in [ACME_EAST, BOSTON, ACME_WEST, LOS_ANGELES] {
        assert!(!snap.check(UserId(OWEN), Permission::OrgEdit, OrgId(org)));
        assert!(!snap.check(UserId(OWEN), Permission::OrgView, OrgId(org)));
    }
    // Home membership still shows Owen his own home, the root, and nothing more.
    assert_eq!(
        snap.visible_orgs(OWEN, Permission::OrgView),
        vec![ROOT, ACME]
    );
    assert_eq!(
        snap.explain(UserId(OWEN), Permission::OrgView, OrgId(ROOT))
            .reason,
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
    assert!(
        snap.permissions_at(UserId(OWEN), OrgId(ACME))
            .is_superset_of(admin)
    );
    assert_eq!(
        snap.cascading_permissions_at(UserId(OWEN), OrgId(ACME)),
        viewer
    );
    assert!(
        !snap
            .cascading_permissions_at(UserId(OWEN), OrgId(ACME))
            .contains(Permission::AccessManage)
    );
    // The Viewer grant reaches below; the Org admin one does not.
    assert_eq!(
        snap.cascading_permissions_at(UserId(OWEN), OrgId(ACME_EAST)),
        viewer
    );
    assert_eq!(snap.permissions_at(UserId(OWEN), OrgId(ACME_EAST)), viewer);
    // Home membership is no grant: nothing reaches below from it.
    assert_eq!(
        snap.cascading_permissions_at(UserId(OWEN), OrgId(ROOT)),
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
    assert!(snap.check(UserId(OWEN), Permission::OrgView, OrgId(GLOBEX)));
    assert!(!snap.sees_inside(UserId(OWEN), OrgId(GLOBEX)));
    // ... and nothing more: not its users, not its settings, not its children.
    for p in [
        Permission::UserView,
        Permission::OrgSettings,
        Permission::AuditView,
    ] {
        assert!(
            !snap.check(UserId(OWEN), p, OrgId(GLOBEX)),
            "owner has {p} at Globex"
        );
    }
    for org in [GLOBEX_SALES, GLOBEX_LABS, LAB_ONE] {
        assert!(!snap.check(UserId(OWEN), Permission::OrgView, OrgId(org)));
        assert_eq!(
            snap.explain(UserId(OWEN), Permission::OrgView, OrgId(org))
                .reason,
            Reason::BlockedByPrivacy { org_id: GLOBEX }
        );
    }
    assert_eq!(
        snap.explain(UserId(OWEN), Permission::UserView, OrgId(GLOBEX))
            .reason,
        Reason::BlockedByPrivacy { org_id: GLOBEX }
    );
    // Acme is not private: the owner runs it as before.
    assert!(snap.check(UserId(OWEN), Permission::OrgDelete, OrgId(BOSTON)));

    // A grant made at the customer itself counts inside.
    assert!(snap.sees_inside(UserId(GRACE), OrgId(GLOBEX)));
    for org in [GLOBEX, GLOBEX_SALES, GLOBEX_LABS, LAB_ONE] {
        assert!(snap.check(UserId(GRACE), Permission::UserManage, OrgId(org)));
    }
    assert!(!snap.check(UserId(GRACE), Permission::OrgView, OrgId(ROOT)));
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
    assert!(snap.check(UserId(GRACE), Permission::UserManage, OrgId(GLOBEX_SALES)));
    assert!(snap.check(UserId(GRACE), Permission::OrgView, OrgId(GLOBEX_LABS)));
    // ... but the labs are private too: nothing inside them.
    assert!(!snap.sees_inside(UserId(GRACE), OrgId(GLOBEX_LABS)));
    assert!(!snap.check(UserId(GRACE), Permission::UserView, OrgId(GLOBEX_LABS)));
    assert!(!snap.check(UserId(GRACE), Permission::OrgView, OrgId(LAB_ONE)));
    assert_eq!(
        snap.explain(UserId(GRACE), Permission::UserView, OrgId(LAB_ONE))
            .reason,
        Reason::BlockedByPrivacy {
            org_id: GLOBEX_LABS
        }
    );
    assert_eq!(
        snap.visible_orgs(GRACE, Permission::OrgView),
        vec![GLOBEX, GLOBEX_LABS, GLOBEX_SALES]
    );

    // The root's owner stops at the outer border: Globex's name, not even the labs'.
    assert!(snap.check(UserId(OWEN), Permission::OrgView, OrgId(GLOBEX)));
    assert!(!snap.check(UserId(OWEN), Permission::OrgView, OrgId(GLOBEX_LABS)));
    // Deeper inside, both borders stand in his way.
    let reason = snap
        .explain(UserId(OWEN), Permission::UserView, OrgId(LAB_ONE))
        .reason;
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

    assert!(!snap.check(UserId(OWEN), Permission::OrgView, OrgId(GLOBEX_LABS)));
    // The labs' own border does not hide their name: Globex's border is what stops him.
    assert_eq!(
        snap.explain(UserId(OWEN), Permission::OrgView, OrgId(GLOBEX_LABS))
            .reason,
        Reason::BlockedByPrivacy { org_id: GLOBEX }
    );
}

#[test]
fn an_archived_customer_is_read_only_all_the_way_down() {
    let orgs = company_with(|o| if o.id == ACME { archived(o) } else { o });
    let users = [user(OWEN, ROOT)];
    let snap = build(&orgs, &users, &[grant(1, OWEN, ROOT, BuiltinRole::Owner)]);

    for org in [ACME, ACME_EAST, BOSTON] {
        assert!(!snap.check(UserId(OWEN), Permission::OrgEdit, OrgId(org)));
        assert!(!snap.check(UserId(OWEN), Permission::TimeManage, OrgId(org)));
        assert!(snap.check(UserId(OWEN), Permission::OrgView, OrgId(org)));
        assert!(snap.check(UserId(OWEN), Permission::TimeView, OrgId(org)));
        let d = snap.explain(UserId(OWEN), Permission::OrgEdit, OrgId(org));
        assert!(!d.allowed);
        assert_eq!(d.reason, Reason::OrgArchived { org_id: ACME });
    }
    // Outside the archived subtree nothing changes.
    assert!(snap.check(UserId(OWEN), Permission::OrgEdit, OrgId(GLOBEX)));
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

    assert!(!snap.check(UserId(ERIN), Permission::TimeApprove, OrgId(LOS_ANGELES)));
    let d = snap.explain(UserId(ERIN), Permission::TimeApprove, OrgId(LOS_ANGELES));
    assert!(!d.allowed);
    assert_eq!(d.reason, Reason::GrantExpired { grant_id: 7 });

    // The other grant is live today and makes the snapshot stale when it ends.
    assert!(snap.check(UserId(ERIN), Permission::TimeApprove, OrgId(BOSTON)));
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
        assert!(!snap.check(UserId(ERIN), p, OrgId(BOSTON)));
        assert!(snap.visible_orgs(ERIN, p).is_empty());
    }
    let d = snap.explain(UserId(ERIN), Permission::OrgView, OrgId(BOSTON));
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
        assert!(!snap.check(UserId(ERIN), p, OrgId(UNKNOWN_ORG)));
        assert!(!snap.check(UserId(ERIN), p, OrgId(ROOT)));
    }
    assert_eq!(
        snap.explain(UserId(ERIN), Permission::OrgView, OrgId(UNKNOWN_ORG))
            .reason,
        Reason::UnknownOrg
    );
    assert_eq!(
        snap.explain(UserId(ERIN), Permission::OrgView, OrgId(ROOT))
            .reason,
        Reason::NoGrant
    );
    assert_eq!(
        snap.explain(UserId(UNKNOWN_USER), Permission::OrgView, OrgId(ROOT))
            .reason,
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
    use canopy::ids::{OrgId, ProjectId, UserId};
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
        assert!(s.check_project(UserId(100), Permission::ProjectManage, ProjectId(10)));
        assert!(
            !s.check_project(UserId(100), Permission::ProjectManage, ProjectId(11)),
            "not the sibling project"
        );
        assert!(
            !s.check(UserId(100), Permission::ProjectManage, OrgId(3)),
            "not the org"
        );
        assert!(
            !s.check_project(UserId(100), Permission::AuditView, ProjectId(10)),
            "only the role's permissions"
        );
        assert!(
            !s.check_project(UserId(100), Permission::ProjectView, ProjectId(99)),
            "unknown project"
        );
    }

    #[test]
    fn org_grants_reach_every_project_of_the_org() {
        let s = world(false);
        assert!(s.check_project(UserId(101), Permission::ProjectManage, ProjectId(10)));
        assert!(s.check_project(UserId(101), Permission::ProjectManage, ProjectId(11)));
        assert!(
            !s.check_project(UserId(101), Permission::ProjectManage, ProjectId(12)),
            "not up to the customer"
        );
    }

    #[test]
    fn expired_inactive_and_archived_reach_nothing() {
        let s = world(false);
        assert!(
            !s.check_project(UserId(100), Permission::ProjectView, ProjectId(12)),
            "expired"
        );
        assert!(
            !s.check_project(UserId(102), Permission::ProjectView, ProjectId(10)),
            "deactivated"
        );
        let frozen = world(true);
        assert!(
            frozen.check_project(UserId(100), Permission::ProjectView, ProjectId(10)),
            "still readable"
        );
        assert!(
            !frozen.check_project(UserId(100), Permission::ProjectManage, ProjectId(10)),
            "nothing changes"
        );
        assert!(!frozen.check_project(UserId(101), Permission::ProjectManage, ProjectId(10)));
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
            !next.check_project(UserId(100), Permission::ProjectManage, ProjectId(10)),
            "revoked"
        );
        assert!(
            next.check_project(UserId(101), Permission::ProjectManage, ProjectId(10)),
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
            let was = orgs.iter().any(|o| {
                before.check(UserId(u), p, OrgId(*o)) && !after.check(UserId(u), p, OrgId(*o))
            });
            let is = orgs.iter().any(|o| {
                after.check(UserId(u), p, OrgId(*o)) && !before.check(UserId(u), p, OrgId(*o))
            });
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
