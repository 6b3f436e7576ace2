//! Accounts and their passwords: invitations with an activation link, password
//! reset by mail, and changing one's password.
//!
//! Links are single use and expire: `user_tokens` keeps only the SHA-256 of each
//! token, issuing a link voids the user's earlier unused links of the same
//! purpose, and using one marks it used in the same transaction as the change it
//! makes. bcrypt runs before that transaction, never inside it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use crate::db::{self, Conn, Db, schema::user_tokens};
use crate::domain::audit::{self, Actor, Event, Target, Via};
use crate::domain::mail::{self, Message};
use crate::domain::user::{self, NewUser, User, UserStatus};
use crate::domain::validate::{Email, NewPassword};
use crate::domain::{auth, org, password, secrets};
use crate::error::{Error, FieldErrors, Result};

/// Activation links work for a week.
pub const ACTIVATION_DAYS: i64 = 7;
/// Reset links work for an hour.
pub const RESET_MINUTES: i64 = 60;
/// Characters of randomness in a link token.
const TOKEN_CHARS: usize = 32;

/// The field a refused link is reported on, and its message.
pub const LINK_FIELD: &str = "token";
pub const LINK_INVALID: &str = "This link has expired or was already used.";

pub const RESET_REQUESTED: &str = "auth.reset_requested";
/// Reset requests answered per source address within [`WINDOW_MINUTES`].
pub const MAX_RESETS_PER_ADDRESS: i64 = 20;
/// Reset requests answered per account within [`WINDOW_MINUTES`].
pub const MAX_RESETS_PER_ACCOUNT: i64 = 5;
pub const PASSWORD_CHANGE_FAILED: &str = "user.password_change_failed";
/// Wrong current passwords allowed per account within [`WINDOW_MINUTES`].
pub const MAX_PASSWORD_CHANGE_FAILURES: i64 = 5;
pub const WINDOW_MINUTES: i64 = 15;

crate::text_enum! {
    /// What a link is for (`user_tokens.purpose`).
    pub enum Purpose {
        Activation = "activation",
        Reset = "reset",
    }
}

impl Purpose {
    /// The page the link opens.
    pub fn path(self) -> &'static str {
        match self {
            Purpose::Activation => "/activate",
            Purpose::Reset => "/reset-password",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            Purpose::Activation => Duration::days(ACTIVATION_DAYS),
            Purpose::Reset => Duration::minutes(RESET_MINUTES),
        }
    }

    /// True when `user` may still use a link of this purpose: activation while
    /// invited (or active without a password yet), reset while active.
    fn fits(self, user: &User) -> bool {
        match self {
            Purpose::Activation => match user.status() {
                UserStatus::Invited => true,
                UserStatus::Active => user.password_hash.is_none(),
                UserStatus::Deactivated => false,
            },
            Purpose::Reset => user.is_active(),
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = user_tokens)]
struct UserToken {
    id: i64,
    user_id: i64,
    purpose: Purpose,
    expires_at: NaiveDateTime,
    used_at: Option<NaiveDateTime>,
}

/// The answer for an unknown, expired, used or voided link.
pub fn link_invalid() -> Error {
    FieldErrors::single(LINK_FIELD, LINK_INVALID)
}

/// True when `err` is [`link_invalid`].
pub fn is_link_invalid(err: &Error) -> bool {
    matches!(err, Error::Validation(f) if f.get(LINK_FIELD).is_some())
}

/// The address a link token opens.
pub fn link(base_url: &str, purpose: Purpose, token: &str) -> String {
    format!("{base_url}{}/{token}", purpose.path())
}

/// Voids every unused link (activation, reset) of `user_id`: when their email
/// changes, links sent to the old address must stop opening the account.
pub fn void_links(conn: &mut Conn, user_id: i64) -> Result<usize> {
    Ok(diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(db::now())))
    .execute(conn)?)
}

