//! `PATCH /orgs/{id}` and `PUT /orgs/{id}/settings` decide in the domain
//! (`org::patch_as`, `settings::change`): each part of a patch needs its own
//! permission, checked before anything is written; a settings body names
//! every key it cannot take.

use reqwest::{Method, StatusCode as S};
use serde_json::json;

use serde_json::Value;

use crate::fixture::Tree;
use crate::helpers::TestApp;

async fn patch(app: &TestApp, token: &str, org: i64, body: Value) -> (S, Value) {
    app.call(Method::PATCH, format!("/orgs/{org}"), token, Some(body))
        .await
}

#[tokio::test]
async fn each_part_of_an_org_patch_needs_its_own_permission() {
    let tree = Tree::new().await;
    let (app, ada, east) = (&tree.app, &tree.ada, tree.east);
    let vic = tree
        .member("vic@acme.example", tree.acme, "Viewer", tree.acme)
        .await
        .token;

    // A viewer sees East but may change none of it, and nothing is written.
    for body in [
        json!({"name": "Eastern"}),
        json!({"privacy_mode": true}),
        json!({"status": "archived"}),
        json!({"status": "active", "name": "Eastern"}),
    ] {
        let (status, answer) = patch(app, &vic, east, body.clone()).await;
        assert_eq!(status, S::FORBIDDEN, "{body}: {answer}");
    }
    let (_, org) = app
        .call(Method::GET, format!("/orgs/{east}"), ada, None)
        .await;
    assert_eq!(org["name"], "East");
    assert_eq!(org["status"], "active");
    // An empty patch is refused by name; one the holder may make goes through.
    let (status, answer) = patch(app, ada, east, json!({})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["fields"]["body"], "Nothing to change.");
    let (status, answer) = patch(
        app,
        ada,
        east,
        json!({"name": "Eastern", "status": "archived"}),
    )
    .await;
    assert_eq!(status, S::OK, "{answer}");
    assert_eq!(answer["name"], "Eastern");
    assert_eq!(answer["status"], "archived");
}

#[tokio::test]
async fn a_settings_body_names_each_key_it_cannot_take() {
    let tree = Tree::new().await;
    let acme = tree.acme;
    let put = |body| {
        tree.call(
            Method::PUT,
            format!("/orgs/{acme}/settings"),
            &tree.ada,
            Some(body),
        )
    };

    let (status, answer) = put(json!({"nonsense": 1, "week_start": "someday"})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{answer}");
    let unknown = answer["error"]["fields"]["nonsense"].as_str().unwrap();
    assert!(
        unknown.starts_with("Unknown field. Expected one of `week_start`"),
        "{unknown}"
    );
    assert!(
        answer["error"]["fields"]["week_start"].is_string(),
        "{answer}"
    );
    let (status, answer) = put(json!({"week_start": "sunday", "version": "x"})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(
        answer["error"]["fields"]["version"],
        "version must be an integer."
    );
    let (status, answer) = put(json!({})).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{answer}");
    let (status, answer) = put(json!({"week_start": "sunday", "version": null})).await;
    assert_eq!(status, S::OK, "{answer}");
    assert_eq!(answer["week_start"]["value"], "sunday");
}
