//! The installation-wide `authz_epoch`: bumped in every transaction that changes
//! who may do what, read at every request, so a change holds at the very next
//! request on every app instance. Each bump also says what changed — the whole
//! tree, or one user's access — so instances can patch their snapshot.

use diesel::prelude::*;

use crate::db::{
    self, Conn,
    schema::{app_state, authz_changes},
};
use crate::error::Result;

pub const SCOPE_TREE: &str = "tree";
pub const SCOPE_USER: &str = "user";

/// Orgs, privacy, archive state or roles changed: everyone's access may differ.
pub fn bump_tree(conn: &mut Conn) -> Result<()> {
    bump(conn, SCOPE_TREE, None)
}

/// One user's grants or status changed.
pub fn bump_user(conn: &mut Conn, user_id: i64) -> Result<()> {
    bump(conn, SCOPE_USER, Some(user_id))
}

fn bump(conn: &mut Conn, scope: &str, user_id: Option<i64>) -> Result<()> {
    diesel::update(app_state::table.find(1))
        .set(app_state::authz_epoch.eq(app_state::authz_epoch + 1))
        .execute(conn)?;
    let epoch = authz(conn)?;
    diesel::insert_into(authz_changes::table)
        .values((
            authz_changes::epoch.eq(epoch),
            authz_changes::scope.eq(scope),
            authz_changes::user_id.eq(user_id),
            authz_changes::at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn authz(conn: &mut Conn) -> Result<i64> {
    Ok(app_state::table
        .find(1)
        .select(app_state::authz_epoch)
        .first(conn)?)
}

/// What changed after `epoch`: `None` when a tree change (or a gap in the log)
/// calls for a full rebuild, else the users whose access changed.
pub fn changes_since(conn: &mut Conn, epoch: i64) -> Result<Option<Vec<i64>>> {
    let rows: Vec<(i64, String, Option<i64>)> = authz_changes::table
        .filter(authz_changes::epoch.gt(epoch))
        .select((
            authz_changes::epoch,
            authz_changes::scope,
            authz_changes::user_id,
        ))
        .order(authz_changes::epoch)
        .load(conn)?;
    if rows.first().is_none_or(|(first, _, _)| *first != epoch + 1) {
        return Ok(None);
    }
    let mut users = Vec::new();
    for (_, scope, user_id) in rows {
        match (scope.as_str(), user_id) {
            (SCOPE_USER, Some(id)) => users.push(id),
            _ => return Ok(None),
        }
    }
    users.sort_unstable();
    users.dedup();
    Ok(Some(users))
}
