//! Pickers: the org, user, project and team fields of the forms. Each takes
//! what a person can type (an org's code or path, a user's email, a project's
//! code, a team's name) or a number, and this module turns it into an id.
//! One function per kind answers every form, and an unknown value and one the
//! viewer may not choose get the same message: nothing tells that a hidden
//! thing exists. The search behind the as-you-type suggestions (`search_*`)
//! is narrowed to what the viewer may choose in SQL (`Access::org_scope`)
//! and checked again through the resolver.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::db::schema::{orgs, projects, teams, users};
use crate::domain::org;
use crate::domain::{project, team, user, validate};
use crate::error::{Error, FieldErrors, Result};

/// At most this many suggestions per keystroke.
pub const LIMIT: i64 = 20;

pub const UNKNOWN_ORG: &str = "No organization you may choose here matches this. Type part of \
     its name and pick one of the suggestions, or give its code or path.";
pub const UNKNOWN_USER: &str = "There is no user with this email you can see. Type part of \
     the name and pick one of the suggestions.";
pub const UNKNOWN_PROJECT: &str = "No project you may choose here has this code. Type part of \
     its name and pick one of the suggestions.";
pub const UNKNOWN_TEAM: &str = "No team you may choose here has this name. Type part of it \
     and pick one of the suggestions.";
const AMBIGUOUS: &str = "Several match this; pick one of the suggestions.";

/// One suggestion: what goes into the field, and what the person reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// What a picker field names.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// An org where the viewer holds the permission.
    Org(Permission),
    User,
    Project,
    Team,
}

/// The `kind` typed into `field`: the id, `None` when left empty, or the
/// field's message when nothing the viewer may choose matches.
pub fn resolve(
    conn: &mut Conn,
    access: &Access,
    kind: Kind,
    field: &str,
    raw: &str,
) -> Result<Option<i64>> {
    match kind {
        Kind::Org(perm) => org(conn, access, perm, field, raw),
        Kind::User => user(conn, access, field, raw),
        Kind::Project => project(conn, access, field, raw, |_| true),
        Kind::Team => team(conn, access, field, raw),
    }
}

/// What a `kind` field shows for `id` (a form's current choice): empty when
/// the viewer may not see it.
pub fn field_value(conn: &mut Conn, access: &Access, kind: Kind, id: i64) -> Result<String> {
    match kind {
        Kind::Org(_) => org_field_value(conn, access, id),
        Kind::User => user_field_value(conn, access, id),
        Kind::Project => project_field_value(conn, access, id),
        Kind::Team => team_field_value(conn, access, id),
    }
}

/// A field's value, or empty for what the viewer may not see.
fn or_empty(found: Result<String>) -> Result<String> {
    match found {
        Err(Error::NotFound) => Ok(String::new()),
        other => other,
    }
}

