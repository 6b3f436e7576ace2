//! Signing in: password check, the throttle that slows down guessing, and the
//! audit entries every outcome leaves.
//!
//! Guessing is slowed, never locked out: failures are counted per (typed email,
//! client address) and per address within [`WINDOW_MINUTES`] (table
//! `sign_in_failures`, so the counts hold across every app instance). Beyond the
//! free allowance an address must wait after its latest failure, longer each
//! time ([`delay`]), before it may try again; meanwhile it is answered
//! [`SignIn::SlowDown`] without its password being looked at. An address that
//! has not been failing is never held back, so nobody can keep the right
//! password of someone else's account out from elsewhere. Keyed by the typed
//! email, the throttle treats unknown and known accounts alike.

use std::net::{IpAddr, Ipv6Addr};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::db::{self, Db, schema::sign_in_failures as failures};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::password;
use crate::domain::user::{self, User};
use crate::domain::validate;
use crate::error::{Error, Result};

pub const SIGNED_IN: &str = "auth.signed_in";
pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
/// An attempt answered "slow down" before its password was checked.
pub const SIGN_IN_THROTTLED: &str = "auth.sign_in_throttled";
pub const SIGNED_OUT: &str = "auth.signed_out";

/// Failed sign-ins one address may make (whatever the accounts) within
/// [`WINDOW_MINUTES`] before it is slowed down.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// Failed sign-ins for one account from one address before that address is
/// slowed down for that account.
pub const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: i64 = 5;
/// Failed sign-ins for one account from all addresses before the account counts
/// as under attack: then every address that has failed on it at least
/// [`ATTACKER_FAILURES`] times waits too. Addresses without failures on it pass.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 10;
pub const ATTACKER_FAILURES: i64 = 2;
pub const WINDOW_MINUTES: i64 = 15;
/// The first wait once the allowance is used up; it doubles at each further
/// failure, up to [`WINDOW_MINUTES`].
pub const FIRST_DELAY_SECONDS: i64 = 30;

/// The one message for every failed sign-in: it must not tell which part was wrong
/// or whether the account exists.
pub const FAILED_MESSAGE: &str = "Email or password is incorrect.";

/// How a sign-in attempt ended.
#[derive(Debug)]
pub enum SignIn {
    Done(Box<User>),
    /// The password was right and the person has two-factor sign-in on: the
    /// sign-in completes only with a code ([`sign_in_code`]).
    NeedsCode(Box<User>),
    /// Wrong email or password, or an account that may not sign in.
    Failed,
    /// The password was right, but the single sign-on provider that governs
    /// the person's home org turns password sign-in off
    /// ([`crate::domain::sso::PASSWORD_REFUSED_MESSAGE`]).
    PasswordOff,
    /// Too many recent failures from this address: try again after this many
    /// seconds. The password was not checked.
    SlowDown {
        retry_after_secs: i64,
    },
}

/// The wait after the `over`-th failure beyond an allowance (`over >= 1`).
pub fn delay(over: i64) -> Duration {
    let doublings = u32::try_from((over - 1).clamp(0, 20)).unwrap_or(20);
    let seconds = FIRST_DELAY_SECONDS.saturating_mul(1 << doublings);
    Duration::seconds(seconds.min(WINDOW_MINUTES * 60))
}

/// Failures counted within the window and when the latest was.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub count: i64,
    pub latest: Option<NaiveDateTime>,
}

impl Tally {
    /// When the address may try again under an allowance of `free` failures.
    fn until(self, free: i64) -> Option<NaiveDateTime> {
        self.until_by(self.count, free)
    }

    /// The wait earned by `count` failures (beyond `free`), from our latest one.
    fn until_by(self, count: i64, free: i64) -> Option<NaiveDateTime> {
        (count >= free).then_some(())?;
        Some(self.latest? + delay(count - free + 1))
    }
}

/// The moment before which this address may not try `email_key` again, if any.
pub fn held_until(per_address: Tally, per_pair: Tally, per_account: i64) -> Option<NaiveDateTime> {
    let under_attack = (per_pair.count >= ATTACKER_FAILURES)
        .then(|| per_pair.until_by(per_account, MAX_FAILURES_PER_ACCOUNT))
        .flatten();
    [
        per_address.until(MAX_FAILURES_PER_ADDRESS),
        per_pair.until(MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS),
        under_attack,
    ]
    .into_iter()
    .flatten()
    .max()
}

