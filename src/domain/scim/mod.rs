//! SCIM 2.0 provisioning (RFC 7643/7644): the tokens an org admin makes for
//! one org, and who a SCIM request is. A request acts as the token's creator
//! (their `Access`, as every other request) and, on top of that, only inside
//! the token org's subtree: a token never does more than its creator may, and
//! stops working when the creator is deactivated or loses the grant.
//! The mapping of users and groups lives in `users` and `groups`; the wire
//! format (JSON, filters, errors) in `crate::scim`.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::authz::{Access, Permission};
use crate::db::{self, Conn, schema::scim_tokens};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::secrets;
use crate::domain::user::{self, User};
use crate::domain::validate;
use crate::error::{Error, FieldErrors, Result};

pub mod groups;
pub mod users;

/// Every SCIM token starts with this, told apart from API tokens (`cnp_`).
pub const PREFIX: &str = "cnps_";
const SECRET_CHARS: usize = 40;
const DEFAULT_NAME: &str = "SCIM token";

/// A SCIM token as stored: never the secret, only its hash.
#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = scim_tokens)]
pub struct ScimToken {
    pub id: i64,
    pub org_id: i64,
    pub created_by: i64,
    pub name: String,
    pub token_prefix: String,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// The rule for making, seeing and revoking an org's SCIM tokens: what a
/// token may do is manage that org's people and groups, so only someone who
/// may do both there handles its tokens.
fn require_admin(access: &Access, org_id: i64) -> Result<()> {
    access.require_visible(org_id)?;
    access.require(Permission::UserManage, org_id)?;
    access.require(Permission::GroupManage, org_id)
}

/// Parses a token's label: blank is the default name.
pub fn parse_name(raw: Option<&str>) -> Result<String> {
    let name = validate::optional_line(raw.unwrap_or_default(), "Name", 100)
        .map_err(|m| FieldErrors::single("name", m))?;
    Ok(if name.is_empty() {
        DEFAULT_NAME.to_string()
    } else {
        name
    })
}

/// Creates a SCIM token for `org_id` as the person; returns it with the
/// secret, which is never stored and cannot be shown again.
pub fn create_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    org_id: i64,
    name: &str,
) -> Result<(ScimToken, String)> {
    require_admin(access, org_id)?;
    let secret = format!("{PREFIX}{}", secrets::random_token(SECRET_CHARS));
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(scim_tokens::table)
        .values((
            scim_tokens::org_id.eq(org_id),
            scim_tokens::created_by.eq(access.user_id),
            scim_tokens::name.eq(name),
            scim_tokens::token_hash.eq(secrets::token_hash(&secret)),
            scim_tokens::token_prefix.eq(&secret[..PREFIX.len() + 6]),
            scim_tokens::created_at.eq(db::now()),
        ))
        .returning(scim_tokens::id)
        .get_result(c))?;
    let token = find(conn, id)?;
    audit::record(
        conn,
        actor,
        // About the org whose token it is (the audit log's targets are the
        // records people know; the token's id is in the change).
        Event::new("scim_token.created", Target::Org, Some(org_id))
            .org(org_id)
            .after(json!({"scim_token_id": id, "name": token.name})),
    )?;
    Ok((token, secret))
}

fn find(conn: &mut Conn, id: i64) -> Result<ScimToken> {
    Ok(scim_tokens::table
        .find(id)
        .select(ScimToken::as_select())
        .first(conn)?)
}

/// An org's SCIM tokens, newest first, revoked ones included (for the record).
pub fn list_as(conn: &mut Conn, access: &Access, org_id: i64) -> Result<Vec<ScimToken>> {
    require_admin(access, org_id)?;
    Ok(scim_tokens::table
        .filter(scim_tokens::org_id.eq(org_id))
        .order(scim_tokens::id.desc())
        .select(ScimToken::as_select())
        .load(conn)?)
}

/// Revokes a token as the person (of org `at` only, when given). A token of
/// an org where they may not handle tokens answers exactly like a missing
/// one; revoking twice is fine.
pub fn revoke_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    at: Option<i64>,
) -> Result<ScimToken> {
    let token = find(conn, id)?;
    if at.is_some_and(|org| org != token.org_id) || require_admin(access, token.org_id).is_err() {
        return Err(Error::NotFound);
    }
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    diesel::update(scim_tokens::table.find(id))
        .set(scim_tokens::revoked_at.eq(Some(db::now())))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("scim_token.revoked", Target::Org, Some(token.org_id))
            .org(token.org_id)
            .before(json!({"scim_token_id": id, "name": token.name}))
            .after(json!({"revoked": true})),
    )?;
    find(conn, id)
}

/// The live token behind a presented secret and its active creator, or
/// `Unauthenticated` (the same words whatever was wrong).
pub fn authenticate(conn: &mut Conn, secret: &str) -> Result<(ScimToken, User)> {
    let denied = || Error::Unauthenticated("invalid or revoked SCIM token".into());
    if !secret.starts_with(PREFIX) || secret.len() > 200 {
        return Err(denied());
    }
    let token: ScimToken = scim_tokens::table
        .filter(scim_tokens::token_hash.eq(secrets::token_hash(secret)))
        .select(ScimToken::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(denied)?;
    if token.revoked_at.is_some() {
        return Err(denied());
    }
    let creator = user::find(conn, token.created_by)?;
    if !creator.is_active() {
        return Err(denied());
    }
    Ok((token, creator))
}

/// Records a token's use, at most once a minute (a write per request would
/// cost more than the request).
pub fn touch_if_due(conn: &mut Conn, token: &ScimToken) -> Result<()> {
    let now = db::now();
    if token
        .last_used_at
        .is_some_and(|t| now - t < chrono::Duration::minutes(1))
    {
        return Ok(());
    }
    diesel::update(scim_tokens::table.find(token.id))
        .set(scim_tokens::last_used_at.eq(Some(now)))
        .execute(conn)?;
    Ok(())
}

/// Who a SCIM request is: the creator's access, bounded to the token's org.
pub struct Caller {
    pub access: Access,
    pub org_id: i64,
    pub actor: Actor,
}

impl Caller {
    /// The caller for `token`, once its creator still may manage people and
    /// groups at the token's org (else 403: the token is no longer theirs
    /// to use, and it never does more than they may).
    pub fn new(access: Access, token: &ScimToken, actor: Actor) -> Result<Caller> {
        let holds = access.can(Permission::UserManage, token.org_id)
            && access.can(Permission::GroupManage, token.org_id);
        if !holds {
            return Err(Error::Forbidden(
                "The person who made this SCIM token may no longer manage people and groups \
                 at its organization."
                    .into(),
            ));
        }
        Ok(Caller {
            access,
            org_id: token.org_id,
            actor,
        })
    }

    /// True when `org_id` lies in the token org's subtree.
    pub fn reaches(&self, org_id: i64) -> bool {
        self.access.snapshot.tree().is_within(org_id, self.org_id)
    }
}

/// What a list asks for: an optional `attribute eq "value"` and a window.
#[derive(Clone, Debug)]
pub struct Query {
    pub filter: Option<Filter>,
    pub offset: i64,
    pub limit: i64,
}

/// The filters SCIM lists understand (RFC 7644 §3.4.2.2, `eq` only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Filter {
    UserName(String),
    ExternalId(String),
    DisplayName(String),
}
