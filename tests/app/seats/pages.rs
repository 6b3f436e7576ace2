//! Seats on the pages: the org's Seats tab and its bulk form, the person's
//! page, the overview's numbers and the grid's notice before anyone types.

use super::*;

#[tokio::test]
async fn the_seats_tab_assigns_in_bulk_and_the_overview_counts() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(2))
        .await
        .expect_status(S::OK);
    let olga = w.signed_in_browser("olga@acme.example").await;
    let tab = format!("/orgs/{}/seats", w.acme);
    let (status, html) = olga.get_page(&tab).await;
    assert_eq!(status, S::OK);
    assert!(
        html.contains(&format!("data-testid=\"seat-row-{}\"", w.wes_id)),
        "{html}"
    );
    assert!(html.contains("aria-label=\"Choose Eve\""));
    let (eve, pat) = (w.eve_id.to_string(), w.pat_id.to_string());
    let response = olga
        .submit_form(
            &tab,
            &[("user", &eve), ("user", &pat), ("action", "assign")],
        )
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = olga.get_page(&tab).await;
    assert!(html.contains("2 seats assigned."), "{html}");
    assert!(html.contains("data-testid=\"seats-free\">0<"), "{html}");
    // One more is refused next to the list, and nothing changes.
    let wes = w.wes_id.to_string();
    let response = olga
        .submit_form(&tab, &[("user", &wes), ("action", "assign")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"users-error\""), "{html}");
    assert!(html.contains("No seats are left in Acme"), "{html}");
    // A missing action is said next to its field.
    let response = olga.submit_form(&tab, &[("user", &wes)]).await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    // The overview shows the numbers.
    let (_, html) = olga.get_page(&format!("/orgs/{}", w.acme)).await;
    assert!(html.contains("data-testid=\"seats-used\">2<"), "{html}");
    // Gus of Globex finds no such page; Eve without rights has no tab.
    let gus = w.signed_in_browser("gus@globex.example").await;
    assert_eq!(gus.get(&tab).await.status(), S::NOT_FOUND);
    let response = gus
        .submit_form(&tab, &[("user", &wes), ("action", "assign")])
        .await;
    assert_eq!(response.status(), S::NOT_FOUND);
    assert_eq!(w.audit("seat.assigned").await.len(), 2);
}

#[tokio::test]
async fn a_person_page_gives_and_takes_back_a_seat() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(1))
        .await
        .expect_status(S::OK);
    let olga = w.signed_in_browser("olga@acme.example").await;
    let page = format!("/users/{}", w.eve_id);
    let (_, html) = olga.get_page(&page).await;
    assert!(html.contains("data-testid=\"seat-assign\""), "{html}");
    let response = olga.submit_form(&format!("{page}/seat"), &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let (_, html) = olga.get_page(&page).await;
    assert!(html.contains("Holds a seat from Acme"), "{html}");
    // Pat finds the pool full: the message stands next to the button.
    let response = olga
        .submit_form(&format!("/users/{}/seat", w.pat_id), &[])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"seat-error\""), "{html}");
    let response = olga.submit_form(&format!("{page}/seat/remove"), &[]).await;
    assert_eq!(response.status(), S::SEE_OTHER);
    assert_eq!(
        w.get_json(&w.olga, format!("/users/{}/seat", w.eve_id))
            .await
            .0,
        S::NOT_FOUND
    );
    // Without CSRF nothing happens.
    let response = olga.post_form(&format!("{page}/seat"), &[]).await;
    assert!(response.status().is_client_error());
    assert_eq!(w.audit("seat.assigned").await.len(), 1);
}

