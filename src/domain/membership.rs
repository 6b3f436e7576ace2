//! What groups and teams share. Each is a named record at an org (`groups`,
//! `teams`: the same columns) with a roster of users, every member carrying
//! one flag (a group's owners manage its members; a team's leads approve
//! their members' time). [`Kind`] says which, with the words, audit actions
//! and notice that differ; `with_tables!` writes a query once and has it
//! checked against both pairs of tables. The rules that differ stay in
//! `group` and `team`: a group's membership carries access (a change bumps
//! the member's epoch, its member list hides whom the viewer may not see and
//! deleting it takes its grants along); a team's carries none.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Timestamp};
use serde::Serialize;
use serde_json::json;

use crate::authz::{Access, Permission};
use crate::db::{self, Conn, schema::users};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::ids::UserId;
use crate::domain::notification::{self, Notice, NoticeKind, kind};
use crate::domain::{epoch, org, validate};
use crate::error::{Error, FieldErrors, Result};

/// Groups or teams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Group,
    Team,
}

/// What differs between the kinds in words and names.
pub struct Words {
    /// "group", "team": in messages.
    pub noun: &'static str,
    /// What its audit entries are about.
    target: Target,
    /// "Group", "Team": at the start of a sentence.
    pub title: &'static str,
    /// The member's flag, as the JSON and the audit call it.
    pub flag: &'static str,
    pub view: Permission,
    pub manage: Permission,
    created: &'static str,
    updated: &'static str,
    member_put: &'static str,
    member_removed: &'static str,
    notice: NoticeKind,
    /// Membership carries access: a change bumps the member's epoch.
    carries_access: bool,
    /// Its member list shows only whom the viewer may see (a group in one's
    /// org may hold people one may not know of); a team shows everyone in it
    /// to whoever sees the team.
    lists_only_seen: bool,
    /// The flag makes a member a manager of the members (a group's owners,
    /// SPEC 2): they see the record and all its members, and change them,
    /// with no grant of their own. A team's leads approve time instead.
    flag_manages: bool,
}

const GROUP: Words = Words {
    noun: "group",
    target: Target::Group,
    title: "Group",
    flag: "owner",
    view: Permission::GroupView,
    manage: Permission::GroupManage,
    created: "group.created",
    updated: "group.updated",
    member_put: "group.member_put",
    member_removed: "group.member_removed",
    notice: kind::ADDED_TO_GROUP,
    carries_access: true,
    lists_only_seen: true,
    flag_manages: true,
};

const TEAM: Words = Words {
    noun: "team",
    target: Target::Team,
    title: "Team",
    flag: "lead",
    view: Permission::TeamView,
    manage: Permission::TeamManage,
    created: "team.created",
    updated: "team.updated",
    member_put: "team.member_put",
    member_removed: "team.member_removed",
    notice: kind::ADDED_TO_TEAM,
    carries_access: false,
    lists_only_seen: false,
    flag_manages: false,
};

impl Kind {
    pub fn words(self) -> &'static Words {
        match self {
            Kind::Group => &GROUP,
            Kind::Team => &TEAM,
        }
    }
}

/// `$body` once for each kind, with `$records` the kind's table (`groups`,
/// `teams`), `$members` its members' table, `$holder` the members' column
/// naming the record and `$flag` their flag column: one query, checked
/// against both pairs of tables.
macro_rules! with_tables {
    ($kind:expr, |$records:ident, $members:ident, $holder:ident, $flag:ident| $body:expr) => {
        match $kind {
            Kind::Group => {
                #[allow(unused_imports)]
                use crate::db::schema::group_members::{group_id as $holder, owner as $flag};
                #[allow(unused_imports)]
                use crate::db::schema::{group_members as $members, groups as $records};
                $body
            }
            Kind::Team => {
                #[allow(unused_imports)]
                use crate::db::schema::team_members::{lead as $flag, team_id as $holder};
                #[allow(unused_imports)]
                use crate::db::schema::{team_members as $members, teams as $records};
                $body
            }
        }
    };
}

/// The columns of a record, in the field order of `Group` and `Team`.
macro_rules! record_columns {
    ($t:ident) => {
        (
            $t::id,
            $t::org_id,
            $t::name,
            $t::description,
            $t::version,
            $t::created_at,
            $t::updated_at,
        )
    };
}

