//! Personal API tokens: shown once, stored as a SHA-256 hash, optionally expiring,
//! revocable. A token acts with its owner's current permissions.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::db::{self, Conn, schema::api_tokens};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::ids::UserId;
use crate::domain::secrets;
use crate::domain::user::{self, User};
use crate::domain::validate;
use crate::error::{Error, FieldErrors, Result};

/// Every token starts with this, so leaked tokens are easy to spot in logs and code.
pub const PREFIX: &str = "cnp_";
const SECRET_CHARS: usize = 40;
pub const MAX_EXPIRY_DAYS: i64 = 3650;

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_prefix: String,
    pub expires_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl ApiToken {
    pub fn is_usable(&self, now: NaiveDateTime) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// What a person asked for: a label and an optional lifetime in days.
pub struct NewToken {
    pub name: String,
    pub expires_in_days: Option<i64>,
}

impl NewToken {
    /// Parses form or CLI input: a name, and days as text (blank for never).
    pub fn parse(name: &str, expires_in_days: &str) -> Result<NewToken> {
        let mut errors = FieldErrors::new();
        let name = validate::required_line(name, "Name", 100)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let days = expires_in_days.trim();
        let expires_in_days = if days.is_empty() {
            None
        } else {
            match days.parse::<i64>() {
                Ok(d) if (1..=MAX_EXPIRY_DAYS).contains(&d) => Some(d),
                _ => {
                    errors.add(
                        "expires_in_days",
                        format!(
                            "Enter a number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it blank."
                        ),
                    );
                    None
                }
            }
        };
        errors.into_result()?;
        Ok(NewToken {
            name,
            expires_in_days,
        })
    }
}

/// Creates a token for `user_id`; returns it with the secret, which is never
/// stored and cannot be shown again.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    user_id: i64,
    new: NewToken,
) -> Result<(ApiToken, String)> {
    let owner = user::find(conn, user_id)?;
    let secret = format!("{PREFIX}{}", secrets::random_token(SECRET_CHARS));
    let now = db::now();
    let expires_at = new.expires_in_days.map(|d| now + Duration::days(d));
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(&new.name),
            api_tokens::token_hash.eq(secrets::token_hash(&secret)),
            api_tokens::token_prefix.eq(&secret[..PREFIX.len() + 6]),
            api_tokens::expires_at.eq(expires_at),
            api_tokens::created_at.eq(now),
        ))
        .returning(api_tokens::id)
        .get_result(c))?;
    let token = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("token.created", Target::ApiToken, Some(id))
            .org(owner.org_id)
            .after(json!({"user_id": user_id, "name": token.name, "expires_at": token.expires_at})),
    )?;
    Ok((token, secret))
}

fn find(conn: &mut Conn, id: i64) -> Result<ApiToken> {
    Ok(api_tokens::table
        .find(id)
        .select(ApiToken::as_select())
        .first(conn)?)
}

/// A user's tokens, newest first, revoked ones included (for the record).
pub fn list_for_user(conn: &mut Conn, user_id: i64) -> Result<Vec<ApiToken>> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)?)
}

/// Revokes one of `user_id`'s own tokens. Someone else's token is "not found".
pub fn revoke(conn: &mut Conn, actor: &Actor, user_id: UserId, token_id: i64) -> Result<ApiToken> {
    let token = find(conn, token_id)?;
    if token.user_id != user_id.0 {
        return Err(Error::NotFound);
    }
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    diesel::update(api_tokens::table.find(token_id))
        .set(api_tokens::revoked_at.eq(Some(db::now())))
        .execute(conn)?;
    let owner = user::find(conn, user_id.0)?;
    audit::record(
        conn,
        actor,
        Event::new("token.revoked", Target::ApiToken, Some(token_id))
            .org(owner.org_id)
            .before(json!({"name": token.name}))
            .after(json!({"revoked": true})),
    )?;
    find(conn, token_id)
}

/// The active owner and the token behind a presented secret, or `Unauthenticated`.
pub fn authenticate(conn: &mut Conn, secret: &str) -> Result<(User, ApiToken)> {
    let denied = || Error::Unauthenticated("invalid or expired token".into());
    if !secret.starts_with(PREFIX) || secret.len() > 200 {
        return Err(denied());
    }
    let token: ApiToken = api_tokens::table
        .filter(api_tokens::token_hash.eq(secrets::token_hash(secret)))
        .select(ApiToken::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(denied)?;
    let now = db::now();
    if !token.is_usable(now) {
        return Err(denied());
    }
    let owner = user::find(conn, token.user_id)?;
    if !owner.is_active() {
        return Err(denied());
    }
    Ok((owner, token))
}

/// True when the token's last use is old enough to be worth writing down again:
/// at most once a minute, since a write per request would cost more than the
/// request itself.
pub fn needs_touch(token: &ApiToken, now: NaiveDateTime) -> bool {
    token
        .last_used_at
        .is_none_or(|t| now - t > Duration::minutes(1))
}

/// Records that the token was just used.
pub fn touch(conn: &mut Conn, token_id: i64) -> Result<()> {
    diesel::update(api_tokens::table.find(token_id))
        .set(api_tokens::last_used_at.eq(Some(db::now())))
        .execute(conn)?;
    Ok(())
}
