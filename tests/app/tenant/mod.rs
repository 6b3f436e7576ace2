//! Tenants' own face and a new customer in one pass (issue 14, points 2 and
//! 10): an org's logo (who may upload, which files, inherited, served),
//! mail branded by the recipient's home org, the orgs as a table, and the
//! guided "New customer" flow.

use reqwest::StatusCode;
use serde_json::json;

use crate::fixture::Tree;
use crate::helpers::*;

mod customer;
mod logo;
mod mail;
mod table;

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

impl Browser {
    /// Uploads `bytes` as the logo of `org` the way the settings tab's form
    /// does (multipart, with the CSRF token as a field).
    pub async fn upload_logo(
        &self,
        org: i64,
        filename: &str,
        mime: &str,
        bytes: &[u8],
    ) -> reqwest::Response {
        let token = self.csrf_token().await;
        let boundary = "----canopytest7MA4YWxk";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"{filename}\"\r\n\
             Content-Type: {mime}\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.client
            .post(self.url(&format!("/orgs/{org}/logo")))
            .header("origin", &self.address)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .expect("POST")
    }
}

/// The `src` of the shell's logo on `path`, if it shows one.
pub fn shell_logo(html: &str) -> Option<String> {
    let at = html.find("data-testid=\"brand-logo\"")?;
    let tag_start = html[..at].rfind("<img")?;
    let tag = &html[tag_start..at + 200.min(html.len() - at)];
    let src = tag.split("src=\"").nth(1)?;
    Some(src.split('"').next()?.to_string())
}

/// Sets branding settings at `org` through the API as `token`'s holder.
pub async fn brand(w: &Tree, org: i64, name: &str, accent: &str) {
    let body = json!({"display_name": name, "accent_color": accent});
    let (status, answer) = w
        .put_json(&w.ada, format!("/orgs/{org}/settings"), body)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
