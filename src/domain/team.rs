//! Teams collect users for work: leads approve their members' timesheets when an
//! org's approval mode includes `team`, and team reports are by team. Teams carry
//! no access (that is what groups are for), so membership changes bump no epoch.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::db::{
    self, Conn,
    schema::{team_members, teams, users},
};
use crate::domain::audit::{self, Actor, Event};
use crate::domain::{org, validate};
use crate::error::{Error, FieldErrors, Result};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub description: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A team's fields as typed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(default)]
pub struct TeamDraft {
    pub name: String,
    pub description: String,
}

pub struct TeamValues {
    pub name: String,
    pub description: String,
}

impl TeamDraft {
    pub fn validate(&self) -> Result<TeamValues> {
        let mut errors = FieldErrors::new();
        let name = org::parse_name(&self.name)
            .map_err(|m| errors.add("name", m))
            .unwrap_or_default();
        let description =
            crate::domain::validate::text_block(&self.description, "Description", 2000)
                .map_err(|m| errors.add("description", m))
                .unwrap_or_default();
        errors.into_result()?;
        Ok(TeamValues { name, description })
    }
}

/// A member as listed.
#[derive(Clone, Debug, Queryable, Serialize, utoipa::ToSchema)]
#[schema(as = TeamMember)]
pub struct Member {
    pub user_id: i64,
    pub display_name: String,
    pub email: String,
    pub lead: bool,
    pub status: String,
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Team> {
    Ok(teams::table
        .find(id)
        .select(Team::as_select())
        .first(conn)?)
}

fn ensure_unique_name(conn: &mut Conn, org_id: i64, name: &str, except: Option<i64>) -> Result<()> {
    let mut q = teams::table
        .filter(teams::org_id.eq(org_id))
        .filter(teams::name_key.eq(validate::key(name)))
        .select(teams::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(teams::id.ne(id));
    }
    if q.first::<i64>(conn).optional()?.is_some() {
        return Err(FieldErrors::single(
            "name",
            "This organization already has a team with this name.",
        ));
    }
    Ok(())
}

pub fn create(conn: &mut Conn, actor: &Actor, org_id: i64, values: &TeamValues) -> Result<Team> {
    if org::is_frozen(conn, org_id)? {
        return Err(Error::conflict(
            "An archived organization accepts no new teams.",
        ));
    }
    ensure_unique_name(conn, org_id, &values.name, None)?;
    let now = db::now();
    let id: i64 = crate::with_backend!(conn, |c| diesel::insert_into(teams::table)
        .values((
            teams::org_id.eq(org_id),
            teams::name.eq(&values.name),
            teams::name_key.eq(validate::key(&values.name)),
            teams::description.eq(&values.description),
            teams::created_at.eq(now),
            teams::updated_at.eq(now),
        ))
        .returning(teams::id)
        .get_result(c))?;
    let team = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("team.created", "team", Some(id))
            .org(org_id)
            .after(&team),
    )?;
    Ok(team)
}

pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &TeamValues,
    version: Option<i64>,
) -> Result<Team> {
    let before = find(conn, id)?;
    if version.is_some_and(|v| v != before.version) {
        return Err(crate::domain::user::stale());
    }
    ensure_unique_name(conn, before.org_id, &values.name, Some(id))?;
    let changed = diesel::update(
        teams::table
            .find(id)
            .filter(teams::version.eq(before.version)),
    )
    .set((
        teams::name.eq(&values.name),
        teams::name_key.eq(validate::key(&values.name)),
        teams::description.eq(&values.description),
        teams::version.eq(teams::version + 1),
        teams::updated_at.eq(db::now()),
    ))
    .execute(conn)?;
    if changed == 0 {
        return Err(crate::domain::user::stale());
    }
    let after = find(conn, id)?;
    audit::record(
        conn,
        actor,
        Event::new("team.updated", "team", Some(id))
            .org(after.org_id)
            .before(&before)
            .after(&after),
    )?;
    Ok(after)
}

