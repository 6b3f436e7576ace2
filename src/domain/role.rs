//! Roles as stored: the built-ins (kept in step with `authz::roles` at start-up)
//! and, later, custom roles defined at an org.

use diesel::prelude::*;

use crate::authz::BuiltinRole;
use crate::db::{self, Conn, schema::roles};
use crate::domain::audit::Target;
use crate::domain::ids::OrgId;
use crate::domain::{epoch, validate};
use crate::error::Result;

/// Writes every built-in role to the `roles` table, correcting any whose stored
/// permissions differ from the code's.
pub fn sync_builtin(conn: &mut Conn) -> Result<()> {
    let now = db::now();
    let mut changed = false;
    for role in BuiltinRole::ALL {
        let names = role.permissions().to_names();
        let stored: Option<(i64, String)> = roles::table
            .filter(roles::builtin_key.eq(*role))
            .select((roles::id, roles::permissions))
            .first(conn)
            .optional()?;
        match stored {
            Some((_, perms)) if perms == names => {}
            Some((id, _)) => {
                diesel::update(roles::table.find(id))
                    .set((
                        roles::permissions.eq(&names),
                        roles::name.eq(role.display_name()),
                        roles::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                changed = true;
            }
            None => {
                diesel::insert_into(roles::table)
                    .values((
                        roles::org_id.eq(None::<i64>),
                        roles::builtin_key.eq(*role),
                        roles::name.eq(role.display_name()),
                        roles::name_key.eq(validate::key(role.display_name())),
                        roles::permissions.eq(&names),
                        roles::created_at.eq(now),
                        roles::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                changed = true;
            }
        }
    }
    if changed {
        epoch::bump_tree(conn)?;
    }
    Ok(())
}

/// The id of a built-in role's row.
pub fn builtin_id(conn: &mut Conn, role: BuiltinRole) -> Result<i64> {
    Ok(roles::table
        .filter(roles::builtin_key.eq(role))
        .select(roles::id)
        .first(conn)?)
}

/// A role as shown and granted.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = roles)]
pub struct Role {
    pub id: i64,
    pub org_id: Option<i64>,
    pub builtin_key: Option<BuiltinRole>,
    pub name: String,
    pub permissions: String,
}

impl Role {
    pub fn permission_set(&self) -> crate::authz::PermissionSet {
        crate::authz::PermissionSet::from_names(&self.permissions).unwrap_or_default()
    }

    pub fn is_builtin(&self) -> bool {
        self.builtin_key.is_some()
    }
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Role> {
    Ok(roles::table
        .find(id)
        .select(Role::as_select())
        .first(conn)?)
}

/// Roles usable at `org_id`: the built-ins and custom roles defined at the org or
/// an ancestor.
pub fn usable_at_org(conn: &mut Conn, org_id: i64) -> Result<Vec<Role>> {
    use crate::db::schema::org_closure;
    let ancestors: Vec<i64> = org_closure::table
        .filter(org_closure::descendant_id.eq(org_id))
        .select(org_closure::ancestor_id)
        .load(conn)?;
    Ok(roles::table
        .filter(roles::org_id.is_null().or(roles::org_id.eq_any(ancestors)))
        .order((roles::org_id.is_not_null(), roles::id))
        .select(Role::as_select())
        .load(conn)?)
}

/// True when role `role_id` exists and may be used at `org_id`.
pub fn usable_at(conn: &mut Conn, role_id: i64, org_id: OrgId) -> Result<bool> {
    Ok(usable_at_org(conn, org_id.0)?
        .iter()
        .any(|r| r.id == role_id))
}

/// A custom role as typed.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CustomRoleInput {
    pub name: String,
    pub permissions: Vec<String>,
}

/// Validates a custom role: a name and at least one known permission.
pub fn parse_custom(input: &CustomRoleInput) -> Result<(String, crate::authz::PermissionSet)> {
    let mut errors = crate::error::FieldErrors::new();
    let name = crate::domain::org::parse_name(&input.name)
        .map_err(|m| errors.add("name", m))
        .unwrap_or_default();
    let perms = crate::authz::PermissionSet::from_names(&input.permissions.join(" "));
    let perms = match perms {
        Ok(p) if p != crate::authz::PermissionSet::EMPTY => p,
        Ok(_) => {
            errors.add("permissions", "Choose at least one permission.");
            crate::authz::PermissionSet::EMPTY
        }
        Err(e) => {
            errors.add("permissions", e.to_string());
            crate::authz::PermissionSet::EMPTY
        }
    };
    errors.into_result()?;
    Ok((name, perms))
}

/// Refuses `name` when another role usable at `org_id` (not `except`) has it,
/// in any case.
fn require_name_free(conn: &mut Conn, org_id: i64, name: &str, except: Option<i64>) -> Result<()> {
    let taken = usable_at_org(conn, org_id)?
        .iter()
        .any(|r| Some(r.id) != except && validate::key(&r.name) == validate::key(name));
    if taken {
        return Err(crate::error::FieldErrors::single(
            "name",
            "A role with this name is already usable here.",
        ));
    }
    Ok(())
}

/// Defines a custom role as a person, for the page and the API alike: the
/// input read ([`parse_custom`]), then no permission they could not grant
/// themselves (`Access::require_may_grant`), then [`create_custom`].
pub fn create_custom_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &crate::domain::audit::Actor,
    org_id: i64,
    input: &CustomRoleInput,
) -> Result<Role> {
    // Who may define roles here is decided before the input is read, so a
    // person without `access.manage` learns nothing from the form's messages
    // (the page and the API answer alike).
    access.require(crate::authz::Permission::AccessManage, org_id)?;
    let (name, permissions) = parse_custom(input)?;
    access.require_may_grant(permissions, org_id, false)?;
    create_custom(conn, actor, org_id, &name, permissions)
}

/// Defines a custom role at `org_id`, usable in its subtree.
pub fn create_custom(
    conn: &mut Conn,
    actor: &crate::domain::audit::Actor,
    org_id: i64,
    name: &str,
    permissions: crate::authz::PermissionSet,
) -> Result<Role> {
    require_name_free(conn, org_id, name, None)?;
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(roles::table)
        .values((
            roles::org_id.eq(Some(org_id)),
            roles::name.eq(name),
            roles::name_key.eq(validate::key(name)),
            roles::permissions.eq(permissions.to_names()),
            roles::created_at.eq(now),
            roles::updated_at.eq(now),
        ))
        .returning(roles::id)
        .get_result(c))?;
    let role = find(conn, id)?;
    crate::domain::audit::record(
        conn,
        actor,
        crate::domain::audit::Event::new("role.created", Target::Role, Some(id))
            .org(org_id)
            .after(&role),
    )?;
    Ok(role)
}

/// The custom role `id` for someone who may manage access where it was
/// defined: built-ins answer 403, a role defined out of the person's sight
/// (above them, inside a private org) 404. Returns the role and its org.
pub fn require_editable(
    conn: &mut Conn,
    access: &crate::authz::Access,
    id: i64,
) -> Result<(Role, i64)> {
    let r = find(conn, id)?;
    let org_id = r
        .org_id
        .ok_or_else(|| crate::Error::Forbidden("Built-in roles cannot be changed.".into()))?;
    access.require_visible(org_id)?;
    if !access.sees_inside(org_id) {
        return Err(crate::Error::NotFound);
    }
    access.require(crate::authz::Permission::AccessManage, org_id)?;
    Ok((r, org_id))
}

/// A change to a custom role as typed; `None` keeps what the role has.
#[derive(Clone, Debug, Default)]
pub struct RoleEdit {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
}

/// Changes a custom role's name and permissions as a person
/// ([`require_editable`] first, so a role out of sight is not found before
/// any input is judged). Changing a role changes the access of everyone
/// holding it, so the person must also hold every permission it had and will
/// have at each scope it is granted at (with that grant's reach): no
/// escalation, and no taking away what one could not give.
pub fn update_custom_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &crate::domain::audit::Actor,
    id: i64,
    edit: &RoleEdit,
) -> Result<Role> {
    use crate::db::schema::grants;
    use crate::domain::grant::Grant;
    let (before, org_id) = require_editable(conn, access, id)?;
    let (name, permissions) = parse_custom(&CustomRoleInput {
        name: edit.name.clone().unwrap_or_else(|| before.name.clone()),
        permissions: edit.permissions.clone().unwrap_or_else(|| {
            before
                .permission_set()
                .iter()
                .map(|p| p.name().to_string())
                .collect()
        }),
    })?;
    let name = name.as_str();
    let touched = before.permission_set().union(permissions);
    access.require_may_grant(touched, org_id, true)?;
    let held: Vec<Grant> = grants::table
        .filter(grants::role_id.eq(id))
        .select(Grant::as_select())
        .load(conn)?;
    for g in held {
        if let Some(scope) = g.decided_at(&access.snapshot) {
            access.require_may_grant(touched, scope, g.descendants)?;
        }
    }
    require_name_free(conn, org_id, name, Some(id))?;
    diesel::update(roles::table.find(id))
        .set((
            roles::name.eq(name),
            roles::name_key.eq(validate::key(name)),
            roles::permissions.eq(permissions.to_names()),
            roles::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    // Every holder's access may change: the resolver rebuilds.
    crate::domain::epoch::bump_tree(conn)?;
    let after = find(conn, id)?;
    crate::domain::audit::record(
        conn,
        actor,
        crate::domain::audit::Event::new("role.updated", Target::Role, Some(id))
            .org(org_id)
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Deletes a custom role nobody holds. Built-ins are not editable.
pub fn delete_custom(conn: &mut Conn, actor: &crate::domain::audit::Actor, id: i64) -> Result<()> {
    use crate::db::schema::grants;
    let role = find(conn, id)?;
    let Some(org_id) = role.org_id else {
        return Err(crate::Error::conflict("Built-in roles cannot be changed."));
    };
    let in_use: i64 = grants::table
        .filter(grants::role_id.eq(id))
        .count()
        .get_result(conn)?;
    if in_use > 0 {
        return Err(crate::Error::conflict(format!(
            "This role is held by {in_use} grant(s); revoke them first."
        )));
    }
    diesel::delete(roles::table.find(id)).execute(conn)?;
    crate::domain::audit::record(
        conn,
        actor,
        crate::domain::audit::Event::new("role.deleted", Target::Role, Some(id))
            .org(org_id)
            .before(&role),
    )
}
