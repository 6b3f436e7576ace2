//! The permission catalogue (fixed by the code) and sets of permissions as bitmasks.

use std::fmt;
use std::str::FromStr;

macro_rules! permissions {
    ($($variant:ident = $name:literal, $label:literal,)*) => {
        /// One thing a person may be allowed to do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Permission { $($variant,)* }

        impl Permission {
            /// Every permission, in catalogue order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The stable name used in the database, the API and the pages.
            pub fn name(self) -> &'static str {
                match self { $(Permission::$variant => $name,)* }
            }

            /// What a person reads ("View organizations"); the code is its hint.
            pub fn label(self) -> &'static str {
                match self { $(Permission::$variant => $label,)* }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($name => Ok(Permission::$variant),)* _ => Err(UnknownPermission(s.to_string())) }
            }
        }
    };
}

permissions! {
    OrgView = "org.view", "View organizations",
    OrgCreate = "org.create", "Create organizations",
    OrgEdit = "org.edit", "Edit organizations",
    OrgMove = "org.move", "Move organizations",
    OrgDelete = "org.delete", "Delete organizations",
    OrgSettings = "org.settings", "Change organization settings",
    UserView = "user.view", "View people",
    UserManage = "user.manage", "Manage people",
    GroupView = "group.view", "View groups",
    GroupManage = "group.manage", "Manage groups",
    TeamView = "team.view", "View teams",
    TeamManage = "team.manage", "Manage teams",
    ProjectView = "project.view", "View projects",
    ProjectManage = "project.manage", "Manage projects",
    ProjectAssign = "project.assign", "Assign people to projects",
    AccessView = "access.view", "View access",
    AccessManage = "access.manage", "Manage access",
    TimeView = "time.view", "View timesheets",
    TimeApprove = "time.approve", "Approve timesheets",
    TimeManage = "time.manage", "Manage timesheets",
    ReportView = "report.view", "View reports",
    AuditView = "audit.view", "Read the audit log",
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission {0:?}")]
pub struct UnknownPermission(pub String);

impl Permission {
    pub const fn bit(self) -> u64 {
        1 << (self as u8)
    }

    /// True for permissions that only read. Everything else changes something and
    /// is refused inside an archived subtree.
    pub fn is_read_only(self) -> bool {
        use Permission::*;
        matches!(
            self,
            OrgView
                | UserView
                | GroupView
                | TeamView
                | ProjectView
                | AccessView
                | TimeView
                | ReportView
                | AuditView
        )
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of permissions as a bitmask: checking membership is one AND.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PermissionSet(pub u64);

impl PermissionSet {
    pub const EMPTY: PermissionSet = PermissionSet(0);

    pub fn all() -> Self {
        Self::of(Permission::ALL)
    }

    pub fn of(perms: &[Permission]) -> Self {
        PermissionSet(perms.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn is_superset_of(self, other: PermissionSet) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: PermissionSet) -> Self {
        PermissionSet(self.0 | other.0)
    }

    pub fn without(self, perms: &[Permission]) -> Self {
        PermissionSet(self.0 & !Self::of(perms).0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }

    /// The stored form: permission names separated by spaces, in catalogue order.
    pub fn to_names(self) -> String {
        self.iter()
            .map(Permission::name)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Reads the stored form back; unknown names are an error.
    pub fn from_names(names: &str) -> Result<Self, UnknownPermission> {
        names
            .split_whitespace()
            .map(Permission::from_str)
            .try_fold(PermissionSet::EMPTY, |acc, p| {
                Ok(acc.union(PermissionSet::of(&[p?])))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_every_permission() {
        for p in Permission::ALL {
            assert_eq!(p.name().parse::<Permission>().unwrap(), *p);
        }
        assert_eq!(Permission::ALL.len(), 22);
        let all = PermissionSet::all();
        assert_eq!(PermissionSet::from_names(&all.to_names()).unwrap(), all);
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!(PermissionSet::from_names("org.view org.fly").is_err());
        assert!("".parse::<Permission>().is_err());
    }

    #[test]
    fn superset_is_exact() {
        let admin = PermissionSet::all().without(&[Permission::OrgMove]);
        assert!(admin.is_superset_of(PermissionSet::of(&[Permission::OrgView])));
        assert!(!admin.is_superset_of(PermissionSet::of(&[Permission::OrgMove])));
    }
}