/// The columns of a listed member, in the field order of the kinds' `Member`.
macro_rules! member_columns {
    ($flag:ident) => {
        (
            users::id,
            users::display_name,
            users::email,
            $flag,
            users::status,
        )
    };
}

type Backend = <Conn as diesel::Connection>::Backend;
type RecordSql = (BigInt, BigInt, Text, Text, BigInt, Timestamp, Timestamp);
type MemberSql = (BigInt, Text, Text, Bool, Text);

/// A group or a team as read (`Group`, `Team`).
pub trait Record: Queryable<RecordSql, Backend> + Serialize + Sized + Send + 'static {
    const KIND: Kind;
    fn id(&self) -> i64;
    fn org_id(&self) -> i64;
    fn name(&self) -> &str;
    fn description(&self) -> &str;
    fn version(&self) -> i64;
}

/// A member as listed (the kinds' `Member`).
pub trait Listed: Queryable<MemberSql, Backend> + Sized + Send + 'static {}
impl<M: Queryable<MemberSql, Backend> + Sized + Send + 'static> Listed for M {}

/// A kind's types, in its module: the record `$record` as read from `$table`
/// (with its [`Record`] impl), the `$draft` of its forms and JSON, its
/// `GroupValues`-like `$values` and its listed `Member` (schema `$member`,
/// the flag field `$flag`). The doc comments are the schemas' descriptions.
macro_rules! kind_types {
    (
        $kind:ident: $record:ident in $table:ident,
        $(#[$draft_meta:meta])* $draft:ident, $values:ident,
        $member:ident with $flag:ident
    ) => {
        #[derive(Clone, Debug, diesel::Queryable, diesel::Selectable, serde::Serialize)]
        #[diesel(table_name = crate::db::schema::$table)]
        pub struct $record {
            pub id: i64,
            pub org_id: i64,
            pub name: String,
            pub description: String,
            pub version: i64,
            pub created_at: chrono::NaiveDateTime,
            pub updated_at: chrono::NaiveDateTime,
        }

        impl $crate::domain::membership::Record for $record {
            const KIND: $crate::domain::membership::Kind = $crate::domain::membership::Kind::$kind;
            fn id(&self) -> i64 {
                self.id
            }
            fn org_id(&self) -> i64 {
                self.org_id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn description(&self) -> &str {
                &self.description
            }
            fn version(&self) -> i64 {
                self.version
            }
        }

        $(#[$draft_meta])*
        #[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
        #[serde(default)]
        pub struct $draft {
            pub name: String,
            pub description: String,
        }

        pub type $values = $crate::domain::membership::Values;

        impl $draft {
            pub fn validate(&self) -> $crate::error::Result<$values> {
                $crate::domain::membership::validate(&self.name, &self.description)
            }
        }

        /// A member as listed.
        #[derive(Clone, Debug, diesel::Queryable, serde::Serialize, utoipa::ToSchema)]
        #[schema(as = $member)]
        pub struct Member {
            pub user_id: i64,
            pub display_name: String,
            pub email: String,
            pub $flag: bool,
            pub status: String,
        }
    };
}
pub(crate) use kind_types;

/// A record's fields, validated.
pub struct Values {
    pub name: String,
    pub description: String,
}

/// Validates a record's fields as typed.
pub fn validate(name: &str, description: &str) -> Result<Values> {
    let mut errors = FieldErrors::new();
    let name = org::parse_name(name)
        .map_err(|m| errors.add("name", m))
        .unwrap_or_default();
    let description = validate::text_block(description, "Description", 2000)
        .map_err(|m| errors.add("description", m))
        .unwrap_or_default();
    errors.into_result()?;
    Ok(Values { name, description })
}

pub fn find<R: Record>(conn: &mut Conn, id: i64) -> Result<R> {
    with_tables!(R::KIND, |t, m, h, f| Ok(t::table
        .find(id)
        .select(record_columns!(t))
        .first::<R>(conn)?))
}

/// The record if `access` may see it (its kind's view permission where it
/// lives, privacy borders included, or managing its members by their flag),
/// else not found.
pub fn find_visible<R: Record>(conn: &mut Conn, access: &Access, id: i64) -> Result<R> {
    let r: R = find(conn, id)?;
    if access.can(R::KIND.words().view, r.org_id()) || manages_by_flag(conn, R::KIND, id, access)? {
        Ok(r)
    } else {
        Err(Error::NotFound)
    }
}

/// True when the person's flag in record `id` makes them a manager of its
/// members (an owner of a group; never so for a team's leads).
pub fn manages_by_flag(conn: &mut Conn, kind: Kind, id: i64, access: &Access) -> Result<bool> {
    Ok(kind.words().flag_manages && flag_of(conn, kind, id, access.me())? == Some(true))
}

fn ensure_unique_name(
    conn: &mut Conn,
    kind: Kind,
    org_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<()> {
    let taken = with_tables!(kind, |t, m, h, f| {
        let mut q = t::table
            .filter(t::org_id.eq(org_id))
            .filter(t::name_key.eq(validate::key(name)))
            .select(t::id)
            .into_boxed();
        if let Some(id) = except {
            q = q.filter(t::id.ne(id));
        }
        q.first::<i64>(conn).optional()?.is_some()
    });
    if taken {
        return Err(FieldErrors::single(
            "name",
            format!(
                "This organization already has a {} with this name.",
                kind.words().noun
            ),
        ));
    }
    Ok(())
}

/// Creates a record at `org_id` (not an archived one; its name unique there).
pub fn create<R: Record>(
    conn: &mut Conn,
    actor: &Actor,
    org_id: i64,
    values: &Values,
) -> Result<R> {
    let words = R::KIND.words();
    if org::is_frozen(conn, org_id)? {
        return Err(Error::conflict(format!(
            "An archived organization accepts no new {}s.",
            words.noun
        )));
    }
    ensure_unique_name(conn, R::KIND, org_id, &values.name, None)?;
    let now = db::now();
    let id: i64 = with_tables!(R::KIND, |t, m, h, f| crate::with_backend!(conn, |c| {
        diesel::insert_into(t::table)
            .values((
                t::org_id.eq(org_id),
                t::name.eq(&values.name),
                t::name_key.eq(validate::key(&values.name)),
                t::description.eq(&values.description),
                t::created_at.eq(now),
                t::updated_at.eq(now),
            ))
            .returning(t::id)
            .get_result(c)
    }))?;
    let created: R = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new(words.created, words.target, Some(id))
            .org(org_id)
            .after(&created),
    )?;
    Ok(created)
}

/// Renames or describes record `id`; refused as stale when `version` is
/// given and is not the record's.
pub fn update<R: Record>(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &Values,
    version: Option<i64>,
) -> Result<R> {
    let words = R::KIND.words();
    let before: R = find(conn, id)?;
    require_version(before.version(), version)?;
    ensure_unique_name(conn, R::KIND, before.org_id(), &values.name, Some(id))?;
    let changed = with_tables!(R::KIND, |t, m, h, f| diesel::update(
        t::table.find(id).filter(t::version.eq(before.version())),
    )
    .set((
        t::name.eq(&values.name),
        t::name_key.eq(validate::key(&values.name)),
        t::description.eq(&values.description),
        t::version.eq(t::version + 1),
        t::updated_at.eq(db::now()),
    ))
    .execute(conn))?;
    if changed == 0 {
        return Err(Error::stale());
    }
    let after: R = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new(words.updated, words.target, Some(id))
            .org(after.org_id())
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Stale when a version was given and is not `current`.
pub fn require_version(current: i64, given: Option<i64>) -> Result<()> {
    if given.is_some_and(|v| v != current) {
        Err(Error::stale())
    } else {
        Ok(())
    }
}

/// Records of orgs, by name.
pub fn in_orgs<R: Record>(conn: &mut Conn, org_ids: &[i64]) -> Result<Vec<R>> {
    let mut out: Vec<R> = Vec::new();
    for chunk in org_ids.chunks(500) {
        let rows: Vec<R> = with_tables!(R::KIND, |t, m, h, f| t::table
            .filter(t::org_id.eq_any(chunk))
            .select(record_columns!(t))
            .load(conn)?);
        out.extend(rows);
    }
    out.sort_by_key(|r| r.name().to_lowercase());
    Ok(out)
}

/// The records a user belongs to, by name, each with the user's flag.
pub fn of_user<R: Record>(conn: &mut Conn, user: UserId) -> Result<Vec<(R, bool)>> {
    Ok(with_tables!(R::KIND, |t, m, h, f| t::table
        .inner_join(m::table)
        .filter(m::user_id.eq(user.0))
        .select((record_columns!(t), f))
        .order(t::name_key)
        .load(conn)?))
}

/// Which orgs' records a search covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Within {
    Anywhere,
    /// The org and every org below it.
    Subtree(i64),
    /// That org only.
    At(i64),
}

/// One page (in name order) of the records whose name matches `q`, among
/// those `access` may see (the kind's view permission at their org, exactly
/// as `can` answers: `Access::scope_levels`), within `within`, narrowed in
/// SQL; with the number of all matches.
pub fn search_visible<R: Record>(
    conn: &mut Conn,
    access: &Access,
    q: &validate::Contains,
    within: Within,
    offset: i64,
    limit: i64,
) -> Result<(Vec<R>, i64)> {
    use crate::authz::parts::Narrowing;
    use crate::domain::org::subtree_ids;
    let pattern = q.pattern();
    let at = match within {
        Within::At(o) => Some(o),
        Within::Anywhere | Within::Subtree(_) => None,
    };
    let scope = match access.narrowing(R::KIND.words().view, at) {
        Narrowing::Nothing => return Ok((vec![], 0)),
        Narrowing::Everything => None,
        Narrowing::Levels(levels) => Some(levels),
    };
    with_tables!(R::KIND, |t, m, h, f| {
        type Cond = Box<dyn BoxableExpression<t::table, Backend, SqlType = Bool>>;
        let build = || {
            let mut query = t::table
                .filter(t::name_key.like(pattern.clone()).escape('\\'))
                .into_boxed();
            if let Some(levels) = &scope {
                let cond = levels
                    .iter()
                    .map(|l| -> Cond {
                        Box::new(
                            t::org_id
                                .eq_any(subtree_ids(l.roots.clone()))
                                .and(t::org_id.ne_all(subtree_ids(l.hidden.clone()))),
                        )
                    })
                    .reduce(|a, b| Box::new(a.or(b)));
                if let Some(cond) = cond {
                    query = query.filter(cond);
                }
            }
            match within {
                Within::Anywhere => {}
                Within::Subtree(w) => {
                    query = query.filter(t::org_id.eq_any(subtree_ids(vec![w])));
                }
                Within::At(o) => query = query.filter(t::org_id.eq(o)),
            }
            query
        };
        let total = build().count().get_result(conn)?;
        let rows = build()
            .order((t::name_key, t::id))
            .offset(offset)
            .limit(limit)
            .select(record_columns!(t))
            .load(conn)?;
        Ok((rows, total))
    })
}

/// The ids of record `id`'s members.
pub fn member_ids(conn: &mut Conn, kind: Kind, id: i64) -> Result<Vec<i64>> {
    Ok(with_tables!(kind, |t, m, h, f| m::table
        .filter(h.eq(id))
        .select(m::user_id)
        .load(conn)?))
}

/// Record `id`'s members, flagged ones first, then by name.
pub fn members<M: Listed>(conn: &mut Conn, kind: Kind, id: i64) -> Result<Vec<M>> {
    Ok(with_tables!(kind, |t, m, h, f| m::table
        .inner_join(users::table)
        .filter(h.eq(id))
        .order((f.desc(), users::display_name))
        .select(member_columns!(f))
        .load(conn)?))
}

/// One page of record `id`'s members, flagged ones first then by name,
/// narrowed by `q` (name or email); with the number of all such matches and
/// how many members are hidden. With a `viewer`, only the members they may
/// see (`Access::sees_user`, in SQL) are listed, the others counted, never
/// named (`q` does not narrow that count); without, everyone is listed.
pub fn page<M: Listed>(
    conn: &mut Conn,
    kind: Kind,
    id: i64,
    viewer: Option<&Access>,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<M>, i64, i64)> {
    use crate::domain::user::{name_or_email_sql, search_pattern, sees_user_sql, user_scope};
    let scope = viewer.and_then(user_scope);
    let me = viewer.map_or(0, |a| a.user_id);
    let pattern = search_pattern(q);
    with_tables!(kind, |t, m, h, f| {
        let of_record = || {
            m::table
                .inner_join(users::table)
                .filter(h.eq(id))
                .into_boxed()
        };
        let seen = || match scope.clone() {
            None => of_record(),
            Some(scope) => of_record().filter(sees_user_sql!(scope, me)),
        };
        let shown = || match pattern.clone() {
            None => seen(),
            Some(p) => seen().filter(name_or_email_sql!(p)),
        };
        let total: i64 = shown().count().get_result(conn)?;
        let members: Vec<M> = shown()
            .order((f.desc(), users::display_name, users::id))
            .offset(offset)
            .limit(limit)
            .select(member_columns!(f))
            .load(conn)?;
        // Everyone seen: nobody hidden, no second count.
        let hidden = match (&scope, &pattern) {
            (None, _) => 0,
            (Some(_), None) => of_record().count().get_result::<i64>(conn)? - total,
            (Some(_), Some(_)) => {
                of_record().count().get_result::<i64>(conn)?
                    - seen().count().get_result::<i64>(conn)?
            }
        };
        Ok((members, total, hidden))
    })
}

/// One page of [`page`] as a person: the record visible to them (else not
/// found), and its members as its kind shows them to them.
pub fn page_as<R: Record, M: Listed>(
    conn: &mut Conn,
    access: &Access,
    id: i64,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<M>, i64, i64)> {
    let r: R = find_visible(conn, access, id)?;
    // Those who manage the members by their flag see every one of them.
    let only_seen =
        R::KIND.words().lists_only_seen && !manages_by_flag(conn, R::KIND, r.id(), access)?;
    page(
        conn,
        R::KIND,
        r.id(),
        only_seen.then_some(access),
        q,
        offset,
        limit,
    )
}

/// The flag of `user` in record `id`, or `None` when they are not a member.
pub fn flag_of(conn: &mut Conn, kind: Kind, id: i64, user: UserId) -> Result<Option<bool>> {
    Ok(with_tables!(kind, |t, m, h, f| m::table
        .find((id, user.0))
        .select(f)
        .first::<bool>(conn)
        .optional()?))
}

/// Deletes every membership of record `id`.
pub fn delete_members(conn: &mut Conn, kind: Kind, id: i64) -> Result<()> {
    with_tables!(kind, |t, m, h, f| diesel::delete(m::table.filter(h.eq(id)))
        .execute(conn))?;
    Ok(())
}

/// Adds `user` to `r`, or changes their flag; a new member is told (unless
/// they added themselves).
pub fn put_member<R: Record>(
    conn: &mut Conn,
    actor: &Actor,
    r: &R,
    user: UserId,
    flag: bool,
) -> Result<()> {
    let (words, id) = (R::KIND.words(), r.id());
    let person = crate::domain::user::find(conn, user.0)?;
    let current = flag_of(conn, R::KIND, id, user)?;
    match current {
        Some(o) if o == flag => return Ok(()),
        Some(_) => {
            with_tables!(R::KIND, |t, m, h, f| diesel::update(
                m::table.find((id, user.0))
            )
            .set(f.eq(flag))
            .execute(conn))?;
        }
        None => {
            with_tables!(R::KIND, |t, m, h, f| diesel::insert_into(m::table)
                .values((
                    h.eq(id),
                    m::user_id.eq(user.0),
                    f.eq(flag),
                    m::created_at.eq(db::now()),
                ))
                .execute(conn))?;
            if words.carries_access {
                epoch::bump_user(conn, user.0)?;
            }
            if actor.user_id != Some(user.0) {
                let title = format!("You were added to the {} {}", words.noun, r.name());
                let notice = Notice::new(words.notice, title, format!("/users/{user}"));
                notification::send(conn, user.0, &notice.about(r.org_id()))?;
            }
        }
    }
    let mut before = serde_json::Map::new();
    before.insert("member".into(), json!(current.is_some()));
    before.insert(words.flag.into(), json!(current));
    let mut after = serde_json::Map::new();
    after.insert("user_id".into(), json!(person.id));
    after.insert("email".into(), json!(person.email));
    after.insert(words.flag.into(), json!(flag));
    audit::record(
        conn,
        actor,
        Event::new(words.member_put, words.target, Some(id))
            .org(r.org_id())
            .before(before)
            .after(after),
    )
}

/// Removes `user` from `r` (not found when not a member).
pub fn remove_member<R: Record>(conn: &mut Conn, actor: &Actor, r: &R, user: UserId) -> Result<()> {
    let (words, id) = (R::KIND.words(), r.id());
    let removed = with_tables!(R::KIND, |t, m, h, f| diesel::delete(
        m::table.find((id, user.0))
    )
    .execute(conn))?;
    if removed == 0 {
        return Err(Error::NotFound);
    }
    if words.carries_access {
        epoch::bump_user(conn, user.0)?;
    }
    audit::record(
        conn,
        actor,
        Event::new(words.member_removed, words.target, Some(id))
            .org(r.org_id())
            .before(json!({"user_id": user.0})),
    )
}
