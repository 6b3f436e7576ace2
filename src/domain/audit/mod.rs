//! The audit trail: one append-only table and one way to write to it. Every
//! mutation calls [`record`] inside its own transaction, so an entry exists exactly
//! when the change does. How a person reads an entry (a sentence, its
//! changes in words, the names it mentions) is in `words`, `actions` and
//! `names`.

pub mod actions;
pub mod names;
pub mod words;

pub use names::Names;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::{self, Conn, schema::audit_log};
use crate::domain::ids::UserId;
use crate::error::Result;

crate::text_enum! {
    /// How the actor reached Canopy (`audit_log.via`).
    pub enum Via {
        Session = "session",
        Token = "token",
        Cli = "cli",
        Setup = "setup",
        System = "system",
        Anonymous = "anonymous",
        /// A single-use link from a mail (account activation, password reset): the
        /// person proved they read the mail, not that they know a password.
        Link = "link",
    }
}

crate::text_enum! {
    /// What an entry is about (`audit_log.target_type`): the kind of the
    /// record `target_id` names.
    pub enum Target {
        User = "user",
        Org = "org",
        Role = "role",
        Grant = "grant",
        GrantInvitation = "grant_invitation",
        Project = "project",
        Timesheet = "timesheet",
        Group = "group",
        Team = "team",
        ApiToken = "api_token",
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

    pub fn token(user_id: UserId, token_id: i64, ip: Option<String>) -> Self {
        Actor {
            user_id: Some(user_id.0),
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
    target_type: Target,
    target_id: Option<i64>,
    org_id: Option<i64>,
    before: Option<Value>,
    after: Option<Value>,
}

impl Event {
    /// `action` is `area.verb`, e.g. `user.created`; the target is what changed.
    pub fn new(action: &'static str, target_type: Target, target_id: Option<i64>) -> Self {
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
            audit_log::via.eq(actor.via),
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
    pub via: Via,
    pub action: String,
    pub target_type: Target,
    pub target_id: Option<i64>,
    pub org_id: Option<i64>,
    pub ip: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The latest entries whose actor or target is the person, newest first,
/// without those about an org behind a privacy border they are outside of
/// that were written before it went up (`privacy::hidden_before`).
pub fn recent_for_user(
    conn: &mut Conn,
    access: &crate::authz::Access,
    limit: i64,
) -> Result<Vec<Entry>> {
    let user_id = access.user_id;
    let rows: Vec<Entry> = audit_log::table
        .filter(
            audit_log::actor_user_id
                .eq(user_id)
                .or(audit_log::target_type
                    .eq(Target::User)
                    .and(audit_log::target_id.eq(user_id))),
        )
        .order(audit_log::id.desc())
        .limit(limit.saturating_mul(5))
        .select(Entry::as_select())
        .load(conn)?;
    let mut orgs: Vec<i64> = rows.iter().filter_map(|e| e.org_id).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let hidden = crate::domain::privacy::hidden_before(conn, access, &orgs)?;
    Ok(rows
        .into_iter()
        .filter(|e| {
            !e.org_id
                .is_some_and(|o| hidden.iter().any(|(h, since)| *h == o && e.at < *since))
        })
        .take(usize::try_from(limit).unwrap_or(0))
        .collect())
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
    target_type: Target,
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
    target_type: Target,
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

/// What the audit log page and API filter by.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// The org whose subtree to read (the viewer holds `audit.view` there).
    pub org_id: i64,
    pub actor_id: Option<i64>,
    /// An exact action, or a prefix ending in `.` (`timesheet.`).
    pub action: Option<String>,
    pub target_type: Option<Target>,
    pub target_id: Option<i64>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// Entries of the org's subtree that `access` may read, newest first, and how
/// many match. Entries without an org (sign-ins of no one, system work) are
/// read only from the root.
pub fn search(
    conn: &mut Conn,
    access: &crate::authz::Access,
    search: &Search,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Entry>, i64)> {
    use crate::db::schema::org_closure;
    let hidden = access.hidden_under(crate::authz::Permission::AuditView, search.org_id);
    let tree = access.snapshot.tree();
    let at_root = tree.parent_of(search.org_id).is_none();
    // The whole tree with nothing closed: every entry is in scope, and no
    // list of every org is built to say so (at 100k orgs that list was the
    // page's cost, whatever the log's size).
    let everything = at_root && hidden.is_empty() && tree.subtree_len(search.org_id) == tree.len();
    let build = || {
        let subtree = org_closure::table
            .filter(org_closure::ancestor_id.eq(search.org_id))
            .select(org_closure::descendant_id.nullable());
        let mut q = audit_log::table.into_boxed();
        let hidden_parts = org_closure::table
            .filter(org_closure::ancestor_id.eq_any(hidden.clone()))
            .select(org_closure::descendant_id.nullable());
        let in_scope = audit_log::org_id
            .eq_any(subtree)
            .and(audit_log::org_id.ne_all(hidden_parts));
        q = if everything {
            q
        } else if at_root {
            q.filter(in_scope.or(audit_log::org_id.is_null()))
        } else {
            q.filter(in_scope)
        };
        if let Some(a) = search.actor_id {
            q = q.filter(audit_log::actor_user_id.eq(a));
        }
        if let Some(action) = &search.action {
            q = if action.ends_with('.') {
                q.filter(audit_log::action.like(format!("{}%", action.replace('%', ""))))
            } else {
                q.filter(audit_log::action.eq(action.clone()))
            };
        }
        if let Some(t) = &search.target_type {
            q = q.filter(audit_log::target_type.eq(*t));
        }
        if let Some(t) = search.target_id {
            q = q.filter(audit_log::target_id.eq(t));
        }
        if let Some(from) = search.from {
            q = q.filter(audit_log::at.ge(from.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
        if let Some(to) = search.to.and_then(|t| t.succ_opt()) {
            q = q.filter(audit_log::at.lt(to.and_hms_opt(0, 0, 0).unwrap_or_default()));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    let items = build()
        .order(audit_log::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?;
    Ok((items, total))
}

/// The audit filters as typed (query strings).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SearchInput {
    pub org_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

impl SearchInput {
    /// Checks the filters; the org defaults to the highest one whose log the
    /// viewer may read. 403 for someone who may read none.
    pub fn parse(&self, access: &crate::authz::Access) -> Result<Search> {
        use crate::authz::Permission;
        use crate::error::FieldErrors;
        let mut errors = FieldErrors::new();
        use crate::domain::validate::{query_date as date, query_id as number, query_text};
        let text = |raw: &Option<String>| query_text(raw).map(str::to_string);
        let visible = access
            .snapshot
            .visible_orgs_shared(access.user_id, Permission::AuditView);
        if visible.is_empty() {
            return Err(crate::error::Error::Forbidden(
                "You may not read the audit log of any organization.".into(),
            ));
        }
        let org_id = match number(&mut errors, "org_id", &self.org_id) {
            Some(o) if access.can(Permission::AuditView, o) => o,
            Some(_) => {
                errors.add("org_id", "There is no such organization among yours.");
                visible[0]
            }
            None => visible[0],
        };
        let search = Search {
            org_id,
            actor_id: number(&mut errors, "actor_id", &self.actor_id),
            action: text(&self.action),
            target_type: query_text(&self.target_type).and_then(|raw| {
                Target::parse(raw).or_else(|| {
                    let known: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
                    let message = format!("target_type must be one of {}.", known.join(", "));
                    errors.add("target_type", message);
                    None
                })
            }),
            target_id: number(&mut errors, "target_id", &self.target_id),
            from: date(&mut errors, "from", &self.from),
            to: date(&mut errors, "to", &self.to),
        };
        if let (Some(f), Some(t)) = (search.from, search.to)
            && t < f
        {
            errors.add("to", "The end of the period cannot be before its start.");
        }
        errors.into_result()?;
        Ok(search)
    }
}
