//! SCIM error bodies (RFC 7644 §3.12): `status` as a string, `scimType` where
//! the RFC names one, `detail` in words. Domain errors map by kind.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::Error;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: StatusCode, scim_type: Option<&'static str>, detail: String) -> Self {
        ScimError {
            status,
            scim_type,
            detail,
        }
    }

    /// A 400 with `scim_type` (`invalidFilter`, `invalidValue`, `invalidSyntax`,
    /// `invalidPath`, `noTarget`, …).
    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail.into())
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            "This endpoint only answers GET.".into(),
        )
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.detail)
    }
}

/// Field messages as one sentence each, field first.
fn fields_text(fields: &crate::FieldErrors) -> String {
    fields
        .0
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<Error> for ScimError {
    fn from(err: Error) -> Self {
        crate::http::log_if_internal(&err);
        let status = crate::http::status_of(&err);
        match &err {
            Error::NotFound => Self::new(status, None, "Resource not found.".into()),
            Error::Validation(fields) => Self::bad("invalidValue", fields_text(fields)),
            Error::Duplicate(fields) => Self::new(status, Some("uniqueness"), fields_text(fields)),
            Error::BadRequest(m) => Self::bad("invalidSyntax", m.clone()),
            Error::Unauthenticated(m) | Error::Forbidden(m) => Self::new(status, None, m.clone()),
            Error::Conflict { message, .. } => Self::new(status, None, message.clone()),
            Error::RateLimited => Self::new(status, None, err.to_string()),
            _ if err.is_overload() => Self::new(status, None, "Too busy; try again.".into()),
            _ => Self::new(status, None, "Something went wrong on our side.".into()),
        }
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_str(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut answer = super::answer(self.status, &body);
        if self.status == StatusCode::UNAUTHORIZED {
            answer.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        answer
    }
}
