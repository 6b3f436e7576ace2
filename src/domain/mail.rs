//! Mail. Every message Canopy sends is rendered from two templates (plain text and
//! HTML, under `templates/mail/`), written to the `mail_outbox` table inside the
//! transaction of the change that caused it, and logged (recipient and subject,
//! never the body: it may carry a link that works once). When SMTP is configured,
//! [`sender`] delivers the outbox; otherwise the messages stay there: the
//! development outbox page shows them without their link secrets ([`outbox`]),
//! and `canopy mail show ID` on the server's machine shows them whole.

pub mod outbox;
pub mod sender;

use askama::Template;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::{
    self, Conn,
    schema::{app_state, mail_outbox},
};
use crate::error::{Error, Result};

/// A rendered message: one recipient, a subject, and the same content twice
/// (`multipart/alternative`: plain text and HTML).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What an invitation says: to a new user, the link that activates their
/// account ([`Invite::to_new_user`]); to an existing account, the link to its
/// pending invitations to a role ([`Invite::to_role`]).
pub struct Invite<'a> {
    pub to: &'a str,
    pub name: &'a str,
    pub inviter: &'a str,
    pub org: &'a str,
    pub link: &'a str,
    /// How long the link works.
    pub days: i64,
    pub brand: &'a MailBrand,
}

/// The templates of an invitation's mails, each reading the [`Invite`] whole
/// (through `Deref`) and the subject as sent.
macro_rules! invite_mails {
    ($($name:ident = $path:tt;)*) => {$(
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            invite: &'a Invite<'a>,
            /// The HTML part's title (the text part has none).
            #[allow(dead_code)]
            subject: &'a str,
        }

        impl<'a> std::ops::Deref for $name<'a> {
            type Target = Invite<'a>;
            fn deref(&self) -> &Invite<'a> {
                self.invite
            }
        }
    )*};
}

invite_mails! {
    InvitationText = "mail/invitation.txt";
    InvitationHtml = "mail/invitation.html";
    GrantInvitationText = "mail/grant_invitation.txt";
    GrantInvitationHtml = "mail/grant_invitation.html";
}

#[derive(Template)]
#[template(path = "mail/password_reset.txt")]
struct ResetText<'a> {
    brand: &'a MailBrand,
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/password_reset.html")]
struct ResetHtml<'a> {
    brand: &'a MailBrand,
    subject: &'a str,
    name: &'a str,
    link: &'a str,
    minutes: i64,
}

#[derive(Template)]
#[template(path = "mail/notification.txt")]
struct NotificationText<'a> {
    brand: &'a MailBrand,
    name: &'a str,
    title: &'a str,
    body: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notification.html")]
struct NotificationHtml<'a> {
    brand: &'a MailBrand,
    subject: &'a str,
    name: &'a str,
    title: &'a str,
    body: &'a str,
    link: &'a str,
}

/// Canopy's own accent, where no org above the recipient set one.
pub const DEFAULT_ACCENT: &str = "#2f6b3b";

/// The name and colour a message wears: the effective `display_name` and
/// `accent_color` of the recipient's home org (`context::mail_brand`), else
/// Canopy's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailBrand {
    pub name: String,
    /// `#rrggbb`, checked (anything else is Canopy's).
    pub accent: String,
    /// True when an org named the brand: the subject then starts with it.
    pub custom: bool,
}

impl Default for MailBrand {
    fn default() -> Self {
        MailBrand {
            name: "Canopy".into(),
            accent: DEFAULT_ACCENT.into(),
            custom: false,
        }
    }
}

impl MailBrand {
    pub fn new(name: Option<String>, accent: Option<String>) -> MailBrand {
        let accent = accent
            .filter(|a| {
                a.strip_prefix('#')
                    .is_some_and(crate::domain::settings::is_hex_colour)
            })
            .map_or_else(|| DEFAULT_ACCENT.to_string(), |a| a.to_lowercase());
        match name {
            Some(name) => MailBrand {
                name,
                accent,
                custom: true,
            },
            None => MailBrand {
                accent,
                ..MailBrand::default()
            },
        }
    }

    /// The subject as sent: after the brand's name when an org set one.
    pub fn subject(&self, subject: &str) -> String {
        if self.custom {
            format!("{}: {subject}", self.name)
        } else {
            subject.to_string()
        }
    }
}

fn render(template: &impl Template) -> Result<String> {
    template.render().map_err(Error::internal)
}

