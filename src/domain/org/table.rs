//! The orgs as a table (beside the tree): the orgs a person may see,
//! searched by name or code, filtered by kind and tag, sorted and paged in
//! SQL within `Access::org_scope(org.view)`; the resolver has the final
//! word on each row shown.

use std::collections::HashMap;

use diesel::prelude::*;

use super::{Org, OrgKind, subtree_ids, user_counts};
use crate::authz::{Access, Permission};
use crate::db::{Conn, schema::orgs};
use crate::domain::validate::{self, Contains};
use crate::error::Result;

/// What the table is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Name,
    Code,
    Created,
    Changed,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Name, Sort::Code, Sort::Created, Sort::Changed];

    /// Typed input: unknown is the default (name).
    pub fn parse(raw: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .unwrap_or_default()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::Code => "code",
            Sort::Created => "created",
            Sort::Changed => "changed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Name => "Name",
            Sort::Code => "Code",
            Sort::Created => "Created",
            Sort::Changed => "Changed",
        }
    }
}

/// The table's filters, as parsed from its address.
#[derive(Clone, Debug, Default)]
pub struct TableFilter {
    /// Part of a name or code.
    pub q: String,
    pub kind: Option<OrgKind>,
    /// One tag, matched whole (case-insensitive).
    pub tag: String,
    pub sort: Sort,
    pub descending: bool,
}

type OrgQuery<'a> = orgs::BoxedQuery<'a, <Conn as diesel::Connection>::Backend>;

fn filtered<'a>(access: &Access, filter: &TableFilter) -> OrgQuery<'a> {
    let mut query = orgs::table.into_boxed();
    let scope = access.org_scope(Permission::OrgView);
    if !scope.is_whole_tree(access.snapshot.tree()) {
        query = query
            .filter(orgs::id.eq_any(subtree_ids(scope.roots)))
            .filter(orgs::id.ne_all(subtree_ids(scope.hidden)));
    }
    let q = validate::key(&filter.q);
    if !q.is_empty() {
        let pattern = Contains::key(&q).pattern();
        query = query.filter(
            orgs::name_key
                .like(pattern.clone())
                .escape('\\')
                .or(orgs::code_key.like(pattern).escape('\\')),
        );
    }
    if let Some(kind) = filter.kind {
        query = query.filter(orgs::kind.eq(kind));
    }
    let tag = filter.tag.trim().to_lowercase();
    if !tag.is_empty() {
        // Tags are stored joined by commas: the tag whole, first, last or between.
        let escaped: String = tag
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let lower = diesel::dsl::sql::<diesel::sql_types::Text>("LOWER(orgs.tags)");
        query = query.filter(
            lower
                .clone()
                .eq(tag.clone())
                .or(lower.clone().like(format!("{escaped},%")).escape('\\'))
                .or(lower.clone().like(format!("%,{escaped}")).escape('\\'))
                .or(lower.like(format!("%,{escaped},%")).escape('\\')),
        );
    }
    query
}

/// One page of the orgs `access` may see that match `filter`, and how many
/// match in all.
pub fn visible_page(
    conn: &mut Conn,
    access: &Access,
    filter: &TableFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Org>, i64)> {
    let total = filtered(access, filter).count().get_result(conn)?;
    let query = filtered(access, filter);
    let query = match (filter.sort, filter.descending) {
        (Sort::Name, false) => query.order((orgs::name_key.asc(), orgs::id.asc())),
        (Sort::Name, true) => query.order((orgs::name_key.desc(), orgs::id.desc())),
        (Sort::Code, false) => query.order((orgs::code_key.asc(), orgs::id.asc())),
        (Sort::Code, true) => query.order((orgs::code_key.desc(), orgs::id.desc())),
        (Sort::Created, false) => query.order((orgs::created_at.asc(), orgs::id.asc())),
        (Sort::Created, true) => query.order((orgs::created_at.desc(), orgs::id.desc())),
        (Sort::Changed, false) => query.order((orgs::updated_at.asc(), orgs::id.asc())),
        (Sort::Changed, true) => query.order((orgs::updated_at.desc(), orgs::id.desc())),
    };
    let rows: Vec<Org> = query
        .offset(offset)
        .limit(limit)
        .select(Org::as_select())
        .load(conn)?;
    // The resolver's final word on each row.
    let rows = rows
        .into_iter()
        .filter(|o| access.can(Permission::OrgView, o.id))
        .collect();
    Ok((rows, total))
}

/// People at home in each of `orgs`, for those the viewer sees inside (one
/// grouped count over the index on `users.org_id`); others are left out.
pub fn people_counts(conn: &mut Conn, access: &Access, orgs: &[Org]) -> Result<HashMap<i64, i64>> {
    let inside: Vec<i64> = orgs
        .iter()
        .map(|o| o.id)
        .filter(|id| access.sees_inside(*id))
        .collect();
    let mut counts: HashMap<i64, i64> = inside.iter().map(|id| (*id, 0)).collect();
    counts.extend(user_counts(conn, &inside)?);
    Ok(counts)
}
