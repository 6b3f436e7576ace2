//! Who may grant and revoke what: the checks every grant and revoke passes
//! before it is written.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::authz::{Access, Permission};
use crate::db::{self, Conn, schema::grants};
use crate::domain::ids::OrgId;
use crate::domain::role::{self, Role};
use crate::domain::settings;
use crate::error::{Error, FieldErrors, Result};

use super::*;

/// Where a person asks to make a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// At an org: with `descendants`, the org and everything below it.
    Org(i64),
    /// At one project only.
    Project(i64),
}

/// A grant as a person asks for it, before any check.
#[derive(Clone, Debug)]
pub struct GrantRequest {
    pub role_id: i64,
    pub holder: Holder,
    pub scope: Scope,
    /// "And below" (ignored at a project).
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
}

/// The org a grant at `scope` is decided at, when the person may see the scope
/// (inside the org's privacy border; the project itself); else not found.
pub fn scope_org(access: &Access, scope: Scope) -> Result<i64> {
    match scope {
        Scope::Org(org_id) => {
            access.require_visible(org_id)?;
            if access.sees_inside(org_id) {
                Ok(org_id)
            } else {
                Err(Error::NotFound)
            }
        }
        Scope::Project(project_id) => {
            if !access.can_project(Permission::ProjectView, project_id) {
                return Err(Error::NotFound);
            }
            access
                .snapshot
                .project_org(project_id)
                .ok_or(Error::NotFound)
        }
    }
}

/// The no-escalation rule (SPEC 3) for one grant of `role` decided at `org_id`:
/// `access.manage` and every permission of the role there — through grants that
/// reach below when the grant does (`descendants`) — and the role allowed by
/// the `assignable_roles` of the org and of every org above it.
pub fn require_may_grant(
    conn: &mut Conn,
    access: &Access,
    role: &Role,
    org_id: i64,
    descendants: bool,
) -> Result<()> {
    access.require_may_grant(role.permission_set(), org_id, descendants)?;
    if settings::assignable_roles(conn, org_id)?.is_some_and(|ids| !ids.contains(&role.id)) {
        return Err(Error::Forbidden(format!(
            "The settings of this organization (or of one above it) do not let its admins \
             assign the role {}.",
            role.name
        )));
    }
    Ok(())
}

/// What a grant request is checked into before its holder is looked at: the
/// org it is decided at, its project, its reach and the role.
pub struct Checked {
    pub org_id: i64,
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub role: Role,
}

/// The checks of a grant that do not depend on its holder: the scope visible
/// (inside its border), the role usable there, the expiry ahead, and
/// [`require_may_grant`]. Every way of granting starts here.
pub fn check_request(
    conn: &mut Conn,
    access: &Access,
    role_id: i64,
    scope: Scope,
    descendants: bool,
    expires_at: Option<NaiveDateTime>,
) -> Result<Checked> {
    let org_id = scope_org(access, scope)?;
    let (project_id, descendants) = match scope {
        Scope::Org(_) => (None, descendants),
        Scope::Project(p) => (Some(p), false),
    };
    let no_role = || FieldErrors::single("role_id", "There is no such role here.");
    let role = match role::find(conn, role_id) {
        Ok(r) if role::usable_at(conn, r.id, OrgId(org_id))? => r,
        Ok(_) | Err(Error::NotFound) => return Err(no_role()),
        Err(e) => return Err(e),
    };
    require_may_grant(conn, access, &role, org_id, descendants)?;
    if expires_at.is_some_and(|e| e <= db::now()) {
        return Err(FieldErrors::single(
            "expires_at",
            "The expiry must lie in the future.",
        ));
    }
    Ok(Checked {
        org_id,
        project_id,
        descendants,
        role,
    })
}

/// Nobody adds a grant to themselves: not directly, and not to a group they
/// belong to (which hands it to them all the same). Dropping one's own grant
/// stays allowed ([`require_may_revoke`]).
pub fn require_not_self(conn: &mut Conn, access: &Access, holder: Holder) -> Result<()> {
    let own = match holder {
        Holder::User(id) => id == access.user_id,
        Holder::Group(id) => crate::domain::group::member_ids(conn, id)?.contains(&access.user_id),
    };
    if own {
        return Err(match holder {
            Holder::User(_) => {
                Error::Forbidden("You cannot grant a role to yourself; someone else must.".into())
            }
            Holder::Group(_) => self_through_group(),
        });
    }
    Ok(())
}

/// The refusal of a grant that would reach oneself through a group: granting
/// to a group one is in, or joining a group that holds live grants.
pub fn self_through_group() -> Error {
    Error::Forbidden(
        "You belong to this group, so a grant to it would be a grant to yourself; someone \
         else must make it."
            .into(),
    )
}