fn tally(
    conn: &mut db::Conn,
    ip: Option<&str>,
    email_key: Option<&str>,
    since: NaiveDateTime,
) -> Result<Tally> {
    let mut query = failures::table.filter(failures::at.ge(since)).into_boxed();
    if let Some(ip) = ip {
        query = query.filter(failures::ip.eq(ip.to_string()));
    }
    if let Some(key) = email_key {
        query = query.filter(failures::email_key.eq(key.to_string()));
    }
    let (count, latest): (i64, Option<NaiveDateTime>) = query
        .select((diesel::dsl::count_star(), diesel::dsl::max(failures::at)))
        .first(conn)?;
    Ok(Tally { count, latest })
}

/// How long `address` (an [`address_key`]) must still wait before trying
/// `email_key`, in whole seconds, and when the address last failed.
fn wait_secs(
    conn: &mut db::Conn,
    email_key: &str,
    address: &str,
    now: NaiveDateTime,
) -> Result<(i64, Option<NaiveDateTime>)> {
    let since = now - Duration::minutes(WINDOW_MINUTES);
    let per_address = tally(conn, Some(address), None, since)?;
    let per_pair = tally(conn, Some(address), Some(email_key), since)?;
    let per_account = tally(conn, None, Some(email_key), since)?.count;
    let wait = held_until(per_address, per_pair, per_account)
        .map(|until| (until - now).num_milliseconds())
        .filter(|ms| *ms > 0)
        .map_or(0, |ms| (ms + 999) / 1000);
    Ok((wait, per_address.latest))
}

/// The address the throttle counts by: an IPv4 address as it is, an IPv6
/// address by its /64 (one host usually holds a whole /64, so it could
/// otherwise take a fresh allowance with every address in it). IPv4 mapped into
/// IPv6 counts as IPv4. Anything else (`"unknown"`) is kept as it is.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let net = Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1));
                format!("{net}/64")
            }
        },
        Err(_) => ip.to_string(),
    }
}

/// On PostgreSQL, waits for the transaction-scoped advisory lock named by
/// `what` (SQLite writers are already one at a time, [`Db::write_sync`]).
fn lock(conn: &mut db::Conn, what: &str) -> Result<()> {
    if let db::AnyConnection::Postgresql(_) = conn {
        // FNV-1a: a stable 64-bit key for the name.
        let key = what.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        }) as i64;
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(conn)?;
    }
    Ok(())
}

/// What the throttle says to one attempt before its password is looked at.
enum Turn {
    /// Go on: a failure is already counted for this attempt (provisionally).
    Check,
    /// Wait this many seconds.
    Wait(i64),
}

/// In one write transaction: re-checks the wait and, when there is none,
/// counts a provisional failure for this attempt before bcrypt runs (outside
/// the transaction), so attempts made at once cannot all pass on one count. A
/// held-back attempt is audited only when it is the first of its hold (since
/// the address's latest failure), so waiting attempts cannot flood the log.
fn take_turn(
    db: &Db,
    email_key: &str,
    address: &str,
    actor: &Actor,
    held: impl FnOnce(i64) -> Event,
) -> Result<Turn> {
    db.write_sync(|conn| {
        // Address first, then account, always in this order: no deadlock.
        lock(conn, &format!("canopy.sign_in.address:{address}"))?;
        lock(conn, &format!("canopy.sign_in.account:{email_key}"))?;
        let now = db::now();
        // Failures older than the window count for nothing any more.
        diesel::delete(
            failures::table.filter(failures::at.lt(now - Duration::minutes(WINDOW_MINUTES))),
        )
        .execute(conn)?;
        let (wait, latest) = wait_secs(conn, email_key, address, now)?;
        if wait > 0 {
            if !hold_already_noted(conn, address, latest)? {
                audit::record(conn, actor, held(wait))?;
            }
            return Ok(Turn::Wait(wait));
        }
        diesel::insert_into(failures::table)
            .values((
                failures::email_key.eq(email_key),
                failures::ip.eq(address),
                failures::at.eq(now),
            ))
            .execute(conn)?;
        Ok(Turn::Check)
    })
}

/// Whether an attempt from `address` was already audited as held back since
/// the address's latest failure (the start of its current hold).
fn hold_already_noted(
    conn: &mut db::Conn,
    address: &str,
    latest: Option<NaiveDateTime>,
) -> Result<bool> {
    use crate::db::schema::audit_log;
    let Some(latest) = latest else {
        return Ok(false);
    };
    let ips: Vec<Option<String>> = audit_log::table
        .filter(audit_log::action.eq(SIGN_IN_THROTTLED))
        .filter(audit_log::at.ge(latest))
        .select(audit_log::ip)
        .load(conn)?;
    Ok(ips.iter().flatten().any(|ip| address_key(ip) == address))
}

