//! Group pages: the list, one group with its members and grants, and the forms
//! that create, edit and delete groups, manage members and grant the group roles.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::membership;
use super::pager::{Pager, SearchQuery, fetch};
use super::pick::Picker;
use super::users::{org_paths, seen_with_org_paths};
use super::{PageError, SignedIn, page, render, see_other};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::grant::{self, GrantRequest, GrantView, Holder, Scope};
use crate::domain::group::{self, Group, GroupDraft, Member};
use crate::domain::ids::{GroupId, UserId};
use crate::domain::role;
use crate::domain::validate::Contains;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new_form)
        .service(create)
        .service(show)
        .service(edit)
        .service(delete)
        .service(add_member)
        .service(remove_member)
        .service(add_grant);
}

#[derive(Template)]
#[template(path = "groups/list.html")]
struct ListPage {
    layout: Layout,
    groups: Vec<(Group, String)>,
    q: String,
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

const PER_PAGE: usize = 50;

/// `GET /groups?q=&page=`, paged in SQL.
#[get("/groups")]
async fn list(me: SignedIn, query: web::Query<ListQuery>) -> Result<HttpResponse, PageError> {
    let q = query.q.clone().unwrap_or_default();
    let page_no = super::page_number(query.page.as_deref());
    let access = me.access.clone();
    let needle = q.clone();
    let (groups, total, page_no) = me
        .db()
        .read(move |conn| {
            let (groups, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                group::search_visible(conn, &access, &Contains::key(&needle), None, offset, limit)
            })?;
            let groups =
                seen_with_org_paths(conn, &access, groups, Permission::GroupView, |g| g.org_id)?;
            Ok((groups, total, page_no))
        })
        .await?;
    let pager = Pager::new("/groups", &[("q", q.as_str())], page_no, PER_PAGE, total);
    page(&ListPage {
        layout: me.ctx.layout("Groups", "groups")?,
        groups,
        q,
        pager,
        can_create: me.access.anywhere(Permission::GroupManage),
    })
}

membership::new_pages!("groups/new.html", "/groups/new", Group);

#[derive(Template)]
#[template(path = "groups/show.html")]
struct ShowPage {
    layout: Layout,
    group: Group,
    org_path: String,
    /// One page of the members the viewer may see, matching `q`.
    members: Vec<Member>,
    /// The member search as typed (kept in the pager's links).
    q: String,
    pager: Pager,
    /// Members the viewer may not see, counted only.
    hidden_members: usize,
    /// The grants the viewer may know of, each with whether they may revoke it.
    grants: Vec<(GrantView, bool)>,
    hidden_grants: usize,
    can_manage: bool,
    can_members: bool,
    /// The viewer may grant somewhere: the grant form shows.
    may_grant: bool,
    org_picker: Picker,
    roles: Vec<role::Role>,
    errors: FieldErrors,
}

async fn render_show(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    render_show_typed(
        me,
        id,
        status,
        String::new(),
        SearchQuery::default(),
        errors,
    )
    .await
}

/// The group page (members a page at a time, `list`), its grant form holding
/// the org as typed.
async fn render_show_typed(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    typed_org: String,
    asked: SearchQuery,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (q, page_no) = (asked.q(), asked.page());
    let needle = q.clone();
    let page_data = me
        .db()
        .read(move |conn| {
            let g = group::find_visible(conn, &access, id)?;
            let org_path = org_paths(conn, &access, &[g.org_id])?
                .remove(&g.org_id)
                .unwrap_or_default();
            let mut hidden = 0;
            let (members, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                let (rows, total, unseen) =
                    group::visible_members_page(conn, &access, id, &needle, offset, limit)?;
                hidden = unseen;
                Ok((rows, total))
            })?;
            let members = (
                members,
                usize::try_from(hidden).unwrap_or(0),
                total,
                page_no,
            );
            let (grants, hidden_grants) = group::visible_grants(conn, &access, id)?;
            let grants: Vec<(GrantView, bool)> = grants
                .into_iter()
                .map(|g| {
                    let may = g
                        .grant
                        .decided_at(&access.snapshot)
                        .is_some_and(|o| access.can(Permission::AccessManage, o));
                    (g, may)
                })
                .collect();
            let grants = (grants, hidden_grants);
            let can_members = access.can(Permission::GroupManage, g.org_id)
                || group::is_owner(conn, GroupId(id), UserId(access.user_id))?;
            // The roles the person may hand out at the highest orgs where
            // they manage access (the grant rule, as on the other grant
            // forms; the org is checked again when granting).
            let grant_orgs = access.org_scope(Permission::AccessManage).roots;
            let mut roles: Vec<role::Role> = vec![];
            for org_id in &grant_orgs {
                for r in grant::grantable_roles(conn, &access, *org_id, false)? {
                    if !roles.iter().any(|have| have.id == r.id) {
                        roles.push(r);
                    }
                }
            }
            Ok((g, org_path, members, grants, can_members, grant_orgs, roles))
        })
        .await?;
    let (g, org_path, members, grants, can_members, grant_orgs, roles) = page_data;
    let org_picker = Picker::org("org_id", "At", Permission::AccessManage)
        .id("grant-org")
        .value(typed_org)
        .errors(&errors);
    Ok(render(
        status,
        &ShowPage {
            layout: me.ctx.layout(g.name.clone(), "groups")?,
            can_manage: me.access.can(Permission::GroupManage, g.org_id),
            group: g,
            org_path,
            pager: Pager::new(
                &format!("/groups/{id}"),
                &[("q", q.as_str())],
                members.3,
                PER_PAGE,
                members.2,
            ),
            q,
            members: members.0,
            hidden_members: members.1,
            grants: grants.0,
            hidden_grants: grants.1,
            can_members,
            may_grant: !grant_orgs.is_empty(),
            org_picker,
            roles,
            errors,
        },
    ))
}

