//! `/api/v1/users`: people visible to the caller.

use actix_web::{HttpResponse, get, patch, post, web};
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
        .service(update);
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    org_id: Option<i64>,
    q: Option<String>,
    status: Option<String>,
}

/// `GET /users?org_id=&q=&status=`.
#[get("/users")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let status =
        match query.status.as_deref() {
            None | Some("") => None,
            Some(s) => Some(UserStatus::parse(s).ok_or_else(|| {
                FieldErrors::single("status", "Use invited, active or deactivated.")
            })?),
        };
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
#[get("/users/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let u = me
        .db()
        .read(move |conn| user::find_visible(conn, &access, id))
        .await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&u)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    display_name: Option<String>,
    email: Option<String>,
    job_title: Option<String>,
    phone: Option<String>,
    org_id: Option<i64>,
    status: Option<String>,
    version: Option<i64>,
}

/// `PATCH /users/{id}`: fields, `org_id` (move: `user.manage` at both ends),
/// `status` (`active` / `deactivated`), in one transaction.
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
