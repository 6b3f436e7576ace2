//! Groups collect users for access: a role granted to a group reaches every
//! member. Owners manage the membership. A change of membership is a change of
//! access for that member, so it bumps the member's epoch in the same transaction.

use diesel::prelude::*;
use serde_json::json;

use crate::db::{
    Conn,
    schema::{grants, groups},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::epoch;
use crate::domain::ids::{GroupId, UserId};
use crate::domain::membership::{self, Kind, Within};
use crate::domain::validate;
use crate::error::{Error, Result};

membership::kind_types! {
    Group: Group in groups,
    /// A group's fields as typed.
    GroupDraft, GroupValues,
    GroupMember with owner
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Group> {
    membership::find(conn, id)
}

pub fn create(conn: &mut Conn, actor: &Actor, org_id: i64, values: &GroupValues) -> Result<Group> {
    membership::create(conn, actor, org_id, values)
}

pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &GroupValues,
    version: Option<i64>,
) -> Result<Group> {
    membership::update(conn, actor, id, values, version)
}

/// Deletes a group with its memberships and the grants made to it.
/// Deletes a group as a person: `group.manage` where it lives, and since its
/// grants go with it, the right to revoke each of them (a group holding a
/// grant made above one's reach is not one's to dissolve).
pub fn delete_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
) -> Result<()> {
    let g = find_visible(conn, access, id)?;
    access.require(crate::authz::Permission::GroupManage, g.org_id)?;
    let held = crate::domain::grant::grants_of_group(conn, id)?;
    let now = crate::db::now();
    // An expired grant gives nothing any more; it goes with the group freely.
    for grant in held.iter().filter(|g| g.is_live(now)) {
        match crate::domain::grant::require_may_revoke(conn, access, grant) {
            Ok(()) => {}
            Err(Error::NotFound | Error::Forbidden(_)) => {
                return Err(Error::Forbidden(
                    "This group holds grants you may not revoke, so you may not delete it; \
                     ask whoever made them to revoke them first."
                        .into(),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    delete(conn, actor, id)
}

pub fn delete(conn: &mut Conn, actor: &Actor, id: i64) -> Result<()> {
    let group = find(conn, id)?;
    let members = member_ids(conn, id)?;
    let revoked: Vec<i64> = grants::table
        .filter(grants::group_id.eq(id))
        .select(grants::id)
        .load(conn)?;
    diesel::delete(grants::table.filter(grants::group_id.eq(id))).execute(conn)?;
    membership::delete_members(conn, Kind::Group, id)?;
    diesel::delete(groups::table.find(id)).execute(conn)?;
    for user_id in members {
        epoch::bump_user(conn, user_id)?;
    }
    audit::record(
        conn,
        actor,
        Event::new("group.deleted", Target::Group, Some(id))
            .org(group.org_id)
            .before(&group)
            .after(json!({"revoked_grants": revoked})),
    )
}

pub fn member_ids(conn: &mut Conn, group_id: i64) -> Result<Vec<i64>> {
    membership::member_ids(conn, Kind::Group, group_id)
}

pub fn members(conn: &mut Conn, group_id: i64) -> Result<Vec<Member>> {
    membership::members(conn, Kind::Group, group_id)
}

/// The members of a group that `access` may see (`Access::sees_user`), and
/// how many others there are: a group in one's org may hold people one may
/// not know of.
pub fn visible_members(
    conn: &mut Conn,
    access: &crate::authz::Access,
    group_id: i64,
) -> Result<(Vec<Member>, usize)> {
    let all = members(conn, group_id)?;
    if membership::manages_by_flag(conn, Kind::Group, group_id, access)? {
        return Ok((all, 0));
    }
    let ids: Vec<i64> = all.iter().map(|m| m.user_id).collect();
    let seen = crate::domain::user::visible_ids(conn, access, &ids)?;
    let (shown, hidden): (Vec<Member>, Vec<Member>) =
        all.into_iter().partition(|m| seen.contains(&m.user_id));
    Ok((shown, hidden.len()))
}

/// One page of a group's members that `access` may see (`Access::sees_user`,
/// in SQL), owners first then by name, narrowed by `q` (name or email); with
/// the number of all such matches and how many members the viewer may not
/// see at all (counted, never named; `q` does not narrow that count).
pub fn visible_members_page(
    conn: &mut Conn,
    access: &crate::authz::Access,
    group_id: i64,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Member>, i64, i64)> {
    let owner = membership::manages_by_flag(conn, Kind::Group, group_id, access)?;
    let viewer = (!owner).then_some(access);
    membership::page(conn, Kind::Group, group_id, viewer, q, offset, limit)
}

/// The grants made to a group that `access` may know of (at orgs they see, at
/// projects they see), and how many others there are.
pub fn visible_grants(
    conn: &mut Conn,
    access: &crate::authz::Access,
    group_id: i64,
) -> Result<(Vec<crate::domain::grant::GrantView>, usize)> {
    use crate::authz::Permission;
    let (shown, hidden): (Vec<_>, Vec<_>) = crate::domain::grant::of_group(conn, group_id)?
        .into_iter()
        .partition(|g| match (g.grant.org_id, g.grant.project_id) {
            // Inside the org's border: what is granted there is its own.
            (Some(org), _) => access.sees_inside(org),
            (None, Some(project)) => access.can_project(Permission::ProjectView, project),
            (None, None) => false,
        });
    Ok((shown, hidden.len()))
}

/// The group `id` if `access` may know of it: `group.view` where it lives, or
/// being one of its members (one knows the groups that give one access).
pub fn known_to(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Option<Group>> {
    let g = match find(conn, id) {
        Ok(g) => g,
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let known = access.can(crate::authz::Permission::GroupView, g.org_id)
        || is_member(conn, GroupId(id), UserId(access.user_id))?;
    Ok(known.then_some(g))
}

/// True when `user` belongs to `group`.
pub fn is_member(conn: &mut Conn, group: GroupId, user: UserId) -> Result<bool> {
    Ok(membership::flag_of(conn, Kind::Group, group.0, user)?.is_some())
}

/// True when `user` owns `group` (owners manage its membership).
pub fn is_owner(conn: &mut Conn, group: GroupId, user: UserId) -> Result<bool> {
    Ok(membership::flag_of(conn, Kind::Group, group.0, user)?.unwrap_or(false))
}

/// Adds a member, or changes whether they own the group.
pub fn put_member(
    conn: &mut Conn,
    actor: &Actor,
    group: GroupId,
    user: UserId,
    owner: bool,
) -> Result<()> {
    let g = find(conn, group.0)?;
    membership::put_member(conn, actor, &g, user, owner)
}

/// Removes a member as a person: the group visible, its membership theirs to
/// manage, and the member someone they may see (anyone else answers as if
/// not in the group). Pages and the API both remove through here.
pub fn remove_member_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    group: GroupId,
    user: UserId,
) -> Result<()> {
    let g = find_visible(conn, access, group.0)?;
    require_manage_members(conn, access, &g)?;
    // Owners see every member; anyone else only those they may see.
    if !is_owner(conn, group, access.me())? {
        crate::domain::user::find_visible(conn, access, user.0)?;
    }
    remove_member(conn, actor, group, user)
}

pub fn remove_member(conn: &mut Conn, actor: &Actor, group: GroupId, user: UserId) -> Result<()> {
    let g = find(conn, group.0)?;
    membership::remove_member(conn, actor, &g, user)
}

/// Groups of orgs, by name.
pub fn in_orgs(conn: &mut Conn, org_ids: &[i64]) -> Result<Vec<Group>> {
    membership::in_orgs(conn, org_ids)
}

/// One page (in name order) of the groups whose name matches `q`, among
/// those `access` may see (`group.view` at their org, exactly as `can`
/// answers: `Access::scope_levels`), at org `at` only when given, narrowed
/// in SQL; with the number of all matches.
pub fn search_visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    q: &validate::Contains,
    at: Option<i64>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Group>, i64)> {
    let within = at.map_or(Within::Anywhere, Within::At);
    membership::search_visible(conn, access, q, within, offset, limit)
}

/// The groups a user belongs to.
pub fn of_user(conn: &mut Conn, user_id: i64) -> Result<Vec<(Group, bool)>> {
    membership::of_user(conn, UserId(user_id))
}

/// Members are managed by those with `group.manage` where the group lives, and by
/// the group's owners.
pub fn require_manage_members(
    conn: &mut Conn,
    access: &crate::authz::Access,
    g: &Group,
) -> Result<()> {
    if access.can(crate::authz::Permission::GroupManage, g.org_id)
        || is_owner(conn, GroupId(g.id), UserId(access.user_id))?
    {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only the group's owners and its organization's group managers change its members."
                .into(),
        ))
    }
}

/// Adds a member (or changes their owner flag) as a person who manages the
/// group's members (`group.manage` where it lives, or owning it). Pages and the
/// API both add members through here.
///
/// Joining hands the newcomer every grant the group holds, and being made an
/// owner hands them the power to do so: an owner was trusted with both by
/// whoever made the group's grants and owners, so they need no grant of their
/// own; anyone else must be able to grant each of those directly (no
/// escalation through membership), and may not join such a group themselves.
pub fn put_member_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    g: &Group,
    user: UserId,
    owner: bool,
) -> Result<()> {
    require_manage_members(conn, access, g)?;
    let acting_owner = is_owner(conn, GroupId(g.id), access.me())?;
    let flag = membership::flag_of(conn, Kind::Group, g.id, user)?;
    if flag.is_none() {
        // Adding someone one may not find answers as if they did not exist.
        addable(conn, access, g, acting_owner, user)?;
    }
    let hands_out = flag.is_none() || (owner && flag == Some(false));
    if hands_out && !acting_owner {
        crate::domain::grant::require_may_grant_group(conn, access, g.id)?;
    }
    if flag.is_none() {
        crate::domain::grant::require_not_joining_grants(conn, access, g.id, user.0)?;
    }
    membership::put_member(conn, actor, g, user, owner)
}

/// Adds the person with `email` (or changes their owner flag) to group `id`
/// as [`put_member_as`] decides; anyone one may not add is one message on
/// `email`, so the form never tells whether the address is in use.
pub fn put_member_by_email_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    email: &str,
    owner: bool,
) -> Result<crate::domain::user::User> {
    let g = find_visible(conn, access, id)?;
    require_manage_members(conn, access, &g)?;
    let none = || {
        crate::error::FieldErrors::single("email", "There is no user with this email you can see.")
    };
    let u = crate::domain::user::find_by_email(conn, email)?.ok_or_else(none)?;
    match put_member_as(conn, access, actor, &g, UserId(u.id), owner) {
        Err(Error::NotFound) => Err(none()),
        other => other.map(|()| u),
    }
}

/// Whom a member manager may add: anyone they may see; an owner also anyone
/// at home where a grant at the group's org would reach (its subtree, short
/// of privacy borders), whom they could not otherwise look up.
fn addable(
    conn: &mut Conn,
    access: &crate::authz::Access,
    g: &Group,
    acting_owner: bool,
    user: UserId,
) -> Result<()> {
    let person = crate::domain::user::find(conn, user.0)?;
    let reached = || {
        access
            .snapshot
            .tree()
            .grant_reaches(g.org_id, true, person.org_id)
    };
    if crate::domain::user::visible_ids(conn, access, &[person.id])?.contains(&person.id)
        || (acting_owner && reached())
    {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// The group if the person may see it: `group.view` where it lives (privacy
/// borders included), else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Group> {
    membership::find_visible(conn, access, id)
}
