//! Giving and taking back seats: by hand, in bulk, automatically on a
//! person's first time entry, and the releases that follow moves and
//! deactivation.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::{Pools, lock};
use crate::authz::{Access, Permission};
use crate::db::{self, Conn, schema::seat_assignments};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::user::{self, User};
use crate::error::{Error, FieldErrors, Result};

crate::text_enum! {
    /// How a seat was given (`seat_assignments.how`).
    pub enum How {
        Hand = "hand",
        Bulk = "bulk",
        Automatic = "automatic",
        Import = "import",
    }
}

/// A person's seat.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = seat_assignments)]
pub struct Seat {
    pub user_id: i64,
    pub pool_org_id: i64,
    pub assigned_at: NaiveDateTime,
    pub assigned_by: Option<i64>,
    pub how: String,
}

/// The seat `user_id` holds, if any.
pub fn seat_of(conn: &mut Conn, user_id: i64) -> Result<Option<Seat>> {
    Ok(seat_assignments::table
        .find(user_id)
        .select(Seat::as_select())
        .first(conn)
        .optional()?)
}

/// Seats still free in `pool` (size less shares below and seats given out).
pub fn free_in(conn: &mut Conn, pool: i64) -> Result<i64> {
    Ok(Pools::load(conn)?
        .usage(conn, pool)?
        .map_or(0, |p| p.free()))
}

fn org_name(conn: &mut Conn, id: i64) -> Result<String> {
    Ok(crate::domain::org::find(conn, id)?.name)
}

/// The pools, read once under the lock, and the seats free in those a
/// change draws from, counted when first needed and kept up to date as seats
/// are given, so a bulk change counts each pool once.
struct Budget {
    pools: Pools,
    free: std::collections::HashMap<i64, i64>,
}

impl Budget {
    fn load(conn: &mut Conn) -> Result<Budget> {
        Ok(Budget {
            pools: Pools::load(conn)?,
            free: std::collections::HashMap::new(),
        })
    }

    /// The seats free in `pool`, counted the first time.
    fn free_mut(&mut self, conn: &mut Conn, pool: i64) -> Result<&mut i64> {
        if !self.free.contains_key(&pool) {
            let free = self.pools.usage(conn, pool)?.map_or(0, |p| p.free());
            self.free.insert(pool, free);
        }
        Ok(self.free.entry(pool).or_insert(0))
    }
}

/// Gives `person` a seat from their nearest pool, after taking the lock:
/// `Ok(None)` when they already hold one. Refused (field `seat`) when no pool
/// covers them, they are deactivated, or the pool has no seat left.
fn give(conn: &mut Conn, actor: &Actor, person: &User, how: How) -> Result<Option<Seat>> {
    lock(conn)?;
    let mut budget = Budget::load(conn)?;
    give_from(conn, actor, person, how, &mut budget)
}

