//! The org tree (`/orgs`): a vertical WAI-ARIA tree whose children load on
//! demand, 50 at a time. Each node is shown only when the viewer may see it
//! (`Access`); counts come from one indexed SQL read of the shown nodes'
//! children. Without JavaScript every toggle is a link that reloads the page
//! with that node open (`/orgs?open=ID`), and "show more" a link to the next
//! 50 (`&offset=50`); with it, `static/app.js` fetches the same fragments.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageError, SignedIn, page};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::org::{self, Org};
use crate::error::Error;

/// Children shown per request.
pub const PAGE: usize = 50;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(org_tree).service(children);
}

/// One node of the tree.
pub struct Node {
    pub org: Org,
    /// Children the viewer may see.
    pub children: i64,
    pub users: i64,
    pub inside: bool,
    /// Rendered open, its children following (the path to `open`).
    pub expanded: bool,
    /// The org asked for with `?open=`.
    pub current: bool,
    /// Where the toggle's link goes without JavaScript.
    pub toggle_href: String,
}

/// "Show more" after a page of children.
pub struct More {
    pub parent: i64,
    pub next_offset: usize,
    pub shown: usize,
    pub total: usize,
}

/// The tree flattened for rendering (askama includes cannot recurse): a node,
/// the end of an open node's children, or a "show more" line.
pub enum Item {
    Node(Box<Node>),
    End,
    More(More),
    /// Before a page that does not start at the first child (no-JS paging).
    Earlier(i64, usize),
}

/// Counts for `orgs` (children the viewer may see, users at home when they
/// see inside) as nodes; orgs the viewer may not see are dropped. One read of
/// the shown orgs' children (`orgs_parent` index) and one grouped user count.
fn nodes(conn: &mut Conn, access: &Access, orgs: Vec<Org>) -> Result<Vec<Node>, Error> {
    let orgs: Vec<Org> = orgs
        .into_iter()
        .filter(|o| access.can(Permission::OrgView, o.id))
        .collect();
    let ids: Vec<i64> = orgs.iter().map(|o| o.id).collect();
    // Only children the viewer may see count (whether or not they see inside
    // the parent): no toggle opens onto nothing, and none is hidden that leads
    // to the viewer's own orgs.
    let mut child_counts: HashMap<i64, i64> = HashMap::new();
    for (parent, child) in org::child_ids(conn, &ids)? {
        if access.can(Permission::OrgView, child) {
            *child_counts.entry(parent).or_default() += 1;
        }
    }
    let user_counts: HashMap<i64, i64> = org::user_counts(conn, &ids)?.into_iter().collect();
    Ok(orgs
        .into_iter()
        .map(|o| {
            let inside = access.sees_inside(o.id);
            Node {
                children: child_counts.get(&o.id).copied().unwrap_or(0),
                users: if inside {
                    user_counts.get(&o.id).copied().unwrap_or(0)
                } else {
                    0
                },
                inside,
                expanded: false,
                current: false,
                toggle_href: format!("/orgs?open={}#org-{}", o.id, o.id),
                org: o,
            }
        })
        .collect())
}

/// The children of `parent` the viewer may see, in name order: `(page, total,
/// from)` for the page starting at `offset`, or, with `holding`, the page
/// that holds that child. Reads the ids of this one parent's children
/// (indexed), keeps the visible ones, loads only the page.
pub fn child_page(
    conn: &mut Conn,
    access: &Access,
    parent: i64,
    offset: usize,
    holding: Option<i64>,
) -> Result<(Vec<Node>, usize, usize), Error> {
    let visible: Vec<i64> = org::child_ids_in_order(conn, parent)?
        .into_iter()
        .filter(|c| access.can(Permission::OrgView, *c))
        .collect();
    let total = visible.len();
    let from = match holding.and_then(|h| visible.iter().position(|c| *c == h)) {
        Some(at) => at / PAGE * PAGE,
        None => offset,
    };
    let page: Vec<i64> = visible.into_iter().skip(from).take(PAGE).collect();
    Ok((ordered_nodes(conn, access, &page)?, total, from))
}

