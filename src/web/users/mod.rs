//! People pages: the user list, one user's page, and the forms that create, edit,
//! move, deactivate and reactivate users. Visibility comes from the resolver:
//! `user.view` at the user's home org, or where a guest holds a grant.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::error::form_errors;
use super::layout::Layout;
use super::pager::{Pager, fetch};
use super::pick::{Kind, Picker, resolve, resolve_required};
use super::{PageError, SignedIn, page, render, see_other};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::grant::{self, GrantView};
use crate::domain::group::{self, Group};
use crate::domain::ids::{OrgId, UserId};
use crate::domain::org;
use crate::domain::user::{self, NewUserInput, User, UserFilter, UserPatch, UserStatus};
use crate::error::{Error, FieldErrors};

mod granting;
mod new;
mod seat;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(new::new_form)
        .service(new::suggest_org)
        .service(new::create)
        .service(granting::grant_to)
        .service(show)
        .service(edit_form)
        .service(edit)
        .service(move_form)
        .service(move_submit)
        .service(deactivate)
        .service(reactivate)
        .service(resend_invitation)
        .service(seat::assign)
        .service(seat::unassign);
}

const PER_PAGE: usize = 50;

/// "Acme / East" for each org id, from the highest org the viewer sees
/// (`domain::pick::org_labels`), or a note when none of it is visible.
pub fn org_paths(
    conn: &mut Conn,
    access: &Access,
    ids: &[i64],
) -> Result<HashMap<i64, String>, Error> {
    let mut labels = crate::domain::pick::org_labels(conn, access, ids)?;
    for label in labels.values_mut().filter(|l| l.is_empty()) {
        *label = "(not visible to you)".to_string();
    }
    Ok(labels)
}

/// Each item with the path of the org it lives in (`org_of`), as
/// [`org_paths`] writes it.
pub fn with_org_paths<T>(
    conn: &mut Conn,
    access: &Access,
    items: Vec<T>,
    org_of: impl Fn(&T) -> i64,
) -> Result<Vec<(T, String)>, Error> {
    let ids: Vec<i64> = items.iter().map(&org_of).collect();
    let paths = org_paths(conn, access, &ids)?;
    Ok(items
        .into_iter()
        .map(|item| {
            let path = paths.get(&org_of(&item)).cloned().unwrap_or_default();
            (item, path)
        })
        .collect())
}

/// [`with_org_paths`] for rows an SQL scope let through, with the
/// resolver's final word on each: only those where `access` holds `perm`.
pub fn seen_with_org_paths<T>(
    conn: &mut Conn,
    access: &Access,
    found: Vec<T>,
    perm: Permission,
    org_of: impl Fn(&T) -> i64,
) -> Result<Vec<(T, String)>, Error> {
    let seen = found
        .into_iter()
        .filter(|item| access.can(perm, org_of(item)))
        .collect();
    with_org_paths(conn, access, seen, org_of)
}

pub struct UserRow {
    pub user: User,
    pub org_path: String,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<UserRow>,
    q: String,
    status: String,
    pager: Pager,
    can_create: bool,
}

#[derive(Deserialize)]
struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

/// `GET /users`.
#[get("/users")]
async fn list(me: SignedIn, query: web::Query<ListQuery>) -> Result<HttpResponse, PageError> {
    let q = query.q.clone().unwrap_or_default();
    let status_text = query.status.clone().unwrap_or_default();
    let status = UserStatus::parse(&status_text);
    let page_no = super::page_number(query.page.as_deref());
    let access = me.access.clone();
    let filter = UserFilter {
        q: Some(q.clone()),
        status,
        org_id: None,
    };
    let (rows, total, page_no) = me
        .db()
        .read(move |conn| {
            let (shown, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                user::visible_page(conn, &access, &filter, offset, limit)
            })?;
            let rows = with_org_paths(conn, &access, shown, |u| u.org_id)?
                .into_iter()
                .map(|(user, org_path)| UserRow { user, org_path })
                .collect::<Vec<_>>();
            Ok((rows, total, page_no))
        })
        .await?;
    let params = [("q", q.as_str()), ("status", status_text.as_str())];
    let pager = Pager::new("/users", &params, page_no, PER_PAGE, total);
    page(&ListPage {
        layout: me.ctx.layout("People", "users")?,
        rows,
        q,
        status: status_text,
        pager,
        can_create: me.access.anywhere(Permission::UserManage),
    })
}

#[derive(Template)]
#[template(path = "users/show.html")]
struct ShowPage {
    layout: Layout,
    user: User,
    org_path: String,
    /// Each group with whether the person owns it and whether the viewer may open it.
    groups: Vec<(Group, bool, bool)>,
    grants: Vec<GrantView>,
    projects: Vec<(
        crate::domain::assignment::Assignment,
        crate::domain::project::Project,
    )>,
    teams: Vec<(crate::domain::team::Team, bool)>,
    can_manage: bool,
    is_me: bool,
    two_factor_on: bool,
    /// Their seat, to themselves and those who manage them, where a pool covers them.
    seat: Option<crate::domain::seats::SeatStatus>,
    /// "Grant a role", when the viewer may grant somewhere.
    grant: Option<granting::GrantBox>,
    errors: FieldErrors,
}

