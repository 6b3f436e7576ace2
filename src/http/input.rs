//! The last line against text no field may hold: control characters other
//! than tab and line breaks (NUL above all: PostgreSQL cannot store it). Every
//! request's query string and every form or JSON body is checked before any
//! handler runs, so no such character reaches a parser, the log or the
//! database; the field parsers (`domain::validate`) then say what each field
//! allows. Query-string values are also bounded ([`MAX_QUERY_VALUE_CHARS`]).
//! A refusal names the field: 422 with the error page or the API's JSON error.
//! (A request line over 16 KiB never reaches the app: `http::guard` answers it
//! with 414.)

use actix_web::HttpMessage;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::Method;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::Value;

use crate::error::{Error, FieldErrors};

/// Why a request was refused before its handler.
#[derive(Debug)]
pub enum Refusal {
    /// A field holds a character no text may hold.
    Text(Error),
    /// The body is larger than `limit`, or could not be read.
    TooLarge,
}

/// A character no text input may hold: a control character other than tab,
/// line feed and carriage return.
pub fn refused_char(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

fn refusal(field: &str) -> Refusal {
    let name = if field.is_empty() { "The input" } else { field };
    Refusal::Text(FieldErrors::single(
        field,
        format!("{name} must not contain control characters (such as NUL)."),
    ))
}

/// The longest query-string value accepted, in characters: more than any
/// search, filter or return path needs (`next` is kept up to 2,000).
pub const MAX_QUERY_VALUE_CHARS: usize = 4096;

/// Checks the fields of a query string: no control characters, and no value
/// longer than [`MAX_QUERY_VALUE_CHARS`] (a search never runs on a novel).
pub fn check_query(raw: &[u8]) -> Result<(), Refusal> {
    check_urlencoded(raw)?;
    for (name, value) in form_urlencoded_pairs(raw) {
        if value.chars().count() > MAX_QUERY_VALUE_CHARS {
            return Err(Refusal::Text(FieldErrors::single(
                &name,
                format!("{name} must be at most {MAX_QUERY_VALUE_CHARS} characters."),
            )));
        }
    }
    Ok(())
}

/// Checks the fields of a query string or form body (decoded).
pub fn check_urlencoded(raw: &[u8]) -> Result<(), Refusal> {
    for (name, value) in form_urlencoded_pairs(raw) {
        if name.chars().any(refused_char) {
            return Err(refusal(""));
        }
        if value.chars().any(refused_char) {
            return Err(refusal(&name));
        }
    }
    Ok(())
}

fn form_urlencoded_pairs(raw: &[u8]) -> Vec<(String, String)> {
    // Lossy decoding never fails; invalid UTF-8 is for the extractor to refuse.
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(raw).unwrap_or_default()
}

/// Checks every string (and key) of a JSON body; one that does not parse is
/// left to the JSON extractor.
pub fn check_json(raw: &[u8]) -> Result<(), Refusal> {
    fn walk(value: &Value, path: &str) -> Result<(), Refusal> {
        match value {
            Value::String(s) if s.chars().any(refused_char) => Err(refusal(path)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .try_for_each(|(i, v)| walk(v, &join(path, &i.to_string()))),
            Value::Object(map) => map.iter().try_for_each(|(k, v)| {
                if k.chars().any(refused_char) {
                    Err(refusal(path))
                } else {
                    walk(v, &join(path, k))
                }
            }),
            _ => Ok(()),
        }
    }
    fn join(path: &str, key: &str) -> String {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(value) => walk(&value, ""),
        Err(_) => Ok(()),
    }
}

/// Reads the whole body of `req` (at most `limit` bytes); the caller puts it
/// back with `req.set_payload` when the request goes on.
pub async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, Refusal> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Refusal::TooLarge)?;
        if body.len() + chunk.len() > limit {
            return Err(Refusal::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Checks the query string and, for a form or JSON body, the body (read up to
/// `limit` bytes and put back).
pub async fn check(req: &mut ServiceRequest, limit: usize) -> Result<(), Refusal> {
    check_query(req.query_string().as_bytes())?;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let kind = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let form = kind.starts_with("application/x-www-form-urlencoded");
    let json = kind.starts_with("application/json") || kind.contains("+json");
    if !form && !json {
        return Ok(());
    }
    let body = read_body(req, limit).await?;
    let checked = if form {
        check_urlencoded(&body)
    } else {
        check_json(&body)
    };
    req.set_payload(Payload::from(body));
    checked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(r: Result<(), Refusal>) -> Option<String> {
        match r {
            Err(Refusal::Text(Error::Validation(f))) => f.0.keys().next().cloned(),
            _ => None,
        }
    }

    #[test]
    fn nul_and_other_controls_are_refused_tabs_and_line_breaks_kept() {
        assert!(check_urlencoded(b"q=a%09b&d=line%0D%0Anext&n=Zo%C3%AB").is_ok());
        assert_eq!(field_of(check_urlencoded(b"q=a%00b")).as_deref(), Some("q"));
        assert_eq!(
            field_of(check_urlencoded(b"x=1&q=%1B")).as_deref(),
            Some("q")
        );
        assert_eq!(
            field_of(check_urlencoded(b"q=%C2%85")).as_deref(),
            Some("q")
        );
        assert!(check_urlencoded(b"%00=1").is_err());
        let long = format!("x=1&q={}", "a".repeat(MAX_QUERY_VALUE_CHARS + 1));
        assert_eq!(field_of(check_query(long.as_bytes())).as_deref(), Some("q"));
        assert!(check_query(format!("q={}", "é".repeat(MAX_QUERY_VALUE_CHARS)).as_bytes()).is_ok());
        assert!(check_json(br#"{"name":"Zo\u00eb","d":"a\nb\tc"}"#).is_ok());
        assert_eq!(
            field_of(check_json(
                br#"{"cells":[{"note":"ok"},{"note":"a\u0000"}]}"#
            ))
            .as_deref(),
            Some("cells.1.note")
        );
        assert!(check_json(br#"{"a\u0001":1}"#).is_err());
        // Text that only looks like an escape is text.
        assert!(check_json(br#"{"d":"\\u0000"}"#).is_ok());
        assert!(check_json(b"not json\0").is_ok(), "left to the extractor");
    }
}
