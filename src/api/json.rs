//! JSON shapes of the API's objects (API.md "Objects carry at least"), and the
//! reader for optional JSON bodies.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::domain::user::User;
use crate::error::{Error, FieldErrors};

pub use crate::db::rfc3339 as time;

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = User)]
pub struct UserJson {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    /// `invited`, `active` or `deactivated`.
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_login_at: Option<String>,
    pub version: i64,
}

impl From<&User> for UserJson {
    fn from(u: &User) -> Self {
        UserJson {
            id: u.id,
            org_id: u.org_id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            job_title: u.job_title.clone(),
            status: u.status.to_string(),
            created_at: time(u.created_at),
            last_login_at: u.last_login_at.map(time),
            version: u.version,
        }
    }
}

/// A JSON body that may be left out: an empty (or blank) body means every
/// default. Anything else must be `application/json` (else 415), at most
/// [`super::MAX_JSON_BYTES`] (else 413) and well-formed JSON of the right shape
/// (else 400, or 422 for the wrong shape), so a body that cannot be read is
/// refused rather than taken as empty. Every refusal is the API's JSON error.
pub struct OptionalJson<T>(pub T);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Default + DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > super::MAX_JSON_BYTES as u64) {
                return Err(ApiError::PayloadTooLarge.into());
            }
            let raw = read_body(&mut payload, super::MAX_JSON_BYTES).await?;
            Ok(OptionalJson(optional_body(&raw, is_json)?))
        })
    }
}

/// True when the request says its body is JSON (`application/json`, or any
/// `+json` type), as actix's own `Json` extractor decides.
fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.subtype() == actix_web::mime::JSON || mime.suffix() == Some(actix_web::mime::JSON)
        }
        _ => false,
    }
}

/// The whole body, refused with 413 once it grows past `limit`.
async fn read_body(payload: &mut Payload, limit: usize) -> Result<BytesMut, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            PayloadError::Overflow => ApiError::PayloadTooLarge,
            other => ApiError::Domain(Error::BadRequest(format!(
                "the body could not be read: {other}"
            ))),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// For a PATCH field that may be null: absent is `None` (leave it), present is
/// `Some(value)` where the value may be `None` (empty it). Use with
/// `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// For a PATCH text field that may also come as a list (joined with commas)
/// or null (empty): absent is `None`. Use with
/// `#[serde(default, deserialize_with = "text_or_list")]`.
pub fn text_or_list<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::de::Error as _;
    use serde_json::Value;
    Ok(Some(match <Value as serde::Deserialize>::deserialize(d)? {
        Value::String(s) => s,
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        Value::Null => String::new(),
        _ => return Err(D::Error::custom("expected text")),
    }))
}

/// Reads an optional JSON body already in hand (see [`OptionalJson`]).
pub fn optional_body<T: Default + DeserializeOwned>(
    raw: &[u8],
    is_json: bool,
) -> Result<T, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    if !is_json {
        return Err(ApiError::UnsupportedMediaType);
    }
    serde_json::from_slice(raw).map_err(|e| {
        // Wrong shape only if the whole body is well-formed JSON; `{"a": "x"`
        // is malformed even though serde stops at the wrong type first.
        let well_formed = serde_json::from_slice::<serde::de::IgnoredAny>(raw).is_ok();
        ApiError::Domain(if e.is_data() && well_formed {
            FieldErrors::single("body", e.to_string())
        } else {
            Error::BadRequest(format!("malformed JSON: {e}"))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Body {
        flag: bool,
    }

    fn status(r: Result<Body, ApiError>) -> u16 {
        use actix_web::ResponseError;
        r.map(|_| 200).unwrap_or_else(|e| e.status_code().as_u16())
    }

    #[test]
    fn empty_means_defaults_and_anything_unreadable_is_refused() {
        assert_eq!(optional_body::<Body>(b"", false).unwrap(), Body::default());
        assert_eq!(
            optional_body::<Body>(b" \n", false).unwrap(),
            Body::default()
        );
        assert!(
            optional_body::<Body>(b"{\"flag\":true}", true)
                .unwrap()
                .flag
        );
        assert_eq!(status(optional_body(b"{\"flag\":true}", false)), 415);
        assert_eq!(status(optional_body(b"{\"flag\":", true)), 400);
        assert_eq!(status(optional_body(b"{\"flag\": \"x\"", true)), 400);
        assert_eq!(status(optional_body(b"\xff\xfe", true)), 400);
        assert_eq!(status(optional_body(b"{\"flag\":1}", true)), 422);
        assert_eq!(status(optional_body(b"[1]", true)), 422);
    }
}

/// `?version=` of a delete: refused with 409 when the record changed since.
#[derive(serde::Deserialize)]
pub struct VersionQuery {
    /// Refuse with 409 if it changed since this version.
    pub version: Option<i64>,
}
