//! The JSON API's contract: bearer tokens, error shapes, the OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn me_answers_for_a_valid_token_only() {
    let (app, admin, token) = spawn_with_owner().await;

    let response = app.api(Method::GET, "/me", &token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["id"], admin.id);
    assert_eq!(me["email"], ADMIN_EMAIL);
    assert_eq!(me["display_name"], "Ada Admin");
    let created = me["created_at"].as_str().unwrap();
    assert!(
        created.ends_with('Z') && created.contains('T'),
        "RFC 3339 UTC: {created}"
    );

    for bad in [
        "",
        "cnp_wrong",
        "not-even-a-prefix",
        &token[..token.len() - 1],
    ] {
        let response = app.api(Method::GET, "/me", bad).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthenticated");
    }
    let response = reqwest::get(app.url("/api/v1/me")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookies_are_not_accepted_on_the_api() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    assert_eq!(
        app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let response = app.get("/api/v1/me").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn tokens_are_stored_hashed_and_stop_when_revoked_or_expired() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "7").await;

    let stored: Vec<(String, String)> = app
        .db
        .read(|conn| {
            use canopy::db::schema::api_tokens::dsl::*;
            use diesel::prelude::*;
            Ok(api_tokens.select((token_hash, token_prefix)).load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0].0, token);
    assert!(
        !stored[0].0.contains(&token[4..]),
        "the secret is not stored"
    );
    assert!(token.starts_with(&stored[0].1));

    assert_eq!(app.get_json(&token, "/me").await.0, StatusCode::OK);

    // Expired: move its expiry into the past.
    app.db
        .write(|conn| {
            use canopy::db::schema::api_tokens::dsl::*;
            use diesel::prelude::*;
            let past = canopy::db::now() - chrono::Duration::seconds(1);
            diesel::update(api_tokens)
                .set(expires_at.eq(Some(past)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(
        app.get_json(&token, "/me").await.0,
        StatusCode::UNAUTHORIZED
    );

    // Revoked from the profile page.
    let second = app.create_token(admin.id, "").await;
    assert_eq!(app.get_json(&second, "/me").await.0, StatusCode::OK);
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, html) = app.get_page("/profile").await;
    let second_id = html
        .split("/profile/tokens/")
        .filter_map(|rest| rest.split('/').next()?.parse::<i64>().ok())
        .max()
        .expect("a revoke button");
    let response = app
        .submit_form(&format!("/profile/tokens/{second_id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_json(&second, "/me").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.audit("token.revoked").await.len(), 1);
}

#[tokio::test]
async fn a_token_is_created_on_the_profile_page_and_shown_once() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let response = app
        .submit_form("/profile/tokens", &[("name", ""), ("expires_in_days", "0")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"name-error\""));
    assert!(html.contains("id=\"expires_in_days-error\""));
    assert!(app.audit("token.created").await.is_empty());

    let response = app
        .submit_form(
            "/profile/tokens",
            &[
                ("name", "<script>alert(1)</script>"),
                ("expires_in_days", "30"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_page("/profile").await;
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "names are escaped"
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "shown escaped"
    );
    let marker = "data-testid=\"new-token\" class=\"token-secret\"";
    let secret = html
        .split("value=\"")
        .filter_map(|s| s.split('"').next())
        .find(|v| v.starts_with("cnp_"))
        .expect("the secret is shown once")
        .to_string();
    assert!(html.contains(marker));
    assert_eq!(app.get_json(&secret, "/me").await.0, StatusCode::OK);
    let (_, again) = app.get_page("/profile").await;
    assert!(!again.contains(&secret), "never shown twice");
}

#[tokio::test]
async fn patch_me_edits_the_profile_with_optimistic_versions() {
    let (app, admin, token) = spawn_with_owner().await;

    let response = app
        .api(Method::PATCH, "/me", &token)
        .json(&json!({"job_title": "Platform admin", "version": admin.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["job_title"], "Platform admin");
    assert_eq!(me["version"], admin.version + 1);

    // Stale version: 409, nothing changes.
    let response = app
        .api(Method::PATCH, "/me", &token)
        .json(&json!({"job_title": "Someone else", "version": admin.version}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "conflict"
    );

    // Invalid values: 422 with a message per field, nothing changes.
    let response = app
        .api(Method::PATCH, "/me", &token)
        .json(&json!({"display_name": "   ", "phone": "x".repeat(51)}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation");
    assert!(body["error"]["fields"]["display_name"].is_string());
    assert!(body["error"]["fields"]["phone"].is_string());

    let me: Value = app.get_json(&token, "/me").await.1;
    assert_eq!(me["job_title"], "Platform admin");
    assert_eq!(me["display_name"], "Ada Admin");
    let updates = app.audit("user.updated").await;
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].via.as_str(), "token");
    assert!(
        updates[0]
            .before_json
            .as_deref()
            .unwrap()
            .contains("\"job_title\":\"\"")
    );
}

#[tokio::test]
async fn openapi_describes_every_route() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    // The routes as the handlers register them: `#[get("/orgs/{id}")]` in
    // src/api/*.rs. The document must describe each, and nothing else.
    let registered = registered_api_routes();
    assert!(registered.len() > 50, "found {} routes", registered.len());
    for (method, path) in &registered {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is registered but not described"
        );
    }
    for (path, operations) in paths {
        let methods = operations.as_object().unwrap().keys();
        for method in methods.filter(|key| !matches!(key.as_str(), "parameters" | "summary")) {
            assert!(
                registered.contains(&(method.clone(), path.clone())),
                "{method} {path} is described but not registered"
            );
        }
    }
    // Every $ref points at something that exists.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/").skip(1) {
        let pointer = format!("/{}", reference.split('"').next().unwrap());
        assert!(doc.pointer(&pointer).is_some(), "dangling $ref {pointer}");
    }
}

/// `(method, path)` of every `#[get("…")]`-style handler under src/api
/// (its folders too).
fn registered_api_routes() -> std::collections::BTreeSet<(String, String)> {
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api")];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut routes = std::collections::BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(file).unwrap();
        for line in source.lines().map(str::trim) {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let path = rest.split('"').next().unwrap();
                    routes.insert((method.to_string(), path.to_string()));
                }
            }
        }
    }
    routes
}

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
}

#[tokio::test]
async fn every_list_takes_its_pagination_and_filters() {
    let (app, admin, token) = spawn_with_owner().await;
    let root = app.root_id().await;
    for i in 0..3 {
        let (status, _) = app
            .post_json(
                &token,
                "/orgs",
                json!({"parent_id": root, "name": format!("Org {i}"), "code": format!("O{i}")}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    for path in [
        "/orgs?page=2&per_page=2&q=org".to_string(),
        format!("/users?page=1&per_page=1&org_id={root}&status=active&q=ada"),
        format!(
            "/grants?page=1&per_page=1&org_id={root}&user_id={}",
            admin.id
        ),
        format!("/groups?page=1&per_page=5&org_id={root}"),
        format!("/teams?page=1&per_page=5&org_id={root}"),
        format!("/projects?page=1&per_page=5&org_id={root}&status=active"),
        format!("/roles?org_id={root}"),
    ] {
        let (status, body) = app.get_json(&token, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(body["items"].is_array(), "{path}: {body}");
    }
    let (_, orgs) = app.get_json(&token, "/orgs?page=2&per_page=2").await;
    assert_eq!(
        (
            orgs["page"].clone(),
            orgs["per_page"].clone(),
            orgs["total"].clone()
        ),
        (json!(2), json!(2), json!(4))
    );
    assert_eq!(orgs["items"].as_array().unwrap().len(), 2);
    for bad in [
        "/orgs?per_page=201",
        "/orgs?page=0",
        "/users?per_page=abc",
        "/orgs?page=-1",
    ] {
        let (status, body) = app.get_json(&token, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    let (status, _) = app.get_json(&token, "/users?org_id=abc").await;
    assert!(
        status.is_client_error(),
        "a malformed filter is the client's error"
    );
}
