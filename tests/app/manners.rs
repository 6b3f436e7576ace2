//! HTTP manners (issue 14, point 8): `HEAD` answers wherever `GET` does, with
//! the same status and headers and no body; `/favicon.ico` is served.

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode as S};

use crate::helpers::*;

/// Status, headers that must agree, and body length of one request.
async fn answer(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
) -> (S, Vec<(String, String)>, usize) {
    let mut request = client.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let kept = [
        CONTENT_TYPE.as_str(),
        LOCATION.as_str(),
        "x-content-type-options",
        "content-security-policy",
        "cache-control",
    ];
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| kept.contains(&name.as_str()))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_string()))
        .collect();
    headers.sort();
    let length = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let body = response.bytes().await.unwrap();
    headers.push((
        "content-length".into(),
        length.map_or(String::new(), |l| l.to_string()),
    ));
    (status, headers, body.len())
}

#[tokio::test]
async fn head_answers_like_get_with_the_same_headers_and_no_body() {
    let (app, _, token) = spawn_with_owner().await;
    let browser = app.signed_in_browser(ADMIN_EMAIL).await;
    let root = app.root_id().await;

    // Pages signed in and out, a redirect, a page that does not exist, the
    // API with and without a token, an id that does not exist.
    let pages = [
        "/sign-in".to_string(),
        "/".to_string(),
        "/orgs".to_string(),
        format!("/orgs/{root}"),
        "/orgs/999999".to_string(),
        "/no-such-page".to_string(),
        "/static/app.css".to_string(),
        "/healthz".to_string(),
    ];
    for path in &pages {
        for client in [&browser.client, &app.new_browser().client] {
            let url = app.url(path);
            let (get_status, get_headers, get_len) = answer(client, Method::GET, &url, None).await;
            let (status, headers, len) = answer(client, Method::HEAD, &url, None).await;
            assert_eq!(status, get_status, "HEAD {path}");
            assert_eq!(len, 0, "HEAD {path} sends no body");
            // A page's CSRF token differs per answer, so its length may too;
            // the headers otherwise agree.
            let without_length = |h: &[(String, String)]| {
                h.iter()
                    .filter(|(n, _)| n != "content-length")
                    .cloned()
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                without_length(&headers),
                without_length(&get_headers),
                "HEAD {path}"
            );
            if path.starts_with("/static/") {
                assert_eq!(headers, get_headers, "HEAD {path}: the same length too");
                assert!(get_len > 0);
            }
        }
    }
    for (path, with_token) in [
        ("/api/v1/me".to_string(), true),
        ("/api/v1/me".to_string(), false),
        (format!("/api/v1/orgs/{root}"), true),
        ("/api/v1/orgs/999999".to_string(), true),
        ("/api/v1/openapi.json".to_string(), false),
    ] {
        let url = app.url(&path);
        let token = with_token.then_some(token.as_str());
        let (get_status, get_headers, _) = answer(&app.client, Method::GET, &url, token).await;
        let (status, headers, len) = answer(&app.client, Method::HEAD, &url, token).await;
        assert_eq!(status, get_status, "HEAD {path}");
        assert_eq!(headers, get_headers, "HEAD {path}");
        assert_eq!(len, 0, "HEAD {path}");
    }
    // HEAD mirrors GET only: a form's POST target answers HEAD as its GET does.
    let (get_status, _, _) = answer(&app.client, Method::GET, &app.url("/sign-out"), None).await;
    let (status, _, _) = answer(&app.client, Method::HEAD, &app.url("/sign-out"), None).await;
    assert_eq!(status, get_status);
}

#[tokio::test]
async fn the_favicon_is_served_where_browsers_look_for_it() {
    let app = spawn_app().await;
    let (status, icon) = app.get_page("/favicon.ico").await;
    assert_eq!(status, S::OK);
    let (_, linked) = app.get_page("/static/favicon.svg").await;
    assert_eq!(icon, linked);
    assert!(icon.contains("<svg"), "{icon}");
    let response = app.get("/favicon.ico").await;
    assert_eq!(response.headers()[CONTENT_TYPE], "image/svg+xml");
}
