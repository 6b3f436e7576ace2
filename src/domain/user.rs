//! Users: people with exactly one home org.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::db::{self, Conn, schema::users};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::epoch;
use crate::domain::session;
use crate::domain::validate::{self, Email};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    Invited,
    Active,
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Invited => "invited",
            UserStatus::Active => "active",
            UserStatus::Deactivated => "deactivated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invited" => Some(UserStatus::Invited),
            "active" => Some(UserStatus::Active),
            "deactivated" => Some(UserStatus::Deactivated),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    pub phone: String,
    pub status: String,
    pub password_hash: Option<String>,
    pub session_epoch: i64,
    pub last_login_at: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn status(&self) -> UserStatus {
        UserStatus::parse(&self.status).unwrap_or(UserStatus::Deactivated)
    }

    pub fn is_active(&self) -> bool {
        self.status() == UserStatus::Active
    }

    /// What the audit log keeps of a user: never the password hash.
    pub fn audit_view(&self) -> serde_json::Value {
        json!({
            "id": self.id,
            "org_id": self.org_id,
            "email": self.email,
            "display_name": self.display_name,
            "job_title": self.job_title,
            "status": self.status,
        })
    }
}

/// A validated new user.
pub struct NewUser {
    pub org_id: i64,
    pub email: Email,
    pub display_name: String,
    pub job_title: String,
    pub status: UserStatus,
    pub password_hash: Option<String>,
}

/// Parses the display name of a user.
pub fn parse_display_name(raw: &str) -> std::result::Result<String, String> {
    validate::required_line(raw, "Name", 200)
}

pub fn find(conn: &mut Conn, id: i64) -> Result<User> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)?)
}

