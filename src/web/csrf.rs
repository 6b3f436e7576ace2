//! Cross-site request forgery protection for every page request that is not a
//! GET: the request must come from our own origin and carry the session's token,
//! as the `X-CSRF-Token` header (htmx) or the `csrf_token` form field. Checked in
//! one middleware so that no handler can forget it. The API is exempt: it takes
//! no cookies, only bearer tokens.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::Bytes;

use super::error::PageError;
use super::session::WebSession;
use crate::domain::secrets::constant_time_eq;
use crate::http::AppState;

/// Largest form body accepted on a page (the same limit the form extractor uses).
pub const MAX_FORM_BYTES: usize = 256 * 1024;
pub const FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";

pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    match verify(&mut req).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
        // Answered here, not raised: outer middleware (security headers) still
        // sees a response.
        Err(refusal) => Ok(req.error_response(refusal)),
    }
}

async fn verify(req: &mut ServiceRequest) -> Result<(), PageError> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // The API and SCIM take bearer tokens only and never read the cookie.
    if safe || req.path().starts_with("/api/") || req.path().starts_with("/scim/") {
        return Ok(());
    }
    check_origin(req)?;
    let expected = WebSession::from_request(req.request())
        .existing_csrf_token()
        .ok_or(PageError::Csrf(
            "Your session has expired. Go back, reload the page and try again.",
        ))?;
    let presented = match header_token(req) {
        Some(token) => token,
        None => {
            // An upload form (`multipart/form-data`) carries the token as a
            // field too, in a larger body.
            let kind = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let upload = crate::http::multipart::is_multipart(&kind);
            let limit = if upload {
                crate::http::multipart::MAX_BODY_BYTES
            } else {
                MAX_FORM_BYTES
            };
            let body = read_body(req, limit).await?;
            let token = if upload {
                crate::http::multipart::text_field(&kind, &body, FIELD)
            } else {
                form_token(&body)
            };
            req.set_payload(actix_web::dev::Payload::from(body));
            token.unwrap_or_default()
        }
    };
    if constant_time_eq(&presented, &expected) {
        Ok(())
    } else {
        Err(PageError::Csrf(
            "This form is out of date or did not come from Canopy. Go back, reload the page and try again.",
        ))
    }
}

fn header_token(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn form_token(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, PageError> {
    crate::http::input::read_body(req, limit)
        .await
        .map_err(|_| PageError::PayloadTooLarge)
}

/// The request's `Origin` (or, without one, its `Referer`) must be ours: the
/// configured public URL, or the host the request was sent to.
fn check_origin(req: &ServiceRequest) -> Result<(), PageError> {
    let refused = || PageError::Csrf("This request did not come from a Canopy page.");
    let claimed = match req.headers().get(header::ORIGIN) {
        Some(origin) => origin.to_str().map_err(|_| refused())?.to_string(),
        None => match req.headers().get(header::REFERER) {
            Some(referer) => origin_of(referer.to_str().map_err(|_| refused())?),
            // Neither header: a non-browser client. The token still has to match.
            None => return Ok(()),
        },
    };
    let ours = match req
        .app_data::<actix_web::web::Data<AppState>>()
        .and_then(|s| s.config.public_url.clone())
    {
        Some(public) => origin_of(&public),
        None => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
    };
    if claimed.eq_ignore_ascii_case(&ours) {
        Ok(())
    } else {
        Err(refused())
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_of_strips_path_and_query() {
        assert_eq!(
            origin_of("http://127.0.0.1:8080/sign-in?x=1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin_of("https://canopy.example.com"),
            "https://canopy.example.com"
        );
        assert_eq!(origin_of("garbage"), "");
    }

    #[test]
    fn form_token_is_found_among_fields() {
        assert_eq!(
            form_token(b"a=1&csrf_token=abc&b=2").as_deref(),
            Some("abc")
        );
        assert_eq!(form_token(b"a=1"), None);
        assert_eq!(form_token(&[0xff, 0xfe]), None);
    }
}