/// Deletes a team with its memberships.
pub fn delete(conn: &mut Conn, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
    let team = find(conn, id)?;
    if version.is_some_and(|v| v != team.version) {
        return Err(crate::domain::user::stale());
    }
    let members = members(conn, id)?;
    diesel::delete(team_members::table.filter(team_members::team_id.eq(id))).execute(conn)?;
    diesel::delete(teams::table.find(id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("team.deleted", "team", Some(id))
            .org(team.org_id)
            .before(json!({"team": team, "members": members})),
    )
}

pub fn member_ids(conn: &mut Conn, team_id: i64) -> Result<Vec<i64>> {
    Ok(team_members::table
        .filter(team_members::team_id.eq(team_id))
        .select(team_members::user_id)
        .load(conn)?)
}

pub fn members(conn: &mut Conn, team_id: i64) -> Result<Vec<Member>> {
    let members: Vec<Member> = team_members::table
        .inner_join(users::table)
        .filter(team_members::team_id.eq(team_id))
        .order((team_members::lead.desc(), users::display_name))
        .select((
            users::id,
            users::display_name,
            users::email,
            team_members::lead,
            users::status,
        ))
        .load(conn)?;
    Ok(members)
}

/// One page of a team's members, leads first then by name, narrowed by `q`
/// (name or email), with the number of all matches. A team shows everyone in
/// it to whoever sees the team, as [`members`] does.
pub fn members_page(
    conn: &mut Conn,
    team_id: i64,
    q: &str,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Member>, i64)> {
    let pattern = crate::domain::user::search_pattern(q);
    let query = || {
        let query = team_members::table
            .inner_join(users::table)
            .filter(team_members::team_id.eq(team_id))
            .into_boxed();
        match pattern.clone() {
            None => query,
            Some(p) => query.filter(
                users::email_key
                    .like(p.clone())
                    .or(crate::db::lower(users::display_name).like(p)),
            ),
        }
    };
    let total: i64 = query().count().get_result(conn)?;
    let members: Vec<Member> = query()
        .order((team_members::lead.desc(), users::display_name, users::id))
        .offset(offset)
        .limit(limit)
        .select((
            users::id,
            users::display_name,
            users::email,
            team_members::lead,
            users::status,
        ))
        .load(conn)?;
    Ok((members, total))
}

/// True when `user_id` leads `team_id`.
pub fn is_lead(conn: &mut Conn, team_id: i64, user_id: i64) -> Result<bool> {
    Ok(team_members::table
        .find((team_id, user_id))
        .select(team_members::lead)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Adds a member, or changes whether they lead the team.
pub fn put_member(
    conn: &mut Conn,
    actor: &Actor,
    team_id: i64,
    user_id: i64,
    lead: bool,
) -> Result<()> {
    let team = find(conn, team_id)?;
    let user = crate::domain::user::find(conn, user_id)?;
    let current: Option<bool> = team_members::table
        .find((team_id, user_id))
        .select(team_members::lead)
        .first(conn)
        .optional()?;
    match current {
        Some(o) if o == lead => return Ok(()),
        Some(_) => {
            diesel::update(team_members::table.find((team_id, user_id)))
                .set(team_members::lead.eq(lead))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(team_members::table)
                .values((
                    team_members::team_id.eq(team_id),
                    team_members::user_id.eq(user_id),
                    team_members::lead.eq(lead),
                    team_members::created_at.eq(db::now()),
                ))
                .execute(conn)?;
            if actor.user_id != Some(user_id) {
                use crate::domain::notification::{self, Notice, kind};
                notification::send(
                    conn,
                    user_id,
                    &Notice::new(
                        kind::ADDED_TO_TEAM,
                        format!("You were added to the team {}", team.name),
                        format!("/users/{user_id}"),
                    )
                    .about(team.org_id),
                )?;
            }
        }
    }
    audit::record(
        conn,
        actor,
        Event::new("team.member_put", "team", Some(team_id))
            .org(team.org_id)
            .before(json!({"member": current.is_some(), "lead": current}))
            .after(json!({"user_id": user.id, "email": user.email, "lead": lead})),
    )
}

pub fn remove_member(conn: &mut Conn, actor: &Actor, team_id: i64, user_id: i64) -> Result<()> {
    let team = find(conn, team_id)?;
    let removed = diesel::delete(team_members::table.find((team_id, user_id))).execute(conn)?;
    if removed == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        conn,
        actor,
        Event::new("team.member_removed", "team", Some(team_id))
            .org(team.org_id)
            .before(json!({"user_id": user_id})),
    )
}

/// Teams of orgs, by name.
pub fn in_orgs(conn: &mut Conn, org_ids: &[i64]) -> Result<Vec<Team>> {
    let mut out = Vec::new();
    for chunk in org_ids.chunks(500) {
        out.extend(
            teams::table
                .filter(teams::org_id.eq_any(chunk))
                .select(Team::as_select())
                .load(conn)?,
        );
    }
    out.sort_by_key(|g| g.name.to_lowercase());
    Ok(out)
}

/// The teams a user belongs to.
pub fn of_user(conn: &mut Conn, user_id: i64) -> Result<Vec<(Team, bool)>> {
    Ok(teams::table
        .inner_join(team_members::table)
        .filter(team_members::user_id.eq(user_id))
        .select((Team::as_select(), team_members::lead))
        .order(teams::name_key)
        .load(conn)?)
}

/// The team if the person may see it: `team.view` where it lives (privacy
/// borders included), else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Team> {
    let t = find(conn, id)?;
    if access.can(crate::authz::Permission::TeamView, t.org_id) {
        Ok(t)
    } else {
        Err(Error::NotFound)
    }
}

/// Which orgs' teams a search covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Within {
    Anywhere,
    /// The org and every org below it.
    Subtree(i64),
    /// That org only.
    At(i64),
}

