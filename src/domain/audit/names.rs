//! The names an audit page mentions, read once per kind for the whole page
//! (never per row), keeping only what the viewer may see: a person through
//! `user::visible_ids`, an org with `org.view`, a project as
//! `project::can_view` answers, a team, group or role where its org is
//! visible. What is left out reads as "someone" or "an organization".

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::Value;

use super::{Entry, Target};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::db::schema::{groups, orgs, projects, roles, teams, timesheets, users};
use crate::error::Result;

/// What an id in an entry refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    User,
    Org,
    Project,
    Team,
    Group,
    Role,
}

impl Kind {
    /// The kind a detail's key names (`parent_id` is an org).
    pub fn of_key(key: &str) -> Option<Kind> {
        Some(match key {
            "user_id" | "owner_id" => Kind::User,
            "org_id" | "parent_id" => Kind::Org,
            "project_id" => Kind::Project,
            "team_id" => Kind::Team,
            "group_id" => Kind::Group,
            "role_id" => Kind::Role,
            _ => return None,
        })
    }

    /// The kind an entry's target is, when it is one that has a name
    /// (a timesheet, a grant, an invitation or a token has none).
    pub fn of_target(target: Target) -> Option<Kind> {
        Some(match target {
            Target::User => Kind::User,
            Target::Org => Kind::Org,
            Target::Project => Kind::Project,
            Target::Team => Kind::Team,
            Target::Group => Kind::Group,
            Target::Role => Kind::Role,
            Target::Timesheet | Target::Grant | Target::GrantInvitation | Target::ApiToken => {
                return None;
            }
        })
    }

    /// How something of this kind the viewer may not see reads.
    pub fn unnamed(self) -> &'static str {
        match self {
            Kind::User => "someone",
            Kind::Org => "an organization",
            Kind::Project => "a project",
            Kind::Team => "a team",
            Kind::Group => "a group",
            Kind::Role => "a role",
        }
    }

    /// Where the page of `id` is, if it has one.
    pub fn href(self, id: i64) -> Option<String> {
        match self {
            Kind::User => Some(format!("/users/{id}")),
            Kind::Org => Some(format!("/orgs/{id}")),
            Kind::Project => Some(format!("/projects/{id}")),
            Kind::Team => Some(format!("/teams/{id}")),
            Kind::Group => Some(format!("/groups/{id}")),
            Kind::Role => None,
        }
    }
}

/// The names the viewer may read, by kind and id, and the weeks of the
/// timesheets mentioned (owner, first day).
#[derive(Debug, Default)]
pub struct Names {
    names: HashMap<(Kind, i64), String>,
    pub sheets: HashMap<i64, (i64, NaiveDate)>,
}

impl Names {
    /// The name of `id` if the viewer may see it.
    pub fn get(&self, kind: Kind, id: i64) -> Option<&str> {
        self.names.get(&(kind, id)).map(String::as_str)
    }

    /// Reads every name `entries` mention, one statement per kind.
    pub fn load(conn: &mut Conn, access: &Access, entries: &[Entry]) -> Result<Names> {
        let mut wanted: HashMap<Kind, HashSet<i64>> = HashMap::new();
        let mut sheet_ids = Vec::new();
        for e in entries {
            if let Some(a) = e.actor_user_id {
                wanted.entry(Kind::User).or_default().insert(a);
            }
            if let Some(o) = e.org_id {
                wanted.entry(Kind::Org).or_default().insert(o);
            }
            if let Some(id) = e.target_id {
                if let Some(kind) = Kind::of_target(e.target_type) {
                    wanted.entry(kind).or_default().insert(id);
                } else if e.target_type == Target::Timesheet {
                    sheet_ids.push(id);
                }
            }
            for raw in [&e.before_json, &e.after_json].into_iter().flatten() {
                if let Ok(v) = serde_json::from_str::<Value>(raw) {
                    collect(&v, &mut wanted, 0);
                }
            }
        }
        let mut names = Names::default();
        if !sheet_ids.is_empty() {
            for (id, owner, week) in timesheets::table
                .filter(timesheets::id.eq_any(&sheet_ids))
                .select((timesheets::id, timesheets::user_id, timesheets::week_start))
                .load::<(i64, i64, NaiveDate)>(conn)?
            {
                names.sheets.insert(id, (owner, week));
                wanted.entry(Kind::User).or_default().insert(owner);
            }
        }
        let ids = |k: Kind| -> Vec<i64> {
            let mut v: Vec<i64> = wanted.get(&k).into_iter().flatten().copied().collect();
            v.sort_unstable();
            v
        };
        names.users(conn, access, &ids(Kind::User))?;
        names.orgs(conn, access, &ids(Kind::Org))?;
        names.projects(conn, access, &ids(Kind::Project))?;
        names.by_org(conn, access, Kind::Team, &ids(Kind::Team))?;
        names.by_org(conn, access, Kind::Group, &ids(Kind::Group))?;
        names.by_org(conn, access, Kind::Role, &ids(Kind::Role))?;
        Ok(names)
    }

