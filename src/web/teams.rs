//! Team pages: teams collect people for work. A team page lists leads and
//! members with their week's timesheet state (filled in once timesheets exist).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::membership;
use super::pager::{Pager, SearchQuery, fetch};
use super::users::{org_paths, seen_with_org_paths};
use super::{PageError, SignedIn, page, render, see_other};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{self, Member, Team};
use crate::domain::validate::Contains;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(show)
        .service(add_member)
        .service(remove_member);
}

#[derive(Template)]
#[template(path = "teams/list.html")]
struct ListPage {
    layout: Layout,
    teams: Vec<(Team, String)>,
    q: String,
    org_id: String,
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    org_id: Option<i64>,
    q: Option<String>,
    page: Option<String>,
}

const PER_PAGE: usize = 50;

/// `GET /teams?org_id=&q=&page=` (the org's subtree), paged in SQL.
#[get("/teams")]
async fn list(me: SignedIn, query: web::Query<ListQuery>) -> Result<HttpResponse, PageError> {
    let within = query.org_id;
    if let Some(o) = within {
        me.access.require_visible(o)?;
    }
    let q = query.q.clone().unwrap_or_default();
    let page_no = super::page_number(query.page.as_deref());
    let access = me.access.clone();
    let needle = q.clone();
    let (teams, total, page_no) = me
        .db()
        .read(move |conn| {
            let (teams, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                team::search_visible(
                    conn,
                    &access,
                    &Contains::key(&needle),
                    within.map_or(team::Within::Anywhere, team::Within::Subtree),
                    offset,
                    limit,
                )
            })?;
            let teams =
                seen_with_org_paths(conn, &access, teams, Permission::TeamView, |t| t.org_id)?;
            Ok((teams, total, page_no))
        })
        .await?;
    let org_id = within.map(|o| o.to_string()).unwrap_or_default();
    let params = [("q", q.as_str()), ("org_id", org_id.as_str())];
    let pager = Pager::new("/teams", &params, page_no, PER_PAGE, total);
    page(&ListPage {
        layout: me.ctx.layout("Teams", "teams")?,
        teams,
        q,
        org_id,
        pager,
        can_create: me.access.anywhere(Permission::TeamManage),
    })
}

membership::new_pages!("teams/new.html", "/teams/new", Team);

#[derive(Template)]
#[template(path = "teams/show.html")]
struct ShowPage {
    layout: Layout,
    team: Team,
    org_path: String,
    /// Each member with this week's sheet (state, link) when the viewer may
    /// see their time.
    members: Vec<(Member, Option<(String, String)>)>,
    /// The member search as typed (kept in the pager's links).
    q: String,
    pager: Pager,
    can_manage: bool,
    errors: FieldErrors,
}

async fn render_show(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    asked: SearchQuery,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (q, page_no) = (asked.q(), asked.page());
    let needle = q.clone();
    let (t, org_path, members, total, page_no) = me
        .db()
        .read(move |conn| {
            let t = team::find_visible(conn, &access, id)?;
            let org_path = org_paths(conn, &access, &[t.org_id])?
                .remove(&t.org_id)
                .unwrap_or_default();
            let (members, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                team::members_page(conn, id, &needle, offset, limit)
            })?;
            // Sheets of the page's members only.
            let states = week_states(conn, &access, &members)?;
            Ok((
                t.clone(),
                org_path,
                members.into_iter().zip(states).collect(),
                total,
                page_no,
            ))
        })
        .await?;
    let pager = Pager::new(
        &format!("/teams/{}", t.id),
        &[("q", q.as_str())],
        page_no,
        PER_PAGE,
        total,
    );
    Ok(render(
        status,
        &ShowPage {
            layout: me.ctx.layout(t.name.clone(), "teams")?,
            can_manage: me.access.can(Permission::TeamManage, t.org_id),
            team: t,
            org_path,
            members,
            q,
            pager,
            errors,
        },
    ))
}

/// This week's sheet of each member whose time the viewer may see (their own,
/// as their lead, or with `time.view` over them): its state and its page.
fn week_states(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    members: &[Member],
) -> crate::error::Result<Vec<Option<(String, String)>>> {
    use crate::domain::{approval::Approver, timesheet};
    let approver = Approver::load(conn, access)?;
    let ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
    let people: Vec<crate::domain::user::User> = ids
        .iter()
        .map(|id| crate::domain::user::find(conn, *id))
        .collect::<crate::error::Result<_>>()?;
    let seen: Vec<crate::domain::user::User> = people
        .into_iter()
        .filter(|u| approver.sees_all_of(u))
        .collect();
    let today = crate::db::now().date();
    let states = timesheet::states_on(conn, &seen, today)?;
    let mut out = Vec::new();
    for m in members {
        let Some(u) = seen.iter().find(|u| u.id == m.user_id) else {
            out.push(None);
            continue;
        };
        let (week, state) = match states.get(&u.id) {
            Some((week, status)) => (*week, status.as_str().to_string()),
            None => (
                timesheet::week_start_of(today, timesheet::rules(conn, u.org_id)?.week_start),
                "not started".to_string(),
            ),
        };
        out.push(Some((state, format!("/timesheets/{}/{week}", u.id))));
    }
    Ok(out)
}

/// `GET /teams/{id}?q=&page=`: members 50 a page, paged in SQL.
#[get("/teams/{id}")]
async fn show(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    let asked = query.into_inner();
    render_show(
        &me,
        id.into_inner(),
        StatusCode::OK,
        asked,
        FieldErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    email: String,
    lead: Option<String>,
}

/// `POST /teams/{id}/members`: add someone (by email), as lead or member.
#[post("/teams/{id}/members")]
async fn add_member(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let (access, actor, lead) = (me.access.clone(), me.actor(), form.lead.is_some());
    let outcome = me
        .db()
        .write(move |conn| {
            let asked = (id, form.email.as_str(), lead);
            crate::domain::membership::put_member_by_email_as(
                conn,
                &access,
                &actor,
                asked,
                &team::MEMBER_RULE,
            )
            .map(|u| u.display_name)
        })
        .await;
    match outcome {
        Ok(name) => {
            me.ctx.flash("success", format!("{name} is in the team."))?;
            see_other(&format!("/teams/{id}"))
        }
        Err(Error::Validation(e)) => {
            render_show(
                &me,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                SearchQuery::default(),
                e,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /teams/{id}/members/{user_id}/remove`.
#[post("/teams/{id}/members/{user_id}/remove")]
async fn remove_member(
    me: SignedIn,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, PageError> {
    let take_out = |conn: &mut Conn, access: &Access, actor: &Actor, id: i64, user: UserId| {
        team::remove_member_as(conn, access, actor, TeamId(id), user)
    };
    let done = "Removed from the team.";
    membership::remove_member::<Team>(&me, path.into_inner(), take_out, done).await
}
