//! Pickers: the suggestions (`/pick/…`) list only what the viewer may
//! choose, and the fields take a code, a path, an email or an id without
//! JavaScript; anything unknown or hidden gets the same message.

use reqwest::StatusCode as S;
use serde_json::json;

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

/// The tree with a name holding "East" in every tenant and behind a border
/// (East, Secret East in a private Vault, Olga East, Gus East, the East
/// portals), so one search reaches into each; Olga, Org admin of Acme, is
/// signed in on `olga`, Ada on the app's own session.
struct World {
    tree: Tree,
    secret: i64,
    olga: Browser,
}

on_the_tree!(World);

async fn world() -> World {
    let tree = Tree::new().await;
    let (app, t) = (&tree.app, &tree.ada);
    let vault = app.create_org(t, tree.root, "Vault", "VAULT").await;
    let secret = app.create_org(t, vault, "Secret East", "SECRET").await;
    app.add_keeper(vault).await;
    app.make_private(t, vault).await;
    let olga = app
        .create_user("olga@acme.example", "Olga East", tree.acme)
        .await;
    app.create_user("gus@globex.example", "Gus East", tree.globex)
        .await;
    app.grant_role(t, "Org admin", olga.id, tree.acme).await;
    for (org, code, name) in [
        (tree.acme, "ACP", "Acme East Portal"),
        (tree.globex, "GXP", "Globex East Portal"),
    ] {
        app.post_created(
            t,
            "/projects",
            json!({"org_id": org, "code": code, "name": name}),
        )
        .await;
        app.post_created(
            t,
            "/teams",
            json!({"org_id": org, "name": format!("{name} team")}),
        )
        .await;
    }
    let olga = app.signed_in_browser("olga@acme.example").await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    World { tree, secret, olga }
}

fn options(html: &str) -> usize {
    html.matches("<option").count()
}

#[tokio::test]
async fn suggestions_list_only_what_the_viewer_may_choose() {
    let w = world().await;
    // Olga: her own tenant only.
    let (status, html) = w.olga.get_page("/pick/orgs?q=east").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("value=\"ACME-EAST\"") && html.contains("Acme / East"),
        "{html}"
    );
    assert!(
        !html.contains("Secret") && !html.contains("Globex"),
        "{html}"
    );
    // htmx sends the field under its own name.
    let (_, html) = w.olga.get_page("/pick/orgs?field=org_id&org_id=glob").await;
    assert_eq!(options(&html), 0, "{html}");
    // Only where she holds the permission asked for.
    let (_, html) = w.olga.get_page("/pick/orgs?q=a&perm=org.delete").await;
    assert!(!html.contains("value=\"ACME\""), "{html}");
    let (_, html) = w.olga.get_page("/pick/users?q=east").await;
    assert!(
        html.contains("olga@acme.example") && !html.contains("gus@"),
        "{html}"
    );
    let (_, html) = w.olga.get_page("/pick/projects?q=east").await;
    assert!(
        html.contains("value=\"ACP\"") && !html.contains("GXP"),
        "{html}"
    );
    let (_, html) = w.olga.get_page("/pick/teams?q=east").await;
    assert!(
        html.contains("Acme East Portal team") && !html.contains("Globex"),
        "{html}"
    );

    // The root owner: everything but what lies behind the privacy border.
    let (_, html) = w.app.get_page("/pick/orgs?q=east").await;
    assert!(html.contains("value=\"ACME-EAST\""), "{html}");
    assert!(!html.contains("Secret"), "behind the border: {html}");
    let (_, html) = w.app.get_page("/pick/projects?q=portal").await;
    assert!(html.contains("ACP") && html.contains("GXP"), "{html}");
    // At most 20 a time.
    let (_, html) = w.app.get_page("/pick/orgs?q=").await;
    assert_eq!(options(&html), 0);

    // Unknown kinds and permissions are refused.
    assert_eq!(w.app.get("/pick/secrets?q=a").await.status(), S::NOT_FOUND);
    assert_eq!(
        w.app.get("/pick/orgs?q=a&perm=nope").await.status(),
        S::BAD_REQUEST
    );
    // Signed out: no suggestions.
    let stranger = w.app.new_browser();
    let response = stranger.get("/pick/orgs?q=east").await;
    assert!(!response.status().is_success());
}

