//! `/api/v1/roles`: roles usable at an org.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;
use serde_json::json;

use super::list::{ListBody, PageQuery, page_of};
use super::orgs::require_inside;
use super::{ApiError, ApiUser};
use crate::domain::role::{self, CustomRoleInput};
use crate::error::FieldErrors;

#[derive(Deserialize)]
struct CreateBody {
    org_id: Option<i64>,
    #[serde(flatten)]
    role: CustomRoleInput,
}

/// `POST /roles`: a custom role at an org, usable in its subtree. Defining one
/// needs `access.manage` there and every permission it carries.
#[post("/roles")]
pub async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let org_id = body
        .org_id
        .ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    require_inside(&me.access, org_id)?;
    let (name, permissions) = role::parse_custom(&body.role)?;
    me.access.require_may_grant(permissions, org_id, false)?;
    let actor = me.actor();
    let r = me
        .db()
        .write(move |conn| role::create_custom(conn, &actor, org_id, &name, permissions))
        .await?;
    Ok(HttpResponse::Created().json(role_json(&r)))
}

fn role_json(r: &role::Role) -> serde_json::Value {
    json!({
        "id": r.id,
        "name": r.name,
        "permissions": r.permission_set().iter().map(|p| p.name()).collect::<Vec<_>>(),
        "builtin": r.is_builtin(),
        "org_id": r.org_id,
    })
}

#[derive(Deserialize)]
struct RolesQuery {
    #[serde(flatten)]
    page: PageQuery,
    org_id: Option<i64>,
}

#[get("/roles")]
pub async fn list(me: ApiUser, query: web::Query<RolesQuery>) -> Result<HttpResponse, ApiError> {
    let org_id = query
        .org_id
        .ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    let (page, per_page) = query.page.parse()?;
    // Roles defined inside a private org are its own: those who see only its
    // name learn nothing of them.
    require_inside(&me.access, org_id)?;
    let roles = me
        .db()
        .read(move |conn| role::usable_at_org(conn, org_id))
        .await?;
    let items: Vec<_> = page_of(&roles, page, per_page)
        .iter()
        .map(role_json)
        .collect();
    Ok(HttpResponse::Ok().json(ListBody {
        items,
        page,
        per_page,
        total: roles.len(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatchBody {
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

/// `PATCH /roles/{id}`: rename a custom role or change its permissions (see
/// `role::update_custom_as` for what that takes). Built-ins answer 403.
#[patch("/roles/{id}")]
pub async fn update(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let body = body.into_inner();
    let edit = role::RoleEdit {
        name: body.name,
        permissions: body.permissions,
    };
    let r = me
        .db()
        .write(move |conn| role::update_custom_as(conn, &access, &actor, id, &edit))
        .await?;
    Ok(HttpResponse::Ok().json(role_json(&r)))
}

/// `DELETE /roles/{id}`: a custom role nobody holds (409 while granted).
#[delete("/roles/{id}")]
pub async fn remove(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| {
            role::require_editable(conn, &access, id)?;
            role::delete_custom(conn, &actor, id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
