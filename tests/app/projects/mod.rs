//! Projects, assignments and teams through the API: an org admin works inside
//! their subtree only, other tenants' work answers 404, and bad input (duplicate
//! codes, reversed dates, absurd allocations, overlapping periods, closed projects,
//! archived orgs) is refused and changes nothing.

use reqwest::Method;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use canopy::domain::assignment;
use canopy::domain::project::{self, ProjectFilter};

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod assignments;
mod teams;

/// The tree with this file's cast: Olga and Gus administer Acme and Globex;
/// Sam (at home in East) and Gina (in Globex) hold no grants.
struct World {
    tree: Tree,
    olga: String,
    gus: String,
    sam: i64,
    gina: i64,
}

on_the_tree!(World);

async fn world() -> World {
    let tree = Tree::new().await;
    World {
        olga: tree.org_admin("olga@acme.example", tree.acme).await.token,
        gus: tree
            .org_admin("gus@globex.example", tree.globex)
            .await
            .token,
        sam: tree.person("sam@acme.example", tree.east).await.id,
        gina: tree.person("gina@globex.example", tree.globex).await.id,
        tree,
    }
}

async fn new_project(w: &World, t: &str, org_id: i64, code: &str) -> Value {
    w.create_project(t, org_id, code, &format!("Project {code}"))
        .await
}

/// Every project in the database, whoever may see it.
async fn all_projects(app: &TestApp) -> Vec<project::Project> {
    app.db
        .read(|conn| project::search(conn, &ProjectFilter::default()))
        .await
        .unwrap()
}

