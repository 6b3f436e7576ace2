//! Signing in: password check, rate limits per source address and per account,
//! and the audit entries both outcomes leave.

use chrono::Duration;
use serde_json::json;

use crate::db::{self, Db};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::password;
use crate::domain::user::{self, User};
use crate::error::{Error, Result};

pub const SIGNED_IN: &str = "auth.signed_in";
pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
pub const SIGNED_OUT: &str = "auth.signed_out";

/// Failed sign-ins allowed from one address within [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// Failed sign-ins allowed for one account within [`WINDOW_MINUTES`].
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 10;
pub const WINDOW_MINUTES: i64 = 15;

/// The one message for every failed sign-in: it must not tell which part was wrong
/// or whether the account exists.
pub const FAILED_MESSAGE: &str = "Email or password is incorrect.";

/// Checks the credentials and records the outcome. Runs on a blocking thread: the
/// bcrypt comparison happens outside any transaction. Failures are counted from the
/// audit log, so the limits hold across every app instance.
pub fn sign_in(
    db: &Db,
    email: &str,
    password_attempt: &str,
    ip: &str,
    dummy_hash: &str,
) -> Result<User> {
    let since = db::now() - Duration::minutes(WINDOW_MINUTES);
    let user = db.read_sync(|conn| {
        if audit::count_by_ip_since(conn, SIGN_IN_FAILED, ip, since)? >= MAX_FAILURES_PER_ADDRESS {
            return Err(Error::RateLimited);
        }
        let user = user::find_by_email(conn, email)?;
        if let Some(u) = &user
            && audit::count_by_target_since(conn, SIGN_IN_FAILED, "user", u.id, since)?
                >= MAX_FAILURES_PER_ACCOUNT
        {
            return Err(Error::RateLimited);
        }
        Ok(user)
    })?;

    let stored_hash = user
        .as_ref()
        .and_then(|u| u.password_hash.as_deref())
        .unwrap_or(dummy_hash);
    let password_ok = password::verify(password_attempt, stored_hash);
    let actor = Actor::anonymous(Some(ip.to_string()));

    match user {
        Some(u) if password_ok && u.password_hash.is_some() && u.is_active() => {
            db.write_sync(|conn| record_sign_in(conn, &u, actor.ip.clone()))
        }
        other => {
            let reason = match &other {
                None => "unknown email",
                Some(u) if !u.is_active() => "account not active",
                Some(_) => "wrong password",
            };
            let typed: String = email.trim().chars().take(254).collect();
            db.write_sync(|conn| {
                let mut event = Event::new(SIGN_IN_FAILED, "user", other.as_ref().map(|u| u.id))
                    .after(json!({"email": typed, "reason": reason}));
                if let Some(u) = &other {
                    event = event.org(u.org_id);
                }
                audit::record(conn, &actor, event)
            })?;
            Err(Error::Unauthenticated(FAILED_MESSAGE.into()))
        }
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
        Event::new(SIGNED_IN, "user", Some(user.id)).org(user.org_id),
    )?;
    user::find(conn, user.id)
}

use diesel::{ExpressionMethods, QueryDsl, RunQueryDsl};
