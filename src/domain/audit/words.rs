//! An audit entry as a person reads it: a sentence naming who did what to
//! whom ("Paul Approver approved Eve Employee's week of 30 Nov 2026"), with
//! links to what it names, and its changes with field labels and values in
//! words. Names come from [`Names`], so what the viewer may not see reads as
//! "someone" or "an organization", never as its name.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Map, Value};

use super::actions;
use super::names::{Kind, Names};
use super::{Entry, Target, Via};
use crate::authz::Access;
use crate::db::{Conn, schema::users};
use crate::error::Result;

/// An entry as a page shows it.
pub struct Worded {
    pub at: NaiveDateTime,
    /// The action's code (`data-action`, for scripts and tests).
    pub action: String,
    pub sentence: Vec<Part>,
    /// The org the entry is filed under, named and linked where the viewer
    /// sees it (`None`: an installation-wide entry, such as a sign-in).
    pub org: Option<Part>,
    pub ip: Option<String>,
    pub changes: Vec<Change>,
}

/// A page of entries in words for `access` (the audit log, the dashboard):
/// the names they mention read once per kind, actors named as the log always
/// named them and linked when visible.
pub fn worded(conn: &mut Conn, access: &Access, entries: Vec<Entry>) -> Result<Vec<Worded>> {
    let names = Names::load(conn, access, &entries)?;
    let actors: Vec<i64> = entries.iter().filter_map(|e| e.actor_user_id).collect();
    let actor_names: HashMap<i64, String> = users::table
        .filter(users::id.eq_any(actors))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(entries
        .into_iter()
        .map(|entry| {
            let name = entry.actor_user_id.and_then(|a| actor_names.get(&a));
            let who = actor(&entry, name.map(String::as_str), &names);
            Worded {
                sentence: sentence(&entry, who, &names),
                changes: changes(&entry, &names),
                org: entry.org_id.map(|o| named_or(&names, Kind::Org, o)),
                at: entry.at,
                ip: entry.ip,
                action: entry.action,
            }
        })
        .collect())
}

/// One piece of a sentence: words, or a name with the page it opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub text: String,
    pub href: Option<String>,
}

impl Part {
    fn words(text: impl Into<String>) -> Part {
        Part {
            text: text.into(),
            href: None,
        }
    }

    fn named(text: impl Into<String>, href: Option<String>) -> Part {
        Part {
            text: text.into(),
            href,
        }
    }
}

/// One changed field: its label, and the value before and after in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A date as the log's sentences say it ("30 Nov 2026").
pub fn day(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// Who acted, as the log names them: the person's name (linked when the
/// viewer may open their page), else how the change came in.
pub fn actor(entry: &Entry, actor_name: Option<&str>, names: &Names) -> Part {
    match (entry.actor_user_id, actor_name) {
        (Some(id), Some(name)) => {
            Part::named(name, names.get(Kind::User, id).and(Kind::User.href(id)))
        }
        _ => Part::words(match entry.via {
            Via::System => "Canopy",
            Via::Cli => "An operator (command line)",
            Via::Setup => "The setup link",
            Via::Link => "Someone with a mailed link",
            Via::Session | Via::Token | Via::Anonymous => "Someone",
        }),
    }
}

/// The entry as a sentence, its actor already worded.
pub fn sentence(entry: &Entry, who: Part, names: &Names) -> Vec<Part> {
    let details = Details::of(entry);
    let pattern = actions::pattern(&entry.action);
    let mut parts = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        if open > 0 {
            parts.push(Part::words(rest[..open].to_string()));
        }
        match &rest[open + 1..close] {
            "who" => parts.push(who.clone()),
            "target" => parts.extend(target(entry, names)),
            "person" => parts.push(details.person(names)),
            "role" => parts.extend(details.role(names)),
            "action" => parts.push(Part::words(entry.action.clone())),
            other => parts.push(Part::words(other.to_string())),
        }
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(Part::words(rest.to_string()));
    }
    parts.push(Part::words("."));
    parts
}

/// What the entry is about, named if the viewer may see it.
fn target(entry: &Entry, names: &Names) -> Vec<Part> {
    let Some(id) = entry.target_id else {
        return vec![Part::words("someone")];
    };
    if entry.target_type == Target::Timesheet {
        let Some((owner, week)) = names.sheets.get(&id) else {
            return vec![Part::words("a week")];
        };
        let href = format!("/timesheets/{owner}/{week}");
        return match names.get(Kind::User, *owner) {
            Some(name) => vec![
                Part::named(name, Kind::User.href(*owner)),
                Part::words("’s "),
                Part::named(format!("week of {}", day(*week)), Some(href)),
            ],
            None => vec![Part::words(format!("someone’s week of {}", day(*week)))],
        };
    }
    let Some(kind) = Kind::of_target(entry.target_type) else {
        return vec![Part::words(match entry.target_type {
            Target::ApiToken => "an API token",
            Target::Grant => "a grant",
            Target::GrantInvitation => "an invitation",
            _ => "something",
        })];
    };
    let prefix = match kind {
        Kind::Project => "the project ",
        Kind::Team => "the team ",
        Kind::Group => "the group ",
        Kind::Role => "the role ",
        Kind::User | Kind::Org => "",
    };
    match names.get(kind, id) {
        Some(name) => {
            let mut v = Vec::new();
            if !prefix.is_empty() {
                v.push(Part::words(prefix));
            }
            v.push(Part::named(name, kind.href(id)));
            v
        }
        None => vec![Part::words(kind.unnamed())],
    }
}

