//! The frame around every page (the shell): a sidebar grouped by area with
//! only what the person may use, the org they work in (the context
//! switcher) and its branding, breadcrumbs, the bell, the person menu and
//! flash messages.

use super::session::Flash;
use crate::authz::{Access, Permission};

pub struct Layout {
    pub title: String,
    pub user: Option<MenuUser>,
    pub csrf_token: String,
    pub flashes: Vec<Flash>,
    /// The sidebar: the areas and entries this person may use.
    pub nav: Vec<NavGroup>,
    /// The `key` of the navigation entry for this page.
    pub active: String,
    pub counts: super::context::NavCounts,
    /// Where the page sits: its area, then the page (not a link).
    pub crumbs: Vec<Crumb>,
    pub brand: Brand,
    /// The org switcher, for people who administer some org.
    pub context: Option<ContextOrg>,
    /// Where this page is, for forms that come back to it.
    pub here: String,
}

pub struct MenuUser {
    pub display_name: String,
    pub email: String,
}

/// The name and colour the shell wears: the effective `display_name` and
/// `accent_color` settings of the org the person works in (or their home).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Brand {
    pub name: Option<String>,
    /// A `#rrggbb` colour (settings validate it; anything else is dropped).
    pub accent: Option<String>,
    /// The effective logo there (`domain::logo`), if any.
    pub logo: Option<Logo>,
}

pub use crate::domain::context::Logo;

impl Brand {
    /// The name shown beside the logo.
    pub fn title(&self) -> &str {
        self.name.as_deref().unwrap_or("Canopy")
    }

    /// The stylesheet that sets the accent (`web::assets::accent`; the
    /// policy allows no inline style), or none for Canopy's own colour.
    pub fn stylesheet(&self) -> Option<String> {
        let hex = self.accent.as_deref()?.strip_prefix('#')?;
        crate::domain::settings::is_hex_colour(hex)
            .then(|| format!("/brand/accent-{}.css", hex.to_ascii_lowercase()))
    }
}

/// The org the person works in, as the switcher shows it.
pub struct ContextOrg {
    pub id: i64,
    pub name: String,
    /// The switcher's search field, rendered (`web::pick::Picker`).
    pub picker: String,
}

pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

/// One area of the sidebar.
pub struct NavGroup {
    pub label: &'static str,
    pub links: Vec<NavItem>,
}

/// One sidebar entry as this person sees it.
pub struct NavItem {
    pub key: &'static str,
    pub href: String,
    pub label: &'static str,
}

/// Who an entry is for.
#[derive(Clone, Copy)]
pub enum Needs {
    /// Every signed-in person (their own part of it).
    Nothing,
    /// People who hold this permission at some org.
    Anywhere(Permission),
    /// People who approve some week (a project role, a team they lead, or
    /// `time.approve`).
    Approving,
    /// People with an org to work in (they hold `org.settings` somewhere).
    Context,
    /// People who may create orgs, manage users or grant somewhere.
    Importing,
}

pub struct NavLink {
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
    pub needs: Needs,
}

const fn link(key: &'static str, href: &'static str, label: &'static str, needs: Needs) -> NavLink {
    NavLink {
        key,
        href,
        label,
        needs,
    }
}

/// The sidebar's areas, in order. `{org}` in an href is the org the person
/// works in.
pub const NAV: &[(&str, &[NavLink])] = {
    use Needs::{Anywhere, Approving, Context, Importing, Nothing};
    use Permission::{AuditView, GroupView, OrgView, ProjectView, ReportView, TeamView, UserView};
    &[
        (
            "Work",
            &[
                link("dashboard", "/", "Dashboard", Nothing),
                link("timesheets", "/timesheets", "My week", Nothing),
                link("my-projects", "/my/projects", "My projects", Nothing),
                link("approvals", "/approvals", "Approvals", Approving),
            ],
        ),
        (
            "Organization",
            &[
                link("orgs", "/orgs", "Organizations", Anywhere(OrgView)),
                link("users", "/users", "People", Anywhere(UserView)),
                link("groups", "/groups", "Groups", Anywhere(GroupView)),
                link("teams", "/teams", "Teams", Anywhere(TeamView)),
                link("projects", "/projects", "Projects", Anywhere(ProjectView)),
            ],
        ),
        (
            "Insight",
            &[
                link("reports", "/reports", "Reports", Anywhere(ReportView)),
                link("audit", "/audit", "Audit", Anywhere(AuditView)),
            ],
        ),
        (
            "Admin",
            &[
                link("access", "/access/explain", "Access", Nothing),
                link("settings", "/orgs/{org}/settings", "Settings", Context),
                link("import", "/import", "Import", Importing),
            ],
        ),
    ]
};

