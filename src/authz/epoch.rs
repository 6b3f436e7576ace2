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

crate::text_enum! {
    /// What one bump changed (`authz_changes.scope`).
    pub enum Scope {
        /// Orgs, privacy, archive state or roles: everyone's access may differ.
        Tree = "tree",
        /// One user's grants or status (`authz_changes.user_id`).
        User = "user",
    }
}

/// Orgs, privacy, archive state or roles changed: everyone's access may differ.
pub fn bump_tree(conn: &mut Conn) -> Result<()> {
    bump(conn, Scope::Tree, None)
}

/// One user's grants or status changed.
pub fn bump_user(conn: &mut Conn, user_id: i64) -> Result<()> {
    bump(conn, Scope::User, Some(user_id))
}

fn bump(conn: &mut Conn, scope: Scope, user_id: Option<i64>) -> Result<()> {
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
/// calls for a full rebuild, else the users whose access changed. A stored
/// scope outside `Scope` is an error, not a rebuild.
pub fn changes_since(conn: &mut Conn, epoch: i64) -> Result<Option<Vec<i64>>> {
    let rows: Vec<(i64, Scope, Option<i64>)> = authz_changes::table
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
        match (scope, user_id) {
            (Scope::User, Some(id)) => users.push(id),
            _ => return Ok(None),
        }
    }
    users.sort_unstable();
    users.dedup();
    Ok(Some(users))
}
