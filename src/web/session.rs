//! A typed view of the cookie session: which stored session it is (the random id
//! `domain::session` knows by its hash) with the user's session epoch, the CSRF
//! token, flash messages and a freshly created API token to show once.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use std::future::{Ready, ready};

use crate::domain::secrets;
use crate::domain::user::User;
use crate::error::Error;

const SESSION_ID: &str = "sid";
const SESSION_EPOCH: &str = "sep";
const CSRF: &str = "csrf";
const FLASHES: &str = "flash";
const NEW_TOKEN: &str = "new_token";
const NEW_SCIM_TOKEN: &str = "new_scim_token";
const CONTEXT_ORG: &str = "org";
const PENDING_CODE: &str = "p2f";
const MUST_ENROLL: &str = "enroll";
const RECOVERY_CODES: &str = "rcodes";
const SSO_STATE: &str = "sso";

/// How long the code step of a sign-in waits after the right password.
pub const CODE_STEP_SECONDS: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Flash {
    /// `success`, `info` or `error`.
    pub kind: String,
    pub message: String,
}

/// The most flash messages waiting at once (the newest are kept).
pub const MAX_FLASHES: usize = 3;
/// The most a flash message takes up in the cookie, as JSON.
pub const MAX_FLASH_BYTES: usize = 300;

