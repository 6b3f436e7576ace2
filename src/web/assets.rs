//! Static files, compiled into the binary so one file is the whole app.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use super::PageError;

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $type:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/static/", $path)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("vendor/pico.min.css", "text/css; charset=utf-8"),
    asset!("vendor/htmx.min.js", "text/javascript; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("bell.svg", "image/svg+xml"),
];

#[get("/static/{path:.*}")]
pub async fn serve(path: web::Path<String>) -> Result<HttpResponse, PageError> {
    Ok(answer(path.as_str())?)
}

/// `GET /favicon.ico`, where browsers, feed readers and bookmarks look without
/// reading the page: the same icon the pages link (an SVG; every current
/// browser takes it under that name).
#[get("/favicon.ico")]
pub async fn favicon() -> Result<HttpResponse, PageError> {
    Ok(answer("favicon.svg")?)
}

/// `GET /brand/accent-RRGGBB.css`: an org's accent colour as a stylesheet
/// (the shell links it; the policy allows no inline style). The colour is
/// the whole of what it says, so any one answers the same to anyone.
#[get("/brand/accent-{hex}.css")]
pub async fn accent(hex: web::Path<String>) -> Result<HttpResponse, PageError> {
    if !crate::domain::settings::is_hex_colour(&hex) {
        return Err(crate::Error::NotFound.into());
    }
    Ok(HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(format!(
            ":root {{ --canopy-accent: #{}; }}\n",
            hex.to_ascii_lowercase()
        )))
}

/// `GET /brand/logo/{org}-{hash}`: the logo that applies at `org`
/// (`domain::logo`), for someone who sees that org; a hash that is not the
/// logo there now is not found, so the address may be cached for good. Sent
/// with its sniffed type, `nosniff`, and a policy that runs nothing in it.
#[get("/brand/logo/{org:\\d+}-{hash:[0-9a-f]{16}}")]
pub async fn logo(
    me: super::SignedIn,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, PageError> {
    let (org, hash) = path.into_inner();
    let access = me.access.clone();
    let (content_type, bytes) = me
        .db()
        .read(move |conn| crate::domain::logo::served(conn, &access, org, &hash))
        .await?;
    let file = format!("inline; filename=\"logo.{}\"", content_type.extension());
    Ok(HttpResponse::Ok()
        .content_type(content_type.as_str())
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .insert_header((header::CONTENT_DISPOSITION, file))
        .insert_header(("Content-Security-Policy", "default-src 'none'; sandbox"))
        .body(bytes))
}

fn answer(path: &str) -> Result<HttpResponse, crate::Error> {
    let asset = ASSETS
        .iter()
        .find(|a| a.path == path)
        .ok_or(crate::Error::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(asset.body))
}
