//! Bad bodies, dates, page numbers and bulk sizes get 4xx and change nothing.

use super::*;

#[tokio::test]
async fn malformed_json_wrong_types_and_huge_bodies_get_4xx() {
    let (app, admin, token) = spawn_with_owner().await;
    let patch = || app.api(Method::PATCH, "/me", &token);

    let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
        (
            patch()
                .header("Content-Type", "application/json")
                .body("{\"display_name\": "),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            patch()
                .header("Content-Type", "application/json")
                .body("{\"display_name\": \"x\",}"),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            patch()
                .header("Content-Type", "application/json")
                .body("{\"display_name\": 42}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            patch()
                .header("Content-Type", "application/json")
                .body("{\"surprise\": true}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            patch().header("Content-Type", "text/plain").body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            patch()
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("a=b"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            patch().body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            patch()
                .header("Content-Type", "application/json")
                .body(vec![b' '; TEN_MB]),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            patch()
                .header("Content-Type", "application/json")
                .body(vec![0xff, 0xfe, 0x00]),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
    ];
    for (request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{body}");
    }
    let me: Value = app.get_json(&token, "/me").await.1;
    assert_eq!(me["version"], admin.version, "nothing changed");
}

#[tokio::test]
async fn huge_and_garbled_form_posts_get_4xx() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    let token = app.csrf_token().await;
    let huge = format!("csrf_token={token}&email={}", "a".repeat(TEN_MB));
    let response = app
        .client
        .post(app.url("/sign-in"))
        .header("Origin", &app.address)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Valid token in the header, a body that is not a form.
    for (content_type, body) in [
        (
            "application/x-www-form-urlencoded",
            vec![0xff, 0xfe, b'=', 0x00],
        ),
        ("application/json", b"{\"email\": 1}".to_vec()),
        ("multipart/form-data; boundary=x", b"--x--".to_vec()),
    ] {
        let response = app
            .client
            .post(app.url("/sign-in"))
            .header("Origin", &app.address)
            .header("X-CSRF-Token", &token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_client_error(),
            "{content_type}: {}",
            response.status()
        );
    }
    // A long email that fits the body limit is simply wrong, not a crash.
    let response = app.sign_in(&"a".repeat(100_000), "whatever").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// The membership PUT of groups and teams: an empty body means the defaults;
/// a body that cannot be read (malformed, not JSON, too big, wrong shape) is a
/// JSON error and neither adds anyone nor drops anyone's owner or lead flag.
#[tokio::test]
async fn unreadable_membership_bodies_change_nothing() {
    let (app, _, token) = spawn_with_owner().await;
    let root = app.root_id().await;
    let sam = app.create_user("sam@example.com", "Sam", root).await;
    let gus = app.create_user("gus@example.com", "Gus", root).await;

    for (kind, flag) in [("groups", "owner"), ("teams", "lead")] {
        let created = app
            .post_created(
                &token,
                format!("/{kind}"),
                serde_json::json!({"org_id": root, "name": format!("Crew {kind}")}),
            )
            .await;
        let id = created["id"].as_i64().unwrap();
        let members = || async {
            let body = app
                .get_json(&token, format!("/{kind}/{id}"))
                .await
                .expect_status(StatusCode::OK);
            body["members"].clone()
        };
        let (status, body) = app
            .put_json(
                &token,
                format!("/{kind}/{id}/members/{}", sam.id),
                serde_json::json!({ flag: true }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let before = members().await;
        assert_eq!(before.as_array().unwrap().len(), 1, "{before}");
        assert_eq!(before[0][flag], true);

        let put = |user_id: i64| {
            app.api(
                Method::PUT,
                &format!("/{kind}/{id}/members/{user_id}"),
                &token,
            )
        };
        let json = "application/json";
        for user_id in [sam.id, gus.id] {
            let cases: Vec<(reqwest::RequestBuilder, StatusCode, &str)> = vec![
                (
                    put(user_id)
                        .header("Content-Type", json)
                        .body(format!("{{\"{flag}\": ")),
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                ),
                (
                    put(user_id).header("Content-Type", json).body("not json"),
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                ),
                (
                    put(user_id)
                        .header("Content-Type", "text/plain")
                        .body(format!("{{\"{flag}\": false}}")),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                ),
                (
                    put(user_id).body(format!("{{\"{flag}\": false}}")),
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                ),
                (
                    // Blank but too big: read as empty it would mean the defaults.
                    put(user_id)
                        .header("Content-Type", json)
                        .body(vec![b' '; 2 * 1024 * 1024]),
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                ),
                (
                    put(user_id)
                        .header("Content-Type", json)
                        .body(format!("{{\"{flag}\": \"no\"}}")),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                ),
                (
                    put(user_id)
                        .header("Content-Type", json)
                        .body("{\"onwer\": false, \"laed\": false}"),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation",
                ),
            ];
            for (i, (request, status, code)) in cases.into_iter().enumerate() {
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), status, "{kind} case {i}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], code, "{kind} case {i}: {body}");
            }
        }
        assert_eq!(members().await, before, "{kind}: nothing changed");

        // No body at all, or a blank one, means the defaults.
        let response = put(gus.id).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let response = put(sam.id)
            .header("Content-Type", "text/plain")
            .body("  \n")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let after = members().await;
        assert_eq!(after.as_array().unwrap().len(), 2, "{after}");
        assert!(
            after.as_array().unwrap().iter().all(|m| m[flag] == false),
            "{after}"
        );
    }

    // The timesheet and notification actions read their bodies the same way.
    let response = app
        .api(Method::POST, "/notifications/read", &token)
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let response = app
        .api(Method::POST, "/timesheets/1/submit", &token)
        .header("Content-Type", "application/json")
        .body(vec![b' '; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
}

/// Dates people supply are `YYYY-MM-DD` in the years 1900 to 9999, one parser
/// for all: anything else is a 4xx with the field named (never a panic or the
/// database's "out of range" as a 500), and the weeks at either end work.
#[tokio::test]
async fn extreme_dates_get_4xx_and_the_edge_weeks_work() {
    let (app, admin, token) = spawn_with_owner().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let me = admin.id;
    let extremes = [
        "-262143-01-01",
        "+262142-12-31",
        "-5000-01-01",
        "0000-01-01",
        "1899-12-25",
        "10000-01-03",
    ];

    // Timesheet weeks, in the API (422 on week_start) and on pages (400).
    for week in extremes {
        let (status, body) = app
            .get_json(&token, format!("/timesheets/{me}/{week}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{week}: {body}");
        assert!(body["error"]["fields"]["week_start"].is_string(), "{body}");
        let (status, body) = app
            .put_json(
                &token,
                format!("/timesheets/{me}/{week}"),
                serde_json::json!({"version": 0, "entries": []}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{week}: {body}");
        let (status, html) = app.get_page(&format!("/timesheets/{me}/{week}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{week}: {html}");
        assert!(html.contains("must be"), "{week}: {html}");
        let response = app
            .submit_form(
                &format!("/timesheets/{me}/{week}"),
                &[("version", "0"), ("action", "save")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{week}");
    }
    // The first and the last week one may name (1900-01-01 is a Monday, and so
    // is 9999-12-27): shown, with no link past the end.
    for (week, gone) in [("1900-01-01", "prev-week"), ("9999-12-27", "next-week")] {
        let (status, body) = app
            .get_json(&token, format!("/timesheets/{me}/{week}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{week}: {body}");
        let (status, html) = app
            .get_page(&format!("/timesheets/{me}/{week}?copy=1"))
            .await;
        assert_eq!(status, StatusCode::OK, "{week}: {html}");
        assert!(!html.contains(gone), "{week}");
    }
    // An entry dated out of range is a field message too.
    let body = app
        .put_json(
            &token,
            format!("/timesheets/{me}/9999-12-27"),
            serde_json::json!({"version": 0, "entries": [
                {"project_id": 1, "date": "+10000-01-01", "minutes": 60}
            ]}),
        )
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["fields"]["entries[0].date"].is_string(),
        "{body}"
    );

    // Reports (every one, API and page), the audit log, the approvals filter.
    let names: Vec<&str> = canopy::domain::report::REPORTS
        .iter()
        .map(|(n, _)| *n)
        .collect();
    for name in &names {
        for (from, to, field) in [
            ("-262143-01-01", "-262143-01-20", "from"),
            ("2026-01-01", "-5000-01-01", "to"),
            ("9999-12-01", "+262142-12-31", "to"),
        ] {
            let query = format!("/reports/{name}?from={from}&to={to}");
            let (status, body) = app.get_json(&token, &query).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
            assert!(
                body["error"]["fields"][field].is_string(),
                "{query}: {body}"
            );
            let (status, html) = app.get_page(&query).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            assert!(html.contains("must be"), "{query}");
        }
        for (from, to) in [("1900-01-01", "1900-01-31"), ("9999-12-01", "9999-12-31")] {
            let query = format!("/reports/{name}?from={from}&to={to}");
            let (status, body) = app.get_json(&token, &query).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert_eq!(app.get(&query).await.status(), StatusCode::OK, "{query}");
        }
    }
    for date in extremes {
        let (status, body) = app.get_json(&token, format!("/audit?from={date}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {body}");
        assert!(body["error"]["fields"]["from"].is_string(), "{body}");
        let (status, html) = app.get_page(&format!("/audit?to={date}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {html}");
        let (status, body) = app
            .get_json(&token, format!("/approvals?week_start={date}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{date}: {body}");
        assert!(body["error"]["fields"]["week_start"].is_string(), "{body}");
        // The inbox says so next to the field (422), never a 500.
        let (status, html) = app.get_page(&format!("/approvals?week={date}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(html.contains("id=\"week-error\""), "{date}: {html}");
    }
    for date in ["1900-01-01", "9999-12-31"] {
        let (status, body) = app
            .get_json(&token, format!("/audit?from={date}&to={date}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{date}: {body}");
    }

    // Settings and project dates share the parser.
    let root = app.root_id().await;
    app.put_json(
        &token,
        format!("/orgs/{root}/settings"),
        serde_json::json!({"lock_before": "-5000-01-01"}),
    )
    .await
    .expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    let body = app
        .post_json(
            &token,
            "/projects",
            serde_json::json!({
                "org_id": root, "code": "X1", "name": "Far", "start_date": "+262142-01-01"
            }),
        )
        .await
        .expect_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["start_date"].is_string(), "{body}");
}

/// Page numbers too big to mean anything show the last page one may ask for
/// (empty), not a 500 from an overflowing or negative offset.
#[tokio::test]
async fn huge_page_numbers_are_clamped() {
    let (app, _, token) = spawn_with_owner().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for huge in [
        "200000000000000000",
        "18446744073709551615",
        "99999999999999999999999999",
        "9223372036854775807",
        "-1",
        "abc",
    ] {
        for path in [
            "/users",
            "/directory?q=ada",
            "/audit",
            "/notifications",
            "/projects",
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = format!("{path}{sep}page={huge}");
            let (status, html) = app.get_page(&url).await;
            assert_eq!(status, StatusCode::OK, "{url}: {html}");
        }
        for path in ["/users", "/audit", "/notifications", "/projects", "/orgs"] {
            let (status, body) = app.get_json(&token, format!("{path}?page={huge}")).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
            assert!(body["error"]["fields"]["page"].is_string(), "{body}");
        }
    }
    // The last page there is answers, empty.
    let body = app
        .get_json(&token, "/users?page=100000&per_page=200")
        .await
        .expect_status(StatusCode::OK);
    assert_eq!(body["items"], serde_json::json!([]));
    assert_eq!(body["total"], 1);
}

/// A bulk approval of many bogus items reports a count and the first reasons
/// (the session cookie holding the message stays small); more items than the
/// inbox ever lists are refused outright, approving nothing.
#[tokio::test]
async fn bulk_approval_is_bounded() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let token = app.csrf_token().await;
    let post = |n: usize| {
        let mut body = format!("csrf_token={token}");
        for i in 0..n {
            body.push_str(&format!("&item={}%3A{i}", 900_000 + i));
        }
        app.client
            .post(app.url("/approvals/approve"))
            .header("Origin", &app.address)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };

    let response = post(450).await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let cookies: usize = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.len())
        .sum();
    assert!(cookies < 4096, "{cookies} bytes of cookies");
    let (status, html) = app.get_page("/approvals").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("450 not approved"), "{html}");
    assert!(html.contains("450 not approved: not found<"), "{html}");

    let response = post(501).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("at most 500"), "{html}");
    // Nothing was tried: no flash waits for the next page.
    let (_, html) = app.get_page("/approvals").await;
    assert!(!html.contains("not approved"), "{html}");
}
