//! The org a person works in (the shell's context switcher) and the brand
//! the shell wears there.
//!
//! The context is a choice kept in the person's session, never a grant: it
//! holds only while they still administer the org (`org.settings`), and
//! pages use it only as where to start (the tree opens there, the settings
//! link points there); every page still decides through the resolver.

use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::mail::MailBrand;
use crate::domain::settings;
use crate::error::Result;

/// The org the person works in: `chosen` while they administer it, else the
/// highest org they administer (the root for its owner), else none.
pub fn working_org(access: &Access, chosen: Option<i64>) -> Option<i64> {
    if let Some(org) = chosen
        && access.can(Permission::OrgSettings, org)
    {
        return Some(org);
    }
    access.highest(Permission::OrgSettings)
}

/// The effective `display_name` (when not empty) and `accent_color` (when
/// set somewhere above the default) at `org_id`.
pub fn brand(conn: &mut Conn, org_id: i64) -> Result<(Option<String>, Option<String>)> {
    let mut name = None;
    let mut accent = None;
    for e in settings::effective(conn, org_id)? {
        match (e.key, e.value.as_str()) {
            ("display_name", Some(s)) if !s.trim().is_empty() => name = Some(s.trim().to_string()),
            ("accent_color", Some(s)) if e.source != settings::Source::Default => {
                accent = Some(s.to_string())
            }
            _ => {}
        }
    }
    Ok((name, accent))
}

/// The brand of mail to a person at home in `org_id`: the effective
/// `display_name` and `accent_color` there (`mail::MailBrand`).
pub fn mail_brand(conn: &mut Conn, org_id: i64) -> Result<MailBrand> {
    let (name, accent) = brand(conn, org_id)?;
    Ok(MailBrand::new(name, accent))
}

/// The root's mail brand: what a reset for an unknown address renders with
/// (the same work as for a real account, thrown away).
pub fn root_mail_brand(conn: &mut Conn) -> Result<MailBrand> {
    match crate::domain::org::find_root(conn)? {
        Some(root) => mail_brand(conn, root.id),
        None => Ok(MailBrand::default()),
    }
}

/// The shell's logo: its address and alt text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logo {
    pub src: String,
    pub alt: String,
}

/// The shell's logo at `org_id` (`domain::logo`): its address and alt text
/// (the brand's name, else the org's).
pub fn logo(conn: &mut Conn, org_id: i64, name: Option<&str>) -> Result<Option<Logo>> {
    let Some(src) = crate::domain::logo::url_at(conn, org_id)? else {
        return Ok(None);
    };
    let name = match name {
        Some(n) => n.to_string(),
        None => crate::domain::org::find(conn, org_id)?.name,
    };
    Ok(Some(Logo {
        src,
        alt: format!("{name} logo"),
    }))
}
