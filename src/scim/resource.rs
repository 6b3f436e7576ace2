//! Users and groups as SCIM JSON, and SCIM JSON read back into what the
//! domain takes; list parameters and the `attributes` projection.

use serde_json::{Map, Value, json};

use super::ScimError;
use super::filter::{self, On};
use crate::domain::scim::groups::{GroupInput, ScimGroup};
use crate::domain::scim::users::{ScimUser, UserInput};
use crate::domain::scim::{Filter, Query};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn time(t: chrono::NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The weak ETag of a row version, as `meta.version` and the `ETag` header.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

fn meta(
    kind: &str,
    location: String,
    created: chrono::NaiveDateTime,
    modified: chrono::NaiveDateTime,
    version: i64,
) -> Value {
    json!({
        "resourceType": kind,
        "created": time(created),
        "lastModified": time(modified),
        "location": location,
        "version": etag(version),
    })
}

pub fn user_json(u: &ScimUser, base: &str) -> Value {
    let mut v = json!({
        "schemas": [USER_SCHEMA],
        "id": u.user.id.to_string(),
        "userName": u.user_name,
        "displayName": u.user.display_name,
        "active": u.active(),
        // The one email Canopy keeps; `primary` is not published (a lone
        // email is the primary one), so what a client sends reads back alike.
        "emails": [{"value": u.user.email}],
        "meta": meta("User", format!("{base}/Users/{}", u.user.id), u.user.created_at, u.user.updated_at, u.user.version),
    });
    if let Some(ext) = &u.external_id {
        v["externalId"] = json!(ext);
    }
    v
}

pub fn group_json(g: &ScimGroup, base: &str) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|id| json!({"value": id.to_string(), "$ref": format!("{base}/Users/{id}")}))
        .collect();
    let mut v = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.group.id.to_string(),
        "displayName": g.group.name,
        "members": members,
        "meta": meta("Group", format!("{base}/Groups/{}", g.group.id), g.group.created_at, g.group.updated_at, g.group.version),
    });
    if let Some(ext) = &g.external_id {
        v["externalId"] = json!(ext);
    }
    v
}

/// The value of `name` in `obj`, the name matched in any case (RFC 7643 §2.1).
pub fn get<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn text(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, ScimError> {
    match get(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            format!("{name} must be a string."),
        )),
    }
}

fn object(body: &Value) -> Result<&Map<String, Value>, ScimError> {
    body.as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "The body must be a JSON object."))
}

/// `active` as a boolean; some providers send "True"/"False" as text.
fn flag(value: &Value) -> Result<bool, ScimError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::bad(
            "invalidValue",
            "active must be true or false.",
        )),
    }
}

/// The primary `emails` value, else the first.
fn primary_email(obj: &Map<String, Value>) -> Result<Option<String>, ScimError> {
    let Some(emails) = get(obj, "emails") else {
        return Ok(None);
    };
    let list = emails
        .as_array()
        .ok_or_else(|| ScimError::bad("invalidValue", "emails must be a list."))?;
    let chosen = list
        .iter()
        .find(|e| e.as_object().and_then(|o| get(o, "primary")) == Some(&Value::Bool(true)))
        .or_else(|| list.first());
    match chosen {
        None => Ok(None),
        Some(Value::Object(e)) => text(e, "value"),
        Some(_) => Err(ScimError::bad(
            "invalidValue",
            "Each email must be an object.",
        )),
    }
}

pub fn user_input(body: &Value) -> Result<UserInput, ScimError> {
    let obj = object(body)?;
    let user_name = text(obj, "userName")?
        .ok_or_else(|| ScimError::bad("invalidValue", "userName is required."))?;
    let formatted = match get(obj, "name") {
        Some(Value::Object(n)) => text(n, "formatted")?,
        Some(_) => return Err(ScimError::bad("invalidValue", "name must be an object.")),
        None => None,
    };
    Ok(UserInput {
        user_name,
        email: primary_email(obj)?,
        name: text(obj, "displayName")?.or(formatted),
        active: get(obj, "active").map(flag).transpose()?,
        external_id: text(obj, "externalId")?,
    })
}

pub fn group_input(body: &Value) -> Result<GroupInput, ScimError> {
    let obj = object(body)?;
    let display_name = text(obj, "displayName")?
        .ok_or_else(|| ScimError::bad("invalidValue", "displayName is required."))?;
    let members = match get(obj, "members") {
        None => None,
        Some(Value::Array(list)) => Some(list.iter().map(member_value).collect::<Result<_, _>>()?),
        Some(_) => return Err(ScimError::bad("invalidValue", "members must be a list.")),
    };
    Ok(GroupInput {
        display_name,
        external_id: text(obj, "externalId")?,
        members,
    })
}

fn member_value(m: &Value) -> Result<String, ScimError> {
    let value = m.as_object().and_then(|o| get(o, "value"));
    match value {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(ScimError::bad(
            "invalidValue",
            "Each member needs a value (a user id).",
        )),
    }
}

/// A list request's parameters, by name in any case.
pub struct ListParams {
    pub query: Query,
    pub start_index: i64,
    pub projection: Projection,
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn number(pairs: &[(String, String)], name: &str, default: i64) -> Result<i64, ScimError> {
    match param(pairs, name).map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| ScimError::bad("invalidValue", format!("{name} must be a whole number."))),
    }
}

/// `filter`, `startIndex` (from 1; less counts as 1), `count` (0 to
/// [`super::MAX_COUNT`]; negative counts as 0), `attributes`,
/// `excludedAttributes`.
pub fn list_params(pairs: &[(String, String)], on: On) -> Result<ListParams, ScimError> {
    let filter: Option<Filter> = match param(pairs, "filter").filter(|f| !f.trim().is_empty()) {
        Some(f) => Some(filter::parse(f, on)?),
        None => None,
    };
    let start_index = number(pairs, "startIndex", 1)?.clamp(1, i64::MAX / 2);
    let count = number(pairs, "count", super::MAX_COUNT)?.clamp(0, super::MAX_COUNT);
    Ok(ListParams {
        query: Query {
            filter,
            offset: start_index - 1,
            limit: count,
        },
        start_index,
        projection: Projection::of(pairs),
    })
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), on top-level
/// attributes: a sub-attribute asks for its parent, a schema URN prefix is
/// dropped; `id` and `schemas` are always returned.
#[derive(Default)]
pub struct Projection {
    only: Option<Vec<String>>,
    except: Vec<String>,
}

fn names(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|a| {
            let a = a.trim();
            let a = if a.to_ascii_lowercase().starts_with("urn:") {
                a.rsplit_once(':').map_or(a, |(_, n)| n)
            } else {
                a
            };
            a.split('.').next().unwrap_or_default().to_ascii_lowercase()
        })
        .filter(|a| !a.is_empty())
        .collect()
}

impl Projection {
    pub fn of(pairs: &[(String, String)]) -> Projection {
        Projection {
            only: param(pairs, "attributes")
                .map(names)
                .filter(|n| !n.is_empty()),
            except: param(pairs, "excludedAttributes")
                .map(names)
                .unwrap_or_default(),
        }
    }

    pub fn apply(&self, mut v: Value) -> Value {
        if let Some(obj) = v.as_object_mut() {
            obj.retain(|k, _| {
                let k = k.to_ascii_lowercase();
                if k == "id" || k == "schemas" {
                    return true;
                }
                match &self.only {
                    Some(only) => only.contains(&k),
                    None => !self.except.contains(&k),
                }
            });
        }
        v
    }
}

/// A ListResponse of `resources` (already projected).
pub fn list_json(resources: Vec<Value>, total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [super::LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
