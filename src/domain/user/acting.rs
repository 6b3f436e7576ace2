//! The whole decision and write of each change to a person, for both faces.

use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::{OrgId, UserId};
use crate::domain::validate::Email;
use crate::error::{FieldErrors, Result};

use super::*;

/// Edits a user as an administrator. A new email is a way into the account (a
/// password reset goes to it), so changing someone else's needs the right to
/// grant each of their grants, direct and through groups: nobody takes over an
/// account that holds more than they could hand out. Pages and the API both
/// edit users through here.
pub fn update_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    patch: &UserPatch,
) -> Result<User> {
    let before = find(conn, id)?;
    let new_key = patch
        .email
        .as_deref()
        .and_then(|raw| Email::parse(raw).ok())
        .map(|e| e.key());
    if id != access.user_id && new_key.is_some_and(|k| k != before.email.to_lowercase()) {
        crate::domain::grant::require_may_grant_all_of_user(
            conn,
            access,
            id,
            "Changing this person's email",
        )?;
    }
    update(conn, actor, id, patch)
}

/// Changes someone's status as a person. Reactivating hands the user's grants
/// back, so for anyone but oneself it takes the right to grant each of them (a
/// user manager does not revive someone who holds more than they do);
/// deactivating only takes access away and needs no more than `user.manage`.
pub fn set_status_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    status: UserStatus,
) -> Result<User> {
    if id != access.user_id && status != UserStatus::Deactivated {
        crate::domain::grant::require_may_grant_all_of_user(
            conn,
            access,
            id,
            "Changing this person's status",
        )?;
    }
    set_status(conn, actor, id, status)
}

/// What `PATCH /api/v1/users/{id}` asks for: fields, a new home, a status.
#[derive(Default)]
pub struct UserChange {
    pub fields: UserPatch,
    pub org_id: Option<i64>,
    pub status: Option<UserStatus>,
}

/// Changes a user for the person, in the caller's transaction: someone they
/// may see (else not found) and manage (`user.manage` at their home, and at
/// a new home too, else 403); the fields by [`update_as`], the move by
/// [`move_home`], the status by [`change_status_as`]. Nothing asked for is
/// a 422.
pub fn change_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    change: UserChange,
) -> Result<User> {
    use crate::authz::Permission;
    let target = find_visible(conn, access, id)?;
    access.require(Permission::UserManage, target.org_id)?;
    if let Some(org_id) = change.org_id {
        access.require(Permission::UserManage, org_id)?;
    }
    let f = &change.fields;
    let edits =
        f.display_name.is_some() || f.email.is_some() || f.job_title.is_some() || f.phone.is_some();
    if !edits && change.org_id.is_none() && change.status.is_none() {
        return Err(FieldErrors::single("body", "Nothing to change."));
    }
    let mut version = change.fields.version;
    if edits {
        update_as(conn, access, actor, id, &change.fields)?;
        version = None;
    }
    if let Some(org_id) = change.org_id {
        move_home(conn, actor, UserId(id), OrgId(org_id), version.take())?;
    }
    if let Some(status) = change.status {
        change_status_as(conn, access, actor, id, status)?;
    }
    find(conn, id)
}

/// Changes someone's status for the person, the one rule behind the user
/// page's deactivate and reactivate buttons and `status` in
/// `PATCH /api/v1/users/{id}`: someone they may see (else not found) and
/// manage (`user.manage` at their home, else 403); never their own status
/// (422 on `status`); someone who never set a password comes back invited,
/// not active (read in the same transaction as the write); then
/// [`set_status_as`] (reviving hands grants back).
pub fn change_status_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    status: UserStatus,
) -> Result<User> {
    let target = find_visible(conn, access, id)?;
    access.require(crate::authz::Permission::UserManage, target.org_id)?;
    if id == access.user_id {
        return Err(FieldErrors::single(
            "status",
            "You cannot change your own status.",
        ));
    }
    let status = match status {
        UserStatus::Active if target.password_hash.is_none() => UserStatus::Invited,
        s => s,
    };
    set_status_as(conn, access, actor, id, status)
}
