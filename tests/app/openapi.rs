//! The generated OpenAPI document against what the server answers: each
//! answer's status is one the operation lists, and its body fits the schema
//! listed for that status. Schemathesis does this broadly in CI
//! (.ci/schemathesis.sh) on demo data; these pin the shapes demo data lacks,
//! such as an org seen only by name behind a privacy border.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixture::Tree;
use crate::helpers::*;

/// Calls `method path` and checks the answer against the operation
/// `template` of `doc`; returns the status and body.
async fn documented(
    app: &TestApp,
    doc: &Value,
    token: &str,
    (method, template, path): (Method, &str, &str),
    body: Option<Value>,
) -> (u16, Value) {
    let (status, answer) = app.call(method.clone(), path, token, body).await;
    let op = &doc["paths"][template][method.as_str().to_lowercase()];
    assert!(op.is_object(), "{method} {template} is not described");
    let code = status.as_u16().to_string();
    let mut response = &op["responses"][&code];
    if let Some(name) = response["$ref"].as_str() {
        response = resolve(doc, name);
    }
    assert!(
        response.is_object(),
        "{method} {path} answered {code}, which the document does not list: {answer}"
    );
    if let Some(schema) = response.pointer("/content/application~1json/schema")
        && let Err(why) = fits(doc, schema, &answer, "$")
    {
        panic!("{method} {path} answered {code} off its schema: {why}\n{answer}");
    }
    (status.as_u16(), answer)
}

fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.trim_start_matches('#');
    doc.pointer(pointer)
        .unwrap_or_else(|| panic!("dangling {reference}"))
}