/// Nobody joins, on their own say, a group that holds live grants: that would
/// be a grant to themselves ([`require_not_self`]). Someone else must add them.
pub fn require_not_joining_grants(
    conn: &mut Conn,
    access: &Access,
    group_id: i64,
    user_id: i64,
) -> Result<()> {
    let now = db::now();
    if user_id == access.user_id
        && grants_of_group(conn, group_id)?
            .iter()
            .any(|g| g.is_live(now))
    {
        return Err(self_through_group());
    }
    Ok(())
}

/// The roles `access` may hand out at `org_id` with this reach: those usable
/// there that pass [`require_may_grant`] (the permissions and the
/// `assignable_roles` of the org and above). The grant forms offer exactly
/// these; submitting checks the rule again.
pub fn grantable_roles(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    descendants: bool,
) -> Result<Vec<Role>> {
    if !access.can(Permission::AccessManage, org_id) {
        return Ok(vec![]);
    }
    let assignable = settings::assignable_roles(conn, org_id)?;
    Ok(role::usable_at_org(conn, org_id)?
        .into_iter()
        .filter(|r| assignable.as_ref().is_none_or(|ids| ids.contains(&r.id)))
        .filter(|r| {
            access
                .require_may_grant(r.permission_set(), org_id, descendants)
                .is_ok()
        })
        .collect())
}

/// Checks that the person may grant each of `grants` again (scope, role, reach),
/// as if granting it directly: what handing someone those grants takes, by
/// adding them to a group or by taking over their account. Expired grants count
/// for nothing and are skipped. `why` says what is being done, for the message.
pub(super) fn require_may_regrant(
    conn: &mut Conn,
    access: &Access,
    grants: &[Grant],
    why: &str,
) -> Result<()> {
    let now = db::now();
    for g in grants.iter().filter(|g| g.is_live(now)) {
        let Some(org_id) = g.decided_at(&access.snapshot) else {
            continue;
        };
        // A grant inside an archived org changes nothing there (read-only), and
        // nobody may grant there now; it does not stand in the way.
        let frozen = access
            .snapshot
            .explain(access.me(), Permission::AccessManage, OrgId(org_id));
        if matches!(frozen.reason, crate::authz::Reason::OrgArchived { .. }) {
            continue;
        }
        let descendants = g.descendants && g.project_id.is_none();
        let role = role::find(conn, g.role_id)?;
        // The permissions only: `assignable_roles` limits handing roles out
        // anew, not what someone already holds.
        if let Err(e) = access.require_may_grant(role.permission_set(), org_id, descendants) {
            let reason = match e {
                Error::Forbidden(m) => m,
                Error::NotFound => "you do not manage access there.".into(),
                other => return Err(other),
            };
            let scope = if access.can(Permission::OrgView, org_id) {
                let name = crate::domain::org::find(conn, org_id)?.name;
                match (g.project_id, descendants) {
                    (Some(_), _) => format!("a project of {name}"),
                    (None, true) => format!("{name} and below"),
                    (None, false) => format!("{name} only"),
                }
            } else {
                "an organization you cannot see".into()
            };
            return Err(Error::Forbidden(format!(
                "{why} needs the right to grant {} at {scope}, which you lack: {reason}",
                role.name
            )));
        }
    }
    Ok(())
}

/// The live and expired grants made to a group.
pub fn grants_of_group(conn: &mut Conn, group_id: i64) -> Result<Vec<Grant>> {
    Ok(grants::table
        .filter(grants::group_id.eq(group_id))
        .select(Grant::as_select())
        .order(grants::id)
        .load(conn)?)
}

/// Adding a member to a group hands them the group's grants: the person must
/// be able to grant each of them directly.
pub fn require_may_grant_group(conn: &mut Conn, access: &Access, group_id: i64) -> Result<()> {
    let held = grants_of_group(conn, group_id)?;
    require_may_regrant(conn, access, &held, "Adding a member to this group")
}

/// Taking over an account (changing its email, from which a password reset
/// follows) hands its grants to whoever does it: the person must be able to
/// grant each of the user's grants, direct and through groups.
pub fn require_may_grant_all_of_user(
    conn: &mut Conn,
    access: &Access,
    user_id: i64,
    why: &str,
) -> Result<()> {
    let held = held_by(conn, user_id)?;
    require_may_regrant(conn, access, &held, why)
}

/// The revoke rule alone: one's own grant always; someone else's needs
/// `access.view` inside its scope (else it is not found) and the rights it
/// would take to make it.
pub fn require_may_revoke(conn: &mut Conn, access: &Access, grant: &Grant) -> Result<()> {
    if grant.user_id == Some(access.user_id) {
        return Ok(());
    }
    let scope = match (grant.org_id, grant.project_id) {
        (Some(org), _) => Scope::Org(org),
        (None, Some(project)) => Scope::Project(project),
        (None, None) => return Err(Error::NotFound),
    };
    let org_id = scope_org(access, scope)?;
    if !access.can(Permission::AccessView, org_id) {
        return Err(Error::NotFound);
    }
    let role = role::find(conn, grant.role_id)?;
    access.require_may_grant(role.permission_set(), org_id, grant.descendants)
}
