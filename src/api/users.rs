//! `/api/v1/users`: people visible to the caller.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;

use super::json::UserJson;
use super::list::{ListBody, PageQuery};
use super::{ApiError, ApiUser};
use crate::authz::Permission;
use crate::domain::user::{self, NewUserInput, UserChange, UserFilter, UserPatch, UserStatus};
use crate::error::FieldErrors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(show)
        .service(update)
        .service(reset_two_factor);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// Home org.
    org_id: Option<i64>,
    /// Name or email contains.
    q: Option<String>,
    /// `invited`, `active` or `deactivated`.
    status: Option<String>,
}

/// `GET /users?org_id=&q=&status=`.
#[utoipa::path(
    operation_id = "listUsers",
    summary = "Users visible to you: at home where you hold user.view, or guests granted there",
    params(PageQuery),
    responses((status = 200, description = "A page of users", body = ListBody<UserJson>)),
)]
#[get("/users")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let status = super::list::optional(
        query.status.as_deref(),
        UserStatus::parse,
        "status",
        "Use invited, active or deactivated.",
    )?;
    if let Some(org_id) = query.org_id {
        me.access.require_visible(org_id)?;
    }
    let filter = UserFilter {
        q: query.q.clone(),
        status,
        org_id: query.org_id,
    };
    let access = me.access.clone();
    let (users, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            user::visible_page(conn, &access, &filter, offset, i64::from(per_page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody {
        items: users.iter().map(UserJson::from).collect::<Vec<_>>(),
        page,
        per_page,
        total: total as usize,
    }))
}

/// `POST /users`: with `password` the user is active at once; without, invited.
#[utoipa::path(
    operation_id = "createUser",
    summary = "Create a user (user.manage at the home org): active with a password, else invited by mail",
    responses((status = 201, description = "The user", body = UserJson)),
)]
#[post("/users")]
async fn create(me: ApiUser, body: web::Json<NewUserInput>) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let values = input.parse()?;
    me.access.require(Permission::UserManage, values.org_id)?;
    let (state, actor) = (me.state.clone(), me.actor());
    let created = web::block(move || {
        crate::domain::account::create_user(
            &state.db,
            state.config.bcrypt_cost,
            &actor,
            values,
            &state.base_url,
        )
    })
    .await??;
    Ok(HttpResponse::Created().json(UserJson::from(&created)))
}

/// `GET /users/{id}`.
#[utoipa::path(
    operation_id = "getUser",
    summary = "One user",
    responses((status = 200, description = "The user", body = UserJson)),
)]
#[get("/users/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let u = me
        .db()
        .read(move |conn| user::find_visible(conn, &access, id))
        .await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&u)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch)]
struct PatchBody {
    display_name: Option<String>,
    email: Option<String>,
    job_title: Option<String>,
    phone: Option<String>,
    /// Move the user's home here (user.manage at both ends).
    org_id: Option<i64>,
    /// `active` or `deactivated`.
    status: Option<String>,
    /// Refuse with 409 if the user changed since this version.
    version: Option<i64>,
}

/// `PATCH /users/{id}`: fields, `org_id` (move: `user.manage` at both ends),
/// `status` (`active` / `deactivated`), in one transaction.
#[utoipa::path(
    operation_id = "updateUser",
    summary = "Edit fields, move (org_id: user.manage at both ends), status (active/deactivated)",
    responses((status = 200, description = "The user", body = UserJson)),
)]
#[patch("/users/{id}")]
async fn update(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, body) = (id.into_inner(), body.into_inner());
    let status = match body.status.as_deref() {
        None => None,
        Some("active") => Some(UserStatus::Active),
        Some("deactivated") => Some(UserStatus::Deactivated),
        Some(_) => return Err(FieldErrors::single("status", "Use active or deactivated.").into()),
    };
    let change = UserChange {
        fields: UserPatch {
            display_name: body.display_name,
            email: body.email,
            job_title: body.job_title,
            phone: body.phone,
            version: body.version,
        },
        org_id: body.org_id,
        status,
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let updated = me
        .db()
        .write(move |conn| user::change_as(conn, &access, &actor, id, change))
        .await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&updated)))
}

/// `DELETE /users/{id}/two-factor`: resets the person's second factor
/// (`user.manage` where they live; the person is told by mail).
#[utoipa::path(
    operation_id = "resetTwoFactor",
    summary = "Reset someone's two-factor sign-in (user.manage); they are told by mail",
    responses((status = 204, description = "Reset")),
)]
#[delete("/users/{id}/two-factor")]
async fn reset_two_factor(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| crate::domain::two_factor::reset_as(conn, &access, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
