//! `/scim/v2`: SCIM 2.0 (RFC 7643/7644) for identity providers, the wire side
//! only: bearer authentication by a SCIM token, JSON in and out
//! (`application/scim+json`), filters, paging, PATCH operations and SCIM
//! error bodies. What may be done and how a user or group maps onto Canopy's
//! is decided in `domain::scim`. Token-only like `/api/`: cookies are never
//! read here, so there is no CSRF surface.

mod auth;
mod discovery;
mod error;
mod filter;
mod groups;
mod patch;
mod resource;
mod search;
mod users;

use actix_web::{HttpResponse, web};
use serde_json::Value;

pub use auth::ScimCaller;
pub use error::ScimError;

/// The media type of every SCIM answer (RFC 7644 §3.1).
pub const CONTENT_TYPE: &str = "application/scim+json";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The largest body read (as the API's).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// The most resources one list answer holds (`count` above it is cut).
pub const MAX_COUNT: i64 = 200;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ScimError::bad("invalidValue", format!("Bad query string: {err}")).into()
            }))
            .configure(discovery::configure)
            // Before `/Users/{id}`, which would take `/Users/.search`.
            .configure(search::configure)
            .configure(users::configure)
            .configure(groups::configure)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(ScimError::from(crate::Error::NotFound))
            })),
    );
}

/// An answer with a SCIM body.
pub fn answer(status: actix_web::http::StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(CONTENT_TYPE)
        .body(body.to_string())
}

/// One resource's answer: its JSON (`body`, projected), `ETag` from its row
/// `version` and, once created, `Location`.
pub fn one_resource(
    status: actix_web::http::StatusCode,
    body: Value,
    version: i64,
    projection: &resource::Projection,
) -> HttpResponse {
    use actix_web::http::header;
    let mut answered = answer(status, &projection.apply(body.clone()));
    let headers = answered.headers_mut();
    if let Ok(v) = header::HeaderValue::from_str(&resource::etag(version)) {
        headers.insert(header::ETAG, v);
    }
    if status == actix_web::http::StatusCode::CREATED
        && let Some(Ok(loc)) = body["meta"]["location"]
            .as_str()
            .map(header::HeaderValue::from_str)
    {
        headers.insert(header::LOCATION, loc);
    }
    answered
}

/// A request body as JSON (either `application/scim+json` or
/// `application/json`; RFC 7644 §3.1), or a SCIM `invalidSyntax`.
pub fn body_json(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("The body is not JSON: {e}")))
}

/// A resource id from the path: Canopy's ids are numbers, and anything else
/// is no resource at all.
pub fn parse_id(raw: &str) -> Result<i64, ScimError> {
    raw.parse::<i64>()
        .map_err(|_| ScimError::from(crate::Error::NotFound))
}
