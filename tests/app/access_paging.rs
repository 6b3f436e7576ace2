//! The access lists page in SQL, 50 a page with the total: a group's and a
//! team's members, a project's assignments, an org's Access tab (grants here
//! and inherited, and pending invitations), `GET /orgs/{id}/access` and
//! `GET /grants`. Searches stay in the pager's links, bad page numbers are
//! clamped (pages) or refused with a 422 (API), never a 500; someone outside
//! the tenant gets the 404 of a missing id on every page; page and API agree.

use reqwest::StatusCode as S;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::timesheets::{World, post, world};

const PEOPLE: usize = 55;

/// `PEOPLE` users "Member 00"… at home in East (inside Acme), by id.
async fn people(w: &World) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..PEOPLE {
        let u = w
            .app
            .create_user(
                &format!("member{i:02}@acme.example"),
                &format!("Member {i:02}"),
                w.east,
            )
            .await;
        ids.push(u.id);
    }
    ids
}

async fn put(w: &World, path: String, body: Value) {
    let (status, answer) = w.app.put_json(&w.ada, path, body).await;
    assert!(status.is_success(), "{answer}");
}

/// The same answer as for an id that does not exist, on every page value.
async fn same_404(browser: &Browser, path: &str, missing: &str) {
    for query in ["", "?page=2", "?page=0", "?page=x&q=a"] {
        let (status, body) = browser.get_page(&format!("{path}{query}")).await;
        let (missing_status, missing_body) = browser.get_page(&format!("{missing}{query}")).await;
        assert_eq!(status, S::NOT_FOUND, "{path}{query}");
        assert_eq!(
            (status, body),
            (missing_status, missing_body),
            "{path}{query}"
        );
    }
}

/// Pages 1 and 2 of `path` (which has no query) for `browser`: 50 then the
/// rest of `total`, the search in the link, bad page numbers clamped.
async fn pages_of(browser: &Browser, path: &str, total: usize) -> (String, String) {
    let (status, first) = browser.get_page(&format!("{path}?q=member")).await;
    assert_eq!(status, S::OK, "{path}");
    assert!(
        first.contains(&format!("Showing 1–50 of {total}")),
        "{path}: {first}"
    );
    assert!(
        first.contains(&format!("{path}?q=member&#38;page=2")),
        "{path}: the search stays in the link"
    );
    let (_, second) = browser.get_page(&format!("{path}?q=member&page=2")).await;
    assert!(
        second.contains(&format!("Showing 51–{total} of {total}")),
        "{path}: {second}"
    );
    for bad in ["0", "-1", "x", "99999999999999999999"] {
        let (status, html) = browser
            .get_page(&format!("{path}?q=member&page={bad}"))
            .await;
        assert_eq!(status, S::OK, "{path} page={bad}");
        assert!(html.contains(&format!("of {total}")), "{path} page={bad}");
    }
    let (_, one) = browser.get_page(&format!("{path}?q=member%2007")).await;
    assert!(one.contains("Showing 1–1 of 1"), "{path}: {one}");
    (first, second)
}

