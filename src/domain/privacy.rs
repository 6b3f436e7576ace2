//! Privacy mode's safety catch: who keeps access to an org from inside its
//! border once privacy mode is on. Turning it on with nobody left to turn it
//! off again is refused here, for the page and the API alike
//! (`org::set_privacy` asks [`require_keepers`]).

use diesel::prelude::*;
use serde::Serialize;

use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn,
    schema::{grants, group_members, groups, users},
};
use crate::domain::grant::{Grant, live_at};
use crate::domain::role;
use crate::error::{FieldErrors, Result};

/// Someone who holds `org.settings` at the org through a grant made there
/// (inside the border), and so can turn privacy mode off again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Keeper {
    /// "user" or "group".
    pub kind: &'static str,
    pub id: i64,
    pub name: String,
    pub role: String,
}

/// The people and groups that keep `org.settings` at `org_id` when privacy
/// mode is on: live grants made at the org itself (grants made below it never
/// reach it, grants above stop at the border) whose role carries
/// `org.settings`, to an account that is not deactivated or a group with
/// such a member.
pub fn keepers(conn: &mut Conn, org_id: i64) -> Result<Vec<Keeper>> {
    let here: Vec<Grant> = grants::table
        .filter(grants::org_id.eq(org_id))
        .filter(live_at(db::now()))
        .select(Grant::as_select())
        .order(grants::id)
        .load(conn)?;
    let mut out = Vec::new();
    for g in here {
        let role = role::find(conn, g.role_id)?;
        if !role.permission_set().contains(Permission::OrgSettings) {
            continue;
        }
        let keeper = match (g.user_id, g.group_id) {
            (Some(u), _) => users::table
                .find(u)
                .filter(users::status.ne("deactivated"))
                .select((users::id, users::display_name))
                .first::<(i64, String)>(conn)
                .optional()?
                .map(|(id, name)| Keeper {
                    kind: "user",
                    id,
                    name,
                    role: role.name.clone(),
                }),
            (None, Some(gid)) => {
                let active: i64 = group_members::table
                    .inner_join(users::table.on(users::id.eq(group_members::user_id)))
                    .filter(group_members::group_id.eq(gid))
                    .filter(users::status.ne("deactivated"))
                    .count()
                    .get_result(conn)?;
                if active == 0 {
                    None
                } else {
                    let name: String = groups::table.find(gid).select(groups::name).first(conn)?;
                    Some(Keeper {
                        kind: "group",
                        id: gid,
                        name,
                        role: role.name.clone(),
                    })
                }
            }
            (None, None) => None,
        };
        if let Some(k) = keeper
            && !out
                .iter()
                .any(|o: &Keeper| o.kind == k.kind && o.id == k.id)
        {
            out.push(k);
        }
    }
    Ok(out)
}

/// The reason privacy mode cannot be turned on, page and API alike.
pub const NO_KEEPER: &str = "Nobody would keep access from inside: no grant made at this \
    organization gives org.settings here, so with privacy mode on nobody could manage it or \
    turn privacy mode off again. Grant someone (not only people above) a role with \
    org.settings here first.";

/// Refuses (422, on `privacy_mode`) to turn privacy mode on at `org_id` when
/// nobody inside its border would hold `org.settings` there.
pub fn require_keepers(conn: &mut Conn, org_id: i64) -> Result<Vec<Keeper>> {
    let found = keepers(conn, org_id)?;
    if found.is_empty() {
        return Err(FieldErrors::single("privacy_mode", NO_KEEPER));
    }
    Ok(found)
}

/// The keepers as the viewer may read them: named when the viewer may see
/// the people (`user.view`) or groups (`group.view`) at the org, else only
/// counted.
pub fn describe_for(access: &Access, org_id: i64, all: &[Keeper]) -> (Vec<Keeper>, usize) {
    let mut named = Vec::new();
    let mut unnamed = 0;
    for k in all {
        let sees = match k.kind {
            "user" => k.id == access.user_id || access.can(Permission::UserView, org_id),
            _ => access.can(Permission::GroupView, org_id),
        };
        if sees {
            named.push(k.clone());
        } else {
            unnamed += 1;
        }
    }
    (named, unnamed)
}
