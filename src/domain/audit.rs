//! The audit trail: one append-only table and one way to write to it. Every
//! mutation calls [`record`] inside its own transaction, so an entry exists exactly
//! when the change does.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::{self, Conn, schema::audit_log};
use crate::error::Result;

/// How the actor reached Canopy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
    Cli,
    Setup,
    System,
    Anonymous,
    /// A single-use link from a mail (account activation, password reset): the
    /// person proved they read the mail, not that they know a password.
    Link,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Session => "session",
            Via::Token => "token",
            Via::Cli => "cli",
            Via::Setup => "setup",
            Via::System => "system",
            Via::Anonymous => "anonymous",
            Via::Link => "link",
        }
    }
}

/// Who is making a change, and from where.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub token_id: Option<i64>,
    pub via: Via,
    pub ip: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            user_id: None,
            token_id: None,
            via: Via::System,
            ip: None,
        }
    }

    pub fn cli() -> Self {
        Actor {
            via: Via::Cli,
            ..Actor::system()
        }
    }

    pub fn anonymous(ip: Option<String>) -> Self {
        Actor {
            via: Via::Anonymous,
            ip,
            ..Actor::system()
        }
    }

    pub fn session(user_id: i64, ip: Option<String>) -> Self {
        Actor {
            user_id: Some(user_id),
            token_id: None,
            via: Via::Session,
            ip,
        }
    }

    pub fn token(user_id: i64, token_id: i64, ip: Option<String>) -> Self {
        Actor {
            user_id: Some(user_id),
            token_id: Some(token_id),
            via: Via::Token,
            ip,
        }
    }

    /// The same actor acting through another channel (e.g. the setup page).
    pub fn via(mut self, via: Via) -> Self {
        self.via = via;
        self
    }
}

/// One change to record: what happened to which target, before and after.
#[derive(Clone, Debug)]
pub struct Event {
    action: &'static str,
    target_type: &'static str,
    target_id: Option<i64>,
    org_id: Option<i64>,
    before: Option<Value>,
    after: Option<Value>,
}

impl Event {
    /// `action` is `area.verb`, e.g. `user.created`; the target is what changed.
    pub fn new(action: &'static str, target_type: &'static str, target_id: Option<i64>) -> Self {
        Event {
            action,
            target_type,
            target_id,
            org_id: None,
            before: None,
            after: None,
        }
    }

    /// The org the change belongs to (limits who may read the entry).
    pub fn org(mut self, org_id: i64) -> Self {
        self.org_id = Some(org_id);
        self
    }

    pub fn before(mut self, value: impl Serialize) -> Self {
        self.before = serde_json::to_value(value).ok();
        self
    }

    pub fn after(mut self, value: impl Serialize) -> Self {
        self.after = serde_json::to_value(value).ok();
        self
    }
}

/// Appends `event` by `actor` to the audit log.
pub fn record(conn: &mut Conn, actor: &Actor, event: Event) -> Result<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(db::now()),
            audit_log::actor_user_id.eq(actor.user_id),
            audit_log::actor_token_id.eq(actor.token_id),
            audit_log::via.eq(actor.via.as_str()),
            audit_log::action.eq(event.action),
            audit_log::target_type.eq(event.target_type),
            audit_log::target_id.eq(event.target_id),
            audit_log::org_id.eq(event.org_id),
            audit_log::ip.eq(actor.ip.as_deref()),
            audit_log::before_json.eq(event.before.map(|v| v.to_string())),
            audit_log::after_json.eq(event.after.map(|v| v.to_string())),
        ))
        .execute(conn)?;
    Ok(())
}

/// A stored audit entry.
#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<i64>,
    pub actor_token_id: Option<i64>,
    pub via: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub org_id: Option<i64>,
    pub ip: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The latest entries whose actor or target is `user_id`, newest first.
pub fn recent_for_user(conn: &mut Conn, user_id: i64, limit: i64) -> Result<Vec<Entry>> {
    Ok(audit_log::table
        .filter(
            audit_log::actor_user_id
                .eq(user_id)
                .or(audit_log::target_type
                    .eq("user")
                    .and(audit_log::target_id.eq(user_id))),
        )
        .order(audit_log::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?)
}

/// How many `action` entries from source address `ip` were written since `since`.
pub fn count_by_ip_since(
    conn: &mut Conn,
    action: &str,
    ip: &str,
    since: NaiveDateTime,
) -> Result<i64> {
    Ok(audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::ip.eq(ip))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(conn)?)
}

/// How many `action` entries about `target_type` `target_id` were written since `since`.
pub fn count_by_target_since(
    conn: &mut Conn,
    action: &str,
    target_type: &str,
    target_id: i64,
    since: NaiveDateTime,
) -> Result<i64> {
    Ok(audit_log::table
        .filter(audit_log::target_type.eq(target_type))
        .filter(audit_log::target_id.eq(target_id))
        .filter(audit_log::action.eq(action))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Every entry with this action, oldest first (tests and the CLI read these).
pub fn by_action(conn: &mut Conn, action: &str) -> Result<Vec<Entry>> {
    Ok(audit_log::table
        .filter(audit_log::action.eq(action))
        .order(audit_log::id.asc())
        .select(Entry::as_select())
        .load(conn)?)
}

/// The latest entries about one target, newest first.
pub fn recent_for_target(
    conn: &mut Conn,
    target_type: &str,
    target_id: i64,
    limit: i64,
) -> Result<Vec<Entry>> {
    Ok(audit_log::table
        .filter(audit_log::target_type.eq(target_type))
        .filter(audit_log::target_id.eq(target_id))
        .order(audit_log::id.desc())
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?)
}