#[tokio::test]
async fn the_grid_says_why_before_anyone_types_and_refuses_to_save() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(1))
        .await
        .expect_status(S::OK);
    w.give(&w.olga, w.eve_id).await.expect_status(S::OK);
    let pat = w.signed_in_browser("pat@acme.example").await;
    let grid = format!("/timesheets/{}/{}", w.pat_id, w.week);
    let (status, html) = pat.get_page(&grid).await;
    assert_eq!(status, S::OK);
    assert!(html.contains("data-testid=\"seat-notice\""), "{html}");
    assert!(html.contains("Ask your administrator for a seat."));
    // Eve, who holds a seat, sees no notice.
    let eve = w.signed_in_browser("eve@acme.example").await;
    let (_, html) = eve
        .get_page(&format!("/timesheets/{}/{}", w.eve_id, w.week))
        .await;
    assert!(!html.contains("data-testid=\"seat-notice\""));
    // Saving from the grid is refused with the reason.
    let cell = format!("h-{}-{}", w.p1, w.week);
    let row = w.p1.to_string();
    let response = pat
        .submit_form(
            &grid,
            &[
                ("version", "0"),
                ("row", &row),
                (&cell, "1"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(response.status(), S::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(html.contains("no seat for timesheets"), "{html}");
}

#[tokio::test]
async fn the_settings_page_leaves_the_pool_to_the_parent() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(4))
        .await
        .expect_status(S::OK);
    let settings = format!("/orgs/{}/settings", w.acme);
    let olga = w.signed_in_browser("olga@acme.example").await;
    let (_, html) = olga.get_page(&settings).await;
    assert!(html.contains("Seats for timesheets"), "{html}");
    assert!(
        !html.contains(&format!("action=\"{settings}/seats\"")),
        "{html}"
    );
    let response = olga
        .submit_form(&format!("{settings}/seats"), &[("value", "40")])
        .await;
    assert_eq!(response.status(), S::FORBIDDEN);
    // East's share is Olga's to set, and an overdraw is said next to the field.
    let east = format!("/orgs/{}/settings", w.east);
    let response = olga
        .submit_form(&format!("{east}/seats"), &[("value", "5")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"seats-error\""), "{html}");
    let response = olga
        .submit_form(&format!("{east}/seats"), &[("value", "3")])
        .await;
    assert_eq!(response.status(), S::SEE_OTHER);
    let seats = w.seats_of(&w.olga, w.acme).await.expect_status(S::OK);
    assert_eq!(
        (&seats["pool"]["shares"], &seats["pool"]["free"]),
        (&json!(3), &json!(1))
    );
}

#[tokio::test]
async fn a_pool_counts_seats_behind_a_privacy_border_but_names_and_counts_no_one_there() {
    let w = world().await;
    w.set_seats(&w.ada, w.acme, json!(5))
        .await
        .expect_status(S::OK);
    for who in [w.eve_id, w.pat_id, w.wes_id] {
        w.give(&w.olga, who).await.expect_status(S::OK);
    }
    let (_, before) = w.seats_of(&w.olga, w.acme).await;
    assert_eq!(before["seated"], 3, "{before}");
    // East (Eve and Pat's home) turns private: Olga at Acme stops at its border.
    w.patch_json(
        &w.ella,
        format!("/orgs/{}", w.east),
        json!({"privacy_mode": true}),
    )
    .await
    .expect_status(S::OK);
    let (status, after) = w.seats_of(&w.olga, w.acme).await;
    assert_eq!(status, S::OK, "{after}");
    // The pool's figures are whole: what it spends, behind the border too.
    assert_eq!(after["pool"]["used"], 3, "{after}");
    assert_eq!(after["pool"]["free"], 2, "{after}");
    // The people counted are those Olga sees: Wes, not Eve or Pat (nor Ella).
    assert_eq!(after["seated"], 1, "{after}");
    let hidden = before["people"].as_i64().unwrap() - after["people"].as_i64().unwrap();
    assert!(
        hidden >= 3,
        "East's people leave the count: {before} → {after}"
    );
    let olga = w.signed_in_browser("olga@acme.example").await;
    let tab = format!("/orgs/{}/seats", w.acme);
    for path in [tab.clone(), format!("/orgs/{}", w.acme)] {
        let (status, html) = olga.get_page(&path).await;
        assert_eq!(status, S::OK);
        assert!(html.contains("data-testid=\"seats-used\">3<"), "{html}");
        assert!(html.contains("data-testid=\"seats-seated\">1<"), "{html}");
        for name in ["Eve", "Pat"] {
            assert!(!html.contains(&format!(">{name}<")), "{html}");
            assert!(!html.contains(&format!("Choose {name}")), "{html}");
        }
    }
    let (_, html) = olga.get_page(&tab).await;
    assert!(html.contains(&format!("data-testid=\"seat-row-{}\"", w.wes_id)));
    assert!(
        !html.contains(&format!("seat-row-{}\"", w.eve_id)),
        "{html}"
    );
    // Eve answers like no one: by hand (404) and in bulk (the same refusal
    // as an id that does not exist, nothing changed).
    let (eve_seat, nobody_seat) = (
        w.get_json(&w.olga, format!("/users/{}/seat", w.eve_id))
            .await,
        w.get_json(&w.olga, "/users/987654/seat").await,
    );
    assert_eq!(eve_seat.0, S::NOT_FOUND);
    assert_eq!(eve_seat, nobody_seat);
    let bulk = |id: i64| {
        w.post_json(
            &w.olga,
            format!("/orgs/{}/seats", w.acme),
            json!({"unassign": [id]}),
        )
    };
    let (status, body) = bulk(w.eve_id).await;
    let (nobody_status, nobody) = bulk(987_654).await;
    assert_eq!(
        (status, nobody_status),
        (S::UNPROCESSABLE_ENTITY, S::UNPROCESSABLE_ENTITY)
    );
    assert_eq!(
        body.to_string().replace(&w.eve_id.to_string(), "ID"),
        nobody.to_string().replace("987654", "ID"),
    );
    let eve = w.eve_id.to_string();
    let response = olga
        .submit_form(&tab, &[("user", &eve), ("action", "unassign")])
        .await;
    assert_eq!(response.status(), S::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("Person {eve} is not someone here")),
        "{html}"
    );
    // Ella inside still sees her people and their seats.
    let (_, inside) = w.seats_of(&w.ella, w.east).await;
    assert_eq!(inside["seated"], 2, "{inside}");
    assert_eq!(inside["pool"]["used"], 3, "{inside}");
    assert_eq!(w.audit("seat.unassigned").await.len(), 0);
}
