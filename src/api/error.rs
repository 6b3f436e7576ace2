//! The API's error answers: `{"error": {"code", "message", "fields"?}}` with the
//! statuses API.md lists. Internal causes go to the log, never to the client.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::error::Error;
use crate::http::{log_if_internal, status_of};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] Error),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    /// An import's body that is not declared `text/csv`.
    #[error("not csv")]
    NotCsv,
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::Domain(Error::internal(err))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Domain(e) => status_of(e),
            ApiError::UnsupportedMediaType | ApiError::NotCsv => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let body = match self {
            ApiError::Domain(err) => {
                log_if_internal(err);
                body_of(err)
            }
            ApiError::UnsupportedMediaType => error_json(
                "unsupported_media_type",
                "send the body as application/json",
            ),
            ApiError::NotCsv => error_json("unsupported_media_type", "send the body as text/csv"),
            ApiError::PayloadTooLarge => error_json(
                "payload_too_large",
                "the body is larger than the API accepts",
            ),
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, crate::error::RETRY_AFTER_SECS));
        }
        response.json(body)
    }
}

/// The body of every error answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong. Some answers add more keys (a 409 on delete says what
/// blocks it in `blocking`, a code clash its `reason`).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({"code": "validation", "message": "invalid input", "fields": {"name": "Name is required."}}))]
pub struct ErrorDetail {
    /// `bad_request`, `unauthenticated`, `forbidden`, `not_found`, `conflict`,
    /// `duplicate`, `validation`, `payload_too_large`, `unsupported_media_type`,
    /// `uri_too_long`, `rate_limited`, `unavailable` or `internal`.
    code: String,
    message: String,
    /// A message per field, on `validation` and `duplicate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<std::collections::BTreeMap<String, String>>,
}

fn error_json(code: &str, message: &str) -> Value {
    json!(ErrorBody {
        error: ErrorDetail {
            code: code.into(),
            message: message.into(),
            fields: None,
        },
    })
}

fn body_of(err: &Error) -> Value {
    let (code, message, fields, extra) = match err {
        Error::NotFound => ("not_found", "not found".to_string(), None, None),
        Error::Unauthenticated(m) => ("unauthenticated", m.clone(), None, None),
        Error::Forbidden(m) => ("forbidden", m.clone(), None, None),
        Error::Validation(f) => ("validation", "invalid input".into(), Some(f), None),
        Error::Duplicate(f) => ("duplicate", "already exists".into(), Some(f), None),
        Error::BadRequest(m) => ("bad_request", m.clone(), None, None),
        Error::Conflict { message, details } => {
            ("conflict", message.clone(), None, details.clone())
        }
        Error::RateLimited => ("rate_limited", err.to_string(), None, None),
        Error::Pool(_) | Error::Busy(_) => (
            "unavailable",
            "the server is too busy right now; retry after the Retry-After seconds".to_string(),
            None,
            None,
        ),
        Error::Database(_) | Error::Internal(_) => {
            ("internal", "internal error".to_string(), None, None)
        }
    };
    let mut body = error_json(code, &message);
    if let Some(fields) = fields {
        body["error"]["fields"] = json!(fields.0);
    }
    if let Some(Value::Object(extra)) = extra {
        for (k, v) in extra {
            body["error"][k] = v;
        }
    }
    body
}
