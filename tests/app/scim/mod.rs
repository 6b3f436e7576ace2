//! SCIM 2.0 provisioning (issue 15, point 2): `/scim/v2` Users and Groups
//! for an org's SCIM token, only inside that org's subtree and never beyond
//! what the token's creator may do; the tokens' API and page.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod groups;
mod tokens;
mod users;

/// The tree, Olga (Org admin of Acme) with a SCIM token for Acme, and Gus
/// (Org admin of Globex) with one for Globex.
pub struct World {
    tree: Tree,
    olga_id: i64,
    olga: String,
    acme_scim: String,
    gus: String,
    globex_scim: String,
}
on_the_tree!(World);

impl World {
    async fn new() -> World {
        let tree = Tree::new().await;
        let (olga_id, olga) = tree
            .org_admin("olga@acme.test", tree.acme)
            .await
            .id_and_token();
        let (_, gus) = tree
            .org_admin("gus@globex.test", tree.globex)
            .await
            .id_and_token();
        let acme_scim = scim_token(&tree, &olga, tree.acme).await;
        let globex_scim = scim_token(&tree, &gus, tree.globex).await;
        World {
            tree,
            olga_id,
            olga,
            acme_scim,
            gus,
            globex_scim,
        }
    }

    /// A SCIM request as `token`, with its status and JSON body (Null when
    /// empty); every body it answers is `application/scim+json`.
    async fn scim(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = reqwest::Client::new()
            .request(method, self.url(&format!("/scim/v2{path}")))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("SCIM call");
        let status = response.status();
        let kind = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string());
        let text = response.text().await.unwrap();
        if text.is_empty() {
            return (status, Value::Null);
        }
        assert_eq!(kind.as_deref(), Some("application/scim+json"), "{text}");
        (status, serde_json::from_str(&text).expect("SCIM JSON"))
    }

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.scim(Method::GET, path, token, None).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.scim(Method::POST, path, token, Some(body)).await
    }

    /// Creates a user through SCIM as the Acme token; their id.
    async fn acme_user(&self, user_name: &str, name: &str) -> String {
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": user_name, "displayName": name,
        });
        let created = self
            .post("/Users", &self.acme_scim, body)
            .await
            .expect_status(StatusCode::CREATED);
        created["id"].as_str().unwrap().to_string()
    }
}

/// A SCIM token for `org` made through the API by `token`'s holder.
pub async fn scim_token(app: &TestApp, token: &str, org: i64) -> String {
    let body = json!({"name": "IdP"});
    let created = app
        .post_created(token, &format!("/orgs/{org}/scim-tokens"), body)
        .await;
    created["token"].as_str().unwrap().to_string()
}

/// Uma, at home in Acme with user.manage there but not group.manage: not
/// enough to handle SCIM tokens. Her id and API token.
pub async fn people_only(w: &World) -> (i64, String) {
    let body = json!({"org_id": w.acme, "name": "People only",
                      "permissions": ["org.view", "user.view", "user.manage"]});
    let role = w.post_created(&w.ada, "/roles", body).await["id"]
        .as_i64()
        .unwrap();
    let (id, token) = w.person("uma@acme.test", w.acme).await.id_and_token();
    let grant = json!({"role_id": role, "user_id": id, "org_id": w.acme});
    w.post_created(&w.ada, "/grants", grant).await;
    (id, token)
}

/// A SCIM error answer: the Error schema, `status` as a string, the scimType.
#[track_caller]
pub fn assert_scim_error(answer: &(StatusCode, Value), status: u16, scim_type: Option<&str>) {
    let (code, body) = answer;
    assert_eq!(code.as_u16(), status, "{body}");
    assert_eq!(
        body["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(body["status"], json!(status.to_string()));
    assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
}

#[tokio::test]
async fn discovery_describes_users_and_groups_and_answers_only_get() {
    let w = World::new().await;
    let spc = w
        .get("/ServiceProviderConfig", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(spc["patch"]["supported"], json!(true));
    assert_eq!(spc["filter"]["supported"], json!(true));
    let types = w
        .get("/ResourceTypes", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(types["totalResults"], json!(2));
    let user = w
        .get("/ResourceTypes/User", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(user["endpoint"], json!("/Users"));
    let schemas = w
        .get("/Schemas", &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    let id = schemas["Resources"][0]["id"].as_str().unwrap().to_string();
    w.get(&format!("/Schemas/{id}"), &w.acme_scim)
        .await
        .expect_status(StatusCode::OK);
    assert_scim_error(&w.get("/Schemas/nope", &w.acme_scim).await, 404, None);
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        let answer = w.scim(method, "/Schemas", &w.acme_scim, None).await;
        assert_scim_error(&answer, 405, None);
    }
    assert_scim_error(&w.get("/Nothing", &w.acme_scim).await, 404, None);
    let get_search = w.get("/.search", &w.acme_scim).await;
    assert_scim_error(&get_search, 405, None);
}

#[tokio::test]
async fn searches_take_the_list_parameters_in_a_body() {
    let w = World::new().await;
    let ann = w.acme_user("ann@acme.test", "Ann").await;
    let group = w
        .post("/Groups", &w.acme_scim, json!({"displayName": "Ops"}))
        .await
        .expect_status(StatusCode::CREATED);
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                      "attributes": ["externalId"]});
    let all = w
        .post("/.search", &w.acme_scim, body)
        .await
        .expect_status(StatusCode::OK);
    // Olga and Ann, then the group; only id and schemas besides what was asked.
    assert_eq!(all["totalResults"], json!(3));
    let ids: Vec<&Value> = all["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids[1..], [&json!(ann), &group["id"]]);
    assert!(all["Resources"][1].get("userName").is_none());
    let page = json!({"startIndex": 3, "count": 1});
    let last = w
        .post("/.search", &w.acme_scim, page)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(last["Resources"][0]["id"], group["id"]);
    let filter = json!({"filter": "userName eq \"ann@acme.test\""});
    let users = w
        .post("/Users/.search", &w.acme_scim, filter)
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(
        (
            users["totalResults"].clone(),
            users["Resources"][0]["id"].clone()
        ),
        (json!(1), json!(ann))
    );
    let bad = w
        .post(
            "/Groups/.search",
            &w.acme_scim,
            json!({"filter": "members eq \"1\""}),
        )
        .await;
    assert_scim_error(&bad, 400, Some("invalidFilter"));
    let bad = w
        .post("/.search", &w.acme_scim, json!({"count": [1]}))
        .await;
    assert_scim_error(&bad, 400, Some("invalidValue"));
    let other = w
        .post("/.search", &w.globex_scim, json!({}))
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(other["totalResults"], json!(1), "Gus alone");
}
