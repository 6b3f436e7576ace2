//! What the org pages show an org admin: nothing above their scope, group grants named, paged lists, search, archive and privacy wording, the keyboard tree.

use super::*;

#[tokio::test]
async fn an_org_admin_never_sees_names_above_their_scope() {
    let s = scoped().await;
    // A setting made at the root reaches Acme.
    s.app
        .put_json(
            &s.ada,
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
            &s.ada,
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
        .get_json(&s.ada, format!("/orgs/{}/access", s.acme))
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
            &s.ada,
            "/groups",
            json!({"org_id": s.acme, "name": "Field crew"}),
        )
        .await;
    let group_id = group["id"].as_i64().unwrap();
    let (status, body) = s
        .app
        .put_json(
            &s.ada,
            format!("/groups/{group_id}/members/{}", sam.id),
            json!({"owner": false}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let viewer = s.app.role_id(&s.ada, "Auditor").await;
    s.app
        .post_created(
            &s.ada,
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
            &s.ada,
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
        let (status, all) = s.app.get_json(&s.ada, &path).await;
        assert_eq!(status, S::OK, "{path}");
        assert_eq!(all["page"], 1);
        assert_eq!(all["per_page"], 50);
        let total = all["total"].as_u64().unwrap();
        assert!(total >= 2, "{path}: {all}");
        let sep = if path.contains('?') { '&' } else { '?' };
        let second = s
            .app
            .get_json(&s.ada, format!("{path}{sep}page=2&per_page=1"))
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
            .get_json(&s.ada, format!("{path}{sep}per_page=201"))
            .await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{path}");
    }
}

/// `n` orgs under `parent` straight through the domain (fast), named `prefix{i}`.
#[tokio::test]
async fn search_finds_the_viewers_matches_however_many_others_match() {
    let s = scoped().await;
    // 600 matches outside Olga's scope sort before her own.
    s.app.many_orgs(s.globex, "Match A", 600).await;
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
    // East, West and Boston below Acme; Olga, Kim and Sam.
    assert!(html.contains("data-testid=\"affected-orgs\">3<"), "{html}");
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
        s.app.get(&format!("/orgs/{}/edit", s.west)).await.status(),
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
    let (status, body) = s.app.delete(&s.ada, format!("/orgs/{}", s.acme)).await;
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
    let tree = Tree::new().await;
    let (app, ada, root, acme) = (&tree.app, &tree.ada, tree.root, tree.acme);
    // Hal lives at the root and runs Acme.
    let hal_t = tree
        .member("hal@example.com", root, "Org admin", acme)
        .await
        .token;
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
    let viewer = app.role_id(ada, "Viewer").await;
    app.post_created(
        ada,
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
