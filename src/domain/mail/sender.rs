//! Delivers the outbox over SMTP (started by `startup` when `CANOPY_SMTP_URL` is
//! set). Every few seconds it takes the messages that are due, claims one attempt
//! each (so two app instances never make the same attempt), sends it as
//! `multipart/alternative`, and marks it sent or keeps the error for the next
//! attempt. Delivery is at least once: a crash between sending and marking sends
//! the message again, with the same `Message-ID`, so receivers can tell.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::{Queued, claim_attempt, due, mark_failed, mark_sent};
use crate::db::{self, Db};
use crate::error::{Error, Result};

/// How often the outbox is looked at.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// Longest wait for the SMTP server at each step, so one slow attempt never
/// overlaps the next scheduled one.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);
/// Messages sent per look at the outbox.
const BATCH: usize = 20;

/// Checks an SMTP URL the way the sender will use it: `smtp://host:port` (plain,
/// or `?tls=required` / `?tls=opportunistic` for STARTTLS) or `smtps://host:port`
/// (TLS from the start), with optional `user:password@`. The message never
/// repeats the URL, which may hold a password.
pub fn check_smtp_url(url: &str) -> std::result::Result<(), String> {
    if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
        return Err("must start with smtp:// or smtps://".into());
    }
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .map(|_| ())
        .map_err(|e| format!("is not a usable SMTP URL: {e}"))
}

/// Parses a sender address such as `Canopy <canopy@example.com>`.
pub fn parse_mailbox(raw: &str) -> std::result::Result<Mailbox, String> {
    raw.trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("expected an address like `Canopy <canopy@example.com>`: {e}"))
}

/// The SMTP connection settings and the sender address.
pub struct Sender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Sender {
    pub fn new(smtp_url: &str, from: &str) -> Result<Sender> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| Error::internal(format!("CANOPY_SMTP_URL is not usable: {e}")))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from =
            parse_mailbox(from).map_err(|e| Error::internal(format!("CANOPY_MAIL_FROM: {e}")))?;
        Ok(Sender { transport, from })
    }

    /// Delivers due messages forever. Errors are logged; the loop goes on.
    pub async fn run(self, db: Db) {
        log::info!("mail: delivering the outbox by SMTP");
        loop {
            if let Err(err) = self.deliver_due(&db).await {
                log::error!("mail: outbox delivery failed: {err}");
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// One look at the outbox: sends what is due, returns how many were sent.
    pub async fn deliver_due(&self, db: &Db) -> Result<usize> {
        let messages = db.read(|conn| due(conn, db::now(), BATCH)).await?;
        let mut sent = 0;
        for message in messages {
            let claimed = {
                let m = message.clone();
                db.write(move |conn| claim_attempt(conn, &m)).await?
            };
            if !claimed {
                continue;
            }
            let id = message.id;
            match self.send(&message).await {
                Ok(()) => {
                    db.write(move |conn| mark_sent(conn, id)).await?;
                    log::info!("mail #{id} sent to {}", message.to_address);
                    sent += 1;
                }
                Err(why) => {
                    log::warn!(
                        "mail #{id} to {} not sent (attempt {}): {why}",
                        message.to_address,
                        message.attempts + 1
                    );
                    db.write(move |conn| mark_failed(conn, id, &why)).await?;
                }
            }
        }
        Ok(sent)
    }

    async fn send(&self, message: &Queued) -> std::result::Result<(), String> {
        let email = self.build(message)?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The outbox row as an RFC 5322 message. The `Message-ID` and `Date` come
    /// from the row, so a repeated attempt sends the same message.
    fn build(&self, message: &Queued) -> std::result::Result<lettre::Message, String> {
        let to: Mailbox = message
            .to_address
            .parse()
            .map_err(|e| format!("recipient address refused: {e}"))?;
        let domain = self.from.email.domain();
        let message_id = format!(
            "<canopy.{}.{}@{domain}>",
            message.id,
            message.created_at.and_utc().timestamp()
        );
        lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .date(message.created_at.and_utc().into())
            .message_id(Some(message_id))
            .multipart(MultiPart::alternative_plain_html(
                message.body_text.clone(),
                message.body_html.clone(),
            ))
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_are_checked_without_repeating_them() {
        for ok in [
            "smtp://localhost:1025",
            "smtp://user:secret@mail.example.com:587?tls=required",
            "smtps://user:secret@mail.example.com",
        ] {
            assert!(check_smtp_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://mail.example.com",
            "mail.example.com:25",
            "smtp://user:secret@mail.example.com?tls=sometimes",
        ] {
            let err = check_smtp_url(bad).unwrap_err();
            assert!(!err.contains("secret"), "{err}");
        }
    }

    #[test]
    fn sender_addresses_parse() {
        assert!(parse_mailbox("Canopy <canopy@localhost>").is_ok());
        assert!(parse_mailbox("canopy@example.com").is_ok());
        assert!(parse_mailbox("not an address").is_err());
    }

    #[test]
    fn messages_are_multipart_with_a_stable_id() {
        let sender = Sender::new("smtp://localhost:1025", "Canopy <canopy@example.com>").unwrap();
        let row = Queued {
            id: 7,
            to_address: "eve@example.com".into(),
            subject: "Hello".into(),
            body_text: "plain body".into(),
            body_html: "<p>html body</p>".into(),
            user_id: None,
            created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0)
                .unwrap()
                .naive_utc(),
            sent_at: None,
            attempts: 0,
            last_error: None,
        };
        let raw = String::from_utf8(sender.build(&row).unwrap().formatted()).unwrap();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"));
        assert!(raw.contains("text/html"));
        assert!(raw.contains("Message-ID: <canopy.7.1700000000@example.com>"));
        assert!(raw.contains("To: eve@example.com"));
    }
}
