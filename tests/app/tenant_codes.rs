//! Issue 11, point 3: uniqueness does not reveal other tenants. Project codes
//! are unique per tenant (the top-level org below the root); org codes and
//! emails stay unique in the installation, and a clash answers one sentence
//! whoever holds the value, naming and describing no one.

use canopy::domain::org::ORG_CODE_TAKEN;
use canopy::domain::tenant::PROJECT_CODE_TAKEN;
use canopy::domain::user::EMAIL_TAKEN;
use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::timesheets::world;

async fn new_project(app: &TestApp, token: &str, org: i64, code: &str) -> (S, Value) {
    app.post_json(
        token,
        "/projects",
        json!({"org_id": org, "code": code, "name": format!("Work {code}")}),
    )
    .await
}

#[tokio::test]
async fn project_codes_are_unique_per_tenant_not_per_installation() {
    let w = world().await;
    // Acme already has P1 and P2 (made by the world). Globex may use them.
    let (status, body) = new_project(&w.app, &w.gus, w.globex, "P1").await;
    assert_eq!(status, S::CREATED, "{body}");
    let globex_p1 = body["id"].as_i64().unwrap();
    // Inside one's own tenant (another org of it, too) the clash is still 409,
    // with a clear message that names no project.
    let (status, body) = new_project(&w.app, &w.olga, w.east, "p1").await;
    assert_eq!(status, S::CONFLICT, "{body}");
    assert_eq!(body["error"]["fields"]["code"], PROJECT_CODE_TAKEN);
    assert!(!body.to_string().contains("Project P1"), "{body}");
    // Renaming into a taken code of the tenant: the same answer.
    let (_, p) = new_project(&w.app, &w.olga, w.east, "P3").await;
    let p3 = p["id"].as_i64().unwrap();
    let body = w
        .app
        .patch_json(&w.olga, format!("/projects/{p3}"), json!({"code": "P2"}))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(body["error"]["fields"]["code"], PROJECT_CODE_TAKEN);
    // Moving a project into a tenant where its code is taken is refused;
    // into one where it is free, allowed.
    w.app
        .patch_json(
            &w.ada,
            format!("/projects/{globex_p1}"),
            json!({"org_id": w.acme}),
        )
        .await
        .expect_status(S::CONFLICT);
    let root = w.app.root_id().await;
    let initech = w.app.create_org(&w.ada, root, "Initech", "INITECH").await;
    w.app
        .patch_json(
            &w.ada,
            format!("/projects/{globex_p1}"),
            json!({"org_id": initech}),
        )
        .await
        .expect_status(S::OK);
    // Globex's code is free again, Initech's is taken.
    assert_eq!(
        new_project(&w.app, &w.gus, w.globex, "P1").await.0,
        S::CREATED
    );
    assert_eq!(
        new_project(&w.app, &w.ada, initech, "P1").await.0,
        S::CONFLICT
    );
    // Projects at the root form a tenant of their own.
    assert_eq!(new_project(&w.app, &w.ada, root, "P1").await.0, S::CREATED);
    assert_eq!(new_project(&w.app, &w.ada, root, "P1").await.0, S::CONFLICT);
}

