//! Changes through the org pages: versions and 409s, the audit trail, names escaped, the roll-up, concurrent moves.

use super::*;

#[tokio::test]
async fn settings_carry_the_orgs_version_and_a_stale_one_answers_409() {
    let s = scoped().await;
    let (_, html) = s.olga.get_page(&format!("/orgs/{}/settings", s.east)).await;
    let v = version_of(&s.app, &s.ada, s.east).await;
    assert!(html.contains(&format!("name=\"version\" value=\"{v}\"")));
    let response = s
        .olga
        .submit_form(
            &format!("/orgs/{}/settings/week_start", s.east),
            &[("value", "sunday"), ("version", &v)],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let bumped = version_of(&s.app, &s.ada, s.east).await;
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
    let west = s.west;
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
    let stale = version_of(&s.app, &s.ada, north).await;
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
    let (_, after) = s.app.get_json(&s.ada, format!("/orgs/{north}")).await;
    assert_eq!(after["parent_id"], s.acme, "nothing changed: {after}");
    assert_eq!(after["status"], "active");
    assert_eq!(after["privacy_mode"], false);

    let v = version_of(&s.app, &s.ada, north).await;
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
        let v = version_of(&s.app, &s.ada, north).await;
        let response = s.app.submit_form(&path, &[("version", &v)]).await;
        assert_eq!(response.status(), S::SEE_OTHER, "{path}");
    }
    s.app.add_keeper(north).await;
    let v = version_of(&s.app, &s.ada, north).await;
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
    let west = s.west;
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
    let v = version_of(&s.app, &s.ada, west).await;
    let response = s
        .app
        .submit_form(
            &format!("/orgs/{west}/edit"),
            &[("name", " East"), ("code", "ACME-WEST"), ("version", &v)],
        )
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Another organization here already has this name."));
    let (_, list) = s.app.get_json(&s.ada, "/orgs").await;
    assert_eq!(list["total"], 6, "nothing created: the tree's six");
    let (_, after) = s.app.get_json(&s.ada, format!("/orgs/{west}")).await;
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
    let below = s.app.create_org(&s.ada, west, "Hartford", "HFD").await;
    for path in [
        format!("/orgs/{}/children", s.acme),
        format!("/orgs/{}/sub-orgs", s.acme),
        format!("/orgs/{below}"),
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
    let west = s.west;
    s.app.create_user("sam@acme.example", "Sam", s.east).await;
    s.app.create_user("kim@acme.example", "Kim", west).await;
    s.app
        .post_created(
            &s.ada,
            "/projects",
            json!({"org_id": s.east, "code": "P1", "name": "Pipes"}),
        )
        .await;
    let (_, html) = s.olga.get_page(&format!("/orgs/{}", s.acme)).await;
    // East, West, and Boston below East.
    for (id, value) in [
        ("rollup-orgs", "3"),
        ("rollup-users", "3"),
        ("rollup-projects", "1"),
        ("rollup-hours", "0.00"),
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{id}\">{value}<")),
            "{id}: {html}"
        );
    }
    // The org's own figures beside the subtree's: Olga lives at Acme, the
    // project is East's, and two of the three sub-orgs sit directly below.
    for (id, value) in [
        ("own-orgs", "2"),
        ("own-users", "1"),
        ("own-projects", "0"),
        ("own-hours", "0.00"),
    ] {
        assert!(
            html.contains(&format!("data-testid=\"{id}\">{value}<")),
            "{id}: {html}"
        );
    }
    let (_, east) = s.olga.get_page(&format!("/orgs/{}", s.east)).await;
    for (id, value) in [
        ("rollup-orgs", "1"),
        ("own-orgs", "1"),
        ("own-users", "1"),
        ("own-projects", "1"),
        ("rollup-projects", "1"),
    ] {
        assert!(
            east.contains(&format!("data-testid=\"{id}\">{value}<")),
            "{id}: {east}"
        );
    }

    s.app
        .post_created(&s.ada, "/groups", json!({"org_id": west, "name": "Crew"}))
        .await;
    let kim = s.app.get_json(&s.ada, "/users?q=kim").await.1["items"][0]["id"]
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
        .delete(&s.ada, format!("/orgs/{west}"))
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
    let west = s.west;
    for round in 0..8 {
        let there = |id: i64, parent: i64| {
            s.app.post_json(
                &s.ada,
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