type TeamCond = Box<
    dyn diesel::expression::BoxableExpression<
            teams::table,
            <Conn as diesel::Connection>::Backend,
            SqlType = diesel::sql_types::Bool,
        >,
>;

/// One page (in name order) of the teams whose name matches `q`, among
/// those `access` may see (`team.view` at their org, exactly as `can`
/// answers: `Access::scope_levels`), within `within`, narrowed in SQL; with
/// the number of all matches.
pub fn search_visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    q: &validate::Contains,
    within: Within,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Team>, i64)> {
    use crate::authz::Permission;
    use crate::authz::parts::Narrowing;
    use crate::domain::org::subtree_ids;
    let pattern = q.pattern();
    let at = match within {
        Within::At(o) => Some(o),
        Within::Anywhere | Within::Subtree(_) => None,
    };
    let scope = match access.narrowing(Permission::TeamView, at) {
        Narrowing::Nothing => return Ok((vec![], 0)),
        Narrowing::Everything => None,
        Narrowing::Levels(levels) => Some(levels),
    };
    let build = || {
        let mut query = teams::table
            .filter(teams::name_key.like(pattern.clone()).escape('\\'))
            .into_boxed();
        if let Some(levels) = &scope {
            let cond = levels
                .iter()
                .map(|l| -> TeamCond {
                    Box::new(
                        teams::org_id
                            .eq_any(subtree_ids(l.roots.clone()))
                            .and(teams::org_id.ne_all(subtree_ids(l.hidden.clone()))),
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
                query = query.filter(teams::org_id.eq_any(subtree_ids(vec![w])));
            }
            Within::At(o) => query = query.filter(teams::org_id.eq(o)),
        }
        query
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order((teams::name_key, teams::id))
        .offset(offset)
        .limit(limit)
        .select(Team::as_select())
        .load(conn)?;
    Ok((rows, total))
}
