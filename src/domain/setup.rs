//! First-run setup: while no user exists, `canopy serve` prints a one-time link
//! whose page creates the first administrator (Owner at the root).

use serde_json::json;

use crate::authz::BuiltinRole;
use crate::db::{Conn, Db};
use crate::domain::audit::{self, Actor, Event, Target, Via};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::user::{self, NewUser, User, UserStatus};
use crate::domain::validate::{Email, NewPassword};
use crate::domain::{grant, org, password, secrets};
use crate::error::{Error, FieldErrors, Result};

const SETUP_TOKEN: &str = "setup_token_hash";

/// True while the installation has no user at all.
pub fn needed(conn: &mut Conn) -> Result<bool> {
    Ok(user::count(conn)? == 0)
}

/// Issues a fresh setup token (replacing any earlier one) and returns it.
pub fn issue_token(conn: &mut Conn) -> Result<String> {
    let token = secrets::random_token(32);
    secrets::put(conn, SETUP_TOKEN, &secrets::token_hash(&token))?;
    Ok(token)
}

/// True when `token` is the current setup token and setup is still needed.
pub fn token_valid(conn: &mut Conn, token: &str) -> Result<bool> {
    if !needed(conn)? {
        return Ok(false);
    }
    Ok(secrets::get(conn, SETUP_TOKEN)?
        .is_some_and(|stored| secrets::constant_time_eq(&stored, &secrets::token_hash(token))))
}

/// What the setup form asks for, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SetupInput {
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

/// An administrator to create: validated, not yet stored.
pub struct NewAdmin {
    pub display_name: String,
    pub email: Email,
    pub password: NewPassword,
}

impl NewAdmin {
    pub fn parse(input: &SetupInput) -> Result<NewAdmin> {
        let mut errors = FieldErrors::new();
        let display_name = user::parse_display_name(&input.display_name)
            .map_err(|m| errors.add("display_name", m))
            .ok();
        let email = Email::parse(&input.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let password = NewPassword::parse(&input.password)
            .map_err(|m| errors.add("password", m))
            .ok();
        if password.is_some() && input.password != input.password_confirm {
            errors.add("password_confirm", "The two passwords differ.");
        }
        match (display_name, email, password, errors.is_empty()) {
            (Some(display_name), Some(email), Some(password), true) => Ok(NewAdmin {
                display_name,
                email,
                password,
            }),
            _ => Err(Error::Validation(errors)),
        }
    }
}

/// Creates an active user in the root org with the Owner role at the root.
/// Shared by the setup page and `canopy admin create`.
pub fn create_owner(
    conn: &mut Conn,
    actor: &Actor,
    admin: &NewAdmin,
    password_hash: String,
) -> Result<User> {
    let root = org::find_root(conn)?.ok_or_else(|| Error::internal("no root org"))?;
    let owner = user::create(
        conn,
        actor,
        NewUser {
            org_id: root.id,
            email: admin.email.clone(),
            display_name: admin.display_name.clone(),
            job_title: String::new(),
            status: UserStatus::Active,
            password_hash: Some(password_hash),
        },
    )?;
    let actor = Actor {
        user_id: actor.user_id.or(Some(owner.id)),
        ..actor.clone()
    };
    grant::grant_builtin_at_org(
        conn,
        &actor,
        UserId(owner.id),
        BuiltinRole::Owner,
        OrgId(root.id),
    )?;
    Ok(owner)
}

/// Completes setup with the one-time `token`. Runs on a blocking thread: the
/// password is hashed before the write transaction begins.
pub fn complete(
    db: &Db,
    bcrypt_cost: u32,
    token: &str,
    input: &SetupInput,
    ip: Option<String>,
) -> Result<User> {
    if !db.read_sync(|c| token_valid(c, token))? {
        return Err(Error::NotFound);
    }
    let admin = NewAdmin::parse(input)?;
    let hash = password::hash(admin.password.expose(), bcrypt_cost)?;
    db.write_sync(|conn| {
        // The token is taken (deleted if it matches) before anything else, so
        // of two people racing through the same link only one gets past this,
        // on PostgreSQL too, where transactions do not queue as on SQLite.
        if !secrets::take(conn, SETUP_TOKEN, &secrets::token_hash(token))? || !needed(conn)? {
            return Err(Error::NotFound);
        }
        let actor = Actor::anonymous(ip).via(Via::Setup);
        let owner = create_owner(conn, &actor, &admin, hash)?;
        audit::record(
            conn,
            &Actor::session(owner.id, actor.ip.clone()).via(Via::Setup),
            Event::new("setup.completed", Target::User, Some(owner.id))
                .org(owner.org_id)
                .after(json!({"email": owner.email})),
        )?;
        Ok(owner)
    })
}
