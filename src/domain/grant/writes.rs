//! Making and revoking grants: each write bumps the holders' access epochs
//! and is audited in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::authz::{Access, BuiltinRole, Permission};
use crate::db::{
    self, Conn,
    schema::{grants, groups, users},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::role::{self, Role};
use crate::domain::{epoch, user};
use crate::error::{Error, FieldErrors, Result};

use super::*;

/// Makes a grant as a person: [`check_request`], then the holder must be
/// visible and not the granter (nor a group they are in). Pages and the API
/// both grant through here.
pub fn grant_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    request: &GrantRequest,
) -> Result<(Grant, Role)> {
    let checked = check_request(
        conn,
        access,
        request.role_id,
        request.scope,
        request.descendants,
        request.expires_at,
    )?;
    if let Holder::User(user_id) = request.holder {
        // Only people one may see: a grant must not find or reveal anyone else.
        match user::find_visible(conn, access, user_id) {
            Ok(_) => {}
            Err(Error::NotFound) => {
                return Err(FieldErrors::single("user_id", "There is no such user."));
            }
            Err(e) => return Err(e),
        }
    }
    if let Holder::Group(group_id) = request.holder {
        // A group one may not see answers as if it did not exist.
        let no_group = || FieldErrors::single("group_id", "There is no such group.");
        let group_org = match crate::domain::group::find(conn, group_id) {
            Ok(g) => g.org_id,
            Err(Error::NotFound) => return Err(no_group()),
            Err(e) => return Err(e),
        };
        if !(access.sees_inside(group_org) && access.can(Permission::GroupView, group_org)) {
            return Err(no_group());
        }
    }
    require_not_self(conn, access, request.holder)?;
    let grant = create(
        conn,
        actor,
        &checked.new_grant(request.holder, request.expires_at),
    )?;
    Ok((grant, checked.role))
}

impl Checked {
    /// The grant to write for `holder`.
    pub fn new_grant(&self, holder: Holder, expires_at: Option<NaiveDateTime>) -> NewGrant {
        NewGrant {
            role_id: self.role.id,
            holder,
            org_id: self.org_id,
            project_id: self.project_id,
            descendants: self.descendants,
            expires_at,
        }
    }
}

/// The users whose access a grant to `holder` changes.
pub(super) fn affected_users(conn: &mut Conn, holder: Holder) -> Result<Vec<i64>> {
    match holder {
        Holder::User(id) => Ok(vec![id]),
        Holder::Group(id) => crate::domain::group::member_ids(conn, id),
    }
}

pub(super) fn bump_holders(conn: &mut Conn, holder: Holder) -> Result<()> {
    let users = affected_users(conn, holder)?;
    // Past a few hundred members a rebuild is cheaper than patching each.
    if users.len() > 200 {
        return epoch::bump_tree(conn);
    }
    for user_id in users {
        epoch::bump_user(conn, user_id)?;
    }
    Ok(())
}

/// Gives a user a role at an org.
pub fn create(conn: &mut Conn, actor: &Actor, new: &NewGrant) -> Result<Grant> {
    let mut errors = FieldErrors::new();
    if !role::usable_at(conn, new.role_id, OrgId(new.org_id))? {
        errors.add("role_id", "There is no such role here.");
    }
    match new.holder {
        Holder::User(id) => {
            if users::table
                .find(id)
                .select(users::id)
                .first::<i64>(conn)
                .optional()?
                .is_none()
            {
                errors.add("user_id", "There is no such user.");
            }
        }
        Holder::Group(id) => {
            if groups::table
                .find(id)
                .select(groups::id)
                .first::<i64>(conn)
                .optional()?
                .is_none()
            {
                errors.add("group_id", "There is no such group.");
            }
        }
    }
    if new.expires_at.is_some_and(|e| e <= db::now()) {
        errors.add("expires_at", "The expiry must lie in the future.");
    }
    errors.into_result()?;
    let (user_id, group_id) = match new.holder {
        Holder::User(id) => (Some(id), None),
        Holder::Group(id) => (None, Some(id)),
    };
    let mut existing = grants::table
        .filter(grants::role_id.eq(new.role_id))
        .into_boxed();
    existing = match new.project_id {
        Some(p) => existing.filter(grants::project_id.eq(p)),
        None => existing.filter(grants::org_id.eq(new.org_id)),
    };
    existing = match new.holder {
        Holder::User(id) => existing.filter(grants::user_id.eq(id)),
        Holder::Group(id) => existing.filter(grants::group_id.eq(id)),
    };
    let existing: Option<i64> = existing
        .filter(grants::descendants.eq(new.descendants))
        .filter(live_at(db::now()))
        .select(grants::id)
        .first(conn)
        .optional()?;
    if existing.is_some() {
        return Err(Error::Duplicate(FieldErrors::of(
            "role_id",
            "This user already holds this role here.",
        )));
    }
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(grants::table)
        .values((
            grants::role_id.eq(new.role_id),
            grants::user_id.eq(user_id),
            grants::group_id.eq(group_id),
            grants::org_id.eq(new.project_id.is_none().then_some(new.org_id)),
            grants::project_id.eq(new.project_id),
            grants::descendants.eq(new.descendants && new.project_id.is_none()),
            grants::expires_at.eq(new.expires_at),
            grants::granted_by.eq(actor.user_id),
            grants::created_at.eq(db::now()),
        ))
        .returning(grants::id)
        .get_result(c))?;
    bump_holders(conn, new.holder)?;
    let grant = find(conn, id)?;
    let role = role::find(conn, new.role_id)?;
    tell_holders(conn, actor, &grant, &role.name, true)?;
    audit::record(
        conn,
        actor,
        Event::new("grant.created", Target::Grant, Some(id))
            .org(new.org_id)
            .after(json!({
                "role": role.name,
                "role_id": role.id,
                "user_id": user_id,
                "group_id": group_id,
                "org_id": new.org_id,
                "project_id": new.project_id,
                "descendants": new.descendants && new.project_id.is_none(),
                "expires_at": new.expires_at,
            })),
    )?;
    Ok(grant)
}

