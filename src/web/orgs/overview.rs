//! An org's overview tab (the subtree's roll-up) and its sub-organizations tab.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::OrgHeader;
use crate::domain::org::{self};
use crate::web::layout::Layout;
use crate::web::org_tree::{Item, child_items};
use crate::web::{PageError, SignedIn, page};

#[derive(Template)]
#[template(path = "orgs/overview.html")]
struct OverviewPage {
    layout: Layout,
    h: OrgHeader,
    rollup: org::Rollup,
    /// Seats used and free, to those who manage people here, where counted.
    seats: Option<crate::domain::seats::Summary>,
}

/// The org's header and its subtree roll-up; outside a privacy border nothing
/// inside is counted or shown.
pub(super) async fn header_and_rollup(
    me: &SignedIn,
    id: i64,
) -> Result<(OrgHeader, org::Rollup), PageError> {
    let access = me.access.clone();
    Ok(me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "overview")?;
            let rollup = if h.can.inside {
                org::rollup(conn, &access, id, crate::db::now().date())?
            } else {
                org::Rollup::default()
            };
            Ok((h, rollup))
        })
        .await?)
}

/// `GET /orgs/{id}`.
#[get("/orgs/{id}")]
pub(super) async fn overview(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (h, rollup) = header_and_rollup(&me, id).await?;
    let seats = if h.can.inside && h.can.seats {
        let access = me.access.clone();
        me.db()
            .read(move |conn| crate::domain::seats::summary(conn, &access, id))
            .await?
            .into_counted()
    } else {
        None
    };
    page(&OverviewPage {
        layout: me.ctx.layout(h.org.name.clone(), "orgs")?,
        h,
        rollup,
        seats,
    })
}

#[derive(Template)]
#[template(path = "orgs/sub_orgs.html")]
struct SubOrgsPage {
    layout: Layout,
    h: OrgHeader,
    items: Vec<Item>,
}

/// `GET /orgs/{id}/sub-orgs`: the first 50 children, "show more" for the rest.
#[get("/orgs/{id}/sub-orgs")]
pub(super) async fn sub_orgs(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let access = me.access.clone();
    let (h, items) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "sub-orgs")?;
            h.require_inside()?;
            Ok((h, child_items(conn, &access, id, 0)?))
        })
        .await?;
    page(&SubOrgsPage {
        layout: me
            .ctx
            .layout(format!("{} · Sub-organizations", h.org.name), "orgs")?,
        h,
        items,
    })
}
