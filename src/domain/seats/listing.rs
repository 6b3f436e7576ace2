//! What an org's seats look like: its pool (or the one it draws from), the
//! shares below it, and the people of its subtree with their seat status.

use diesel::prelude::*;
use serde::Serialize;

use super::{PoolUse, Pools, Seat};
use crate::authz::{Access, Permission};
use crate::db::{
    Conn,
    schema::{org_closure, orgs, seat_assignments, users},
};
use crate::domain::org::subtree_ids;
use crate::domain::user::User;
use crate::error::Result;

/// A pool as the overview and the API show it.
#[derive(Clone, Debug, Serialize)]
pub struct PoolView {
    pub org_id: i64,
    pub name: String,
    pub size: i64,
    pub shares: i64,
    pub used: i64,
    pub free: i64,
}

impl PoolView {
    fn of(conn: &mut Conn, p: &PoolUse) -> Result<PoolView> {
        let name = orgs::table.find(p.org_id).select(orgs::name).first(conn)?;
        Ok(PoolView {
            org_id: p.org_id,
            name,
            size: p.size,
            shares: p.shares,
            used: p.used,
            free: p.free(),
        })
    }
}

/// An org's seats: the pool its people draw from (its own or an ancestor's;
/// `None` where seats are not counted), the pools inside its subtree, and how
/// many of its subtree's people the viewer sees hold a seat. The pools'
/// figures are whole (what each pool spends, behind privacy borders too); the
/// people counted are those the viewer may see, as the Seats tab lists them.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub org_id: i64,
    pub pool: Option<PoolView>,
    /// True when the org holds the pool itself.
    pub own_pool: bool,
    /// Pools below the org (shares), nearest first.
    pub shares: Vec<PoolView>,
    /// People at home in the subtree whom the viewer may see, and how many of
    /// them hold a seat.
    pub people: i64,
    pub seated: i64,
}

impl Summary {
    /// `None` where no pool covers the org or lies below it.
    pub fn into_counted(self) -> Option<Summary> {
        (self.pool.is_some() || !self.shares.is_empty()).then_some(self)
    }
}

/// The seats of `org_id`: `user.manage` there (404 when not visible, else 403).
pub fn summary_as(conn: &mut Conn, access: &Access, org_id: i64) -> Result<Summary> {
    access.require(Permission::UserManage, org_id)?;
    summary(conn, access, org_id)
}

/// True when `access` may see `org_id`'s seats.
pub fn may_view(access: &Access, org_id: i64) -> bool {
    access.can(Permission::UserManage, org_id)
}

/// The seats of `org_id` as `access` sees them (the caller has checked that
/// they may): the pools read from the pools alone, the people counted among
/// those they see.
pub fn summary(conn: &mut Conn, access: &Access, org_id: i64) -> Result<Summary> {
    let pools = Pools::load(conn)?;
    let pool_id = super::nearest_in(conn, &pools.sizes, org_id)?;
    let pool = match pool_id {
        Some(id) => match pools.usage(conn, id)? {
            Some(p) => Some(PoolView::of(conn, &p)?),
            None => None,
        },
        None => None,
    };
    let ids: Vec<i64> = pools.sizes.keys().copied().collect();
    let mut below: Vec<(i64, i32)> = Vec::new();
    for chunk in ids.chunks(500) {
        below.extend(
            org_closure::table
                .filter(org_closure::ancestor_id.eq(org_id))
                .filter(org_closure::depth.gt(0))
                .filter(org_closure::descendant_id.eq_any(chunk))
                .select((org_closure::descendant_id, org_closure::depth))
                .load::<(i64, i32)>(conn)?,
        );
    }
    below.sort_by_key(|(id, depth)| (*depth, *id));
    let mut shares = Vec::new();
    for (id, _) in below {
        if let Some(p) = pools.usage(conn, id)? {
            shares.push(PoolView::of(conn, &p)?);
        }
    }
    let here = || {
        crate::domain::user::visible_query(access)
            .filter(users::org_id.eq_any(subtree_ids(vec![org_id])))
    };
    let people: i64 = here().count().get_result(conn)?;
    let seated: i64 = here()
        .filter(users::id.eq_any(seat_assignments::table.select(seat_assignments::user_id)))
        .count()
        .get_result(conn)?;
    Ok(Summary {
        org_id,
        own_pool: pool_id == Some(org_id),
        pool,
        shares,
        people,
        seated,
    })
}

/// A person with the seat they hold, if any.
pub type Seated = (User, Option<Seat>);

/// One page of the people at home in `org_id`'s subtree whom `access` may
/// see, by name, each with their seat; and the number of all of them.
pub fn people_page(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Seated>, i64)> {
    access.require(Permission::UserManage, org_id)?;
    let build = || {
        crate::domain::user::visible_query(access)
            .filter(users::org_id.eq_any(subtree_ids(vec![org_id])))
    };
    let total: i64 = build().count().get_result(conn)?;
    let rows: Vec<User> = build()
        .order((users::display_name, users::id))
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let seats: Vec<Seat> = seat_assignments::table
        .filter(seat_assignments::user_id.eq_any(&ids))
        .select(Seat::as_select())
        .load(conn)?;
    Ok((
        rows.into_iter()
            .map(|u| {
                let seat = seats.iter().find(|s| s.user_id == u.id).cloned();
                (u, seat)
            })
            .collect(),
        total,
    ))
}