/// `12`, `#12` or anything ending in ` #12` (a suggestion's value) is an id.
fn as_id(raw: &str) -> Option<i64> {
    let tail = raw.rsplit_once('#').map_or(raw, |(head, tail)| {
        if head.is_empty() || head.ends_with(' ') {
            tail
        } else {
            ""
        }
    });
    tail.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

fn unknown(field: &str, message: &str) -> Error {
    Error::Validation(FieldErrors::of(field, message))
}

/// The picked id, `None` when the field was left empty.
fn one(field: &str, message: &str, found: Vec<i64>) -> Result<Option<i64>> {
    match found.as_slice() {
        [id] => Ok(Some(*id)),
        [] => Err(unknown(field, message)),
        _ => Err(unknown(field, AMBIGUOUS)),
    }
}

// ---------------------------------------------------------------- orgs

/// The value an org is shown with in its field: its code when the viewer
/// sees inside it (an org seen by name only is never found by its code),
/// else its number.
fn org_value(access: &Access, o: &org::Org) -> String {
    if access.sees_inside(o.id) {
        o.code.clone()
    } else {
        format!("#{}", o.id)
    }
}

/// The org typed into `field` where `access` holds `perm`: a number, a code,
/// a name or a path ("Acme / Sales", from any visible ancestor down).
pub fn org(
    conn: &mut Conn,
    access: &Access,
    perm: Permission,
    field: &str,
    raw: &str,
) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let may = |id: i64| access.can(perm, id);
    let by_code: Option<i64> = orgs::table
        .filter(orgs::code_key.eq(validate::key(raw)))
        .select(orgs::id)
        .first(conn)
        .optional()?;
    if let Some(id) = by_code.filter(|id| may(*id) && access.sees_inside(*id)) {
        return Ok(Some(id));
    }
    if let Some(id) = as_id(raw) {
        return one(
            field,
            UNKNOWN_ORG,
            Some(id).filter(|i| may(*i)).into_iter().collect(),
        );
    }
    // A name or a path: candidates by the last name, kept when the visible
    // path ends with what was typed.
    let typed: Vec<String> = raw
        .split('/')
        .map(validate::key)
        .filter(|s| !s.is_empty())
        .collect();
    let Some(last) = typed.last() else {
        return Err(unknown(field, UNKNOWN_ORG));
    };
    let candidates: Vec<i64> = orgs::table
        .filter(orgs::name_key.eq(last))
        .order(orgs::id)
        .limit(200)
        .select(orgs::id)
        .load(conn)?;
    let candidates: Vec<i64> = candidates.into_iter().filter(|id| may(*id)).collect();
    let paths = path_names(conn, access, &candidates)?;
    let found = candidates
        .into_iter()
        .filter(|id| {
            let path = paths.get(id).map(Vec::as_slice).unwrap_or_default();
            path.len() >= typed.len() && path[path.len() - typed.len()..] == typed[..]
        })
        .collect();
    one(field, UNKNOWN_ORG, found)
}