impl Invite<'_> {
    /// "`inviter` invited you": the activation link for a new user of `org`.
    pub fn to_new_user(&self) -> Result<Message> {
        let subject = &self.brand.subject("You are invited to Canopy");
        let (invite, subject) = (self, subject.as_str());
        Message::rendered(
            self.to,
            subject,
            &InvitationText { invite, subject },
            &InvitationHtml { invite, subject },
        )
    }

    /// "`inviter` invited you to a role at `org`": a link to the pending
    /// invitations of an existing account, to accept or decline.
    pub fn to_role(&self) -> Result<Message> {
        let subject = &self.brand.subject("You are invited to a role in Canopy");
        let (invite, subject) = (self, subject.as_str());
        Message::rendered(
            self.to,
            subject,
            &GrantInvitationText { invite, subject },
            &GrantInvitationHtml { invite, subject },
        )
    }
}

impl Message {
    /// The message to `to` under `subject`, its two parts rendered.
    fn rendered(
        to: &str,
        subject: &str,
        text: &impl Template,
        html: &impl Template,
    ) -> Result<Message> {
        Ok(Message {
            to: to.to_string(),
            subject: subject.to_string(),
            text: render(text)?,
            html: render(html)?,
        })
    }

    /// A password reset link that works once, for `minutes`.
    pub fn password_reset(
        to: &str,
        name: &str,
        link: &str,
        minutes: i64,
        brand: &MailBrand,
    ) -> Result<Message> {
        let subject = &brand.subject("Reset your Canopy password");
        let text = ResetText {
            brand,
            name,
            link,
            minutes,
        };
        let html = ResetHtml {
            brand,
            subject,
            name,
            link,
            minutes,
        };
        Message::rendered(to, subject, &text, &html)
    }
}

impl Message {
    /// The mail twin of an in-app notification: its title, body and link.
    pub fn notification(
        to: &str,
        name: &str,
        title: &str,
        body: &str,
        link: &str,
        brand: &MailBrand,
    ) -> Result<Message> {
        let subject = &brand.subject(title);
        let text = NotificationText {
            brand,
            name,
            title,
            body,
            link,
        };
        let html = NotificationHtml {
            brand,
            subject,
            name,
            title,
            body,
            link,
        };
        Message::rendered(to, subject, &text, &html)
    }
}

/// Remembers the app's public base URL, so that mail written by any instance or
/// command links back to it.
pub fn set_public_url(conn: &mut Conn, url: &str) -> Result<()> {
    diesel::update(app_state::table.find(1))
        .set(app_state::public_url.eq(url.trim_end_matches('/')))
        .execute(conn)?;
    Ok(())
}

/// `path` (starting with `/`) as an absolute link to the running app.
pub fn public_link(conn: &mut Conn, path: &str) -> Result<String> {
    let base: String = app_state::table
        .find(1)
        .select(app_state::public_url)
        .first(conn)?;
    Ok(format!("{base}{path}"))
}

/// A message in the outbox, sent or not.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct Queued {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub user_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Adds `message` to the outbox, inside the caller's transaction, so it exists
/// exactly when the change that sends it does. Returns its id.
pub fn enqueue(conn: &mut Conn, message: &Message, user_id: Option<i64>) -> Result<i64> {
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::to_address.eq(&message.to),
            mail_outbox::subject.eq(&message.subject),
            mail_outbox::body_text.eq(&message.text),
            mail_outbox::body_html.eq(&message.html),
            mail_outbox::user_id.eq(user_id),
            mail_outbox::created_at.eq(db::now()),
            mail_outbox::attempts.eq(0),
        ))
        .returning(mail_outbox::id)
        .get_result(c))?;
    log::info!("mail #{id} queued for {}: {}", message.to, message.subject);
    Ok(id)
}

/// The newest `limit` messages, newest first, whole (links and all): for the
/// command line only; pages read [`outbox::latest_visible`].
pub fn latest(conn: &mut Conn, limit: i64) -> Result<Vec<Queued>> {
    Ok(mail_outbox::table
        .order(mail_outbox::id.desc())
        .limit(limit)
        .select(Queued::as_select())
        .load(conn)?)
}

/// One message, whole: for the command line only; pages read
/// [`outbox::find_visible`].
pub fn find(conn: &mut Conn, id: i64) -> Result<Queued> {
    Ok(mail_outbox::table
        .find(id)
        .select(Queued::as_select())
        .first(conn)?)
}

/// Messages for `user_id`, oldest first (tests and support read these).
pub fn for_user(conn: &mut Conn, user_id: i64) -> Result<Vec<Queued>> {
    Ok(mail_outbox::table
        .filter(mail_outbox::user_id.eq(user_id))
        .order(mail_outbox::id.asc())
        .select(Queued::as_select())
        .load(conn)?)
}

/// When a message that has had `attempts` delivery attempts is due for the next
/// one, counted from when it was queued: at once, then after 1, 5 and 15
/// minutes, 1, 3, 6, 12 and 24 hours, then once a day. It never gives up: a
/// message leaves the outbox only by being sent.
pub fn next_attempt_at(created_at: NaiveDateTime, attempts: i32) -> NaiveDateTime {
    const MINUTES: [i64; 9] = [0, 1, 5, 15, 60, 180, 360, 720, 1440];
    let n = usize::try_from(attempts).unwrap_or(0);
    let offset = match MINUTES.get(n) {
        Some(m) => Duration::minutes(*m),
        None => Duration::days((n - MINUTES.len() + 2) as i64),
    };
    created_at + offset
}