#[tokio::test]
async fn members_and_assignments_page_in_sql_with_their_search() {
    let w = world().await;
    let ids = people(&w).await;
    let group = post(
        &w.app,
        &w.ada,
        "/groups",
        json!({"org_id": w.acme, "name": "Everyone"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let start = chrono::Utc::now().date_naive().to_string();
    for id in &ids {
        put(&w, format!("/groups/{group}/members/{id}"), json!({})).await;
        put(&w, format!("/teams/{}/members/{id}", w.team), json!({})).await;
        put(
            &w,
            format!("/projects/{}/assignments/{id}", w.p1),
            json!({"role": "member", "minutes_per_week": 60, "start_date": start}),
        )
        .await;
    }
    // Someone from Globex in the group: counted for Olga, never named.
    let gus_id = w
        .app
        .create_user("g2@globex.example", "Gus Two", w.globex)
        .await
        .id;
    put(&w, format!("/groups/{group}/members/{gus_id}"), json!({})).await;

    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (first, second) = pages_of(&olga, &format!("/groups/{group}"), PEOPLE).await;
    assert!(first.contains("Member 00") && !first.contains("Member 54"));
    assert!(second.contains("Member 54") && !second.contains("Member 00"));
    for html in [&first, &second] {
        assert!(!html.contains("Gus Two"));
        assert!(
            html.contains("And 1 member you may not see."),
            "the hidden member stays counted on every page: {html}"
        );
    }
    // The team has Eve and Lee (its lead, first) too; the project Eve and Pat.
    let (team_first, team_second) = pages_of(&olga, &format!("/teams/{}", w.team), PEOPLE).await;
    assert!(team_first.contains("Member 00") && team_second.contains("Member 54"));
    let (_, everyone) = olga.get_page(&format!("/teams/{}", w.team)).await;
    assert!(
        everyone.contains(&format!("of {}", PEOPLE + 2)),
        "{everyone}"
    );
    let lead = everyone.find(">Lee<").expect("the lead is listed");
    assert!(lead < everyone.find("Member 00").unwrap(), "leads first");
    let (project_first, _) = pages_of(&olga, &format!("/projects/{}", w.p1), PEOPLE).await;
    assert!(project_first.contains("data-testid=\"assignments\""));
    let (_, all) = olga.get_page(&format!("/projects/{}?page=2", w.p1)).await;
    assert!(
        all.contains(&format!("Showing 51–{0} of {0}", PEOPLE + 2)),
        "{all}"
    );

    // The API lists the same through the same domain functions.
    for (path, total) in [
        (format!("/groups/{group}/members"), PEOPLE),
        (format!("/teams/{}/members", w.team), PEOPLE + 2),
        (format!("/projects/{}/assignments", w.p1), PEOPLE + 2),
    ] {
        let (status, body) = w.app.get_json(&w.olga, format!("{path}?page=2")).await;
        assert_eq!(status, S::OK, "{path}: {body}");
        assert_eq!(body["total"], json!(total), "{path}: {body}");
        assert_eq!(
            body["items"].as_array().unwrap().len(),
            total - 50,
            "{path}"
        );
        let (_, one) = w
            .app
            .get_json(&w.olga, format!("{path}?q=member%2007"))
            .await;
        assert_eq!(one["total"], json!(1), "{path}: {one}");
        for bad in ["0", "x"] {
            let (status, _) = w.app.get_json(&w.olga, format!("{path}?page={bad}")).await;
            assert_eq!(status, S::UNPROCESSABLE_ENTITY, "{path} page={bad}");
        }
        let (status, _) = w.app.get_json(&w.gus, path.clone()).await;
        assert_eq!(status, S::NOT_FOUND, "{path}");
    }

    // Globex's admin: the 404 of a missing id, whatever the page.
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    same_404(&gus, &format!("/groups/{group}"), "/groups/999999").await;
    same_404(&gus, &format!("/teams/{}", w.team), "/teams/999999").await;
    same_404(&gus, &format!("/projects/{}", w.p1), "/projects/999999").await;
}

#[tokio::test]
async fn the_access_tab_pages_grants_and_invitations_and_agrees_with_the_api() {
    let w = world().await;
    let ids = people(&w).await;
    let viewer = w.app.role_id(&w.ada, "Viewer").await;
    for id in &ids {
        post(
            &w.app,
            &w.ada,
            "/grants",
            json!({"role_id": viewer, "user_id": id, "org_id": w.acme}),
        )
        .await;
    }
    // 51 invitations by email at Acme.
    for i in 0..51 {
        let (status, body) = w
            .app
            .post_json(&w.olga, "/grants", json!({"role_id": viewer, "user_email": format!("new{i:02}@elsewhere.example"), "org_id": w.acme}))
            .await;
        assert!(status.is_success(), "{body}");
    }

    // East inherits Acme's grants: the 55, Olga's own; the root's are hidden.
    let east = format!("/orgs/{}/access", w.east);
    let api = w
        .app
        .get_json(&w.olga, format!("{east}?per_page=200"))
        .await
        .expect_status(S::OK);
    let total = api["total"].as_u64().unwrap() as usize;
    assert_eq!(api["items"].as_array().unwrap().len(), total);
    assert_eq!(total, PEOPLE + 1, "{api}");
    let olga = w.app.signed_in_browser("olga@acme.example").await;
    let (status, first) = olga.get_page(&east).await;
    assert_eq!(status, S::OK);
    assert!(
        first.contains(&format!("Showing 1–50 of {total}")),
        "{first}"
    );
    let (_, second) = olga.get_page(&format!("{east}?page=2")).await;
    assert!(second.contains(&format!("Showing 51–{total} of {total}")));
    for html in [&first, &second] {
        assert!(html.contains("data-testid=\"hidden-above\""), "{html}");
    }
    // The page shows the API's rows in the API's order.
    let (_, api_two) = w.app.get_json(&w.olga, format!("{east}?page=2")).await;
    let last_on_api = api_two["items"].as_array().unwrap().last().unwrap()["principal"]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(second.contains(&last_on_api), "{last_on_api}: {second}");
    assert_eq!(api_two["total"], api["total"]);

    // Search and role narrow both, and stay in the pager's links.
    let filtered = format!("{east}?q=member&role_id={viewer}");
    let (_, page) = olga.get_page(&filtered).await;
    assert!(
        page.contains(&format!("Showing 1–50 of {PEOPLE}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("?q=member&#38;role_id={viewer}&#38;page=2")),
        "{page}"
    );
    let (_, api_filtered) = w.app.get_json(&w.olga, filtered.clone()).await;
    assert_eq!(api_filtered["total"], json!(PEOPLE));
    let (_, nobody) = olga.get_page(&format!("{east}?q=nobody-at-all")).await;
    assert!(nobody.contains("No grant you can see matches."), "{nobody}");
    for bad in ["0", "-2", "abc", "99999999999999999999"] {
        let (status, html) = olga.get_page(&format!("{east}?page={bad}&role_id=x")).await;
        assert_eq!(status, S::OK, "page={bad}");
        assert!(html.contains(&format!("of {total}")), "page={bad}");
        let (status, body) = w.app.get_json(&w.olga, format!("{east}?page={bad}")).await;
        assert_eq!(status, S::UNPROCESSABLE_ENTITY, "page={bad}: {body}");
    }
    w.app
        .get_json(&w.olga, format!("{east}?role_id=abc"))
        .await
        .expect_status(S::UNPROCESSABLE_ENTITY);

    // Invitations page on their own, keeping the grants' page.
    let acme = format!("/orgs/{}/access", w.acme);
    let (_, at_acme) = olga.get_page(&format!("{acme}?page=2")).await;
    assert!(at_acme.contains("Showing 1–50 of 51"), "{at_acme}");
    assert_eq!(
        at_acme
            .matches("data-testid=\"pending-invitation\"")
            .count(),
        50
    );
    assert!(
        at_acme.contains(&format!("{acme}?page=2&#38;inv_page=2")),
        "{at_acme}"
    );
    let (_, invitations_two) = olga.get_page(&format!("{acme}?inv_page=2")).await;
    assert!(
        invitations_two.contains("Showing 51–51 of 51"),
        "{invitations_two}"
    );
    let invitations = w
        .app
        .get_json(
            &w.olga,
            format!("/grants/invitations?org_id={}&page=2", w.acme),
        )
        .await
        .expect_status(S::OK);
    assert_eq!(
        (
            invitations["total"].clone(),
            invitations["items"].as_array().unwrap().len()
        ),
        (json!(51), 1)
    );

    // GET /grants pages in SQL with the same total on every page.
    let (_, grants_one) = w
        .app
        .get_json(&w.olga, format!("/grants?org_id={}&per_page=20", w.acme))
        .await;
    let (_, grants_three) = w
        .app
        .get_json(
            &w.olga,
            format!("/grants?org_id={}&per_page=20&page=3", w.acme),
        )
        .await;
    assert_eq!(grants_one["total"], json!(PEOPLE + 1), "{grants_one}");
    assert_eq!(grants_three["total"], grants_one["total"]);
    assert_eq!(
        grants_three["items"].as_array().unwrap().len(),
        PEOPLE + 1 - 40
    );
    let (_, gus_grants) = w.app.get_json(&w.gus, "/grants?per_page=200").await;
    assert!(
        gus_grants["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["org_id"] == json!(w.globex)),
        "{gus_grants}"
    );
    assert_eq!(gus_grants["total"], json!(1), "{gus_grants}");

    // Outside the tenant: the 404 of a missing org on every page value.
    let gus = w.app.signed_in_browser("gus@globex.example").await;
    same_404(&gus, &east, "/orgs/999999/access").await;
    w.app
        .get_json(&w.gus, format!("{east}?page=2"))
        .await
        .expect_status(S::NOT_FOUND);
}

/// For every person and org, the paged Access list is exactly the list the
/// resolver filters in Rust (`access::effective_at`): the same grants in the
/// same order, the same "hidden above" marker. With a privacy border, a
/// group grant, a guest and an expired grant in the mix.
#[tokio::test]
async fn the_paged_access_list_is_the_resolvers_list() {
    use canopy::authz::{Access, AuthzStore};
    use canopy::domain::access::{AccessFilter, effective_at, effective_page};
    let w = world().await;
    let viewer = w.app.role_id(&w.ada, "Viewer").await;
    let vault = w.app.create_org(&w.ada, w.east, "Vault", "VAULT").await;
    let keeper = w.app.add_keeper(vault).await;
    w.app.make_private(&w.ada, vault).await;
    let group = post(
        &w.app,
        &w.ada,
        "/groups",
        json!({"org_id": w.acme, "name": "Crew"}),
    )
    .await["id"]
        .as_i64()
        .unwrap();
    put(
        &w,
        format!("/groups/{group}/members/{}", w.eve_id),
        json!({}),
    )
    .await;
    // Inside the border only its keeper may grant.
    let keeper_token = w.app.create_token(keeper.id, "").await;
    let inside = w
        .app
        .create_user("inside@acme.example", "Inside", vault)
        .await;
    for (holder, org, by) in [
        (json!({"group_id": group}), w.east, &w.ada),
        (json!({"user_id": inside.id}), vault, &keeper_token),
        (json!({"user_id": keeper.id}), w.east, &w.ada),
        (json!({"user_id": w.lee_id}), w.acme, &w.ada),
    ] {
        let mut grant = json!({"role_id": viewer, "org_id": org});
        grant
            .as_object_mut()
            .unwrap()
            .extend(holder.as_object().unwrap().clone());
        post(&w.app, by, "/grants", grant).await;
    }
    // A guest from Globex, granted in East.
    let guest = w
        .app
        .create_user("g3@globex.example", "Guest", w.globex)
        .await;
    post(
        &w.app,
        &w.ada,
        "/grants",
        json!({"role_id": viewer, "user_id": guest.id, "org_id": w.east}),
    )
    .await;
    let store = std::sync::Arc::new(AuthzStore::new());
    let everyone = w.app.all_user_ids().await;
    let root = w.app.root_id().await;
    let mut compared = 0;
    for user_id in everyone {
        for org in [root, w.acme, w.east, vault, w.globex] {
            let store = store.clone();
            let (reference, paged, total, two_pages) = w
                .app
                .db
                .read(move |conn| {
                    let access = Access {
                        user_id,
                        snapshot: store.fresh(conn)?,
                    };
                    let reference = effective_at(conn, &access, org)?;
                    let all = AccessFilter::default();
                    let (paged, total) = effective_page(conn, &access, org, &all, 0, 10_000)?;
                    // Two pages of two rows follow the same order.
                    let mut two_pages = effective_page(conn, &access, org, &all, 0, 2)?.0.items;
                    two_pages.extend(effective_page(conn, &access, org, &all, 2, 2)?.0.items);
                    Ok((reference, paged, total, two_pages))
                })
                .await
                .unwrap();
            let ids = |items: &[canopy::domain::access::AccessItem]| {
                items.iter().map(|i| i.grant_id).collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&paged.items),
                ids(&reference.items),
                "user {user_id} at org {org}"
            );
            assert_eq!(
                paged.hidden_above, reference.hidden_above,
                "user {user_id} at org {org}"
            );
            assert_eq!(total as usize, reference.items.len());
            let first_four: Vec<i64> = ids(&reference.items).into_iter().take(4).collect();
            assert_eq!(ids(&two_pages), first_four, "user {user_id} at org {org}");
            compared += 1;
        }
    }
    assert!(compared > 30);
}