/// For each of `ids`, the names of its visible path (the visible ancestors
/// and itself), root first.
fn visible_paths(
    conn: &mut Conn,
    access: &Access,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>> {
    let tree = access.snapshot.tree();
    let mut wanted: Vec<i64> = ids
        .iter()
        .flat_map(|id| tree.path(*id))
        .filter(|a| access.can(Permission::OrgView, *a))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let names: HashMap<i64, String> = org::find_many(conn, &wanted)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(ids
        .iter()
        .map(|id| {
            let path = tree
                .path(*id)
                .iter()
                .filter_map(|a| names.get(a).cloned())
                .collect();
            (*id, path)
        })
        .collect())
}

/// The visible path of each of `ids` in lower case (how typed paths compare).
fn path_names(conn: &mut Conn, access: &Access, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>> {
    let mut paths = visible_paths(conn, access, ids)?;
    for path in paths.values_mut() {
        for name in path.iter_mut() {
            *name = validate::key(name);
        }
    }
    Ok(paths)
}

/// The visible path of each of `ids` as people read it ("Root / Acme").
pub fn org_labels(conn: &mut Conn, access: &Access, ids: &[i64]) -> Result<HashMap<i64, String>> {
    Ok(visible_paths(conn, access, ids)?
        .into_iter()
        .map(|(id, path)| (id, path.join(" / ")))
        .collect())
}

/// Up to `LIMIT` orgs matching `q` where `access` holds `perm` (outside the
/// subtree of `not_within` when given), in name order.
pub fn search_orgs(
    conn: &mut Conn,
    access: &Access,
    perm: Permission,
    q: &str,
    not_within: Option<i64>,
) -> Result<Vec<Choice>> {
    let found = org::search_visible(conn, access, perm, q, not_within, LIMIT)?;
    let ids: Vec<i64> = found.iter().map(|o| o.id).collect();
    let mut labels = org_labels(conn, access, &ids)?;
    Ok(found
        .iter()
        .map(|o| Choice {
            value: org_value(access, o),
            label: labels.remove(&o.id).unwrap_or_default(),
        })
        .collect())
}

/// What an org's field shows for `id` (a form's current choice), if the
/// viewer may see it.
pub fn org_field_value(conn: &mut Conn, access: &Access, id: i64) -> Result<String> {
    if !access.can(Permission::OrgView, id) {
        return Ok(String::new());
    }
    Ok(org_value(access, &org::find(conn, id)?))
}

// ---------------------------------------------------------------- users

/// The user typed into `field` whom `access` may see: an email or a number.
pub fn user(conn: &mut Conn, access: &Access, field: &str, raw: &str) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let id = match as_id(raw) {
        Some(id) => Some(id),
        None => users::table
            .filter(users::email_key.eq(validate::key(raw)))
            .select(users::id)
            .first::<i64>(conn)
            .optional()?,
    };
    let seen = match id {
        Some(id) => user::visible_ids(conn, access, &[id])?,
        None => Default::default(),
    };
    one(
        field,
        UNKNOWN_USER,
        id.filter(|i| seen.contains(i)).into_iter().collect(),
    )
}

/// Up to `LIMIT` users `access` may see whose name or email contains `q`.
pub fn search_users(conn: &mut Conn, access: &Access, q: &str) -> Result<Vec<Choice>> {
    let filter = user::UserFilter {
        q: Some(q.to_string()),
        ..Default::default()
    };
    let (found, _) = user::visible_page(conn, access, &filter, 0, LIMIT)?;
    Ok(found
        .into_iter()
        .map(|u| Choice {
            label: format!("{} · {}", u.display_name, u.email),
            value: u.email,
        })
        .collect())
}

/// What a user's field shows for `id`, if the viewer may see them.
pub fn user_field_value(conn: &mut Conn, access: &Access, id: i64) -> Result<String> {
    or_empty(user::find_visible(conn, access, id).map(|u| u.email))
}

// ---------------------------------------------------------------- projects

/// The project typed into `field` that `access` may see: a code or a number.
/// `allowed` narrows further (a form's own rule, e.g. "assigned to me").
pub fn project(
    conn: &mut Conn,
    access: &Access,
    field: &str,
    raw: &str,
    allowed: impl Fn(i64) -> bool,
) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let candidates: Vec<project::Project> = match as_id(raw) {
        Some(id) => projects::table
            .filter(projects::id.eq(id))
            .select(project::Project::as_select())
            .load(conn)?,
        None => projects::table
            .filter(projects::code_key.eq(validate::key(raw)))
            .select(project::Project::as_select())
            .load(conn)?,
    };
    let mut found = Vec::new();
    for p in candidates {
        if allowed(p.id) && project::can_view(conn, access, &p)? {
            found.push(p.id);
        }
    }
    one(field, UNKNOWN_PROJECT, found)
}

/// Up to `LIMIT` projects matching `q` (code or name) that `access` may see,
/// as the projects page lists them (`project::visible_page`: narrowed in SQL
/// by the org scope, with grants on a project and the viewer's assignments),
/// in name order.
pub fn search_projects(conn: &mut Conn, access: &Access, q: &str) -> Result<Vec<Choice>> {
    let filter = project::ProjectFilter {
        q: Some(q.to_string()),
        ..Default::default()
    };
    let (found, _) = project::visible_page(conn, access, &filter, 0, LIMIT)?;
    Ok(found
        .into_iter()
        .map(|p| Choice {
            label: format!("{} · {}", p.code, p.name),
            value: p.code,
        })
        .collect())
}

/// What a project's field shows for `id`, if the viewer may see it.
pub fn project_field_value(conn: &mut Conn, access: &Access, id: i64) -> Result<String> {
    or_empty(project::find_visible(conn, access, id).map(|p| p.code))
}

// ---------------------------------------------------------------- teams

/// A team's value: its name and its org's code, unique together.
fn team_value(access: &Access, t: &team::Team, o: Option<&org::Org>) -> String {
    match o {
        Some(o) if access.sees_inside(o.id) => format!("{} ({})", t.name, o.code),
        _ => format!("{} #{}", t.name, t.id),
    }
}