pub fn find_by_email(conn: &mut Conn, email: &str) -> Result<Option<User>> {
    Ok(users::table
        .filter(users::email_key.eq(validate::key(email)))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn count(conn: &mut Conn) -> Result<i64> {
    Ok(users::table.count().get_result(conn)?)
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
        .values((
            users::org_id.eq(new.org_id),
            users::email.eq(new.email.as_str()),
            users::email_key.eq(new.email.key()),
            users::display_name.eq(&new.display_name),
            users::job_title.eq(&new.job_title),
            users::status.eq(new.status.as_str()),
            users::password_hash.eq(&new.password_hash),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(c))?;
    // A new user is new to the resolver too (home membership, future grants).
    epoch::bump_user(conn, id)?;
    let user = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("user.created", "user", Some(id))
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

fn duplicate_email() -> FieldErrors {
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
    let after = find(conn, id)?;
    let action = match status {
        UserStatus::Deactivated => "user.deactivated",
        UserStatus::Active => "user.activated",
        UserStatus::Invited => "user.invited",
    };
    audit::record(
        conn,
        actor,
        Event::new(action, "user", Some(id))
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
        Event::new("user.password_changed", "user", Some(id)).org(user.org_id),
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
        Event::new("user.sessions_ended", "user", Some(id)).org(user.org_id),
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
        Event::new("user.updated", "user", Some(id))
            .org(after.org_id)
            .before(before.audit_view())
            .after(after.audit_view()),
    )?;
    Ok(after)
}

/// The answer to an edit based on an old version.
pub fn stale() -> Error {
    Error::stale()
}

/// Filters for listing users.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    pub q: Option<String>,
    pub status: Option<UserStatus>,
    pub org_id: Option<i64>,
}

/// Users matching `filter`, by name. The caller keeps those its viewer may see.
pub fn search(conn: &mut Conn, filter: &UserFilter) -> Result<Vec<User>> {
    Ok(filtered(users::table.into_boxed(), filter)
        .order((users::display_name, users::id))
        .select(User::as_select())
        .load(conn)?)
}

type UserQuery<'a> = users::BoxedQuery<'a, <Conn as diesel::Connection>::Backend>;

/// `query` narrowed by the list filters: text in email or name, status, home.
fn filtered<'a>(mut query: UserQuery<'a>, filter: &UserFilter) -> UserQuery<'a> {
    if let Some(pattern) = filter.q.as_deref().and_then(search_pattern) {
        query = query.filter(
            users::email_key
                .like(pattern.clone())
                .or(crate::db::lower(users::display_name).like(pattern)),
        );
    }
    if let Some(status) = filter.status {
        query = query.filter(users::status.eq(status.as_str()));
    }
    if let Some(org_id) = filter.org_id {
        query = query.filter(users::org_id.eq(org_id));
    }
    query
}

/// One page of the users `access` may see (themselves, people at home where
/// they hold `user.view`, guests granted there), filtered, ordered and paged
/// in SQL; with the number of all matches.
pub fn visible_page(
    conn: &mut Conn,
    access: &crate::authz::Access,
    filter: &UserFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<User>, i64)> {
    let build = || filtered(visible_query(access), filter);
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((users::display_name, users::id))
        .offset(offset)
        .limit(limit)
        .select(User::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The SQL side of `Access::sees_user` over the columns of `users` (at home
/// in `$scope`, the `user.view` scope, outside the parts where it stops; a
/// guest with a live grant there; the person `$me`), for the `filter` of any
/// query with `users` in its FROM, joined or not. A macro: both backends need
/// the subqueries unboxed, so no function can name its type.
macro_rules! sees_user_sql {
    ($scope:expr, $me:expr) => {{
        use $crate::db::schema::{grants as g, org_closure, users as u};
        use $crate::domain::org::subtree_ids;
        use $crate::domain::user::GUEST_GRANTS as guest;
        let scope: $crate::authz::access::OrgScope = $scope;
        let at_home = u::org_id
            .eq_any(subtree_ids(scope.roots.clone()))
            .and(u::org_id.ne_all(subtree_ids(scope.hidden.clone())));
        let now = $crate::db::now();
        let guests = guest
            .filter(guest.field(g::user_id).is_not_null())
            .filter(
                guest.field(g::org_id).eq_any(
                    org_closure::table
                        .filter(org_closure::ancestor_id.eq_any(scope.roots))
                        .select(org_closure::descendant_id.nullable()),
                ),
            )
            .filter(
                guest.field(g::org_id).ne_all(
                    org_closure::table
                        .filter(org_closure::ancestor_id.eq_any(scope.hidden))
                        .select(org_closure::descendant_id.nullable()),
                ),
            )
            .filter(
                guest
                    .field(g::expires_at)
                    .is_null()
                    .or(guest.field(g::expires_at).gt(now)),
            )
            .select(guest.field(g::user_id));
        at_home
            .or(u::id.nullable().eq_any(guests))
            .or(u::id.eq($me))
    }};
}
pub(crate) use sees_user_sql;

diesel::alias!(crate::db::schema::grants as guest_grants: GuestGrants);
/// `grants` under another name, for [`sees_user_sql`]'s subquery inside
/// queries that read `grants` themselves (an org's access list).
pub const GUEST_GRANTS: diesel::query_source::Alias<GuestGrants> = guest_grants;

/// The `user.view` scope of `access` for [`sees_user_sql`], or `None` when
/// they see every user (a list needs no filter then).
pub fn user_scope(access: &crate::authz::Access) -> Option<crate::authz::access::OrgScope> {
    let scope = access.org_scope(crate::authz::Permission::UserView);
    (!scope.is_whole_tree(access.snapshot.tree())).then_some(scope)
}

/// The users `access` may see, as a query to narrow further.
fn visible_query(access: &crate::authz::Access) -> UserQuery<'static> {
    let query = users::table.into_boxed();
    match user_scope(access) {
        None => query,
        Some(scope) => query.filter(sees_user_sql!(scope, access.user_id)),
    }
}

/// The `LIKE` pattern of a name-or-email search (lowercase, `%` and `_`
/// dropped), or `None` for an empty one: match it against `users::email_key`
/// and `lower(users::display_name)`.
pub fn search_pattern(q: &str) -> Option<String> {
    let q = q.trim();
    (!q.is_empty()).then(|| format!("%{}%", q.to_lowercase().replace(['%', '_'], "")))
}

/// For each of `user_ids` holding live grants directly, the orgs those grants
/// are at (guests are seen by those who may see users there).
fn grant_orgs(
    conn: &mut Conn,
    user_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    use crate::db::schema::grants;
    let mut map: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    // Chunked: both backends limit the number of bound parameters.
    for chunk in user_ids.chunks(500) {
        let rows: Vec<(Option<i64>, Option<i64>)> = grants::table
            .filter(grants::user_id.eq_any(chunk))
            .filter(grants::org_id.is_not_null())
            .filter(crate::domain::grant::live_at(db::now()))
            .select((grants::user_id, grants::org_id))
            .load(conn)?;
        for (u, o) in rows {
            if let (Some(u), Some(o)) = (u, o) {
                map.entry(u).or_default().push(o);
            }
        }
    }
    Ok(map)
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
            Event::new("user.email_changed", "user", Some(id))
                .org(after.org_id)
                .before(json!({"email": before.email}))
                .after(json!({"email": after.email, "links_voided": voided})),
        )?;
    }
    Ok(after)
}

/// Edits a user as an administrator. A new email is a way into the account (a
/// password reset goes to it), so changing someone else's needs the right to
/// grant each of their grants, direct and through groups: nobody takes over an
/// account that holds more than they could hand out. Pages and the API both
/// edit users through here.
pub fn update_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    patch: &UserPatch,
) -> Result<User> {
    let before = find(conn, id)?;
    let new_key = patch
        .email
        .as_deref()
        .and_then(|raw| Email::parse(raw).ok())
        .map(|e| e.key());
    if id != access.user_id && new_key.is_some_and(|k| k != before.email.to_lowercase()) {
        crate::domain::grant::require_may_grant_all_of_user(
            conn,
            access,
            id,
            "Changing this person's email",
        )?;
    }
    update(conn, actor, id, patch)
}