/// Checks the credentials and records the outcome. Runs on a blocking thread: the
/// bcrypt comparison happens outside any transaction, after [`take_turn`] has
/// counted it. Every failure is audited (`auth.sign_in_failed`) and counted for
/// the throttle; the first attempt of each hold is audited too
/// (`auth.sign_in_throttled`), but not counted.
pub fn sign_in(
    db: &Db,
    email: &str,
    password_attempt: &str,
    ip: &str,
    dummy_hash: &str,
) -> Result<SignIn> {
    let typed: String = email.trim().chars().take(254).collect();
    let email_key = validate::key(&typed);
    let address = address_key(ip);
    let actor = Actor::anonymous(Some(ip.to_string()));
    let user = db.read_sync(|conn| user::find_by_email(conn, &typed))?;
    let turn = take_turn(db, &email_key, &address, &actor, |wait| {
        failure_event(SIGN_IN_THROTTLED, user.as_ref())
            .after(json!({"email": typed, "retry_after_seconds": wait}))
    })?;
    if let Turn::Wait(wait) = turn {
        return Ok(SignIn::SlowDown {
            retry_after_secs: wait,
        });
    }

    let stored_hash = user
        .as_ref()
        .and_then(|u| u.password_hash.as_deref())
        .unwrap_or(dummy_hash);
    let password_ok = password::verify(password_attempt, stored_hash);

    match user {
        Some(u) if password_ok && u.password_hash.is_some() && u.is_active() => {
            let outcome = db.write_sync(|conn| {
                // This address knows the password: its failures on it are
                // forgiven, this attempt's provisional one with them.
                diesel::delete(
                    failures::table
                        .filter(failures::email_key.eq(&email_key))
                        .filter(failures::ip.eq(&address)),
                )
                .execute(conn)?;
                if crate::domain::sso::password_refused(conn, u.org_id)? {
                    let event = failure_event(SIGN_IN_FAILED, Some(&u)).after(
                        json!({"email": typed, "reason": "password sign-in turned off by single sign-on"}),
                    );
                    audit::record(conn, &actor, event)?;
                    return Ok(SignIn::PasswordOff);
                }
                complete(conn, u, actor.ip.clone())
            })?;
            Ok(outcome)
        }
        other => {
            let reason = match &other {
                None => "unknown email",
                Some(u) if !u.is_active() => "account not active",
                Some(_) => "wrong password",
            };
            // The provisional failure stays: it is this one.
            db.write_sync(|conn| {
                let event = failure_event(SIGN_IN_FAILED, other.as_ref())
                    .after(json!({"email": typed, "reason": reason}));
                audit::record(conn, &actor, event)
            })?;
            Ok(SignIn::Failed)
        }
    }
}

/// The second step of a sign-in for `user_id`, whose password was right a
/// moment ago: `typed` is a code from their app or a recovery code
/// (`two_factor::check`). Wrong codes count in the same throttle as wrong
/// passwords, under a key of their own for the account, so guessing codes
/// slows down like guessing passwords and a right password forgives none of it.
pub fn sign_in_code(db: &Db, user_id: i64, typed: &str, ip: &str) -> Result<SignIn> {
    let actor = Actor::anonymous(Some(ip.to_string()));
    let address = address_key(ip);
    let Some(u) = db.read_sync(|conn| {
        user::find(conn, user_id).map(Some).or_else(|e| match e {
            Error::NotFound => Ok(None),
            e => Err(e),
        })
    })?
    else {
        return Ok(SignIn::Failed);
    };
    let code_key = format!("code:{}", validate::key(&u.email));
    let turn = take_turn(db, &code_key, &address, &actor, |wait| {
        failure_event(SIGN_IN_THROTTLED, Some(&u))
            .after(json!({"email": u.email, "retry_after_seconds": wait, "step": "code"}))
    })?;
    if let Turn::Wait(wait) = turn {
        return Ok(SignIn::SlowDown {
            retry_after_secs: wait,
        });
    }
    db.write_sync(|conn| {
        let as_them = Actor::session(u.id, actor.ip.clone());
        if u.is_active() && crate::domain::two_factor::check(conn, &as_them, &u, typed)? {
            diesel::delete(
                failures::table
                    .filter(failures::email_key.eq(&code_key))
                    .filter(failures::ip.eq(&address)),
            )
            .execute(conn)?;
            let user = record_sign_in(conn, &u, actor.ip.clone())?;
            return Ok(SignIn::Done(Box::new(user)));
        }
        let event = failure_event(SIGN_IN_FAILED, Some(&u))
            .after(json!({"email": u.email, "reason": "wrong code"}));
        audit::record(conn, &actor, event)?;
        Ok(SignIn::Failed)
    })
}

