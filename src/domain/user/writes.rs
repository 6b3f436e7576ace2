//! User writes: create, status, password, profile, the admin's edit and a
//! new home org; each audited.

use diesel::prelude::*;
use serde_json::json;

use crate::db::{self, Conn, schema::users};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::epoch;
use crate::domain::ids::{OrgId, UserId};
use crate::domain::session;
use crate::domain::validate::{self, Email};
use crate::error::{Error, FieldErrors, Result};

use super::*;

/// The row a new user is.
#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    org_id: i64,
    email: &'a str,
    email_key: String,
    display_name: &'a str,
    job_title: &'a str,
    status: UserStatus,
    password_hash: Option<&'a str>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Creates a user; a duplicate email (in any case) is refused with a field message.
pub fn create(conn: &mut Conn, actor: &Actor, new: NewUser) -> Result<User> {
    if crate::domain::org::is_frozen(conn, new.org_id)? {
        return Err(FieldErrors::single(
            "org_id",
            "An archived organization accepts no new users.",
        ));
    }
    if find_by_email(conn, new.email.as_str())?.is_some() {
        return Err(Error::Duplicate(duplicate_email()));
    }
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(users::table)
        .values(NewUserRow {
            org_id: new.org_id,
            email: new.email.as_str(),
            email_key: new.email.key(),
            display_name: &new.display_name,
            job_title: &new.job_title,
            status: new.status,
            password_hash: new.password_hash.as_deref(),
            created_at: now,
            updated_at: now,
        })
        .returning(users::id)
        .get_result(c))?;
    // A new user is new to the resolver too (home membership, future grants).
    epoch::bump_user(conn, id)?;
    let user = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("user.created", Target::User, Some(id))
            .org(user.org_id)
            .after(user.audit_view()),
    )?;
    Ok(user)
}

/// What a new account with a taken email is told. Emails are unique in the
/// installation (sign-in is by email), so the create must fail, but the
/// answer is the same whoever holds the address, seen or not: it names and
/// describes no account, and points to the allowed way, a grant by exact email.
pub const EMAIL_TAKEN: &str = "An account with this email address already exists, so no new \
     account can use it (emails are unique in the whole installation). To let that person work \
     here, grant them a role by their exact email on the organization's Access tab.";

pub(super) fn duplicate_email() -> FieldErrors {
    FieldErrors::of("email", EMAIL_TAKEN)
}

/// Changes a user's status. Leaving `active` ends every session at once (the
/// session epoch moves on) and every access decision is re-taken.
pub fn set_status(conn: &mut Conn, actor: &Actor, id: i64, status: UserStatus) -> Result<User> {
    let before = find(conn, id)?;
    if before.status() == status {
        return Ok(before);
    }
    diesel::update(users::table.find(id))
        .set((
            users::status.eq(status.as_str()),
            users::session_epoch.eq(users::session_epoch + 1),
            users::version.eq(users::version + 1),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    session::end_all(conn, id)?;
    epoch::bump_user(conn, id)?;
    if status == UserStatus::Deactivated {
        crate::domain::seats::on_deactivated(conn, actor, id)?;
    }
    let after = find(conn, id)?;
    let action = match status {
        UserStatus::Deactivated => "user.deactivated",
        UserStatus::Active => "user.activated",
        UserStatus::Invited => "user.invited",
    };
    audit::record(
        conn,
        actor,
        Event::new(action, Target::User, Some(id))
            .org(after.org_id)
            .before(json!({"status": before.status}))
            .after(json!({"status": after.status})),
    )?;
    Ok(after)
}

/// Stores a new password hash and ends every other session of the user.
pub fn set_password_hash(conn: &mut Conn, actor: &Actor, id: i64, hash: &str) -> Result<User> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(Some(hash)),
            users::session_epoch.eq(users::session_epoch + 1),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    session::end_all(conn, id)?;
    let user = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("user.password_changed", Target::User, Some(id)).org(user.org_id),
    )?;
    Ok(user)
}

/// Ends every session of the user ("sign out everywhere"). API tokens are not
/// sessions and stay valid until revoked.
pub fn end_all_sessions(conn: &mut Conn, actor: &Actor, id: i64) -> Result<()> {
    diesel::update(users::table.find(id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .execute(conn)?;
    session::end_all(conn, id)?;
    let user = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("user.sessions_ended", Target::User, Some(id)).org(user.org_id),
    )
}

/// Changes to one's own profile, as typed; `None` leaves a field alone.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub display_name: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    /// The version the change was based on; a stale one is refused.
    pub version: Option<i64>,
}

