//! Finding orgs by name or code within what the viewer may see, matched in
//! memory over the resolver's tree.

use super::{Org, find_many};
use crate::db::Conn;
use crate::domain::validate;
use crate::error::Result;

/// The tour positions of the orgs whose name or code contains `q`
/// (case-insensitive; `%` and `_` dropped, as the searches always did) where
/// `access` holds `perm` by `Access::org_scope`, outside the subtree of
/// `not_within` when given: matched in memory over the names and codes the
/// resolver's tree keeps (`authz::search`), the scope's ranges only.
fn matching_in_scope(
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    q: &str,
    not_within: Option<i64>,
) -> Vec<u32> {
    let tree = access.snapshot.tree();
    let needle = validate::key(q).replace(['%', '_'], "");
    let scope = access.org_scope(perm);
    let mut found = Vec::new();
    if scope.is_whole_tree(tree) {
        tree.text()
            .matches(&needle, 0, tree.len() as u32, &mut found);
    } else {
        let mut roots: Vec<(u32, u32)> = scope.roots.iter().filter_map(|r| tree.span(*r)).collect();
        roots.sort_unstable();
        for (from, to) in roots {
            tree.text().matches(&needle, from, to, &mut found);
        }
        let mut hidden: Vec<(u32, u32)> =
            scope.hidden.iter().filter_map(|h| tree.span(*h)).collect();
        hidden.sort_unstable();
        found.retain(|pos| {
            let i = hidden.partition_point(|h| h.0 <= *pos);
            !(i > 0 && *pos < hidden[i - 1].1)
        });
    }
    if let Some((from, to)) = not_within.and_then(|id| tree.span(id)) {
        found.retain(|pos| *pos < from || *pos >= to);
    }
    found
}

/// The first `limit` orgs (in name order) matching `q` where `access` holds
/// `perm`, outside the subtree of `not_within` when given.
pub fn search_visible(
    conn: &mut Conn,
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    q: &str,
    not_within: Option<i64>,
    limit: i64,
) -> Result<Vec<Org>> {
    let tree = access.snapshot.tree();
    let text = tree.text();
    let mut found: Vec<(&str, i64)> = matching_in_scope(access, perm, q, not_within)
        .into_iter()
        .map(|pos| (text.name(pos), tree.at_position(pos)))
        .collect();
    let limit = usize::try_from(limit).unwrap_or(0);
    if found.len() > limit {
        found.select_nth_unstable(limit);
        found.truncate(limit);
    }
    found.sort_unstable();
    let needle = validate::key(q);
    let ids: Vec<i64> = found
        .into_iter()
        .filter(|(name_key, id)| found_fairly(access, perm, *id, name_key, &needle))
        .map(|(_, id)| id)
        .collect();
    let mut orgs = find_many(conn, &ids)?;
    orgs.sort_by_key(|o| ids.iter().position(|id| *id == o.id));
    Ok(orgs)
}

/// Whether a search hit may be shown. The scope never covers more than `can`
/// allows, but checking again is cheap; and an org seen by name only (behind
/// a privacy border) is found by its name, never by its code, which is not
/// the viewer's to know.
fn found_fairly(
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    id: i64,
    name_key: &str,
    needle: &str,
) -> bool {
    access.can(perm, id) && (name_key.contains(needle) || access.sees_inside(id))
}

/// The ids of every org matching `q` where `access` holds `perm`.
pub fn search_visible_ids(
    _conn: &mut Conn,
    access: &crate::authz::Access,
    perm: crate::authz::Permission,
    q: &str,
) -> Result<Vec<i64>> {
    let tree = access.snapshot.tree();
    let needle = validate::key(q);
    Ok(matching_in_scope(access, perm, q, None)
        .into_iter()
        .map(|pos| (tree.text().name(pos), tree.at_position(pos)))
        .filter(|(name_key, id)| found_fairly(access, perm, *id, name_key, &needle))
        .map(|(_, id)| id)
        .collect())
}