/// `GET /groups/{id}?q=&page=`: members 50 a page, paged in SQL.
#[get("/groups/{id}")]
async fn show(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, PageError> {
    render_show_typed(
        &me,
        id.into_inner(),
        StatusCode::OK,
        String::new(),
        query.into_inner(),
        FieldErrors::new(),
    )
    .await
}

#[derive(Deserialize)]
struct EditForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    version: Option<i64>,
}

/// `POST /groups/{id}/edit`.
#[post("/groups/{id}/edit")]
async fn edit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| {
            let g = group::find_visible(conn, &access, id)?;
            access.require(Permission::GroupManage, g.org_id)?;
            let values = GroupDraft {
                name: form.name,
                description: form.description,
            }
            .validate()?;
            group::update(conn, &actor, id, &values, form.version)
        })
        .await;
    match outcome {
        Ok(g) => {
            me.ctx
                .flash("success", format!("Group {} is saved.", g.name))?;
            see_other(&format!("/groups/{id}"))
        }
        Err(Error::Validation(e)) => {
            render_show(&me, id, StatusCode::UNPROCESSABLE_ENTITY, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /groups/{id}/delete`: the group, its memberships and its grants.
#[post("/groups/{id}/delete")]
async fn delete(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| group::delete_as(conn, &access, &actor, id))
        .await?;
    me.ctx.flash(
        "success",
        "The group is deleted; its members lost what it gave them.",
    )?;
    see_other("/groups")
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    email: String,
    owner: Option<String>,
}

/// `POST /groups/{id}/members`: add someone (by email) or change their owner flag.
#[post("/groups/{id}/members")]
async fn add_member(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let owner = form.owner.is_some();
    let outcome = me
        .db()
        .write(move |conn| {
            group::put_member_by_email_as(conn, &access, &actor, id, &form.email, owner)
                .map(|u| u.display_name)
        })
        .await;
    match outcome {
        Ok(name) => {
            me.ctx
                .flash("success", format!("{name} is in the group."))?;
            see_other(&format!("/groups/{id}"))
        }
        Err(Error::Validation(e)) => {
            render_show(&me, id, StatusCode::UNPROCESSABLE_ENTITY, e).await
        }
        Err(Error::Forbidden(message)) => {
            render_show(
                &me,
                id,
                StatusCode::FORBIDDEN,
                FieldErrors::of("email", message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /groups/{id}/members/{user_id}/remove`.
#[post("/groups/{id}/members/{user_id}/remove")]
async fn remove_member(
    me: SignedIn,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, PageError> {
    let take_out = |conn: &mut Conn, access: &Access, actor: &Actor, id: i64, user: UserId| {
        group::remove_member_as(conn, access, actor, GroupId(id), user)
    };
    let done = "Removed from the group: what the group gave them stops now.";
    membership::remove_member::<Group>(&me, path.into_inner(), take_out, done).await
}

#[derive(Deserialize)]
struct GrantForm {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    reach: String,
}

/// `POST /groups/{id}/grants`: give the group a role at an org.
#[post("/groups/{id}/grants")]
async fn add_grant(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let typed_org = form.org_id.clone();
    let role_id = form.role_id.trim().parse::<i64>().ok();
    let descendants = form.reach != "here";
    let outcome = me
        .db()
        .write(move |conn| {
            group_grant(
                conn,
                &access,
                &actor,
                id,
                &form.org_id,
                role_id,
                descendants,
            )
        })
        .await;
    let (status, errors) = match outcome {
        Ok(role) => {
            me.ctx
                .flash("success", format!("Every member now holds {role} there."))?;
            return see_other(&format!("/groups/{id}"));
        }
        Err(Error::Forbidden(message)) => {
            (StatusCode::FORBIDDEN, FieldErrors::of("grant", message))
        }
        Err(e) => super::error::form_errors(e, "grant")?,
    };
    let asked = SearchQuery::default();
    render_show_typed(&me, id, status, typed_org, asked, errors).await
}

/// The group grant form's request, to `grant::grant_as`: the role's name, or
/// the refusal as the form shows it (one message above it, whatever the field).
fn group_grant(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    actor: &crate::domain::audit::Actor,
    id: i64,
    raw_org: &str,
    role_id: Option<i64>,
    descendants: bool,
) -> Result<String, Error> {
    group::find_visible(conn, access, id)?;
    // Any org the person sees resolves; the grant rule decides (403 with the
    // reason where they may not grant).
    let org_id = crate::domain::pick::org(conn, access, Permission::OrgView, "org_id", raw_org)?;
    let (Some(org_id), Some(role_id)) = (org_id, role_id) else {
        return Err(FieldErrors::single(
            "grant",
            "Choose an organization and a role.",
        ));
    };
    let request = GrantRequest {
        role_id,
        holder: Holder::Group(id),
        scope: Scope::Org(org_id),
        descendants,
        expires_at: None,
    };
    match grant::grant_as(conn, access, actor, &request) {
        Ok((_, r)) => Ok(r.name),
        Err(Error::NotFound) => Err(FieldErrors::single(
            "org_id",
            crate::domain::pick::UNKNOWN_ORG,
        )),
        Err(Error::Validation(e) | Error::Duplicate(e)) => Err(FieldErrors::single(
            "grant",
            e.0.into_values().collect::<Vec<_>>().join(" "),
        )),
        Err(e) => Err(e),
    }
}
