//! The org pages: what each person sees and may do, forms that explain
//! themselves, and 404 for anything outside one's tenant.

use reqwest::StatusCode as S;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_tree_and_org_pages_show_only_what_the_viewer_may_see() {
    let (app, _, t) = spawn_with_owner().await;
    let root = app.root_id().await;
    let acme = app.create_org(&t, root, "Acme", "ACME").await;
    let east = app.create_org(&t, acme, "East", "EAST").await;
    let globex = app.create_org(&t, root, "Globex", "GLOBEX").await;
    let olga = app.create_user("olga@acme.example", "Olga", acme).await;
    app.grant_role(&t, "Org admin", olga.id, acme).await;

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
    let (app, _, t) = spawn_with_owner().await;
    let root = app.root_id().await;
    let acme = app.create_org(&t, root, "Acme", "ACME").await;
    app.create_org(&t, acme, "East", "EAST").await;
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
    let (_, list) = app.get_json(&t, "/orgs").await;
    assert_eq!(list["total"], 3);

    let response = app
        .submit_form(
            &format!("/orgs/{acme}/new"),
            &[
                ("name", "West"),
                ("code", "acme-west"),
                ("kind", "region"),
                ("description", "<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let west = location(&response);
    let (_, html) = app.get_page(&west).await;
    assert!(html.contains("ACME-WEST"), "codes are stored upper-case");
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));

    // A stale edit form answers 409 and keeps what was typed.
    let (_, acme_json) = app.get_json(&t, format!("/orgs/{acme}")).await;
    let version = acme_json["version"].as_i64().unwrap().to_string();
    app.patch_json(&t, format!("/orgs/{acme}"), json!({"city": "Springfield"}))
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
    let (app, _, t) = spawn_with_owner().await;
    let root = app.root_id().await;
    let acme = app.create_org(&t, root, "Acme", "ACME").await;
    let east = app.create_org(&t, acme, "East", "EAST").await;
    let west = app.create_org(&t, acme, "West", "WEST").await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (status, _) = app.get_page(&format!("/orgs/{east}/move")).await;
    assert_eq!(status, S::OK);
    let picker = format!("/pick/orgs?perm=org.create&not_within={east}");
    let (_, html) = app.get_page(&format!("{picker}&q=west")).await;
    assert!(html.contains("value=\"WEST\""), "West is an allowed parent");
    let (_, html) = app.get_page(&format!("{picker}&q=east")).await;
    assert!(!html.contains("value=\"EAST\""), "not itself: {html}");
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
    let (status, _) = app.get_json(&t, format!("/orgs/{acme}")).await;
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
    assert!(html.contains("Inherited from") && html.contains("sunday"));
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
    assert!(!html.contains("sunday"));
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
    let empty = app.create_org(&t, acme, "Empty", "EMPTY").await;
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
    let (app, _, t) = spawn_with_owner().await;
    let root = app.root_id().await;
    let acme = app.create_org(&t, root, "Acme", "ACME").await;
    let east = app.create_org(&t, acme, "East", "EAST").await;
    let olga = app.create_user("olga@acme.example", "Olga", acme).await;
    app.grant_role(&t, "Org admin", olga.id, acme).await;
    app.create_user("sam@acme.example", "Sam", east).await;

    let browser = app.signed_in_browser("olga@acme.example").await;
    let (status, html) = browser.get_page(&format!("/orgs/{east}/access")).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains("Olga") && html.contains("Inherited from Acme"),
        "{html}"
    );

    let (_, roles) = app.get_json(&t, format!("/roles?org_id={east}")).await;
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

/// Root ── Acme ── East, Ada owns the root, Olga is Org admin at Acme.
/// Not the shared tree: these page tests add West and Globex themselves, with
/// the bare codes (`WEST`) the pages are asserted to show and offer, and count
/// the tree's rows.
struct Scoped {
    app: TestApp,
    t: String,
    root: i64,
    acme: i64,
    east: i64,
    olga: Browser,
    olga_token: String,
}

async fn scoped() -> Scoped {
    let (app, _, t) = spawn_with_owner().await;
    let root = app.root_id().await;
    let rename = json!({"name": "Zenith Holding"});
    app.patch_json(&t, format!("/orgs/{root}"), rename)
        .await
        .expect_status(S::OK);
    let acme = app.create_org(&t, root, "Acme", "ACME").await;
    let east = app.create_org(&t, acme, "East", "EAST").await;
    let olga_user = app.create_user("olga@acme.example", "Olga", acme).await;
    app.grant_role(&t, "Org admin", olga_user.id, acme).await;
    let olga_token = app.create_token(olga_user.id, "").await;
    let olga = app.signed_in_browser("olga@acme.example").await;
    Scoped {
        app,
        t,
        root,
        acme,
        east,
        olga,
        olga_token,
    }
}

#[tokio::test]
async fn an_org_admin_never_sees_names_above_their_scope() {
    let s = scoped().await;
    // A setting made at the root reaches Acme.
    s.app
        .put_json(
            &s.t,
            format!("/orgs/{}/settings", s.root),
            json!({"week_start": "sunday"}),
        )
        .await
        .expect_status(S::OK);

    for org_id in [s.acme, s.east] {
        let (status, html) = s.olga.get_page(&format!("/orgs/{org_id}/access")).await;
        assert_eq!(status, S::OK);
        assert!(html.contains("Olga"), "{html}");
        assert!(
            !html.contains("Zenith") && !html.contains("Ada Admin") && !html.contains(ADMIN_EMAIL),
            "{html}"
        );
        assert!(html.contains("Also inherited from organizations above yours."));

        let list = s
            .app
            .get_json(&s.olga_token, format!("/orgs/{org_id}/access"))
            .await
            .expect_status(S::OK);
        let text = list.to_string();
        assert!(
            !text.contains("Zenith") && !text.contains("Ada Admin") && !text.contains(ADMIN_EMAIL),
            "{text}"
        );
        assert_eq!(list["total"], 1, "only Olga's grant: {list}");

        let (status, html) = s.olga.get_page(&format!("/orgs/{org_id}/settings")).await;
        assert_eq!(status, S::OK);
        assert!(html.contains("sunday"), "the value is there");
        assert!(!html.contains("Zenith"), "{html}");
        assert!(!html.contains(&format!("href=\"/orgs/{}\"", s.root)));
        assert!(html.contains("Inherited from above"));
        let (_, settings) = s
            .app
            .get_json(&s.olga_token, format!("/orgs/{org_id}/settings"))
            .await;
        assert_eq!(settings["week_start"]["value"], "sunday");
        assert_eq!(settings["week_start"]["source"], "inherited", "{settings}");
        assert!(
            settings["week_start"]["inherited_from"].is_null(),
            "{settings}"
        );
    }

    // A custom role defined at the root is usable at Acme, but where it was
    // defined is not named, and it is not Olga's to delete.
    let role = s
        .app
        .post_created(
            &s.t,
            "/roles",
            json!({"org_id": s.root, "name": "Zenith reader", "permissions": ["org.view"]}),
        )
        .await;
    let (_, html) = s.olga.get_page(&format!("/orgs/{}/roles", s.acme)).await;
    assert!(html.contains("Zenith reader") && html.contains("above your organizations"));
    assert!(!html.contains("Zenith Holding"), "{html}");
    assert!(
        !html.contains(&format!("/roles/{}/delete", role["id"])),
        "{html}"
    );

    // The owner at the root still sees everything, named.
    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, html) = s.app.get_page(&format!("/orgs/{}/access", s.acme)).await;
    assert!(html.contains("Zenith Holding") && !html.contains("organizations above yours"));
    let (_, list) = s
        .app
        .get_json(&s.t, format!("/orgs/{}/access", s.acme))
        .await;
    assert_eq!(list["total"], 2, "{list}");
    assert!(list.to_string().contains("Zenith Holding"));
}

