//! A sign-in through an org's provider, on Canopy's side: the state, nonce and
//! PKCE verifier kept on the server until the browser comes back (taken once:
//! a replayed state finds nothing), and who the verified ID token is in
//! Canopy. The sign-in then ends in `auth::complete`, the same step a right
//! password ends in (two-factor code, the recorded sign-in).
//!
//! Matching: first the stored link (issuer, subject); else the email, when the
//! provider does not deny having verified it and its domain is one this
//! provider governs (a verified domain of its org's subtree, in its allowed
//! domains), so one org's provider can never sign in another tenant's people.
//! A person Canopy deactivated is refused; an unknown email is refused in
//! `link` mode and created in the provider's org in `create` mode.

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;

use super::oidc::{Begun, Identity};
use super::{Config, REFUSED, SIGNED_IN};
use crate::db::{
    self, Conn,
    schema::{sso_identities, sso_logins},
};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::grant::{self, Holder, NewGrant};
use crate::domain::user::{self, NewUser, User, UserStatus};
use crate::domain::{auth, secrets, validate};
use crate::error::Result;

/// How long a sign-in may stay at the provider before its state is stale.
pub const LOGIN_MINUTES: i64 = 10;

/// What was kept of a sign-in sent to the provider.
#[derive(Clone, Debug, Queryable)]
pub struct Pending {
    pub org_id: i64,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next_path: String,
}

/// Keeps what the provider's answer must match, under the state's hash.
/// Stale ones (older than [`LOGIN_MINUTES`]) go at the same time.
pub fn remember(conn: &mut Conn, org_id: i64, begun: &Begun, next_path: &str) -> Result<()> {
    let now = db::now();
    diesel::delete(
        sso_logins::table.filter(sso_logins::created_at.lt(now - Duration::minutes(LOGIN_MINUTES))),
    )
    .execute(conn)?;
    diesel::insert_into(sso_logins::table)
        .values((
            sso_logins::state_hash.eq(secrets::token_hash(&begun.state)),
            sso_logins::org_id.eq(org_id),
            sso_logins::nonce.eq(&begun.nonce),
            sso_logins::pkce_verifier.eq(&begun.pkce_verifier),
            sso_logins::next_path.eq(next_path),
            sso_logins::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes the sign-in this state was sent with, once: a state that was never
/// sent, is stale, or was already used (a replay) is `None`. Two requests
/// racing with one state cannot both take it: only the one whose delete
/// removed the row gets it.
pub fn take(conn: &mut Conn, state: &str) -> Result<Option<Pending>> {
    let hash = secrets::token_hash(state);
    let row = sso_logins::table
        .find(&hash)
        .filter(sso_logins::created_at.ge(db::now() - Duration::minutes(LOGIN_MINUTES)))
        .select((
            sso_logins::org_id,
            sso_logins::nonce,
            sso_logins::pkce_verifier,
            sso_logins::next_path,
        ))
        .first::<Pending>(conn)
        .optional()?;
    let deleted = diesel::delete(sso_logins::table.find(&hash)).execute(conn)?;
    Ok(row.filter(|_| deleted == 1))
}

/// Why a verified identity did not become a sign-in: what the person is told.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The account exists and is deactivated.
    Deactivated,
    /// No account has this email and the provider only links.
    Unknown,
    /// The provider gave no usable email: none, one it says it has not
    /// verified, or one outside the domains this provider governs.
    NoEmail,
}

impl Refusal {
    pub fn message(&self) -> &'static str {
        match self {
            Refusal::Deactivated => "Your Canopy account is deactivated: ask an administrator.",
            Refusal::Unknown => {
                "You have no Canopy account yet. Ask an administrator of your organization to add you."
            }
            Refusal::NoEmail => {
                "Your sign-in provider did not confirm an email address of your organization."
            }
        }
    }

    fn reason(&self) -> &'static str {
        match self {
            Refusal::Deactivated => "account deactivated",
            Refusal::Unknown => "unknown email, provider only links",
            Refusal::NoEmail => "no verified email of a governed domain",
        }
    }
}

/// The person a stored link names.
fn linked(conn: &mut Conn, identity: &Identity) -> Result<Option<User>> {
    let user_id: Option<i64> = sso_identities::table
        .filter(sso_identities::issuer.eq(&identity.issuer))
        .filter(sso_identities::subject.eq(&identity.subject))
        .select(sso_identities::user_id)
        .first(conn)
        .optional()?;
    user_id.map(|id| user::find(conn, id)).transpose()
}