/// The subset of JSON Schema the generated document uses.
fn fits(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        return fits(doc, resolve(doc, reference), value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            fits(doc, part, value, at)?;
        }
    }
    if let Some(any) = schema["oneOf"].as_array() {
        let matching = any
            .iter()
            .filter(|s| fits(doc, s, value, at).is_ok())
            .count();
        if matching != 1 {
            return Err(format!("{at}: fits {matching} of oneOf, not exactly one"));
        }
    }
    if let Some(kinds) = schema.get("type") {
        let kinds: Vec<&str> = match kinds {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let is = |kind: &str| match kind {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !kinds.iter().any(|k| is(k)) {
            return Err(format!("{at}: {value} is not {kinds:?}"));
        }
    }
    if let Some(object) = value.as_object() {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !object.contains_key(name) {
                return Err(format!("{at}: `{name}` is required"));
            }
        }
        for (name, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(v) = object.get(name) {
                fits(doc, property, v, &format!("{at}.{name}"))?;
            }
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|e| e.is_object()) {
            for (name, v) in object {
                if schema["properties"].get(name).is_none() {
                    fits(doc, extra, v, &format!("{at}.{name}"))?;
                }
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            fits(doc, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

async fn document(app: &TestApp) -> Value {
    reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// One checked call: who asks, `(method, template, path)`, the body, and the
/// status the test expects.
type Case<'a> = (&'a str, (Method, &'static str, String), Option<Value>, u16);

#[tokio::test]
async fn answers_fit_the_document_full_and_behind_a_privacy_border() {
    let w = Tree::new().await;
    let doc = document(&w).await;
    let olga = w.org_admin("olga@acme.example", w.acme).await.token;
    let org = |id: i64| format!("/orgs/{id}");
    let get_org = |id: i64| (Method::GET, "/orgs/{id}", org(id));
    let list = || (Method::GET, "/orgs", "/orgs".to_string());
    let check = async |(token, call, body, expected): Case<'_>| {
        let (status, answer) = documented(&w, &doc, token, (call.0, call.1, &call.2), body).await;
        assert_eq!(status, expected, "{}: {answer}", call.2);
        answer
    };
    check((&w.ada, get_org(w.acme), None, 200)).await;
    check((&w.ada, list(), None, 200)).await;
    let privacy = Some(json!({"privacy_mode": true}));
    let patch = (Method::PATCH, "/orgs/{id}", org(w.acme));
    check((&olga, patch, privacy, 200)).await;

    // Behind the border the root's owner sees name and place, the rest null.
    let restricted = check((&w.ada, get_org(w.acme), None, 200)).await;
    assert_eq!(restricted["restricted"], true, "{restricted}");
    assert!(restricted["code"].is_null(), "{restricted}");
    let list = check((&w.ada, list(), None, 200)).await;
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["restricted"] == true),
        "{list}"
    );
    check((&olga, get_org(w.east), None, 200)).await;

    // Errors are listed and fit the error body.
    let get = |template, path: &str| (Method::GET, template, path.to_string());
    let bad_patch = (Method::PATCH, "/orgs/{id}", org(w.root));
    let cases: [Case<'_>; 5] = [
        (&w.ada, get("/orgs/{id}", "/orgs/999999"), None, 404),
        (&w.ada, get("/orgs/{id}", "/orgs/not-a-number"), None, 404),
        (&w.ada, bad_patch, Some(json!({"privacy_mode": "yes"})), 422),
        (&w.ada, get("/orgs", "/orgs?per_page=500"), None, 422),
        ("cnp_wrong", get("/me", "/me"), None, 401),
    ];
    for case in cases {
        check(case).await;
    }
}

#[tokio::test]
async fn every_kind_of_object_fits_the_document() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let admin = app.create_default_admin().await;
    let ada = app.create_token(admin.id, "").await;
    let root = app.root_id().await;
    let acme = app.create_org(&ada, root, "Acme", "ACME").await;
    app.mark_domain_verified(acme, "acme.example").await;
    let made = |(method, template, path): (Method, &'static str, String), body: Value| {
        let (app, doc, ada) = (&app, &doc, &ada);
        async move {
            let (status, answer) =
                documented(app, doc, ada, (method, template, &path), Some(body)).await;
            assert!(status < 300, "{template}: {status} {answer}");
            answer["id"].as_i64().unwrap_or_default()
        }
    };
    let post = |template: &'static str| (Method::POST, template, template.to_string());
    let group = made(post("/groups"), json!({"org_id": acme, "name": "Crew"})).await;
    let team = made(post("/teams"), json!({"org_id": acme, "name": "Squad"})).await;
    let body = json!({"org_id": acme, "code": "P-1", "name": "Pilot"});
    let project = made(post("/projects"), body).await;
    let me = admin.id;
    let week_start = "2026-01-05"; // a Monday, the default first day
    for (template, path, body) in [
        (
            "/groups/{id}/members/{user_id}",
            format!("/groups/{group}/members/{me}"),
            json!({"owner": true}),
        ),
        (
            "/teams/{id}/members/{user_id}",
            format!("/teams/{team}/members/{me}"),
            json!({"lead": true}),
        ),
        (
            "/projects/{id}/assignments/{user_id}",
            format!("/projects/{project}/assignments/{me}"),
            json!({"role": "member", "minutes_per_week": 600, "start_date": "2026-01-05"}),
        ),
        (
            "/orgs/{id}/settings",
            format!("/orgs/{acme}/settings"),
            json!({"week_start": "monday"}),
        ),
        (
            "/timesheets/{user_id}/{week_start}",
            format!("/timesheets/{me}/{week_start}"),
            json!({"version": 0, "entries": [{"project_id": project, "date": week_start, "minutes": 60}]}),
        ),
    ] {
        made((Method::PUT, template, path), body).await;
    }

    for (template, path) in [
        ("/me", "/me".to_string()),
        ("/users", "/users".into()),
        ("/users/{id}", format!("/users/{me}")),
        ("/groups", "/groups".into()),
        ("/groups/{id}", format!("/groups/{group}")),
        ("/groups/{id}/members", format!("/groups/{group}/members")),
        ("/teams", "/teams".into()),
        ("/teams/{id}", format!("/teams/{team}")),
        ("/teams/{id}/members", format!("/teams/{team}/members")),
        ("/projects", "/projects".into()),
        ("/projects/{id}", format!("/projects/{project}")),
        (
            "/projects/{id}/assignments",
            format!("/projects/{project}/assignments"),
        ),
        ("/roles", format!("/roles?org_id={acme}")),
        ("/grants", "/grants".into()),
        (
            "/grants/invitations",
            format!("/grants/invitations?org_id={acme}"),
        ),
        ("/invitations", "/invitations".into()),
        (
            "/check",
            format!("/check?permission=org.view&org_id={acme}"),
        ),
        ("/orgs/{id}/settings", format!("/orgs/{acme}/settings")),
        ("/orgs/{id}/access", format!("/orgs/{acme}/access")),
        ("/orgs/{id}/domains", format!("/orgs/{acme}/domains")),
        (
            "/timesheets/{user_id}/{week_start}",
            format!("/timesheets/{me}/{week_start}"),
        ),
        ("/approvals", "/approvals".into()),
        ("/notifications", "/notifications".into()),
        ("/audit", "/audit".into()),
        ("/reports/{name}", "/reports/entries".into()),
        ("/reports/{name}", "/reports/entries?page=1".into()),
    ] {
        let (status, answer) =
            documented(&app, &doc, &ada, (Method::GET, template, &path), None).await;
        assert_eq!(status, 200, "{path}: {answer}");
    }
    // A verified domain answers at once, without asking any DNS.
    let path = format!("/orgs/{acme}/domains/acme.example/verify");
    let verify = (Method::POST, "/orgs/{id}/domains/{domain}/verify", &*path);
    let (status, answer) = documented(&app, &doc, &ada, verify, None).await;
    assert_eq!(
        (status, &answer["verified"]),
        (200, &json!(true)),
        "{answer}"
    );
}
