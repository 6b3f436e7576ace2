//! An org's logo: an image an admin with `org.settings` uploads, checked by
//! its content (PNG, JPEG, GIF or WebP by their magic bytes, at most
//! [`MAX_BYTES`]; never SVG, which can carry script), kept in the database
//! (every instance serves it) and inherited down the tree like the branding
//! settings: an org's effective logo is its own, else its nearest ancestor's.
//! It is served at `/brand/logo/{org}-{hash}` (`web::assets::logo`): the
//! hash names the bytes, so a new logo is a new address.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::authz::{Access, Permission};
use crate::db::{
    self, Conn,
    schema::{org_closure, org_logos},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::error::{Error, FieldErrors, Result};

/// The largest logo accepted: 256 KiB.
pub const MAX_BYTES: usize = 256 * 1024;

/// The form field a logo comes in (and its messages go next to).
pub const FIELD: &str = "logo";

crate::text_enum! {
    /// The image types a logo may be (`org_logos.content_type`), told by
    /// their first bytes ([`sniff`]).
    pub enum ImageType {
        Png = "image/png",
        Jpeg = "image/jpeg",
        Gif = "image/gif",
        Webp = "image/webp",
    }
}

impl ImageType {
    /// The file extension the logo is served under.
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpg",
            ImageType::Gif => "gif",
            ImageType::Webp => "webp",
        }
    }
}

/// What the content says the file is, whatever its name or the type the
/// client claimed, if it is one a logo may be.
pub fn sniff(bytes: &[u8]) -> Option<ImageType> {
    Some(if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ImageType::Png
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        ImageType::Jpeg
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ImageType::Gif
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ImageType::Webp
    } else {
        return None;
    })
}

/// Checks an uploaded file: its content type, or a message for the field.
pub fn check(bytes: &[u8]) -> std::result::Result<ImageType, String> {
    if bytes.is_empty() {
        return Err("Choose an image file to upload.".into());
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "The logo is {} KB; it may be at most {} KB.",
            bytes.len().div_ceil(1024),
            MAX_BYTES / 1024
        ));
    }
    if let Some(kind) = sniff(bytes) {
        return Ok(kind);
    }
    let start = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_lowercase();
    if start.contains("<svg")
        || start
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('<')
    {
        return Err(
            "SVG and other markup cannot be a logo (it can carry script): upload a PNG, JPEG, GIF or WebP image."
                .into(),
        );
    }
    Err("This file is not a PNG, JPEG, GIF or WebP image.".into())
}

/// The first 16 hex digits of the bytes' SHA-256: the logo's name in its URL.
pub fn hash_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))[..16].to_string()
}

/// The logo that applies at `org_id`: the org that set it (`org_id` or its
/// nearest ancestor with one) and its hash.
pub fn effective(conn: &mut Conn, org_id: i64) -> Result<Option<(i64, String)>> {
    Ok(org_logos::table
        .inner_join(org_closure::table.on(org_closure::ancestor_id.eq(org_logos::org_id)))
        .filter(org_closure::descendant_id.eq(org_id))
        .order(org_closure::depth.asc())
        .select((org_logos::org_id, org_logos::hash))
        .first(conn)
        .optional()?)
}

/// The address of the logo that applies at `org_id`, if any.
pub fn url_at(conn: &mut Conn, org_id: i64) -> Result<Option<String>> {
    Ok(effective(conn, org_id)?.map(|(_, hash)| url(org_id, &hash)))
}

/// `/brand/logo/{org}-{hash}`: the logo as seen from `org_id`.
pub fn url(org_id: i64, hash: &str) -> String {
    format!("/brand/logo/{org_id}-{hash}")
}

/// The image behind `url(org_id, hash)`, for someone who sees `org_id`:
/// its content type and bytes. Anything else (an org one may not see, a
/// hash that is not the logo there now) is not found.
pub fn served(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    hash: &str,
) -> Result<(ImageType, Vec<u8>)> {
    if !access.can(Permission::OrgView, org_id) {
        return Err(Error::NotFound);
    }
    let Some((owner, current)) = effective(conn, org_id)? else {
        return Err(Error::NotFound);
    };
    if current != hash {
        return Err(Error::NotFound);
    }
    Ok(org_logos::table
        .find(owner)
        .select((org_logos::content_type, org_logos::bytes))
        .first(conn)?)
}

/// The hash of the logo set at `org_id` itself (not inherited), if any.
pub fn own(conn: &mut Conn, org_id: i64) -> Result<Option<String>> {
    Ok(org_logos::table
        .find(org_id)
        .select(org_logos::hash)
        .first(conn)
        .optional()?)
}

/// May the person change `org_id`'s logo? `org.settings` there: 404 when
/// they do not see the org, 403 when they see it without the permission.
pub fn require_may_change(access: &Access, org_id: i64) -> Result<()> {
    crate::domain::settings::require_may_change(access, org_id, &[])
}

/// Sets `org_id`'s logo as a person: [`require_may_change`], then the file
/// [`check`]ed; a bad file changes nothing. Audited as `org.logo_set`.
pub fn set_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    org_id: i64,
    bytes: &[u8],
) -> Result<String> {
    require_may_change(access, org_id)?;
    let content_type = check(bytes).map_err(|m| FieldErrors::single(FIELD, m))?;
    let hash = hash_of(bytes);
    diesel::delete(org_logos::table.find(org_id)).execute(conn)?;
    diesel::insert_into(org_logos::table)
        .values((
            org_logos::org_id.eq(org_id),
            org_logos::content_type.eq(content_type),
            org_logos::hash.eq(&hash),
            org_logos::bytes.eq(bytes),
            org_logos::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("org.logo_set", Target::Org, Some(org_id))
            .org(org_id)
            .after(json!({"logo": hash, "type": content_type, "bytes": bytes.len()})),
    )?;
    Ok(hash)
}

/// Removes `org_id`'s own logo as a person (it inherits again); removing
/// none is a no-op. Audited as `org.logo_removed`.
pub fn remove_as(conn: &mut Conn, access: &Access, actor: &Actor, org_id: i64) -> Result<()> {
    require_may_change(access, org_id)?;
    let Some(hash) = own(conn, org_id)? else {
        return Ok(());
    };
    diesel::delete(org_logos::table.find(org_id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("org.logo_removed", Target::Org, Some(org_id))
            .org(org_id)
            .before(json!({"logo": hash})),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_the_type() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageType::Png));
        assert_eq!(sniff(&[0xff, 0xd8, 0xff, 0xe0]), Some(ImageType::Jpeg));
        assert_eq!(sniff(b"GIF89a.."), Some(ImageType::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageType::Webp));
        assert_eq!(sniff(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert!(
            check(b"<?xml version='1.0'?><svg/>")
                .unwrap_err()
                .contains("SVG")
        );
        assert!(check(b"hello").unwrap_err().contains("not a PNG"));
        assert!(check(b"").is_err());
        let big = [b"\x89PNG\r\n\x1a\n".as_slice(), &vec![0; MAX_BYTES]].concat();
        assert!(check(&big).unwrap_err().contains("at most 256 KB"));
        assert_eq!(hash_of(b"a").len(), 16);
    }
}
