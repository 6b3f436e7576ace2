//! A SCIM User is a Canopy user whose home lies in the token org's subtree
//! and whom the token's creator may see; anyone else answers exactly like a
//! missing user. Every change goes through the user functions the pages and
//! the API use (`account::invite`, `user::update_as`, `user::change_status_as`),
//! so it is decided and audited as theirs. SCIM adds a `userName` (unique in
//! the installation; a user without one is known by their email) and an
//! `externalId`, in `scim_users`. A deleted user is deactivated, never removed
//! (their time stays), and hidden from SCIM until someone reactivates them.

use diesel::prelude::*;

use super::{Caller, Filter, Query};
use crate::authz::Permission;
use crate::db::{self, Conn, lower, schema::scim_users, schema::users};
use crate::domain::account;
use crate::domain::user::{self, NewUser, User, UserPatch, UserStatus};
use crate::domain::validate::{self, Email};
use crate::error::{Error, FieldErrors, Result};

/// What SCIM says of a person, as read from the request.
#[derive(Clone, Debug, Default)]
pub struct UserInput {
    pub user_name: String,
    /// The primary `emails` value.
    pub email: Option<String>,
    /// `displayName`, else `name.formatted`.
    pub name: Option<String>,
    pub active: Option<bool>,
    pub external_id: Option<String>,
}

/// A person as SCIM shows them.
#[derive(Clone, Debug)]
pub struct ScimUser {
    pub user: User,
    pub user_name: String,
    pub external_id: Option<String>,
}

impl ScimUser {
    pub fn active(&self) -> bool {
        self.user.status() != UserStatus::Deactivated
    }
}

/// The checked parts of a [`UserInput`].
struct Values {
    user_name: String,
    email: Email,
    name: String,
    external_id: Option<String>,
}

/// Checks the input: a userName; an email (the primary one, or the userName
/// when it is an address; neither is refused); a name (else the userName).
fn parse(input: &UserInput) -> Result<Values> {
    let mut errors = FieldErrors::new();
    let user_name = validate::required_line(&input.user_name, "userName", 200)
        .map_err(|m| errors.add("userName", m))
        .unwrap_or_default();
    let email = match input.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(raw) => Email::parse(raw).map_err(|m| errors.add("emails", m)).ok(),
        None => Email::parse(&input.user_name).ok().or_else(|| {
            errors.add(
                "emails",
                "Give a primary email, or a userName that is an email address.",
            );
            None
        }),
    };
    let raw_name = input
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(&user_name);
    let name = user::parse_display_name(raw_name)
        .map_err(|m| errors.add("displayName", m))
        .unwrap_or_default();
    let external_id = parse_external_id(input.external_id.as_deref())
        .map_err(|m| errors.add("externalId", m))
        .unwrap_or_default();
    errors.into_result()?;
    match email {
        Some(email) => Ok(Values {
            user_name,
            email,
            name,
            external_id,
        }),
        None => Err(Error::internal("validated input lost the email")),
    }
}

/// An `externalId`: a line of text, blank for none.
pub fn parse_external_id(raw: Option<&str>) -> std::result::Result<Option<String>, String> {
    let id = validate::optional_line(raw.unwrap_or_default(), "externalId", 200)?;
    Ok((!id.is_empty()).then_some(id))
}

type ScimRow = (i64, String, Option<String>, Option<chrono::NaiveDateTime>);
const SCIM_COLUMNS: (
    scim_users::user_id,
    scim_users::user_name,
    scim_users::external_id,
    scim_users::deleted_at,
) = (
    scim_users::user_id,
    scim_users::user_name,
    scim_users::external_id,
    scim_users::deleted_at,
);

fn scim_row(conn: &mut Conn, user_id: i64) -> Result<Option<ScimRow>> {
    Ok(scim_users::table
        .find(user_id)
        .select(SCIM_COLUMNS)
        .first(conn)
        .optional()?)
}

fn shown(user: User, row: Option<ScimRow>) -> ScimUser {
    let (user_name, external_id) = match row {
        Some((_, name, ext, _)) => (name, ext),
        None => (user.email.clone(), None),
    };
    ScimUser {
        user,
        user_name,
        external_id,
    }
}

