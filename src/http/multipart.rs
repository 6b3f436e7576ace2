//! `multipart/form-data`, the little of it an upload form needs: the parts
//! of a body already read in full (and size-capped), each with its field
//! name, file name and bytes. Used by the CSRF check (the token is a field)
//! and by the logo upload; anything malformed reads as no parts.

use memchr::memmem;

/// Largest upload body read (a logo's limit and room for the form around
/// it): a larger file up to this is told so next to its field, beyond it 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Most parts a form body may have.
const MAX_PARTS: usize = 20;

/// One field of the form.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub data: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type, or none.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    param(params, "boundary").filter(|b| !b.is_empty() && b.len() <= 70)
}

/// True when the content type is `multipart/form-data`.
pub fn is_multipart(content_type: &str) -> bool {
    boundary(content_type).is_some()
}

/// The parts of `body`, or none when it is not well-formed multipart.
pub fn parse<'a>(content_type: &str, body: &'a [u8]) -> Option<Vec<Part<'a>>> {
    let boundary = boundary(content_type)?;
    let first = format!("--{boundary}");
    let between = format!("\r\n--{boundary}");
    let start = memmem::find(body, first.as_bytes())?;
    let mut rest = &body[start + first.len()..];
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Some(parts);
        }
        rest = rest.strip_prefix(b"\r\n")?;
        let head_end = memmem::find(rest, b"\r\n\r\n")?;
        let head = std::str::from_utf8(&rest[..head_end]).ok()?;
        let after = &rest[head_end + 4..];
        let end = memmem::find(after, between.as_bytes())?;
        let (name, filename) = disposition(head)?;
        parts.push(Part {
            name,
            filename,
            data: &after[..end],
        });
        if parts.len() > MAX_PARTS {
            return None;
        }
        rest = &after[end + between.len()..];
    }
}

/// The value of the text field `name`, if the body has it.
pub fn text_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    parse(content_type, body)?
        .into_iter()
        .find(|p| p.name == name && p.filename.is_none())
        .and_then(|p| String::from_utf8(p.data.to_vec()).ok())
}

/// `name` and `filename` of a part's `Content-Disposition: form-data`.
fn disposition(head: &str) -> Option<(String, Option<String>)> {
    head.split("\r\n").find_map(|line| {
        let (key, value) = line.split_once(':')?;
        if !key.trim().eq_ignore_ascii_case("content-disposition") {
            return None;
        }
        let (kind, params) = value.split_once(';')?;
        if !kind.trim().eq_ignore_ascii_case("form-data") {
            return None;
        }
        Some((param(params, "name")?, param(params, "filename")))
    })
}

fn param(params: &str, key: &str) -> Option<String> {
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TYPE: &str = "multipart/form-data; boundary=----x1";

    #[test]
    fn reads_fields_and_files() {
        let body = b"------x1\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n\
------x1\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\r\n------x1--\r\n";
        let parts = parse(TYPE, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].filename.as_deref(), Some("a.png"));
        assert_eq!(parts[1].data, b"\x89PNG\r\n");
        assert_eq!(text_field(TYPE, body, "csrf_token").as_deref(), Some("abc"));
        assert_eq!(text_field(TYPE, body, "logo"), None);
        assert!(parse(TYPE, b"garbage").is_none());
        assert!(parse("application/x-www-form-urlencoded", body).is_none());
        assert!(
            parse(
                TYPE,
                b"------x1\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end"
            )
            .is_none()
        );
    }
}