/// Edits a user's name, job title and phone.
pub fn update_profile(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    input: &ProfileInput,
) -> Result<User> {
    let before = find(conn, id)?;
    let mut errors = FieldErrors::new();
    let mut parse =
        |field: &str,
         raw: &Option<String>,
         current: &str,
         parser: &dyn Fn(&str) -> std::result::Result<String, String>| {
            match raw {
                None => current.to_string(),
                Some(raw) => parser(raw).unwrap_or_else(|m| {
                    errors.add(field, m);
                    current.to_string()
                }),
            }
        };
    let display_name = parse(
        "display_name",
        &input.display_name,
        &before.display_name,
        &parse_display_name,
    );
    let job_title = parse("job_title", &input.job_title, &before.job_title, &|r| {
        validate::optional_line(r, "Job title", 200)
    });
    let phone = parse("phone", &input.phone, &before.phone, &|r| {
        validate::optional_line(r, "Phone", 50)
    });
    errors.into_result()?;
    if input.version.is_some_and(|v| v != before.version) {
        return Err(stale());
    }
    let updated = diesel::update(
        users::table
            .find(id)
            .filter(users::version.eq(before.version)),
    )
    .set((
        users::display_name.eq(&display_name),
        users::job_title.eq(&job_title),
        users::phone.eq(&phone),
        users::version.eq(users::version + 1),
        users::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(stale());
    }
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("user.updated", Target::User, Some(id))
            .org(after.org_id)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// An administrator's changes to a user; `None` leaves a field alone.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub phone: Option<String>,
    pub version: Option<i64>,
}

/// Edits a user's name, email, job title and phone.
pub fn update(conn: &mut Conn, actor: &Actor, id: i64, patch: &UserPatch) -> Result<User> {
    let before = find(conn, id)?;
    let email = match &patch.email {
        None => None,
        Some(raw) => match Email::parse(raw) {
            Ok(e) => Some(e),
            Err(m) => return Err(FieldErrors::single("email", m)),
        },
    };
    if let Some(e) = &email
        && e.key() != before.email.to_lowercase()
        && find_by_email(conn, e.as_str())?.is_some()
    {
        return Err(Error::Duplicate(FieldErrors::of(
            "email",
            "An account with this email address already exists (emails are unique in the \
             whole installation); choose another.",
        )));
    }
    let profile = ProfileInput {
        display_name: patch.display_name.clone(),
        job_title: patch.job_title.clone(),
        phone: patch.phone.clone(),
        version: patch.version,
    };
    // Name, title and phone follow the same rules as one's own profile.
    let mut after = update_profile(conn, actor, id, &profile)?;
    if let Some(e) = email
        && e.as_str() != after.email
    {
        diesel::update(users::table.find(id))
            .set((
                users::email.eq(e.as_str()),
                users::email_key.eq(e.key()),
                users::updated_at.eq(db::now()),
            ))
            .execute(conn)?;
        // Links mailed to the old address no longer open the account.
        let voided = crate::domain::account::void_links(conn, id)?;
        after = find(conn, id)?;
        audit::record(
            conn,
            actor,
            Event::new("user.email_changed", Target::User, Some(id))
                .org(after.org_id)
                .before(json!({"email": before.email}))
                .after(json!({"email": after.email, "links_voided": voided})),
        )?;
    }
    Ok(after)
}

/// Moves a user to another home org; their time stays theirs.
pub fn move_home(
    conn: &mut Conn,
    actor: &Actor,
    id: UserId,
    org_id: OrgId,
    version: Option<i64>,
) -> Result<User> {
    let (id, org_id) = (id.0, org_id.0);
    let before = find(conn, id)?;
    if version.is_some_and(|v| v != before.version) {
        return Err(stale());
    }
    if before.org_id == org_id {
        return Ok(before);
    }
    crate::domain::org::find(conn, org_id)?;
    if crate::domain::org::is_frozen(conn, org_id)? {
        return Err(FieldErrors::single(
            "org_id",
            "An archived organization accepts no new users.",
        ));
    }
    diesel::update(users::table.find(id))
        .set((
            users::org_id.eq(org_id),
            users::version.eq(users::version + 1),
            users::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    epoch::bump_user(conn, id)?;
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("user.moved", Target::User, Some(id))
            .org(org_id)
            .before(json!({"org_id": before.org_id}))
            .after(json!({"org_id": org_id})),
    )?;
    crate::domain::seats::follow_home(conn, actor, id, org_id)?;
    Ok(after)
}

/// Creates an active user with a password already hashed (admin-created).
pub fn create_active(
    conn: &mut Conn,
    actor: &Actor,
    org_id: i64,
    email: Email,
    display_name: String,
    job_title: String,
    password_hash: String,
) -> Result<User> {
    create(
        conn,
        actor,
        NewUser {
            org_id,
            email,
            display_name,
            job_title,
            status: UserStatus::Active,
            password_hash: Some(password_hash),
        },
    )
}
