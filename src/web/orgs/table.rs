//! `GET /orgs/table`: the orgs as a table beside the tree, searched,
//! filtered, sorted and paged in SQL (`domain::org::table`), the filters in
//! the address.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use crate::authz::Permission;
use crate::domain::org::table::{self, Sort, TableFilter};
use crate::domain::org::{Org, OrgKind};
use crate::web::layout::Layout;
use crate::web::pager::{Pager, fetch};
use crate::web::{PageError, SignedIn, page, page_number};

const PER_PAGE: usize = 50;

pub struct TableRow {
    pub org: Org,
    /// People at home there, for orgs the viewer sees inside.
    pub people: Option<i64>,
}

#[derive(Template)]
#[template(path = "orgs/table.html")]
struct TablePage {
    layout: Layout,
    rows: Vec<TableRow>,
    q: String,
    kind: String,
    tag: String,
    sort: &'static str,
    descending: bool,
    kinds: &'static [OrgKind],
    sorts: [Sort; 4],
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize)]
struct TableQuery {
    q: Option<String>,
    kind: Option<String>,
    tag: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
}

impl TableQuery {
    fn filter(&self) -> TableFilter {
        TableFilter {
            q: self.q.clone().unwrap_or_default(),
            kind: self.kind.as_deref().and_then(OrgKind::parse),
            tag: self.tag.clone().unwrap_or_default(),
            sort: Sort::parse(self.sort.as_deref().unwrap_or_default()),
            descending: self.dir.as_deref() == Some("desc"),
        }
    }
}

/// Page `wanted` of the table: its rows with their people counts, the
/// total and the page shown.
fn load(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    filter: &TableFilter,
    wanted: usize,
) -> Result<(Vec<TableRow>, usize, usize), crate::Error> {
    let (orgs, total, shown) = fetch(wanted, PER_PAGE, |offset, limit| {
        table::visible_page(conn, access, filter, offset, limit)
    })?;
    let mut people = table::people_counts(conn, access, &orgs)?;
    let rows = orgs
        .into_iter()
        .map(|org| TableRow {
            people: people.remove(&org.id),
            org,
        })
        .collect();
    Ok((rows, total, shown))
}

/// `GET /orgs/table?q=&kind=&tag=&sort=&dir=&page=`.
#[get("/orgs/table")]
pub(super) async fn org_table(
    me: SignedIn,
    query: web::Query<TableQuery>,
) -> Result<HttpResponse, PageError> {
    let (filter, access) = (query.filter(), me.access.clone());
    let (asked, wanted) = (filter.clone(), page_number(query.page.as_deref()));
    let (rows, total, shown) = me
        .db()
        .read(move |conn| load(conn, &access, &asked, wanted))
        .await?;
    let kind = filter
        .kind
        .map(|k| k.as_str().to_string())
        .unwrap_or_default();
    let (sort, dir) = (
        filter.sort.as_str(),
        if filter.descending { "desc" } else { "" },
    );
    let params = [
        ("q", filter.q.as_str()),
        ("kind", kind.as_str()),
        ("tag", filter.tag.as_str()),
        ("sort", sort),
        ("dir", dir),
    ];
    page(&TablePage {
        layout: me.ctx.layout("Organizations", "orgs")?,
        pager: Pager::new("/orgs/table", &params, shown, PER_PAGE, total),
        rows,
        kind,
        q: filter.q,
        tag: filter.tag,
        sort,
        descending: filter.descending,
        kinds: OrgKind::ALL,
        sorts: Sort::ALL,
        can_create: me.access.anywhere(Permission::OrgCreate),
    })
}
