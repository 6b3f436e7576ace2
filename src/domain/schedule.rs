//! Work `canopy serve` does by itself, on a tick: the missing-timesheet
//! reminders on each org's reminder day, from the configured hour on; keeping
//! the missing-timesheets report's list up (`report::missing`); and pruning
//! what can no longer be used (expired sessions and links, old authz change
//! records).
//!
//! Every instance ticks. A job runs where its lease was taken: one statement
//! moves the lease's `until` forward only if it has passed (and, for a daily
//! job, only if it has not finished today), so of several instances on one
//! database exactly one takes it; PostgreSQL re-checks the condition on the row
//! a concurrent taker just wrote, SQLite has one writer at a time. A job that
//! dies holding its lease is taken up by any instance once the lease runs out;
//! reminders are idempotent per person and week, so the second run sends only
//! what the first did not.

use chrono::{Duration, NaiveDate, NaiveDateTime, Timelike};
use diesel::prelude::*;

use crate::db::schema::{authz_changes, job_leases, user_tokens};
use crate::db::{Conn, Db};
use crate::domain::audit::Actor;
use crate::domain::session::{self, Lifetimes};
use crate::error::Result;

/// How often an instance looks for due work.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a lease holds before another instance may take the job over.
const LEASE: Duration = Duration::minutes(10);

/// Links (set-up, reset, invitation) are kept this long after they expired, so
/// that following an old one still says "expired" for a while.
const LINK_GRACE: Duration = Duration::days(7);

/// Authz change records older than this are dropped. Instances read the ones
/// after their own epoch at every request; an instance further behind than
/// that finds a gap and rebuilds its snapshot whole.
const CHANGES_KEPT: Duration = Duration::days(1);

/// Pruning runs at most once this often.
const PRUNE_EVERY: Duration = Duration::hours(1);

/// What the schedule does, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// The hour (UTC, 0–23) from which the day's reminders go out; `None`
    /// leaves reminders to `canopy remind`.
    pub remind_hour: Option<u32>,
    pub sessions: Lifetimes,
}

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ticked {
    /// Reminders sent, when this instance ran the day's reminders.
    pub reminded: Option<usize>,
    /// Rows pruned, when this instance pruned.
    pub pruned: Option<usize>,
    /// What was done to the kept missing timesheets, when this instance
    /// kept them up.
    pub kept: Option<crate::domain::report::missing::Kept>,
}

/// One look for due work at `now`, as the instance `holder`.
pub fn tick(db: &Db, plan: &Plan, holder: &str, now: NaiveDateTime) -> Result<Ticked> {
    let today = now.date();
    let mut ticked = Ticked::default();
    if plan.remind_hour.is_some_and(|hour| now.hour() >= hour)
        && db.write_sync(|c| take(c, "reminders", holder, now, Some(today)))?
    {
        let sent = crate::domain::timesheet::remind_due(db, &Actor::system(), today)?;
        db.write_sync(|c| finish(c, "reminders", holder, now, Some(today)))?;
        ticked.reminded = Some(sent);
    }
    // The kept list of missing timesheets: extended each day, marked people
    // recomputed at every tick (domain::report::missing).
    if db.write_sync(|c| take(c, "missing", holder, now, None))? {
        let kept = crate::domain::report::missing::keep_up(db, today);
        db.write_sync(|c| hold_until(c, "missing", holder, now).map(drop))?;
        ticked.kept = Some(kept?);
    }
    if db.write_sync(|c| take(c, "prune", holder, now, None))? {
        let pruned = db.write_sync(|c| prune(c, plan.sessions, now))?;
        // The next pruning is due an hour from now, whoever takes it.
        db.write_sync(|c| {
            hold_until(c, "prune", holder, now + PRUNE_EVERY)?;
            Ok(())
        })?;
        ticked.pruned = Some(pruned);
    }
    Ok(ticked)
}