    fn users(&mut self, conn: &mut Conn, access: &Access, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let seen = crate::domain::user::visible_ids(conn, access, ids)?;
        let seen: Vec<i64> = ids.iter().copied().filter(|i| seen.contains(i)).collect();
        for (id, name) in users::table
            .filter(users::id.eq_any(&seen))
            .select((users::id, users::display_name))
            .load::<(i64, String)>(conn)?
        {
            self.names.insert((Kind::User, id), name);
        }
        Ok(())
    }

    fn orgs(&mut self, conn: &mut Conn, access: &Access, ids: &[i64]) -> Result<()> {
        let seen: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|o| access.can(Permission::OrgView, *o))
            .collect();
        if seen.is_empty() {
            return Ok(());
        }
        for (id, name) in orgs::table
            .filter(orgs::id.eq_any(&seen))
            .select((orgs::id, orgs::name))
            .load::<(i64, String)>(conn)?
        {
            self.names.insert((Kind::Org, id), name);
        }
        Ok(())
    }

    fn projects(&mut self, conn: &mut Conn, access: &Access, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let today = crate::db::now().date();
        let assigned =
            crate::domain::assignment::assigned_project_ids(conn, access.user_id, today)?;
        for (id, name) in projects::table
            .filter(projects::id.eq_any(ids))
            .select((projects::id, projects::name))
            .load::<(i64, String)>(conn)?
        {
            if access.can_project(Permission::ProjectView, id) || assigned.contains(&id) {
                self.names.insert((Kind::Project, id), name);
            }
        }
        Ok(())
    }

    /// Teams, groups and roles: named where the viewer may see their org
    /// (a built-in role, of no org, is named for everyone).
    fn by_org(&mut self, conn: &mut Conn, access: &Access, kind: Kind, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let rows: Vec<(i64, Option<i64>, String)> = match kind {
            Kind::Team => teams::table
                .filter(teams::id.eq_any(ids))
                .select((teams::id, teams::org_id.nullable(), teams::name))
                .load(conn)?,
            Kind::Group => groups::table
                .filter(groups::id.eq_any(ids))
                .select((groups::id, groups::org_id.nullable(), groups::name))
                .load(conn)?,
            _ => roles::table
                .filter(roles::id.eq_any(ids))
                .select((roles::id, roles::org_id, roles::name))
                .load(conn)?,
        };
        let perm = match kind {
            Kind::Team => Permission::TeamView,
            Kind::Group => Permission::GroupView,
            _ => Permission::OrgView,
        };
        for (id, org, name) in rows {
            if org.is_none_or(|o| access.can(perm, o)) {
                self.names.insert((kind, id), name);
            }
        }
        Ok(())
    }
}

/// Gathers the ids a detail names (`user_id`, `org_id`, …), a few levels deep.
fn collect(v: &Value, wanted: &mut HashMap<Kind, HashSet<i64>>, depth: usize) {
    if depth > 3 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (Kind::of_key(k), v.as_i64()) {
                    (Some(kind), Some(id)) => {
                        wanted.entry(kind).or_default().insert(id);
                    }
                    _ => collect(v, wanted, depth + 1),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, wanted, depth + 1)),
        _ => {}
    }
}