async fn assignments_of(app: &TestApp, project_id: i64) -> Vec<assignment::Assignee> {
    app.db
        .read(move |conn| assignment::of_project(conn, project_id))
        .await
        .unwrap()
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

#[tokio::test]
async fn an_org_admin_manages_the_projects_of_their_subtree_only() {
    let w = world().await;
    let (app, olga, gus) = (&w.app, w.olga.as_str(), w.gus.as_str());
    let (status, created) = app
        .post_json(olga, "/projects", json!({"org_id": w.east, "code": "apollo", "name": "Apollo", "client": "NASA",
                        "start_date": "2026-01-01", "end_date": "2026-12-31", "budget_minutes": 60000}))
        .await;
    assert_eq!(status, S::CREATED, "{created}");
    assert_eq!(created["code"], "APOLLO");
    assert_eq!(created["client"], "NASA");
    assert_eq!(created["status"], "active");
    assert_eq!(created["start_date"], "2026-01-01");
    assert_eq!(created["version"], 1);
    assert!(created["created_at"].as_str().unwrap().ends_with('Z'));
    let apollo = created["id"].as_i64().unwrap();
    let globex_p = new_project(&w, gus, w.globex, "GX-1").await["id"]
        .as_i64()
        .unwrap();

    // Olga lists her subtree, not Globex; org_id takes the whole subtree.
    let (_, list) = app.get_json(olga, "/projects").await;
    assert_eq!(ids(&list), vec![apollo]);
    let (_, list) = app
        .get_json(olga, format!("/projects?org_id={}", w.acme))
        .await;
    assert_eq!(ids(&list), vec![apollo]);
    let (_, list) = app
        .get_json(olga, format!("/projects?org_id={}", w.west))
        .await;
    assert_eq!(ids(&list), Vec::<i64>::new());
    let (_, list) = app.get_json(olga, "/projects?q=POLL&status=active").await;
    assert_eq!(ids(&list), vec![apollo]);
    let (_, list) = app.get_json(olga, "/projects?status=closed").await;
    assert_eq!(list["total"], 0);
    app.get_json(olga, "/projects?status=bogus")
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get_json(&w.ada, "/projects").await;
    assert_eq!(list["total"], 2);

    // Everything of another tenant answers exactly like something that does not exist.
    let missing = 999_999;
    for id in [globex_p, missing] {
        for (method, path, body) in [
            (Method::GET, format!("/projects/{id}"), None),
            (
                Method::PATCH,
                format!("/projects/{id}"),
                Some(json!({"name": "Mine now"})),
            ),
            (Method::DELETE, format!("/projects/{id}"), None),
            (
                Method::PUT,
                format!("/projects/{id}/assignments/{}", w.sam),
                Some(
                    json!({"role": "member", "minutes_per_week": 600, "start_date": "2026-01-05"}),
                ),
            ),
            (
                Method::DELETE,
                format!("/projects/{id}/assignments/{}", w.gina),
                None,
            ),
        ] {
            let (status, body) = app.call(method.clone(), &path, olga, body).await;
            assert_eq!(status, S::NOT_FOUND, "{method} {path}: {body}");
            assert_eq!(body["error"]["code"], json!("not_found"), "{body}");
        }
    }
    app.post_json(
        olga,
        "/projects",
        json!({"org_id": w.globex, "code": "X", "name": "X"}),
    )
    .await
    .expect_status(S::NOT_FOUND);
    app.get_json(olga, format!("/projects?org_id={}", w.globex))
        .await
        .expect_status(S::NOT_FOUND);
    // Nor may she move her project into Globex.
    app.patch_json(
        olga,
        format!("/projects/{apollo}"),
        json!({"org_id": w.globex}),
    )
    .await
    .expect_status(S::NOT_FOUND);

    // Edits with optimistic versions; moving inside the subtree reassigns.
    let edited = app
        .patch_json(
            olga,
            format!("/projects/{apollo}"),
            json!({"name": "Apollo 11", "end_date": null, "budget_minutes": null, "version": 1}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(edited["name"], "Apollo 11");
    assert_eq!(edited["end_date"], Value::Null);
    assert_eq!(edited["budget_minutes"], Value::Null);
    assert_eq!(edited["client"], "NASA");
    assert_eq!(edited["version"], 2);
    app.patch_json(
        olga,
        format!("/projects/{apollo}"),
        json!({"name": "Stale", "version": 1}),
    )
    .await
    .expect_status(S::CONFLICT);
    let moved = app
        .patch_json(
            olga,
            format!("/projects/{apollo}"),
            json!({"org_id": w.west, "version": 2}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(moved["org_id"], w.west);
    assert_eq!(app.audit("project.moved").await.len(), 1);
    assert_eq!(app.audit("project.updated").await.len(), 1);
    assert_eq!(app.audit("project.created").await.len(), 2);

    // A viewer sees the project but may not change it.
    let vic = app.create_user("vic@acme.example", "Vic", w.acme).await;
    w.grant_role(&w.ada, "Viewer", vic.id, w.acme).await;
    let vic_t = app.create_token(vic.id, "").await;
    app.get_json(&vic_t, format!("/projects/{apollo}"))
        .await
        .expect_status(S::OK);
    app.patch_json(
        &vic_t,
        format!("/projects/{apollo}"),
        json!({"name": "Vic's"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    app.put_json(
        &vic_t,
        format!("/projects/{apollo}/assignments/{}", w.sam),
        json!({"role": "member", "minutes_per_week": 600, "start_date": "2026-01-05"}),
    )
    .await
    .expect_status(S::FORBIDDEN);
    // A user with no grant sees no project.
    let sam_t = app.create_token(w.sam, "").await;
    let (_, list) = app.get_json(&sam_t, "/projects").await;
    assert_eq!(list["total"], 0);

    // Deleting a project nobody was assigned to.
    app.delete(olga, format!("/projects/{apollo}"))
        .await
        .expect_status(S::NO_CONTENT);
    app.get_json(olga, format!("/projects/{apollo}"))
        .await
        .expect_status(S::NOT_FOUND);
    assert_eq!(app.audit("project.deleted").await.len(), 1);
}

#[tokio::test]
async fn bad_project_input_is_refused_and_changes_nothing() {
    let w = world().await;
    let (app, olga) = (&w.app, w.olga.as_str());
    let p = new_project(&w, olga, w.east, "ACME-1").await;
    let id = p["id"].as_i64().unwrap();
    // Codes are unique in the tenant, whatever their case and in whichever of
    // its orgs (another tenant's codes do not count: tests/app/tenant_codes.rs).
    new_project(&w, &w.gus, w.globex, "GX-1").await;
    new_project(&w, olga, w.west, "ACME-2").await;
    let before = all_projects(app).await.len();
    for (body, field, expected) in [
        (
            json!({"org_id": w.east, "code": "acme-1", "name": "Again"}),
            "code",
            S::CONFLICT,
        ),
        (
            json!({"org_id": w.west, "code": "Acme-1", "name": "Again, elsewhere"}),
            "code",
            S::CONFLICT,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "start_date": "2026-05-01", "end_date": "2026-04-30"}),
            "end_date",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "start_date": "01/05/2026"}),
            "start_date",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "start_date": "2026-02-30"}),
            "start_date",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "budget_minutes": -1}),
            "budget_minutes",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "budget_minutes": 10_000_001}),
            "budget_minutes",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "status": "paused"}),
            "status",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "has space", "name": "N"}),
            "code",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "  "}),
            "name",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "client": "a\nb"}),
            "client_name",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "description": "x".repeat(2001)}),
            "description",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"code": "NEW", "name": "N"}),
            "org_id",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "budget_minutes": "lots"}),
            "body",
            S::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"org_id": w.east, "code": "NEW", "name": "N", "budget_minutes": 1e30}),
            "body",
            S::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (status, answer) = app.post_json(olga, "/projects", body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{field}: {answer}"
        );
    }
    // The same rules hold for edits.
    for (body, expected) in [
        (json!({"code": "acme-2"}), S::CONFLICT),
        (
            json!({"start_date": "2027-01-01", "end_date": "2026-01-01"}),
            S::UNPROCESSABLE_ENTITY,
        ),
        (json!({"budget_minutes": -5}), S::UNPROCESSABLE_ENTITY),
        (json!({"unknown": 1}), S::UNPROCESSABLE_ENTITY),
        (json!({}), S::UNPROCESSABLE_ENTITY),
    ] {
        let (status, answer) = app
            .patch_json(olga, format!("/projects/{id}"), body.clone())
            .await;
        assert_eq!(status, expected, "{body}: {answer}");
    }
    let (status, body) = app.post_empty(olga, "/projects").await;
    assert!(status.is_client_error(), "{status} {body}");
    assert_eq!(all_projects(app).await.len(), before);
    let (_, same) = app.get_json(olga, format!("/projects/{id}")).await;
    assert_eq!(same["version"], 1);
    assert_eq!(same["code"], "ACME-1");

    // An archived org takes no new projects, and its projects are read-only.
    app.patch_json(
        &w.ada,
        format!("/orgs/{}", w.east),
        json!({"status": "archived"}),
    )
    .await
    .expect_status(S::OK);
    let body = app
        .post_json(
            olga,
            "/projects",
            json!({"org_id": w.east, "code": "LATE", "name": "Late"}),
        )
        .await
        .expect_status(S::CONFLICT);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("archived orgs take no new projects")
    );
    app.patch_json(olga, format!("/projects/{id}"), json!({"name": "Renamed"}))
        .await
        .expect_status(S::CONFLICT);
    // Nor can one move a project into it.
    let west_p = new_project(&w, olga, w.west, "W-1").await["id"]
        .as_i64()
        .unwrap();
    app.patch_json(
        olga,
        format!("/projects/{west_p}"),
        json!({"org_id": w.east}),
    )
    .await
    .expect_status(S::CONFLICT);
    let (_, still) = app.get_json(olga, format!("/projects/{west_p}")).await;
    assert_eq!(still["org_id"], w.west);
    assert_eq!(all_projects(app).await.len(), before + 1);
}
