//! The JSON API under `/api/v1` (see API.md). Authenticated by personal API tokens
//! only; cookies are ignored here, so there is no CSRF surface.

pub mod audit;
pub mod auth;
pub mod error;
pub mod grants;
pub mod groups;
pub mod import;
pub mod invitations;
pub mod json;
pub mod list;
pub mod me;
pub mod membership;
pub mod openapi;
pub mod orgs;
pub mod projects;
pub mod reports;
pub mod roles;
pub mod scim_tokens;
pub mod seats;
pub mod teams;
pub mod timesheets;
pub mod users;

use actix_web::error::JsonPayloadError;
use actix_web::web;

pub use auth::ApiUser;
pub use error::ApiError;

use crate::error::Error;

/// Largest JSON body the API reads.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(MAX_JSON_BYTES)
                    .error_handler(|err, _| json_error(err).into()),
            )
            .app_data(
                web::PathConfig::default()
                    .error_handler(|_, _| ApiError::Domain(Error::NotFound).into()),
            )
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::Domain(Error::BadRequest(format!("bad query string: {err}"))).into()
            }))
            .service(openapi::document)
            .service(me::show)
            .service(me::update)
            .configure(orgs::configure)
            .service(roles::list)
            .service(roles::create)
            .service(roles::update)
            .service(roles::remove)
            .configure(groups::configure)
            .configure(users::configure)
            .configure(invitations::configure)
            .configure(grants::configure)
            .configure(import::configure)
            .configure(scim_tokens::configure)
            .configure(seats::configure)
            .configure(projects::configure)
            .configure(teams::configure)
            .configure(timesheets::configure)
            .service(reports::show)
            .service(audit::list)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::Domain(Error::NotFound))
            })),
    );
}

/// Maps a JSON body that could not be read to the API's error answers.
fn json_error(err: JsonPayloadError) -> ApiError {
    match &err {
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        // Well-formed JSON of the wrong shape (missing field, wrong type):
        // an unknown field is named as the field, the rest under `body`.
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let message = e.to_string();
            ApiError::Domain(match unknown_field(&message) {
                Some((name, expected)) => {
                    crate::FieldErrors::single(name, format!("Unknown field.{expected}"))
                }
                None => crate::FieldErrors::single("body", message),
            })
        }
        _ => ApiError::Domain(Error::BadRequest(format!("malformed JSON: {err}"))),
    }
}

/// The name serde gives in "unknown field `name`, expected …", and what it
/// expected instead (" Expected one of `a`, `b`." or nothing).
fn unknown_field(message: &str) -> Option<(&str, String)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, after) = rest.split_once('`')?;
    if name.is_empty() {
        return None;
    }
    // serde_json ends its message with where in the text it stopped.
    let after = after.split(" at line ").next().unwrap_or_default();
    let expected = after
        .strip_prefix(", expected ")
        .map(|e| format!(" Expected {e}."))
        .unwrap_or_default();
    Some((name, expected))
}
