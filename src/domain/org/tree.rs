//! Reads of the tree: children, orgs by id, subtrees, user counts, the orgs
//! an email's verified domain suggests, and the roll-up.

use diesel::prelude::*;

use super::Org;
use crate::db::{
    Conn,
    schema::{org_closure, orgs, users},
};
use crate::error::Result;

/// The children of an org, in name order.
pub fn children(conn: &mut Conn, parent_id: i64) -> Result<Vec<Org>> {
    Ok(orgs::table
        .filter(orgs::parent_id.eq(parent_id))
        .order(orgs::name_key)
        .select(Org::as_select())
        .load(conn)?)
}

/// The ids of the children of an org, in name order (the tree pages them
/// after keeping those the viewer may see). Served by the
/// `orgs_sibling_name (parent_id, name_key)` index: it reads one parent's
/// children, never the tree.
pub fn child_ids_in_order(conn: &mut Conn, parent_id: i64) -> Result<Vec<i64>> {
    Ok(orgs::table
        .filter(orgs::parent_id.eq(parent_id))
        .order((orgs::name_key, orgs::id))
        .select(orgs::id)
        .load(conn)?)
}

/// Orgs by id (in no particular order).
pub fn find_many(conn: &mut Conn, ids: &[i64]) -> Result<Vec<Org>> {
    let mut out = Vec::with_capacity(ids.len());
    // Chunked: both backends limit the number of bound parameters.
    for chunk in ids.chunks(500) {
        out.extend(
            orgs::table
                .filter(orgs::id.eq_any(chunk))
                .select(Org::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

/// `(parent, child)` for every child of each of `ids` (the tree page counts
/// those the viewer may see).
pub fn child_ids(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    let rows: Vec<(Option<i64>, i64)> = orgs::table
        .filter(orgs::parent_id.eq_any(ids))
        .select((orgs::parent_id, orgs::id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, c)| Some((p?, c)))
        .collect())
}

/// Number of users whose home is each of `ids`.
pub fn user_counts(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, i64)>> {
    use diesel::dsl::count_star;
    Ok(users::table
        .filter(users::org_id.eq_any(ids))
        .group_by(users::org_id)
        .select((users::org_id, count_star()))
        .load(conn)?)
}

/// Users per org across the subtree of `id`, for roll-ups (the caller keeps only
/// the orgs its viewer may see inside).
pub fn subtree_user_counts(conn: &mut Conn, id: i64) -> Result<Vec<(i64, i64)>> {
    use diesel::dsl::count_star;
    Ok(users::table
        .inner_join(org_closure::table.on(org_closure::descendant_id.eq(users::org_id)))
        .filter(org_closure::ancestor_id.eq(id))
        .group_by(users::org_id)
        .select((users::org_id, count_star()))
        .load(conn)?)
}

/// The ids of the orgs in the subtrees of `roots` (roots included), as a
/// subquery for `eq_any` / `ne_all`: how lists narrow to an `OrgScope` in SQL.
pub fn subtree_ids(
    roots: Vec<i64>,
) -> diesel::dsl::Select<
    diesel::dsl::Filter<org_closure::table, diesel::dsl::EqAny<org_closure::ancestor_id, Vec<i64>>>,
    org_closure::descendant_id,
> {
    org_closure::table
        .filter(org_closure::ancestor_id.eq_any(roots))
        .select(org_closure::descendant_id)
}

/// The org whose verified email domain is the email's (the suggested home
/// for a new user with that address): none or one, as a domain is verified
/// by one org at most. A domain merely listed, not verified, suggests nothing.
pub fn with_email_domain(conn: &mut Conn, email: &str) -> Result<Vec<Org>> {
    Ok(super::domains::verified_owner_of_email(conn, email)?
        .into_iter()
        .collect())
}

/// Counts for an org and its whole subtree (SPEC 1 "Roll-up"), limited to
/// what the person sees inside: private parts they may not enter count for
/// nothing.
#[derive(Clone, Debug, Default)]
pub struct Rollup {
    pub sub_orgs: usize,
    /// Children of the org (seen inside), the org's own share of `sub_orgs`.
    pub own_sub_orgs: usize,
    pub own_users: i64,
    pub subtree_users: i64,
    pub projects: i64,
    /// Projects of the org itself.
    pub own_projects: i64,
    /// Minutes logged this month on the subtree's projects.
    pub minutes_this_month: i64,
    /// Minutes logged this month on the org's own projects.
    pub own_minutes_this_month: i64,
}

pub fn rollup(
    conn: &mut Conn,
    access: &crate::authz::Access,
    id: i64,
    today: chrono::NaiveDate,
) -> Result<Rollup> {
    crate::domain::rollup::of(conn, access, id, today)
}