/// The team typed into `field` where `access` holds `team.view`: a name,
/// "name (ORG CODE)" or a number.
pub fn team(conn: &mut Conn, access: &Access, field: &str, raw: &str) -> Result<Option<i64>> {
    team_or(conn, access, field, raw, &[])
}

/// Like [`team`], where the teams `also` may be chosen too (a form's own
/// rule, e.g. the teams the viewer leads).
pub fn team_or(
    conn: &mut Conn,
    access: &Access,
    field: &str,
    raw: &str,
    also: &[i64],
) -> Result<Option<i64>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let may = |t: &team::Team| also.contains(&t.id) || access.can(Permission::TeamView, t.org_id);
    let candidates: Vec<team::Team> = if let Some(id) = as_id(raw) {
        teams::table
            .filter(teams::id.eq(id))
            .select(team::Team::as_select())
            .load(conn)?
    } else {
        // "Name (CODE)": the org code narrows the name.
        let (name, code) = match raw.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
            Some((name, code)) => (name, Some(validate::key(code))),
            None => (raw, None),
        };
        let mut query = teams::table
            .filter(teams::name_key.eq(validate::key(name)))
            .into_boxed();
        if let Some(code) = code {
            query = query.filter(
                teams::org_id.eq_any(orgs::table.filter(orgs::code_key.eq(code)).select(orgs::id)),
            );
        }
        let found: Vec<team::Team> = query
            .limit(200)
            .select(team::Team::as_select())
            .load(conn)?;
        // A code names the org only for those who see inside it.
        found
            .into_iter()
            .filter(|t| !raw.ends_with(')') || access.sees_inside(t.org_id))
            .collect()
    };
    one(
        field,
        UNKNOWN_TEAM,
        candidates.iter().filter(|t| may(t)).map(|t| t.id).collect(),
    )
}

/// Up to `LIMIT` teams whose name contains `q` at orgs where `access` holds
/// `team.view` (`team::search_visible`, narrowed in SQL by the org scope),
/// in name order.
pub fn search_teams(conn: &mut Conn, access: &Access, q: &str) -> Result<Vec<Choice>> {
    let (found, _) = team::search_visible(
        conn,
        access,
        &crate::domain::validate::Contains::key(q),
        team::Within::Anywhere,
        0,
        LIMIT,
    )?;
    let found: Vec<team::Team> = found
        .into_iter()
        .filter(|t| access.can(Permission::TeamView, t.org_id))
        .collect();
    let org_ids: Vec<i64> = found.iter().map(|t| t.org_id).collect();
    let orgs: HashMap<i64, org::Org> = org::find_many(conn, &org_ids)?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let labels = org_labels(conn, access, &org_ids)?;
    Ok(found
        .iter()
        .map(|t| Choice {
            value: team_value(access, t, orgs.get(&t.org_id)),
            label: format!(
                "{} · {}",
                t.name,
                labels.get(&t.org_id).cloned().unwrap_or_default()
            ),
        })
        .collect())
}

/// What a team's field shows for `id`, if the viewer may see it.
pub fn team_field_value(conn: &mut Conn, access: &Access, id: i64) -> Result<String> {
    let t = match team::find_visible(conn, access, id) {
        Ok(t) => t,
        Err(e) => return or_empty(Err(e)),
    };
    let o = org::find(conn, t.org_id)?;
    Ok(team_value(access, &t, Some(&o)))
}

#[cfg(test)]
mod tests {
    use super::as_id;

    #[test]
    fn ids_are_numbers_or_hash_suffixes() {
        assert_eq!(as_id("12"), Some(12));
        assert_eq!(as_id("#12"), Some(12));
        assert_eq!(as_id("Platform #12"), Some(12));
        assert_eq!(as_id("ACME#12"), None);
        assert_eq!(as_id("ACME"), None);
        assert_eq!(as_id("0"), None);
        assert_eq!(as_id("-3"), None);
    }
}
