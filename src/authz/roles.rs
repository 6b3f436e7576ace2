//! The built-in roles of SPEC.md 3. Their permissions are fixed by the code and
//! written to the `roles` table at start-up so grants can refer to them by id.

use super::permission::{Permission, PermissionSet};

crate::text_enum! {
    /// A built-in role, by the stable key stored in `roles.builtin_key`
    /// (custom roles have none).
    pub enum BuiltinRole {
        Owner = "owner",
        OrgAdmin = "org_admin",
        UserManager = "user_manager",
        ProjectManager = "project_manager",
        Approver = "approver",
        Auditor = "auditor",
        Viewer = "viewer",
    }
}

impl BuiltinRole {
    pub fn display_name(self) -> &'static str {
        match self {
            BuiltinRole::Owner => "Owner",
            BuiltinRole::OrgAdmin => "Org admin",
            BuiltinRole::UserManager => "User manager",
            BuiltinRole::ProjectManager => "Project manager",
            BuiltinRole::Approver => "Approver",
            BuiltinRole::Auditor => "Auditor",
            BuiltinRole::Viewer => "Viewer",
        }
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            BuiltinRole::Owner => PermissionSet::all(),
            BuiltinRole::OrgAdmin => PermissionSet::all().without(&[OrgMove, OrgDelete]),
            BuiltinRole::UserManager => PermissionSet::of(&[
                UserView,
                UserManage,
                GroupView,
                GroupManage,
                TeamView,
                OrgView,
            ]),
            BuiltinRole::ProjectManager => PermissionSet::of(&[
                ProjectView,
                ProjectManage,
                ProjectAssign,
                TeamView,
                TeamManage,
                TimeView,
                TimeApprove,
                ReportView,
                OrgView,
            ]),
            BuiltinRole::Approver => {
                PermissionSet::of(&[TimeView, TimeApprove, ProjectView, OrgView])
            }
            BuiltinRole::Auditor => {
                let views = Permission::ALL
                    .iter()
                    .copied()
                    .filter(|p| p.name().ends_with(".view"))
                    .collect::<Vec<_>>();
                PermissionSet::of(&views).union(PermissionSet::of(&[ReportView, AuditView]))
            }
            BuiltinRole::Viewer => {
                PermissionSet::of(&[OrgView, UserView, GroupView, TeamView, ProjectView])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_admin_is_owner_without_move_and_delete() {
        let admin = BuiltinRole::OrgAdmin.permissions();
        assert!(!admin.contains(Permission::OrgMove));
        assert!(!admin.contains(Permission::OrgDelete));
        assert_eq!(admin.iter().count(), Permission::ALL.len() - 2);
    }

    #[test]
    fn auditor_sees_everything_and_changes_nothing() {
        let auditor = BuiltinRole::Auditor.permissions();
        for p in auditor.iter() {
            assert!(p.name().ends_with(".view"), "{p} is not a view permission");
        }
        assert!(auditor.contains(Permission::AuditView));
        assert!(auditor.contains(Permission::TimeView));
    }

    #[test]
    fn keys_are_unique_and_round_trip() {
        for r in BuiltinRole::ALL {
            assert_eq!(r.as_str().parse::<BuiltinRole>(), Ok(*r));
        }
    }
}
