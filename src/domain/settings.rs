//! Settings inherited down the tree: an org overrides a key or inherits it from
//! its nearest ancestor that sets it; where nobody does, the built-in default.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};

use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn,
    schema::{org_closure, org_settings},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::error::{Error, FieldErrors, Result};

pub const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// One setting: its key, label, default and parser.
pub struct Definition {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub default: fn() -> Value,
    /// How the settings page asks for it.
    pub control: Control,
    parse: fn(&mut Conn, i64, &Value) -> std::result::Result<Value, String>,
}

/// How a setting is asked for on the settings page: the page draws its
/// control from this, and what it posts goes through the same parser as the
/// API's `PUT /api/v1/orgs/{id}/settings`.
#[derive(Clone, Copy, Debug)]
pub enum Control {
    /// One of a closed list: (stored value, label).
    Choice(&'static [(&'static str, &'static str)]),
    /// A whole number in a unit; `never` labels the "none" word when allowed.
    Number {
        min: i64,
        max: i64,
        unit: &'static str,
        never: Option<&'static str>,
    },
    /// A day, or `never` for none.
    Date { never: &'static str },
    /// `#rrggbb`.
    Colour,
    /// A line of text.
    Text,
    /// Role ids, or all.
    Roles,
}

pub const WEEKDAY_CHOICES: &[(&str, &str)] = &[
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

pub const TWO_FACTOR_CHOICES: &[(&str, &str)] = &[
    ("optional", "Optional: each person decides"),
    ("required", "Required for everyone at home here and below"),
];

pub const APPROVAL_CHOICES: &[(&str, &str)] = &[
    ("project", "Project approvers"),
    ("team", "Team leads"),
    ("both", "Both in turn (project, then team)"),
];

impl Definition {
    /// `value` as a person reads it: a choice's label, a number with its unit,
    /// "Never", role names (`role_name` says each id's), "(the organization's
    /// own name)" for an empty display name.
    pub fn describe(&self, value: &Value, role_name: impl Fn(i64) -> String) -> String {
        let none = matches!(value, Value::String(s) if s == "none");
        match self.control {
            Control::Choice(choices) => {
                let raw = value.as_str().unwrap_or_default();
                choices
                    .iter()
                    .find(|(v, _)| *v == raw)
                    .map_or_else(|| raw.to_string(), |(_, l)| l.to_string())
            }
            Control::Number { never: Some(n), .. } | Control::Date { never: n } if none => {
                n.to_string()
            }
            Control::Number { never: None, .. } if none => "Not counted".into(),
            Control::Number { unit, .. } => match value {
                Value::Number(n) => format!("{n} {unit}"),
                other => other.as_str().unwrap_or_default().to_string(),
            },
            Control::Roles => match value {
                Value::Array(ids) if ids.is_empty() => "No role".into(),
                Value::Array(ids) => ids
                    .iter()
                    .filter_map(Value::as_i64)
                    .map(role_name)
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => "All roles".into(),
            },
            Control::Text => match value.as_str() {
                Some("") => "(the organization's own name)".into(),
                Some(s) => s.to_string(),
                None => value.to_string(),
            },
            Control::Date { .. } | Control::Colour => {
                value.as_str().unwrap_or_default().to_string()
            }
        }
    }
}

fn weekday(_: &mut Conn, _: i64, v: &Value) -> std::result::Result<Value, String> {
    match v.as_str().map(|s| s.trim().to_lowercase()) {
        Some(day) if WEEKDAYS.contains(&day.as_str()) => Ok(json!(day)),
        _ => Err("Choose a day of the week, e.g. monday.".into()),
    }
}

fn int_in(v: &Value, min: i64, max: i64) -> Option<i64> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    (min..=max).contains(&n).then_some(n)
}

fn is_none_word(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.trim().is_empty() || s.trim().eq_ignore_ascii_case("none"))
}

pub const DEFINITIONS: &[Definition] = &[
    Definition {
        key: "week_start",
        label: "Week starts on",
        help: "The first day of each timesheet week.",
        default: || json!("monday"),
        control: Control::Choice(WEEKDAY_CHOICES),
        parse: weekday,
    },
    Definition {
        key: "max_minutes_per_day",
        label: "Maximum minutes per day",
        help: "No timesheet day may exceed this (1 to 1440).",
        default: || json!(1440),
        control: Control::Number {
            min: 1,
            max: 1440,
            unit: "minutes",
            never: None,
        },
        parse: |_, _, v| {
            int_in(v, 1, 1440)
                .map(|n| json!(n))
                .ok_or_else(|| "Enter a whole number of minutes from 1 to 1440.".into())
        },
    },
    Definition {
        key: "approval_mode",
        label: "Approval mode",
        help: "Who approves timesheets: project approvers, team leads, or both in turn.",
        default: || json!("project"),
        control: Control::Choice(APPROVAL_CHOICES),
        parse: |_, _, v| match v.as_str().map(str::trim) {
            Some(m @ ("project" | "team" | "both")) => Ok(json!(m)),
            _ => Err("Choose project, team or both.".into()),
        },
    },
    Definition {
        key: "lock_after_days",
        label: "Lock approved time after (days)",
        help: "Approved weeks lock this many days after approval; none never locks.",
        default: || json!("none"),
        control: Control::Number {
            min: 0,
            max: 3650,
            unit: "days",
            never: Some("Never lock"),
        },
        parse: |_, _, v| {
            if is_none_word(v) {
                return Ok(json!("none"));
            }
            int_in(v, 0, 3650)
                .map(|n| json!(n))
                .ok_or_else(|| "Enter a number of days from 0 to 3650, or none.".into())
        },
    },
    Definition {
        key: "lock_before",
        label: "Lock all time before",
        help: "No time dated before this day can change; none for no such lock.",
        default: || json!("none"),
        control: Control::Date {
            never: "No such lock",
        },
        parse: |_, _, v| {
            if is_none_word(v) {
                return Ok(json!("none"));
            }
            let text = v.as_str().ok_or("Enter a date like 2026-11-22, or none.")?;
            crate::domain::validate::date(text, "The lock date")
                .map(|d| json!(d.to_string()))
                .map_err(|m| format!("{m} Or none."))
        },
    },
    Definition {
        key: "reminder_day",
        label: "Reminder day",
        help: "The weekday reminders for missing timesheets go out.",
        default: || json!("monday"),
        control: Control::Choice(WEEKDAY_CHOICES),
        parse: weekday,
    },
    Definition {
        key: "display_name",
        label: "Display name",
        help: "Shown instead of the organization's name in its pages; empty for the name.",
        default: || json!(""),
        control: Control::Text,
        parse: |_, _, v| match v.as_str() {
            Some(s) => crate::domain::validate::optional_line(s, "Display name", 100)
                .and_then(|s| {
                    if s.contains(['<', '>']) {
                        Err("Display name may not contain < or >.".into())
                    } else {
                        Ok(s)
                    }
                })
                .map(|s| json!(s)),
            None => Err("Enter text.".into()),
        },
    },
    Definition {
        key: "accent_color",
        label: "Accent colour",
        help: "The colour of the shell's accents for this organization and below.",
        default: || json!("#2f6b3b"),
        control: Control::Colour,
        parse: |_, _, v| match v.as_str().map(str::trim) {
            Some(s) if s.strip_prefix('#').is_some_and(is_hex_colour) => {
                Ok(json!(s.to_lowercase()))
            }
            _ => Err("Enter a colour as #RRGGBB.".into()),
        },
    },
    Definition {
        key: "assignable_roles",
        label: "Roles this org's admins may assign",
        help: "All roles, or only those ticked; an organization above may narrow the choice.",
        default: || json!("all"),
        control: Control::Roles,
        parse: parse_assignable_roles,
    },
    Definition {
        key: crate::domain::two_factor::REQUIRE_SETTING,
        label: "Two-factor sign-in",
        help: "Required: everyone at home here and below sets up a code app at their next \
               sign-in. An organization above that requires it cannot be overruled here.",
        default: || json!("optional"),
        control: Control::Choice(TWO_FACTOR_CHOICES),
        parse: |conn, org_id, v| match v.as_str().map(str::trim) {
            Some("required") => Ok(json!("required")),
            Some("optional") => {
                if crate::domain::two_factor::required_above(conn, org_id)
                    .map_err(|e| e.to_string())?
                {
                    Err(
                        "An organization above requires two-factor sign-in, so it cannot be \
                         optional here: revert to inherit."
                            .into(),
                    )
                } else {
                    Ok(json!("optional"))
                }
            }
            _ => Err("Choose optional or required.".into()),
        },
    },
    Definition {
        key: crate::domain::seats::SETTING,
        label: "Seats for timesheets",
        help: "A pool of seats for people entering time here and below; an organization \
               below may be given a share of it. Set from above: only an administrator of \
               the parent organization can change it. Inherit for no pool of its own.",
        default: || json!("none"),
        control: Control::Number {
            min: 0,
            max: crate::domain::seats::MAX,
            unit: "seats",
            never: None,
        },
        parse: crate::domain::seats::parse_setting,
    },
];

fn parse_assignable_roles(
    conn: &mut Conn,
    org_id: i64,
    v: &Value,
) -> std::result::Result<Value, String> {
    if v.as_str()
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("all"))
    {
        if assignable_above(conn, org_id)
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err(
                "An organization above narrows the assignable roles, so all cannot apply \
                 here: choose among the roles it allows, or revert to inherit."
                    .into(),
            );
        }
        return Ok(json!("all"));
    }
    let ids: Vec<i64> = match v {
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_i64().ok_or(()))
            .collect::<std::result::Result<_, _>>(),
        Value::String(s) => s
            .split([',', ' '])
            .filter(|p| !p.is_empty())
            .map(|p| p.trim().parse::<i64>().map_err(|_| ()))
            .collect(),
        _ => Err(()),
    }
    .map_err(|_| "Enter all, or a list of role ids.".to_string())?;
    for id in &ids {
        let usable = crate::domain::role::usable_at(conn, *id, crate::domain::ids::OrgId(org_id))
            .map_err(|e| e.to_string())?;
        if !usable {
            return Err(format!("Role {id} does not exist here."));
        }
    }
    let mut ids = ids;
    ids.sort_unstable();
    ids.dedup();
    // An org narrows what the orgs above it allow; it never widens it.
    if let Some(allowed) = assignable_above(conn, org_id).map_err(|e| e.to_string())? {
        let list = allowed
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        if let Some(extra) = ids.iter().find(|id| !allowed.contains(id)) {
            return Err(format!(
                "Role {extra} is not assignable above this organization; choose among {list}."
            ));
        }
    }
    Ok(json!(ids))
}

