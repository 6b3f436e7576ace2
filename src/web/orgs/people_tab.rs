//! An org's people tab: who is at home there, and the guests granted there.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::OrgHeader;
use crate::authz::Permission;
use crate::domain::grant;
use crate::domain::user::{self, User, UserFilter};
use crate::error::Error;
use crate::web::layout::Layout;
use crate::web::users::org_paths;
use crate::web::{PageError, SignedIn, page};

#[derive(Template)]
#[template(path = "users/people_tab.html")]
struct PeopleTab {
    layout: Layout,
    h: OrgHeader,
    members: Vec<User>,
    guests: Vec<(User, String, String)>,
}

/// `GET /orgs/{id}/people`: users at home here, and guests granted here.
#[get("/orgs/{id}/people")]
pub(super) async fn people_tab(
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let (h, members, guests) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "people")?;
            if !h.can.inside {
                return Err(Error::NotFound);
            }
            access.require(Permission::UserView, id)?;
            let filter = UserFilter {
                org_id: Some(id),
                ..Default::default()
            };
            let members = user::search(conn, &filter)?;
            let guests = guests(conn, &access, id)?;
            Ok((h, members, guests))
        })
        .await?;
    page(&PeopleTab {
        layout: me.ctx.layout(format!("{} · People", h.org.name), "orgs")?,
        h,
        members,
        guests,
    })
}

/// Holders of live grants made at `id` whose home lies outside it: each
/// with the role and their home's path.
fn guests(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    id: i64,
) -> Result<Vec<(User, String, String)>, Error> {
    let tree = access.snapshot.tree();
    let mut guests = Vec::new();
    let now = crate::db::now();
    for g in grant::list(conn, Some(&[id]), None)? {
        // An expired grant makes nobody a guest any more.
        let Some(uid) = g.grant.user_id.filter(|_| !g.is_expired(now)) else {
            continue;
        };
        let u = user::find(conn, uid)?;
        if !tree.is_within(u.org_id, id) {
            let home = org_paths(conn, access, &[u.org_id])?
                .remove(&u.org_id)
                .unwrap_or_default();
            guests.push((u, g.role.clone(), home));
        }
    }
    Ok(guests)
}