/// [`give`] with the lock taken and the pools read.
fn give_from(
    conn: &mut Conn,
    actor: &Actor,
    person: &User,
    how: How,
    budget: &mut Budget,
) -> Result<Option<Seat>> {
    if seat_of(conn, person.id)?.is_some() {
        return Ok(None);
    }
    let Some(pool) = super::nearest_in(conn, &budget.pools.sizes, person.org_id)? else {
        return Err(FieldErrors::single(
            "seat",
            format!(
                "No seat pool covers {}'s organization: seats are not counted there.",
                person.display_name
            ),
        ));
    };
    if person.status() == crate::domain::user::UserStatus::Deactivated {
        return Err(FieldErrors::single(
            "seat",
            format!(
                "{} is deactivated: only active people hold seats.",
                person.display_name
            ),
        ));
    }
    let free = budget.free_mut(conn, pool)?;
    if *free <= 0 {
        return Err(FieldErrors::single(
            "seat",
            format!(
                "No seats are left in {}'s pool: unassign one, or ask an administrator above \
                 for more.",
                org_name(conn, pool)?
            ),
        ));
    }
    *free -= 1;
    diesel::insert_into(seat_assignments::table)
        .values((
            seat_assignments::user_id.eq(person.id),
            seat_assignments::pool_org_id.eq(pool),
            seat_assignments::assigned_at.eq(db::now()),
            seat_assignments::assigned_by.eq(actor.user_id),
            seat_assignments::how.eq(how.as_str()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("seat.assigned", Target::User, Some(person.id))
            .org(person.org_id)
            .after(json!({"pool_org_id": pool, "how": how.as_str()})),
    )?;
    seat_of(conn, person.id)
}

/// Takes back `user_id`'s seat from `pool` (audited with `reason`).
pub(crate) fn release(
    conn: &mut Conn,
    actor: &Actor,
    user_id: i64,
    pool: i64,
    reason: &str,
) -> Result<()> {
    diesel::delete(seat_assignments::table.find(user_id)).execute(conn)?;
    let home = user::find(conn, user_id)?.org_id;
    audit::record(
        conn,
        actor,
        Event::new("seat.unassigned", Target::User, Some(user_id))
            .org(home)
            .before(json!({"pool_org_id": pool}))
            .after(json!({"reason": reason})),
    )
}

/// The person `user_id` as someone who administers them sees them:
/// `user.manage` where they live (404 when not visible, else 403).
fn managed(conn: &mut Conn, access: &Access, user_id: i64) -> Result<User> {
    let person = user::find_visible(conn, access, user_id)?;
    access.require(Permission::UserManage, person.org_id)?;
    Ok(person)
}

/// The seat of a person one administers (`user.manage` over them).
pub fn seat_as(conn: &mut Conn, access: &Access, user_id: i64) -> Result<Option<Seat>> {
    let person = managed(conn, access, user_id)?;
    seat_of(conn, person.id)
}

/// Gives a person a seat by hand: `user.manage` over them. Holding one
/// already is no error (the seat they hold is returned).
pub fn assign_as(conn: &mut Conn, access: &Access, actor: &Actor, user_id: i64) -> Result<Seat> {
    give_as(conn, access, actor, user_id, How::Hand)?;
    seat_of(conn, user_id)?.ok_or_else(|| Error::internal("seat given but not found"))
}

/// Gives a person a seat (`user.manage` over them); true when they had none.
pub fn give_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    user_id: i64,
    how: How,
) -> Result<bool> {
    let person = managed(conn, access, user_id)?;
    Ok(give(conn, actor, &person, how)?.is_some())
}

/// Takes a person's seat back (`user.manage` over them); true when they held one.
pub fn take_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    user_id: i64,
    reason: &str,
) -> Result<bool> {
    let person = managed(conn, access, user_id)?;
    lock(conn)?;
    match seat_of(conn, person.id)? {
        Some(seat) => {
            release(conn, actor, person.id, seat.pool_org_id, reason)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Takes a person's seat back by hand: `user.manage` over them. Holding none
/// is no error.
pub fn unassign_as(conn: &mut Conn, access: &Access, actor: &Actor, user_id: i64) -> Result<()> {
    take_as(conn, access, actor, user_id, "by hand").map(|_| ())
}

/// What a bulk change did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BulkOutcome {
    pub assigned: usize,
    pub unassigned: usize,
    /// Asked for but already so (a seat held, or none to take back).
    pub unchanged: usize,
}

/// Assigns seats to `assign` and takes them back from `unassign`, all people
/// at home in `org_id`'s subtree: `user.manage` at `org_id` and over each of
/// them. All or nothing: one person out of reach, or too few seats for
/// everyone, changes nothing.
pub fn bulk_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    org_id: i64,
    assign: &[i64],
    unassign: &[i64],
) -> Result<BulkOutcome> {
    access.require(Permission::UserManage, org_id)?;
    let mut errors = FieldErrors::new();
    if assign.is_empty() && unassign.is_empty() {
        errors.add("users", "Choose at least one person.");
    }
    if assign.len() + unassign.len() > 1000 {
        errors.add("users", "Change at most 1000 people at a time.");
    }
    if let Some(both) = assign.iter().find(|id| unassign.contains(id)) {
        errors.add(
            "users",
            format!("Person {both} is both to assign and unassign."),
        );
    }
    errors.into_result()?;
    let mut errors = FieldErrors::new();
    let mut people = Vec::new();
    for (field, ids) in [("assign", assign), ("unassign", unassign)] {
        for id in ids {
            let reach = user::find_visible(conn, access, *id).ok().filter(|p| {
                access.can(Permission::UserManage, p.org_id)
                    && access.snapshot.tree().is_within(p.org_id, org_id)
            });
            match reach {
                Some(p) => people.push((field == "assign", p)),
                None => errors.add(
                    field,
                    format!("Person {id} is not someone here whose seat you manage."),
                ),
            }
        }
    }
    errors.into_result()?;
    lock(conn)?;
    let mut outcome = BulkOutcome::default();
    // Seats taken back first, so they can go to those given one.
    for (give_one, person) in &people {
        if !*give_one {
            match seat_of(conn, person.id)? {
                Some(seat) => {
                    release(conn, actor, person.id, seat.pool_org_id, "in bulk")?;
                    outcome.unassigned += 1;
                }
                None => outcome.unchanged += 1,
            }
        }
    }
    let mut budget = Budget::load(conn)?;
    for (give_one, person) in &people {
        if *give_one {
            match give_from(conn, actor, person, How::Bulk, &mut budget) {
                Ok(Some(_)) => outcome.assigned += 1,
                Ok(None) => outcome.unchanged += 1,
                Err(Error::Validation(e)) => {
                    let why = e
                        .get("seat")
                        .unwrap_or("No seat could be given.")
                        .to_string();
                    return Err(FieldErrors::single(
                        "assign",
                        format!("{}: {why} Nothing was changed.", person.display_name),
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(outcome)
}

/// Before `user` enters time: nothing to do where their chain has no pool or
/// they hold a seat; else a seat is given automatically while the pool has
/// one left, and time entry is refused when it has none.
pub fn ensure_for_entry(conn: &mut Conn, actor: &Actor, user: &User) -> Result<()> {
    if super::pool_for(conn, user.org_id)?.is_none() || seat_of(conn, user.id)?.is_some() {
        return Ok(());
    }
    match give(conn, actor, user, How::Automatic) {
        Ok(_) => Ok(()),
        Err(Error::Validation(_)) => Err(Error::Conflict {
            message: no_seat_message(conn, user)?,
            details: Some(json!({"reason": "no_seat"})),
        }),
        Err(e) => Err(e),
    }
}

fn no_seat_message(conn: &mut Conn, user: &User) -> Result<String> {
    let pool = super::pool_for(conn, user.org_id)?.unwrap_or(user.org_id);
    Ok(format!(
        "{} has no seat for timesheets, and none are left in {}'s pool: ask your \
         administrator for a seat. Time cannot be entered until then.",
        user.display_name,
        org_name(conn, pool)?
    ))
}

/// What the timesheet grid tells `user` before they type: why they cannot
/// enter time (no seat, and none left to give automatically).
pub fn entry_notice(conn: &mut Conn, user: &User) -> Result<Option<String>> {
    let Some(pool) = super::pool_for(conn, user.org_id)? else {
        return Ok(None);
    };
    if seat_of(conn, user.id)?.is_some() || free_in(conn, pool)? > 0 {
        return Ok(None);
    }
    Ok(Some(format!(
        "No seat for timesheets: every seat in {}'s pool is taken, so no time can be \
         entered here. Ask your administrator for a seat.",
        org_name(conn, pool)?
    )))
}

/// After `user_id` moved home: their seat stays when the new chain draws from
/// the same pool, and is released otherwise.
pub fn follow_home(conn: &mut Conn, actor: &Actor, user_id: i64, org_id: i64) -> Result<()> {
    let Some(seat) = seat_of(conn, user_id)? else {
        return Ok(());
    };
    lock(conn)?;
    if super::pool_for(conn, org_id)? != Some(seat.pool_org_id) {
        release(conn, actor, user_id, seat.pool_org_id, "moved")?;
    }
    Ok(())
}

/// A deactivated person's seat goes back to its pool.
pub fn on_deactivated(conn: &mut Conn, actor: &Actor, user_id: i64) -> Result<()> {
    if let Some(seat) = seat_of(conn, user_id)? {
        lock(conn)?;
        release(conn, actor, user_id, seat.pool_org_id, "deactivated")?;
    }
    Ok(())
}

/// A person's seat as their page shows it, where a pool covers them.
#[derive(Clone, Debug)]
pub struct SeatStatus {
    pub pool_org_id: i64,
    pub pool_name: String,
    pub seat: Option<Seat>,
    /// Seats still free in the pool.
    pub free: i64,
}

/// `user`'s seat status: `None` where no pool covers them.
pub fn status_of(conn: &mut Conn, user: &User) -> Result<Option<SeatStatus>> {
    let Some(pool) = super::pool_for(conn, user.org_id)? else {
        return Ok(None);
    };
    Ok(Some(SeatStatus {
        pool_org_id: pool,
        pool_name: org_name(conn, pool)?,
        seat: seat_of(conn, user.id)?,
        free: free_in(conn, pool)?,
    }))
}