/// Six hex digits: a colour as `accent_color` holds it, without its `#`
/// (also how the shell's accent stylesheet is named).
pub fn is_hex_colour(hex: &str) -> bool {
    hex.len() == 6 && hex.chars().all(|h| h.is_ascii_hexdigit())
}

pub fn definition(key: &str) -> Option<&'static Definition> {
    DEFINITIONS.iter().find(|d| d.key == key)
}

/// Where an effective value comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    ThisOrg,
    Inherited,
    Default,
}

#[derive(Clone, Debug, Serialize)]
pub struct Effective {
    pub key: &'static str,
    #[serde(skip)]
    pub label: &'static str,
    #[serde(skip)]
    pub help: &'static str,
    pub value: Value,
    /// The ancestor whose value applies; null when set here or by default.
    pub inherited_from: Option<i64>,
    pub source: Source,
}

impl Effective {
    /// The value as a form field holds it: text as it is (empty stays
    /// empty, never the words "(empty)"), anything else as [`display`] shows it.
    ///
    /// [`display`]: Effective::display
    pub fn form_value(&self) -> String {
        match &self.value {
            Value::String(s) => s.clone(),
            _ => self.display(),
        }
    }

    /// True when this org itself sets the value `word` (such as "none").
    pub fn set_here_as(&self, word: &str) -> bool {
        self.source == Source::ThisOrg && self.value.as_str() == Some(word)
    }