#[tokio::test]
async fn group_grants_say_which_group_on_the_access_tab_and_in_explain() {
    let s = scoped().await;
    let sam = s.app.create_user("sam@acme.example", "Sam", s.east).await;
    let group = s
        .app
        .post_created(
            &s.t,
            "/groups",
            json!({"org_id": s.acme, "name": "Field crew"}),
        )
        .await;
    let group_id = group["id"].as_i64().unwrap();
    let (status, body) = s
        .app
        .put_json(
            &s.t,
            format!("/groups/{group_id}/members/{}", sam.id),
            json!({"owner": false}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let viewer = s.app.role_id(&s.t, "Auditor").await;
    s.app
        .post_created(
            &s.t,
            "/grants",
            json!({"role_id": viewer, "group_id": group_id, "org_id": s.acme}),
        )
        .await;

    let (_, html) = s.olga.get_page(&format!("/orgs/{}/access", s.east)).await;
    assert!(
        html.contains("via group Field crew"),
        "the group is named: {html}"
    );
    let (_, check) = s
        .app
        .get_json(
            &s.t,
            format!(
                "/check?user_id={}&permission=audit.view&org_id={}",
                sam.id, s.acme
            ),
        )
        .await;
    assert_eq!(check["allowed"], true, "{check}");
    assert!(
        check["reason"]
            .as_str()
            .unwrap()
            .contains("via group Field crew"),
        "{check}"
    );
}

#[tokio::test]
async fn access_and_role_lists_are_paged() {
    let s = scoped().await;
    for path in [
        format!("/orgs/{}/access", s.east),
        format!("/roles?org_id={}", s.root),
    ] {
        let (status, all) = s.app.get_json(&s.t, &path).await;
        assert_eq!(status, S::OK, "{path}");
        assert_eq!(all["page"], 1);
        assert_eq!(all["per_page"], 50);
        let total = all["total"].as_u64().unwrap();
        assert!(total >= 2, "{path}: {all}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let second = s
            .app
            .get_json(&s.t, format!("{path}{sep}page=2&per_page=1"))
            .await
            .expect_status(S::OK);
        assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
        assert_eq!(second["items"][0], all["items"][1]);
        assert_eq!(second["total"], total);
        assert_eq!(
            (second["page"].clone(), second["per_page"].clone()),
            (json!(2), json!(1))
        );
        let (status, _) = s
            .app
            .get_json(&s.t, format!("{path}{sep}per_page=201"))
            .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{path}");
    }
}

/// `n` orgs under `parent` straight through the domain (fast), named `prefix{i}`.
#[tokio::test]
async fn search_finds_the_viewers_matches_however_many_others_match() {
    let s = scoped().await;
    let globex = s.app.create_org(&s.t, s.root, "Globex", "GLOBEX").await;
    // 600 matches outside Olga's scope sort before her own.
    s.app.many_orgs(globex, "Match A", 600).await;
    s.app.many_orgs(s.east, "Match Z", 3).await;

    let (status, html) = s.olga.get_page("/orgs?q=match").await;
    assert_eq!(status, S::OK);
    for i in 0..3 {
        assert!(html.contains(&format!(">Match Z{i:04}</a>")), "{i}: {html}");
    }
    assert!(!html.contains("Match A"), "nothing outside her subtree");
    assert!(html.contains("Acme / East"), "paths start at her top org");
    let (_, list) = s.app.get_json(&s.olga_token, "/orgs?q=match").await;
    assert_eq!(list["total"], 3, "{list}");

    // The move picker's suggestions search in SQL too, never offering the
    // org's own subtree.
    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, html) = s.app.get_page(&format!("/orgs/{}/move", s.east)).await;
    assert!(
        html.contains(&format!(
            "hx-get=\"/pick/orgs?field=parent_id&#38;perm=org.create&#38;not_within={}\"",
            s.east
        )),
        "{html}"
    );
    let picker = format!("/pick/orgs?perm=org.create&not_within={}", s.east);
    let (_, html) = s.app.get_page(&format!("{picker}&q=match+a0599")).await;
    assert!(html.contains("Match A0599"), "{html}");
    let (_, html) = s.app.get_page(&format!("{picker}&q=match+a")).await;
    assert_eq!(html.matches("<option").count(), 20, "at most 20: {html}");
    let (_, html) = s.app.get_page(&format!("{picker}&q=match+z")).await;
    assert!(
        !html.contains("<option"),
        "its own descendants are never offered: {html}"
    );
}

#[tokio::test]
async fn archive_and_restore_confirm_first_and_say_what_changes() {
    let s = scoped().await;
    let west = s.app.create_org(&s.t, s.acme, "West", "WEST").await;
    s.app.create_user("sam@acme.example", "Sam", s.east).await;
    s.app.create_user("kim@acme.example", "Kim", s.acme).await;
    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (_, html) = s.app.get_page(&format!("/orgs/{}", s.acme)).await;
    assert!(html.contains(&format!("href=\"/orgs/{}/archive\"", s.acme)));
    assert!(
        !html.contains(&format!("action=\"/orgs/{}/archive\"", s.acme)),
        "no one-click archive"
    );
    let (status, html) = s.app.get_page(&format!("/orgs/{}/archive", s.acme)).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("read-only"), "{html}");
    assert!(html.contains("data-testid=\"affected-orgs\">2<"), "{html}");
    assert!(html.contains("data-testid=\"affected-users\">3<"), "{html}");
    assert!(
        html.contains("data-testid=\"affected-projects\">0<"),
        "{html}"
    );
    assert!(html.contains(&format!("action=\"/orgs/{}/archive\"", s.acme)));
    assert!(
        s.app.audit("org.archived").await.is_empty(),
        "GET changes nothing"
    );

    let version = html
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{}/archive", s.acme),
            &[("version", &version)],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(s.app.audit("org.archived").await.len(), 1);

    let (_, html) = s.app.get_page(&format!("/orgs/{}", s.acme)).await;
    assert!(html.contains(&format!("href=\"/orgs/{}/restore\"", s.acme)));
    let (status, html) = s.app.get_page(&format!("/orgs/{}/restore", s.acme)).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("editable again"), "{html}");
    // The version shown before the archive is stale now.
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{}/restore", s.acme),
            &[("version", &version)],
        )
        .await;
    assert_eq!(response.status(), S::CONFLICT);
    assert!(s.app.audit("org.restored").await.is_empty());
    let response = s
        .app
        .submit_form(&format!("/orgs/{}/restore", s.acme), &[])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(s.app.audit("org.restored").await.len(), 1);
    assert_eq!(
        s.app.get(&format!("/orgs/{west}/edit")).await.status(),
        S::OK
    );
    // Olga decides nothing at Acme's parent: no page, no button.
    assert_eq!(
        s.olga
            .get(&format!("/orgs/{}/archive", s.acme))
            .await
            .status(),
        S::FORBIDDEN
    );
}

