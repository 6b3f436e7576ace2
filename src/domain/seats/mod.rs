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

/// Every pool of the tree and how it is spent.
pub(crate) struct Layout {
    pub pools: HashMap<i64, PoolUse>,
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

/// The pool a person at home in `org_id` draws a seat from, if any.
pub fn pool_for(conn: &mut Conn, org_id: i64) -> Result<Option<i64>> {
    let sizes = pool_sizes(conn)?;
    nearest_in(conn, &sizes, org_id)
}

/// How the pools `sizes` would be spent with the seats held today, each
/// counted in its holder's nearest pool.
pub(crate) fn layout(conn: &mut Conn, sizes: &HashMap<i64, i64>) -> Result<Layout> {
    let ids: Vec<i64> = sizes.keys().copied().collect();
    // (pool, org below or at it, depth): the nearest pool of an org is the
    // row of least depth.
    let rows: Vec<(i64, i64, i32)> = org_closure::table
        .filter(org_closure::ancestor_id.eq_any(&ids))
        .select((
            org_closure::ancestor_id,
            org_closure::descendant_id,
            org_closure::depth,
        ))
        .load(conn)?;
    let mut nearest: HashMap<i64, (i64, i32)> = HashMap::new();
    let mut above: HashMap<i64, (Option<i64>, i32)> =
        ids.iter().map(|id| (*id, (None, i32::MAX))).collect();
    for (pool, org, depth) in rows {
        let best = nearest.entry(org).or_insert((pool, depth));
        if depth < best.1 {
            *best = (pool, depth);
        }
        if depth > 0
            && let Some(slot) = above.get_mut(&org)
            && depth < slot.1
        {
            *slot = (Some(pool), depth);
        }
    }
    let mut pools: HashMap<i64, PoolUse> = sizes
        .iter()
        .map(|(org, size)| {
            (
                *org,
                PoolUse {
                    org_id: *org,
                    size: *size,
                    ..PoolUse::default()
                },
            )
        })
        .collect();
    let held: Vec<(i64, i64)> = seat_assignments::table
        .inner_join(users::table.on(users::id.eq(seat_assignments::user_id)))
        .group_by(users::org_id)
        .select((users::org_id, diesel::dsl::count_star()))
        .load(conn)?;
    for (home, n) in held {
        if let Some((pool, _)) = nearest.get(&home)
            && let Some(p) = pools.get_mut(pool)
        {
            p.used += n;
        }
    }
    // Each pool's size is a share of the pool just above it.
    for (pool, (up, _)) in &above {
        if let Some(up) = up
            && let Some(p) = pools.get_mut(up)
        {
            p.shares += sizes[pool];
        }
    }
    Ok(Layout { pools })
}

/// Refuses a layout where some pool gives out more than it holds: the
/// message names the pool and says what is over. `field` names the field
/// that caused it.
pub(crate) fn check_layout(conn: &mut Conn, layout: &Layout, field: &str) -> Result<()> {
    let mut over: Vec<&PoolUse> = layout.pools.values().filter(|p| p.free() < 0).collect();
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

/// Checks a change of `org_id`'s `seats` (`None`: no pool there any more)
/// against every pool, taking the seat lock first: the shares below a pool and
/// the seats it gives out may not exceed it.
pub fn check_change(conn: &mut Conn, org_id: i64, value: Option<i64>) -> Result<()> {
    lock(conn)?;
    let mut sizes = pool_sizes(conn)?;
    match value {
        Some(n) => sizes.insert(org_id, n),
        None => sizes.remove(&org_id),
    };
    let layout = layout(conn, &sizes)?;
    check_layout(conn, &layout, SETTING)
}

/// After the pools or the tree changed: every seat whose pool is no longer
/// its holder's nearest moves there (`carry`: the pools changed) or is
/// released (the tree changed, or no pool is left); audited either way.
/// `reason` says why in the audit entries.
pub fn follow_pools(conn: &mut Conn, actor: &Actor, reason: &str, carry: bool) -> Result<()> {
    lock(conn)?;
    let sizes = pool_sizes(conn)?;
    let held: Vec<(i64, i64, i64)> = seat_assignments::table
        .inner_join(users::table.on(users::id.eq(seat_assignments::user_id)))
        .select((
            seat_assignments::user_id,
            seat_assignments::pool_org_id,
            users::org_id,
        ))
        .load(conn)?;
    let mut nearest: HashMap<i64, Option<i64>> = HashMap::new();
    for (user_id, pool, home) in held {
        let now = match nearest.get(&home) {
            Some(n) => *n,
            None => {
                let n = nearest_in(conn, &sizes, home)?;
                nearest.insert(home, n);
                n
            }
        };
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

/// After a subtree moved: seats whose holders now draw from another pool are
/// released, and the move is refused (field `parent_id`) when a pool it
/// carries along would overdraw the pool it now sits under.
pub fn after_tree_move(conn: &mut Conn, actor: &Actor) -> Result<()> {
    follow_pools(conn, actor, "moved", false)?;
    let sizes = pool_sizes(conn)?;
    if sizes.is_empty() {
        return Ok(());
    }
    let layout = layout(conn, &sizes)?;
    check_layout(conn, &layout, "parent_id")
}