#[tokio::test]
async fn a_form_takes_a_code_a_path_or_an_id_and_refuses_the_rest_alike() {
    let w = world().await;
    // Olga creates teams through the plain form (no JavaScript).
    for (i, typed) in [
        "ACME-EAST",
        "acme-east",
        "Acme / East",
        &w.east.to_string(),
        "#ACME",
    ]
    .iter()
    .enumerate()
    {
        let typed = if *typed == "#ACME" {
            format!("#{}", w.acme)
        } else {
            typed.to_string()
        };
        let name = format!("Team {i}");
        let response = w
            .olga
            .submit_form("/teams/new", &[("name", &name), ("org_id", &typed)])
            .await;
        assert_eq!(response.status(), S::SEE_OTHER, "{typed}");
    }
    // Unknown, another tenant's (by code, id or path), and behind a border:
    // one message, the typed value kept.
    let mut messages = Vec::new();
    for typed in [
        "NOPE".to_string(),
        "GLOBEX".to_string(),
        w.globex.to_string(),
        "Globex".to_string(),
        "SECRET".to_string(),
        w.secret.to_string(),
        "987654".to_string(),
    ] {
        let response = w
            .olga
            .submit_form("/teams/new", &[("name", "Mine"), ("org_id", &typed)])
            .await;
        assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY, "{typed}");
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("value=\"{typed}\"")), "{html}");
        let at = html
            .find("id=\"org_id-error\"")
            .expect("message by the field");
        let message = &html[at..at + html[at..].find("</small>").unwrap()];
        messages.push(message.to_string());
    }
    assert!(messages[0].contains("No organization you may choose here"));
    assert!(messages.iter().all(|m| *m == messages[0]), "{messages:?}");
    // Empty: asked for.
    let response = w
        .olga
        .submit_form("/teams/new", &[("name", "Mine"), ("org_id", "")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);

    // The root owner: a private org's code is not hers to use; its name
    // places it only where she may see it (and no team may go there).
    let response = w
        .app
        .submit_form("/teams/new", &[("name", "Mine"), ("org_id", "Vault")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let response = w
        .app
        .submit_form("/teams/new", &[("name", "Mine"), ("org_id", "SECRET")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn other_forms_resolve_their_pickers_too() {
    let w = world().await;
    // A project through the fallback, then its edit form shows the org's code.
    let response = w
        .olga
        .submit_form(
            "/projects/new",
            &[
                ("name", "Roadworks"),
                ("code", "ROAD"),
                ("status", "active"),
                ("org_id", "Acme / East"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let project = location(&response);
    let (status, html) = w.olga.get_page(&format!("{project}/edit")).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("name=\"org_id\" value=\"ACME-EAST\""),
        "prefilled: {html}"
    );
    let response = w
        .olga
        .submit_form(
            "/projects/new",
            &[
                ("name", "Elsewhere"),
                ("code", "ELSE"),
                ("status", "active"),
                ("org_id", "GLOBEX"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    // `?org_id=` prefills the picker with the code.
    let (_, html) = w
        .olga
        .get_page(&format!("/projects/new?org_id={}", w.east))
        .await;
    assert!(
        html.contains("name=\"org_id\" value=\"ACME-EAST\""),
        "{html}"
    );

    // A group, and the group's grant form.
    let response = w
        .olga
        .submit_form("/groups/new", &[("name", "Crew"), ("org_id", "acme-east")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let group = location(&response);
    let viewer = w.app.role_id(&w.ada, "Viewer").await.to_string();
    let response = w
        .olga
        .submit_form(
            &format!("{group}/grants"),
            &[
                ("role_id", &viewer),
                ("org_id", "GLOBEX"),
                ("reach", "below"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"grant-org-error\"")
    );
    let response = w
        .olga
        .submit_form(
            &format!("{group}/grants"),
            &[
                ("role_id", &viewer),
                ("org_id", "ACME-EAST"),
                ("reach", "below"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);

    // Explain: a person by email or id, an org by code; a hidden person
    // answers like an unknown one.
    let (status, html) = w
        .olga
        .get_page("/access/explain?email=olga%40acme.example&permission=org.view&org_id=ACME-EAST")
        .await;
    assert_eq!(status, S::OK, "{html}");
    assert!(html.contains("data-testid=\"explain-answer\""));
    let mut bodies = Vec::new();
    for who in ["gus%40globex.example", "nobody%40acme.example"] {
        let (status, html) = w
            .olga
            .get_page(&format!(
                "/access/explain?email={who}&permission=org.view&org_id=ACME-EAST"
            ))
            .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY);
        let at = html.find("id=\"email-error\"").unwrap();
        bodies.push(html[at..at + 120].to_string());
    }
    assert_eq!(bodies[0], bodies[1]);

    // The audit log's org filter takes a code; another tenant's is refused.
    let (status, html) = w.olga.get_page("/audit?org_id=acme-east").await;
    assert_eq!(status, S::OK, "{html}");
    assert!(
        html.contains("name=\"org_id\" value=\"ACME-EAST\""),
        "{html}"
    );
    let (status, _) = w.olga.get_page("/audit?org_id=GLOBEX").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);

    // Moving an org: the new parent by path; never under itself.
    let north = w.app.create_org(&w.ada, w.acme, "North", "NORTH").await;
    let response = w
        .app
        .submit_form(&format!("/orgs/{north}/move"), &[("parent_id", "NORTH")])
        .await;
    assert!(response.status().is_client_error());
    let (status, html) = w
        .app
        .get_page(&format!("/orgs/{north}/move/preview?parent_id=GLOBEX"))
        .await;
    assert_eq!(status, S::OK, "{html}");
    let response = w
        .app
        .submit_form(&format!("/orgs/{north}/move"), &[("parent_id", "Globex")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, body) = w.app.get_json(&w.ada, format!("/orgs/{north}")).await;
    assert_eq!(body["parent_id"], w.globex, "{body}");
}

#[tokio::test]
async fn a_report_on_the_default_org_shows_that_org_in_its_picker() {
    let w = world().await;
    // Olga reads reports at Acme only: left empty, the org is Acme.
    let (status, html) = w.olga.get_page("/reports/entries").await;
    assert_eq!(status, S::OK, "{html}");
    assert!(html.contains("name=\"org_id\" value=\"ACME\""), "{html}");
    // The same as picking it, and the CSV link names it.
    let (_, picked) = w.olga.get_page("/reports/entries?org_id=acme").await;
    assert!(
        picked.contains("name=\"org_id\" value=\"ACME\""),
        "{picked}"
    );
    assert!(html.contains(&format!("org_id={}", w.acme)), "{html}");
    // The root owner's default is the root.
    let (_, html) = w.app.get_page("/reports/entries").await;
    assert!(!html.contains("name=\"org_id\" value=\"\""), "{html}");
    // A refused org keeps what was typed, not the default.
    let (status, html) = w.olga.get_page("/reports/entries?org_id=GLOBEX").await;
    assert_eq!(status, S::UNPROCESSABLE_ENTITY);
    assert!(html.contains("name=\"org_id\" value=\"GLOBEX\""), "{html}");
}