/// The entry's before and after, read for the names they mention.
struct Details {
    fields: Map<String, Value>,
}

impl Details {
    fn of(entry: &Entry) -> Details {
        let mut fields = Map::new();
        for raw in [&entry.before_json, &entry.after_json]
            .into_iter()
            .flatten()
        {
            if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) {
                fields.extend(map.into_iter().filter(|(_, v)| !v.is_null()));
            }
        }
        Details { fields }
    }

    fn id(&self, key: &str) -> Option<i64> {
        self.fields.get(key).and_then(Value::as_i64)
    }

    /// The person the details name (a grant's holder, a new member).
    fn person(&self, names: &Names) -> Part {
        if let Some(id) = self.id("user_id") {
            return match names.get(Kind::User, id) {
                Some(name) => Part::named(name, Kind::User.href(id)),
                None => Part::words("someone"),
            };
        }
        if let Some(id) = self.id("group_id") {
            return match names.get(Kind::Group, id) {
                Some(name) => Part::named(format!("the group {name}"), Kind::Group.href(id)),
                None => Part::words("a group"),
            };
        }
        Part::words("someone")
    }

    /// "the role Org admin at Acme" (the org named if the viewer may see it).
    fn role(&self, names: &Names) -> Vec<Part> {
        let role = self
            .fields
            .get("role")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| {
                self.id("role_id")
                    .and_then(|r| names.get(Kind::Role, r).map(str::to_string))
            });
        let mut v = vec![Part::words(match role {
            Some(r) => format!("the role {r}"),
            None => "a role".into(),
        })];
        if let Some(p) = self.id("project_id") {
            v.push(Part::words(" on "));
            v.push(named_or(names, Kind::Project, p));
        } else if let Some(o) = self.id("org_id") {
            v.push(Part::words(" at "));
            v.push(named_or(names, Kind::Org, o));
        }
        v
    }
}

fn named_or(names: &Names, kind: Kind, id: i64) -> Part {
    match names.get(kind, id) {
        Some(name) => Part::named(name, kind.href(id)),
        None => Part::words(kind.unnamed()),
    }
}

// ------------------------------------------------------------- the changes

/// What changed between an entry's before and after, field by field, with
/// labels and values as people read them; internal fields (`version`) left out.
pub fn changes(entry: &Entry, names: &Names) -> Vec<Change> {
    let parse = |raw: &Option<String>| {
        raw.as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
    };
    let (before, after) = (parse(&entry.before_json), parse(&entry.after_json));
    let empty = Map::new();
    let (b, a) = match (&before, &after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => (b, a),
        (Some(Value::Object(b)), None) => (b, &empty),
        (None, Some(Value::Object(a))) => (&empty, a),
        (None, None) => return vec![],
        (b, a) => {
            return if b == a {
                vec![]
            } else {
                vec![Change {
                    field: "Value".into(),
                    before: b.as_ref().map_or("—".into(), |v| word("", v, names, 0)),
                    after: a.as_ref().map_or("—".into(), |v| word("", v, names, 0)),
                }]
            };
        }
    };
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !HIDDEN.contains(&k.as_str()) && b.get(*k) != a.get(*k))
        .map(|k| {
            let show = |v: Option<&Value>| v.map_or("—".to_string(), |v| word(k, v, names, 0));
            Change {
                field: label(k),
                before: show(b.get(k)),
                after: show(a.get(k)),
            }
        })
        .collect()
}

/// Fields the log keeps for its own sake, not worth a person's reading.
const HIDDEN: &[&str] = &["version", "part_id", "id", "password_hash"];

