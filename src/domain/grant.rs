//! Grants: a role given to a user at an org (and, with later areas, to groups and
//! at projects). Every change bumps the holder's access epoch in the same
//! transaction, so it holds at the next request.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use crate::authz::{Access, BuiltinRole, Permission};
use crate::db::{
    self, Conn,
    schema::{grants, groups, orgs, roles, users},
};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::role::{self, Role};
use crate::domain::{epoch, settings, user};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = grants)]
pub struct Grant {
    pub id: i64,
    pub role_id: i64,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub org_id: Option<i64>,
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub granted_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

/// A grant with the names people read.
#[derive(Clone, Debug, Serialize)]
pub struct GrantView {
    #[serde(flatten)]
    pub grant: Grant,
    pub role: String,
    pub user_name: Option<String>,
    pub user_email: Option<String>,
    pub group_name: Option<String>,
    pub org_name: Option<String>,
}

impl Grant {
    /// True while the grant counts: no expiry, or one still ahead of `now`.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.expires_at.is_none_or(|e| e > now)
    }

    /// The org the grant is decided at: its own, or its project's.
    pub fn decided_at(&self, snapshot: &crate::authz::Snapshot) -> Option<i64> {
        self.org_id
            .or_else(|| self.project_id.and_then(|p| snapshot.project_org(p)))
    }
}

impl GrantView {
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        !self.grant.is_live(now)
    }
}

/// The SQL side of [`Grant::is_live`]: grants with no expiry or one after `now`.
pub fn live_at(
    now: NaiveDateTime,
) -> diesel::dsl::Or<
    diesel::dsl::IsNull<grants::expires_at>,
    diesel::dsl::Gt<grants::expires_at, NaiveDateTime>,
> {
    grants::expires_at.is_null().or(grants::expires_at.gt(now))
}

/// Every grant `user_id` holds, live or not: made to them, or to a group they
/// belong to.
pub fn held_by(conn: &mut Conn, user_id: i64) -> Result<Vec<Grant>> {
    use crate::db::schema::group_members;
    let their_groups = group_members::table
        .filter(group_members::user_id.eq(user_id))
        .select(group_members::group_id.nullable());
    Ok(grants::table
        .filter(
            grants::user_id
                .eq(user_id)
                .or(grants::group_id.eq_any(their_groups)),
        )
        .select(Grant::as_select())
        .order(grants::id)
        .load(conn)?)
}

/// Who receives a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    User(i64),
    Group(i64),
}

/// A validated request to grant a role at an org.
#[derive(Clone, Debug)]
pub struct NewGrant {
    pub role_id: i64,
    pub holder: Holder,
    /// The org the grant is made at, or — with `project_id` — the project's org.
    pub org_id: i64,
    /// A grant at this project only (`descendants` is then meaningless).
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
}

/// Where a person asks to make a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// At an org: with `descendants`, the org and everything below it.
    Org(i64),
    /// At one project only.
    Project(i64),
}

/// A grant as a person asks for it, before any check.
#[derive(Clone, Debug)]
pub struct GrantRequest {
    pub role_id: i64,
    pub holder: Holder,
    pub scope: Scope,
    /// "And below" (ignored at a project).
    pub descendants: bool,
    pub expires_at: Option<NaiveDateTime>,
}

/// The org a grant at `scope` is decided at, when the person may see the scope
/// (inside the org's privacy border; the project itself); else not found.
pub fn scope_org(access: &Access, scope: Scope) -> Result<i64> {
    match scope {
        Scope::Org(org_id) => {
            access.require_visible(org_id)?;
            if access.sees_inside(org_id) {
                Ok(org_id)
            } else {
                Err(Error::NotFound)
            }
        }
        Scope::Project(project_id) => {
            if !access.can_project(Permission::ProjectView, project_id) {
                return Err(Error::NotFound);
            }
            access
                .snapshot
                .project_org(project_id)
                .ok_or(Error::NotFound)
        }
    }
}

