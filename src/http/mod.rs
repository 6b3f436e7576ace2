//! What the two HTTP faces (`web` pages and the `api`) share: the app state, the
//! status each domain error answers with, the client's address and the security
//! headers every answer carries.

pub mod download;
pub mod guard;
pub mod head;
pub mod input;
pub mod multipart;

use std::net::{IpAddr, SocketAddr};

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::DefaultHeaders;

use crate::authz::AuthzStore;
use crate::config::Config;
use crate::db::Db;
use crate::error::Error;

/// Shared by every request handler (behind `web::Data`).
pub struct AppState {
    pub config: Config,
    pub db: Db,
    /// A bcrypt hash at the configured cost, verified against for unknown emails.
    pub dummy_hash: String,
    /// Where people reach this instance (public URL, or the bound address).
    pub base_url: String,
    /// The resolver's current snapshot, refreshed at each request.
    pub authz: AuthzStore,
    /// Single sign-on providers' discovery documents and keys, cached.
    pub sso: std::sync::Arc<crate::domain::sso::oidc::Providers>,
}

/// The HTTP status a domain error answers with, for pages and API alike.
pub fn status_of(err: &Error) -> StatusCode {
    match err {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Duplicate(_) | Error::Conflict { .. } => StatusCode::CONFLICT,
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Error::Pool(_) | Error::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
        Error::Database(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The highest page number any paged list (page or API) goes to: with at most
/// 200 rows a page that is 20 million rows in, and offsets stay far from
/// overflowing on either database.
pub const MAX_PAGE: usize = 100_000;

/// The rows before page `page` (from 1) of `per_page` rows, as an SQL offset.
/// Pages past [`MAX_PAGE`] count as the last one; nothing overflows.
pub fn page_offset(page: usize, per_page: usize) -> i64 {
    let before = page.clamp(1, MAX_PAGE) - 1;
    i64::try_from(before.saturating_mul(per_page)).unwrap_or(i64::MAX)
}

/// Logs an error that is the server's fault; the person sees none of it.
pub fn log_if_internal(err: &Error) {
    if err.is_overload() {
        log::warn!("{err}");
    } else if err.is_internal() {
        log::error!("{err}");
    }
}

/// The app's state and the secret of the request's `Authorization: Bearer …`
/// header, or 401 saying what to send (`what`: the kind of token). The API's
/// and SCIM's extractors both start here.
pub fn bearer_request(
    req: &HttpRequest,
    what: &str,
) -> Result<(actix_web::web::Data<AppState>, String), Error> {
    let state = req
        .app_data::<actix_web::web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| Error::internal("app state missing"))?;
    let secret = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string())
        .ok_or_else(|| Error::Unauthenticated(format!("send Authorization: Bearer <{what}>")))?;
    Ok((state, secret))
}

/// The address a request came from: the peer, or, when Canopy runs behind a
/// trusted proxy, the address that proxy saw (see [`forwarded_client`]).
pub fn client_ip(req: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy && let Some(ip) = forwarded_client(req.headers()) {
        return ip.to_string();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The right-most `X-Forwarded-For` entry: the one our proxy appended for the
/// peer it saw. Everything left of it came from the client and may be made
/// up, as may a `Forwarded` header (ignored: the proxy is expected to append to
/// `X-Forwarded-For`). Several headers count as one list, in order. `None`
/// when there is none or the last entry is not an address (then the peer's
/// own address is used).
pub fn forwarded_client(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers
        .get_all(header::X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .rfind(|entry| !entry.is_empty())?;
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Paths whose last segment is a single-use secret (setup, activation and reset
/// links): the access log shows the path without it.
use crate::domain::mail::outbox::SECRET_LINK_PATHS as SECRET_PATHS;

/// The request line for the access log (like `%r`), with link secrets left out.
pub fn logged_request_line(req: &actix_web::dev::ServiceRequest) -> String {
    let target = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    format!(
        "{} {} {:?}",
        req.method(),
        redact_secret_path(target),
        req.version()
    )
}

/// `/activate/abc…?x` becomes `/activate/…`; other paths stay as they are.
pub fn redact_secret_path(target: &str) -> String {
    match SECRET_PATHS.iter().find(|p| target.starts_with(**p)) {
        Some(prefix) => format!("{prefix}…"),
        None => target.to_string(),
    }
}

/// Security headers for every answer. The CSP allows no inline script or style;
/// `data:` images are Pico's inline SVG icons.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    ),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
];

/// The middleware adding [`SECURITY_HEADERS`] to every answer the app gives
/// (the connection guard adds them to its own 414, see [`guard`]).
pub fn security_headers() -> DefaultHeaders {
    SECURITY_HEADERS
        .into_iter()
        .fold(DefaultHeaders::new(), |headers, pair| headers.add(pair))
}

/// A CSV download named `name.csv` (reports, on pages and in the API alike).
pub fn csv_attachment(name: &str, body: String) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldErrors;

    #[test]
    fn the_client_is_the_hop_our_proxy_appended() {
        use actix_web::http::header::{HeaderName, HeaderValue};
        let headers = |pairs: &[(&str, &str)]| {
            let mut map = HeaderMap::new();
            for (k, v) in pairs {
                map.append(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            map
        };
        let client =
            |pairs: &[(&str, &str)]| forwarded_client(&headers(pairs)).map(|ip| ip.to_string());
        let xff = "x-forwarded-for";
        assert_eq!(
            client(&[(xff, "203.0.113.7")]).as_deref(),
            Some("203.0.113.7")
        );
        // What the client wrote itself is left of what the proxy appended.
        assert_eq!(
            client(&[(xff, "1.2.3.4, 10.0.0.1 , 203.0.113.7")]).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            client(&[(xff, "1.2.3.4"), (xff, "203.0.113.7")]).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            client(&[(xff, "203.0.113.7,")]).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            client(&[(xff, "2001:db8::1")]).as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            client(&[(xff, "[2001:db8::1]:443")]).as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(
            client(&[(xff, "203.0.113.7:5555")]).as_deref(),
            Some("203.0.113.7")
        );
        // `Forwarded` is the client's to write: ignored.
        assert_eq!(client(&[("forwarded", "for=1.2.3.4")]), None);
        assert_eq!(
            client(&[("forwarded", "for=1.2.3.4"), (xff, "203.0.113.7")]).as_deref(),
            Some("203.0.113.7")
        );
        // Not an address, or nothing: the peer is used instead.
        assert_eq!(client(&[(xff, "1.2.3.4, unknown")]), None);
        assert_eq!(client(&[(xff, " , ")]), None);
        assert_eq!(client(&[]), None);
    }

    #[test]
    fn link_secrets_stay_out_of_the_access_log() {
        assert_eq!(redact_secret_path("/activate/AbC123"), "/activate/…");
        assert_eq!(
            redact_secret_path("/reset-password/AbC123?x=1"),
            "/reset-password/…"
        );
        assert_eq!(redact_secret_path("/setup/AbC123"), "/setup/…");
        assert_eq!(redact_secret_path("/orgs/12?q=a"), "/orgs/12?q=a");
        assert_eq!(redact_secret_path("/forgot-password"), "/forgot-password");
    }

    #[test]
    fn domain_errors_map_to_the_documented_statuses() {
        assert_eq!(status_of(&Error::NotFound), StatusCode::NOT_FOUND);
        assert_eq!(
            status_of(&Error::Validation(FieldErrors::new())),
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(status_of(&Error::conflict("stale")), StatusCode::CONFLICT);
        assert_eq!(
            status_of(&Error::Duplicate(FieldErrors::new())),
            StatusCode::CONFLICT
        );
        assert_eq!(
            status_of(&Error::RateLimited),
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            status_of(&Error::from(diesel::result::Error::NotFound)),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status_of(&Error::internal("boom")),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
