//! The frame around every page: navigation, user menu, flash messages.

use super::session::Flash;
use crate::authz::Permission;

pub struct Layout {
    pub title: String,
    pub user: Option<MenuUser>,
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
    /// The navigation entries this person may use.
    pub nav: Vec<&'static NavLink>,
    /// The `key` of the navigation entry for this page.
    pub active: String,
    pub counts: super::context::NavCounts,
}

pub struct MenuUser {
    pub display_name: String,
    pub email: String,
}

pub struct NavLink {
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    /// Shown only to people who hold this permission at some org; `None`
    /// for the areas every signed-in person has (their own part of it).
    pub needs: Option<Permission>,
}

/// The main navigation. Each area adds its entry here when it arrives.
pub const NAV: &[NavLink] = &[
    NavLink {
        key: "dashboard",
        href: "/",
        label: "Dashboard",
        needs: None,
    },
    NavLink {
        key: "orgs",
        href: "/orgs",
        label: "Organizations",
        needs: None,
    },
    NavLink {
        key: "projects",
        href: "/projects",
        label: "Projects",
        needs: None,
    },
    NavLink {
        key: "my-projects",
        href: "/my/projects",
        label: "My projects",
        needs: None,
    },
    NavLink {
        key: "timesheets",
        href: "/timesheets",
        label: "Timesheets",
        needs: None,
    },
    NavLink {
        key: "approvals",
        href: "/approvals",
        label: "Approvals",
        needs: None,
    },
    NavLink {
        key: "reports",
        href: "/reports",
        label: "Reports",
        needs: None,
    },
    NavLink {
        key: "audit",
        href: "/audit",
        label: "Audit",
        needs: Some(Permission::AuditView),
    },
    NavLink {
        key: "users",
        href: "/users",
        label: "People",
        needs: None,
    },
    NavLink {
        key: "teams",
        href: "/teams",
        label: "Teams",
        needs: None,
    },
    NavLink {
        key: "groups",
        href: "/groups",
        label: "Groups",
        needs: None,
    },
    NavLink {
        key: "access",
        href: "/access/explain",
        label: "Access",
        needs: None,
    },
];