/// The sidebar for this person: each area with the entries they may use
/// (an area left empty is left out).
pub fn nav_for(access: &Access, approves: bool, context: Option<i64>) -> Vec<NavGroup> {
    NAV.iter()
        .filter_map(|(label, links)| {
            let links: Vec<NavItem> = links
                .iter()
                .filter(|l| match l.needs {
                    Needs::Nothing => true,
                    Needs::Anywhere(perm) => access.anywhere(perm),
                    Needs::Approving => approves,
                    Needs::Context => context.is_some(),
                    Needs::Importing => crate::domain::import::may_import(access),
                })
                .map(|l| NavItem {
                    key: l.key,
                    href: match context {
                        Some(org) => l.href.replace("{org}", &org.to_string()),
                        None => l.href.to_string(),
                    },
                    label: l.label,
                })
                .collect();
            (!links.is_empty()).then_some(NavGroup { label, links })
        })
        .collect()
}

/// The breadcrumbs of a page titled `title` in the area of entry `active`:
/// the dashboard, the entry (a link unless it is the page), the page.
pub fn crumbs_for(nav: &[NavGroup], active: &str, title: &str) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb {
        label: "Dashboard".into(),
        href: Some("/".into()),
    }];
    if active == "dashboard" {
        crumbs[0].href = None;
        return crumbs;
    }
    let entry = nav.iter().flat_map(|g| &g.links).find(|l| l.key == active);
    if let Some(e) = entry
        && e.label != title
    {
        crumbs.push(Crumb {
            label: e.label.to_string(),
            href: Some(e.href.clone()),
        });
    }
    crumbs.push(Crumb {
        label: title.to_string(),
        href: None,
    });
    crumbs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_hex_accent_reaches_the_stylesheet() {
        let brand = |c: &str| Brand {
            name: None,
            accent: Some(c.into()),
            logo: None,
        };
        assert_eq!(
            brand("#1a2B3c").stylesheet().as_deref(),
            Some("/brand/accent-1a2b3c.css")
        );
        for bad in [
            "red",
            "#12345",
            "#1234567",
            "#12345g",
            "#123456;}",
            "",
            "1a2b3c",
        ] {
            assert_eq!(brand(bad).stylesheet(), None, "{bad:?}");
        }
        assert_eq!(Brand::default().title(), "Canopy");
    }

    #[test]
    fn crumbs_lead_from_the_dashboard_through_the_area_to_the_page() {
        let nav = vec![NavGroup {
            label: "Organization",
            links: vec![NavItem {
                key: "users",
                href: "/users".into(),
                label: "People",
            }],
        }];
        let labels = |c: Vec<Crumb>| c.into_iter().map(|c| (c.label, c.href)).collect::<Vec<_>>();
        assert_eq!(
            labels(crumbs_for(&nav, "users", "Eve Employee")),
            vec![
                ("Dashboard".into(), Some("/".into())),
                ("People".into(), Some("/users".into())),
                ("Eve Employee".into(), None)
            ]
        );
        // The area's own page is not repeated.
        assert_eq!(labels(crumbs_for(&nav, "users", "People")).len(), 2);
        assert_eq!(
            labels(crumbs_for(&nav, "dashboard", "Dashboard")),
            vec![("Dashboard".into(), None)]
        );
    }
}