/// Changes someone's status as a person. Reactivating hands the user's grants
/// back, so for anyone but oneself it takes the right to grant each of them (a
/// user manager does not revive someone who holds more than they do);
/// deactivating only takes access away and needs no more than `user.manage`.
pub fn set_status_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    status: UserStatus,
) -> Result<User> {
    if id != access.user_id && status != UserStatus::Deactivated {
        crate::domain::grant::require_may_grant_all_of_user(
            conn,
            access,
            id,
            "Changing this person's status",
        )?;
    }
    set_status(conn, actor, id, status)
}

/// What `PATCH /api/v1/users/{id}` asks for: fields, a new home, a status.
#[derive(Default)]
pub struct UserChange {
    pub fields: UserPatch,
    pub org_id: Option<i64>,
    pub status: Option<UserStatus>,
}

/// Changes a user for the person, in the caller's transaction: someone they
/// may see (else not found) and manage (`user.manage` at their home, and at
/// a new home too, else 403); the fields by [`update_as`], the move by
/// [`move_home`], the status by [`change_status_as`]. Nothing asked for is
/// a 422.
pub fn change_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    change: UserChange,
) -> Result<User> {
    use crate::authz::Permission;
    let target = find_visible(conn, access, id)?;
    access.require(Permission::UserManage, target.org_id)?;
    if let Some(org_id) = change.org_id {
        access.require(Permission::UserManage, org_id)?;
    }
    let f = &change.fields;
    let edits =
        f.display_name.is_some() || f.email.is_some() || f.job_title.is_some() || f.phone.is_some();
    if !edits && change.org_id.is_none() && change.status.is_none() {
        return Err(FieldErrors::single("body", "Nothing to change."));
    }
    let mut version = change.fields.version;
    if edits {
        update_as(conn, access, actor, id, &change.fields)?;
        version = None;
    }
    if let Some(org_id) = change.org_id {
        move_home(conn, actor, id, org_id, version.take())?;
    }
    if let Some(status) = change.status {
        change_status_as(conn, access, actor, id, status)?;
    }
    find(conn, id)
}

/// Changes someone's status for the person, the one rule behind the user
/// page's deactivate and reactivate buttons and `status` in
/// `PATCH /api/v1/users/{id}`: someone they may see (else not found) and
/// manage (`user.manage` at their home, else 403); never their own status
/// (422 on `status`); someone who never set a password comes back invited,
/// not active (read in the same transaction as the write); then
/// [`set_status_as`] (reviving hands grants back).
pub fn change_status_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    id: i64,
    status: UserStatus,
) -> Result<User> {
    let target = find_visible(conn, access, id)?;
    access.require(crate::authz::Permission::UserManage, target.org_id)?;
    if id == access.user_id {
        return Err(FieldErrors::single(
            "status",
            "You cannot change your own status.",
        ));
    }
    let status = match status {
        UserStatus::Active if target.password_hash.is_none() => UserStatus::Invited,
        s => s,
    };
    set_status_as(conn, access, actor, id, status)
}

