//! Teams collect users for work: leads approve their members' timesheets when an
//! org's approval mode includes `team`, and team reports are by team. Teams carry
//! no access (that is what groups are for), so membership changes bump no epoch.
//! What teams share with groups (the record, the roster) is in `membership`.

use diesel::prelude::*;
use serde_json::json;

use crate::db::{Conn, schema::teams};
use crate::domain::audit::{self, Actor, Event, Target};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::membership::{self, Kind};
use crate::domain::validate;
use crate::error::Result;

pub use crate::domain::membership::Within;

membership::kind_types! {
    Team: Team in teams,
    /// A team's fields as typed.
    TeamDraft, TeamValues,
    TeamMember with lead
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Team> {
    membership::find(conn, id)
}

pub fn create(conn: &mut Conn, actor: &Actor, org_id: i64, values: &TeamValues) -> Result<Team> {
    membership::create(conn, actor, org_id, values)
}

pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    values: &TeamValues,
    version: Option<i64>,
) -> Result<Team> {
    membership::update(conn, actor, id, values, version)
}

/// Deletes a team with its memberships.
pub fn delete(conn: &mut Conn, actor: &Actor, id: i64, version: Option<i64>) -> Result<()> {
    let team = find(conn, id)?;
    membership::require_version(team.version, version)?;
    let members = members(conn, id)?;
    membership::delete_members(conn, Kind::Team, id)?;
    diesel::delete(teams::table.find(id)).execute(conn)?;
    audit::record(
        conn,
        actor,
        Event::new("team.deleted", Target::Team, Some(id))
            .org(team.org_id)
            .before(json!({"team": team, "members": members})),
    )
}

pub fn member_ids(conn: &mut Conn, team_id: i64) -> Result<Vec<i64>> {
    membership::member_ids(conn, Kind::Team, team_id)
}

pub fn members(conn: &mut Conn, team_id: i64) -> Result<Vec<Member>> {
    membership::members(conn, Kind::Team, team_id)
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
    let (rows, total, _) = membership::page(conn, Kind::Team, team_id, None, q, offset, limit)?;
    Ok((rows, total))
}

/// True when `user` leads `team`.
pub fn is_lead(conn: &mut Conn, team: TeamId, user: UserId) -> Result<bool> {
    Ok(membership::flag_of(conn, Kind::Team, team.0, user)?.unwrap_or(false))
}

/// Adds a member, or changes whether they lead the team.
pub fn put_member(
    conn: &mut Conn,
    actor: &Actor,
    team: TeamId,
    user: UserId,
    lead: bool,
) -> Result<()> {
    let t = find(conn, team.0)?;
    membership::put_member(conn, actor, &t, user, lead)
}

/// Adds a member (or changes their lead flag) as a person who manages the
/// team (the caller checks, with its own answer): the member must be someone
/// they may see (anyone else answers as if they did not exist).
pub fn put_member_as(
    conn: &mut Conn,
    access: &crate::authz::Access,
    actor: &Actor,
    t: &Team,
    user: UserId,
    lead: bool,
) -> Result<()> {
    crate::domain::user::find_visible(conn, access, user.0)?;
    membership::put_member(conn, actor, t, user, lead)
}

pub fn remove_member(conn: &mut Conn, actor: &Actor, team: TeamId, user: UserId) -> Result<()> {
    let t = find(conn, team.0)?;
    membership::remove_member(conn, actor, &t, user)
}

/// Teams of orgs, by name.
pub fn in_orgs(conn: &mut Conn, org_ids: &[i64]) -> Result<Vec<Team>> {
    membership::in_orgs(conn, org_ids)
}

/// The teams a user belongs to.
pub fn of_user(conn: &mut Conn, user_id: i64) -> Result<Vec<(Team, bool)>> {
    membership::of_user(conn, UserId(user_id))
}

/// The team if the person may see it: `team.view` where it lives (privacy
/// borders included), else not found.
pub fn find_visible(conn: &mut Conn, access: &crate::authz::Access, id: i64) -> Result<Team> {
    membership::find_visible(conn, access, id)
}

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
    membership::search_visible(conn, access, q, within, offset, limit)
}
