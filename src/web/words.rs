//! How pages write dates and permissions, in one place for every template:
//! a date is a `<time>` with the ISO date in `datetime` and on hover, read
//! "30 Nov 2026" until `static/app.js` rewrites it in the person's own
//! locale (`Intl.DateTimeFormat`); a permission is its label with the code
//! as a hint. Templates call these with `|safe` (the text is built here
//! from dates and the fixed catalogue, never from input).

use chrono::{NaiveDate, NaiveDateTime};

use crate::authz::Permission;

/// A value a template hands over however deep in references its loop or
/// field access put it (`d`, `&d`, `&&d`).
pub trait Given<T> {
    fn given(&self) -> T;
}

macro_rules! given {
    ($($t:ty),*) => {$(
        impl Given<$t> for $t {
            fn given(&self) -> $t {
                *self
            }
        }
    )*};
}
given!(NaiveDate, NaiveDateTime, Permission);

impl<T, G: Given<T> + ?Sized> Given<T> for &G {
    fn given(&self) -> T {
        (**self).given()
    }
}

/// `<time datetime="2026-11-30" title="2026-11-30">30 Nov 2026</time>`.
pub fn date(d: impl Given<NaiveDate>) -> String {
    let d = d.given();
    format!(
        r#"<time datetime="{d}" title="{d}">{}</time>"#,
        d.format("%-d %b %Y")
    )
}

/// A moment (UTC) as a `<time>`: "30 Nov 2026 14:05", the exact time on hover.
pub fn datetime(t: impl Given<NaiveDateTime>) -> String {
    let t = t.given();
    format!(
        r#"<time datetime="{}" title="{} UTC">{}</time>"#,
        t.format("%Y-%m-%dT%H:%M:%SZ"),
        t.format("%Y-%m-%d %H:%M:%S"),
        t.format("%-d %b %Y %H:%M")
    )
}

/// `<abbr title="org.view">View organizations</abbr>`.
pub fn permission(p: impl Given<Permission>) -> String {
    let p = p.given();
    format!(r#"<abbr title="{}">{}</abbr>"#, p.name(), p.label())
}

/// A role's stored permission codes ("org.view,user.view") as labels with
/// their codes as hints; an unknown code is shown as it is, escaped.
pub fn permissions<S: AsRef<str>>(codes: S) -> String {
    codes
        .as_ref()
        .split([',', ' '])
        .filter(|c| !c.is_empty())
        .map(|c| match c.parse::<Permission>() {
            Ok(p) => permission(p),
            Err(_) => c
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_permissions_read_as_words_with_codes_on_hover() {
        let d: NaiveDate = "2026-11-30".parse().unwrap();
        assert_eq!(
            date(d),
            r#"<time datetime="2026-11-30" title="2026-11-30">30 Nov 2026</time>"#
        );
        assert_eq!(
            permissions("org.view,<b>"),
            r#"<abbr title="org.view">View organizations</abbr>, &lt;b&gt;"#
        );
    }
}