/// The no-escalation rule (SPEC 3) for one grant of `role` decided at `org_id`:
/// `access.manage` and every permission of the role there — through grants that
/// reach below when the grant does (`descendants`) — and the role allowed by
/// the `assignable_roles` of the org and of every org above it.
pub fn require_may_grant(
    conn: &mut Conn,
    access: &Access,
    role: &Role,
    org_id: i64,
    descendants: bool,
) -> Result<()> {
    access.require_may_grant(role.permission_set(), org_id, descendants)?;
    if settings::assignable_roles(conn, org_id)?.is_some_and(|ids| !ids.contains(&role.id)) {
        return Err(Error::Forbidden(format!(
            "The settings of this organization (or of one above it) do not let its admins \
             assign the role {}.",
            role.name
        )));
    }
    Ok(())
}

/// What a grant request is checked into before its holder is looked at: the
/// org it is decided at, its project, its reach and the role.
pub struct Checked {
    pub org_id: i64,
    pub project_id: Option<i64>,
    pub descendants: bool,
    pub role: Role,
}

/// The checks of a grant that do not depend on its holder: the scope visible
/// (inside its border), the role usable there, the expiry ahead, and
/// [`require_may_grant`]. Every way of granting starts here.
pub fn check_request(
    conn: &mut Conn,
    access: &Access,
    role_id: i64,
    scope: Scope,
    descendants: bool,
    expires_at: Option<NaiveDateTime>,
) -> Result<Checked> {
    let org_id = scope_org(access, scope)?;
    let (project_id, descendants) = match scope {
        Scope::Org(_) => (None, descendants),
        Scope::Project(p) => (Some(p), false),
    };
    let no_role = || FieldErrors::single("role_id", "There is no such role here.");
    let role = match role::find(conn, role_id) {
        Ok(r) if role::usable_at(conn, r.id, org_id)? => r,
        Ok(_) | Err(Error::NotFound) => return Err(no_role()),
        Err(e) => return Err(e),
    };
    require_may_grant(conn, access, &role, org_id, descendants)?;
    if expires_at.is_some_and(|e| e <= db::now()) {
        return Err(FieldErrors::single(
            "expires_at",
            "The expiry must lie in the future.",
        ));
    }
    Ok(Checked {
        org_id,
        project_id,
        descendants,
        role,
    })
}

/// Nobody adds a grant to themselves: not directly, and not to a group they
/// belong to (which hands it to them all the same). Dropping one's own grant
/// stays allowed ([`require_may_revoke`]).
pub fn require_not_self(conn: &mut Conn, access: &Access, holder: Holder) -> Result<()> {
    let own = match holder {
        Holder::User(id) => id == access.user_id,
        Holder::Group(id) => crate::domain::group::member_ids(conn, id)?.contains(&access.user_id),
    };
    if own {
        return Err(match holder {
            Holder::User(_) => {
                Error::Forbidden("You cannot grant a role to yourself; someone else must.".into())
            }
            Holder::Group(_) => self_through_group(),
        });
    }
    Ok(())
}

/// The refusal of a grant that would reach oneself through a group: granting
/// to a group one is in, or joining a group that holds live grants.
pub fn self_through_group() -> Error {
    Error::Forbidden(
        "You belong to this group, so a grant to it would be a grant to yourself; someone \
         else must make it."
            .into(),
    )
}

/// Nobody joins, on their own say, a group that holds live grants: that would
/// be a grant to themselves ([`require_not_self`]). Someone else must add them.
pub fn require_not_joining_grants(
    conn: &mut Conn,
    access: &Access,
    group_id: i64,
    user_id: i64,
) -> Result<()> {
    let now = db::now();
    if user_id == access.user_id
        && grants_of_group(conn, group_id)?
            .iter()
            .any(|g| g.is_live(now))
    {
        return Err(self_through_group());
    }
    Ok(())
}

