//! SCIM Groups: a group's life and members through the group rules, and its
//! tenant's border.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{World, assert_scim_error};
use crate::helpers::*;

fn member_ids(group: &Value) -> Vec<String> {
    let mut ids: Vec<String> = group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|x| x["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_group_is_created_read_filtered_patched_replaced_and_deleted() {
    let w = World::new().await;
    let ann = w.acme_user("ann@acme.test", "Ann").await;
    let bob = w.acme_user("bob@acme.test", "Bob").await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "Ops", "externalId": "g-ops", "members": [{"value": ann}],
    });
    let ops = w
        .post("/Groups", &w.acme_scim, body)
        .await
        .expect_status(StatusCode::CREATED);
    let id = ops["id"].as_str().unwrap().to_string();
    assert_eq!(member_ids(&ops), vec![ann.clone()]);
    assert!(
        ops["members"][0]["$ref"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{ann}"))
    );
    assert_eq!(ops["meta"]["resourceType"], json!("Group"));
    // A Canopy group at Acme, with Ann in it.
    let canopy = w
        .get_json(&w.ada, format!("/groups/{id}"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(canopy["org_id"], json!(w.acme));
    w.post("/Groups", &w.acme_scim, json!({"displayName": "Sales"}))
        .await
        .expect_status(StatusCode::CREATED);
    for filter in [
        "displayName%20eq%20%22ops%22",
        "externalId%20eq%20%22g-ops%22",
    ] {
        let list = w
            .get(&format!("/Groups?filter={filter}"), &w.acme_scim)
            .await
            .expect_status(StatusCode::OK);
        assert_eq!(list["totalResults"], json!(1), "{filter}");
        assert_eq!(list["Resources"][0]["id"], json!(id));
    }
    let page = w
        .get("/Groups?startIndex=2&count=1", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        (page["totalResults"].clone(), page["itemsPerPage"].clone()),
        (json!(2), json!(1))
    );
    let slim = w
        .get(
            &format!("/Groups/{id}?excludedAttributes=members"),
            &w.acme_scim,
        )
        .await
        .expect_status(StatusCode::OK);
    assert!(slim.get("members").is_none());

    let path = format!("/Groups/{id}");
    let add = json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": bob}]}]});
    let g = w
        .scim(Method::PATCH, &path, &w.acme_scim, Some(add))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(member_ids(&g), {
        let mut v = vec![ann.clone(), bob.clone()];
        v.sort();
        v
    });
    let remove = json!({"Operations": [
        {"op": "remove", "path": format!("members[value eq \"{ann}\"]")},
        {"op": "replace", "path": "displayName", "value": "Operations"},
    ]});
    let g = w
        .scim(Method::PATCH, &path, &w.acme_scim, Some(remove))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        (member_ids(&g), g["displayName"].clone()),
        (vec![bob.clone()], json!("Operations"))
    );
    let canopy = w
        .get_json(&w.ada, format!("/groups/{id}/members"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(canopy["items"].as_array().unwrap().len(), 1);
    assert!(!w.audit("group.member_removed").await.is_empty());

    let put = json!({"displayName": "Operations", "members": []});
    let g = w
        .scim(Method::PUT, &path, &w.acme_scim, Some(put))
        .await
        .expect_status(StatusCode::OK);
    assert!(member_ids(&g).is_empty());
    assert!(g.get("externalId").is_none());

    let (status, _) = w.scim(Method::DELETE, &path, &w.acme_scim, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_scim_error(&w.get(&path, &w.acme_scim).await, 404, None);
    let (status, _) = w.get_json(&w.ada, format!("/groups/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn groups_stay_inside_the_tokens_subtree() {
    let w = World::new().await;
    let gina = w
        .post(
            "/Users",
            &w.globex_scim,
            json!({"userName": "gina@globex.test"}),
        )
        .await;
    let gina = gina.1["id"].as_str().unwrap().to_string();
    let globex_group = w
        .post("/Groups", &w.globex_scim, json!({"displayName": "G"}))
        .await;
    let globex_group = globex_group.1["id"].as_str().unwrap().to_string();
    let missing = w.get("/Groups/999999", &w.acme_scim).await;
    assert_scim_error(&missing, 404, None);
    let path = format!("/Groups/{globex_group}");
    assert_eq!(w.get(&path, &w.acme_scim).await, missing);
    let put = json!({"displayName": "Taken over"});
    assert_eq!(
        w.scim(Method::PUT, &path, &w.acme_scim, Some(put)).await,
        missing
    );
    assert_eq!(
        w.scim(Method::DELETE, &path, &w.acme_scim, None).await,
        missing
    );
    let list = w
        .get("/Groups", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(list["totalResults"], json!(0));
    // Someone of another tenant is refused as a member exactly like nobody.
    let stranger = w
        .post(
            "/Groups",
            &w.acme_scim,
            json!({"displayName": "A", "members": [{"value": gina}]}),
        )
        .await;
    let nobody = w
        .post(
            "/Groups",
            &w.acme_scim,
            json!({"displayName": "A", "members": [{"value": "999999"}]}),
        )
        .await;
    assert_scim_error(&stranger, 400, Some("invalidValue"));
    assert_eq!(stranger.1["scimType"], nobody.1["scimType"]);
    let list = w
        .get("/Groups", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(list["totalResults"], json!(0), "nothing half made");
    // A member out of the token's reach is neither shown nor removed.
    let ops = w
        .post("/Groups", &w.acme_scim, json!({"displayName": "Mixed"}))
        .await;
    let mixed = ops.1["id"].as_str().unwrap().to_string();
    let member = format!("/groups/{mixed}/members/{gina}");
    w.put_json(&w.ada, member, json!({"owner": false}))
        .await
        .expect_status(StatusCode::OK);
    let seen = w
        .get(&format!("/Groups/{mixed}"), &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert!(member_ids(&seen).is_empty());
    let put = json!({"displayName": "Mixed", "members": []});
    w.scim(
        Method::PUT,
        &format!("/Groups/{mixed}"),
        &w.acme_scim,
        Some(put),
    )
    .await
    .expect_status(StatusCode::OK);
    let all = w
        .get_json(&w.ada, format!("/groups/{mixed}/members"))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(all["items"][0]["user_id"].to_string(), gina);
    // Names are unique in an org; bad input is a SCIM 400.
    w.post("/Groups", &w.acme_scim, json!({"displayName": "Ops"}))
        .await
        .expect_status(StatusCode::CREATED);
    assert_scim_error(
        &w.post("/Groups", &w.acme_scim, json!({"displayName": "ops"}))
            .await,
        409,
        Some("uniqueness"),
    );
    assert_scim_error(
        &w.post("/Groups", &w.acme_scim, json!({"displayName": ""}))
            .await,
        400,
        Some("invalidValue"),
    );
    assert_scim_error(
        &w.post("/Groups", &w.acme_scim, json!({"members": []}))
            .await,
        400,
        Some("invalidValue"),
    );
    let bad = json!({"displayName": "B", "members": "everyone"});
    assert_scim_error(
        &w.post("/Groups", &w.acme_scim, bad).await,
        400,
        Some("invalidValue"),
    );
    assert_scim_error(
        &w.get("/Groups?filter=userName%20eq%20%22x%22", &w.acme_scim)
            .await,
        400,
        Some("invalidFilter"),
    );
}
