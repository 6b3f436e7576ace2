//! A SCIM Group is a Canopy group in the token org's subtree that the
//! token's creator may see (`group.view`); new groups live at the token's
//! org. Renames, members and deletes go through the group functions the
//! pages and the API use (`membership::update`, `group::put_member_as`,
//! `group::remove_member_as`, `group::delete_as`), so the same rules hold
//! (no escalation through membership, a group holding grants one may not
//! revoke stays). SCIM adds an `externalId`, in `scim_groups`.

use diesel::prelude::*;

use super::{Caller, Filter, Query};
use crate::authz::Permission;
use crate::db::{Conn, schema::groups, schema::scim_groups};
use crate::domain::group::{self, Group};
use crate::domain::ids::{GroupId, UserId};
use crate::domain::membership;
use crate::domain::validate;
use crate::error::{Error, FieldErrors, Result};

/// What SCIM says of a group, as read from the request. `members: None`
/// leaves them as they are.
#[derive(Clone, Debug, Default)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Option<Vec<String>>,
}

/// A group as SCIM shows it: the members the caller may see.
#[derive(Clone, Debug)]
pub struct ScimGroup {
    pub group: Group,
    pub external_id: Option<String>,
    pub members: Vec<i64>,
}

fn external_id(conn: &mut Conn, group_id: i64) -> Result<Option<String>> {
    Ok(scim_groups::table
        .find(group_id)
        .select(scim_groups::external_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// The members of `g` the caller reaches: people they may see, at home in
/// the token org's subtree and not deleted through SCIM (as `users::find`
/// decides one by one), read in batches.
fn members(conn: &mut Conn, caller: &Caller, g: &Group) -> Result<Vec<i64>> {
    use crate::db::schema::{scim_users, users};
    let all = group::member_ids(conn, g.id)?;
    let seen: Vec<i64> = crate::domain::user::visible_ids(conn, &caller.access, &all)?
        .into_iter()
        .collect();
    let mut ids = Vec::with_capacity(seen.len());
    // Chunked: both backends limit the number of bound parameters.
    for chunk in seen.chunks(500) {
        let deleted = scim_users::table
            .filter(scim_users::deleted_at.is_not_null())
            .select(scim_users::user_id);
        let rows: Vec<(i64, i64)> = users::table
            .filter(users::id.eq_any(chunk))
            .filter(
                users::status
                    .ne(crate::domain::user::UserStatus::Deactivated.as_str())
                    .or(users::id.ne_all(deleted)),
            )
            .select((users::id, users::org_id))
            .load(conn)?;
        ids.extend(
            rows.into_iter()
                .filter(|(_, org)| caller.reaches(*org))
                .map(|(id, _)| id),
        );
    }
    ids.sort_unstable();
    Ok(ids)
}

fn shown(conn: &mut Conn, caller: &Caller, group: Group) -> Result<ScimGroup> {
    Ok(ScimGroup {
        external_id: external_id(conn, group.id)?,
        members: members(conn, caller, &group)?,
        group,
    })
}

/// Group `id` as the caller may see it, else not found.
fn find_group(conn: &mut Conn, caller: &Caller, id: i64) -> Result<Group> {
    let g = group::find_visible(conn, &caller.access, id)?;
    if caller.reaches(g.org_id) {
        Ok(g)
    } else {
        Err(Error::NotFound)
    }
}

pub fn find(conn: &mut Conn, caller: &Caller, id: i64) -> Result<ScimGroup> {
    let g = find_group(conn, caller, id)?;
    shown(conn, caller, g)
}

/// One window of the groups the caller sees in the token org's subtree, in
/// id order, narrowed by `query.filter`; with the number of matches. The
/// subtree's groups are read in SQL and `group.view` decided on each (an
/// org's groups are few).
pub fn list(conn: &mut Conn, caller: &Caller, query: &Query) -> Result<(Vec<ScimGroup>, i64)> {
    let mut q = groups::table
        .filter(groups::org_id.eq_any(crate::domain::org::subtree_ids(vec![caller.org_id])))
        .into_boxed();
    match &query.filter {
        None => {}
        Some(Filter::DisplayName(v)) => q = q.filter(groups::name_key.eq(validate::key(v))),
        Some(Filter::ExternalId(v)) => {
            let ids = scim_groups::table
                .filter(scim_groups::external_id.eq(v.clone()))
                .select(scim_groups::group_id);
            q = q.filter(groups::id.eq_any(ids));
        }
        // Groups have no userName: nothing matches.
        Some(Filter::UserName(_)) => return Ok((Vec::new(), 0)),
    }
    let rows: Vec<(i64, i64)> = q
        .order(groups::id)
        .select((groups::id, groups::org_id))
        .load(conn)?;
    let seen: Vec<i64> = rows
        .into_iter()
        .filter(|(_, org)| caller.access.can(Permission::GroupView, *org))
        .map(|(id, _)| id)
        .collect();
    let total = seen.len() as i64;
    let window = seen
        .into_iter()
        .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(query.limit).unwrap_or(0));
    let mut out = Vec::new();
    for id in window {
        let g = group::find(conn, id)?;
        out.push(shown(conn, caller, g)?);
    }
    Ok((out, total))
}

/// The user ids SCIM names as members: each a person the caller reaches,
/// else one message (a hidden person answers like a missing one).
fn member_ids(conn: &mut Conn, caller: &Caller, raw: &[String]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(raw.len());
    for value in raw {
        let found = value
            .trim()
            .parse::<i64>()
            .ok()
            .map(|id| super::users::find(conn, caller, id));
        match found {
            Some(Ok(u)) => ids.push(u.user.id),
            Some(Err(Error::NotFound)) | None => {
                return Err(FieldErrors::single(
                    "members",
                    format!("There is no user {value:?} here."),
                ));
            }
            Some(Err(e)) => return Err(e),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

fn save_external_id(conn: &mut Conn, group_id: i64, ext: Option<&str>) -> Result<()> {
    diesel::delete(scim_groups::table.find(group_id)).execute(conn)?;
    diesel::insert_into(scim_groups::table)
        .values((
            scim_groups::group_id.eq(group_id),
            scim_groups::external_id.eq(ext),
        ))
        .execute(conn)?;
    Ok(())
}

fn parse(input: &GroupInput) -> Result<(membership::Values, Option<String>)> {
    let values = membership::validate(&input.display_name, "")
        .map_err(|e| rename_field(e, "name", "displayName"))?;
    let ext = super::users::parse_external_id(input.external_id.as_deref())
        .map_err(|m| FieldErrors::single("externalId", m))?;
    Ok((values, ext))
}

/// A domain error about `from` as one about SCIM's `to`.
fn rename_field(err: Error, from: &str, to: &str) -> Error {
    match err {
        Error::Validation(fields) => Error::Validation(renamed(fields, from, to)),
        Error::Duplicate(fields) => Error::Duplicate(renamed(fields, from, to)),
        other => other,
    }
}

fn renamed(mut fields: FieldErrors, from: &str, to: &str) -> FieldErrors {
    if let Some(message) = fields.0.remove(from) {
        fields.0.insert(to.to_string(), message);
    }
    fields
}

/// Makes the members of `g` exactly `wanted`, among those the caller
/// reaches (members they cannot see stay), one rule-checked step each.
fn set_members(conn: &mut Conn, caller: &Caller, g: &Group, wanted: &[i64]) -> Result<()> {
    let now = members(conn, caller, g)?;
    for id in wanted.iter().filter(|id| !now.contains(id)) {
        group::put_member_as(conn, &caller.access, &caller.actor, g, UserId(*id), false)?;
    }
    for id in now.iter().filter(|id| !wanted.contains(id)) {
        group::remove_member_as(
            conn,
            &caller.access,
            &caller.actor,
            GroupId(g.id),
            UserId(*id),
        )?;
    }
    Ok(())
}

/// Refuses a name another group of `org_id` has, as taken (409 `uniqueness`):
/// names are unique in an org, as the group forms say.
fn require_name_free(conn: &mut Conn, org_id: i64, name: &str, except: Option<i64>) -> Result<()> {
    let taken: Option<i64> = groups::table
        .filter(groups::org_id.eq(org_id))
        .filter(groups::name_key.eq(validate::key(name)))
        .filter(groups::id.ne(except.unwrap_or(0)))
        .select(groups::id)
        .first(conn)
        .optional()?;
    match taken {
        Some(_) => Err(Error::Duplicate(FieldErrors::of(
            "displayName",
            "This organization already has a group with this name.",
        ))),
        None => Ok(()),
    }
}

/// Creates a group at the token's org (`group.manage` there) with its members.
pub fn create(conn: &mut Conn, caller: &Caller, input: &GroupInput) -> Result<ScimGroup> {
    caller
        .access
        .require(Permission::GroupManage, caller.org_id)?;
    let (values, ext) = parse(input)?;
    require_name_free(conn, caller.org_id, &values.name, None)?;
    let wanted = member_ids(conn, caller, input.members.as_deref().unwrap_or_default())?;
    let (name, description) = (values.name.as_str(), values.description.as_str());
    let g: Group = membership::create_as(
        conn,
        &caller.access,
        &caller.actor,
        caller.org_id,
        name,
        description,
    )
    .map_err(|e| rename_field(e, "name", "displayName"))?;
    save_external_id(conn, g.id, ext.as_deref())?;
    set_members(conn, caller, &g, &wanted)?;
    find(conn, caller, g.id)
}

/// Replaces group `id`'s name, externalId and (when given) members.
pub fn replace(conn: &mut Conn, caller: &Caller, id: i64, input: &GroupInput) -> Result<ScimGroup> {
    let g = find_group(conn, caller, id)?;
    caller.access.require(Permission::GroupManage, g.org_id)?;
    let (values, ext) = parse(input)?;
    if values.name != g.name {
        require_name_free(conn, g.org_id, &values.name, Some(id))?;
        let renamed = (Some(values.name.as_str()), None);
        membership::update_as::<Group>(conn, &caller.access, &caller.actor, id, renamed, None)
            .map_err(|e| rename_field(e, "name", "displayName"))?;
    }
    save_external_id(conn, id, ext.as_deref())?;
    if let Some(raw) = &input.members {
        let wanted = member_ids(conn, caller, raw)?;
        let g = group::find(conn, id)?;
        set_members(conn, caller, &g, &wanted)?;
    }
    find(conn, caller, id)
}

/// Deletes group `id` by the group delete rule (`group::delete_as`).
pub fn delete(conn: &mut Conn, caller: &Caller, id: i64) -> Result<()> {
    find_group(conn, caller, id)?;
    group::delete_as(conn, &caller.access, &caller.actor, id)
}
