//! Text input never gives a 500, on either backend: control characters (NUL
//! above all, which PostgreSQL cannot store) are refused with a 4xx naming the
//! field, names refuse bidirectional overrides and invisible-only values, and
//! ordinary Unicode and multi-line text still go through.

use reqwest::StatusCode;
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
        let response = browser.submit_form(path, &fields).await;
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
    app.signed_in_browser(ADMIN_EMAIL).await;
}

#[tokio::test]
async fn nul_in_a_search_box_is_refused_on_pages_and_the_api() {
    let (app, _, token) = spawn_with_owner().await;
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for path in ["/users?q=a%00b", "/orgs?q=a%00b", "/audit?q=%1B"] {
        let (status, html) = app.get_page(path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(
            html.contains("must not contain control characters"),
            "{path}: {html}"
        );
    }
    for path in ["/users?q=a%00b", "/orgs?q=a%00b", "/audit?action=%00"] {
        let (status, body) = app.get_json(&token, path).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(is_json_error(&body, "validation"), "{body}");
        assert!(body["error"]["fields"].is_object(), "{body}");
    }
    let (_, body) = app.get_json(&token, "/users?q=a%00b").await;
    assert!(body["error"]["fields"]["q"].is_string(), "{body}");
    // Ordinary searches still work.
    app.get_json(&token, "/users?q=Zo%C3%AB")
        .await
        .expect_status(StatusCode::OK);
}

#[tokio::test]
async fn control_characters_in_descriptions_notes_and_reasons_are_refused() {
    let w = world().await;
    let app = &w.app;
    let root = app.root_id().await;
    // API: a description with NUL, or with an escape character.
    for description in ["a\u{0}b", "red \u{1b}[31m"] {
        let body = app
            .post_json(&w.ada, "/orgs", json!({"parent_id": root, "name": "Nul Co", "code": "NUL", "description": description}))
            .await.expect_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body["error"]["fields"]["description"].is_string(), "{body}");
    }
    // A multi-line description with a tab, and Unicode, is fine.
    let body = app
        .post_created(
            &w.ada,
            "/orgs",
            json!({"parent_id": root, "name": "Zoë Ødegård 🚀", "code": "ZOE",
                        "description": "first line\r\n\tsecond line ✓"}),
        )
        .await;
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
    let (app, _, token) = spawn_with_owner().await;
    let root = app.root_id().await;
    for (name, expected) in [
        ("invoice\u{202E}fdp.exe", "bidirectional"),
        ("a\u{2066}b", "bidirectional"),
        ("\u{200B}\u{200B}", "visible characters"),
        ("\u{FEFF}", "visible characters"),
        ("tab\there", "control characters"),
    ] {
        let (status, body) = app
            .post_json(
                &token,
                "/orgs",
                json!({"parent_id": root, "name": name, "code": "BIDI"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}: {body}");
        let message = body["error"]["fields"]["name"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{name:?}: {body}");
    }
    // The page form says the same next to the field.
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let response = app
        .submit_form(
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
    app.post_json(
        &token,
        "/users",
        json!({"org_id": root, "email": "zw@example.com", "display_name": "\u{200B}"}),
    )
    .await
    .expect_status(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_long_q_answers_422_with_the_json_error_shape_or_a_page() {
    let (app, _, token) = spawn_with_owner().await;
    // Over the 4,096-character bound, within the request line the server takes
    // (longer lines answer 414, see below).
    let q = "a".repeat(10_000);
    for path in ["/users", "/orgs", "/groups"] {
        let (status, body) = app.get_json(&token, format!("{path}?q={q}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert!(is_json_error(&body, "validation"), "{path}: {body}");
        assert!(body["error"]["fields"]["q"].is_string(), "{body}");
    }
    app.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let (status, html) = app.get_page(&format!("/users?q={q}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("at most 4096 characters"), "{html}");
    // A search of ordinary length still answers.
    app.get_json(&token, format!("/users?q={}", "a".repeat(200)))
        .await
        .expect_status(StatusCode::OK);
}

/// Reads one answer from a raw connection up to its end or `Connection: close`.
async fn read_until_closed(stream: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("the server closes the connection")
    .expect("read");
    String::from_utf8(answer).unwrap()
}

/// Sends `request` on a new connection and reads everything the server sends
/// until it closes the connection.
async fn raw_exchange(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::AsyncWriteExt;
    let address = app.browser.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(request).await.unwrap();
    read_until_closed(&mut stream).await
}

/// The status line, the lower-cased head and the body of a raw answer.
fn split_answer(answer: &str) -> (&str, String, &str) {
    let (head, body) = answer.split_once("\r\n\r\n").expect(answer);
    let status = head.lines().next().unwrap();
    (status, head.to_ascii_lowercase(), body)
}

#[tokio::test]
async fn a_100000_character_q_answers_414_with_a_body_not_an_empty_400() {
    let (app, _, token) = spawn_with_owner().await;
    let q = "a".repeat(100_000);
    // No HTTP client builds such a URI (the limit is 65,534 bytes): raw HTTP.
    for path in ["/api/v1/orgs", "/orgs", "/nowhere"] {
        let request = format!(
            "GET {path}?q={q} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
        );
        let answer = raw_exchange(&app, request.as_bytes()).await;
        let (status, head, body) = split_answer(&answer);
        assert_eq!(status, "HTTP/1.1 414 URI Too Long", "{path}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(
            head.contains("\r\nx-content-type-options: nosniff"),
            "{head}"
        );
        assert!(!body.is_empty(), "{path}");
        if path.starts_with("/api/") {
            assert!(
                head.contains("\r\ncontent-type: application/json"),
                "{head}"
            );
            let body: Value = serde_json::from_str(body).unwrap();
            assert!(is_json_error(&body, "uri_too_long"), "{body}");
        } else {
            assert!(head.contains("\r\ncontent-type: text/html"), "{head}");
            assert!(body.contains("Address too long"), "{path}");
        }
    }
    // The longest a client builds (60,000 characters) answers the same, and the
    // same client goes on working afterwards (on a new connection).
    let q = "a".repeat(60_000);
    for path in ["/orgs", "/users"] {
        let (status, body) = app.get_json(&token, format!("{path}?q={q}")).await;
        assert_eq!(status, StatusCode::URI_TOO_LONG, "{path}");
        assert!(is_json_error(&body, "uri_too_long"), "{body}");
        let (status, body) = app.get_json(&token, format!("{path}?q=a")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let response = app.browser.get(&format!("/orgs?q={q}")).await;
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.text().await.unwrap().contains("Address too long"));
    let (status, _) = app.get_page("/sign-in").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_long_request_line_after_a_kept_alive_request_answers_both_in_order() {
    use tokio::io::AsyncWriteExt;
    let app = spawn_app().await;
    let address = app
        .browser
        .address
        .trim_start_matches("http://")
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // A request with a body, then one whose line is too long, sent together.
    let mut sent = format!(
        "POST /api/v1/orgs HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\n\r\n{{}}GET /api/v1/orgs?q="
    );
    sent.push_str(&"b".repeat(100_000));
    sent.push_str(&format!(" HTTP/1.1\r\nHost: {address}\r\n\r\n"));
    stream.write_all(sent.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream).await;
    // The first request answers as always (no token: 401), then the 414.
    assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
    let second = answer.find("HTTP/1.1 414 URI Too Long\r\n").expect(&answer);
    let body = answer[second..].split("\r\n\r\n").nth(1).unwrap();
    let body: Value = serde_json::from_str(body).unwrap();
    assert!(is_json_error(&body, "uri_too_long"), "{body}");
    assert_eq!(answer.matches("HTTP/1.1 ").count(), 2, "{answer}");
}