/// Issues a new link token for `user_id`, voiding their earlier unused ones of
/// the same purpose. Returns the token; only its hash is stored.
fn issue(conn: &mut Conn, user_id: i64, purpose: Purpose) -> Result<String> {
    let now = db::now();
    diesel::update(
        user_tokens::table
            .filter(user_tokens::user_id.eq(user_id))
            .filter(user_tokens::purpose.eq(purpose))
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    let token = secrets::random_token(TOKEN_CHARS);
    diesel::insert_into(user_tokens::table)
        .values((
            user_tokens::user_id.eq(user_id),
            user_tokens::purpose.eq(purpose),
            user_tokens::token_hash.eq(secrets::token_hash(&token)),
            user_tokens::expires_at.eq(now + purpose.lifetime()),
            user_tokens::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The stored link and its user, if `token` is a usable link of `purpose`.
fn usable(conn: &mut Conn, token: &str, purpose: Purpose) -> Result<Option<(UserToken, User)>> {
    // Our tokens are short; anything long is not one (and is not worth hashing).
    if token.is_empty() || token.len() > 128 {
        return Ok(None);
    }
    let found: Option<UserToken> = user_tokens::table
        .filter(user_tokens::token_hash.eq(secrets::token_hash(token)))
        .select(UserToken::as_select())
        .first(conn)
        .optional()?;
    let Some(link) = found else {
        return Ok(None);
    };
    if link.purpose != purpose || link.used_at.is_some() || link.expires_at <= db::now() {
        return Ok(None);
    }
    let owner = user::find(conn, link.user_id)?;
    Ok(purpose.fits(&owner).then_some((link, owner)))
}

/// The person a link is for while it is usable; `None` for a link that is
/// unknown, expired, used, voided or for another purpose.
pub fn check_link(conn: &mut Conn, token: &str, purpose: Purpose) -> Result<Option<User>> {
    Ok(usable(conn, token, purpose)?.map(|(_, owner)| owner))
}

/// Marks the link used (inside the caller's transaction) and returns its user.
/// Of two requests racing through the same link, only one gets past this.
fn consume(conn: &mut Conn, token: &str, purpose: Purpose) -> Result<User> {
    let (link, owner) = usable(conn, token, purpose)?.ok_or_else(link_invalid)?;
    let updated = diesel::update(
        user_tokens::table
            .find(link.id)
            .filter(user_tokens::used_at.is_null()),
    )
    .set(user_tokens::used_at.eq(Some(db::now())))
    .execute(conn)?;
    if updated != 1 {
        return Err(link_invalid());
    }
    Ok(owner)
}

/// Who acts through a link: its owner, reached by mail.
fn link_actor(user_id: i64, ip: Option<String>) -> Actor {
    Actor {
        user_id: Some(user_id),
        token_id: None,
        via: Via::Link,
        ip,
    }
}

/// Parses a new password typed twice; messages go on `field` and `confirm_field`.
fn parse_new_password(
    password: &str,
    confirm: &str,
    field: &str,
    confirm_field: &str,
    errors: &mut FieldErrors,
) -> Option<NewPassword> {
    let parsed = NewPassword::parse(password)
        .map_err(|m| errors.add(field, m))
        .ok();
    if parsed.is_some() && password != confirm {
        errors.add(confirm_field, "The two passwords differ.");
    }
    parsed
}

/// Creates `new_user` as invited (no password, whatever `new_user` says), issues
/// an activation link and queues the invitation mail: all in the caller's
/// transaction. Audits `user.created` and `user.invited`.
pub fn invite(conn: &mut Conn, actor: &Actor, new_user: NewUser, base_url: &str) -> Result<User> {
    let invited = user::create(
        conn,
        actor,
        NewUser {
            status: UserStatus::Invited,
            password_hash: None,
            ..new_user
        },
    )?;
    let mail_id = send_invitation(conn, actor, &invited, base_url)?;
    audit::record(
        conn,
        actor,
        Event::new("user.invited", Target::User, Some(invited.id))
            .org(invited.org_id)
            .after(json!({"email": invited.email, "mail_id": mail_id})),
    )?;
    Ok(invited)
}

/// Sends an invited user a fresh activation link; the earlier one stops working.
/// Audits `user.invitation_resent`.
pub fn resend_invitation(
    conn: &mut Conn,
    actor: &Actor,
    user_id: i64,
    base_url: &str,
) -> Result<User> {
    let invited = user::find(conn, user_id)?;
    if invited.status() != UserStatus::Invited {
        return Err(Error::conflict(
            "Only invited people can be sent an invitation; this account is already activated or deactivated.",
        ));
    }
    let mail_id = send_invitation(conn, actor, &invited, base_url)?;
    audit::record(
        conn,
        actor,
        Event::new("user.invitation_resent", Target::User, Some(user_id))
            .org(invited.org_id)
            .after(json!({"email": invited.email, "mail_id": mail_id})),
    )?;
    Ok(invited)
}

fn send_invitation(conn: &mut Conn, actor: &Actor, invited: &User, base_url: &str) -> Result<i64> {
    let token = issue(conn, invited.id, Purpose::Activation)?;
    let inviter = match actor.user_id {
        Some(id) => match user::find(conn, id) {
            Ok(u) => u.display_name,
            Err(Error::NotFound) => "An administrator".into(),
            Err(e) => return Err(e),
        },
        None => "An administrator".into(),
    };
    let org_name = org::find(conn, invited.org_id)?.name;
    let message = mail::Invite {
        to: &invited.email,
        name: &invited.display_name,
        inviter: &inviter,
        org: &org_name,
        link: &link(base_url, Purpose::Activation, &token),
        days: ACTIVATION_DAYS,
        brand: &crate::domain::context::mail_brand(conn, invited.org_id)?,
    }
    .to_new_user()?;
    mail::enqueue(conn, &message, Some(invited.id))
}

/// The hash of the password typed twice for a `purpose` link, once the link
/// is known to be live (else [`link_invalid`], whatever the password).
fn hash_for_link(
    db: &Db,
    bcrypt_cost: u32,
    token: &str,
    purpose: Purpose,
    password_plain: &str,
    confirm: &str,
) -> Result<String> {
    if db.read_sync(|c| check_link(c, token, purpose))?.is_none() {
        return Err(link_invalid());
    }
    let mut errors = FieldErrors::new();
    let new = parse_new_password(
        password_plain,
        confirm,
        "password",
        "password_confirm",
        &mut errors,
    );
    errors.into_result()?;
    let new = new.ok_or_else(|| Error::internal("password parsed without a value"))?;
    password::hash(new.expose(), bcrypt_cost)
}

/// Activates an invited account through its link: checks the link, then the
/// password (typed twice), stores the hash, makes the user active, marks the link
/// used and records the first sign-in, in one transaction. Runs on a blocking
/// thread. A refused link is [`link_invalid`], whatever the password.
pub fn activate(
    db: &Db,
    bcrypt_cost: u32,
    token: &str,
    password_plain: &str,
    confirm: &str,
    ip: Option<String>,
) -> Result<User> {
    let hash = hash_for_link(
        db,
        bcrypt_cost,
        token,
        Purpose::Activation,
        password_plain,
        confirm,
    )?;
    db.write_sync(|conn| {
        let owner = consume(conn, token, Purpose::Activation)?;
        let actor = link_actor(owner.id, ip.clone());
        user::set_password_hash(conn, &actor, owner.id, &hash)?;
        let active = user::set_status(conn, &actor, owner.id, UserStatus::Active)?;
        auth::record_sign_in(conn, &active, ip)
    })
}

/// Mails a reset link to the active account with this address, if there is one.
/// The outcome is the same for any well-formed address — no error, the same
/// work (a link and a mail are rendered either way), one audit entry — so the
/// answer never tells whether an account exists. Requests beyond the limits per
/// source address and per account are dropped silently.
pub fn request_reset(db: &Db, email: &str, ip: &str, base_url: &str) -> Result<()> {
    let email = Email::parse(email).map_err(|m| FieldErrors::single("email", m))?;
    let since = db::now() - Duration::minutes(WINDOW_MINUTES);
    let limited = db.read_sync(|conn| {
        if audit::count_by_ip_since(conn, RESET_REQUESTED, ip, since)? >= MAX_RESETS_PER_ADDRESS {
            return Ok(true);
        }
        Ok(match user::find_by_email(conn, email.as_str())? {
            Some(u) => {
                audit::count_by_target_since(conn, RESET_REQUESTED, Target::User, u.id, since)?
                    >= MAX_RESETS_PER_ACCOUNT
            }
            None => false,
        })
    })?;
    if limited {
        log::warn!("password reset requests from {ip} are over the limit; one more was dropped");
        return Ok(());
    }
    db.write_sync(|conn| {
        let owner = user::find_by_email(conn, email.as_str())?;
        let outcome = match &owner {
            Some(u) if u.is_active() => {
                let token = issue(conn, u.id, Purpose::Reset)?;
                let message = Message::password_reset(
                    &u.email,
                    &u.display_name,
                    &link(base_url, Purpose::Reset, &token),
                    RESET_MINUTES,
                    &crate::domain::context::mail_brand(conn, u.org_id)?,
                )?;
                mail::enqueue(conn, &message, Some(u.id))?;
                "mailed"
            }
            other => {
                // The same rendering work as for a real account, thrown away.
                let token = secrets::random_token(TOKEN_CHARS);
                let _ = secrets::token_hash(&token);
                let _ = Message::password_reset(
                    email.as_str(),
                    "",
                    &link(base_url, Purpose::Reset, &token),
                    RESET_MINUTES,
                    &crate::domain::context::root_mail_brand(conn)?,
                )?;
                if other.is_some() {
                    "account not active"
                } else {
                    "unknown email"
                }
            }
        };
        let mut event = Event::new(RESET_REQUESTED, Target::User, owner.as_ref().map(|u| u.id))
            .after(json!({"email": email.as_str(), "outcome": outcome}));
        if let Some(u) = &owner {
            event = event.org(u.org_id);
        }
        audit::record(conn, &Actor::anonymous(Some(ip.to_string())), event)
    })
}

/// Sets a new password through a reset link. Every session of the user ends
/// (the session epoch moves on); the link is used up. Runs on a blocking thread.
pub fn reset(
    db: &Db,
    bcrypt_cost: u32,
    token: &str,
    password_plain: &str,
    confirm: &str,
    ip: Option<String>,
) -> Result<User> {
    let hash = hash_for_link(
        db,
        bcrypt_cost,
        token,
        Purpose::Reset,
        password_plain,
        confirm,
    )?;
    db.write_sync(|conn| {
        let owner = consume(conn, token, Purpose::Reset)?;
        user::set_password_hash(conn, &link_actor(owner.id, ip), owner.id, &hash)
    })
}

/// Changes a signed-in user's password. Needs the current one (a wrong one is a
/// message on `current_password`, audited, and limited per account); ends every
/// session, so the caller signs the current one in again with the returned user.
/// Runs on a blocking thread.
pub fn change_password(
    db: &Db,
    bcrypt_cost: u32,
    user_id: i64,
    current: &str,
    new: &str,
    confirm: &str,
    ip: Option<String>,
) -> Result<User> {
    let since = db::now() - Duration::minutes(WINDOW_MINUTES);
    let me = db.read_sync(|conn| {
        if audit::count_by_target_since(conn, PASSWORD_CHANGE_FAILED, Target::User, user_id, since)?
            >= MAX_PASSWORD_CHANGE_FAILURES
        {
            return Err(Error::RateLimited);
        }
        user::find(conn, user_id)
    })?;
    let mut errors = FieldErrors::new();
    let parsed = parse_new_password(
        new,
        confirm,
        "new_password",
        "new_password_confirm",
        &mut errors,
    );
    let actor = Actor::session(user_id, ip);
    if current.is_empty() {
        errors.add("current_password", "Enter your current password.");
    } else if !me
        .password_hash
        .as_deref()
        .is_some_and(|h| password::verify(current, h))
    {
        errors.add("current_password", "This is not your current password.");
        db.write_sync(|conn| {
            audit::record(
                conn,
                &actor,
                Event::new(PASSWORD_CHANGE_FAILED, Target::User, Some(user_id)).org(me.org_id),
            )
        })?;
    }
    errors.into_result()?;
    let parsed = parsed.ok_or_else(|| Error::internal("password parsed without a value"))?;
    let hash = password::hash(parsed.expose(), bcrypt_cost)?;
    db.write_sync(|conn| {
        // The password checked above must still be the stored one.
        if user::find(conn, user_id)?.password_hash != me.password_hash {
            return Err(user::stale());
        }
        user::set_password_hash(conn, &actor, user_id, &hash)
    })
}

/// Creates a user as an administrator asked: active at once with the given
/// password, or invited by mail without one. Runs on a blocking thread: the
/// password is hashed before the transaction begins.
pub fn create_user(
    db: &Db,
    bcrypt_cost: u32,
    actor: &Actor,
    values: user::NewUserValues,
    base_url: &str,
) -> Result<User> {
    create_user_then(db, bcrypt_cost, actor, values, base_url, |_, _| Ok(()))
}

/// [`create_user`], then `then` in the same transaction: when it fails,
/// nothing is created (nor any mail queued).
fn create_user_then(
    db: &Db,
    bcrypt_cost: u32,
    actor: &Actor,
    values: user::NewUserValues,
    base_url: &str,
    then: impl FnOnce(&mut crate::db::Conn, &User) -> Result<()>,
) -> Result<User> {
    let hash = match &values.password {
        Some(p) => Some(password::hash(p.expose(), bcrypt_cost)?),
        None => None,
    };
    db.write_sync(|conn| {
        let created = create_in(conn, actor, values, hash, base_url)?;
        then(conn, &created)?;
        Ok(created)
    })
}

fn create_in(
    conn: &mut crate::db::Conn,
    actor: &Actor,
    values: user::NewUserValues,
    hash: Option<String>,
    base_url: &str,
) -> Result<User> {
    match hash {
        Some(hash) => user::create_active(
            conn,
            actor,
            values.org_id,
            values.email,
            values.display_name,
            values.job_title,
            hash,
        ),
        None => invite(
            conn,
            actor,
            NewUser {
                org_id: values.org_id,
                email: values.email,
                display_name: values.display_name,
                job_title: values.job_title,
                status: UserStatus::Invited,
                password_hash: None,
            },
            base_url,
        ),
    }
}

/// A role to give a new user at an org, in the transaction that creates them.
#[derive(Clone, Copy, Debug)]
pub struct FirstRole {
    pub role_id: i64,
    pub org_id: i64,
}

/// [`create_user`], then `first` granted to the new user by `grant::grant_as`
/// as `access` (the one grant rule: what the person may grant there, the
/// org's assignable roles), in the same transaction: a role refused creates
/// nobody and sends nothing.
pub fn create_user_with_role(
    db: &Db,
    bcrypt_cost: u32,
    actor: &Actor,
    access: &crate::authz::Access,
    values: user::NewUserValues,
    first: FirstRole,
    base_url: &str,
) -> Result<User> {
    create_user_then(db, bcrypt_cost, actor, values, base_url, |conn, created| {
        use crate::domain::grant::{self, GrantRequest, Holder, Scope};
        let request = GrantRequest {
            role_id: first.role_id,
            holder: Holder::User(created.id),
            scope: Scope::Org(first.org_id),
            descendants: true,
            expires_at: None,
        };
        grant::grant_as(conn, access, actor, &request).map(|_| ())
    })
}
