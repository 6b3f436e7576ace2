//! How pages answer errors: a page with the right status. 500 logs the cause and
//! shows none of it; 404 is the answer for "not found" and "not yours" alike.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::error::Error;
use crate::http::{log_if_internal, status_of};

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Domain(#[from] Error),
    /// Sign-in needed: go to the sign-in page, then back to `next`.
    #[error("sign-in required")]
    SignInRequired { next: String },
    /// The form's CSRF token or origin did not check out.
    #[error("{0}")]
    Csrf(&'static str),
    #[error("request body too large")]
    PayloadTooLarge,
    /// The person's org requires two-factor sign-in and they have not set it
    /// up: every page but that one sends them there.
    #[error("two-factor sign-in must be set up first")]
    EnrollTwoFactor,
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        PageError::Domain(Error::internal(err))
    }
}

/// The status of a page shown with `errors`: 200 without any, else 422.
pub fn status_for(errors: &crate::error::FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// What a form handler does with a domain error: field messages (422) and a
/// duplicate (409) go back onto the form as they are, a conflict (409) as one
/// message on `conflict_field`; anything else is the error page. The caller
/// renders its form again with the status and messages.
pub fn form_errors(
    err: Error,
    conflict_field: &str,
) -> Result<(StatusCode, crate::error::FieldErrors), PageError> {
    match err {
        Error::Validation(e) => Ok((StatusCode::UNPROCESSABLE_ENTITY, e)),
        Error::Duplicate(e) => Ok((StatusCode::UNPROCESSABLE_ENTITY, e)),
        Error::Conflict { message, .. } => Ok((
            StatusCode::CONFLICT,
            crate::error::FieldErrors::of(conflict_field, message),
        )),
        e => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    details: Vec<(String, String)>,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::Domain(e) => status_of(e),
            PageError::SignInRequired { .. } | PageError::EnrollTwoFactor => StatusCode::SEE_OTHER,
            PageError::Csrf(_) => StatusCode::FORBIDDEN,
            PageError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignInRequired { next } = self {
            let target = format!("/sign-in?next={}", urlencode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, target))
                .finish();
        }
        if let PageError::EnrollTwoFactor = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, super::two_factor::ENROL_PAGE))
                .finish();
        }
        let status = self.status_code();
        let (title, message, details) = match self {
            PageError::Domain(err) => {
                log_if_internal(err);
                describe(err)
            }
            PageError::Csrf(why) => ("Request refused", (*why).to_string(), vec![]),
            PageError::PayloadTooLarge => (
                "Too large",
                "What you sent is larger than Canopy accepts.".to_string(),
                vec![],
            ),
            PageError::SignInRequired { .. } | PageError::EnrollTwoFactor => {
                unreachable!("handled above")
            }
        };
        let mut response = super::render(
            status,
            &ErrorPage {
                status: status.as_u16(),
                title,
                message,
                details,
            },
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(crate::error::RETRY_AFTER_SECS),
            );
        }
        response
    }
}

/// Title, message and field details shown for a domain error.
fn describe(err: &Error) -> (&'static str, String, Vec<(String, String)>) {
    let fields = |f: &crate::FieldErrors| {
        f.0.iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect::<Vec<_>>()
    };
    match err {
        Error::NotFound => (
            "Not found",
            "There is nothing here, or it is not yours to see.".into(),
            vec![],
        ),
        Error::Unauthenticated(m) => ("Sign-in needed", m.clone(), vec![]),
        Error::Forbidden(m) => ("Not allowed", m.clone(), vec![]),
        Error::Validation(f) => (
            "Check your input",
            "Some values need attention.".into(),
            fields(f),
        ),
        Error::Duplicate(f) => (
            "Already exists",
            "Some values are already taken.".into(),
            fields(f),
        ),
        Error::BadRequest(m) => ("Bad request", m.clone(), vec![]),
        Error::Conflict { message, .. } => ("Conflict", message.clone(), vec![]),
        Error::RateLimited => (
            "Too many attempts",
            "Too many attempts. Wait a few minutes and try again.".into(),
            vec![],
        ),
        Error::Pool(_) | Error::Busy(_) => (
            "Busy",
            "Canopy is too busy to answer right now. Please try again in a moment.".into(),
            vec![],
        ),
        Error::Database(_) | Error::Internal(_) => (
            "Something went wrong",
            "Canopy could not finish this request. It has been logged; please try again.".into(),
            vec![],
        ),
    }
}

/// Percent-encodes everything but unreserved characters and `/`.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