/// `GET /users/{id}`.
#[get("/users/{id}")]
async fn show(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    show_page(&me, id, StatusCode::OK, None, FieldErrors::new()).await
}

/// A person's page; with what the grant form typed and its messages after
/// a refused grant.
async fn show_page(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    typed: Option<granting::GrantToForm>,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let shown_errors = errors.clone();
    let (u, org_path, groups, grants, projects, teams, grant, two_factor_on, seat) = me
        .db()
        .read(move |conn| {
            let u = user::find_visible(conn, &access, id)?;
            let two_factor_on = crate::domain::two_factor::is_on(conn, u.id)?;
            let org_path = org_paths(conn, &access, &[u.org_id])?
                .remove(&u.org_id)
                .unwrap_or_default();
            // One knows one's own groups; a page opens where one views
            // groups there, or owns the group.
            let groups = group::of_user(conn, id)?
                .into_iter()
                .filter_map(|(g, owner)| {
                    let views = access.can(Permission::GroupView, g.org_id);
                    let opens = views || (owner && id == access.user_id);
                    (views || id == access.user_id).then_some((g, owner, opens))
                })
                .collect();
            let grants = grant::known_to(conn, &access, id)?;
            let today = crate::db::now().date();
            let projects = crate::domain::assignment::current_for_user(conn, id, today)?
                .into_iter()
                .filter(|(_, p)| access.can_project(Permission::ProjectView, p.id))
                .collect();
            let teams = crate::domain::team::of_user(conn, id)?
                .into_iter()
                .filter(|(t, _)| access.can(Permission::TeamView, t.org_id))
                .collect();
            let grant = granting::grant_box(conn, &access, &u, typed, &shown_errors)?;
            let seat = if u.id == access.user_id || access.can(Permission::UserManage, u.org_id) {
                crate::domain::seats::status_of(conn, &u)?
            } else {
                None
            };
            Ok((
                u,
                org_path,
                groups,
                grants,
                projects,
                teams,
                grant,
                two_factor_on,
                seat,
            ))
        })
        .await?;
    let layout = me.ctx.layout(u.display_name.clone(), "users")?;
    let page = ShowPage {
        layout,
        can_manage: me.access.can(Permission::UserManage, u.org_id),
        is_me: u.id == me.user.id,
        two_factor_on,
        seat,
        user: u,
        org_path,
        groups,
        grants,
        projects,
        teams,
        grant,
        errors,
    };
    Ok(render(status, &page))
}

#[derive(Template)]
#[template(path = "users/edit.html")]
struct EditPage {
    layout: Layout,
    user: User,
    input: EditForm,
    errors: FieldErrors,
}

#[derive(Default, Deserialize)]
struct EditForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    job_title: String,
    #[serde(default)]
    phone: String,
    version: Option<i64>,
}

/// Loads a user the viewer may manage (404 if invisible, 403 if only visible).
async fn managed_user(me: &SignedIn, id: i64) -> Result<User, PageError> {
    let access = me.access.clone();
    let u = me
        .db()
        .read(move |conn| user::find_visible(conn, &access, id))
        .await?;
    if !me.access.can(Permission::UserManage, u.org_id) {
        return Err(Error::Forbidden("You may see this user but not manage them.".into()).into());
    }
    Ok(u)
}

/// `GET /users/{id}/edit`.
#[get("/users/{id}/edit")]
async fn edit_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let u = managed_user(&me, id.into_inner()).await?;
    let input = EditForm {
        display_name: u.display_name.clone(),
        email: u.email.clone(),
        job_title: u.job_title.clone(),
        phone: u.phone.clone(),
        version: Some(u.version),
    };
    page(&EditPage {
        layout: me.ctx.layout(format!("Edit {}", u.display_name), "users")?,
        user: u,
        input,
        errors: FieldErrors::new(),
    })
}

/// `POST /users/{id}/edit`.
#[post("/users/{id}/edit")]
async fn edit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, PageError> {
    let u = managed_user(&me, id.into_inner()).await?;
    let form = form.into_inner();
    let patch = UserPatch::from(&form);
    let (access, actor, uid) = (me.access.clone(), me.actor(), u.id);
    let outcome = me
        .db()
        .write(move |conn| user::update_as(conn, &access, &actor, uid, &patch))
        .await;
    let (status, errors) = match outcome {
        Ok(updated) => {
            me.ctx
                .flash("success", format!("{} is saved.", updated.display_name))?;
            return see_other(&format!("/users/{uid}"));
        }
        // An email change refused by the grant rule: say so next to the email.
        Err(Error::Forbidden(message)) => {
            (StatusCode::FORBIDDEN, FieldErrors::of("email", &message))
        }
        Err(e) => form_errors(e, "form")?,
    };
    let layout = me.ctx.layout(format!("Edit {}", u.display_name), "users")?;
    let (user, input) = (u, form);
    Ok(render(
        status,
        &EditPage {
            layout,
            user,
            input,
            errors,
        },
    ))
}

