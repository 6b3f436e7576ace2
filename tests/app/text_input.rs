//! Text input never gives a 500, on either backend: control characters (NUL
//! above all, which PostgreSQL cannot store) are refused with a 4xx naming the
//! field, names refuse bidirectional overrides and invisible-only values, and
//! ordinary Unicode and multi-line text still go through.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::timesheets::world;

fn is_json_error(body: &Value, code: &str) -> bool {
    body["error"]["code"] == code && body["error"]["message"].is_string()
}

#[tokio::test]
async fn nul_in_the_sign_in_and_forgot_password_forms_is_refused_not_a_500() {
    let app = spawn_app().await;
    app.create_default_admin().await;
    for (path, fields) in [
        (
            "/sign-in",
            vec![("email", "ada\0@example.com"), ("password", "x")],
        ),
        (
            "/sign-in",
            vec![("email", ADMIN_EMAIL), ("password", "correct\0horse")],
        ),
        ("/forgot-password", vec![("email", "a\0b@example.com")]),
    ] {
        let browser = app.new_browser();
        let response = browser.post_form_with_csrf(path, &fields).await;
        let status = response.status();
        let html = response.text().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {html}");
        assert!(
            html.contains("must not contain control characters"),
            "{html}"
        );
    }
    assert!(app.audit("auth.sign_in_failed").await.is_empty());
    // The right password still signs in.
    assert_eq!(
        app.new_browser()
            .sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn nul_in_a_search_box_is_refused_on_pages_and_the_api() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "").await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/users?q=a%00b", "/orgs?q=a%00b", "/audit?q=%1B"] {
        let (status, html) = app.get_text(path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            html.contains("must not contain control characters"),
            "{path}: {html}"
        );
    }
    for path in ["/users?q=a%00b", "/orgs?q=a%00b", "/audit?action=%00"] {
        let (status, body) = app.call(Method::GET, path, &token, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(is_json_error(&body, "validation"), "{body}");
        assert!(body["error"]["fields"].is_object(), "{body}");
    }
    let (_, body) = app.call(Method::GET, "/users?q=a%00b", &token, None).await;
    assert!(body["error"]["fields"]["q"].is_string(), "{body}");
    // Ordinary searches still work.
    let (status, _) = app
        .call(Method::GET, "/users?q=Zo%C3%AB", &token, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn control_characters_in_descriptions_notes_and_reasons_are_refused() {
    let w = world().await;
    let app = &w.app;
    let root = app.root_id().await;
    // API: a description with NUL, or with an escape character.
    for description in ["a\u{0}b", "red \u{1b}[31m"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/orgs",
                &w.ada,
                Some(json!({"parent_id": root, "name": "Nul Co", "code": "NUL", "description": description})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body["error"]["fields"]["description"].is_string(), "{body}");
    }
    // A multi-line description with a tab, and Unicode, is fine.
    let (status, body) = app
        .call(
            Method::POST,
            "/orgs",
            &w.ada,
            Some(
                json!({"parent_id": root, "name": "Zoë Ødegård 🚀", "code": "ZOE",
                        "description": "first line\r\n\tsecond line ✓"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "Zoë Ødegård 🚀");
    assert_eq!(body["description"], "first line\n\tsecond line ✓");

    // A timesheet note with NUL; a rejection reason with NUL.
    let (status, body) = w
        .put_sheet(
            &w.eve,
            0,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60, "note": "x\u{0}"}]),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(is_json_error(&body, "validation"), "{body}");
    let (status, sheet) = w
        .put_sheet(
            &w.eve,
            0,
            json!([{"project_id": w.p1, "date": w.day(0), "minutes": 60, "note": "two\nlines"}]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    let id = sheet["id"].as_i64().unwrap();
    let version = sheet["version"].as_i64().unwrap();
    let (status, body) = w
        .act(&w.eve, id, "submit", json!({"version": version}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = w
        .act(
            &w.olga,
            id,
            "reject",
            json!({"reason": "no\u{0}pe", "project_id": w.p1}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["reason"].is_string(), "{body}");
}

#[tokio::test]
async fn names_refuse_bidi_overrides_invisible_only_values_and_tabs() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "").await;
    let root = app.root_id().await;
    for (name, expected) in [
        ("invoice\u{202E}fdp.exe", "bidirectional"),
        ("a\u{2066}b", "bidirectional"),
        ("\u{200B}\u{200B}", "visible characters"),
        ("\u{FEFF}", "visible characters"),
        ("tab\there", "control characters"),
    ] {
        let (status, body) = app
            .call(
                Method::POST,
                "/orgs",
                &token,
                Some(json!({"parent_id": root, "name": name, "code": "BIDI"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {body}");
        let message = body["error"]["fields"]["name"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{name:?}: {body}");
    }
    // The page form says the same next to the field.
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app
        .post_form_with_csrf(
            &format!("/orgs/{root}/new"),
            &[("name", "evil\u{202E}gpj"), ("code", "EVIL"), ("kind", "")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("bidirectional override")
    );
    // A user's name through the API, too.
    let (status, body) = app
        .call(
            Method::POST,
            "/users",
            &token,
            Some(json!({"org_id": root, "email": "zw@example.com", "display_name": "\u{200B}"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn a_long_q_answers_422_with_the_json_error_shape_or_a_page() {
    let app = spawn_app().await;
    let admin = app.create_default_admin().await;
    let token = app.create_token(admin.id, "").await;
    let q = "a".repeat(60_000);
    for path in ["/users", "/orgs", "/groups"] {
        let (status, body) = app
            .call(Method::GET, format!("{path}?q={q}"), &token, None)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(is_json_error(&body, "validation"), "{path}: {body}");
        assert!(body["error"]["fields"]["q"].is_string(), "{body}");
    }
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = app.get_text(&format!("/users?q={q}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("at most 4096 characters"), "{html}");
    // A search of ordinary length still answers.
    let (status, _) = app
        .call(
            Method::GET,
            format!("/users?q={}", "a".repeat(200)),
            &token,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}
