//! The page and the API decide alike: where the two faces once answered
//! differently (editing and moving a project, reviving someone who never set a
//! password, who sees a project, deleting an org), each story drives both and
//! pins the same refusal and the same result.

use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

/// The tree with Apollo, a project at Acme.
struct World {
    tree: Tree,
    /// Apollo, at Acme.
    project: i64,
}

on_the_tree!(World);

async fn world() -> World {
    let tree = Tree::new().await;
    let apollo = tree
        .create_project(&tree.ada, tree.acme, "APOLLO", "Apollo")
        .await;
    World {
        project: apollo["id"].as_i64().unwrap(),
        tree,
    }
}

impl World {
    async fn project(&self) -> Value {
        let path = format!("/projects/{}", self.project);
        let (status, body) = self.get_json(&self.ada, path).await;
        assert_eq!(status, S::OK, "{body}");
        body
    }

    /// The project edit form as a browser posts it: every field, and the org.
    async fn post_edit(&self, browser: &Browser, name: &str, org: i64) -> reqwest::Response {
        let path = format!("/projects/{}/edit", self.project);
        let org = format!("#{org}");
        let fields = [
            ("org_id", org.as_str()),
            ("code", "APOLLO"),
            ("name", name),
            ("status", "active"),
        ];
        browser.submit_form(&path, &fields).await
    }

    async fn patch_project(&self, token: &str, body: Value) -> (S, Value) {
        let path = format!("/projects/{}", self.project);
        self.patch_json(token, path, body).await
    }

    async fn archive(&self, org: i64) {
        let body = json!({"status": "archived"});
        let path = format!("/orgs/{org}");
        self.patch_json(&self.ada, path, body)
            .await
            .expect_status(S::OK);
    }
}

#[actix_web::test]
async fn editing_or_moving_a_project_is_refused_alike_when_an_org_is_archived() {
    let w = world().await;
    let page = w.signed_in_browser(ADMIN_EMAIL).await;
    // Moving it into an archived org: the same 409 on both faces (the page
    // once said 422 "choose one of the listed").
    w.archive(w.globex).await;
    let response = w.post_edit(&page, "Apollo 2", w.globex).await;
    assert_eq!(response.status(), S::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Archived orgs take no new projects."),
        "{html}"
    );
    let (status, body) = w
        .patch_project(&w.ada, json!({"org_id": w.globex, "name": "Apollo 2"}))
        .await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Archived orgs take no new projects."
    );
    let now = w.project().await;
    assert_eq!(
        (now["name"].as_str(), now["org_id"].as_i64()),
        (Some("Apollo"), Some(w.acme))
    );

    // Editing it while its own org is archived: 409 with the reason on both
    // (the page once said 403).
    w.archive(w.acme).await;
    let response = w.post_edit(&page, "Apollo 3", w.acme).await;
    assert_eq!(response.status(), S::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("its projects are read-only"), "{html}");
    let (status, body) = w.patch_project(&w.ada, json!({"name": "Apollo 3"})).await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("its projects are read-only"),
        "{body}"
    );
    assert_eq!(w.project().await["name"], "Apollo");
}