    /// The value as a person reads it.
    pub fn display(&self) -> String {
        match &self.value {
            Value::String(s) if s.is_empty() => "(empty)".into(),
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
}

/// Every setting's effective value at `org_id`, in catalogue order.
pub fn effective(conn: &mut Conn, org_id: i64) -> Result<Vec<Effective>> {
    // Values set at the org or its ancestors, nearest first.
    let rows: Vec<(i64, String, String, i32)> = org_settings::table
        .inner_join(org_closure::table.on(org_closure::ancestor_id.eq(org_settings::org_id)))
        .filter(org_closure::descendant_id.eq(org_id))
        .order(org_closure::depth.asc())
        .select((
            org_settings::org_id,
            org_settings::key,
            org_settings::value,
            org_closure::depth,
        ))
        .load(conn)?;
    Ok(DEFINITIONS
        .iter()
        .map(|d| {
            let set = rows.iter().find(|(_, key, _, _)| key == d.key);
            let (value, inherited_from, source) = match set {
                Some((at, _, raw, depth)) => (
                    serde_json::from_str(raw).unwrap_or_else(|_| (d.default)()),
                    (*depth > 0).then_some(*at),
                    if *depth == 0 {
                        Source::ThisOrg
                    } else {
                        Source::Inherited
                    },
                ),
                None => ((d.default)(), None, Source::Default),
            };
            Effective {
                key: d.key,
                label: d.label,
                help: d.help,
                value,
                inherited_from,
                source,
            }
        })
        .collect())
}

/// What each setting at `org_id` would be if the org set nothing: the
/// effective values of its parent (the defaults at the root), in catalogue
/// order. The settings page says this next to each field ("inherits Monday,
/// from Acme").
pub fn inherited(conn: &mut Conn, org_id: i64) -> Result<Vec<Effective>> {
    match crate::domain::org::find(conn, org_id)?.parent_id {
        Some(parent) => Ok(effective(conn, parent)?
            .into_iter()
            .map(|mut e| {
                if e.source == Source::ThisOrg {
                    e.source = Source::Inherited;
                    e.inherited_from = Some(parent);
                }
                e
            })
            .collect()),
        None => Ok(DEFINITIONS
            .iter()
            .map(|d| Effective {
                key: d.key,
                label: d.label,
                help: d.help,
                value: (d.default)(),
                inherited_from: None,
                source: Source::Default,
            })
            .collect()),
    }
}

/// The roles an `assignable_roles` value at `org_id` may name: those usable
/// there, and what the orgs above allow (`None`: all of them).
pub fn role_choices(
    conn: &mut Conn,
    org_id: i64,
) -> Result<(Vec<crate::domain::role::Role>, Option<Vec<i64>>)> {
    let roles = crate::domain::role::usable_at_org(conn, org_id)?;
    Ok((roles, assignable_above(conn, org_id)?))
}

/// What a key that names no setting is told: in the words of an unknown
/// field in any API body (`api::unknown_field`), with the keys there are.
fn unknown_setting() -> String {
    let known: Vec<String> = DEFINITIONS
        .iter()
        .map(|d| format!("`{}`", d.key))
        .chain(["`version`".to_string()])
        .collect();
    format!("Unknown field. Expected one of {}.", known.join(", "))
}

/// Sets (`Some`) or reverts to inherited (`None`) each given key at `org_id`. All
/// values are checked first; one bad value changes nothing.
pub fn put(
    conn: &mut Conn,
    actor: &Actor,
    org_id: i64,
    changes: &[(String, Option<Value>)],
    version: Option<i64>,
) -> Result<Vec<Effective>> {
    let org = crate::domain::org::find(conn, org_id)?;
    crate::domain::org::check_version(&org, version)?;
    let mut errors = FieldErrors::new();
    let mut parsed = Vec::new();
    for (key, value) in changes {
        let Some(def) = definition(key) else {
            errors.add(key, unknown_setting());
            continue;
        };
        match value {
            None => parsed.push((def.key, None)),
            Some(v) => match (def.parse)(conn, org_id, v) {
                Ok(v) => parsed.push((def.key, Some(v))),
                Err(m) => errors.add(key, m),
            },
        }
    }
    if changes.is_empty() {
        errors.add("settings", "Nothing to change.");
    }
    errors.into_result()?;
    let seats_change = parsed
        .iter()
        .find(|(k, _)| *k == crate::domain::seats::SETTING)
        .map(|(_, v)| v.as_ref().and_then(Value::as_i64));
    // Settings are part of the org: a change bumps its version (and refuses a
    // concurrent one), so forms opened before it answer 409.
    crate::domain::org::touch(conn, &org)?;
    // After the org's row (as an org move takes them), the seat lock.
    if let Some(value) = seats_change {
        crate::domain::seats::check_change(conn, org_id, value)?;
    }
    let before = effective(conn, org_id)?;
    for (key, value) in &parsed {
        diesel::delete(org_settings::table.find((org_id, *key))).execute(conn)?;
        if let Some(v) = value {
            diesel::insert_into(org_settings::table)
                .values((
                    org_settings::org_id.eq(org_id),
                    org_settings::key.eq(*key),
                    org_settings::value.eq(v.to_string()),
                    org_settings::updated_at.eq(db::now()),
                ))
                .execute(conn)?;
        }
    }
    if seats_change.is_some() {
        crate::domain::seats::follow_pools(conn, actor, org_id, "pools changed", true)?;
    }
    let after = effective(conn, org_id)?;
    let pick = |list: &[Effective]| -> serde_json::Map<String, Value> {
        parsed
            .iter()
            .filter_map(|(k, _)| list.iter().find(|e| e.key == *k))
            .map(|e| {
                (
                    e.key.to_string(),
                    json!({"value": e.value, "source": e.source}),
                )
            })
            .collect()
    };
    audit::record(
        conn,
        actor,
        Event::new("org.settings_changed", Target::Org, Some(org_id))
            .org(org_id)
            .before(pick(&before))
            .after(pick(&after)),
    )?;
    let requires = json!(crate::domain::two_factor::REQUIRED);
    if parsed.iter().any(|(k, v)| {
        *k == crate::domain::two_factor::REQUIRE_SETTING && v.as_ref() == Some(&requires)
    }) {
        crate::domain::two_factor::clear_weaker_below(conn, org_id)?;
    }
    if parsed.iter().any(|(k, _)| *k == "assignable_roles") {
        // Not an access change by itself, but keep every instance's view exact.
        crate::domain::epoch::bump_tree(conn)?;
    }
    Ok(after)
}

/// The roles that may be handed out at `org_id`: `None` for all. Every
/// `assignable_roles` value set at the org or above narrows it (their
/// intersection), so an org's setting never widens what an ancestor allows.
pub fn assignable_roles(conn: &mut Conn, org_id: i64) -> Result<Option<Vec<i64>>> {
    let set: Vec<String> = org_settings::table
        .inner_join(org_closure::table.on(org_closure::ancestor_id.eq(org_settings::org_id)))
        .filter(org_closure::descendant_id.eq(org_id))
        .filter(org_settings::key.eq(ASSIGNABLE_ROLES))
        .select(org_settings::value)
        .load(conn)?;
    let mut allowed: Option<Vec<i64>> = None;
    for raw in set {
        // "all" (or anything unreadable, which reads as the default) narrows nothing.
        let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&raw) else {
            continue;
        };
        let ids: Vec<i64> = items.iter().filter_map(Value::as_i64).collect();
        allowed = Some(match allowed {
            None => ids,
            Some(before) => before.into_iter().filter(|i| ids.contains(i)).collect(),
        });
    }
    Ok(allowed)
}

/// What the orgs above `org_id` allow to be assigned (`None`: all, or no parent).
fn assignable_above(conn: &mut Conn, org_id: i64) -> Result<Option<Vec<i64>>> {
    match crate::domain::org::find(conn, org_id)?.parent_id {
        Some(parent) => assignable_roles(conn, parent),
        None => Ok(None),
    }
}

pub const ASSIGNABLE_ROLES: &str = "assignable_roles";

/// Keys set from above: changing one at an org needs `org.settings` at its
/// parent (the root's at the root), so the admins it restricts cannot undo it.
pub fn is_set_from_above(key: &str) -> bool {
    key == ASSIGNABLE_ROLES || key == crate::domain::seats::SETTING
}

/// Why a key set from above needs `org.settings` at the parent, in words.
fn set_from_above_message(key: &str) -> String {
    let what = if key == crate::domain::seats::SETTING {
        "An organization's seats are set from above, so it cannot raise its own limit"
    } else {
        "The roles an organization's admins may assign are set from above"
    };
    format!("{what}: changing them needs org.settings at its parent organization.")
}

/// May the person change `keys` at `org_id`? `org.settings` there (404 when the
/// org is not visible, else 403), and for keys set from above `org.settings` at
/// the parent too.
pub fn require_may_change(access: &Access, org_id: i64, keys: &[&str]) -> Result<()> {
    access.require(Permission::OrgSettings, org_id)?;
    if let Some(key) = keys.iter().find(|k| is_set_from_above(k))
        && !may_change_from_above(access, org_id)
    {
        return Err(Error::Forbidden(set_from_above_message(key)));
    }
    Ok(())
}

/// True when the person may change this org's keys that are set from above.
pub fn may_change_from_above(access: &Access, org_id: i64) -> bool {
    let at = access.snapshot.tree().parent_of(org_id).unwrap_or(org_id);
    access.can(Permission::OrgSettings, org_id) && access.can(Permission::OrgSettings, at)
}

/// Sets or reverts settings as a person: [`require_may_change`], then [`put`].
pub fn change(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    org_id: i64,
    changes: &[(String, Option<Value>)],
    version: Option<i64>,
) -> Result<Vec<Effective>> {
    let keys: Vec<&str> = changes.iter().map(|(k, _)| k.as_str()).collect();
    require_may_change(access, org_id, &keys)?;
    put(conn, actor, org_id, changes, version)
}
