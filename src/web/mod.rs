//! The HTML face of Canopy: server-rendered pages, one module per area. Handlers
//! are thin: parse, check access, one domain call, render or redirect.

pub mod access;
pub mod account;
pub mod approvals;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod context;
pub mod csrf;
pub mod dashboard;
pub mod error;
pub mod grant_form;
pub mod groups;
pub mod import;
pub mod invitations;
pub mod layout;
pub mod membership;
pub mod org_privacy;
pub mod org_tree;
pub mod orgs;
pub mod outbox;
pub mod pager;
pub mod pick;
pub mod profile;
pub mod projects;
pub mod reports;
pub mod session;
pub mod sso;
pub mod switch_org;
pub mod teams;
pub mod timesheets;
pub mod two_factor;
pub mod users;
pub mod words;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

pub use context::{PageCtx, SignedIn};
pub use error::PageError;

/// Registers every page route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(csrf::MAX_FORM_BYTES)
            .error_handler(|err, _req| {
                PageError::Domain(crate::Error::BadRequest(format!(
                    "The form could not be read: {err}"
                )))
                .into()
            }),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, _| PageError::from(crate::Error::NotFound).into()),
    )
    .app_data(web::QueryConfig::default().error_handler(|err, _| {
        PageError::Domain(crate::Error::BadRequest(format!("Bad query: {err}"))).into()
    }))
    .service(assets::serve)
    .service(assets::favicon)
    .service(assets::accent)
    .service(assets::logo)
    .configure(auth::configure)
    .configure(sso::configure)
    .configure(dashboard::configure)
    .configure(profile::configure)
    .configure(two_factor::configure)
    .configure(invitations::configure)
    .configure(account::configure)
    .configure(outbox::configure)
    .configure(import::configure)
    .configure(orgs::configure)
    .configure(pick::configure)
    .configure(org_privacy::configure)
    .configure(users::configure)
    .configure(groups::configure)
    .configure(access::configure)
    .configure(projects::configure)
    .configure(teams::configure)
    .configure(timesheets::configure)
    .configure(approvals::configure)
    .configure(reports::configure)
    .configure(audit::configure)
    .configure(switch_org::configure);
}

/// The answer for any path no route claims.
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(crate::Error::NotFound.into())
}

/// Renders `template` as an HTML answer with `status`.
pub fn render(status: StatusCode, template: &impl Template) -> HttpResponse {
    match template.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(err) => {
            log::error!("template failed to render: {err}");
            HttpResponse::InternalServerError()
                .content_type("text/plain; charset=utf-8")
                .body("Something went wrong.")
        }
    }
}

/// A 200 page.
pub fn page(template: &impl Template) -> Result<HttpResponse, PageError> {
    Ok(render(StatusCode::OK, template))
}

/// 303 to `location` (after a successful POST).
/// A form's whole body (an upload), refused past the upload limit
/// (`multipart::MAX_BODY_BYTES`) as soon as it passes it.
pub async fn upload_body(payload: &mut web::Payload) -> Result<web::BytesMut, PageError> {
    use futures_util::StreamExt;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| PageError::PayloadTooLarge)?;
        if body.len() + chunk.len() > crate::http::multipart::MAX_BODY_BYTES {
            return Err(PageError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub fn see_other(location: &str) -> Result<HttpResponse, PageError> {
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// A local path to return to (after signing in, switching org, acting on a
/// week); anything else (`validate::is_local_path`: another host, `//evil`,
/// `/\evil`, control characters) falls back to the dashboard.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if crate::domain::validate::is_local_path(n) => n.into(),
        _ => "/".into(),
    }
}

/// The page number of a paged page's `?page=`: a whole number clamped to
/// `1..=MAX_PAGE` (one too big to hold is the last page); absent, blank, zero,
/// negative or garbage is page 1. Every paged page reads its number here and
/// skips [`crate::http::page_offset`] rows.
pub fn page_number(raw: Option<&str>) -> usize {
    use crate::http::MAX_PAGE;
    let text = raw.map(str::trim).unwrap_or_default();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    text.parse::<usize>().unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE)
}

/// True when htmx sent the request (it wants a fragment, not a page).
pub fn is_htmx(req: &HttpRequest) -> bool {
    req.headers().contains_key("HX-Request")
}

#[cfg(test)]
mod tests {
    use super::{page_number, safe_next};
    use crate::http::{MAX_PAGE, page_offset};

    #[test]
    fn page_numbers_are_clamped_and_offsets_never_overflow() {
        assert_eq!(page_number(None), 1);
        for one in ["", " ", "0", "-3", "abc", "1.5", "+2", "1e9"] {
            assert_eq!(page_number(Some(one)), 1, "{one:?}");
        }
        assert_eq!(page_number(Some(" 7 ")), 7);
        assert_eq!(page_number(Some("100000")), MAX_PAGE);
        assert_eq!(page_number(Some("200000000000000000")), MAX_PAGE);
        assert_eq!(page_number(Some(&"9".repeat(40))), MAX_PAGE);
        assert_eq!(page_offset(1, 50), 0);
        assert_eq!(page_offset(3, 25), 50);
        assert_eq!(page_offset(0, 25), 0);
        assert_eq!(page_offset(usize::MAX, 50), ((MAX_PAGE - 1) * 50) as i64);
        assert_eq!(page_offset(2, usize::MAX), i64::MAX);
    }

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/profile?x=1")), "/profile?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        for foreign in ["", "orgs", "/a\nb"] {
            assert_eq!(safe_next(Some(foreign)), "/", "{foreign:?}");
        }
        assert_eq!(safe_next(Some("/\t/evil.example")), "/");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/");
        assert_eq!(safe_next(Some("/ /evil.example")), "/");
        assert_eq!(safe_next(Some("/\u{1}")), "/");
        assert_eq!(safe_next(Some("/\u{7f}")), "/");
        assert_eq!(safe_next(Some("/caf\u{e9}")), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(3_000)))), "/");
        assert_eq!(safe_next(None), "/");
    }
}
