//! Who sees whom: the people one may see, searched and paged in SQL.

use diesel::prelude::*;

use crate::db::{self, Conn, schema::users};
use crate::domain::ids::{OrgId, UserId};
use crate::error::{Error, FieldErrors, Result};

use super::*;

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

pub(crate) type UserQuery<'a> = users::BoxedQuery<'a, <Conn as diesel::Connection>::Backend>;

/// `query` narrowed by the list filters: text in email or name, status, home.
pub(super) fn filtered<'a>(mut query: UserQuery<'a>, filter: &UserFilter) -> UserQuery<'a> {
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

/// The SQL side of a name-or-email search: `$p`, a [`search_pattern`],
/// against `users::email_key` or `lower(users::display_name)`, for the
/// `filter` of any query with `users` in its FROM.
macro_rules! name_or_email_sql {
    ($p:expr) => {{
        let p: String = $p;
        $crate::db::schema::users::email_key
            .like(p.clone())
            .or($crate::db::lower($crate::db::schema::users::display_name).like(p))
    }};
}
pub(crate) use name_or_email_sql;

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
pub(crate) fn visible_query(access: &crate::authz::Access) -> UserQuery<'static> {
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
pub(super) fn grant_orgs(
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
pub(super) fn seen_among(
    conn: &mut Conn,
    access: &crate::authz::Access,
    homes: &[(i64, i64)],
) -> Result<std::collections::HashSet<i64>> {
    let ids: Vec<i64> = homes.iter().map(|(id, _)| *id).collect();
    let guests = grant_orgs(conn, &ids)?;
    let none = Vec::new();
    Ok(homes
        .iter()
        .filter(|(id, home)| {
            access.sees_user(UserId(*id), OrgId(*home), guests.get(id).unwrap_or(&none))
        })
        .map(|(id, _)| *id)
        .collect())
}

/// The user `id` if `access` may see them, else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<User> {
    let u = find(conn, id)?;
    visible(conn, access, vec![u])?.pop().ok_or(Error::NotFound)
}

/// The person with `email` if `access` may see them; anyone else (or no one)
/// is one message on `field`, so it never tells whether the email is in use.
pub fn find_visible_by_email(
    conn: &mut Conn,
    access: &crate::authz::Access,
    email: &str,
    field: &str,
) -> Result<User> {
    let none = || FieldErrors::single(field, "There is no user with this email you can see.");
    let Some(found) = crate::domain::user::find_by_email(conn, email)? else {
        return Err(none());
    };
    find_visible(conn, access, found.id).map_err(|_| none())
}