/// The roles `access` may hand out at `org_id` with this reach: those usable
/// there that pass [`require_may_grant`] (the permissions and the
/// `assignable_roles` of the org and above). The grant forms offer exactly
/// these; submitting checks the rule again.
pub fn grantable_roles(
    conn: &mut Conn,
    access: &Access,
    org_id: i64,
    descendants: bool,
) -> Result<Vec<Role>> {
    if !access.can(Permission::AccessManage, org_id) {
        return Ok(vec![]);
    }
    let assignable = settings::assignable_roles(conn, org_id)?;
    Ok(role::usable_at_org(conn, org_id)?
        .into_iter()
        .filter(|r| assignable.as_ref().is_none_or(|ids| ids.contains(&r.id)))
        .filter(|r| {
            access
                .require_may_grant(r.permission_set(), org_id, descendants)
                .is_ok()
        })
        .collect())
}

/// Makes a grant as a person: [`check_request`], then the holder must be
/// visible and not the granter (nor a group they are in). Pages and the API
/// both grant through here.
pub fn grant_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    request: &GrantRequest,
) -> Result<(Grant, Role)> {
    let checked = check_request(
        conn,
        access,
        request.role_id,
        request.scope,
        request.descendants,
        request.expires_at,
    )?;
    if let Holder::User(user_id) = request.holder {
        // Only people one may see: a grant must not find or reveal anyone else.
        match user::find_visible(conn, access, user_id) {
            Ok(_) => {}
            Err(Error::NotFound) => {
                return Err(FieldErrors::single("user_id", "There is no such user."));
            }
            Err(e) => return Err(e),
        }
    }
    if let Holder::Group(group_id) = request.holder {
        // A group one may not see answers as if it did not exist.
        let no_group = || FieldErrors::single("group_id", "There is no such group.");
        let group_org = match crate::domain::group::find(conn, group_id) {
            Ok(g) => g.org_id,
            Err(Error::NotFound) => return Err(no_group()),
            Err(e) => return Err(e),
        };
        if !(access.sees_inside(group_org) && access.can(Permission::GroupView, group_org)) {
            return Err(no_group());
        }
    }
    require_not_self(conn, access, request.holder)?;
    let grant = create(
        conn,
        actor,
        &checked.new_grant(request.holder, request.expires_at),
    )?;
    Ok((grant, checked.role))
}

impl Checked {
    /// The grant to write for `holder`.
    pub fn new_grant(&self, holder: Holder, expires_at: Option<NaiveDateTime>) -> NewGrant {
        NewGrant {
            role_id: self.role.id,
            holder,
            org_id: self.org_id,
            project_id: self.project_id,
            descendants: self.descendants,
            expires_at,
        }
    }
}

/// Checks that the person may grant each of `grants` again (scope, role, reach),
/// as if granting it directly: what handing someone those grants takes, by
/// adding them to a group or by taking over their account. Expired grants count
/// for nothing and are skipped. `why` says what is being done, for the message.
fn require_may_regrant(
    conn: &mut Conn,
    access: &Access,
    grants: &[Grant],
    why: &str,
) -> Result<()> {
    let now = db::now();
    for g in grants.iter().filter(|g| g.is_live(now)) {
        let Some(org_id) = g.decided_at(&access.snapshot) else {
            continue;
        };
        // A grant inside an archived org changes nothing there (read-only), and
        // nobody may grant there now; it does not stand in the way.
        let frozen = access
            .snapshot
            .explain(access.user_id, Permission::AccessManage, org_id);
        if matches!(frozen.reason, crate::authz::Reason::OrgArchived { .. }) {
            continue;
        }
        let descendants = g.descendants && g.project_id.is_none();
        let role = role::find(conn, g.role_id)?;
        // The permissions only: `assignable_roles` limits handing roles out
        // anew, not what someone already holds.
        if let Err(e) = access.require_may_grant(role.permission_set(), org_id, descendants) {
            let reason = match e {
                Error::Forbidden(m) => m,
                Error::NotFound => "you do not manage access there.".into(),
                other => return Err(other),
            };
            let scope = if access.can(Permission::OrgView, org_id) {
                let name = crate::domain::org::find(conn, org_id)?.name;
                match (g.project_id, descendants) {
                    (Some(_), _) => format!("a project of {name}"),
                    (None, true) => format!("{name} and below"),
                    (None, false) => format!("{name} only"),
                }
            } else {
                "an organization you cannot see".into()
            };
            return Err(Error::Forbidden(format!(
                "{why} needs the right to grant {} at {scope}, which you lack: {reason}",
                role.name
            )));
        }
    }
    Ok(())
}

