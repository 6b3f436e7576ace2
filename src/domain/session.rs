//! Signed-in browser sessions. The cookie (signed and encrypted) carries a random
//! session id; the `sessions` table keeps its hash, whose it is, when it began and
//! when it was last used. A session is live while its row exists, it is younger
//! than the absolute lifetime and it was used within the idle lifetime. Signing
//! out deletes the row, so a copy of the cookie stops working on every instance.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::{
    self, Conn,
    schema::{sessions, users},
};
use crate::domain::secrets;
use crate::domain::user::User;
use crate::error::Result;

/// How long a session lasts: `idle` without a request, `absolute` in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

/// `last_seen_at` is written at most this often, not at every request.
pub fn touch_interval() -> Duration {
    Duration::minutes(1)
}

/// Characters of the random session id the cookie carries (about 190 bits).
const SECRET_LEN: usize = 32;

/// A live session and the user it belongs to.
pub struct Live {
    pub id: i64,
    pub user: User,
    /// True when `last_seen_at` is old enough to be written again ([`touch`]).
    pub needs_touch: bool,
}

/// Starts a session for `user_id` and returns the id for the cookie. Also
/// prunes expired sessions (of anyone): sign-in is rare enough to pay for it.
pub fn start(conn: &mut Conn, user_id: i64, life: Lifetimes) -> Result<String> {
    prune(conn, life)?;
    let secret = secrets::random_token(SECRET_LEN);
    let now = db::now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::user_id.eq(user_id),
            sessions::token_hash.eq(secrets::token_hash(&secret)),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// The live session behind `secret` with its user (one query), or `None` when
/// it was ended, has expired or never was. The caller still checks the user.
pub fn find_live(conn: &mut Conn, secret: &str, life: Lifetimes) -> Result<Option<Live>> {
    let found: Option<(i64, NaiveDateTime, NaiveDateTime, User)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(secrets::token_hash(secret)))
        .select((
            sessions::id,
            sessions::created_at,
            sessions::last_seen_at,
            User::as_select(),
        ))
        .first(conn)
        .optional()?;
    let now = db::now();
    Ok(found.and_then(|(id, created_at, last_seen_at, user)| {
        is_live(created_at, last_seen_at, now, life).then(|| Live {
            id,
            user,
            needs_touch: now - last_seen_at >= touch_interval(),
        })
    }))
}

/// The lifetime rule: younger than `absolute`, used within `idle`.
pub fn is_live(
    created_at: NaiveDateTime,
    last_seen_at: NaiveDateTime,
    now: NaiveDateTime,
    life: Lifetimes,
) -> bool {
    now - created_at < life.absolute && now - last_seen_at < life.idle
}

/// Records that the session was just used.
pub fn touch(conn: &mut Conn, id: i64) -> Result<()> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(db::now()))
        .execute(conn)?;
    Ok(())
}

/// Ends one session (signing out).
pub fn end(conn: &mut Conn, id: i64) -> Result<()> {
    diesel::delete(sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session of a user (password change, status change, "sign out
/// everywhere"). Returns how many there were.
pub fn end_all(conn: &mut Conn, user_id: i64) -> Result<usize> {
    Ok(diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?)
}

/// Deletes sessions that can no longer be used.
pub fn prune(conn: &mut Conn, life: Lifetimes) -> Result<usize> {
    let now = db::now();
    Ok(diesel::delete(
        sessions::table.filter(
            sessions::last_seen_at
                .le(now - life.idle)
                .or(sessions::created_at.le(now - life.absolute)),
        ),
    )
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_lives_within_both_lifetimes() {
        let life = Lifetimes {
            idle: Duration::minutes(30),
            absolute: Duration::hours(8),
        };
        let start = db::now();
        assert!(is_live(start, start, start, life));
        let later = start + Duration::minutes(29);
        assert!(is_live(start, start, later, life));
        assert!(!is_live(start, start, start + Duration::minutes(30), life));
        // Busy, but past the absolute lifetime.
        let end = start + Duration::hours(8);
        assert!(!is_live(start, end - Duration::minutes(1), end, life));
        assert!(is_live(
            start,
            end - Duration::minutes(2),
            end - Duration::minutes(1),
            life
        ));
    }
}