/// Field labels, by key; other keys are worded from the key.
const LABELS: &[(&str, &str)] = &[
    ("name", "Name"),
    ("display_name", "Name"),
    ("code", "Code"),
    ("kind", "Kind"),
    ("tags", "Tags"),
    ("description", "Description"),
    ("status", "State"),
    ("email", "Email"),
    ("org_id", "Organization"),
    ("parent_id", "Parent organization"),
    ("user_id", "Person"),
    ("owner_id", "Person"),
    ("project_id", "Project"),
    ("team_id", "Team"),
    ("group_id", "Group"),
    ("role_id", "Role"),
    ("role", "Role"),
    ("permissions", "Permissions"),
    ("descendants", "Includes everything below"),
    ("expires_at", "Expires"),
    ("privacy_mode", "Privacy mode"),
    ("parts", "Approval steps"),
    ("cells", "Hours entered"),
    ("week_start", "Week of"),
    ("start_date", "Starts"),
    ("end_date", "Ends"),
    ("minutes_per_week", "Hours per week"),
    ("minutes", "Hours"),
    ("budget_minutes", "Budget (hours)"),
    ("date", "Date"),
    ("note", "Note"),
    ("reason", "Reason"),
    ("rejection_reason", "Reason"),
    ("lead", "Team lead"),
    ("owner", "Group owner"),
    ("member", "Member"),
    ("assignment", "Assignment"),
    ("assignments", "Assignments"),
    ("ended", "Ended"),
    ("deleted", "Removed"),
    ("approval_mode", "Approval mode"),
    ("accent_color", "Accent colour"),
    ("assignable_roles", "Roles its admins may assign"),
];

/// The label of a field key ("parent_id" is "Parent organization").
pub fn label(key: &str) -> String {
    if let Some((_, l)) = LABELS.iter().find(|(k, _)| *k == key) {
        return (*l).to_string();
    }
    let words = key.strip_suffix("_id").unwrap_or(key).replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => "Value".into(),
    }
}

/// A value in words: names for ids, hours for minutes, yes/no, lists and
/// records spelled out, cut at 160 characters.
fn word(key: &str, v: &Value, names: &Names, depth: usize) -> String {
    let text = match v {
        Value::Null => "none".to_string(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Number(n) => match (Kind::of_key(key), n.as_i64()) {
            (Some(kind), Some(id)) => names.get(kind, id).unwrap_or(kind.unnamed()).to_string(),
            (None, Some(m)) if key.contains("minutes") => crate::domain::timesheet::hours(m),
            _ => n.to_string(),
        },
        Value::String(s) if key == "permissions" || key == "permission" => permissions(s),
        Value::String(s) if key == "status" || key == "state" => s.replace('_', " "),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.is_empty() => "none".into(),
        Value::Array(items) => {
            let sep = if items.iter().any(Value::is_object) {
                "; "
            } else {
                ", "
            };
            items
                .iter()
                .map(|i| word(key, i, names, depth + 1))
                .collect::<Vec<_>>()
                .join(sep)
        }
        Value::Object(map) if depth > 2 => format!("{} fields", map.len()),
        Value::Object(map) => map
            .iter()
            .filter(|(k, _)| !HIDDEN.contains(&k.as_str()))
            .map(|(k, v)| format!("{}: {}", label(k), word(k, v, names, depth + 1)))
            .collect::<Vec<_>>()
            .join(", "),
    };
    if text.chars().count() > 160 {
        format!("{}…", text.chars().take(160).collect::<String>())
    } else {
        text
    }
}

/// A role's permissions ("org.view,user.view" or one code) by their labels.
fn permissions(codes: &str) -> String {
    codes
        .split([',', ' '])
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<crate::authz::Permission>()
                .map_or(c.to_string(), |p| p.label().to_string())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(action: &str, before: Option<&str>, after: Option<&str>) -> Entry {
        Entry {
            id: 1,
            at: chrono::NaiveDateTime::default(),
            actor_user_id: None,
            actor_token_id: None,
            via: Via::System,
            action: action.into(),
            target_type: Target::Timesheet,
            target_id: Some(7),
            org_id: None,
            ip: None,
            before_json: before.map(str::to_string),
            after_json: after.map(str::to_string),
        }
    }

    #[test]
    fn changes_read_as_words_without_internal_fields() {
        let e = entry(
            "timesheet.approved",
            Some(r#"{"status":"submitted","version":6}"#),
            Some(r#"{"status":"approved","parts":[{"part_id":2,"project_id":null}]}"#),
        );
        let c = changes(&e, &Names::default());
        assert_eq!(
            c,
            [
                Change {
                    field: "Approval steps".into(),
                    before: "—".into(),
                    after: "Project: none".into()
                },
                Change {
                    field: "State".into(),
                    before: "submitted".into(),
                    after: "approved".into()
                },
            ]
        );
        assert_eq!(label("parent_id"), "Parent organization");
        assert_eq!(label("week_start_day"), "Week start day");
    }

    #[test]
    fn a_sentence_names_no_one_it_may_not() {
        let e = entry("timesheet.approved", None, None);
        let s = sentence(&e, Part::words("Paul"), &Names::default());
        assert_eq!(
            s,
            [
                Part::words("Paul"),
                Part::words(" approved "),
                Part::words("a week"),
                Part::words(".")
            ]
        );
    }
}
