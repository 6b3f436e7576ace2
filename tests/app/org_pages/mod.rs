//! The org pages: what each person sees and may do, forms that explain
//! themselves, and 404 for anything outside one's tenant.

use reqwest::StatusCode as S;
use serde_json::json;

use crate::fixture::{Tree, on_the_tree};
use crate::helpers::*;

mod changes;
mod views;

#[tokio::test]
async fn the_tree_and_org_pages_show_only_what_the_viewer_may_see() {
    let tree = Tree::new().await;
    let (app, root, acme, east, globex) = (&tree.app, tree.root, tree.acme, tree.east, tree.globex);
    tree.org_admin("olga@acme.example", acme).await;

    let browser = app.new_browser();
    assert_eq!(
        browser
            .sign_in("olga@acme.example", ADMIN_PASSWORD)
            .await
            .status(),
        S::SEE_OTHER
    );
    let (status, html) = browser.get_page("/orgs").await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("href=\"/orgs/{acme}\"")),
        "Acme is her top node"
    );
    assert!(
        !html.contains("Globex") && !html.contains(">Root<"),
        "{html}"
    );
    let (status, html) = browser.get_page(&format!("/orgs/{acme}/children")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("East"));
    let (_, html) = browser.get_page("/orgs?q=glob").await;
    assert!(html.contains("No organization you can see matches."));

    // Buttons show by permission: an Org admin may create and edit, not move or delete.
    let (_, html) = browser.get_page(&format!("/orgs/{east}")).await;
    assert!(
        html.contains(&format!("/orgs/{east}/new")) && html.contains(&format!("/orgs/{east}/edit"))
    );
    assert!(
        !html.contains(&format!("/orgs/{east}/move"))
            && !html.contains(&format!("/orgs/{east}/delete"))
    );
    assert_eq!(
        browser.get(&format!("/orgs/{east}/move")).await.status(),
        S::FORBIDDEN
    );

    for path in [
        format!("/orgs/{globex}"),
        format!("/orgs/{globex}/children"),
        format!("/orgs/{globex}/sub-orgs"),
        format!("/orgs/{globex}/access"),
        format!("/orgs/{globex}/settings"),
        format!("/orgs/{globex}/edit"),
        format!("/orgs/{globex}/new"),
        format!("/orgs/{root}"),
        "/orgs/987654".to_string(),
    ] {
        assert_eq!(browser.get(&path).await.status(), S::NOT_FOUND, "{path}");
    }
    let response = browser
        .submit_form(
            &format!("/orgs/{globex}/edit"),
            &[("name", "Mine"), ("code", "MINE")],
        )
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    let response = browser
        .submit_form(&format!("/orgs/{globex}/archive"), &[])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
}

