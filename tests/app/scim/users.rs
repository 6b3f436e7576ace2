//! SCIM Users: the whole life of a person, their tenant's border, and input
//! that is refused with a SCIM error (never a 500).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{World, assert_scim_error, scim_token};
use crate::helpers::*;

#[tokio::test]
async fn a_user_is_created_read_filtered_paged_replaced_patched_and_deleted() {
    let w = World::new().await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ann@acme.test", "name": {"formatted": "Ann Archer"}, "externalId": "ext-ann",
    });
    let ann = w
        .post("/Users", &w.acme_scim, body)
        .await
        .expect_status(StatusCode::CREATED);
    let ann_id = ann["id"].as_str().unwrap().to_string();
    assert_eq!(ann["displayName"], json!("Ann Archer"));
    assert_eq!(ann["emails"][0]["value"], json!("ann@acme.test"));
    assert_eq!(ann["active"], json!(true));
    assert_eq!(ann["meta"]["resourceType"], json!("User"));
    assert!(
        ann["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{ann_id}"))
    );
    assert!(ann["meta"]["version"].as_str().unwrap().starts_with("W/\""));
    // A Canopy user at home in the token's org, created as Olga.
    let canopy = w
        .get_json(&w.ada, format!("/users/{ann_id}"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(canopy["org_id"], json!(w.acme));
    let created = w.audit("user.created").await;
    assert!(created.iter().any(|e| e.actor_user_id == Some(w.olga_id)));

    let read = w
        .get(&format!("/Users/{ann_id}"), &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(read["externalId"], json!("ext-ann"));
    let bob = json!({"userName": "bob", "displayName": "Bob",
                     "emails": [{"value": "other@acme.test"}, {"value": "bob@acme.test", "primary": true}]});
    let bob = w
        .post("/Users", &w.acme_scim, bob)
        .await
        .expect_status(StatusCode::CREATED);
    let bob_id = bob["id"].as_str().unwrap().to_string();
    assert_eq!(bob["emails"][0]["value"], json!("bob@acme.test"));

    for (filter, expected) in [
        ("userName eq \"ANN@acme.test\"", &ann_id),
        ("externalId eq \"ext-ann\"", &ann_id),
        ("DisplayName EQ \"bob\"", &bob_id),
        ("userName eq \"bob\"", &bob_id),
    ] {
        let q = urlencoding(filter);
        let list = w
            .get(&format!("/Users?filter={q}"), &w.acme_scim)
            .await
            .expect_status(StatusCode::OK);
        assert_eq!(list["totalResults"], json!(1), "{filter}");
        assert_eq!(&list["Resources"][0]["id"], &json!(expected), "{filter}");
    }
    // Olga, Ann and Bob live in Acme: three, one a page.
    let page = w
        .get("/Users?startIndex=2&count=1", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        page["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(
        (page["totalResults"].clone(), page["itemsPerPage"].clone()),
        (json!(3), json!(1))
    );
    assert_eq!(page["startIndex"], json!(2));
    let only = w
        .get(
            &format!("/Users/{ann_id}?attributes=userName"),
            &w.acme_scim,
        )
        .await
        .expect_status(StatusCode::OK);
    assert!(only.get("emails").is_none() && only["userName"] == json!("ann@acme.test"));

    let put = json!({"userName": "bobby", "displayName": "Bobby",
                     "emails": [{"value": "bobby@acme.test", "primary": true}], "active": true});
    let bobby = w
        .scim(
            Method::PUT,
            &format!("/Users/{bob_id}"),
            &w.acme_scim,
            Some(put),
        )
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        (
            bobby["userName"].clone(),
            bobby["emails"][0]["value"].clone()
        ),
        (json!("bobby"), json!("bobby@acme.test"))
    );
    assert!(bobby.get("externalId").is_none());

    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations": [{"op": "Replace", "path": "active", "value": false}]});
    let ann_off = w
        .scim(
            Method::PATCH,
            &format!("/Users/{ann_id}"),
            &w.acme_scim,
            Some(off),
        )
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(ann_off["active"], json!(false));
    let canopy = w
        .get_json(&w.ada, format!("/users/{ann_id}"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(canopy["status"], json!("deactivated"));
    let on = json!({"Operations": [{"op": "replace", "value": {"active": "True", "name.formatted": "Ann B. Archer"}}]});
    let ann_on = w
        .scim(
            Method::PATCH,
            &format!("/Users/{ann_id}"),
            &w.acme_scim,
            Some(on),
        )
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        (ann_on["active"].clone(), ann_on["displayName"].clone()),
        (json!(true), json!("Ann B. Archer"))
    );
    let canopy = w
        .get_json(&w.ada, format!("/users/{ann_id}"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        canopy["status"],
        json!("invited"),
        "never set a password: back as invited"
    );

    let (status, _) = w
        .scim(
            Method::DELETE,
            &format!("/Users/{bob_id}"),
            &w.acme_scim,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_scim_error(
        &w.get(&format!("/Users/{bob_id}"), &w.acme_scim).await,
        404,
        None,
    );
    let canopy = w
        .get_json(&w.ada, format!("/users/{bob_id}"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        canopy["status"],
        json!("deactivated"),
        "deactivated, never removed"
    );
    let list = w
        .get("/Users", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(list["totalResults"], json!(2));
}

/// `filter` text for a query string.
fn urlencoding(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_token_sees_and_touches_only_its_own_subtree() {
    let w = World::new().await;
    let gina = w
        .post(
            "/Users",
            &w.globex_scim,
            json!({"userName": "gina@globex.test"}),
        )
        .await
        .expect_status(StatusCode::CREATED);
    let gina_id = gina["id"].as_str().unwrap().to_string();
    let missing = w.get("/Users/999999", &w.acme_scim).await;
    assert_scim_error(&missing, 404, None);
    let put = json!({"userName": "x@acme.test"});
    let patch = json!({"Operations": [{"op": "replace", "path": "active", "value": false}]});
    for id in [gina_id.clone(), w.olga_id.to_string()] {
        let token = if id == gina_id {
            &w.acme_scim
        } else {
            &w.globex_scim
        };
        let path = format!("/Users/{id}");
        assert_eq!(w.get(&path, token).await, missing, "GET {id}");
        assert_eq!(
            w.scim(Method::PUT, &path, token, Some(put.clone())).await,
            missing
        );
        assert_eq!(
            w.scim(Method::PATCH, &path, token, Some(patch.clone()))
                .await,
            missing
        );
        assert_eq!(w.scim(Method::DELETE, &path, token, None).await, missing);
    }
    let ada = w
        .get(
            "/Users?filter=userName%20eq%20%22ada%40example.com%22",
            &w.acme_scim,
        )
        .await;
    assert_eq!(ada.1["totalResults"], json!(0));
    let list = w
        .get("/Users", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    let ids: Vec<&str> = list["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![w.olga_id.to_string()]);
    // Gina is untouched: still active at Globex.
    let canopy = w
        .get_json(&w.ada, format!("/users/{gina_id}"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        (canopy["org_id"].clone(), canopy["status"].clone()),
        (json!(w.globex), json!("invited"))
    );
    // A token for East does not reach Olga's Acme, above it.
    let east_scim = scim_token(&w, &w.olga, w.east).await;
    assert_eq!(
        w.get(&format!("/Users/{}", w.olga_id), &east_scim).await,
        missing
    );
}

#[tokio::test]
async fn revoked_tokens_and_creators_without_the_grant_are_refused() {
    let w = World::new().await;
    assert_scim_error(&w.get("/Users", "cnps_nothing").await, 401, None);
    assert_scim_error(&w.get("/Users", &w.ada).await, 401, None);
    let (status, _) = w.get("/Users", &w.acme_scim).await;
    assert_eq!(status, StatusCode::OK);
    // Olga loses user.manage (Org admin, now only Viewer): her token stops
    // (403), whatever it asks.
    let grants = w
        .get_json(&w.ada, format!("/grants?user_id={}", w.olga_id))
        .await
        .expect_status(StatusCode::OK);
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();
    let viewer = w.role_id(&w.ada, "Viewer").await;
    let body = json!({"role_id": viewer, "user_id": w.olga_id, "org_id": w.acme});
    w.post_created(&w.ada, "/grants", body).await;
    w.delete(&w.ada, format!("/grants/{grant_id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert_scim_error(&w.get("/Users", &w.acme_scim).await, 403, None);
    let made = w
        .post("/Users", &w.acme_scim, json!({"userName": "z@acme.test"}))
        .await;
    assert_scim_error(&made, 403, None);
    // Gus's token is revoked: 401.
    let tokens = w
        .get_json(&w.gus, format!("/orgs/{}/scim-tokens", w.globex))
        .await
        .expect_status(StatusCode::OK);
    let id = tokens["items"][0]["id"].as_i64().unwrap();
    w.delete(&w.gus, format!("/scim-tokens/{id}"))
        .await
        .expect_status(StatusCode::NO_CONTENT);
    assert_scim_error(&w.get("/Users", &w.globex_scim).await, 401, None);
    // A token whose creator is deactivated: 401.
    let (_, greta) = w
        .org_admin("greta@globex.test", w.globex)
        .await
        .id_and_token();
    let greta_scim = scim_token(&w, &greta, w.globex).await;
    let greta_id = w.get_json(&greta, "/me").await.1["id"].as_i64().unwrap();
    let off = json!({"status": "deactivated"});
    w.patch_json(&w.ada, format!("/users/{greta_id}"), off)
        .await
        .expect_status(StatusCode::OK);
    assert_scim_error(&w.get("/Users", &greta_scim).await, 401, None);
}

#[tokio::test]
async fn bad_input_gets_scim_errors_and_user_names_are_unique() {
    let w = World::new().await;
    w.acme_user("ann@acme.test", "Ann").await;
    let t = &w.acme_scim;
    let cases = [
        (json!({"userName": "ANN@acme.test"}), 409, "uniqueness"),
        (json!({"userName": "olga@acme.test"}), 409, "uniqueness"),
        (json!({"userName": "carl"}), 400, "invalidValue"),
        (
            json!({"userName": "carl", "emails": [{"value": "not an email"}]}),
            400,
            "invalidValue",
        ),
        (
            json!({"userName": "carl", "emails": [{"value": "ann@acme.test"}]}),
            409,
            "uniqueness",
        ),
        (json!({"userName": 7}), 400, "invalidValue"),
        (json!({"displayName": "no userName"}), 400, "invalidValue"),
        (
            json!({"userName": "d@acme.test", "active": "maybe"}),
            400,
            "invalidValue",
        ),
        (
            json!({"userName": "d@acme.test", "emails": "d@acme.test"}),
            400,
            "invalidValue",
        ),
        (
            json!({"userName": "d@acme.test", "name": "D"}),
            400,
            "invalidValue",
        ),
        (
            json!({"userName": "\u{202e}d@acme.test"}),
            400,
            "invalidValue",
        ),
        (json!(["not", "an", "object"]), 400, "invalidSyntax"),
    ];
    for (body, status, kind) in cases {
        let answer = w.post("/Users", t, body.clone()).await;
        assert_scim_error(&answer, status, Some(kind));
    }
    let raw = reqwest::Client::new()
        .post(w.url("/scim/v2/Users"))
        .bearer_auth(t)
        .header("content-type", "application/scim+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    for query in [
        "filter=userName%20co%20%22a%22",
        "filter=title%20eq%20%22x%22",
        "filter=userName%20eq%20%22a%22%20and%20active%20eq%20true",
        "filter=userName%20eq%20unquoted",
    ] {
        assert_scim_error(
            &w.get(&format!("/Users?{query}"), t).await,
            400,
            Some("invalidFilter"),
        );
    }
    assert_scim_error(
        &w.get("/Users?count=many", t).await,
        400,
        Some("invalidValue"),
    );
    assert_scim_error(&w.get("/Users/abc", t).await, 404, None);
    let id = w.olga_id;
    for ops in [
        json!({"Operations": [{"op": "move", "path": "active", "value": true}]}),
        json!({"Operations": [{"op": "remove"}]}),
        json!({"Operations": [{"op": "replace", "path": "emails[", "value": "x"}]}),
        json!({"Operations": [{"op": "replace", "path": "active", "value": 3}]}),
        json!({"nothing": true}),
    ] {
        let (status, body) = w
            .scim(Method::PATCH, &format!("/Users/{id}"), t, Some(ops))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }
    // The token's creator cannot deactivate themselves through it.
    let off = json!({"Operations": [{"op": "replace", "path": "active", "value": false}]});
    let (status, _) = w
        .scim(Method::PATCH, &format!("/Users/{id}"), t, Some(off))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
