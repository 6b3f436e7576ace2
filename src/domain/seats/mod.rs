//! Seat licences for timesheets. An org that sets `seats` (a setting set from
//! above: only `org.settings` at its parent may change it) holds a pool of
//! that many seats. A pool below another pool is a share carved out of it: the
//! shares of the pools just below a pool plus the seats it gives out directly
//! never exceed its size. A person's seat comes from the nearest pool on their
//! home org's chain (their home org included); where the chain has no pool,
//! seats are not counted and time entry is free.
//!
//! A seat stays with its pool only while that pool is the person's nearest
//! one: a change of pools (a share carved out below, a pool removed) moves it
//! to the new nearest pool (refused when that would overdraw a pool), while
//! moving the person or their org to a chain with another pool releases it
//! (the admins there decide who gets their seats), as does deactivating them. Every seat write
//! takes one lock ([`lock`]), so two "last seat" assignments cannot both win.

mod assign;
mod listing;

pub use assign::*;
pub use listing::*;

use std::collections::HashMap;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::db::{
    Conn,
    schema::{org_closure, org_settings, orgs, seat_assignments, users},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::error::{FieldErrors, Result};

/// The setting whose value makes an org a pool.
pub const SETTING: &str = "seats";

/// The most seats one pool may hold.
pub const MAX: i64 = 1_000_000;

/// Any constant, the same everywhere: the key of the advisory lock that
/// serialises seat writes on PostgreSQL.
const SEATS_LOCK_KEY: i64 = 0x6361_6e6f_7079_0005;

/// Serialises seat writes until the end of the transaction: the count of
/// free seats a write reads stays true until it commits. SQLite already runs
/// one writer at a time (`BEGIN IMMEDIATE`, see `Db::write`).
pub fn lock(conn: &mut Conn) -> Result<()> {
    if let crate::db::AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SEATS_LOCK_KEY})")).execute(pg)?;
    }
    Ok(())
}

/// Parses a `seats` value: a whole number from 0 to [`MAX`].
pub fn parse_setting(
    _: &mut Conn,
    _: i64,
    v: &serde_json::Value,
) -> std::result::Result<serde_json::Value, String> {
    let n = match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    match n {
        Some(n) if (0..=MAX).contains(&n) => Ok(json!(n)),
        _ => Err(format!(
            "Enter a whole number of seats from 0 to {MAX}, or revert to inherit for no pool here."
        )),
    }
}

/// How one pool's seats are spent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PoolUse {
    pub org_id: i64,
    pub size: i64,
    /// Seats carved out for the pools just below.
    pub shares: i64,
    /// Seats given out directly from this pool.
    pub used: i64,
}

impl PoolUse {
    pub fn free(&self) -> i64 {
        self.size - self.shares - self.used
    }
}

/// Ids per statement (both backends limit bound parameters).
const CHUNK: usize = 500;

/// The pools (today's, or as a change would leave them): each one's size and
/// the nearest pool above it. Pools are few: this reads the `seats` settings
/// and the chains above those orgs, never a subtree.
pub(crate) struct Pools {
    pub sizes: HashMap<i64, i64>,
    above: HashMap<i64, Option<i64>>,
}

impl Pools {
    /// The pools set today.
    pub(crate) fn load(conn: &mut Conn) -> Result<Pools> {
        let sizes = pool_sizes(conn)?;
        Pools::of(conn, sizes)
    }

    /// The pools `sizes`, each with the nearest of them above it.
    pub(crate) fn of(conn: &mut Conn, sizes: HashMap<i64, i64>) -> Result<Pools> {
        let ids: Vec<i64> = sizes.keys().copied().collect();
        let mut above: HashMap<i64, (Option<i64>, i32)> =
            ids.iter().map(|id| (*id, (None, i32::MAX))).collect();
        for chunk in ids.chunks(CHUNK) {
            let rows: Vec<(i64, i64, i32)> = org_closure::table
                .filter(org_closure::descendant_id.eq_any(chunk))
                .filter(org_closure::depth.gt(0))
                .select((
                    org_closure::descendant_id,
                    org_closure::ancestor_id,
                    org_closure::depth,
                ))
                .load(conn)?;
            for (pool, up, depth) in rows {
                if sizes.contains_key(&up)
                    && let Some(slot) = above.get_mut(&pool)
                    && depth < slot.1
                {
                    *slot = (Some(up), depth);
                }
            }
        }
        Ok(Pools {
            sizes,
            above: above.into_iter().map(|(k, (up, _))| (k, up)).collect(),
        })
    }

    /// The seats carved out of `pool` for the pools just below it.
    pub(crate) fn shares(&self, pool: i64) -> i64 {
        self.above
            .iter()
            .filter(|(_, up)| **up == Some(pool))
            .map(|(below, _)| self.sizes[below])
            .sum()
    }