#[tokio::test]
async fn an_org_moving_to_another_tenant_takes_its_project_codes_along() {
    let w = world().await;
    let root = w.app.root_id().await;
    // A Globex department with a project coded like one of Acme's.
    let dept = w.app.create_org(&w.ada, w.globex, "Lab", "LAB").await;
    let (status, body) = new_project(&w.app, &w.ada, dept, "P1").await;
    assert_eq!(status, S::CREATED, "{body}");
    let lab_p1 = body["id"].as_i64().unwrap();
    let body = w
        .app
        .post_json(
            &w.ada,
            format!("/orgs/{dept}/move"),
            json!({"parent_id": w.acme}),
        )
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(body["error"]["reason"], "project_code", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        !message.contains("P1") && !message.contains("Project"),
        "{message}"
    );
    // Nothing moved.
    let (_, org) = w.app.get_json(&w.ada, format!("/orgs/{dept}")).await;
    assert_eq!(org["parent_id"], w.globex);
    // Renamed, it moves, and its project now counts in Acme's tenant.
    w.app
        .patch_json(
            &w.ada,
            format!("/projects/{lab_p1}"),
            json!({"code": "LAB1"}),
        )
        .await
        .expect_status(S::OK);
    w.app
        .post_json(
            &w.ada,
            format!("/orgs/{dept}/move"),
            json!({"parent_id": w.east}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(
        new_project(&w.app, &w.olga, w.acme, "LAB1").await.0,
        S::CONFLICT
    );
    assert_eq!(
        new_project(&w.app, &w.gus, w.globex, "LAB1").await.0,
        S::CREATED
    );
    // Moved to the root it becomes a tenant of its own: Acme may reuse LAB1.
    w.app
        .post_json(
            &w.ada,
            format!("/orgs/{dept}/move"),
            json!({"parent_id": root}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(
        new_project(&w.app, &w.olga, w.acme, "LAB1").await.0,
        S::CREATED
    );
    assert_eq!(
        new_project(&w.app, &w.ada, dept, "LAB2").await.0,
        S::CREATED
    );
}

#[tokio::test]
async fn a_taken_org_code_answers_the_same_whoever_holds_it() {
    let w = world().await;
    let make = |code: &'static str| {
        let (app, olga, acme) = (&w.app, w.olga.clone(), w.acme);
        async move {
            app.post_json(
                &olga,
                "/orgs",
                json!({"parent_id": acme, "name": format!("New {code}"), "code": code}),
            )
            .await
        }
    };
    // GLOBEX is another tenant's (hidden from Olga); ACME-EAST is her own.
    let hidden = make("globex").await;
    let own = make("ACME-EAST").await;
    assert_eq!(hidden.0, S::CONFLICT, "{}", hidden.1);
    assert_eq!(hidden, own);
    assert_eq!(hidden.1["error"]["fields"]["code"], ORG_CODE_TAKEN);
    assert!(!hidden.1.to_string().contains("Globex"));
}

#[tokio::test]
async fn a_taken_email_names_no_account_and_points_to_a_grant_by_email() {
    let w = world().await;
    w.app
        .create_user("gia@globex.example", "Gia Hidden", w.globex)
        .await;
    let create = |email: &'static str| {
        let (app, olga, acme) = (&w.app, w.olga.clone(), w.acme);
        async move {
            app.post_json(
                &olga,
                "/users",
                json!({"org_id": acme, "email": email, "display_name": "Someone"}),
            )
            .await
        }
    };
    let before = w.app.audit("user.created").await.len();
    // Another tenant's account (hidden from Olga) and one of her own.
    let (status, hidden) = create("GIA@globex.example").await;
    let (own_status, own) = create("eve@acme.example").await;
    assert_eq!(status, S::CONFLICT, "{hidden}");
    assert_eq!((status, &hidden), (own_status, &own));
    assert_eq!(hidden["error"]["fields"]["email"], EMAIL_TAKEN);
    for told in ["Gia", "globex", "Globex", "deactivated", "invited"] {
        assert!(!hidden.to_string().contains(told), "{told} in {hidden}");
    }
    // The page says the same and offers the Access tab, where Olga may grant.
    let browser = w.app.signed_in_browser("olga@acme.example").await;
    let acme = w.acme.to_string();
    let page = |email: &'static str| {
        let (browser, acme) = (&browser, acme.clone());
        async move {
            let response = browser
                .submit_form(
                    "/users/new",
                    &[
                        ("org_id", &acme),
                        ("email", email),
                        ("display_name", "Someone"),
                    ],
                )
                .await;
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, body) = page("gia@globex.example").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("grant them a role by their exact email"),
        "{body}"
    );
    assert!(
        body.contains(&format!("href=\"/orgs/{acme}/access\"")),
        "{body}"
    );
    assert!(!body.contains("Gia Hidden"));
    let (own_status, own_body) = page("eve@acme.example").await;
    assert_eq!(own_status, status);
    assert_eq!(
        own_body.replace("eve@acme.example", "EMAIL"),
        body.replace("gia@globex.example", "EMAIL")
    );
    // Nobody was created.
    assert_eq!(w.app.audit("user.created").await.len(), before);
}

#[tokio::test]
async fn the_migration_gives_every_existing_project_its_tenant() {
    use canopy::db::schema::projects;
    use diesel::prelude::*;
    let w = world().await;
    let root = w.app.root_id().await;
    for (org, code) in [(w.east, "E1"), (w.globex, "G1"), (root, "R1")] {
        assert_eq!(new_project(&w.app, &w.ada, org, code).await.0, S::CREATED);
    }
    let tenants = async || {
        w.app
            .db
            .read(|conn| {
                Ok(projects::table
                    .order(projects::code)
                    .select((projects::code, projects::tenant_id))
                    .load::<(String, i64)>(conn)?)
            })
            .await
            .unwrap()
    };
    let expected = vec![
        ("E1".to_string(), w.acme),
        ("G1".to_string(), w.globex),
        ("P1".to_string(), w.acme),
        ("P2".to_string(), w.acme),
        ("R1".to_string(), root),
    ];
    assert_eq!(tenants().await, expected);
    // Forget the tenants and run the migration's backfill again: the same.
    let backend = if w.app.database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let up = std::fs::read_to_string(format!(
        "{}/migrations/{backend}/2026-12-02-000003_tenant_codes/up.sql",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let backfill = up
        .split(';')
        .map(str::trim)
        .map(|s| {
            s.lines()
                .filter(|l| !l.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .find(|s| s.trim_start().starts_with("UPDATE projects"))
        .expect("the backfill statement");
    w.app
        .db
        .write(move |conn| {
            diesel::sql_query("DROP INDEX projects_tenant_code_key").execute(conn)?;
            diesel::sql_query("UPDATE projects SET tenant_id = 0").execute(conn)?;
            diesel::sql_query(backfill).execute(conn)?;
            diesel::sql_query(
                "CREATE UNIQUE INDEX projects_tenant_code_key ON projects (tenant_id, code_key)",
            )
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(tenants().await, expected);
}