#[actix_web::test]
async fn someone_only_assigned_to_a_project_sees_it_but_may_not_change_it_on_either_face() {
    let w = world().await;
    let sam = w.create_user("sam@acme.example", "Sam", w.acme).await;
    let sam_token = w.create_token(sam.id, "").await;
    let path = format!("/projects/{}/assignments/{}", w.project, sam.id);
    let assignment = json!({"role": "member", "minutes_per_week": 600, "start_date": "2026-01-05"});
    let (status, body) = w.put_json(&w.ada, &path, assignment).await;
    assert_eq!(status, S::CREATED, "{body}");
    let page = w.signed_in_browser("sam@acme.example").await;

    // Both faces show him the project he works on ...
    let show = format!("/projects/{}", w.project);
    assert_eq!(page.get(&show).await.status(), S::OK);
    let (status, _) = w.get_json(&sam_token, &show).await;
    assert_eq!(status, S::OK);
    // ... and both refuse him its changes with 403, not as if it did not
    // exist (the page once answered 404).
    assert_eq!(
        page.get(&format!("{show}/edit")).await.status(),
        S::FORBIDDEN
    );
    let response = w.post_edit(&page, "Sam's Apollo", w.acme).await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (status, body) = w
        .patch_project(&sam_token, json!({"name": "Sam's Apollo"}))
        .await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    let end = format!("/projects/{}/assignments/{}/end", w.project, sam.id);
    assert_eq!(page.submit_form(&end, &[]).await.status(), S::FORBIDDEN);
    w.delete(&sam_token, &path)
        .await
        .expect_status(S::FORBIDDEN);
    assert_eq!(w.project().await["name"], "Apollo");
    let (_, list) = w.get_json(&w.ada, format!("{show}/assignments")).await;
    assert_eq!(list["items"][0]["end_date"], Value::Null, "{list}");
}