fn link(conn: &mut Conn, user_id: i64, identity: &Identity) -> Result<()> {
    diesel::insert_into(sso_identities::table)
        .values((
            sso_identities::user_id.eq(user_id),
            sso_identities::issuer.eq(&identity.issuer),
            sso_identities::subject.eq(&identity.subject),
            sso_identities::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The identity's email, when the provider does not deny having verified it
/// and its domain routes to this very provider (`super::route_for_email`).
fn governed_email(
    conn: &mut Conn,
    config: &Config,
    identity: &Identity,
) -> Result<Option<validate::Email>> {
    if identity.email_verified == Some(false) {
        return Ok(None);
    }
    let Some(email) = identity
        .email
        .as_deref()
        .and_then(|e| validate::Email::parse(e).ok())
    else {
        return Ok(None);
    };
    let routed = super::route_for_email(conn, email.as_str())?;
    Ok(routed
        .is_some_and(|c| c.org_id == config.org_id)
        .then_some(email))
}

/// Creates the person just in time, in the provider's org, with its default
/// role there and below when one is set; both audited as the system acting
/// for the provider.
fn create(
    conn: &mut Conn,
    config: &Config,
    identity: &Identity,
    email: validate::Email,
    actor: &Actor,
) -> Result<User> {
    let fallback = email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    let display_name = identity
        .name
        .as_deref()
        .and_then(|n| user::parse_display_name(n).ok())
        .unwrap_or(fallback);
    let person = user::create(
        conn,
        actor,
        NewUser {
            org_id: config.org_id,
            email,
            display_name,
            job_title: String::new(),
            status: UserStatus::Active,
            password_hash: None,
        },
    )?;
    if let Some(role_id) = config.default_role_id {
        grant::create(
            conn,
            actor,
            &NewGrant {
                role_id,
                holder: Holder::User(person.id),
                org_id: config.org_id,
                project_id: None,
                descendants: true,
                expires_at: None,
            },
        )?;
    }
    Ok(person)
}

/// Who the verified identity is in Canopy, linking or creating as the
/// provider's settings say; `Err` is the refusal.
fn resolve(
    conn: &mut Conn,
    config: &Config,
    identity: &Identity,
    actor: &Actor,
) -> Result<std::result::Result<User, Refusal>> {
    if let Some(person) = linked(conn, identity)? {
        return Ok(Ok(person));
    }
    let Some(email) = governed_email(conn, config, identity)? else {
        return Ok(Err(Refusal::NoEmail));
    };
    let person = match user::find_by_email(conn, email.as_str())? {
        Some(person) => person,
        None if config.creates_people() => create(conn, config, identity, email, actor)?,
        None => return Ok(Err(Refusal::Unknown)),
    };
    if person.status() != UserStatus::Deactivated {
        link(conn, person.id, identity)?;
    }
    Ok(Ok(person))
}

/// Ends a sign-in whose ID token was verified: finds (or creates) the person,
/// refuses a deactivated one, and finishes like a password sign-in
/// (`auth::complete`). An invited person the provider vouches for becomes
/// active. Every outcome is audited (`sso.signed_in`, `sso.refused`).
pub fn complete(
    conn: &mut Conn,
    config: &Config,
    identity: &Identity,
    ip: &str,
) -> Result<std::result::Result<auth::SignIn, Refusal>> {
    let anonymous = Actor::anonymous(Some(ip.to_string()));
    let system = Actor::system();
    let details = json!({
        "issuer": identity.issuer,
        "subject": identity.subject,
        "email": identity.email,
    });
    let person = match resolve(conn, config, identity, &system)? {
        Ok(person) if person.status() == UserStatus::Deactivated => {
            Err((Refusal::Deactivated, Some(person)))
        }
        Ok(person) => Ok(person),
        Err(refusal) => Err((refusal, None)),
    };
    let person = match person {
        Ok(person) => person,
        Err((refusal, person)) => {
            let mut event = Event::new(REFUSED, Target::User, person.as_ref().map(|p| p.id))
                .after(json!({"provider_org_id": config.org_id, "reason": refusal.reason(), "identity": details}));
            event = event.org(person.as_ref().map_or(config.org_id, |p| p.org_id));
            audit::record(conn, &anonymous, event)?;
            return Ok(Err(refusal));
        }
    };
    let person = if person.status() == UserStatus::Invited {
        user::set_status(conn, &system, person.id, UserStatus::Active)?
    } else {
        person
    };
    audit::record(
        conn,
        &Actor::session(person.id, Some(ip.to_string())),
        Event::new(SIGNED_IN, Target::User, Some(person.id))
            .org(person.org_id)
            .after(json!({"provider_org_id": config.org_id, "identity": details})),
    )?;
    auth::complete(conn, person, Some(ip.to_string())).map(Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("sso.db").display().to_string();
        let db = crate::db::Db::connect(&url, 1).unwrap();
        db.migrate().unwrap();
        let begun = Begun {
            url: "https://id.example.com/auth".into(),
            state: "state-one".into(),
            nonce: "nonce-one".into(),
            pkce_verifier: "verifier-one".into(),
        };
        db.write_sync(|conn| {
            diesel::sql_query(
                "INSERT INTO orgs (id, name, name_key, code, code_key, kind, created_at, updated_at) \
                 VALUES (900, 'Acme', 'acme', 'ACME', 'acme', 'other', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
            )
            .execute(conn)?;
            remember(conn, 900, &begun, "/timesheets")
        })
        .unwrap();
        let first = db
            .write_sync(|conn| take(conn, "state-one"))
            .unwrap()
            .unwrap();
        assert_eq!(first.org_id, 900);
        assert_eq!(first.nonce, "nonce-one");
        assert_eq!(first.pkce_verifier, "verifier-one");
        assert_eq!(first.next_path, "/timesheets");
        assert!(
            db.write_sync(|conn| take(conn, "state-one"))
                .unwrap()
                .is_none(),
            "a replayed state is refused"
        );
        assert!(
            db.write_sync(|conn| take(conn, "never-sent"))
                .unwrap()
                .is_none(),
            "an unknown state is refused"
        );
    }
}
