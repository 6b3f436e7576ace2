use tokio::io::{AsyncReadExt, AsyncWriteExt, duplex};

use super::*;

fn long_line(path: &str, extra: usize) -> Vec<u8> {
    let mut line = format!("GET {path}?q=").into_bytes();
    line.resize(MAX_REQUEST_LINE + extra, b'a');
    line.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    line
}

/// Feeds `bytes` in pieces of `step`; the first verdict.
fn verdict(bytes: &[u8], step: usize) -> Option<bool> {
    let mut watch = Watch::default();
    bytes.chunks(step).find_map(|piece| watch.feed(piece))
}

#[test]
fn a_request_line_split_anywhere_is_followed() {
    let ok = b"GET /orgs?q=abc HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n\r\n";
    for step in [1, 2, 3, 7, ok.len()] {
        assert_eq!(verdict(ok, step), None, "{step}");
    }
    for step in [1, 5, 1000, 100_000] {
        assert_eq!(verdict(&long_line("/api/v1/orgs", 10), step), Some(true));
        assert_eq!(verdict(&long_line("/orgs", 10), step), Some(false));
    }
    // Exactly at the limit is still served; one byte more is not.
    let mut at_limit = b"GET /".to_vec();
    at_limit.resize(MAX_REQUEST_LINE - " HTTP/1.1".len(), b'a');
    at_limit.extend_from_slice(b" HTTP/1.1\r\n\r\n");
    assert_eq!(verdict(&at_limit, 1), None);
    at_limit.insert(5, b'a');
    assert_eq!(verdict(&at_limit, 1), Some(false));
    assert_eq!(verdict(&at_limit, at_limit.len()), Some(false));
}

#[test]
fn bodies_are_skipped_by_their_content_length() {
    // A body holds a long run with no line break: it is not a request line.
    let body = vec![b'x'; MAX_REQUEST_LINE * 2];
    let mut stream = format!(
        "POST /api/v1/orgs HTTP/1.1\r\nHost: x\r\ncontent-length:  {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    stream.extend_from_slice(&body);
    stream.extend_from_slice(b"\r\nGET /next HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
    for step in [1, 9, 4096, stream.len()] {
        assert_eq!(verdict(&stream, step), None, "{step}");
    }
    // ...and the request after it is watched again.
    stream.extend_from_slice(&long_line("/api/v1/users", 1));
    assert_eq!(verdict(&stream, 4096), Some(true));
}

#[test]
fn what_it_cannot_follow_turns_it_off() {
    let long = long_line("/api/v1/orgs", 10);
    for head in [
        "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 5\r\n folded\r\n\r\n",
        "GET /x HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
        "CONNECT host:443 HTTP/1.1\r\n\r\n",
        "GET /x HTTP/1.1\r\nno colon here\r\n\r\n",
    ] {
        let mut stream = head.as_bytes().to_vec();
        stream.extend_from_slice(&long);
        assert_eq!(verdict(&stream, 3), None, "{head}");
    }
    // Empty lines between requests are allowed for.
    let mut stream = b"\r\n\r\n".to_vec();
    stream.extend_from_slice(&long);
    assert_eq!(verdict(&stream, 3), Some(true));
}

#[test]
fn api_targets_are_told_from_pages() {
    assert!(targets_api(b"GET /api/v1/orgs?q=a"));
    assert!(targets_api(b"GET http://example.com/api/v1/orgs"));
    assert!(!targets_api(b"GET /apix/"));
    assert!(!targets_api(b"GET /orgs?next=/api/"));
    assert!(!targets_api(b"GET http://example.com"));
    assert!(!targets_api(b"GETGETGET"));
}

/// Runs `sent` through a guarded in-memory connection: what the server side
/// reads until the end, then (after its shutdown) what the client receives.
async fn through_guard(sent: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let (mut client, server) = duplex(1 << 20);
    let mut guarded = Guarded::new(server);
    let writer = tokio::spawn(async move {
        client.write_all(&sent).await.unwrap();
        client.shutdown().await.unwrap();
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        answer
    });
    let mut passed = Vec::new();
    let mut buf = [0u8; 1000]; // small reads: lines and bodies split across them
    loop {
        let n = guarded.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        passed.extend_from_slice(&buf[..n]);
    }
    guarded.shutdown().await.unwrap();
    drop(guarded);
    (passed, writer.await.unwrap())
}

#[tokio::test]
async fn keep_alive_requests_pass_through_untouched() {
    let mut sent = Vec::new();
    for (i, body) in ["", "a=1&b=2", &"z".repeat(30_000)].iter().enumerate() {
        sent.extend_from_slice(
            format!(
                "POST /api/v1/orgs/{i} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        );
    }
    let (passed, answer) = through_guard(sent.clone()).await;
    assert_eq!(passed, sent);
    assert!(answer.is_empty());
}

#[tokio::test]
async fn a_long_request_line_gets_a_414_with_a_body() {
    let mut sent = b"GET /api/v1/orgs HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    let first = sent.len();
    sent.extend_from_slice(&long_line("/api/v1/orgs", 100_000));
    let (passed, answer) = through_guard(sent.clone()).await;
    // The request before it passed whole; the long line never got through.
    assert!(passed.starts_with(&sent[..first]), "{}", passed.len());
    assert!(passed.len() < first + MAX_REQUEST_LINE + 2);
    let answer = String::from_utf8(answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\nconnection: close\r\n"));
    assert!(answer.contains("\r\nx-content-type-options: nosniff\r\n"));
    assert!(answer.contains("\r\ncontent-type: application/json\r\n"));
    let body = answer.split("\r\n\r\n").nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["error"]["code"], "uri_too_long");
    assert!(json["error"]["message"].is_string());
    assert!(answer.contains(&format!("content-length: {}\r\n", body.len())));

    let (_, page) = through_guard(long_line("/orgs", 1)).await;
    let page = String::from_utf8(page).unwrap();
    assert!(page.starts_with("HTTP/1.1 414 "), "{page}");
    assert!(page.contains("content-type: text/html; charset=utf-8\r\n"));
    assert!(page.contains("<h1>Address too long</h1>"));
}

#[tokio::test]
async fn chunked_requests_make_it_fail_open() {
    let mut sent = b"POST /api/v1/orgs HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    sent.extend_from_slice(&long_line("/api/v1/orgs", 100));
    let (passed, answer) = through_guard(sent.clone()).await;
    assert_eq!(passed, sent);
    assert!(answer.is_empty());
}