#[actix_web::test]
async fn reviving_someone_who_never_set_a_password_makes_them_invited_on_both_faces() {
    let w = world().await;
    let new_user = json!({"org_id": w.acme, "email": "ivy@acme.example", "display_name": "Ivy"});
    let (status, body) = w.post_json(&w.ada, "/users", new_user).await;
    assert_eq!(status, S::CREATED, "{body}");
    assert_eq!(body["status"], "invited");
    let ivy = body["id"].as_i64().unwrap();
    let user_path = format!("/users/{ivy}");
    let page = w.signed_in_browser(ADMIN_EMAIL).await;
    let status_now = || async { w.get_json(&w.ada, &user_path).await.1["status"].clone() };

    // By page: off, then on again: invited, not active.
    let response = page
        .submit_form(&format!("{user_path}/deactivate"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(status_now().await, "deactivated");
    let response = page
        .submit_form(&format!("{user_path}/reactivate"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(status_now().await, "invited");
    // By API: the same.
    for (asked, found) in [("deactivated", "deactivated"), ("active", "invited")] {
        let body = json!({"status": asked});
        let (status, body) = w.patch_json(&w.ada, &user_path, body).await;
        assert_eq!(status, S::OK, "{body}");
        assert_eq!(body["status"], found);
    }

    // One's own status: the same 422 on both (the page once said 403).
    let me = w.get_json(&w.ada, "/me").await.1["id"].as_i64().unwrap();
    let response = page
        .submit_form(&format!("/users/{me}/deactivate"), &[])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("You cannot change your own status."),
        "{html}"
    );
    let body = json!({"status": "deactivated"});
    let (status, body) = w.patch_json(&w.ada, format!("/users/{me}"), body).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["error"]["fields"]["status"],
        "You cannot change your own status."
    );
    assert_eq!(w.get_json(&w.ada, "/me").await.1["status"], "active");
}

#[actix_web::test]
async fn deleting_an_org_is_decided_alike_on_page_and_api() {
    let w = world().await;
    let page = w.signed_in_browser(ADMIN_EMAIL).await;
    // Not empty (Acme holds Apollo): 409 on both, nothing deleted.
    let response = page
        .submit_form(&format!("/orgs/{}/delete", w.acme), &[])
        .await;
    assert_eq!(response.status(), S::CONFLICT);
    let body = w
        .delete(&w.ada, format!("/orgs/{}", w.acme))
        .await
        .expect_status(S::CONFLICT);
    assert!(body["error"]["blocking"].is_object(), "{body}");

    // Seen only from outside (privacy mode on): 403 on both, the same reason.
    w.add_keeper(w.globex).await;
    let body = json!({"privacy_mode": true});
    let path = format!("/orgs/{}", w.globex);
    let (status, body) = w.patch_json(&w.ada, &path, body).await;
    assert_eq!(status, S::OK, "{body}");
    let response = page
        .submit_form(&format!("/orgs/{}/delete", w.globex), &[])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let html = response.text().await.unwrap();
    assert!(html.contains("from outside it can be moved"), "{html}");
    let (status, body) = w.delete(&w.ada, &path).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("from outside it can be moved"),
        "{body}"
    );
    assert_eq!(w.get_json(&w.ada, &path).await.0, S::OK);

    // Empty and seen inside: deleted by either face.
    let east = w.create_org(&w.ada, w.root, "East", "EAST").await;
    let west = w.create_org(&w.ada, w.root, "West", "WEST").await;
    let response = page.submit_form(&format!("/orgs/{east}/delete"), &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    w.delete(&w.ada, format!("/orgs/{west}"))
        .await
        .expect_status(S::NO_CONTENT);
    for gone in [east, west] {
        w.get_json(&w.ada, format!("/orgs/{gone}"))
            .await
            .expect_status(S::NOT_FOUND);
    }
}

#[actix_web::test]
async fn typed_patch_bodies_name_an_unknown_field_and_change_nothing() {
    let w = world().await;
    let before = w.project().await;
    let (status, body) = w
        .patch_project(&w.ada, json!({"name": "Renamed", "nickname": "x"}))
        .await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["error"]["fields"]["nickname"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("Unknown field. Expected"), "{body}");
    assert!(!message.contains(" at line "), "{body}");
    assert_eq!(w.project().await, before);

    let path = format!("/orgs/{}", w.acme);
    let body = w
        .patch_json(
            &w.ada,
            path.clone(),
            json!({"name": "Acme Two", "motto": "x"}),
        )
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    let message = body["error"]["fields"]["motto"]
        .as_str()
        .unwrap_or_default();
    assert!(message.starts_with("Unknown field."), "{body}");
    let (_, org) = w.get_json(&w.ada, path.clone()).await;
    assert_eq!(org["name"], "Acme");
    // A wrong type is refused under `body`, naming what was expected.
    let body = w
        .patch_json(&w.ada, path, json!({"privacy_mode": "yes"}))
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["body"].is_string(), "{body}");
}

#[tokio::test]
async fn defining_a_custom_role_is_decided_alike_before_the_input_is_read() {
    let w = world().await;
    // Vic sees inside Acme but may not manage access there; Ola may.
    let vic_api = w
        .member("vic@example.com", w.acme, "Viewer", w.acme)
        .await
        .token;
    let ola_api = w.org_admin("ola@example.com", w.acme).await.token;
    let vic = w.signed_in_browser("vic@example.com").await;
    let roles = async || {
        w.get_json(&w.ada, format!("/roles?org_id={}", w.acme))
            .await
            .1
    };
    let before = roles().await;

    // Bad input from someone without access.manage: refused for who they
    // are (403) on both faces, not told what is wrong with the input.
    let page = vic
        .submit_form(&format!("/orgs/{}/roles", w.acme), &[("name", "")])
        .await;
    assert_eq!(page.status(), S::FORBIDDEN);
    let body = json!({"org_id": w.acme, "name": "", "permissions": []});
    let (status, answer) = w.post_json(&vic_api, "/roles", body).await;
    assert_eq!(status, S::FORBIDDEN, "{answer}");

    // The same input from an org admin: 422 on the name, on both faces.
    let ola = w.signed_in_browser("ola@example.com").await;
    let page = ola
        .submit_form(&format!("/orgs/{}/roles", w.acme), &[("name", "")])
        .await;
    assert_eq!(page.status(), S::UNPROCESSABLE_ENTITY);
    let body = json!({"org_id": w.acme, "name": "", "permissions": []});
    let (status, answer) = w.post_json(&ola_api, "/roles", body).await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["error"]["fields"]["name"].is_string(), "{answer}");
    assert_eq!(roles().await, before, "nothing was defined");
}
