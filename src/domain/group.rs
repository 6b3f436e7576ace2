//! Groups collect users for access: a role granted to a group reaches every
//! member. Owners manage the membership. A change of membership is a change of
//! access for that member, so it bumps the member's epoch in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::{
    self, Conn,
    schema::{grants, group_members, groups, users},
};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::{epoch, org, validate};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A group's fields as typed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct GroupDraft {
    pub name: String,
    pub description: String,
}

pub struct GroupValues {
    pub name: String,
    pub description: String,
}

impl GroupDraft {
    pub fn validate(&self) -> Result<GroupValues> {
        let mut errors = FieldErrors::new();
        let name = org::parse_name(&self.name)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let description =
            crate::domain::validate::text_block(&self.description, "Description", 2000)
                .map_err(|m| errors.add("description", m))
                .unwrap_or_default();
        errors.into_result()?;
        Ok(GroupValues { name, description })
    }
}

/// A member as listed.
#[derive(Clone, Debug, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = GroupMember)]
pub struct Member {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub owner: bool,
    pub status: String,
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Group> {
    Ok(groups::table
        .find(id)
        .select(Group::as_select())
        .first(conn)?)
}

fn ensure_unique_name(conn: &mut Conn, org_id: i64, name: &str, except: Option<i64>) -> Result<()> {
    let mut q = groups::table
        .filter(groups::org_id.eq(org_id))
        .filter(groups::name_key.eq(validate::key(name)))
        .select(groups::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(groups::id.ne(id));
    }
    if q.first::<i64>(conn).optional()?.is_some() {
        return Err(FieldErrors::single(
            "name",
            "This organization already has a group with this name.",
        ));
    }
    Ok(())
}

pub fn create(conn: &mut Conn, actor: &Actor, org_id: i64, values: &GroupValues) -> Result<Group> {
    if org::is_frozen(conn, org_id)? {
        return Err(Error::conflict(
            "An archived organization accepts no new groups.",
        ));
    }
    ensure_unique_name(conn, org_id, &values.name, None)?;
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(groups::table)
        .values((
            groups::org_id.eq(org_id),
            groups::name.eq(&values.name),
            groups::name_key.eq(validate::key(&values.name)),
            groups::description.eq(&values.description),
            groups::created_at.eq(now),
            groups::updated_at.eq(now),
        ))
        .returning(groups::id)
        .get_result(c))?;
    let group = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("group.created", "group", Some(id))
            .org(org_id)
            .after(&group),
    )?;
    Ok(group)
}

pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &GroupValues,
    version: Option<i64>,
) -> Result<Group> {
    let before = find(conn, id)?;
    if version.is_some_and(|v| v != before.version) {
        return Err(crate::domain::user::stale());
    }
    ensure_unique_name(conn, before.org_id, &values.name, Some(id))?;
    let changed = diesel::update(
        groups::table
            .find(id)
            .filter(groups::version.eq(before.version)),
    )
    .set((
        groups::name.eq(&values.name),
        groups::name_key.eq(validate::key(&values.name)),
        groups::description.eq(&values.description),
        groups::version.eq(groups::version + 1),
        groups::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(crate::domain::user::stale());
    }
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("group.updated", "group", Some(id))
            .org(after.org_id)
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
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
    diesel::delete(group_members::table.filter(group_members::group_id.eq(id))).execute(conn)?;
    diesel::delete(groups::table.find(id)).execute(conn)?;
    for user_id in members {
        epoch::bump_user(conn, user_id)?;
    }
    audit::record(
        conn,
        actor,
        Event::new("group.deleted", "group", Some(id))
            .org(group.org_id)
            .before(&group)
            .after(json!({"revoked_grants": revoked})),
    )
}

pub fn member_ids(conn: &mut Conn, group_id: i64) -> Result<Vec<i64>> {
    Ok(group_members::table
        .filter(group_members::group_id.eq(group_id))
        .select(group_members::user_id)
        .load(conn)?)
}

pub fn members(conn: &mut Conn, group_id: i64) -> Result<Vec<Member>> {
    let members: Vec<Member> = group_members::table
        .inner_join(users::table)
        .filter(group_members::group_id.eq(group_id))
        .order((group_members::owner.desc(), users::display_name))
        .select((
            users::id,
            users::display_name,
            users::email,
            group_members::owner,
            users::status,
        ))
        .load(conn)?;
    Ok(members)
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
    use crate::domain::user::{search_pattern, sees_user_sql, user_scope};
    let scope = user_scope(access);
    let pattern = search_pattern(q);
    let of_group = || {
        group_members::table
            .inner_join(users::table)
            .filter(group_members::group_id.eq(group_id))
            .into_boxed()
    };
    let seen = || match scope.clone() {
        None => of_group(),
        Some(scope) => of_group().filter(sees_user_sql!(scope, access.user_id)),
    };
    let shown = || match pattern.clone() {
        None => seen(),
        Some(p) => seen().filter(
            users::email_key
                .like(p.clone())
                .or(crate::db::lower(users::display_name).like(p)),
        ),
    };
    let total: i64 = shown().count().get_result(conn)?;
    let members: Vec<Member> = shown()
        .order((group_members::owner.desc(), users::display_name, users::id))
        .offset(offset)
        .limit(limit)
        .select((
            users::id,
            users::display_name,
            users::email,
            group_members::owner,
            users::status,
        ))
        .load(conn)?;
    // Everyone seen: nobody hidden, no second count.
    let hidden = match (&scope, &pattern) {
        (None, _) => 0,
        (Some(_), None) => of_group().count().get_result::<i64>(conn)? - total,
        (Some(_), Some(_)) => {
            of_group().count().get_result::<i64>(conn)? - seen().count().get_result::<i64>(conn)?
        }
    };
    Ok((members, total, hidden))
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
        || is_member(conn, id, access.user_id)?;
    Ok(known.then_some(g))
}

/// True when `user_id` belongs to `group_id`.
pub fn is_member(conn: &mut Conn, group_id: i64, user_id: i64) -> Result<bool> {
    Ok(group_members::table
        .find((group_id, user_id))
        .select(group_members::user_id)
        .first::<i64>(conn)
        .optional()?
        .is_some())
}

/// True when `user_id` owns `group_id` (owners manage its membership).
pub fn is_owner(conn: &mut Conn, group_id: i64, user_id: i64) -> Result<bool> {
    Ok(group_members::table
        .find((group_id, user_id))
        .select(group_members::owner)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Adds a member, or changes whether they own the group.
pub fn put_member(
    conn: &mut Conn,
    actor: &Actor,
    group_id: i64,
    user_id: i64,
    owner: bool,
) -> Result<()> {
    let group = find(conn, group_id)?;
    let user = crate::domain::user::find(conn, user_id)?;
    let current: Option<bool> = group_members::table
        .find((group_id, user_id))
        .select(group_members::owner)
        .first(conn)
        .optional()?;
    match current {
        Some(o) if o == owner => return Ok(()),
        Some(_) => {
            diesel::update(group_members::table.find((group_id, user_id)))
                .set(group_members::owner.eq(owner))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(group_members::table)
                .values((
                    group_members::group_id.eq(group_id),
                    group_members::user_id.eq(user_id),
                    group_members::owner.eq(owner),
                    group_members::created_at.eq(db::now()),
                ))
                .execute(conn)?;
            epoch::bump_user(conn, user_id)?;
            if actor.user_id != Some(user_id) {
                use crate::domain::notification::{self, Notice, kind};
                notification::send(
                    conn,
                    user_id,
                    &Notice::new(
                        kind::ADDED_TO_GROUP,
                        format!("You were added to the group {}", group.name),
                        format!("/users/{user_id}"),
                    )
                    .about(group.org_id),
                )?;
            }
        }
    }
    audit::record(
        conn,
        actor,
        Event::new("group.member_put", "group", Some(group_id))
            .org(group.org_id)
            .before(json!({"member": current.is_some(), "owner": current}))
            .after(json!({"user_id": user.id, "email": user.email, "owner": owner})),
    )
}

/// Removes a member as a person: the group visible, its membership theirs to
/// manage, and the member someone they may see (anyone else answers as if
/// not in the group). Pages and the API both remove through here.
pub fn remove_member_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    group_id: i64,
    user_id: i64,
) -> Result<()> {
    let g = find_visible(conn, access, group_id)?;
    require_manage_members(conn, access, &g)?;
    crate::domain::user::find_visible(conn, access, user_id)?;
    remove_member(conn, actor, group_id, user_id)
}

pub fn remove_member(conn: &mut Conn, actor: &Actor, group_id: i64, user_id: i64) -> Result<()> {
    let group = find(conn, group_id)?;
    let removed = diesel::delete(group_members::table.find((group_id, user_id))).execute(conn)?;
    if removed == 0 {
        return Err(Error::NotFound);
    }
    epoch::bump_user(conn, user_id)?;
    audit::record(
        conn,
        actor,
        Event::new("group.member_removed", "group", Some(group_id))
            .org(group.org_id)
            .before(json!({"user_id": user_id})),
    )
}

/// Groups of orgs, by name.
pub fn in_orgs(conn: &mut Conn, org_ids: &[i64]) -> Result<Vec<Group>> {
    let mut out = Vec::new();
    for chunk in org_ids.chunks(500) {
        out.extend(
            groups::table
                .filter(groups::org_id.eq_any(chunk))
                .select(Group::as_select())
                .load(conn)?,
        );
    }
    out.sort_by_key(|g| g.name.to_lowercase());
    Ok(out)
}

type GroupCond = Box<
    dyn diesel::expression::BoxableExpression<
            groups::table,
            <Conn as diesel::Connection>::Backend,
            SqlType = diesel::sql_types::Bool,
        >,
>;

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
    use crate::authz::Permission;
    use crate::authz::parts::Narrowing;
    use crate::domain::org::subtree_ids;
    let pattern = q.pattern();
    let scope = match access.narrowing(Permission::GroupView, at) {
        Narrowing::Nothing => return Ok((vec![], 0)),
        Narrowing::Everything => None,
        Narrowing::Levels(levels) => Some(levels),
    };
    let build = || {
        let mut query = groups::table
            .filter(groups::name_key.like(pattern.clone()).escape('\\'))
            .into_boxed();
        if let Some(levels) = &scope {
            let cond = levels
                .iter()
                .map(|l| -> GroupCond {
                    Box::new(
                        groups::org_id
                            .eq_any(subtree_ids(l.roots.clone()))
                            .and(groups::org_id.ne_all(subtree_ids(l.hidden.clone()))),
                    )
                })
                .reduce(|a, b| Box::new(a.or(b)));
            if let Some(cond) = cond {
                query = query.filter(cond);
            }
        }
        if let Some(o) = at {
            query = query.filter(groups::org_id.eq(o));
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((groups::name_key, groups::id))
        .offset(offset)
        .limit(limit)
        .select(Group::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The groups a user belongs to.
pub fn of_user(conn: &mut Conn, user_id: i64) -> Result<Vec<(Group, bool)>> {
    Ok(groups::table
        .inner_join(group_members::table)
        .filter(group_members::user_id.eq(user_id))
        .select((Group::as_select(), group_members::owner))
        .order(groups::name_key)
        .load(conn)?)
}

/// Members are managed by those with `group.manage` where the group lives, and by
/// the group's owners.
pub fn require_manage_members(
    conn: &mut Conn,
    access: &crate::authz::Access,
    g: &Group,
) -> Result<()> {
    if access.can(crate::authz::Permission::GroupManage, g.org_id)
        || is_owner(conn, g.id, access.user_id)?
    {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Only the group's owners and its organization's group managers change its members."
                .into(),
        ))
    }
}

/// Adds a member (or changes their owner flag) as a person: they must manage
/// the group's members, and — since a new member receives every grant the
/// group holds — be able to grant each of those directly (no escalation
/// through membership). Pages and the API both add members through here.
pub fn put_member_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    g: &Group,
    user_id: i64,
    owner: bool,
) -> Result<()> {
    require_manage_members(conn, access, g)?;
    if !is_member(conn, g.id, user_id)? {
        crate::domain::grant::require_may_grant_group(conn, access, g.id)?;
        crate::domain::grant::require_not_joining_grants(conn, access, g.id, user_id)?;
    }
    put_member(conn, actor, g.id, user_id, owner)
}

/// The group if the person may see it: `group.view` where it lives (privacy
/// borders included), else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Group> {
    let g = find(conn, id)?;
    if access.can(crate::authz::Permission::GroupView, g.org_id) {
        Ok(g)
    } else {
        Err(Error::NotFound)
    }
}
