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

#[tokio::test]
async fn assignments_are_validated_never_overlap_and_end_keeping_history() {
    let w = world().await;
    let (app, olga) = (&w.app, w.olga.as_str());
    let p = new_project(&w, olga, w.east, "ACME-1").await["id"]
        .as_i64()
        .unwrap();
    let path = |user: i64| format!("/projects/{p}/assignments/{user}");
    let a = app
        .put_json(olga, path(w.sam), json!({"role": "member", "minutes_per_week": 2400, "start_date": "2020-01-06", "end_date": "2020-06-30"}))
        .await.expect_status(S::CREATED);
    assert_eq!(a["minutes_per_week"], 2400);
    assert_eq!(a["end_date"], "2020-06-30");
    // The same start date changes that assignment.
    let a = app
        .put_json(olga, path(w.sam), json!({"role": "approver", "minutes_per_week": 1200, "start_date": "2020-01-06", "end_date": "2020-06-30", "version": 1}))
        .await.expect_status(S::OK);
    assert_eq!(a["role"], "approver");
    assert_eq!(a["version"], 2);

    // Bad input, overlaps, strangers: refused, nothing changes.
    for (user, body, expected, field) in [
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": -1, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 10_081, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 99_999_999_999_i64, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 1.5, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("body"),
        ),
        (
            w.sam,
            json!({"role": "member", "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("minutes_per_week"),
        ),
        (
            w.sam,
            json!({"role": "chief", "minutes_per_week": 60, "start_date": "2021-01-04"}),
            S::UNPROCESSABLE_ENTITY,
            Some("role"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04", "end_date": "2021-01-03"}),
            S::UNPROCESSABLE_ENTITY,
            Some("end_date"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "yesterday"}),
            S::UNPROCESSABLE_ENTITY,
            Some("start_date"),
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2020-06-30"}),
            S::CONFLICT,
            None,
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2019-01-01", "end_date": "2020-01-06"}),
            S::CONFLICT,
            None,
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2019-01-01"}),
            S::CONFLICT,
            None,
        ),
        (
            w.sam,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2020-01-06", "version": 1}),
            S::CONFLICT,
            None,
        ),
        // Gina lives in Globex: Olga may not even know her.
        (
            w.gina,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
            S::NOT_FOUND,
            None,
        ),
        (
            999_999,
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
            S::NOT_FOUND,
            None,
        ),
    ] {
        let (status, answer) = app.put_json(olga, path(user), body.clone()).await;
        assert_eq!(status, expected, "{body}: {answer}");
        if let Some(field) = field {
            assert!(
                answer["error"]["fields"][field].is_string(),
                "{field}: {answer}"
            );
        }
    }
    let (status, answer) = app
        .put_json(
            olga,
            path(w.sam),
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2020-06-30"}),
        )
        .await;
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("overlap"),
        "{status} {answer}"
    );
    let rows = assignments_of(app, p).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].assignment.minutes_per_week, 1200);

    // The owner sees Gina, but she is neither at home here nor a guest: 422.
    let answer = app
        .put_json(
            &w.ada,
            path(w.gina),
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
        )
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    assert!(answer["error"]["fields"]["user_id"].is_string(), "{answer}");
    assert_eq!(assignments_of(app, p).await.len(), 1);
    // As a guest of Acme she may be assigned.
    w.grant_role(&w.ada, "Viewer", w.gina, w.acme).await;
    app.put_json(
        olga,
        path(w.gina),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2021-01-04"}),
    )
    .await
    .expect_status(S::CREATED);

    // A later, separate period; then ending: started ones end today, upcoming
    // ones go away.
    app.put_json(
        olga,
        path(w.sam),
        json!({"role": "manager", "minutes_per_week": 600, "start_date": "2021-01-04"}),
    )
    .await
    .expect_status(S::CREATED);
    app.delete(olga, path(w.sam))
        .await
        .expect_status(S::NO_CONTENT);
    let (_, shown) = app.get_json(olga, format!("/projects/{p}")).await;
    let sams: Vec<&Value> = shown["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["user_id"] == w.sam)
        .collect();
    assert_eq!(sams.len(), 2, "{shown}");
    assert_eq!(sams[0]["end_date"], "2020-06-30");
    assert_eq!(sams[1]["end_date"], json!(today()));
    assert_eq!(sams[1]["display_name"], "Sam");
    // Nothing open any more.
    app.delete(olga, path(w.sam))
        .await
        .expect_status(S::NOT_FOUND);
    let (status, _) = app
        .put_json(
            olga,
            path(w.gina),
            json!({"role": "member", "minutes_per_week": 60, "start_date": "2999-01-01"}),
        )
        .await;
    assert_eq!(
        status,
        S::CONFLICT,
        "the open-ended period from 2021 overlaps"
    );
    app.delete(olga, path(w.gina))
        .await
        .expect_status(S::NO_CONTENT);
    app.put_json(
        olga,
        path(w.gina),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2999-01-01"}),
    )
    .await
    .expect_status(S::CREATED);
    app.delete(olga, path(w.gina))
        .await
        .expect_status(S::NO_CONTENT);
    let rows = assignments_of(app, p).await;
    assert_eq!(rows.len(), 3, "the upcoming one was deleted, the rest kept");
    let current = app
        .db
        .read({
            let sam = w.sam;
            move |conn| assignment::current_for_user(conn, sam, chrono::Utc::now().date_naive())
        })
        .await
        .unwrap();
    assert_eq!(current.len(), 1, "ends today, so still current today");
    assert!(app.audit("project.assignment_put").await.len() >= 5);
    assert_eq!(app.audit("project.assignment_ended").await.len(), 3);

    // A project with assignments cannot be deleted; it says why.
    let body = app
        .delete(olga, format!("/projects/{p}"))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(body["error"]["blocking"]["assignments"], 3, "{body}");

    // A closed project takes no assignments.
    app.patch_json(olga, format!("/projects/{p}"), json!({"status": "closed"}))
        .await
        .expect_status(S::OK);
    app.put_json(
        olga,
        path(w.sam),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2030-01-07"}),
    )
    .await
    .expect_status(S::CONFLICT);
    assert_eq!(assignments_of(app, p).await.len(), 3);

    // Nor does a project in an archived org.
    let q = new_project(&w, olga, w.west, "ACME-2").await["id"]
        .as_i64()
        .unwrap();
    app.patch_json(
        &w.ada,
        format!("/orgs/{}", w.west),
        json!({"status": "archived"}),
    )
    .await
    .expect_status(S::OK);
    app.put_json(
        olga,
        format!("/projects/{q}/assignments/{}", w.sam),
        json!({"role": "member", "minutes_per_week": 60, "start_date": "2026-01-05"}),
    )
    .await
    .expect_status(S::CONFLICT);
    assert!(assignments_of(app, q).await.is_empty());

    // Another tenant's admin learns nothing of any of it.
    app.get_json(&w.gus, format!("/projects/{p}"))
        .await
        .expect_status(S::NOT_FOUND);
    app.delete(&w.gus, path(w.gina))
        .await
        .expect_status(S::NOT_FOUND);
}