/// The live and expired grants made to a group.
pub fn grants_of_group(conn: &mut Conn, group_id: i64) -> Result<Vec<Grant>> {
    Ok(grants::table
        .filter(grants::group_id.eq(group_id))
        .select(Grant::as_select())
        .order(grants::id)
        .load(conn)?)
}

/// Adding a member to a group hands them the group's grants: the person must
/// be able to grant each of them directly.
pub fn require_may_grant_group(conn: &mut Conn, access: &Access, group_id: i64) -> Result<()> {
    let held = grants_of_group(conn, group_id)?;
    require_may_regrant(conn, access, &held, "Adding a member to this group")
}

/// Taking over an account (changing its email, from which a password reset
/// follows) hands its grants to whoever does it: the person must be able to
/// grant each of the user's grants, direct and through groups.
pub fn require_may_grant_all_of_user(
    conn: &mut Conn,
    access: &Access,
    user_id: i64,
    why: &str,
) -> Result<()> {
    let held = held_by(conn, user_id)?;
    require_may_regrant(conn, access, &held, why)
}

/// The users whose access a grant to `holder` changes.
fn affected_users(conn: &mut Conn, holder: Holder) -> Result<Vec<i64>> {
    match holder {
        Holder::User(id) => Ok(vec![id]),
        Holder::Group(id) => crate::domain::group::member_ids(conn, id),
    }
}

fn bump_holders(conn: &mut Conn, holder: Holder) -> Result<()> {
    let users = affected_users(conn, holder)?;
    // Past a few hundred members a rebuild is cheaper than patching each.
    if users.len() > 200 {
        return epoch::bump_tree(conn);
    }
    for user_id in users {
        epoch::bump_user(conn, user_id)?;
    }
    Ok(())
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Grant> {
    Ok(grants::table
        .find(id)
        .select(Grant::as_select())
        .first(conn)?)
}

/// Gives a user a role at an org.
pub fn create(conn: &mut Conn, actor: &Actor, new: &NewGrant) -> Result<Grant> {
    let mut errors = FieldErrors::new();
    if !role::usable_at(conn, new.role_id, new.org_id)? {
        errors.add("role_id", "There is no such role here.");
    }
    match new.holder {
        Holder::User(id) => {
            if users::table
                .find(id)
                .select(users::id)
                .first::<i64>(conn)
                .optional()?
                .is_none()
            {
                errors.add("user_id", "There is no such user.");
            }
        }
        Holder::Group(id) => {
            if groups::table
                .find(id)
                .select(groups::id)
                .first::<i64>(conn)
                .optional()?
                .is_none()
            {
                errors.add("group_id", "There is no such group.");
            }
        }
    }
    if new.expires_at.is_some_and(|e| e <= db::now()) {
        errors.add("expires_at", "The expiry must lie in the future.");
    }
    errors.into_result()?;
    let (user_id, group_id) = match new.holder {
        Holder::User(id) => (Some(id), None),
        Holder::Group(id) => (None, Some(id)),
    };
    let mut existing = grants::table
        .filter(grants::role_id.eq(new.role_id))
        .into_boxed();
    existing = match new.project_id {
        Some(p) => existing.filter(grants::project_id.eq(p)),
        None => existing.filter(grants::org_id.eq(new.org_id)),
    };
    existing = match new.holder {
        Holder::User(id) => existing.filter(grants::user_id.eq(id)),
        Holder::Group(id) => existing.filter(grants::group_id.eq(id)),
    };
    let existing: Option<i64> = existing
        .filter(grants::descendants.eq(new.descendants))
        .filter(live_at(db::now()))
        .select(grants::id)
        .first(conn)
        .optional()?;
    if existing.is_some() {
        return Err(Error::Duplicate(FieldErrors::of(
            "role_id",
            "This user already holds this role here.",
        )));
    }
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(grants::table)
        .values((
            grants::role_id.eq(new.role_id),
            grants::user_id.eq(user_id),
            grants::group_id.eq(group_id),
            grants::org_id.eq(new.project_id.is_none().then_some(new.org_id)),
            grants::project_id.eq(new.project_id),
            grants::descendants.eq(new.descendants && new.project_id.is_none()),
            grants::expires_at.eq(new.expires_at),
            grants::granted_by.eq(actor.user_id),
            grants::created_at.eq(db::now()),
        ))
        .returning(grants::id)
        .get_result(c))?;
    bump_holders(conn, new.holder)?;
    let grant = find(conn, id)?;
    let role = role::find(conn, new.role_id)?;
    tell_holders(conn, actor, &grant, &role.name, true)?;
    audit::record(
        conn,
        actor,
        Event::new("grant.created", "grant", Some(id))
            .org(new.org_id)
            .after(json!({
                "role": role.name,
                "role_id": role.id,
                "user_id": user_id,
                "group_id": group_id,
                "org_id": new.org_id,
                "project_id": new.project_id,
                "descendants": new.descendants && new.project_id.is_none(),
                "expires_at": new.expires_at,
            })),
    )?;
    Ok(grant)
}

