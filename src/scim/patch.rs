//! PATCH (RFC 7644 §3.5.2): the operations applied, in order, to the
//! resource as SCIM shows it; the result is then saved as a replace, so a
//! PATCH takes exactly the path (and the rules) of a PUT.
//! Paths: `attr`, `attr.sub`, `attr[sub eq "v"]` and `attr[sub eq "v"].sub`;
//! without a path, an add or replace takes an object of attributes.

use serde_json::{Map, Value};

use super::ScimError;
use super::resource::get;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// A parsed path: the attribute, an optional `[sub eq "v"]` and a sub-attribute.
struct Path {
    attr: String,
    select: Option<(String, String)>,
    sub: Option<String>,
}

fn invalid_path(path: &str) -> ScimError {
    ScimError::bad("invalidPath", format!("Unsupported path {path:?}."))
}

fn parse_path(raw: &str) -> Result<Path, ScimError> {
    let mut text = raw.trim();
    // A schema URN prefix (`urn:…:User:userName`) names the core attribute.
    if text.to_ascii_lowercase().starts_with("urn:") {
        let before_filter = text.split('[').next().unwrap_or(text);
        let cut = before_filter.rfind(':').ok_or_else(|| invalid_path(raw))?;
        text = &text[cut + 1..];
    }
    let (head, select, tail) = match text.split_once('[') {
        None => (text, None, None),
        Some((head, rest)) => {
            let (inside, after) = rest.split_once(']').ok_or_else(|| invalid_path(raw))?;
            let (sub, value) = select_clause(inside).ok_or_else(|| invalid_path(raw))?;
            let tail = after.strip_prefix('.').filter(|t| !t.is_empty());
            if !after.is_empty() && tail.is_none() {
                return Err(invalid_path(raw));
            }
            (head, Some((sub, value)), tail)
        }
    };
    let (attr, sub) = match (head.split_once('.'), tail) {
        (Some(_), Some(_)) => return Err(invalid_path(raw)),
        (Some((a, s)), None) => (a, Some(s)),
        (None, t) => (head, t),
    };
    if attr.is_empty() || attr.contains(char::is_whitespace) {
        return Err(invalid_path(raw));
    }
    Ok(Path {
        attr: attr.to_string(),
        select,
        sub: sub.map(str::to_string),
    })
}

/// `sub eq "value"` inside brackets.
fn select_clause(inside: &str) -> Option<(String, String)> {
    let mut parts = inside.trim().splitn(3, char::is_whitespace);
    let sub = parts.next()?;
    let op = parts.next()?;
    let value: String = serde_json::from_str(parts.next()?.trim()).ok()?;
    op.eq_ignore_ascii_case("eq")
        .then(|| (sub.to_string(), value))
}

/// The key `name` has in `obj` (in any case), or `name` itself.
fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

fn matches(item: &Value, (sub, value): &(String, String)) -> bool {
    let found = item.as_object().and_then(|o| get(o, sub));
    match found {
        Some(Value::String(s)) => s == value,
        // A number or boolean compared with its text ("3", "true").
        Some(other) => serde_json::from_str::<Value>(value).is_ok_and(|v| &v == other),
        None => false,
    }
}

/// Applies `body` (a PatchOp message) to `resource`.
pub fn apply(resource: &mut Value, body: &Value) -> Result<(), ScimError> {
    let ops = body
        .as_object()
        .and_then(|o| get(o, "Operations"))
        .and_then(Value::as_array)
        .ok_or_else(|| ScimError::bad("invalidSyntax", "Operations must be a list."))?;
    let obj = resource
        .as_object_mut()
        .ok_or_else(|| crate::Error::internal("a resource is not an object"))?;
    for op in ops {
        let op = op
            .as_object()
            .ok_or_else(|| ScimError::bad("invalidSyntax", "Each operation must be an object."))?;
        let kind = match get(op, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
        {
            Some(k) if k == "add" => Op::Add,
            Some(k) if k == "replace" => Op::Replace,
            Some(k) if k == "remove" => Op::Remove,
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    "op must be add, replace or remove.",
                ));
            }
        };
        let value = get(op, "value").cloned();
        match get(op, "path").and_then(Value::as_str) {
            Some(path) => apply_at(obj, kind, &parse_path(path)?, value)?,
            None => apply_whole(obj, kind, value)?,
        }
    }
    Ok(())
}

/// An add or replace without a path: each attribute of the value.
fn apply_whole(
    obj: &mut Map<String, Value>,
    kind: Op,
    value: Option<Value>,
) -> Result<(), ScimError> {
    if kind == Op::Remove {
        return Err(ScimError::bad("noTarget", "A remove needs a path."));
    }
    let Some(Value::Object(attrs)) = value else {
        return Err(ScimError::bad(
            "invalidValue",
            "Without a path, the value must be an object.",
        ));
    };
    for (name, v) in attrs {
        let path = parse_path(&name)?;
        apply_at(obj, kind, &path, Some(v))?;
    }
    Ok(())
}

fn apply_at(
    obj: &mut Map<String, Value>,
    kind: Op,
    path: &Path,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let key = key_of(obj, &path.attr);
    if kind != Op::Remove && value.is_none() {
        return Err(ScimError::bad(
            "invalidValue",
            "add and replace need a value.",
        ));
    }
    match (&path.select, &path.sub) {
        (None, None) => {
            whole_attribute(obj, kind, key, value);
            Ok(())
        }
        (None, Some(sub)) => {
            let target = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
            set_sub(target, kind, sub, value)
        }
        (Some(select), sub) => selected(obj, kind, key, select, sub.as_deref(), value),
    }
}

