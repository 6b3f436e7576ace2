//! Grants: a role given to a user at an org (and, with later areas, to groups and
//! at projects). Every change bumps the holder's access epoch in the same
//! transaction, so it holds at the next request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::{Conn, schema::grants};
use crate::error::Result;

mod reads;
mod rules;
mod writes;

pub use reads::*;
pub use rules::*;
pub use writes::*;

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = grants)]
pub struct Grant {
    pub id: i64,
    pub role_id: i64,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub org_id: Option<i64>,
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub granted_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A grant with the names people read.
#[derive(Clone, Debug, Serialize)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub role: String,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub group_name: Option<String>,
    pub org_name: Option<String>,
}

impl Grant {
    /// True while the grant counts: no expiry, or one still ahead of `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }

    /// The org the grant is decided at: its own, or its project's.
    pub fn decided_at(&self, snapshot: &crate::authz::Snapshot) -> Option<i64> {
        self.org_id
            .or_else(|| self.project_id.and_then(|p| snapshot.project_org(p)))
    }
}

impl GrantView {
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        !self.grant.is_live(now)
    }
}

/// The SQL side of [`Grant::is_live`]: grants with no expiry or one after `now`.
pub fn live_at(
    now: NaiveDateTime,
) -> diesel::dsl::Or<
    diesel::dsl::IsNull<grants::expires_at>,
    diesel::dsl::Gt<grants::expires_at, NaiveDateTime>,
> {
    grants::expires_at.is_null().or(grants::expires_at.gt(now))
}

/// Every grant `user_id` holds, live or not: made to them, or to a group they
/// belong to.
pub fn held_by(conn: &mut Conn, user_id: i64) -> Result<Vec<Grant>> {
    use crate::db::schema::group_members;
    let their_groups = group_members::table
        .filter(group_members::user_id.eq(user_id))
        .select(group_members::group_id.nullable());
    Ok(grants::table
        .filter(
            grants::user_id
                .eq(user_id)
                .or(grants::group_id.eq_any(their_groups)),
        )
        .select(Grant::as_select())
        .order(grants::id)
        .load(conn)?)
}

/// Who receives a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    User(i64),
    Group(i64),
}

/// A validated request to grant a role at an org.
#[derive(Clone, Debug)]
pub struct NewGrant {
    pub role_id: i64,
    pub holder: Holder,
    /// The org the grant is made at, or — with `project_id` — the project's org.
    pub org_id: i64,
    /// A grant at this project only (`descendants` is then meaningless).
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Grant> {
    Ok(grants::table
        .find(id)
        .select(Grant::as_select())
        .first(conn)?)
}