/// Tells the holder (or the group's members) that they received or lost a
/// grant. Grants people make for themselves, and those made by the system or
/// the command line while creating an account, go untold.
pub(super) fn tell_holders(
    conn: &mut Conn,
    actor: &Actor,
    grant: &Grant,
    role_name: &str,
    received: bool,
) -> Result<()> {
    use crate::domain::notification::{self, Notice, kind};
    let Some(actor_id) = actor.user_id else {
        return Ok(());
    };
    let people: Vec<i64> = match (grant.user_id, grant.group_id) {
        (Some(u), _) => vec![u],
        (None, Some(g)) => crate::domain::group::member_ids(conn, g)?,
        (None, None) => vec![],
    };
    let people: Vec<i64> = people.into_iter().filter(|u| *u != actor_id).collect();
    if people.is_empty() {
        return Ok(());
    }
    let (scope, link, org) = match (grant.org_id, grant.project_id) {
        (Some(o), _) => (
            crate::domain::org::find(conn, o)?.name,
            format!("/orgs/{o}"),
            o,
        ),
        (None, Some(p)) => {
            let project = crate::domain::project::find(conn, p)?;
            (project.name, format!("/projects/{p}"), project.org_id)
        }
        (None, None) => return Ok(()),
    };
    let notice = if received {
        Notice::new(
            kind::GRANT_RECEIVED,
            format!("You received the role {role_name} at {scope}"),
            link,
        )
    } else {
        Notice::new(
            kind::GRANT_LOST,
            format!("You no longer hold the role {role_name} at {scope}"),
            "/profile",
        )
    };
    notification::send_all(conn, &people, &notice.about(org))
}

/// Gives `user_id` a built-in role at `org_id` and everything below it.
pub fn grant_builtin_at_org(
    conn: &mut Conn,
    actor: &Actor,
    user_id: UserId,
    builtin: BuiltinRole,
    org_id: OrgId,
) -> Result<i64> {
    let (user_id, org_id) = (user_id.0, org_id.0);
    let role_id = role::builtin_id(conn, builtin)?;
    let new = NewGrant {
        role_id,
        holder: Holder::User(user_id),
        org_id,
        project_id: None,
        descendants: true,
        expires_at: None,
    };
    Ok(create(conn, actor, &new)?.id)
}

/// Takes a grant away as a person: anyone may drop their own grants; someone
/// else's needs `access.view` inside its scope (else it is not found) and the
/// rights it would take to make it. Pages and the API both revoke through here.
pub fn revoke_as(conn: &mut Conn, access: &Access, actor: &Actor, id: i64) -> Result<Grant> {
    let grant = find(conn, id)?;
    require_may_revoke(conn, access, &grant)?;
    revoke(conn, actor, id)
}

/// Takes a grant away.
pub fn revoke(conn: &mut Conn, actor: &Actor, id: i64) -> Result<Grant> {
    let grant = find(conn, id)?;
    diesel::delete(grants::table.find(id)).execute(conn)?;
    match (grant.user_id, grant.group_id) {
        (Some(u), _) => bump_holders(conn, Holder::User(u))?,
        (None, Some(g)) => bump_holders(conn, Holder::Group(g))?,
        (None, None) => {}
    }
    let role = role::find(conn, grant.role_id)?;
    tell_holders(conn, actor, &grant, &role.name, false)?;
    let mut event = Event::new("grant.revoked", Target::Grant, Some(id)).before(json!({
        "role": role.name,
        "user_id": grant.user_id,
        "group_id": grant.group_id,
        "org_id": grant.org_id,
        "project_id": grant.project_id,
        "descendants": grant.descendants,
        "expires_at": grant.expires_at,
    }));
    let project_org = match grant.project_id {
        Some(p) => Some(crate::domain::project::find(conn, p)?.org_id),
        None => None,
    };
    if let Some(org) = grant.org_id.or(project_org) {
        event = event.org(org);
    }
    audit::record(conn, actor, event)?;
    Ok(grant)
}

pub(crate) type ViewRow = (
    Grant,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);