fn whole_attribute(obj: &mut Map<String, Value>, kind: Op, key: String, value: Option<Value>) {
    match (kind, value) {
        (Op::Remove, Some(Value::Array(gone))) => {
            // `remove members` with the members to take out as its value.
            if let Some(Value::Array(list)) = obj.get_mut(&key) {
                list.retain(|item| !gone.iter().any(|g| same_value(g, item)));
            }
        }
        (Op::Remove, _) => {
            obj.remove(&key);
        }
        (Op::Add, Some(Value::Array(more))) => match obj.get_mut(&key) {
            Some(Value::Array(list)) => {
                for item in more {
                    if !list.iter().any(|i| same_value(i, &item)) {
                        list.push(item);
                    }
                }
            }
            _ => {
                obj.insert(key, Value::Array(more));
            }
        },
        (_, Some(v)) => {
            obj.insert(key, v);
        }
        (_, None) => {}
    }
}

/// Two items of a multi-valued attribute are one when their `value`s are.
fn same_value(a: &Value, b: &Value) -> bool {
    let value = |v: &Value| {
        v.as_object()
            .and_then(|o| get(o, "value"))
            .map(Value::to_string)
    };
    match (value(a), value(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn set_sub(target: &mut Value, kind: Op, sub: &str, value: Option<Value>) -> Result<(), ScimError> {
    let inner = target
        .as_object_mut()
        .ok_or_else(|| ScimError::bad("invalidPath", "That attribute has no sub-attributes."))?;
    let key = key_of(inner, sub);
    match value {
        Some(v) if kind != Op::Remove => {
            inner.insert(key, v);
        }
        _ => {
            inner.remove(&key);
        }
    }
    Ok(())
}

/// An operation on the items of a multi-valued attribute picked by `[sub eq "v"]`.
/// An add or replace on emails that matches none (a provider naming a `type`
/// Canopy does not keep) is about the one email Canopy has.
fn selected(
    obj: &mut Map<String, Value>,
    kind: Op,
    key: String,
    select: &(String, String),
    sub: Option<&str>,
    value: Option<Value>,
) -> Result<(), ScimError> {
    let is_emails = key.eq_ignore_ascii_case("emails");
    let Some(Value::Array(list)) = obj.get_mut(&key) else {
        return match kind {
            Op::Remove => Ok(()),
            _ => Err(ScimError::bad(
                "noTarget",
                format!("{key} has no items to select."),
            )),
        };
    };
    let mut picked: Vec<usize> = (0..list.len())
        .filter(|i| matches(&list[*i], select))
        .collect();
    if picked.is_empty() && kind != Op::Remove && is_emails && !list.is_empty() {
        picked.push(0);
    }
    if picked.is_empty() && kind != Op::Remove {
        return Err(ScimError::bad("noTarget", "The filter matches no item."));
    }
    match (kind, sub) {
        (Op::Remove, None) => {
            let mut i = 0;
            list.retain(|_| {
                i += 1;
                !picked.contains(&(i - 1))
            });
        }
        (_, Some(sub)) => {
            for i in picked {
                set_sub(&mut list[i], kind, sub, value.clone())?;
            }
        }
        (_, None) => {
            for i in picked {
                if let Some(v) = &value {
                    list[i] = v.clone();
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patched(mut r: Value, ops: Value) -> Value {
        apply(&mut r, &json!({"Operations": ops})).unwrap();
        r
    }

    #[test]
    fn applies_the_common_shapes() {
        let user = json!({"userName": "a", "active": true, "emails": [{"value": "a@x.io", "primary": true}]});
        let r = patched(
            user.clone(),
            json!([{"op": "Replace", "path": "ACTIVE", "value": false}]),
        );
        assert_eq!(r["active"], json!(false));
        let r = patched(
            user.clone(),
            json!([{"op": "replace", "value": {"active": false, "externalId": "e"}}]),
        );
        assert_eq!(
            (r["active"].clone(), r["externalId"].clone()),
            (json!(false), json!("e"))
        );
        let r = patched(
            user.clone(),
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.io"}]),
        );
        assert_eq!(r["emails"][0]["value"], json!("b@x.io"));
        let r = patched(
            user,
            json!([{"op": "add", "path": "name.formatted", "value": "A B"}]),
        );
        assert_eq!(r["name"]["formatted"], json!("A B"));
        let group = json!({"displayName": "g", "members": [{"value": "1"}, {"value": "2"}]});
        let r = patched(
            group.clone(),
            json!([{"op": "add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]}]),
        );
        assert_eq!(r["members"].as_array().unwrap().len(), 3);
        let r = patched(
            group.clone(),
            json!([{"op": "remove", "path": "members[value eq \"1\"]"}]),
        );
        assert_eq!(r["members"], json!([{"value": "2"}]));
        let r = patched(
            group.clone(),
            json!([{"op": "remove", "path": "members", "value": [{"value": "2"}]}]),
        );
        assert_eq!(r["members"], json!([{"value": "1"}]));
        let r = patched(group, json!([{"op": "remove", "path": "members"}]));
        assert!(r.get("members").is_none());
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let mut r = json!({"userName": "a"});
        for ops in [
            json!({"Operations": "x"}),
            json!({"Operations": [{"op": "move", "path": "userName"}]}),
            json!({"Operations": [{"op": "remove"}]}),
            json!({"Operations": [{"op": "add", "path": "a[b"}]}),
            json!({"Operations": [{"op": "add", "path": "userName"}]}),
        ] {
            let err = apply(&mut r, &ops).unwrap_err();
            assert_eq!(err.status.as_u16(), 400, "{ops}");
        }
    }
}