/// The end of every sign-in whose first step passed (a right password, or a
/// provider's verified ID token, `sso::sign_in`): with two-factor sign-in on,
/// the person still owes a code ([`SignIn::NeedsCode`]); else the sign-in is
/// recorded and done. Sessions, the two-factor step and enrolment that an org
/// requires follow from the outcome alike, whatever the first step was.
pub fn complete(conn: &mut db::Conn, user: User, ip: Option<String>) -> Result<SignIn> {
    if crate::domain::two_factor::is_on(conn, user.id)? {
        return Ok(SignIn::NeedsCode(Box::new(user)));
    }
    Ok(SignIn::Done(Box::new(record_sign_in(conn, &user, ip)?)))
}

/// An audit event about a sign-in that did not happen, on the account if known.
fn failure_event(action: &'static str, user: Option<&User>) -> Event {
    let event = Event::new(action, Target::User, user.map(|u| u.id));
    match user {
        Some(u) => event.org(u.org_id),
        None => event,
    }
}

/// Records that `user` signed in (the sign-in form, or a just-used activation
/// link): last login time and the audit entry. Returns the user as stored now.
pub fn record_sign_in(conn: &mut db::Conn, user: &User, ip: Option<String>) -> Result<User> {
    diesel::update(db::schema::users::table.find(user.id))
        .set(db::schema::users::last_login_at.eq(Some(db::now())))
        .execute(conn)?;
    audit::record(
        conn,
        &Actor::session(user.id, ip),
        Event::new(SIGNED_IN, Target::User, Some(user.id)).org(user.org_id),
    )?;
    user::find(conn, user.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds_ago: i64) -> Option<NaiveDateTime> {
        Some(db::now() - Duration::seconds(seconds_ago))
    }

    #[test]
    fn the_wait_doubles_up_to_the_window() {
        assert_eq!(delay(1), Duration::seconds(30));
        assert_eq!(delay(2), Duration::seconds(60));
        assert_eq!(delay(5), Duration::seconds(480));
        assert_eq!(delay(6), Duration::minutes(WINDOW_MINUTES));
        assert_eq!(delay(1000), Duration::minutes(WINDOW_MINUTES));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(address_key("203.0.113.9"), "203.0.113.9");
        assert_eq!(address_key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
        assert_ne!(
            address_key("2001:db8:1:3::1"),
            address_key("2001:db8:1:2::1")
        );
        assert_eq!(address_key("2001:db8::1"), "2001:db8::/64");
        assert_eq!(address_key("::1"), "::/64");
        assert_eq!(address_key("unknown"), "unknown");
    }

    #[test]
    fn only_failing_addresses_wait() {
        let none = Tally::default();
        // An address with no failures passes, however attacked the account is.
        assert_eq!(held_until(none, none, 1000), None);
        // Within the allowance, no wait.
        let pair = Tally {
            count: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1,
            latest: at(1),
        };
        assert_eq!(held_until(pair, pair, pair.count), None);
        // At it, the first delay from the latest failure.
        let pair = Tally {
            count: MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS,
            latest: at(1),
        };
        assert_eq!(
            held_until(pair, pair, pair.count),
            Some(pair.latest.unwrap() + delay(1))
        );
        // One typo here while others hammer the account: still passes.
        let typo = Tally {
            count: 1,
            latest: at(1),
        };
        assert_eq!(held_until(typo, typo, 500), None);
        // A second failure here joins the attack and waits for it.
        let twice = Tally {
            count: 2,
            latest: at(1),
        };
        assert_eq!(
            held_until(twice, twice, MAX_FAILURES_PER_ACCOUNT + 1),
            Some(twice.latest.unwrap() + delay(2))
        );
        // Many accounts from one address.
        let address = Tally {
            count: MAX_FAILURES_PER_ADDRESS,
            latest: at(1),
        };
        assert!(held_until(address, none, 0).is_some());
    }
}
