//! Moving a subtree under another parent, and the lock that keeps the tree's
//! shape still meanwhile.

use diesel::prelude::*;

use super::{Org, check_version, find, is_frozen, touch};
use crate::db::{
    Conn,
    schema::{org_closure, orgs},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::{epoch, validate};
use crate::error::{Error, FieldErrors, Result};

/// Any constant, the same everywhere: the key of the advisory lock that
/// serialises changes to the shape of the tree on PostgreSQL.
const TREE_LOCK_KEY: i64 = 0x6361_6e6f_7079_0001;

/// Serialises changes to the tree's shape (moves, new orgs) until the end of
/// the transaction. On PostgreSQL two moves could otherwise each read
/// `org_closure` before the other re-links it and together make a cycle.
/// SQLite already runs one writer at a time (see `Db::write`): nothing to do.
pub(super) fn lock_tree(conn: &mut Conn) -> Result<()> {
    if let crate::db::AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({TREE_LOCK_KEY})")).execute(pg)?;
    }
    Ok(())
}

/// Keeps the tree's shape still until the end of the transaction while
/// letting other readers of it run: a project write that reads its tenant
/// (`domain::tenant`) cannot interleave with an org move re-tenanting its
/// projects. Nothing to do on SQLite (one writer at a time).
pub(crate) fn lock_tree_shared(conn: &mut Conn) -> Result<()> {
    if let crate::db::AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(format!(
            "SELECT pg_advisory_xact_lock_shared({TREE_LOCK_KEY})"
        ))
        .execute(pg)?;
    }
    Ok(())
}

/// True when `id` is `ancestor` or lies below it.
pub fn is_within(conn: &mut Conn, id: i64, ancestor: i64) -> Result<bool> {
    Ok(org_closure::table
        .find((ancestor, id))
        .select(org_closure::depth)
        .first::<i32>(conn)
        .optional()?
        .is_some())
}

/// Moves `id` and its whole subtree under `new_parent_id`.
pub fn move_to(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    new_parent_id: i64,
    version: Option<i64>,
) -> Result<Org> {
    // Taken before anything is read, so the cycle check sees committed moves.
    lock_tree(conn)?;
    let org = find(conn, id)?;
    check_version(&org, version)?;
    let Some(old_parent) = org.parent_id else {
        return Err(Error::conflict("The root organization cannot be moved."));
    };
    let new_parent = find(conn, new_parent_id)?;
    if is_within(conn, new_parent.id, id)? {
        return Err(Error::Conflict {
            message: "An organization cannot move under itself or one of its own descendants."
                .into(),
            details: Some(serde_json::json!({"reason": "cycle"})),
        });
    }
    if new_parent.id == old_parent {
        return Ok(org);
    }
    if is_frozen(conn, new_parent.id)? {
        return Err(Error::conflict(
            "An archived organization accepts no new organizations.",
        ));
    }
    let taken: Option<i64> = orgs::table
        .filter(orgs::parent_id.eq(new_parent.id))
        .filter(orgs::name_key.eq(validate::key(&org.name)))
        .select(orgs::id)
        .first(conn)
        .optional()?;
    if taken.is_some() {
        return Err(FieldErrors::single(
            "parent_id",
            "The new parent already has an organization with this name.",
        ));
    }
    // Project codes are unique per tenant: a subtree moving to another tenant
    // takes its projects along, and refuses when a code would clash there.
    let old_tenant = crate::domain::tenant::of(conn, id)?;
    let new_tenant = match new_parent.parent_id {
        None => id,
        Some(_) => crate::domain::tenant::of(conn, new_parent.id)?,
    };
    crate::domain::tenant::ensure_move_keeps_codes_unique(conn, id, old_tenant, new_tenant)?;
    touch(conn, &org)?;
    diesel::update(orgs::table.find(id))
        .set(orgs::parent_id.eq(Some(new_parent.id)))
        .execute(conn)?;
    // Re-link the closure: drop the subtree's links to its old ancestors, then
    // link every new ancestor to every subtree member.
    let subtree: Vec<(i64, i32)> = org_closure::table
        .filter(org_closure::ancestor_id.eq(id))
        .select((org_closure::descendant_id, org_closure::depth))
        .load(conn)?;
    let members: Vec<i64> = subtree.iter().map(|(d, _)| *d).collect();
    diesel::delete(
        org_closure::table
            .filter(org_closure::descendant_id.eq_any(&members))
            .filter(org_closure::ancestor_id.ne_all(&members)),
    )
    .execute(conn)?;
    let new_ancestors: Vec<(i64, i32)> = org_closure::table
        .filter(org_closure::descendant_id.eq(new_parent.id))
        .select((org_closure::ancestor_id, org_closure::depth))
        .load(conn)?;
    for (ancestor, a_depth) in &new_ancestors {
        for (member, m_depth) in &subtree {
            diesel::insert_into(org_closure::table)
                .values((
                    org_closure::ancestor_id.eq(ancestor),
                    org_closure::descendant_id.eq(member),
                    org_closure::depth.eq(a_depth + m_depth + 1),
                ))
                .execute(conn)?;
        }
    }
    if new_tenant != old_tenant {
        crate::domain::tenant::move_projects(conn, id, new_tenant)?;
    }
    crate::domain::seats::after_tree_move(conn, actor, id)?;
    epoch::bump_tree(conn)?;
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("org.moved", Target::Org, Some(id))
            .org(id)
            .before(serde_json::json!({"parent_id": old_parent}))
            .after(serde_json::json!({"parent_id": new_parent.id, "subtree_size": members.len()})),
    )?;
    Ok(after)
}
