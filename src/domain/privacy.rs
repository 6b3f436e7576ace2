//! Privacy mode's safety catch: who keeps access to an org from inside its
//! border once privacy mode is on. Turning it on with nobody left to turn it
//! off again is refused here, for the page and the API alike
//! (`org::set_privacy` asks [`require_keepers`]).

use chrono::NaiveDateTime;
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

/// When privacy mode was last switched on at `org_id`, from the audit log
/// (`org.privacy_changed` to on); `None` when no entry says (switched on by
/// other means: then it counts as always).
pub fn switched_on_at(conn: &mut Conn, org_id: i64) -> Result<Option<NaiveDateTime>> {
    use crate::db::schema::audit_log;
    let rows: Vec<(NaiveDateTime, Option<String>)> = audit_log::table
        .filter(audit_log::target_type.eq(crate::domain::audit::Target::Org))
        .filter(audit_log::target_id.eq(org_id))
        .filter(audit_log::action.eq("org.privacy_changed"))
        .order(audit_log::id.desc())
        .select((audit_log::at, audit_log::after_json))
        .load(conn)?;
    Ok(rows.into_iter().find_map(|(at, after)| {
        let on = after
            .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
            .and_then(|v| v.get("privacy_mode").and_then(serde_json::Value::as_bool));
        (on == Some(true)).then_some(at)
    }))
}

/// Of `orgs`, those behind a privacy border the person is outside of
/// (`Access::outside_border_of`), each with the time that border went up:
/// rows about them written before it are hidden at read time (notifications,
/// one's own activity). Rows written since were written under the border's
/// rules and stay.
pub fn hidden_before(
    conn: &mut Conn,
    access: &Access,
    orgs: &[i64],
) -> Result<Vec<(i64, NaiveDateTime)>> {
    let mut since_of: std::collections::HashMap<i64, NaiveDateTime> = Default::default();
    let mut out = Vec::new();
    for &org in orgs {
        let Some(border) = access.outside_border_of(org) else {
            continue;
        };
        let since = match since_of.get(&border) {
            Some(s) => *s,
            None => {
                // No record of when: hide everything written so far.
                let s = match switched_on_at(conn, border)? {
                    Some(s) => s,
                    None => chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .unwrap_or_default(),
                };
                since_of.insert(border, s);
                s
            }
        };
        out.push((org, since));
    }
    Ok(out)
}