#[tokio::test]
async fn privacy_on_pages_name_only_for_ancestors_who_may_move_but_not_delete() {
    let s = scoped().await;
    s.app.create_user("sam@acme.example", "Sam", s.east).await;
    // Olga turns privacy mode on through the settings page.
    let (_, html) = s.olga.get_page(&format!("/orgs/{}/settings", s.acme)).await;
    assert!(html.contains("Turn privacy mode on"));
    s.app.add_keeper(s.acme).await;
    let response = s
        .olga
        .submit_form(
            &format!("/orgs/{}/privacy", s.acme),
            &[("on", "true"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(s.app.audit("org.privacy_changed").await.len(), 1);

    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = s.app.get_page(&format!("/orgs/{}", s.acme)).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"org-name\">Acme<"));
    assert!(html.contains("You can see its name and its place in the tree"));
    assert!(!html.contains("ACME"), "not even the code");
    assert!(!html.contains("rollup-"), "no counts");
    assert!(html.contains(&format!("href=\"/orgs/{}/move\"", s.acme)));
    assert!(!html.contains(&format!("/orgs/{}/edit", s.acme)));
    assert!(!html.contains(&format!("/orgs/{}/delete", s.acme)));
    assert!(!html.contains(&format!("/orgs/{}/settings", s.acme)));
    // The archive page says what happens but counts nothing inside.
    let (status, html) = s.app.get_page(&format!("/orgs/{}/archive", s.acme)).await;
    assert_eq!(status, S::OK);
    assert!(!html.contains("affected-"), "{html}");
    // Deleting needs sight inside: no counts, page or API.
    let (status, html) = s.app.get_page(&format!("/orgs/{}/delete", s.acme)).await;
    assert_eq!(status, S::FORBIDDEN);
    assert!(
        !html.contains("sub-organization") && !html.contains("user"),
        "{html}"
    );
    let response = s
        .app
        .submit_form(&format!("/orgs/{}/delete", s.acme), &[])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    let (status, body) = s.app.delete(&s.t, format!("/orgs/{}", s.acme)).await;
    assert_eq!(status, S::FORBIDDEN, "{body}");
    assert!(body["error"].get("blocking").is_none(), "{body}");
    assert!(!body.to_string().contains("1 user"), "{body}");
    // Turning it off is for someone inside.
    let response = s
        .app
        .submit_form(&format!("/orgs/{}/privacy", s.acme), &[("on", "false")])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    assert_eq!(s.app.audit("org.privacy_changed").await.len(), 1);
    let (_, acme) = s
        .app
        .get_json(&s.olga_token, format!("/orgs/{}", s.acme))
        .await;
    assert_eq!(acme["privacy_mode"], true);
}

/// The `version` of an org, read through the API.
async fn version_of(app: &TestApp, token: &str, id: i64) -> String {
    let (_, body) = app.get_json(token, format!("/orgs/{id}")).await;
    body["version"].as_i64().unwrap().to_string()
}

#[tokio::test]
async fn settings_carry_the_orgs_version_and_a_stale_one_answers_409() {
    let s = scoped().await;
    let (_, html) = s.olga.get_page(&format!("/orgs/{}/settings", s.east)).await;
    let v = version_of(&s.app, &s.t, s.east).await;
    assert!(html.contains(&format!("name=\"version\" value=\"{v}\"")));
    let response = s
        .olga
        .submit_form(
            &format!("/orgs/{}/settings/week_start", s.east),
            &[("value", "sunday"), ("version", &v)],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let bumped = version_of(&s.app, &s.t, s.east).await;
    assert_ne!(bumped, v, "a settings change bumps the version");
    // The same (now stale) form again: 409, nothing changes.
    for (path, fields) in [
        (
            format!("/orgs/{}/settings/week_start", s.east),
            vec![("value", "tuesday"), ("version", v.as_str())],
        ),
        (
            format!("/orgs/{}/settings/week_start/revert", s.east),
            vec![("version", v.as_str())],
        ),
    ] {
        let response = s.olga.submit_form(&path, &fields).await;
        assert_eq!(response.status(), S::CONFLICT, "{path}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("data-testid=\"settings-conflict\"")
        );
    }
    s.app
        .put_json(
            &s.olga_token,
            format!("/orgs/{}/settings", s.east),
            json!({"week_start": "friday", "version": v.parse::<i64>().unwrap()}),
        )
        .await
        .expect_status(S::CONFLICT);
    let (_, settings) = s
        .app
        .get_json(&s.olga_token, format!("/orgs/{}/settings", s.east))
        .await;
    assert_eq!(settings["week_start"]["value"], "sunday");
    assert_eq!(s.app.audit("org.settings_changed").await.len(), 1);
    let body = s
        .app
        .put_json(
            &s.olga_token,
            format!("/orgs/{}/settings", s.east),
            json!({"week_start": "friday", "version": bumped.parse::<i64>().unwrap()}),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(body["week_start"]["value"], "friday");
}

#[tokio::test]
async fn every_org_change_through_pages_is_audited_and_stale_versions_answer_409() {
    let s = scoped().await;
    let west = s.app.create_org(&s.t, s.acme, "West", "WEST").await;
    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{}/new", s.acme),
            &[("name", "North"), ("code", "NORTH"), ("kind", "region")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let north: i64 = location(&response)
        .trim_start_matches("/orgs/")
        .parse()
        .unwrap();

    // Every form holds a version; one changed in the meantime answers 409.
    let stale = version_of(&s.app, &s.t, north).await;
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{north}/edit"),
            &[
                ("name", "North Pole"),
                ("code", "NORTH"),
                ("version", &stale),
            ],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    for (path, extra) in [
        (format!("/orgs/{north}/move"), Some(("parent_id", west))),
        (format!("/orgs/{north}/archive"), None),
        (format!("/orgs/{north}/delete"), None),
        (format!("/orgs/{north}/privacy"), None),
    ] {
        let parent = west.to_string();
        let mut fields = vec![("version", stale.as_str())];
        if let Some((k, _)) = extra {
            fields.push((k, parent.as_str()));
        }
        if path.ends_with("privacy") {
            fields.push(("on", "true"));
            fields.push(("confirm", "yes"));
        }
        let response = s.app.submit_form(&path, &fields).await;
        assert_eq!(response.status(), S::CONFLICT, "{path}");
    }
    let (_, after) = s.app.get_json(&s.t, format!("/orgs/{north}")).await;
    assert_eq!(after["parent_id"], s.acme, "nothing changed: {after}");
    assert_eq!(after["status"], "active");
    assert_eq!(after["privacy_mode"], false);

    let v = version_of(&s.app, &s.t, north).await;
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{north}/move"),
            &[("parent_id", &west.to_string()), ("version", &v)],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    for path in [
        format!("/orgs/{north}/archive"),
        format!("/orgs/{north}/restore"),
    ] {
        let v = version_of(&s.app, &s.t, north).await;
        let response = s.app.submit_form(&path, &[("version", &v)]).await;
        assert_eq!(response.status(), S::SEE_OTHER, "{path}");
    }
    s.app.add_keeper(north).await;
    let v = version_of(&s.app, &s.t, north).await;
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{north}/privacy"),
            &[("on", "true"), ("version", &v), ("confirm", "yes")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{west}/settings/reminder_day"),
            &[("value", "friday")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);

    for (action, target) in [
        ("org.created", north),
        ("org.updated", north),
        ("org.moved", north),
        ("org.archived", north),
        ("org.restored", north),
        ("org.privacy_changed", north),
        ("org.settings_changed", west),
    ] {
        let entries = s.app.audit(action).await;
        assert_eq!(
            entries
                .iter()
                .filter(|e| e.target_id == Some(target))
                .count(),
            1,
            "{action}"
        );
    }
}

#[tokio::test]
async fn names_are_checked_on_pages_and_shown_escaped_everywhere() {
    let s = scoped().await;
    let west = s.app.create_org(&s.t, s.acme, "West", "WEST").await;
    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for (name, code) in [("   ", "N1"), (" EAST ", "N2"), ("east", "N3")] {
        let response = s
            .app
            .submit_form(
                &format!("/orgs/{}/new", s.acme),
                &[("name", name), ("code", code)],
            )
            .await;
        assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            response.text().await.unwrap().contains("id=\"name-error\""),
            "{name:?}"
        );
    }
    let v = version_of(&s.app, &s.t, west).await;
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{west}/edit"),
            &[("name", " East"), ("code", "WEST"), ("version", &v)],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Another organization here already has this name."));
    let (_, list) = s.app.get_json(&s.t, "/orgs").await;
    assert_eq!(list["total"], 4, "nothing created");
    let (_, after) = s.app.get_json(&s.t, format!("/orgs/{west}")).await;
    assert_eq!(after["name"], "West");
    assert_eq!(after["version"].to_string(), v, "nothing changed");

    // A name with markup (from before the rule, or an import) is still only text.
    let odd = r#"Tom & "Jerry's" <b>bold</b>"#;
    s.app
        .db
        .write(move |conn| {
            use canopy::db::schema::orgs;
            use diesel::prelude::*;
            diesel::update(orgs::table.find(west))
                .set((
                    orgs::name.eq(odd),
                    orgs::name_key.eq(canopy::domain::validate::key(odd)),
                ))
                .execute(conn)?;
            canopy::domain::epoch::bump_tree(conn)
        })
        .await
        .unwrap();
    let boston = s.app.create_org(&s.t, west, "Boston", "BOS").await;
    for path in [
        format!("/orgs/{}/children", s.acme),
        format!("/orgs/{}/sub-orgs", s.acme),
        format!("/orgs/{boston}"),
        "/orgs?q=jerry".to_string(),
    ] {
        let (status, html) = s.app.get_page(&path).await;
        assert_eq!(status, S::OK, "{path}");
        assert!(!html.contains("<b>bold</b>"), "{path}: {html}");
        assert!(
            html.contains("&#60;b&#62;bold&#60;/b&#62;") || html.contains("&lt;b&gt;bold"),
            "{path}: {html}"
        );
        assert!(!html.contains(r#""Jerry's""#), "{path}");
    }
}

#[tokio::test]
async fn the_overview_rolls_up_the_subtree_and_groups_block_a_delete() {
    let s = scoped().await;
    let west = s.app.create_org(&s.t, s.acme, "West", "WEST").await;
    s.app.create_user("sam@acme.example", "Sam", s.east).await;
    s.app.create_user("kim@acme.example", "Kim", west).await;
    s.app
        .post_created(
            &s.t,
            "/projects",
            json!({"org_id": s.east, "code": "P1", "name": "Pipes"}),
        )
        .await;
    let (_, html) = s.olga.get_page(&format!("/orgs/{}", s.acme)).await;
    for (id, value) in [
        ("rollup-orgs", "2"),
        ("rollup-users", "3"),
        ("rollup-projects", "1"),
        ("rollup-hours", "0.00"),
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{id}\">{value}<")),
            "{id}: {html}"
        );
    }
    assert!(html.contains("1 at home here"), "Olga herself");

    s.app
        .post_created(&s.t, "/groups", json!({"org_id": west, "name": "Crew"}))
        .await;
    let kim = s.app.get_json(&s.t, "/users?q=kim").await.1["items"][0]["id"]
        .as_i64()
        .unwrap();
    s.app
        .db
        .write(move |conn| {
            use canopy::db::schema::users;
            use diesel::prelude::*;
            diesel::delete(users::table.find(kim)).execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let body = s
        .app
        .delete(&s.t, format!("/orgs/{west}"))
        .await
        .expect_status(S::CONFLICT);
    assert_eq!(
        body["error"]["blocking"],
        json!({"children": 0, "users": 0, "projects": 0, "teams": 0, "groups": 1})
    );
    s.app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (_, html) = s.app.get_page(&format!("/orgs/{west}/delete")).await;
    assert!(html.contains("it has 1 group."), "{html}");
    assert!(html.contains("1 group(s)"));
}

#[tokio::test]
async fn concurrent_moves_never_make_a_cycle() {
    let s = scoped().await;
    let west = s.app.create_org(&s.t, s.acme, "West", "WEST").await;
    for round in 0..8 {
        let there = |id: i64, parent: i64| {
            s.app.post_json(
                &s.t,
                format!("/orgs/{id}/move"),
                json!({"parent_id": parent}),
            )
        };
        let ((a, _), (b, _)) = tokio::join!(there(s.east, west), there(west, s.east));
        assert!(
            !(a == S::OK && b == S::OK),
            "round {round}: both moves went through, a cycle"
        );
        assert!(a == S::OK || b == S::OK, "round {round}: {a} {b}");
        // Back to where they were.
        let moved = if a == S::OK { s.east } else { west };
        let (status, body) = there(moved, s.acme).await;
        assert_eq!(status, S::OK, "{body}");
    }
}

#[tokio::test]
async fn the_tree_is_a_keyboard_treeview_without_inline_script() {
    let s = scoped().await;
    let (_, html) = s.olga.get_page("/orgs").await;
    assert!(html.contains("role=\"tree\""), "{html}");
    assert!(html.contains("role=\"treeitem\""));
    assert!(
        html.contains(&format!(
            "data-org-id=\"{}\" aria-expanded=\"false\"",
            s.acme
        )),
        "{html}"
    );
    assert!(!html.contains("<script>") && !html.contains("onkeydown"));
    let (_, html) = s.olga.get_page(&format!("/orgs/{}/children", s.acme)).await;
    assert!(html.contains("role=\"treeitem\"") && html.contains("role=\"group\""));
    let (status, js) = s.olga.get_page("/static/app.js").await;
    assert_eq!(status, S::OK);
    assert!(js.contains("[role=tree] li.node > a") && js.contains("ArrowLeft"));
}

/// Home membership shows the home org's name and place, nothing inside it: an
/// admin of a child who lives at the parent learns no more of the parent than
/// any other admin of the child. And the tree offers to open only nodes with
/// children the viewer may see.
#[tokio::test]
async fn living_at_an_org_shows_its_name_not_its_inside() {
    let (app, _, ada) = spawn_with_owner().await;
    let root = app.root_id().await;
    let acme = app.create_org(&ada, root, "Acme", "ACME").await;
    app.create_org(&ada, acme, "East", "ACME-EAST").await;
    // Hal lives at the root and runs Acme.
    let hal = app.create_user("hal@example.com", "Hal", root).await;
    app.grant_role(&ada, "Org admin", hal.id, acme).await;
    let hal_t = app.create_token(hal.id, "").await;
    let body = app
        .get_json(&hal_t, format!("/orgs/{root}"))
        .await
        .expect_status(S::OK);
    assert_eq!(body["restricted"], true, "{body}");
    assert!(body["code"].is_null(), "{body}");
    for path in [
        format!("/orgs/{root}/settings"),
        format!("/orgs/{root}/access"),
        format!("/roles?org_id={root}"),
    ] {
        let (status, _) = app.get_json(&hal_t, &path).await;
        assert_eq!(status, S::NOT_FOUND, "{path}");
    }
    let browser = app.signed_in_browser("hal@example.com").await;
    let (status, html) = browser.get_page(&format!("/orgs/{root}")).await;
    assert_eq!(status, S::OK);
    assert!(!html.contains("data-testid=\"rollup-"), "{html}");
    assert_eq!(
        browser
            .get(&format!("/orgs/{root}/settings"))
            .await
            .status(),
        S::NOT_FOUND
    );

    // Tess views Acme itself only: Acme's node opens onto nothing she may see,
    // so the tree offers no toggle for it; Hal's tree does.
    let tess = app.create_user("tess@example.com", "Tess", acme).await;
    let viewer = app.role_id(&ada, "Viewer").await;
    app.post_created(
        &ada,
        "/grants",
        json!({"role_id": viewer, "user_id": tess.id, "org_id": acme, "descendants": false}),
    )
    .await;
    let toggle = format!("data-children-url=\"/orgs/{acme}/children\"");
    let (_, html) = browser.get_page("/orgs").await;
    assert!(
        html.contains(&format!("data-children-url=\"/orgs/{root}/children\"")),
        "Hal's way down to Acme opens from his home: {html}"
    );
    let (status, html) = browser.get_page(&format!("/orgs/{root}/children")).await;
    assert_eq!(status, S::OK);
    assert!(html.contains(&toggle), "Hal sees East under Acme: {html}");
    let tess_browser = app.new_browser();
    tess_browser
        .sign_in("tess@example.com", ADMIN_PASSWORD)
        .await;
    let (_, html) = tess_browser.get_page("/orgs").await;
    assert!(html.contains("Acme"), "{html}");
    assert!(!html.contains(&toggle), "{html}");
}
