//! An org's access tab: the grants that reach it and the pending invitations,
//! and the grant and revoke buttons.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::OrgHeader;
use crate::authz::Permission;
use crate::domain::access::{self as access_domain, AccessItem};
use crate::domain::{grant, role};
use crate::error::{Error, FieldErrors};
use crate::web::grant_form::GrantForm;
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};

#[derive(Template)]
#[template(path = "orgs/access.html")]
struct AccessPage {
    layout: Layout,
    h: OrgHeader,
    /// One page of the grants here and inherited that the viewer may see.
    items: Vec<AccessItem>,
    pager: crate::web::pager::Pager,
    /// The search (name or email) and role as asked, kept in the links.
    q: String,
    role_id: String,
    /// The roles usable here, to filter by.
    filter_roles: Vec<role::Role>,
    /// Grants from orgs above the viewer's scope also reach here (not named).
    hidden_above: bool,
    roles: Vec<role::Role>,
    form: GrantForm,
    errors: FieldErrors,
    my_id: i64,
    /// One page of the pending invitations by email made here (only for
    /// `access.manage`).
    invitations: Vec<crate::domain::grant_invite::InvitationView>,
    invitation_pager: crate::web::pager::Pager,
}

/// `?q=&role_id=&page=&inv_page=` of the Access tab: the grants list's search,
/// role and page, and the invitations' page.
#[derive(Clone, Debug, Default, Deserialize)]
struct AccessQuery {
    q: Option<String>,
    role_id: Option<String>,
    page: Option<String>,
    inv_page: Option<String>,
}

const ACCESS_PER_PAGE: usize = 50;

async fn render_access(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    list: AccessQuery,
    form: GrantForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    use crate::web::pager::{Pager, fetch};
    let q = list.q.clone().unwrap_or_default();
    // A role that is no number filters nothing (the select only offers ids).
    let role_text = list.role_id.clone().unwrap_or_default();
    let filter = access_domain::AccessFilter {
        q: q.clone(),
        role_id: role_text.trim().parse().ok(),
    };
    let role_id = filter.role_id.map(|r| r.to_string()).unwrap_or_default();
    let (page_no, inv_page) = (
        crate::web::page_number(list.page.as_deref()),
        crate::web::page_number(list.inv_page.as_deref()),
    );
    let access = me.access.clone();
    let (h, effective, roles, filter_roles, invitations) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "access")?;
            h.require_inside()?;
            access.require(Permission::AccessView, id)?;
            let mut hidden_above = false;
            let (items, total, page_no) = fetch(page_no, ACCESS_PER_PAGE, |offset, limit| {
                let (page, total) =
                    access_domain::effective_page(conn, &access, id, &filter, offset, limit)?;
                hidden_above = page.hidden_above;
                Ok((page.items, total))
            })?;
            // Only what the viewer may hand out here (reach "this org only",
            // the wider of the two); submitting checks the rule again.
            let roles = grant::grantable_roles(conn, &access, id, false)?;
            let filter_roles = role::usable_at_org(conn, id)?;
            let invitations = if access.can(Permission::AccessManage, id) {
                fetch(inv_page, ACCESS_PER_PAGE, |offset, limit| {
                    crate::domain::grant_invite::pending_at_org(conn, &access, id, offset, limit)
                })?
            } else {
                (vec![], 0, 1)
            };
            Ok((
                h,
                (items, total, page_no, hidden_above),
                roles,
                filter_roles,
                invitations,
            ))
        })
        .await?;
    let (items, total, page_no, hidden_above) = effective;
    let (invitations, inv_total, inv_page) = invitations;
    let path = format!("/orgs/{id}/access");
    let (page_text, inv_text) = (page_no.to_string(), inv_page.to_string());
    let pager = Pager::new(
        &path,
        &[
            ("q", q.as_str()),
            ("role_id", role_id.as_str()),
            (
                "inv_page",
                if inv_page > 1 { inv_text.as_str() } else { "" },
            ),
        ],
        page_no,
        ACCESS_PER_PAGE,
        total,
    );
    let invitation_pager = Pager::new(
        &path,
        &[
            ("q", q.as_str()),
            ("role_id", role_id.as_str()),
            ("page", if page_no > 1 { page_text.as_str() } else { "" }),
        ],
        inv_page,
        ACCESS_PER_PAGE,
        inv_total,
    )
    .named("inv_page");
    Ok(render(
        status,
        &AccessPage {
            layout: me.ctx.layout(format!("{} · Access", h.org.name), "orgs")?,
            h,
            items,
            pager,
            q,
            role_id,
            filter_roles,
            hidden_above,
            roles,
            form,
            errors,
            my_id: me.user.id,
            invitations,
            invitation_pager,
        },
    ))
}

/// `GET /orgs/{id}/access?q=&role_id=&page=&inv_page=`: the grants here and
/// inherited, and the pending invitations, each 50 a page, paged in SQL.
#[get("/orgs/{id}/access")]
pub(super) async fn access_tab(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<AccessQuery>,
) -> Result<HttpResponse, PageError> {
    render_access(
        &me,
        id.into_inner(),
        StatusCode::OK,
        query.into_inner(),
        GrantForm::new(),
        FieldErrors::new(),
    )
    .await
}

/// `POST /orgs/{id}/grants`: give a user (by email) a role here.
#[post("/orgs/{id}/grants")]
pub(super) async fn add_grant(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<GrantForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let form = form.into_inner();
    me.access.require_visible(id)?;
    if !me.access.sees_inside(id) {
        return Err(Error::NotFound.into());
    }
    me.access.require(Permission::AccessManage, id)?;
    match form.submit(&me, grant::Scope::Org(id)).await? {
        Ok(message) => {
            me.ctx.flash("success", message)?;
            see_other(&format!("/orgs/{id}/access"))
        }
        Err((status, errors)) => {
            render_access(&me, id, status, AccessQuery::default(), form, errors).await
        }
    }
}

/// `POST /grants/{id}/revoke`: own grants always; others' with the rights to grant them.
#[post("/grants/{id}/revoke")]
pub(super) async fn revoke_grant(
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let revoked = me
        .db()
        .write(move |conn| grant::revoke_as(conn, &access, &actor, id))
        .await?;
    me.ctx.flash("success", "The grant is revoked.")?;
    // Back where it was shown; after dropping one's own grant that page may be
    // gone (this request's access is from before the change): go home then.
    if revoked.user_id == Some(me.user.id) {
        return see_other("/");
    }
    match (revoked.org_id, revoked.project_id) {
        (Some(org), _) => see_other(&format!("/orgs/{org}/access")),
        (None, Some(project)) => see_other(&format!("/projects/{project}")),
        (None, None) => see_other("/"),
    }
}