#[tokio::test]
async fn teams_are_managed_inside_their_tenant() {
    let w = world().await;
    let (app, olga, gus) = (&w.app, w.olga.as_str(), w.gus.as_str());
    let team = app
        .post_created(
            olga,
            "/teams",
            json!({"org_id": w.east, "name": "Rockets", "description": "Build them"}),
        )
        .await;
    assert_eq!(team["version"], 1);
    let id = team["id"].as_i64().unwrap();
    let body = app
        .post_json(olga, "/teams", json!({"org_id": w.east, "name": "ROCKETS"}))
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["name"].is_string());
    app.post_json(olga, "/teams", json!({"org_id": w.globex, "name": "Spies"}))
        .await
        .expect_status(S::NOT_FOUND);

    let body = app
        .put_json(
            olga,
            format!("/teams/{id}/members/{}", w.sam),
            json!({"lead": true}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(body["members"][0]["lead"], true);
    let (status, _) = app
        .put_json(
            olga,
            format!("/teams/{id}/members/{}", w.gina),
            json!({"lead": false}),
        )
        .await;
    assert_eq!(status, S::NOT_FOUND, "Gina is not Olga's to know");

    // Globex sees and touches none of it.
    let (_, list) = app.get_json(gus, "/teams").await;
    assert_eq!(list["total"], 0);
    for (method, path, body) in [
        (Method::GET, format!("/teams/{id}"), None),
        (
            Method::PATCH,
            format!("/teams/{id}"),
            Some(json!({"name": "Ours"})),
        ),
        (Method::DELETE, format!("/teams/{id}"), None),
        (
            Method::PUT,
            format!("/teams/{id}/members/{}", w.gina),
            Some(json!({"lead": true})),
        ),
        (
            Method::DELETE,
            format!("/teams/{id}/members/{}", w.sam),
            None,
        ),
    ] {
        let (status, body) = app.call(method.clone(), &path, gus, body).await;
        assert_eq!(status, S::NOT_FOUND, "{method} {path}: {body}");
    }
    let (_, shown) = app.get_json(olga, format!("/teams/{id}")).await;
    assert_eq!(shown["name"], "Rockets");
    assert_eq!(shown["members"].as_array().unwrap().len(), 1);

    let (_, list) = app.get_json(olga, "/teams").await;
    assert_eq!(ids(&list), vec![id]);
    app.patch_json(
        olga,
        format!("/teams/{id}"),
        json!({"name": "Boosters", "version": 1}),
    )
    .await
    .expect_status(S::OK);
    app.patch_json(
        olga,
        format!("/teams/{id}"),
        json!({"name": "Stale", "version": 1}),
    )
    .await
    .expect_status(S::CONFLICT);
    app.delete(olga, format!("/teams/{id}/members/{}", w.sam))
        .await
        .expect_status(S::NO_CONTENT);
    app.delete(olga, format!("/teams/{id}"))
        .await
        .expect_status(S::NO_CONTENT);
    app.get_json(olga, format!("/teams/{id}"))
        .await
        .expect_status(S::NOT_FOUND);
    for action in [
        "team.created",
        "team.updated",
        "team.member_put",
        "team.member_removed",
        "team.deleted",
    ] {
        assert_eq!(app.audit(action).await.len(), 1, "{action}");
    }
}

#[tokio::test]
async fn an_org_with_projects_or_teams_is_not_deleted() {
    let w = world().await;
    let (app, ada) = (&w.app, w.ada.as_str());
    let p = new_project(&w, ada, w.west, "W-1").await["id"]
        .as_i64()
        .unwrap();
    let team = app
        .post_created(ada, "/teams", json!({"org_id": w.west, "name": "Crew"}))
        .await;
    let body = app
        .delete(ada, format!("/orgs/{}", w.west))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(
        body["error"]["blocking"],
        json!({"children": 0, "users": 0, "projects": 1, "teams": 1, "groups": 0})
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 project, 1 team"),
        "{body}"
    );
    app.delete(ada, format!("/projects/{p}"))
        .await
        .expect_status(S::NO_CONTENT);
    app.delete(ada, format!("/teams/{}", team["id"]))
        .await
        .expect_status(S::NO_CONTENT);
    app.delete(ada, format!("/orgs/{}", w.west))
        .await
        .expect_status(S::NO_CONTENT);
}

#[tokio::test]
async fn concurrent_overlapping_assignments_let_exactly_one_through() {
    let w = world().await;
    let p = new_project(&w, &w.olga, w.east, "RACE").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/projects/{p}/assignments/{}", w.sam);
    let calls = (1..=6).map(|day| {
        w.put_json(&w.olga, path.clone(), json!({"role": "member", "minutes_per_week": 60, "start_date": format!("2026-03-{day:02}")}))
    });
    let answers = futures_util::future::join_all(calls).await;
    let created = answers.iter().filter(|(s, _)| *s == S::CREATED).count();
    let refused = answers.iter().filter(|(s, _)| *s == S::CONFLICT).count();
    assert_eq!((created, refused), (1, 5), "{answers:?}");
    assert_eq!(assignments_of(&w.app, p).await.len(), 1);
}

#[tokio::test]
async fn a_project_manager_granted_on_one_project_manages_that_project_only() {
    let w = world().await;
    let apollo = new_project(&w, &w.olga, w.east, "APOLLO").await["id"]
        .as_i64()
        .unwrap();
    let gemini = new_project(&w, &w.olga, w.east, "GEMINI").await["id"]
        .as_i64()
        .unwrap();
    let pm = w.role_id(&w.ada, "Project manager").await;
    let body = w
        .post_created(
            &w.olga,
            "/grants",
            json!({"role_id": pm, "user_id": w.sam, "project_id": apollo}),
        )
        .await;
    assert_eq!(body["project_id"], apollo);
    assert_eq!(body["org_id"], Value::Null);
    let sam = w.create_token(w.sam, "").await;

    let (status, _) = w
        .patch_json(
            &sam,
            format!("/projects/{apollo}"),
            json!({"description": "Moon"}),
        )
        .await;
    assert_eq!(status, S::OK, "he manages Apollo");
    let (status, _) = w.get_json(&sam, format!("/projects/{gemini}")).await;
    assert_eq!(status, S::NOT_FOUND, "and knows nothing of Gemini");
    w.patch_json(
        &sam,
        format!("/projects/{gemini}"),
        json!({"description": "Mine"}),
    )
    .await
    .expect_status(S::NOT_FOUND);
    let (_, list) = w.get_json(&sam, "/projects").await;
    assert_eq!(ids(&list), vec![apollo]);
    let (status, _) = w.get_json(&sam, format!("/orgs/{}", w.acme)).await;
    assert_eq!(
        status,
        S::NOT_FOUND,
        "a project grant opens the project, not the orgs above it"
    );
    // Outsiders cannot grant at a project they cannot see.
    w.post_json(
        &w.gus,
        "/grants",
        json!({"role_id": pm, "user_id": w.gina, "project_id": apollo}),
    )
    .await
    .expect_status(S::NOT_FOUND);
}

#[tokio::test]
async fn an_assignee_sees_their_project_without_a_grant() {
    let w = world().await;
    let apollo = new_project(&w, &w.olga, w.east, "APOLLO").await["id"]
        .as_i64()
        .unwrap();
    let sam = w.create_token(w.sam, "").await;
    assert_eq!(
        w.get_json(&sam, format!("/projects/{apollo}")).await.0,
        S::NOT_FOUND
    );
    let (status, body) = w
        .put_json(
            &w.olga,
            format!("/projects/{apollo}/assignments/{}", w.sam),
            json!({"role": "member", "minutes_per_week": 600, "start_date": today()}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    assert_eq!(
        w.get_json(&sam, format!("/projects/{apollo}")).await.0,
        S::OK
    );
    let (status, _) = w
        .patch_json(&sam, format!("/projects/{apollo}"), json!({"name": "Mine"}))
        .await;
    assert_eq!(status, S::FORBIDDEN, "seeing is not managing");
    let browser = w.signed_in_browser("sam@acme.example").await;
    let (status, html) = browser.get_page("/my/projects").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("Project APOLLO") && html.contains("10.00 h/week"),
        "{html}"
    );
    assert_eq!(
        browser.get(&format!("/projects/{apollo}")).await.status(),
        S::OK
    );
}

#[tokio::test]
async fn the_project_pages_filter_page_and_show_activity_to_auditors_only() {
    let w = world().await;
    for i in 0..55 {
        new_project(&w, &w.olga, w.east, &format!("P{i:02}")).await;
    }
    let west = new_project(&w, &w.olga, w.west, "WESTY").await["id"]
        .as_i64()
        .unwrap();
    let olga = w.signed_in_browser("olga@acme.example").await;
    let (_, first) = olga.get_page(&format!("/projects?org_id={}", w.east)).await;
    assert!(
        first.contains("of 55") && first.contains("Page 1 of 2"),
        "{first}"
    );
    assert!(
        !first.contains("WESTY"),
        "the filter keeps to the org's subtree"
    );
    let (_, second) = olga
        .get_page(&format!("/projects?org_id={}&page=2", w.east))
        .await;
    assert!(second.contains("Page 2 of 2"));
    let (_, globex_view) = w.new_browser().get_page("/projects").await;
    assert!(!globex_view.contains("P00"), "signed out: sent to sign in");
    let gus = w.signed_in_browser("gus@globex.example").await;
    let (_, html) = gus.get_page("/projects?q=P0").await;
    assert!(html.contains("No projects you can see."));
    assert_eq!(
        gus.get(&format!("/projects/{west}")).await.status(),
        S::NOT_FOUND
    );

    let (_, html) = olga.get_page(&format!("/projects/{west}")).await;
    assert!(
        html.contains("data-testid=\"activity\"") && html.contains("project.created"),
        "an Org admin reads the trail"
    );
}

/// Grants at a project through its page: made and revoked by the same rule as
/// at an org, with messages next to the fields, and unknown to other tenants.
#[tokio::test]
async fn roles_are_granted_and_revoked_at_a_project_through_its_page() {
    let w = world().await;
    let project = new_project(&w, &w.olga, w.east, "HARBOUR").await;
    let pid = project["id"].as_i64().unwrap();
    let page = format!("/projects/{pid}");
    let olga = w.signed_in_browser("olga@acme.example").await;
    let (status, html) = olga.get_page(&page).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("action=\"/projects/{pid}/grants\"")),
        "{html}"
    );
    let (approver, owner) = (
        w.role_id_at(&w.ada, w.east, "Approver").await,
        w.role_id_at(&w.ada, w.east, "Owner").await,
    );
    let form = |email: &str, role: i64, days: &str| {
        vec![
            ("email".to_string(), email.to_string()),
            ("role_id".to_string(), role.to_string()),
            ("expires_in_days".to_string(), days.to_string()),
        ]
    };
    let post = |fields: Vec<(String, String)>| {
        let (olga, path) = (&olga, format!("/projects/{pid}/grants"));
        async move {
            let fields: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            olga.submit_form(&path, &fields).await
        }
    };

    // Bad input, each next to its field; nothing is granted.
    for (fields, status, field) in [
        (
            form("not an email", approver, ""),
            S::UNPROCESSABLE_ENTITY,
            "email",
        ),
        (
            form("sam@acme.example", approver, "0"),
            S::UNPROCESSABLE_ENTITY,
            "expires_in_days",
        ),
        (form("sam@acme.example", owner, ""), S::FORBIDDEN, "role_id"),
    ] {
        let response = post(fields).await;
        assert_eq!(response.status(), status);
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"{field}-error\"")),
            "{field}: {html}"
        );
    }
    let (_, none) = w
        .get_json(&w.olga, format!("/grants?project_id={pid}"))
        .await;
    assert_eq!(none["total"], 0, "{none}");
    let before = w.audit("grant.created").await.len();

    let response = post(form("sam@acme.example", approver, "30")).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(w.audit("grant.created").await.len(), before + 1);
    let (_, html) = olga.get_page(&page).await;
    assert!(html.contains("data-testid=\"project-grants\""), "{html}");
    assert!(html.contains("Sam"), "{html}");
    let (_, grants) = w
        .get_json(&w.olga, format!("/grants?project_id={pid}"))
        .await;
    assert_eq!(grants["total"], 1, "{grants}");
    assert_eq!(grants["items"][0]["user_id"], w.sam);
    assert!(grants["items"][0]["expires_at"].is_string());
    let grant_id = grants["items"][0]["id"].as_i64().unwrap();

    // Another tenant's admin neither grants nor revokes here.
    let gus = w.signed_in_browser("gus@globex.example").await;
    assert_eq!(gus.get(&page).await.status(), S::NOT_FOUND);
    let response = gus
        .submit_form(
            &format!("/projects/{pid}/grants"),
            &[
                ("email", "gina@globex.example"),
                ("role_id", &approver.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let response = gus
        .submit_form(&format!("/grants/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);

    // Olga revokes it from the project page; the audit entry names the project.
    let response = olga
        .submit_form(&format!("/grants/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(location(&response), page);
    let (_, grants) = w
        .get_json(&w.olga, format!("/grants?project_id={pid}"))
        .await;
    assert_eq!(grants["total"], 0, "{grants}");
    let revoked = w.audit("grant.revoked").await;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].org_id, Some(w.east));
    let before: Value = serde_json::from_str(revoked[0].before_json.as_deref().unwrap()).unwrap();
    assert_eq!(before["project_id"], pid);
}