    /// How `pool` is spent, with the seats held today (`None`: not a pool).
    /// A seat is recorded with its holder's nearest pool, so its seats given
    /// out are one indexed count.
    pub(crate) fn usage(&self, conn: &mut Conn, pool: i64) -> Result<Option<PoolUse>> {
        let Some(size) = self.sizes.get(&pool) else {
            return Ok(None);
        };
        Ok(Some(PoolUse {
            org_id: pool,
            size: *size,
            shares: self.shares(pool),
            used: held_from(conn, pool)?,
        }))
    }
}

/// The pools set today: org id → size.
pub(crate) fn pool_sizes(conn: &mut Conn) -> Result<HashMap<i64, i64>> {
    let rows: Vec<(i64, String)> = org_settings::table
        .filter(org_settings::key.eq(SETTING))
        .select((org_settings::org_id, org_settings::value))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(org, raw)| {
            serde_json::from_str::<serde_json::Value>(&raw)
                .ok()
                .and_then(|v| v.as_i64())
                .map(|n| (org, n))
        })
        .collect())
}

/// The nearest pool on `org_id`'s chain (the org itself included) among `sizes`.
pub(crate) fn nearest_in(
    conn: &mut Conn,
    sizes: &HashMap<i64, i64>,
    org_id: i64,
) -> Result<Option<i64>> {
    let chain: Vec<i64> = org_closure::table
        .filter(org_closure::descendant_id.eq(org_id))
        .order(org_closure::depth.asc())
        .select(org_closure::ancestor_id)
        .load(conn)?;
    Ok(chain.into_iter().find(|a| sizes.contains_key(a)))
}

/// The nearest pool strictly above `org_id` among `sizes`.
fn pool_above(conn: &mut Conn, sizes: &HashMap<i64, i64>, org_id: i64) -> Result<Option<i64>> {
    let chain: Vec<i64> = org_closure::table
        .filter(org_closure::descendant_id.eq(org_id))
        .filter(org_closure::depth.gt(0))
        .order(org_closure::depth.asc())
        .select(org_closure::ancestor_id)
        .load(conn)?;
    Ok(chain.into_iter().find(|a| sizes.contains_key(a)))
}

/// The nearest pool among `sizes` of each of `homes` (their chains read in
/// chunks; a home no pool covers is absent).
fn nearest_of_many(
    conn: &mut Conn,
    sizes: &HashMap<i64, i64>,
    homes: &[i64],
) -> Result<HashMap<i64, i64>> {
    let mut best: HashMap<i64, (i64, i32)> = HashMap::new();
    for chunk in homes.chunks(CHUNK) {
        let rows: Vec<(i64, i64, i32)> = org_closure::table
            .filter(org_closure::descendant_id.eq_any(chunk))
            .select((
                org_closure::descendant_id,
                org_closure::ancestor_id,
                org_closure::depth,
            ))
            .load(conn)?;
        for (home, pool, depth) in rows {
            if !sizes.contains_key(&pool) {
                continue;
            }
            let slot = best.entry(home).or_insert((pool, depth));
            if depth < slot.1 {
                *slot = (pool, depth);
            }
        }
    }
    Ok(best.into_iter().map(|(h, (p, _))| (h, p)).collect())
}

/// The pool a person at home in `org_id` draws a seat from, if any.
pub fn pool_for(conn: &mut Conn, org_id: i64) -> Result<Option<i64>> {
    let sizes = pool_sizes(conn)?;
    nearest_in(conn, &sizes, org_id)
}

/// Seats given out from `pool` (recorded with it).
fn held_from(conn: &mut Conn, pool: i64) -> Result<i64> {
    Ok(seat_assignments::table
        .filter(seat_assignments::pool_org_id.eq(pool))
        .count()
        .get_result(conn)?)
}

/// Seats given out from `pool` to people at home in `org_id`'s subtree.
fn held_from_under(conn: &mut Conn, pool: i64, org_id: i64) -> Result<i64> {
    Ok(seat_assignments::table
        .inner_join(users::table.on(users::id.eq(seat_assignments::user_id)))
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
        .filter(org_closure::ancestor_id.eq(org_id))
        .filter(seat_assignments::pool_org_id.eq(pool))
        .count()
        .get_result(conn)?)
}

/// Refuses when one of `pools` gives out more than it holds: the message
/// names the pool and says what is over. `field` names the field that
/// caused it.
pub(crate) fn check_pools(conn: &mut Conn, pools: &[PoolUse], field: &str) -> Result<()> {
    let mut over: Vec<&PoolUse> = pools.iter().filter(|p| p.free() < 0).collect();
    over.sort_by_key(|p| p.org_id);
    if let Some(p) = over.first() {
        let name: String = orgs::table.find(p.org_id).select(orgs::name).first(conn)?;
        return Err(FieldErrors::single(
            field,
            format!(
                "{name}'s pool holds {} seats, but {} would be in use there ({} given to \
                 people, {} shared out below): unassign seats or give it more first.",
                p.size,
                p.shares + p.used,
                p.used,
                p.shares
            ),
        ));
    }
    Ok(())
}