/// Moves a user to another home org; their time stays theirs.
pub fn move_home(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    org_id: i64,
    version: Option<i64>,
) -> Result<User> {
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
        Event::new("user.moved", "user", Some(id))
            .org(org_id)
            .before(json!({"org_id": before.org_id}))
            .after(json!({"org_id": org_id})),
    )?;
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

/// A new user as an administrator types it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NewUserInput {
    pub org_id: Option<i64>,
    pub email: String,
    pub display_name: String,
    pub job_title: String,
    /// With a password the user is active at once; without, they are invited.
    pub password: Option<String>,
}

/// The validated parts of a [`NewUserInput`].
pub struct NewUserValues {
    pub org_id: i64,
    pub email: Email,
    pub display_name: String,
    pub job_title: String,
    pub password: Option<validate::NewPassword>,
}

impl NewUserInput {
    pub fn parse(&self) -> Result<NewUserValues> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(&self.email)
            .map_err(|m| errors.add("email", m))
            .ok();
        let display_name = parse_display_name(&self.display_name)
            .map_err(|m| errors.add("display_name", m))
            .ok();
        let job_title = validate::optional_line(&self.job_title, "Job title", 200)
            .map_err(|m| errors.add("job_title", m))
            .unwrap_or_default();
        let password = match self.password.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => validate::NewPassword::parse(p)
                .map_err(|m| errors.add("password", m))
                .ok(),
        };
        if self.org_id.is_none() {
            errors.add("org_id", "Choose the user's home organization.");
        }
        errors.into_result()?;
        match (email, display_name) {
            (Some(email), Some(display_name)) => Ok(NewUserValues {
                org_id: self.org_id.unwrap_or_default(),
                email,
                display_name,
                job_title,
                password,
            }),
            _ => Err(Error::internal("validated input lost a field")),
        }
    }
}

/// Those of `user_ids` the viewer may see (`Access::sees_user`: home where
/// they hold `user.view`, guests granted there, themselves).
pub fn visible_ids(
    conn: &mut Conn,
    access: &crate::authz::Access,
    user_ids: &[i64],
) -> Result<std::collections::HashSet<i64>> {
    let mut homes: Vec<(i64, i64)> = Vec::with_capacity(user_ids.len());
    for chunk in user_ids.chunks(500) {
        homes.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select((users::id, users::org_id))
                .load::<(i64, i64)>(conn)?,
        );
    }
    seen_among(conn, access, &homes)
}

/// The users `access` may see among `candidates` (home where they hold
/// `user.view`, guests granted where they hold it, and themselves).
pub fn visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    candidates: Vec<User>,
) -> Result<Vec<User>> {
    let homes: Vec<(i64, i64)> = candidates.iter().map(|u| (u.id, u.org_id)).collect();
    let seen = seen_among(conn, access, &homes)?;
    Ok(candidates
        .into_iter()
        .filter(|u| seen.contains(&u.id))
        .collect())
}

/// Of `(user id, home org)` pairs, the users `access` may see: the one place
/// lists apply `Access::sees_user`, with the orgs of each user's live grants.
fn seen_among(
    conn: &mut Conn,
    access: &crate::authz::Access,
    homes: &[(i64, i64)],
) -> Result<std::collections::HashSet<i64>> {
    let ids: Vec<i64> = homes.iter().map(|(id, _)| *id).collect();
    let guests = grant_orgs(conn, &ids)?;
    let none = Vec::new();
    Ok(homes
        .iter()
        .filter(|(id, home)| access.sees_user(*id, *home, guests.get(id).unwrap_or(&none)))
        .map(|(id, _)| *id)
        .collect())
}

/// The user `id` if `access` may see them, else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<User> {
    let u = find(conn, id)?;
    visible(conn, access, vec![u])?.pop().ok_or(Error::NotFound)
}
