//! The home page after signing in.

use actix_web::{HttpResponse, get, web};
use askama::Template;

use super::layout::Layout;
use super::{PageError, SignedIn, page};
use crate::domain::audit::{self, Entry};
use crate::domain::{grant, org};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard);
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    display_name: String,
    home_org: String,
    roles: Vec<String>,
    activity: Vec<Entry>,
}

#[get("/")]
async fn dashboard(me: SignedIn) -> Result<HttpResponse, PageError> {
    let (user_id, org_id) = (me.user.id, me.user.org_id);
    let (home, roles, activity) = me
        .ctx
        .state
        .db
        .read(move |conn| {
            Ok((
                org::find(conn, org_id)?,
                grant::list(conn, None, Some(user_id))?
                    .into_iter()
                    .map(|g| match g.org_name {
                        Some(org) => format!("{} at {org}", g.role),
                        None => g.role,
                    })
                    .collect::<Vec<_>>(),
                audit::recent_for_user(conn, user_id, 10)?,
            ))
        })
        .await?;
    page(&DashboardPage {
        layout: me.ctx.layout("Dashboard", "dashboard")?,
        display_name: me.user.display_name.clone(),
        home_org: home.name,
        roles,
        activity,
    })
}