/// Up to `limit` unsent messages whose next attempt is due at `now`; fresh ones
/// first, so a backlog of failing messages never holds up new mail.
pub fn due(conn: &mut Conn, now: NaiveDateTime, limit: usize) -> Result<Vec<Queued>> {
    let candidates: Vec<(i64, NaiveDateTime, i32)> = mail_outbox::table
        .filter(mail_outbox::sent_at.is_null())
        .order((mail_outbox::attempts.asc(), mail_outbox::id.asc()))
        .limit(500)
        .select((
            mail_outbox::id,
            mail_outbox::created_at,
            mail_outbox::attempts,
        ))
        .load(conn)?;
    let ids: Vec<i64> = candidates
        .into_iter()
        .filter(|(_, created, attempts)| next_attempt_at(*created, *attempts) <= now)
        .map(|(id, _, _)| id)
        .take(limit)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_outbox::table
        .filter(mail_outbox::id.eq_any(ids))
        .order(mail_outbox::id.asc())
        .select(Queued::as_select())
        .load(conn)?)
}

/// Takes the next delivery attempt of `message`: counts it, unless another sender
/// (another app instance) took it first or the message was sent meanwhile.
pub fn claim_attempt(conn: &mut Conn, message: &Queued) -> Result<bool> {
    let updated = diesel::update(
        mail_outbox::table
            .find(message.id)
            .filter(mail_outbox::attempts.eq(message.attempts))
            .filter(mail_outbox::sent_at.is_null()),
    )
    .set(mail_outbox::attempts.eq(mail_outbox::attempts + 1))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn mark_sent(conn: &mut Conn, id: i64) -> Result<()> {
    diesel::update(mail_outbox::table.find(id))
        .set(mail_outbox::sent_at.eq(Some(db::now())))
        .execute(conn)?;
    Ok(())
}

/// Keeps why the last attempt failed; the message stays unsent for the next one.
pub fn mark_failed(conn: &mut Conn, id: i64, error: &str) -> Result<()> {
    let error: String = error.chars().take(1000).collect();
    diesel::update(mail_outbox::table.find(id))
        .set(mail_outbox::last_error.eq(Some(error)))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parts_carry_the_link_and_html_escapes_names() {
        let m = Invite {
            to: "eve@example.com",
            name: "<b>Eve</b> & co",
            inviter: "Ada \"Admin\"",
            org: "Acme <Ltd>",
            link: "https://canopy.example.com/activate/abc?x=1&y=2",
            days: 7,
            brand: &MailBrand::default(),
        }
        .to_new_user()
        .unwrap();
        assert_eq!(m.to, "eve@example.com");
        assert!(m.text.contains("<b>Eve</b> & co"), "{}", m.text);
        assert!(
            m.text
                .contains("https://canopy.example.com/activate/abc?x=1&y=2")
        );
        assert!(m.text.contains("7 days"));
        // Askama escapes with numeric character references.
        assert!(
            m.html.contains("&#60;b&#62;Eve&#60;/b&#62; &#38; co"),
            "{}",
            m.html
        );
        assert!(m.html.contains("Acme &#60;Ltd&#62;"));
        assert!(!m.html.contains("<b>"));
        assert!(
            m.html
                .contains("href=\"https://canopy.example.com/activate/abc?x=1&#38;y=2\"")
        );
        assert!(m.html.contains("<title>You are invited to Canopy</title>"));

        let r = Message::password_reset(
            "eve@example.com",
            "Eve",
            "http://x/reset-password/t",
            60,
            &MailBrand::default(),
        )
        .unwrap();
        assert!(r.text.contains("http://x/reset-password/t"));
        assert!(r.text.contains("60 minutes"));
        assert!(r.html.contains("href=\"http://x/reset-password/t\""));
    }

    #[test]
    fn attempts_back_off_and_never_stop() {
        let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0)
            .unwrap()
            .naive_utc();
        let at = |n| next_attempt_at(t0, n) - t0;
        assert_eq!(at(0), Duration::zero());
        assert_eq!(at(1), Duration::minutes(1));
        assert_eq!(at(4), Duration::hours(1));
        assert_eq!(at(8), Duration::days(1));
        assert_eq!(at(9), Duration::days(2));
        assert_eq!(at(20), Duration::days(13));
        for n in 0..40 {
            assert!(at(n + 1) > at(n), "attempt {n}");
        }
        assert_eq!(at(-3), Duration::zero());
    }
}
