//! The states of an org after creation: archived or restored, private or not,
//! and deleted when nothing blocks it.

use diesel::prelude::*;
use serde::Serialize;

use super::{Org, OrgStatus, check_version, find, is_frozen, touch};
use crate::db::{
    Conn,
    schema::{groups, org_closure, org_settings, orgs, projects, teams, users},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::epoch;
use crate::error::{Error, FieldErrors, Result};

/// Archives (`true`) or restores (`false`) an org; the root never.
pub fn set_archived(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    archived: bool,
    version: Option<i64>,
) -> Result<Org> {
    let org = find(conn, id)?;
    check_version(&org, version)?;
    let Some(parent) = org.parent_id else {
        return Err(Error::conflict("The root organization cannot be archived."));
    };
    if org.is_archived() == archived {
        return Ok(org);
    }
    if !archived && is_frozen(conn, parent)? {
        return Err(Error::conflict(
            "Its parent is archived: restore the parent first.",
        ));
    }
    touch(conn, &org)?;
    let status = if archived {
        OrgStatus::Archived
    } else {
        OrgStatus::Active
    };
    diesel::update(orgs::table.find(id))
        .set(orgs::status.eq(status))
        .execute(conn)?;
    epoch::bump_tree(conn)?;
    let action = if archived {
        "org.archived"
    } else {
        "org.restored"
    };
    audit::record(
        conn,
        actor,
        Event::new(action, Target::Org, Some(id))
            .org(id)
            .before(serde_json::json!({"status": org.status}))
            .after(serde_json::json!({"status": status})),
    )?;
    find(conn, id)
}

/// Turns privacy mode on or off. (Who may do so is the resolver's business: from
/// outside the border, nobody holds `org.settings` inside it.)
pub fn set_privacy(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    on: bool,
    version: Option<i64>,
) -> Result<Org> {
    let org = find(conn, id)?;
    check_version(&org, version)?;
    if org.is_root() {
        return Err(FieldErrors::single(
            "privacy_mode",
            "The root has no ancestors to keep out.",
        ));
    }
    if org.privacy_mode == on {
        return Ok(org);
    }
    if on {
        crate::domain::privacy::require_keepers(conn, id)?;
    }
    touch(conn, &org)?;
    diesel::update(orgs::table.find(id))
        .set(orgs::privacy_mode.eq(on))
        .execute(conn)?;
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("org.privacy_changed", Target::Org, Some(id))
            .org(id)
            .before(serde_json::json!({"privacy_mode": org.privacy_mode}))
            .after(serde_json::json!({"privacy_mode": on})),
    )?;
    find(conn, id)
}

/// What keeps an org from being deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Blockers {
    pub children: i64,
    pub users: i64,
    pub projects: i64,
    pub teams: i64,
    pub groups: i64,
}

impl Blockers {
    pub fn is_empty(&self) -> bool {
        *self == Blockers::default()
    }

    /// "2 sub-organizations and 1 user", for people.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            (self.children, "sub-organization"),
            (self.users, "user"),
            (self.projects, "project"),
            (self.teams, "team"),
            (self.groups, "group"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}{}", if *n == 1 { "" } else { "s" }))
        .collect();
        parts.join(", ")
    }
}

/// Counted here from the tables themselves, so the tree does not depend on
/// the modules of what lives in it (`project`, `team`, `group`).
pub fn blockers(conn: &mut Conn, id: i64) -> Result<Blockers> {
    Ok(Blockers {
        children: orgs::table
            .filter(orgs::parent_id.eq(id))
            .count()
            .get_result(conn)?,
        users: users::table
            .filter(users::org_id.eq(id))
            .count()
            .get_result(conn)?,
        projects: projects::table
            .filter(projects::org_id.eq(id))
            .count()
            .get_result(conn)?,
        teams: teams::table
            .filter(teams::org_id.eq(id))
            .count()
            .get_result(conn)?,
        groups: groups::table
            .filter(groups::org_id.eq(id))
            .count()
            .get_result(conn)?,
    })
}

/// Deletes an empty org; otherwise says exactly what blocks it.
pub fn delete(conn: &mut Conn, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
    let org = find(conn, id)?;
    check_version(&org, version)?;
    if org.is_root() {
        return Err(Error::conflict("The root organization cannot be deleted."));
    }
    let blocking = blockers(conn, id)?;
    if !blocking.is_empty() {
        return Err(Error::Conflict {
            message: format!(
                "This organization is not empty: it has {}.",
                blocking.describe()
            ),
            details: Some(serde_json::json!({"blocking": blocking})),
        });
    }
    use crate::db::schema::grants;
    let revoked: Vec<i64> = grants::table
        .filter(grants::org_id.eq(id))
        .select(grants::id)
        .load(conn)?;
    diesel::delete(grants::table.filter(grants::org_id.eq(id))).execute(conn)?;
    // Custom roles defined here were usable only in this (now empty) subtree,
    // so no grant elsewhere can hold them: they go with the org.
    use crate::db::schema::roles;
    let own_roles: Vec<(i64, String)> = roles::table
        .filter(roles::org_id.eq(id))
        .select((roles::id, roles::name))
        .load(conn)?;
    // A subtree moved away earlier may still hold one of them.
    let still_held: i64 = grants::table
        .filter(grants::role_id.eq_any(own_roles.iter().map(|(r, _)| *r).collect::<Vec<_>>()))
        .count()
        .get_result(conn)?;
    if still_held > 0 {
        return Err(Error::conflict(format!(
            "Custom roles defined here are still held elsewhere ({still_held} grant(s)); \
             revoke those first."
        )));
    }
    let dropped_roles: Vec<String> = own_roles.into_iter().map(|(_, name)| name).collect();
    diesel::delete(roles::table.filter(roles::org_id.eq(id))).execute(conn)?;
    diesel::delete(org_settings::table.filter(org_settings::org_id.eq(id))).execute(conn)?;
    diesel::delete(org_closure::table.filter(org_closure::descendant_id.eq(id))).execute(conn)?;
    diesel::delete(orgs::table.find(id)).execute(conn)?;
    epoch::bump_tree(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("org.deleted", Target::Org, Some(id))
            .org(org.parent_id.unwrap_or(id))
            .before(&org)
            .after(serde_json::json!({"revoked_grants": revoked, "deleted_roles": dropped_roles})),
    )
}

/// Deleting needs `org.delete` on the parent and sight inside the org: what
/// blocks a delete (and what it would remove) lies inside, and a private org's
/// ancestors may move or archive it but not learn or destroy what is inside.
/// The rule behind the delete page and `DELETE /api/v1/orgs/{id}` alike.
pub fn require_may_delete(access: &crate::authz::Access, id: i64) -> Result<()> {
    access.require_at_parent(crate::authz::Permission::OrgDelete, id)?;
    if access.sees_inside(id) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "You see only this organization's name and place: from outside it can be moved or \
             archived, not deleted. Someone who sees inside must delete it (a private org's \
             own people, after turning privacy mode off)."
                .into(),
        ))
    }
}

/// Deletes an org for the person: [`require_may_delete`], then [`delete`]'s
/// rule (empty, not the root, the version current).
pub fn delete_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    version: Option<i64>,
) -> Result<()> {
    require_may_delete(access, id)?;
    delete(conn, actor, id, version)
}