/// Tells the holder (or the group's members) that they received or lost a
/// grant. Grants people make for themselves, and those made by the system or
/// the command line while creating an account, go untold.
fn tell_holders(
    conn: &mut Conn,
    actor: &Actor,
    grant: &Grant,
    role_name: &str,
    received: bool,
) -> Result<()> {
    use crate::domain::notification::{self, Notice, kind};
    let Some(actor_id) = actor.user_id else {
        return Ok(());
    };
    let people: Vec<i64> = match (grant.user_id, grant.group_id) {
        (Some(u), _) => vec![u],
        (None, Some(g)) => crate::domain::group::member_ids(conn, g)?,
        (None, None) => vec![],
    };
    let people: Vec<i64> = people.into_iter().filter(|u| *u != actor_id).collect();
    if people.is_empty() {
        return Ok(());
    }
    let (scope, link, org) = match (grant.org_id, grant.project_id) {
        (Some(o), _) => (
            crate::domain::org::find(conn, o)?.name,
            format!("/orgs/{o}"),
            o,
        ),
        (None, Some(p)) => {
            let project = crate::domain::project::find(conn, p)?;
            (project.name, format!("/projects/{p}"), project.org_id)
        }
        (None, None) => return Ok(()),
    };
    let notice = if received {
        Notice::new(
            kind::GRANT_RECEIVED,
            format!("You received the role {role_name} at {scope}"),
            link,
        )
    } else {
        Notice::new(
            kind::GRANT_LOST,
            format!("You no longer hold the role {role_name} at {scope}"),
            "/profile",
        )
    };
    notification::send_all(conn, &people, &notice.about(org))
}

/// Gives `user_id` a built-in role at `org_id` and everything below it.
pub fn grant_builtin_at_org(
    conn: &mut Conn,
    actor: &Actor,
    user_id: i64,
    builtin: BuiltinRole,
    org_id: i64,
) -> Result<i64> {
    let role_id = role::builtin_id(conn, builtin)?;
    let new = NewGrant {
        role_id,
        holder: Holder::User(user_id),
        org_id,
        project_id: None,
        descendants: true,
        expires_at: None,
    };
    Ok(create(conn, actor, &new)?.id)
}