/// Nodes for `ids`, in the order given.
fn ordered_nodes(conn: &mut Conn, access: &Access, ids: &[i64]) -> Result<Vec<Node>, Error> {
    let orgs = org::find_many(conn, ids)?;
    let mut by_id: HashMap<i64, Node> = nodes(conn, access, orgs)?
        .into_iter()
        .map(|n| (n.org.id, n))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// One page of `parent`'s children as items, with "show more" when more follow.
pub fn child_items(
    conn: &mut Conn,
    access: &Access,
    parent: i64,
    offset: usize,
) -> Result<Vec<Item>, Error> {
    let (page, total, _) = child_page(conn, access, parent, offset, None)?;
    let shown = offset + page.len();
    let mut items: Vec<Item> = page.into_iter().map(|n| Item::Node(Box::new(n))).collect();
    if shown < total {
        items.push(Item::More(More {
            parent,
            next_offset: shown,
            shown,
            total,
        }));
    }
    Ok(items)
}

/// The highest orgs the viewer sees (those whose parent they cannot see), in
/// name order.
fn tops(conn: &mut Conn, access: &Access) -> Result<Vec<Node>, Error> {
    let tree = access.snapshot.tree();
    let root = tree.root();
    let ids: Vec<i64> = match root {
        // Who sees the root has it as the only top: no walk of the tree.
        Some(r) if access.can(Permission::OrgView, r) => vec![r],
        _ => access
            .snapshot
            .visible_orgs_shared(access.user_id, Permission::OrgView)
            .iter()
            .copied()
            .filter(|id| {
                tree.parent_of(*id)
                    .is_none_or(|p| !access.can(Permission::OrgView, p))
            })
            .collect(),
    };
    let mut orgs = org::find_many(conn, &ids)?;
    orgs.sort_by_key(|o| (o.name.to_lowercase(), o.id));
    nodes(conn, access, orgs)
}

/// The tree from the tops, with the path down to `open` expanded (each open
/// node shows the page of its children that holds the next step; a step past
/// the first 50 is added after "show more"), and `open` itself expanded from
/// `offset`.
fn tree_items(
    conn: &mut Conn,
    access: &Access,
    open: Option<i64>,
    offset: usize,
) -> Result<Vec<Item>, Error> {
    let tree = access.snapshot.tree();
    // The visible chain from a top down to `open`.
    let chain: Vec<i64> = match open {
        Some(id) => {
            access.require_visible(id)?;
            let mut chain = vec![id];
            let mut at = id;
            while let Some(p) = tree.parent_of(at) {
                if !access.can(Permission::OrgView, p) {
                    break;
                }
                chain.push(p);
                at = p;
            }
            chain.reverse();
            chain
        }
        None => vec![],
    };
    let mut items = Vec::new();
    let level = tops(conn, access)?;
    push_level(conn, access, &mut items, level, &chain, open, offset, None)?;
    Ok(items)
}

/// Pushes `level` (one list of siblings); the one on `chain` is expanded
/// with its children pushed after it. Recursion is as deep as the path.
#[allow(clippy::too_many_arguments)]
fn push_level(
    conn: &mut Conn,
    access: &Access,
    items: &mut Vec<Item>,
    level: Vec<Node>,
    chain: &[i64],
    open: Option<i64>,
    offset: usize,
    parent: Option<i64>,
) -> Result<(), Error> {
    let next = chain.first().copied();
    for mut node in level {
        if Some(node.org.id) != next {
            items.push(Item::Node(Box::new(node)));
            continue;
        }
        let id = node.org.id;
        node.current = Some(id) == open;
        node.expanded = node.children > 0;
        node.toggle_href = match parent {
            Some(p) => format!("/orgs?open={p}#org-{id}"),
            None => format!("/orgs#org-{id}"),
        };
        let expanded = node.expanded;
        items.push(Item::Node(Box::new(node)));
        if !expanded {
            continue;
        }
        // Above the last step, the page holding the next step; at `open`,
        // the page from `offset`.
        let holding = chain.get(1).copied();
        let start = if holding.is_none() { offset } else { 0 };
        let (page, total, from) = child_page(conn, access, id, start, holding)?;
        if from > 0 {
            items.push(Item::Earlier(id, from));
        }
        let shown = from + page.len();
        let more = (shown < total).then_some(More {
            parent: id,
            next_offset: shown,
            shown,
            total,
        });
        if chain.len() > 1 {
            push_level(
                conn,
                access,
                items,
                page,
                &chain[1..],
                open,
                offset,
                Some(id),
            )?;
        } else {
            items.extend(page.into_iter().map(|n| Item::Node(Box::new(n))));
        }
        if let Some(more) = more {
            items.push(Item::More(more));
        }
        items.push(Item::End);
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "orgs/tree.html")]
struct TreePage {
    layout: Layout,
    items: Vec<Item>,
    q: String,
    results: Vec<(Org, String)>,
    /// May start the "New customer" flow (creates orgs somewhere).
    can_create_customer: bool,
}

#[derive(Deserialize)]
struct TreeQuery {
    q: Option<String>,
    open: Option<i64>,
    offset: Option<usize>,
}

/// `GET /orgs`: the tree from the highest orgs the person sees (with the path
/// to `?open=ID` expanded), or search results (`?q=`). An org the viewer may
/// not see answers 404, like one that does not exist.
#[get("/orgs")]
async fn org_tree(me: SignedIn, query: web::Query<TreeQuery>) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let q = query.q.clone().unwrap_or_default().trim().to_string();
    let search = q.clone();
    // Without `?open=`, the tree opens at the org the person chose to work
    // in (not at the one the shell starts them in: that is the top anyway).
    let working = me.ctx.context.as_ref().map(|(id, _)| *id);
    let chosen = me.ctx.session.context_org().filter(|c| Some(*c) == working);
    let open = query.open.or(chosen);
    let offset = query.offset.unwrap_or(0);
    let (items, results) = me
        .db()
        .read(move |conn| {
            if !search.is_empty() {
                // Filtered by the viewer's scope in SQL: the first 50 are 50 they see.
                let found =
                    org::search_visible(conn, &access, Permission::OrgView, &search, None, 50)?;
                let ids: Vec<i64> = found.iter().map(|o| o.id).collect();
                let mut paths = super::users::org_paths(conn, &access, &ids)?;
                let results = found
                    .into_iter()
                    .map(|o| {
                        let path = paths.remove(&o.id).unwrap_or_default();
                        (o, path)
                    })
                    .collect();
                return Ok((vec![], results));
            }
            Ok((tree_items(conn, &access, open, offset)?, vec![]))
        })
        .await?;
    page(&TreePage {
        layout: me.ctx.layout("Organizations", "orgs")?,
        items,
        q,
        results,
        can_create_customer: me.access.anywhere(Permission::OrgCreate),
    })
}

#[derive(Template)]
#[template(path = "orgs/children.html")]
pub struct ChildrenPartial {
    pub items: Vec<Item>,
}

#[derive(Deserialize)]
struct ChildrenQuery {
    offset: Option<usize>,
}

/// `GET /orgs/{id}/children?offset=`: 50 children of one org (an htmx
/// fragment), with "show more" when more follow.
#[get("/orgs/{id}/children")]
async fn children(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<ChildrenQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    // Each child is shown only if visible in its own right, so listing them
    // tells nothing of an org seen by name only (a private org's children are
    // behind its border; a home org's may hold the viewer's own grants).
    me.access.require_visible(id)?;
    let access = me.access.clone();
    let offset = query.offset.unwrap_or(0);
    let items = me
        .db()
        .read(move |conn| child_items(conn, &access, id, offset))
        .await?;
    page(&ChildrenPartial { items })
}
