//! The outbox as a person reads it (the development outbox page): only mail to
//! people the reader manages, and never a link that works once.
//!
//! - A message is shown only when the reader holds `user.manage` over its
//!   recipient's home org, decided by the resolver, so a privacy border hides
//!   mail to the people behind it as it hides the people. A message to no user
//!   (none is written today) is shown to those who manage users at the root, the
//!   only ones who may open the outbox at all; one to a user who no longer
//!   exists, to nobody.
//! - Setup, activation and reset links ([`SECRET_LINK_PATHS`]) are single-use
//!   credentials: whoever reads one can take the account. Bodies are shown with
//!   the secret cut out of every such link ([`redact`]); the page says a link was
//!   sent and when. Only the recipient's mailbox and the server's own command
//!   line (`canopy mail show ID`) ever show the whole message.

use diesel::prelude::*;

use super::Queued;
use crate::authz::{Access, Permission};
use crate::db::{
    Conn,
    schema::{mail_outbox, users},
};
use crate::domain::ids::OrgId;
use crate::error::{Error, Result};

/// Paths whose last segment is a single-use secret: the setup, activation and
/// reset links. The access log leaves the secret out of these paths too.
pub const SECRET_LINK_PATHS: [&str; 3] = ["/setup/", "/activate/", "/reset-password/"];

/// What stands where a link's secret was.
pub const REDACTED: &str = "…";

/// A message as a reader may see it: bodies without link secrets.
#[derive(Clone, Debug)]
pub struct Shown {
    pub message: Queued,
    /// True when the message carried a single-use link (now cut out).
    pub carried_link: bool,
}

/// `text` with the secret of every setup, activation and reset link replaced by
/// [`REDACTED`], and whether there was one. Anything that follows such a path is
/// the secret up to the first character no token holds (tokens are letters and
/// digits), so neither the text nor the HTML part keeps a usable link.
pub fn redact(text: &str) -> (String, bool) {
    let mut out = String::with_capacity(text.len());
    let mut found = false;
    let mut rest = text;
    loop {
        let next = SECRET_LINK_PATHS
            .iter()
            .filter_map(|p| rest.find(p).map(|at| (at, p.len())))
            .min();
        let Some((at, len)) = next else {
            out.push_str(rest);
            return (out, found);
        };
        out.push_str(&rest[..at + len]);
        rest = &rest[at + len..];
        let secret_end = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        if secret_end > 0 {
            out.push_str(REDACTED);
            found = true;
        }
        rest = &rest[secret_end..];
    }
}

fn shown(mut message: Queued) -> Shown {
    let (text, in_text) = redact(&message.body_text);
    let (html, in_html) = redact(&message.body_html);
    message.body_text = text;
    message.body_html = html;
    Shown {
        message,
        carried_link: in_text || in_html,
    }
}

/// May `access` read `message`? `home` is its recipient's home org (`None`
/// when the recipient is gone).
fn may_read(access: &Access, root_id: i64, message: &Queued, home: Option<i64>) -> bool {
    match (message.user_id, home) {
        (None, _) => access.can(Permission::UserManage, root_id),
        (Some(_), Some(org)) => access.can(Permission::UserManage, org),
        (Some(_), None) => false,
    }
}

/// The home orgs of the recipients of `messages`.
fn homes(conn: &mut Conn, messages: &[Queued]) -> Result<std::collections::HashMap<i64, i64>> {
    let ids: Vec<i64> = messages.iter().filter_map(|m| m.user_id).collect();
    let mut map = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64)> = users::table
            .filter(users::id.eq_any(chunk))
            .select((users::id, users::org_id))
            .load(conn)?;
        map.extend(rows);
    }
    Ok(map)
}

/// The newest `limit` messages `access` may read, newest first, redacted.
/// Narrowed in SQL to recipients at home where the reader manages users
/// (`Access::org_scope`), so "the newest 100" are 100 the reader may see; the
/// resolver decides each row again.
pub fn latest_visible(
    conn: &mut Conn,
    access: &Access,
    root_id: i64,
    limit: i64,
) -> Result<Vec<Shown>> {
    use crate::domain::org::subtree_ids;
    let scope = access.org_scope(Permission::UserManage);
    let mut query = mail_outbox::table.into_boxed();
    if !scope.is_whole_tree(access.snapshot.tree()) {
        let managed = users::table
            .filter(users::org_id.eq_any(subtree_ids(scope.roots.clone())))
            .filter(users::org_id.ne_all(subtree_ids(scope.hidden.clone())))
            .select(users::id.nullable());
        query = query.filter(
            mail_outbox::user_id
                .is_null()
                .or(mail_outbox::user_id.eq_any(managed)),
        );
    }
    let messages: Vec<Queued> = query
        .order(mail_outbox::id.desc())
        .limit(limit)
        .select(Queued::as_select())
        .load(conn)?;
    let homes = homes(conn, &messages)?;
    Ok(messages
        .into_iter()
        .filter(|m| {
            let home = m.user_id.and_then(|u| homes.get(&u).copied());
            may_read(access, root_id, m, home)
        })
        .map(shown)
        .collect())
}

/// One message `access` may read, redacted; 404 when it does not exist or is
/// not theirs to read (the same answer).
pub fn find_visible(conn: &mut Conn, access: &Access, root_id: OrgId, id: i64) -> Result<Shown> {
    let root_id = root_id.0;
    let message = mail_outbox::table
        .find(id)
        .select(Queued::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound)?;
    let home = homes(conn, std::slice::from_ref(&message))?
        .get(&message.user_id.unwrap_or_default())
        .copied();
    if may_read(access, root_id, &message, home) {
        Ok(shown(message))
    } else {
        Err(Error::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn link_secrets_are_cut_out() {
        let (text, found) = redact(
            "open http://x:1/activate/AbC123 or <a href=\"http://x:1/reset-password/Zz9?y\">here</a>\n\
             or /setup/q1. Also /activate/ alone and http://x:1/timesheets/3",
        );
        assert!(found);
        assert_eq!(
            text,
            "open http://x:1/activate/… or <a href=\"http://x:1/reset-password/…?y\">here</a>\n\
             or /setup/…. Also /activate/ alone and http://x:1/timesheets/3"
        );
        assert_eq!(redact("no links"), ("no links".to_string(), false));
        assert_eq!(redact(""), (String::new(), false));
    }

    proptest! {
        #[test]
        fn no_token_survives(before in "\\PC{0,20}", token in "[A-Za-z0-9]{1,40}", after in "[ \"<?#\n].{0,10}") {
            for path in SECRET_LINK_PATHS {
                let text = format!("{before}http://h{path}{token}{after}");
                let (out, found) = redact(&text);
                prop_assert!(found);
                prop_assert!(!out.contains(&format!("{path}{token}")), "{out}");
            }
        }
    }
}