/// Takes a grant away as a person: anyone may drop their own grants; someone
/// else's needs `access.view` inside its scope (else it is not found) and the
/// rights it would take to make it. Pages and the API both revoke through here.
pub fn revoke_as(conn: &mut Conn, access: &Access, actor: &Actor, id: i64) -> Result<Grant> {
    let grant = find(conn, id)?;
    require_may_revoke(conn, access, &grant)?;
    revoke(conn, actor, id)
}

/// The revoke rule alone: one's own grant always; someone else's needs
/// `access.view` inside its scope (else it is not found) and the rights it
/// would take to make it.
pub fn require_may_revoke(conn: &mut Conn, access: &Access, grant: &Grant) -> Result<()> {
    if grant.user_id == Some(access.user_id) {
        return Ok(());
    }
    let scope = match (grant.org_id, grant.project_id) {
        (Some(org), _) => Scope::Org(org),
        (None, Some(project)) => Scope::Project(project),
        (None, None) => return Err(Error::NotFound),
    };
    let org_id = scope_org(access, scope)?;
    if !access.can(Permission::AccessView, org_id) {
        return Err(Error::NotFound);
    }
    let role = role::find(conn, grant.role_id)?;
    access.require_may_grant(role.permission_set(), org_id, grant.descendants)
}

/// Takes a grant away.
pub fn revoke(conn: &mut Conn, actor: &Actor, id: i64) -> Result<Grant> {
    let grant = find(conn, id)?;
    diesel::delete(grants::table.find(id)).execute(conn)?;
    match (grant.user_id, grant.group_id) {
        (Some(u), _) => bump_holders(conn, Holder::User(u))?,
        (None, Some(g)) => bump_holders(conn, Holder::Group(g))?,
        (None, None) => {}
    }
    let role = role::find(conn, grant.role_id)?;
    tell_holders(conn, actor, &grant, &role.name, false)?;
    let mut event = Event::new("grant.revoked", "grant", Some(id)).before(json!({
        "role": role.name,
        "user_id": grant.user_id,
        "group_id": grant.group_id,
        "org_id": grant.org_id,
        "project_id": grant.project_id,
        "descendants": grant.descendants,
        "expires_at": grant.expires_at,
    }));
    let project_org = match grant.project_id {
        Some(p) => Some(crate::domain::project::find(conn, p)?.org_id),
        None => None,
    };
    if let Some(org) = grant.org_id.or(project_org) {
        event = event.org(org);
    }
    audit::record(conn, actor, event)?;
    Ok(grant)
}

pub(crate) type ViewRow = (
    Grant,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Grants at any of `org_ids` (all orgs when `None`), optionally of one user.
pub fn list(
    conn: &mut Conn,
    org_ids: Option<&[i64]>,
    user_id: Option<i64>,
) -> Result<Vec<GrantView>> {
    matching(
        conn,
        &GrantFilter {
            org_ids,
            user_id,
            ..GrantFilter::default()
        },
    )
}

/// Grants made to a group.
pub fn of_group(conn: &mut Conn, group_id: i64) -> Result<Vec<GrantView>> {
    matching(
        conn,
        &GrantFilter {
            group_id: Some(group_id),
            ..GrantFilter::default()
        },
    )
}

/// The live grants at a project that give `user_id` the permission `perm`
/// there, made to them directly or to a group they belong to, each with its
/// role (what `/check` names when project grants decide).
pub fn at_project_for(
    conn: &mut Conn,
    user_id: i64,
    project_id: i64,
    perm: crate::authz::Permission,
    now: NaiveDateTime,
) -> Result<Vec<(Grant, Role)>> {
    let mut live = Vec::new();
    for g in held_by(conn, user_id)? {
        if g.project_id != Some(project_id) || !g.is_live(now) {
            continue;
        }
        let role = role::find(conn, g.role_id)?;
        if role.permission_set().contains(perm) {
            live.push((g, role));
        }
    }
    Ok(live)
}

/// Which grants to load; every field set narrows the list.
#[derive(Clone, Copy, Debug, Default)]
pub struct GrantFilter<'a> {
    /// These grants only (one page of a list paged by [`visible_page`]).
    pub ids: Option<&'a [i64]>,
    pub org_ids: Option<&'a [i64]>,
    pub project_id: Option<i64>,
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
}