#[tokio::test]
async fn forms_explain_bad_input_and_change_nothing() {
    let tree = Tree::new().await;
    let (app, t, acme) = (&tree.app, &tree.ada, tree.acme);
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let long = "y".repeat(5000);
    for (name, code) in [
        ("", "X1"),
        ("East", "X2"),
        (long.as_str(), "X3"),
        ("<b>bold</b>", "X4"),
        ("North", "acme"),
    ] {
        let response = app
            .submit_form(
                &format!("/orgs/{acme}/new"),
                &[("name", name), ("code", code), ("kind", "region")],
            )
            .await;
        assert!(
            response.status() == S::UNPROCESSABLE_ENTITY,
            "{name:?}: {}",
            response.status()
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains("id=\"name-error\"") || html.contains("id=\"code-error\""),
            "{name:?}"
        );
        assert!(
            !html.contains("<b>bold</b>"),
            "typed values come back escaped"
        );
    }
    let (_, list) = app.get_json(t, "/orgs").await;
    assert_eq!(list["total"], 6, "the tree's six: {list}");

    let response = app
        .submit_form(
            &format!("/orgs/{acme}/new"),
            &[
                ("name", "North"),
                ("code", "acme-north"),
                ("kind", "region"),
                ("description", "<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let north = location(&response);
    let (_, html) = app.get_page(&north).await;
    assert!(html.contains("ACME-NORTH"), "codes are stored upper-case");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));

    // A stale edit form answers 409 and keeps what was typed.
    let (_, acme_json) = app.get_json(t, format!("/orgs/{acme}")).await;
    let version = acme_json["version"].as_i64().unwrap().to_string();
    app.patch_json(t, format!("/orgs/{acme}"), json!({"city": "Springfield"}))
        .await;
    let response = app
        .submit_form(
            &format!("/orgs/{acme}/edit"),
            &[
                ("name", "Acme Corp"),
                ("code", "ACME"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(response.status(), S::CONFLICT);
    assert!(response.text().await.unwrap().contains("Acme Corp"));
}

#[tokio::test]
async fn move_archive_restore_delete_and_settings_through_pages() {
    let tree = Tree::new().await;
    let (app, t) = (&tree.app, &tree.ada);
    let (acme, east, west) = (tree.acme, tree.east, tree.west);
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (status, _) = app.get_page(&format!("/orgs/{east}/move")).await;
    assert_eq!(status, S::OK);
    let picker = format!("/pick/orgs?perm=org.create&not_within={east}");
    let (_, html) = app.get_page(&format!("{picker}&q=west")).await;
    assert!(
        html.contains("value=\"ACME-WEST\""),
        "West is an allowed parent"
    );
    let (_, html) = app.get_page(&format!("{picker}&q=east")).await;
    assert!(!html.contains("value=\"ACME-EAST\""), "not itself: {html}");
    let response = app
        .submit_form(
            &format!("/orgs/{acme}/move"),
            &[("parent_id", &east.to_string())],
        )
        .await;
    assert_eq!(
        response.status(),
        S::CONFLICT,
        "not under its own descendant"
    );
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("cannot move under itself")
    );
    let response = app
        .submit_form(
            &format!("/orgs/{east}/move"),
            &[("parent_id", &west.to_string())],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = app.get_page(&format!("/orgs/{east}")).await;
    assert!(
        html.contains(&format!("href=\"/orgs/{west}\">West</a>")),
        "breadcrumb shows the new parent"
    );

    let (_, html) = app.get_page(&format!("/orgs/{acme}/delete")).await;
    assert!(
        html.contains("cannot be deleted") && html.contains("it has 1 sub-organization."),
        "{html}"
    );
    let response = app.submit_form(&format!("/orgs/{acme}/delete"), &[]).await;
    assert_eq!(response.status(), S::CONFLICT);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("1 sub-organization")
    );
    let (status, _) = app.get_json(t, format!("/orgs/{acme}")).await;
    assert_eq!(status, S::OK, "still there");

    assert_eq!(
        app.submit_form(&format!("/orgs/{west}/archive"), &[])
            .await
            .status(),
        S::SEE_OTHER
    );
    let (_, html) = app.get_page(&format!("/orgs/{east}")).await;
    assert!(
        !html.contains(&format!("/orgs/{east}/edit")),
        "archived subtree is read-only"
    );
    assert_eq!(
        app.get(&format!("/orgs/{east}/edit")).await.status(),
        S::FORBIDDEN
    );
    assert_eq!(
        app.submit_form(&format!("/orgs/{west}/restore"), &[])
            .await
            .status(),
        S::SEE_OTHER
    );
    assert_eq!(app.get(&format!("/orgs/{east}/edit")).await.status(), S::OK);

    // Settings: override, bad value, revert.
    let response = app
        .submit_form(
            &format!("/orgs/{acme}/settings/week_start"),
            &[("value", "sunday")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = app.get_page(&format!("/orgs/{east}/settings")).await;
    let sunday = "data-testid=\"setting-week_start\">Sunday<";
    assert!(html.contains("Inherited from") && html.contains(sunday));
    let response = app
        .submit_form(
            &format!("/orgs/{acme}/settings/max_minutes_per_day"),
            &[("value", "2000")],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"max_minutes_per_day-error\"")
    );
    let response = app
        .submit_form(&format!("/orgs/{acme}/settings/week_start/revert"), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = app.get_page(&format!("/orgs/{east}/settings")).await;
    assert!(!html.contains(sunday));
    assert_eq!(
        app.submit_form(
            &format!("/orgs/{acme}/settings/nonsense"),
            &[("value", "1")]
        )
        .await
        .status(),
        S::NOT_FOUND
    );

    // Deleting an empty org works.
    let empty = app.create_org(t, acme, "Empty", "EMPTY").await;
    assert_eq!(
        app.submit_form(&format!("/orgs/{empty}/delete"), &[])
            .await
            .status(),
        S::SEE_OTHER
    );
    assert_eq!(
        app.get(&format!("/orgs/{empty}")).await.status(),
        S::NOT_FOUND
    );
}

#[tokio::test]
async fn the_access_tab_grants_and_revokes_by_the_rules() {
    let tree = Tree::new().await;
    let (app, t, east) = (&tree.app, &tree.ada, tree.east);
    tree.org_admin("olga@acme.example", tree.acme).await;
    tree.person("sam@acme.example", east).await;

    let browser = app.signed_in_browser("olga@acme.example").await;
    let (status, html) = browser.get_page(&format!("/orgs/{east}/access")).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("Olga") && html.contains("Inherited from Acme"),
        "{html}"
    );

    let (_, roles) = app.get_json(t, format!("/roles?org_id={east}")).await;
    let id_of = |name: &str| {
        roles["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()["id"]
            .to_string()
    };
    let response = browser
        .submit_form(
            &format!("/orgs/{east}/grants"),
            &[
                ("email", "sam@acme.example"),
                ("role_id", &id_of("Owner")),
                ("reach", "below"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::FORBIDDEN, "no escalation");
    assert!(response.text().await.unwrap().contains("you lack org.move"));
    let response = browser
        .submit_form(
            &format!("/orgs/{east}/grants"),
            &[
                ("email", "nobody@acme.example"),
                ("role_id", &id_of("Viewer")),
            ],
        )
        .await;
    // An address nobody has answers like one somebody has (grant_invite).
    assert_eq!(response.status(), S::SEE_OTHER);
    let response = browser
        .submit_form(
            &format!("/orgs/{east}/grants"),
            &[
                ("email", "sam@acme.example"),
                ("role_id", &id_of("Viewer")),
                ("reach", "here"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = browser.get_page(&format!("/orgs/{east}/access")).await;
    assert!(html.contains("Sam") && html.contains("Viewer"));
    let grant_id: i64 = html
        .split("/grants/")
        .filter_map(|s| s.split('/').next()?.parse().ok())
        .max()
        .unwrap();
    assert_eq!(
        browser
            .submit_form(&format!("/grants/{grant_id}/revoke"), &[])
            .await
            .status(),
        S::SEE_OTHER
    );
    let (_, html) = browser.get_page(&format!("/orgs/{east}/access")).await;
    assert!(!html.contains("sam@acme.example"));
    assert_eq!(app.audit("grant.revoked").await.len(), 1);
}

/// The tree with the root renamed "Zenith Holding" (a name no page below
/// it may show) and Olga, Org admin at Acme, signed in on `olga`.
struct Scoped {
    tree: Tree,
    olga: Browser,
    olga_token: String,
}

on_the_tree!(Scoped);

async fn scoped() -> Scoped {
    let tree = Tree::new().await;
    let rename = json!({"name": "Zenith Holding"});
    tree.patch_json(&tree.ada, format!("/orgs/{}", tree.root), rename)
        .await
        .expect_status(S::OK);
    let olga_token = tree.org_admin("olga@acme.example", tree.acme).await.token;
    let olga = tree.signed_in_browser("olga@acme.example").await;
    Scoped {
        tree,
        olga,
        olga_token,
    }
}

/// The `version` of an org, read through the API.
async fn version_of(app: &TestApp, token: &str, id: i64) -> String {
    let (_, body) = app.get_json(token, format!("/orgs/{id}")).await;
    body["version"].as_i64().unwrap().to_string()
}
