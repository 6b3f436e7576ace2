//! Organization pages: the lazily loaded tree, an org's tabs (overview,
//! sub-organizations, access, settings, domains) and the forms that change the tree.
//! Every button shows only to those who may use it; every handler checks again.

use std::collections::HashMap;

use actix_web::web;
use serde::Deserialize;

use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::org::{self, Org};
use crate::error::Error;

mod access_tab;
mod customer;
mod domains_tab;
mod form;
mod lifecycle;
mod logo;
mod moving;
mod overview;
mod people_tab;
mod provisioning;
mod seats_tab;
mod settings_tab;
mod sso_tab;
mod table;

pub(crate) use moving::render_move;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before the tree's and `/orgs/{id}`'s routes, which would take these paths.
    cfg.service(table::org_table)
        .service(customer::new_customer)
        .service(customer::create_customer)
        .service(customer::summary)
        .service(logo::upload)
        .service(logo::remove);
    cfg.configure(crate::web::org_tree::configure)
        .service(overview::overview)
        .service(overview::sub_orgs)
        .service(people_tab::people_tab)
        .service(seats_tab::seats_tab)
        .service(seats_tab::seats_bulk)
        .service(access_tab::access_tab)
        .service(settings_tab::settings_tab)
        .service(domains_tab::show)
        .service(domains_tab::verify)
        .service(form::new_form)
        .service(form::create)
        .service(form::edit_form)
        .service(form::edit)
        .service(moving::move_form)
        .service(moving::move_submit)
        .service(lifecycle::archive_form)
        .service(lifecycle::archive)
        .service(lifecycle::restore_form)
        .service(lifecycle::restore)
        .service(lifecycle::delete_form)
        .service(lifecycle::delete_submit)
        .service(settings_tab::set_setting)
        .service(settings_tab::revert_setting)
        .service(access_tab::add_grant)
        .service(access_tab::revoke_grant)
        .service(provisioning::show)
        .service(provisioning::create)
        .service(provisioning::revoke)
        .service(sso_tab::show)
        .service(sso_tab::save)
        .service(sso_tab::remove);
}

/// What the signed-in person may do at one org (drives which buttons show).
pub struct Can {
    pub inside: bool,
    pub edit: bool,
    pub create: bool,
    pub move_: bool,
    pub delete: bool,
    pub settings: bool,
    pub access_view: bool,
    pub access_manage: bool,
    /// SCIM tokens: managing people and groups here.
    pub provisioning: bool,
    /// The Seats tab: managing people here.
    pub seats: bool,
}

impl Can {
    fn at(access: &Access, org: &Org) -> Can {
        let parent_can = |p: Permission| org.parent_id.is_some_and(|parent| access.can(p, parent));
        Can {
            inside: access.sees_inside(org.id),
            edit: access.can(Permission::OrgEdit, org.id),
            create: access.can(Permission::OrgCreate, org.id),
            move_: parent_can(Permission::OrgMove),
            delete: parent_can(Permission::OrgDelete),
            settings: access.can(Permission::OrgSettings, org.id),
            access_view: access.can(Permission::AccessView, org.id),
            access_manage: access.can(Permission::AccessManage, org.id),
            provisioning: access.can(Permission::UserManage, org.id)
                && access.can(Permission::GroupManage, org.id),
            seats: crate::domain::seats::may_view(access, org.id),
        }
    }
}

/// The top of every org page: breadcrumb, name, tabs.
pub struct OrgHeader {
    pub org: Org,
    /// Visible ancestors, root first.
    pub crumbs: Vec<(i64, String)>,
    pub can: Can,
    pub tab: &'static str,
}

impl OrgHeader {
    pub fn load(
        conn: &mut Conn,
        access: &Access,
        id: i64,
        tab: &'static str,
    ) -> Result<OrgHeader, Error> {
        access.require_visible(id)?;
        let org = org::find(conn, id)?;
        let ancestors: Vec<i64> = access
            .snapshot
            .tree()
            .path(id)
            .into_iter()
            .filter(|a| *a != id && access.can(Permission::OrgView, *a))
            .collect();
        let mut names: HashMap<i64, String> = org::find_many(conn, &ancestors)?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let crumbs = ancestors
            .iter()
            .map(|a| (*a, names.remove(a).unwrap_or_default()))
            .collect();
        let can = Can::at(access, &org);
        Ok(OrgHeader {
            org,
            crumbs,
            can,
            tab,
        })
    }

    /// For tabs that show what lies inside the org.
    pub fn require_inside(&self) -> Result<(), Error> {
        if self.can.inside {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}

#[derive(Deserialize)]
struct VersionForm {
    version: Option<i64>,
}
