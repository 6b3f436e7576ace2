//! The development outbox: while SMTP is not configured, people who manage users
//! at the root read here the mail Canopy would have sent to the people they
//! manage, without the secret of any setup, activation or reset link
//! (`domain::mail::outbox`; `canopy mail show ID` prints a message whole). With
//! SMTP configured, or for anyone else, these pages do not exist (404).

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::layout::Layout;
use super::{PageError, SignedIn, page};
use crate::authz::Permission;
use crate::domain::ids::OrgId;
use crate::domain::mail::outbox::{self, REDACTED, Shown};
use crate::domain::org;
use crate::error::Error;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(show);
}

/// Messages the list shows.
const LIST_LIMIT: i64 = 100;

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    layout: Layout,
    messages: Vec<Shown>,
}

#[derive(Template)]
#[template(path = "admin/outbox_message.html")]
struct MessagePage {
    layout: Layout,
    m: crate::domain::mail::Queued,
    carried_link: bool,
    text: Vec<Segment>,
}

/// A piece of a plain-text body: text, or one of our own links (made clickable).
#[derive(Debug, PartialEq, Eq)]
enum Segment {
    Text(String),
    Link(String),
}

/// Splits `text` into runs of text and links to this Canopy (`base_url/…`).
/// Nothing else becomes a link: a name in a message cannot smuggle one in; nor
/// does a link whose secret was cut out.
fn linkify(text: &str, base_url: &str) -> Vec<Segment> {
    let prefix = format!("{base_url}/");
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (word, after) = rest.split_at(word_end);
        if word.starts_with(&prefix) && word.len() > prefix.len() && !word.contains(REDACTED) {
            if !plain.is_empty() {
                out.push(Segment::Text(std::mem::take(&mut plain)));
            }
            out.push(Segment::Link(word.to_string()));
        } else {
            plain.push_str(word);
        }
        let space_end = after
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(after.len());
        plain.push_str(&after[..space_end]);
        rest = &after[space_end..];
    }
    if !plain.is_empty() {
        out.push(Segment::Text(plain));
    }
    out
}

/// 404 unless the outbox is in use (no SMTP) and `me` manages users at the root;
/// the root's id otherwise.
async fn require_outbox(me: &SignedIn) -> Result<i64, PageError> {
    if me.ctx.state.config.smtp_url.is_some() {
        return Err(Error::NotFound.into());
    }
    let root = me.db().read(org::find_root).await?.ok_or(Error::NotFound)?;
    if !me.access.can(Permission::UserManage, root.id) {
        return Err(Error::NotFound.into());
    }
    Ok(root.id)
}

#[get("/admin/outbox")]
async fn list(me: SignedIn) -> Result<HttpResponse, PageError> {
    let root = require_outbox(&me).await?;
    let access = me.access.clone();
    let messages = me
        .db()
        .read(move |c| outbox::latest_visible(c, &access, root, LIST_LIMIT))
        .await?;
    page(&OutboxPage {
        layout: me.ctx.layout("Outbox", "")?,
        messages,
    })
}

#[get("/admin/outbox/{id}")]
async fn show(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let root = require_outbox(&me).await?;
    let (id, access) = (id.into_inner(), me.access.clone());
    let shown = me
        .db()
        .read(move |c| outbox::find_visible(c, &access, OrgId(root), id))
        .await?;
    let m = shown.message;
    let text = linkify(&m.body_text, &me.ctx.state.base_url);
    page(&MessagePage {
        layout: me.ctx.layout(m.subject.clone(), "")?,
        carried_link: shown.carried_link,
        m,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_links_become_links() {
        let base = "http://127.0.0.1:8080";
        let text = "Hello <b>Eve</b>,\n\nopen http://127.0.0.1:8080/activate/abc\n\
                    not http://evil.example/x nor javascript:alert(1) nor http://127.0.0.1:8080/\n";
        let segments = linkify(text, base);
        assert_eq!(
            segments,
            vec![
                Segment::Text("Hello <b>Eve</b>,\n\nopen ".into()),
                Segment::Link("http://127.0.0.1:8080/activate/abc".into()),
                Segment::Text(
                    "\nnot http://evil.example/x nor javascript:alert(1) nor http://127.0.0.1:8080/\n"
                        .into()
                ),
            ]
        );
        let rebuilt: String = segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) | Segment::Link(t) => t.as_str(),
            })
            .collect();
        assert_eq!(rebuilt, text);
        assert_eq!(linkify("", base), vec![]);
        let cut = "see http://127.0.0.1:8080/activate/\u{2026} now";
        assert_eq!(linkify(cut, base), vec![Segment::Text(cut.into())]);
        assert_eq!(linkify("  x", base), vec![Segment::Text("  x".into())]);
    }
}