/// The user `id` as SCIM shows them to the caller, or not found: outside the
/// token org's subtree, hidden from its creator, or deleted through SCIM.
pub fn find(conn: &mut Conn, caller: &Caller, id: i64) -> Result<ScimUser> {
    let u = user::find_visible(conn, &caller.access, id)?;
    if !caller.reaches(u.org_id) {
        return Err(Error::NotFound);
    }
    let row = scim_row(conn, id)?;
    let deleted = row.as_ref().is_some_and(|r| r.3.is_some());
    if deleted && u.status() == UserStatus::Deactivated {
        return Err(Error::NotFound);
    }
    Ok(shown(u, row))
}

/// The users the caller sees in the token org's subtree, not deleted through
/// SCIM, narrowed by `filter`: a query to count or page.
fn scoped(caller: &Caller, filter: Option<&Filter>) -> user::UserQuery<'static> {
    let deleted = scim_users::table
        .filter(scim_users::deleted_at.is_not_null())
        .select(scim_users::user_id);
    let q = user::visible_query(&caller.access)
        .filter(users::org_id.eq_any(crate::domain::org::subtree_ids(vec![caller.org_id])))
        .filter(
            users::status
                .ne(UserStatus::Deactivated.as_str())
                .or(users::id.ne_all(deleted)),
        );
    match filter {
        None => q,
        Some(Filter::UserName(v)) => {
            // Their userName, or the email of someone who has none.
            let key = validate::key(v);
            let named = scim_users::table
                .filter(scim_users::user_name_key.eq(key.clone()))
                .select(scim_users::user_id);
            let all_named = scim_users::table.select(scim_users::user_id);
            q.filter(
                users::id
                    .eq_any(named)
                    .or(users::email_key.eq(key).and(users::id.ne_all(all_named))),
            )
        }
        Some(Filter::ExternalId(v)) => {
            let ids = scim_users::table
                .filter(scim_users::external_id.eq(v.clone()))
                .select(scim_users::user_id);
            q.filter(users::id.eq_any(ids))
        }
        Some(Filter::DisplayName(v)) => q.filter(lower(users::display_name).eq(v.to_lowercase())),
    }
}

/// One window of the users the caller sees in the token org's subtree, in
/// id order, narrowed by `query.filter`, in SQL; with the number of matches.
pub fn list(conn: &mut Conn, caller: &Caller, query: &Query) -> Result<(Vec<ScimUser>, i64)> {
    let total: i64 = scoped(caller, query.filter.as_ref())
        .count()
        .get_result(conn)?;
    let rows: Vec<User> = scoped(caller, query.filter.as_ref())
        .order(users::id)
        .offset(query.offset)
        .limit(query.limit)
        .select(User::as_select())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
    let mut extra: std::collections::HashMap<i64, ScimRow> = scim_users::table
        .filter(scim_users::user_id.eq_any(&ids))
        .select(SCIM_COLUMNS)
        .load::<ScimRow>(conn)?
        .into_iter()
        .map(|r| (r.0, r))
        .collect();
    let shown = rows
        .into_iter()
        .map(|u| {
            let row = extra.remove(&u.id);
            shown(u, row)
        })
        .collect();
    Ok((shown, total))
}

/// Refuses a userName someone else holds: as their userName, or as the email
/// of a person who has none (that is how SCIM knows them).
fn require_user_name_free(conn: &mut Conn, key: &str, except: Option<i64>) -> Result<()> {
    let named: Option<i64> = scim_users::table
        .filter(scim_users::user_name_key.eq(key))
        .select(scim_users::user_id)
        .first(conn)
        .optional()?;
    let by_email: Option<i64> = users::table
        .filter(users::email_key.eq(key))
        .filter(users::id.ne_all(scim_users::table.select(scim_users::user_id)))
        .select(users::id)
        .first(conn)
        .optional()?;
    match named.or(by_email) {
        Some(holder) if Some(holder) != except => Err(Error::Duplicate(FieldErrors::of(
            "userName",
            "This userName is taken (userNames are unique in the whole installation).",
        ))),
        _ => Ok(()),
    }
}