/// Takes the lease of `job` for [`LEASE`] when it is free (and, with `day`,
/// when the job has not finished that day). True when this caller holds it.
pub fn take(
    conn: &mut Conn,
    job: &str,
    holder: &str,
    now: NaiveDateTime,
    day: Option<NaiveDate>,
) -> Result<bool> {
    let free = job_leases::table
        .filter(job_leases::name.eq(job))
        .filter(job_leases::until.lt(now));
    let taken = match day {
        Some(day) => diesel::update(
            free.filter(
                job_leases::done_for
                    .is_null()
                    .or(job_leases::done_for.lt(day)),
            ),
        )
        .set((
            job_leases::holder.eq(holder),
            job_leases::until.eq(now + LEASE),
        ))
        .execute(conn)?,
        None => diesel::update(free)
            .set((
                job_leases::holder.eq(holder),
                job_leases::until.eq(now + LEASE),
            ))
            .execute(conn)?,
    };
    Ok(taken == 1)
}

/// Marks a daily job done for `day` and frees its lease (still held by
/// `holder`).
fn finish(
    conn: &mut Conn,
    job: &str,
    holder: &str,
    now: NaiveDateTime,
    day: Option<NaiveDate>,
) -> Result<()> {
    diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(job))
            .filter(job_leases::holder.eq(holder)),
    )
    .set((job_leases::until.eq(now), job_leases::done_for.eq(day)))
    .execute(conn)?;
    Ok(())
}

fn hold_until(conn: &mut Conn, job: &str, holder: &str, until: NaiveDateTime) -> Result<usize> {
    Ok(diesel::update(
        job_leases::table
            .filter(job_leases::name.eq(job))
            .filter(job_leases::holder.eq(holder)),
    )
    .set(job_leases::until.eq(until))
    .execute(conn)?)
}

/// Deletes what can no longer be used: sessions past their lifetimes, links
/// expired more than [`LINK_GRACE`] ago, authz change records older than
/// [`CHANGES_KEPT`] (the newest is always kept). Answers how many rows went.
pub fn prune(conn: &mut Conn, sessions: Lifetimes, now: NaiveDateTime) -> Result<usize> {
    let ended = session::prune(conn, sessions)?;
    let links =
        diesel::delete(user_tokens::table.filter(user_tokens::expires_at.lt(now - LINK_GRACE)))
            .execute(conn)?;
    let newest: Option<i64> = authz_changes::table
        .select(diesel::dsl::max(authz_changes::epoch))
        .first(conn)?;
    let changes = diesel::delete(
        authz_changes::table
            .filter(authz_changes::at.lt(now - CHANGES_KEPT))
            .filter(authz_changes::epoch.lt(newest.unwrap_or(0))),
    )
    .execute(conn)?;
    Ok(ended + links + changes)
}

/// The instance's loop: a tick now and every [`TICK`] after, each on a
/// blocking thread; a failed tick is logged and the next one tries again.
pub async fn run(db: Db, plan: Plan) {
    let holder = format!(
        "{}-{}",
        std::process::id(),
        crate::domain::secrets::random_token(8)
    );
    log::info!(
        "schedule: {}; pruning hourly",
        match plan.remind_hour {
            Some(h) => format!("reminders from {h:02}:00 UTC on each org's reminder day"),
            None => "reminders left to `canopy remind`".to_string(),
        }
    );
    loop {
        let (db, holder) = (db.clone(), holder.clone());
        let outcome =
            tokio::task::spawn_blocking(move || tick(&db, &plan, &holder, crate::db::now())).await;
        match outcome {
            Ok(Ok(t)) => {
                if let Some(n) = t.reminded {
                    log::info!("schedule: {n} reminder(s) sent");
                }
                if let Some(k) = t.kept.filter(|k| k.extended + k.recomputed > 0) {
                    log::info!(
                        "schedule: missing timesheets kept up ({} people for new weeks, {} marked recomputed)",
                        k.extended,
                        k.recomputed
                    );
                }
            }
            Ok(Err(err)) => log::error!("schedule: {err}"),
            Err(err) => log::error!("schedule: the tick stopped: {err}"),
        }
        tokio::time::sleep(TICK).await;
    }
}