/// `text` on one line (control characters become spaces), cut with `…` so
/// that it takes at most `max` bytes as a JSON string's contents.
fn bounded(text: &str, max: usize) -> String {
    let json_len = |c: char| match c {
        '"' | '\\' => 2,
        c => c.len_utf8(),
    };
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.chars().map(json_len).sum::<usize>() <= max {
        return line;
    }
    let room = max.saturating_sub('…'.len_utf8());
    let mut out = String::new();
    let mut used = 0;
    for c in line.chars() {
        used += json_len(c);
        if used > room {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub struct WebSession(Session);

impl WebSession {
    pub fn from_request(req: &HttpRequest) -> Self {
        WebSession(req.get_session())
    }

    fn insert(&self, key: &str, value: impl serde::Serialize) -> Result<(), Error> {
        self.0.insert(key, value).map_err(Error::internal)
    }

    fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Option<T> {
        // A cookie we cannot read is treated as absent: the person signs in again.
        self.0.get::<T>(key).ok().flatten()
    }

    /// Starts a signed-in session for `user`: `session_id` is the secret of the
    /// stored session (`domain::session::start`); the CSRF token is new too.
    pub fn sign_in(&self, user: &User, session_id: &str) -> Result<(), Error> {
        self.0.renew();
        self.0.clear();
        self.insert(SESSION_ID, session_id)?;
        self.insert(SESSION_EPOCH, user.session_epoch)?;
        self.insert(CSRF, secrets::random_token(32))
    }

    /// Ends the signed-in session: everything in it is forgotten and the cookie
    /// is replaced (it may still carry a flash message for the next page).
    pub fn sign_out(&self) {
        self.0.clear();
        self.0.renew();
    }

    /// The stored session's id and the session epoch the cookie claims, not yet
    /// checked. (A cookie from before stored sessions has no id: signed out.)
    pub fn claim(&self) -> Option<(String, i64)> {
        Some((self.get(SESSION_ID)?, self.get(SESSION_EPOCH)?))
    }

    /// The session's CSRF token, created on first use.
    pub fn csrf_token(&self) -> Result<String, Error> {
        if let Some(token) = self.get::<String>(CSRF) {
            return Ok(token);
        }
        let token = secrets::random_token(32);
        self.insert(CSRF, &token)?;
        Ok(token)
    }

    /// The CSRF token if the session has one (never creates one).
    pub fn existing_csrf_token(&self) -> Option<String> {
        self.get(CSRF)
    }

    /// Queues a message for the next page. Flashes live in the cookie (at most
    /// 4 KB in all), so each is kept to one line of at most [`MAX_FLASH_BYTES`]
    /// and only the newest [`MAX_FLASHES`] are kept: no caller can overflow it.
    pub fn flash(&self, kind: &str, message: impl Into<String>) -> Result<(), Error> {
        let mut flashes: Vec<Flash> = self.get(FLASHES).unwrap_or_default();
        flashes.push(Flash {
            kind: bounded(kind, 16),
            message: bounded(&message.into(), MAX_FLASH_BYTES),
        });
        let extra = flashes.len().saturating_sub(MAX_FLASHES);
        flashes.drain(..extra);
        self.insert(FLASHES, flashes)
    }

    /// The pending flash messages; each is shown once.
    pub fn take_flashes(&self) -> Vec<Flash> {
        self.0
            .remove_as::<Vec<Flash>>(FLASHES)
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// Binds a sign-in sent to a single sign-on provider to this browser: the
    /// state's hash, which the provider's answer must bring back here.
    pub fn set_sso_state(&self, state_hash: &str) -> Result<(), Error> {
        self.insert(SSO_STATE, state_hash)
    }

    /// The state hash [`Self::set_sso_state`] kept, taken (once).
    pub fn take_sso_state(&self) -> Option<String> {
        self.0.remove_as::<String>(SSO_STATE).and_then(Result::ok)
    }

    /// Keeps a new API token's secret until the next page shows it.
    pub fn set_new_token(&self, secret: &str) -> Result<(), Error> {
        self.insert(NEW_TOKEN, secret)
    }

    pub fn take_new_token(&self) -> Option<String> {
        self.0.remove_as::<String>(NEW_TOKEN).and_then(Result::ok)
    }

    /// Keeps a new SCIM token's secret, with its org, until that org's
    /// provisioning page shows it (and nowhere else).
    pub fn set_new_scim_token(&self, org_id: i64, secret: &str) -> Result<(), Error> {
        self.insert(NEW_SCIM_TOKEN, (org_id, secret))
    }

    pub fn take_new_scim_token(&self, org_id: i64) -> Option<String> {
        let (org, secret) = self.get::<(i64, String)>(NEW_SCIM_TOKEN)?;
        (org == org_id).then(|| {
            self.0.remove(NEW_SCIM_TOKEN);
            secret
        })
    }

    /// The right password was given for `user_id`; the sign-in waits for a
    /// code (in the cookie, which is encrypted and signed, so nobody can name
    /// another account here).
    pub fn set_pending_code(&self, user_id: i64) -> Result<(), Error> {
        self.insert(
            PENDING_CODE,
            (user_id, crate::db::now().and_utc().timestamp()),
        )
    }

    /// The account waiting for its code, while the wait has not run out.
    pub fn pending_code(&self) -> Option<i64> {
        let (user_id, at): (i64, i64) = self.get(PENDING_CODE)?;
        let age = crate::db::now().and_utc().timestamp() - at;
        (0..CODE_STEP_SECONDS).contains(&age).then_some(user_id)
    }

    /// Whether the signed-in person must set up two-factor sign-in before
    /// anything else (their home org requires it).
    pub fn must_enroll(&self) -> bool {
        self.get(MUST_ENROLL).unwrap_or(false)
    }

    pub fn set_must_enroll(&self, must: bool) -> Result<(), Error> {
        if must {
            self.insert(MUST_ENROLL, true)
        } else {
            self.0.remove(MUST_ENROLL);
            Ok(())
        }
    }

    /// Keeps new recovery codes until the next page shows them, once.
    pub fn set_recovery_codes(&self, codes: &[String]) -> Result<(), Error> {
        self.insert(RECOVERY_CODES, codes)
    }

    pub fn take_recovery_codes(&self) -> Option<Vec<String>> {
        self.0
            .remove_as::<Vec<String>>(RECOVERY_CODES)
            .and_then(Result::ok)
    }

    /// The org the person chose to work in (the shell's context switcher),
    /// as stored: callers check it is still one they administer.
    pub fn context_org(&self) -> Option<i64> {
        self.get(CONTEXT_ORG)
    }

    pub fn set_context_org(&self, org_id: i64) -> Result<(), Error> {
        self.insert(CONTEXT_ORG, org_id)
    }
}

impl FromRequest for WebSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(WebSession::from_request(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_FLASH_BYTES, bounded};

    #[test]
    fn flash_text_is_one_bounded_line() {
        assert_eq!(bounded("Saved.", MAX_FLASH_BYTES), "Saved.");
        assert_eq!(bounded("a\nb\tc", MAX_FLASH_BYTES), "a b c");
        let exact = "x".repeat(MAX_FLASH_BYTES);
        assert_eq!(bounded(&exact, MAX_FLASH_BYTES), exact);
        for long in ["x".repeat(5000), "é\"".repeat(2000), "\u{1}".repeat(9000)] {
            let cut = bounded(&long, MAX_FLASH_BYTES);
            assert!(cut.ends_with('…'), "{cut}");
            let json = serde_json::to_string(&cut).unwrap();
            assert!(json.len() <= MAX_FLASH_BYTES + 2, "{} bytes", json.len());
        }
    }
}