fn save_scim_row(conn: &mut Conn, user_id: i64, user_name: &str, ext: Option<&str>) -> Result<()> {
    let deleted = scim_row(conn, user_id)?.and_then(|r| r.3);
    diesel::delete(scim_users::table.find(user_id)).execute(conn)?;
    diesel::insert_into(scim_users::table)
        .values((
            scim_users::user_id.eq(user_id),
            scim_users::user_name.eq(user_name),
            scim_users::user_name_key.eq(validate::key(user_name)),
            scim_users::external_id.eq(ext),
            scim_users::deleted_at.eq(deleted),
        ))
        .execute(conn)?;
    Ok(())
}

/// Creates a person at the token's org, as `POST /api/v1/users` without a
/// password does: invited by mail (`user.manage` there), then deactivated
/// at once when SCIM says `active: false`.
pub fn create(
    conn: &mut Conn,
    caller: &Caller,
    input: &UserInput,
    base_url: &str,
) -> Result<ScimUser> {
    caller
        .access
        .require(Permission::UserManage, caller.org_id)?;
    let values = parse(input)?;
    require_user_name_free(conn, &validate::key(&values.user_name), None)?;
    let new = NewUser {
        org_id: caller.org_id,
        email: values.email,
        display_name: values.name,
        job_title: String::new(),
        status: UserStatus::Invited,
        password_hash: None,
    };
    let created = account::invite(conn, &caller.actor, new, base_url)?;
    save_scim_row(
        conn,
        created.id,
        &values.user_name,
        values.external_id.as_deref(),
    )?;
    if input.active == Some(false) {
        user::change_status_as(
            conn,
            &caller.access,
            &caller.actor,
            created.id,
            UserStatus::Deactivated,
        )?;
    }
    find(conn, caller, created.id)
}

/// Replaces what SCIM says of person `id`: userName, email, name, externalId,
/// and `active` when given. Only what differs is written, through
/// `user::update_as` and `user::change_status_as` (`user.manage` at home).
pub fn replace(conn: &mut Conn, caller: &Caller, id: i64, input: &UserInput) -> Result<ScimUser> {
    let current = find(conn, caller, id)?;
    caller
        .access
        .require(Permission::UserManage, current.user.org_id)?;
    let values = parse(input)?;
    let key = validate::key(&values.user_name);
    if key != validate::key(&current.user_name) {
        require_user_name_free(conn, &key, Some(id))?;
    }
    let patch = UserPatch {
        display_name: (values.name != current.user.display_name).then(|| values.name.clone()),
        email: (values.email.as_str() != current.user.email)
            .then(|| values.email.as_str().to_string()),
        ..UserPatch::default()
    };
    if patch.display_name.is_some() || patch.email.is_some() {
        user::update_as(conn, &caller.access, &caller.actor, id, &patch)?;
    }
    save_scim_row(conn, id, &values.user_name, values.external_id.as_deref())?;
    if let Some(active) = input.active.filter(|a| *a != current.active()) {
        let status = if active {
            UserStatus::Active
        } else {
            UserStatus::Deactivated
        };
        user::change_status_as(conn, &caller.access, &caller.actor, id, status)?;
    }
    find(conn, caller, id)
}

/// Deletes person `id` for SCIM: deactivated (never removed: their time
/// stays), and from then on not found through SCIM.
pub fn delete(conn: &mut Conn, caller: &Caller, id: i64) -> Result<()> {
    let current = find(conn, caller, id)?;
    caller
        .access
        .require(Permission::UserManage, current.user.org_id)?;
    if current.user.status() != UserStatus::Deactivated {
        user::change_status_as(
            conn,
            &caller.access,
            &caller.actor,
            id,
            UserStatus::Deactivated,
        )?;
    }
    save_scim_row(conn, id, &current.user_name, current.external_id.as_deref())?;
    diesel::update(scim_users::table.find(id))
        .set(scim_users::deleted_at.eq(Some(db::now())))
        .execute(conn)?;
    Ok(())
}