impl From<&EditForm> for UserPatch {
    fn from(form: &EditForm) -> Self {
        UserPatch {
            display_name: Some(form.display_name.clone()),
            email: Some(form.email.clone()),
            job_title: Some(form.job_title.clone()),
            phone: Some(form.phone.clone()),
            version: form.version,
        }
    }
}

#[derive(Template)]
#[template(path = "users/move.html")]
struct MovePage {
    layout: Layout,
    user: User,
    org_picker: Picker,
    /// The viewer may move people somewhere.
    anywhere: bool,
    errors: FieldErrors,
}

async fn render_move(
    me: &SignedIn,
    u: User,
    status: StatusCode,
    typed: String,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let anywhere = me.access.anywhere(Permission::UserManage);
    let org_picker = Picker::org("org_id", "New home", Permission::UserManage)
        .value(typed)
        .required()
        .errors(&errors);
    Ok(render(
        status,
        &MovePage {
            layout: me.ctx.layout(format!("Move {}", u.display_name), "users")?,
            user: u,
            org_picker,
            anywhere,
            errors,
        },
    ))
}

/// `GET /users/{id}/move`.
#[get("/users/{id}/move")]
async fn move_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let u = managed_user(&me, id.into_inner()).await?;
    render_move(&me, u, StatusCode::OK, String::new(), FieldErrors::new()).await
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    org_id: String,
    version: Option<i64>,
}

/// The home org picker: orgs where the viewer manages people.
const HOME_PICKER: Kind = Kind::Org(Permission::UserManage);

/// `POST /users/{id}/move`: needs `user.manage` at both ends.
#[post("/users/{id}/move")]
async fn move_submit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let u = managed_user(&me, id.into_inner()).await?;
    let (kind, why) = (HOME_PICKER, "Choose the new home organization.");
    let org_id = match resolve_required(&me, kind, "org_id", &form.org_id, why).await? {
        Ok(id) => id,
        Err(e) => {
            let typed = form.org_id.clone();
            return render_move(&me, u, StatusCode::UNPROCESSABLE_ENTITY, typed, e).await;
        }
    };
    let (actor, uid, version) = (me.actor(), u.id, form.version);
    match me
        .db()
        .write(move |conn| user::move_home(conn, &actor, UserId(uid), OrgId(org_id), version))
        .await
    {
        Ok(moved) => {
            me.ctx.flash(
                "success",
                format!("{} has a new home organization.", moved.display_name),
            )?;
            see_other(&format!("/users/{uid}"))
        }
        Err(Error::Validation(errors)) => {
            let typed = form.org_id.clone();
            render_move(&me, u, StatusCode::UNPROCESSABLE_ENTITY, typed, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /users/{id}/deactivate`: sessions and tokens stop at once.
#[post("/users/{id}/deactivate")]
async fn deactivate(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    set_status(me, id.into_inner(), UserStatus::Deactivated).await
}

/// `POST /users/{id}/reactivate`.
#[post("/users/{id}/reactivate")]
async fn reactivate(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    set_status(me, id.into_inner(), UserStatus::Active).await
}

/// `POST /users/{id}/resend-invitation`: a fresh activation link for someone
/// who has not activated yet (the earlier link, expired or not, stops working).
#[post("/users/{id}/resend-invitation")]
async fn resend_invitation(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    managed_user(&me, id).await?;
    let (actor, base_url) = (me.actor(), me.ctx.state.base_url.clone());
    let invited = me
        .db()
        .write(move |conn| crate::domain::account::resend_invitation(conn, &actor, id, &base_url))
        .await?;
    me.ctx.flash(
        "success",
        format!(
            "A new activation link is on its way to {}; the earlier one no longer works.",
            invited.email
        ),
    )?;
    see_other(&format!("/users/{id}"))
}

/// Deactivate and reactivate, by `user::change_status_as` (as the API's `status`).
async fn set_status(me: SignedIn, id: i64, status: UserStatus) -> Result<HttpResponse, PageError> {
    let (access, actor) = (me.access.clone(), me.actor());
    let updated = me
        .db()
        .write(move |conn| user::change_status_as(conn, &access, &actor, id, status))
        .await?;
    let message = match status {
        UserStatus::Deactivated => format!(
            "{} is deactivated: their sessions and tokens have stopped.",
            updated.display_name
        ),
        _ => format!("{} is reactivated.", updated.display_name),
    };
    me.ctx.flash("success", message)?;
    see_other(&format!("/users/{id}"))
}
