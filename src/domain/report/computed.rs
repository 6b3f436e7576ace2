//! The roll-up to the chosen org's children: a report that needs Rust between
//! the SQL and the table (the tree is the resolver's). The other such
//! reports have modules of their own (`teams`, `missing`).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::scope::SqlScope;
use super::{Cell, Filter, chart_by};
use crate::authz::Access;
use crate::db::{Conn, schema::orgs};
use crate::error::Result;

/// Columns, rows and chart bars.
pub type Table = (Vec<Vec<Cell>>, Vec<(String, i64)>);

#[derive(QueryableByName)]
struct ByOrg {
    #[diesel(sql_type = BigInt)]
    org_id: i64,
    #[diesel(sql_type = BigInt)]
    minutes: i64,
}

/// Hours by child of the chosen org (and the org itself).
pub fn org_rollup(conn: &mut Conn, access: &Access, f: &Filter, scope: &SqlScope) -> Result<Table> {
    // Whole months from the monthly totals, the rest from the entries.
    let (source, _) = super::sql::monthly_source(f.from, f.to);
    let person = if scope.people.is_empty() {
        ""
    } else {
        " JOIN users u ON u.id = te.user_id"
    };
    let sql = format!(
        "SELECT p.org_id AS org_id, CAST(SUM(te.minutes) AS BIGINT) AS minutes FROM {source} te \
         JOIN projects p ON p.id = te.project_id{person} \
         WHERE {}{} GROUP BY p.org_id",
        scope.projects, scope.people
    );
    let data: Vec<ByOrg> =
        crate::with_backend!(conn, |c| diesel::sql_query(sql.as_str()).load::<ByOrg>(c))?;
    // Each org's hours go to the child of the chosen org that holds it (or to
    // the chosen org itself).
    let tree = access.snapshot.tree();
    let mut sums: HashMap<i64, i64> = HashMap::new();
    for r in data {
        let path = tree.path(r.org_id);
        let at = path.iter().position(|o| *o == f.org_id);
        let bucket = at
            .and_then(|i| path.get(i + 1))
            .copied()
            .unwrap_or(f.org_id);
        *sums.entry(bucket).or_default() += r.minutes;
    }
    let ids: Vec<i64> = sums.keys().copied().collect();
    let mut named: Vec<(String, String, i64, bool)> = Vec::new();
    for chunk in ids.chunks(500) {
        named.extend(
            orgs::table
                .filter(orgs::id.eq_any(chunk))
                .select((orgs::id, orgs::name, orgs::code))
                .load::<(i64, String, String)>(conn)?
                .into_iter()
                .map(|(id, name, code)| {
                    (
                        name,
                        code,
                        sums.get(&id).copied().unwrap_or(0),
                        id == f.org_id,
                    )
                }),
        );
    }
    named.sort_by(|a, b| (!a.3, &a.0, &a.1).cmp(&(!b.3, &b.0, &b.1)));
    let rows: Vec<Vec<Cell>> = named
        .into_iter()
        .map(|(name, code, m, own)| {
            let label = if own {
                format!("{name} (itself)")
            } else {
                name
            };
            vec![Cell::Text(label), Cell::Text(code), Cell::Hours(m)]
        })
        .collect();
    let chart = chart_by(&rows, 0, 2);
    Ok((rows, chart))
}
