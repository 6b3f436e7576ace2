//! The frame around every page: navigation, user menu, flash messages.

use super::session::Flash;

pub struct Layout {
    pub title: String,
    pub user: Option<MenuUser>,
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
    pub nav: &'static [NavLink],
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
}

/// The main navigation. Each area adds its entry here when it arrives.
pub const NAV: &[NavLink] = &[
    NavLink {
        key: "dashboard",
        href: "/",
        label: "Dashboard",
    },
    NavLink {
        key: "orgs",
        href: "/orgs",
        label: "Organizations",
    },
    NavLink {
        key: "projects",
        href: "/projects",
        label: "Projects",
    },
    NavLink {
        key: "my-projects",
        href: "/my/projects",
        label: "My projects",
    },
    NavLink {
        key: "timesheets",
        href: "/timesheets",
        label: "Timesheets",
    },
    NavLink {
        key: "approvals",
        href: "/approvals",
        label: "Approvals",
    },
    NavLink {
        key: "reports",
        href: "/reports",
        label: "Reports",
    },
    NavLink {
        key: "audit",
        href: "/audit",
        label: "Audit",
    },
    NavLink {
        key: "users",
        href: "/users",
        label: "People",
    },
    NavLink {
        key: "teams",
        href: "/teams",
        label: "Teams",
    },
    NavLink {
        key: "groups",
        href: "/groups",
        label: "Groups",
    },
    NavLink {
        key: "access",
        href: "/access/explain",
        label: "Access",
    },
];