/// Grants matching every part of the filter, oldest first, with the names a
/// list shows.
pub fn matching(conn: &mut Conn, filter: &GrantFilter) -> Result<Vec<GrantView>> {
    let GrantFilter {
        ids,
        org_ids,
        project_id,
        user_id,
        group_id,
    } = *filter;
    let mut query = grants::table
        .inner_join(roles::table)
        .left_join(users::table.on(users::id.nullable().eq(grants::user_id)))
        .left_join(groups::table.on(groups::id.nullable().eq(grants::group_id)))
        .left_join(orgs::table.on(orgs::id.nullable().eq(grants::org_id)))
        .select((
            Grant::as_select(),
            roles::name,
            users::display_name.nullable(),
            users::email.nullable(),
            groups::name.nullable(),
            orgs::name.nullable(),
        ))
        .order(grants::id)
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(grants::id.eq_any(ids.to_vec()));
    }
    if let Some(ids) = org_ids {
        query = query.filter(grants::org_id.eq_any(ids.to_vec()));
    }
    if let Some(uid) = user_id {
        query = query.filter(grants::user_id.eq(uid));
    }
    if let Some(gid) = group_id {
        query = query.filter(grants::group_id.eq(gid));
    }
    if let Some(pid) = project_id {
        query = query.filter(grants::project_id.eq(pid));
    }
    let rows: Vec<ViewRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(grant, role, user_name, user_email, group_name, org_name)| GrantView {
                grant,
                role,
                user_name,
                user_email,
                group_name,
                org_name,
            },
        )
        .collect())
}

/// One page of the grants matching `filter` that `access` may know of (their
/// own, and those decided where they hold `access.view`, as SQL can describe
/// it), oldest first, with the number of all matches. The caller gives each
/// row the resolver's final word.
pub fn visible_page(
    conn: &mut Conn,
    access: &Access,
    filter: &GrantFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GrantView>, i64)> {
    use crate::db::schema::projects;
    use crate::domain::org::subtree_ids;
    let scope = access.org_scope(Permission::AccessView);
    let everything = scope.is_whole_tree(access.snapshot.tree());
    let build = || {
        let mut query = grants::table.into_boxed();
        if let Some(ids) = filter.org_ids {
            query = query.filter(grants::org_id.eq_any(ids.to_vec()));
        }
        if let Some(uid) = filter.user_id {
            query = query.filter(grants::user_id.eq(uid));
        }
        if let Some(gid) = filter.group_id {
            query = query.filter(grants::group_id.eq(gid));
        }
        if let Some(pid) = filter.project_id {
            query = query.filter(grants::project_id.eq(pid));
        }
        if !everything {
            let in_scope = |roots: Vec<i64>, hidden: Vec<i64>| {
                grants::org_id
                    .assume_not_null()
                    .eq_any(subtree_ids(roots))
                    .and(grants::org_id.assume_not_null().ne_all(subtree_ids(hidden)))
            };
            let scoped_projects = projects::table
                .filter(projects::org_id.eq_any(subtree_ids(scope.roots.clone())))
                .filter(projects::org_id.ne_all(subtree_ids(scope.hidden.clone())))
                .select(projects::id);
            query = query.filter(
                grants::user_id
                    .eq(access.user_id)
                    .or(in_scope(scope.roots.clone(), scope.hidden.clone()))
                    .or(grants::project_id.assume_not_null().eq_any(scoped_projects)),
            );
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let ids: Vec<i64> = build()
        .order(grants::id)
        .offset(offset)
        .limit(limit)
        .select(grants::id)
        .load(conn)?;
    let rows = matching(
        conn,
        &GrantFilter {
            ids: Some(&ids),
            ..GrantFilter::default()
        },
    )?;
    Ok((rows, total))
}