/// Checks a change of `org_id`'s `seats` (`None`: no pool there any more),
/// taking the seat lock first: the shares below a pool and the seats it gives
/// out may not exceed it. Only two pools can change: `org_id`'s own (its
/// shares are the pools just below it; when it is new, the seats of people
/// below it held from the pool above come to it) and the pool just above it
/// (its share grows or shrinks; when `org_id`'s pool goes, its seats and
/// shares go up there).
pub fn check_change(conn: &mut Conn, org_id: i64, value: Option<i64>) -> Result<()> {
    lock(conn)?;
    let mut sizes = pool_sizes(conn)?;
    let was = sizes.contains_key(&org_id);
    let up = pool_above(conn, &sizes, org_id)?;
    match value {
        Some(n) => sizes.insert(org_id, n),
        None => sizes.remove(&org_id),
    };
    let next = Pools::of(conn, sizes)?;
    // Seats that would change pool: down to a new pool from the one above,
    // or up from a pool that goes.
    let down = match (was, value, up) {
        (false, Some(_), Some(up)) => held_from_under(conn, up, org_id)?,
        _ => 0,
    };
    let lifted = match (was, value) {
        (true, None) => held_from(conn, org_id)?,
        _ => 0,
    };
    let mut checked = Vec::new();
    if let Some(size) = value {
        checked.push(PoolUse {
            org_id,
            size,
            shares: next.shares(org_id),
            used: held_from(conn, org_id)? + down,
        });
    }
    if let Some(up) = up {
        checked.push(PoolUse {
            org_id: up,
            size: next.sizes[&up],
            shares: next.shares(up),
            used: held_from(conn, up)? - down + lifted,
        });
    }
    check_pools(conn, &checked, SETTING)
}

/// After the pools or the tree changed at `org_id`: every seat held by
/// someone at home in its subtree whose pool is no longer their nearest
/// moves there (`carry`: the pools changed) or is released (the tree
/// changed, or no pool is left); audited either way. `reason` says why in
/// the audit entries. Seats outside the subtree keep their pool: a change at
/// `org_id` changes no one else's nearest pool.
pub fn follow_pools(
    conn: &mut Conn,
    actor: &Actor,
    org_id: i64,
    reason: &str,
    carry: bool,
) -> Result<()> {
    lock(conn)?;
    let sizes = pool_sizes(conn)?;
    let held: Vec<(i64, i64, i64)> = seat_assignments::table
        .inner_join(users::table.on(users::id.eq(seat_assignments::user_id)))
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
        .filter(org_closure::ancestor_id.eq(org_id))
        .order(seat_assignments::user_id)
        .select((
            seat_assignments::user_id,
            seat_assignments::pool_org_id,
            users::org_id,
        ))
        .load(conn)?;
    let mut homes: Vec<i64> = held.iter().map(|(_, _, home)| *home).collect();
    homes.sort_unstable();
    homes.dedup();
    let nearest = nearest_of_many(conn, &sizes, &homes)?;
    for (user_id, pool, home) in held {
        let now = nearest.get(&home).copied();
        if now == Some(pool) {
            continue;
        }
        match now {
            Some(to) if carry => {
                diesel::update(seat_assignments::table.find(user_id))
                    .set(seat_assignments::pool_org_id.eq(to))
                    .execute(conn)?;
                audit::record(
                    conn,
                    actor,
                    Event::new("seat.moved", Target::User, Some(user_id))
                        .org(home)
                        .before(json!({"pool_org_id": pool}))
                        .after(json!({"pool_org_id": to, "reason": reason})),
                )?;
            }
            _ => assign::release(conn, actor, user_id, pool, reason)?,
        }
    }
    Ok(())
}

/// After the subtree of `moved` moved: seats whose holders now draw from
/// another pool are released, and the move is refused (field `parent_id`)
/// when the pools it carries along would overdraw the pool it now sits under
/// (the only pool whose figures grow: seats kept are those of the same pool).
pub fn after_tree_move(conn: &mut Conn, actor: &Actor, moved: i64) -> Result<()> {
    follow_pools(conn, actor, moved, "moved", false)?;
    let pools = Pools::load(conn)?;
    let Some(up) = pool_above(conn, &pools.sizes, moved)? else {
        return Ok(());
    };
    let checked: Vec<PoolUse> = pools.usage(conn, up)?.into_iter().collect();
    check_pools(conn, &checked, "parent_id")
}
