//! `/api/v1/roles`: roles usable at an org.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};

use super::list::{ListBody, PageQuery, page_of};
use super::orgs::require_inside;
use super::{ApiError, ApiUser};
use crate::domain::role::{self, CustomRoleInput};
use crate::error::FieldErrors;

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = RoleCreate)]
struct CreateBody {
    /// Required: the org where the role is defined.
    org_id: Option<i64>,
    #[serde(flatten)]
    role: CustomRoleInput,
}

/// `POST /roles`: a custom role at an org, usable in its subtree. Defining one
/// needs `access.manage` there and every permission it carries.
#[utoipa::path(
    operation_id = "createRole",
    summary = "Define a custom role at an org, usable in its subtree (access.manage and every permission it carries)",
    responses((status = 201, description = "The role", body = RoleJson)),
)]
#[post("/roles")]
pub async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let org_id = body
        .org_id
        .ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    require_inside(&me.access, org_id)?;
    let (access, actor, asked) = (me.access.clone(), me.actor(), body.role);
    let r = me
        .db()
        .write(move |conn| role::create_custom_as(conn, &access, &actor, org_id, &asked))
        .await?;
    Ok(HttpResponse::Created().json(role_json(&r)))
}

/// A role as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Role)]
struct RoleJson {
    id: i64,
    name: String,
    permissions: Vec<&'static str>,
    builtin: bool,
    /// Where a custom role is defined; null for a built-in.
    org_id: Option<i64>,
}

fn role_json(r: &role::Role) -> RoleJson {
    RoleJson {
        id: r.id,
        name: r.name.clone(),
        permissions: r.permission_set().iter().map(|p| p.name()).collect(),
        builtin: r.is_builtin(),
        org_id: r.org_id,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RolesQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// Required: roles usable at this org.
    org_id: Option<i64>,
}

#[utoipa::path(
    operation_id = "listRoles",
    summary = "Roles usable at an org",
    params(PageQuery),
    responses((status = 200, description = "A page of roles", body = ListBody<RoleJson>)),
)]
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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RolePatch)]
struct PatchBody {
    name: Option<String>,
    permissions: Option<Vec<String>>,
}

/// `PATCH /roles/{id}`: rename a custom role or change its permissions (see
/// `role::update_custom_as` for what that takes). Built-ins answer 403.
#[utoipa::path(
    operation_id = "updateRole",
    summary = "Rename a custom role or change its permissions; built-ins answer 403",
    responses((status = 200, description = "The role", body = RoleJson)),
)]
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
#[utoipa::path(
    operation_id = "deleteRole",
    summary = "Delete a custom role nobody holds (409 while granted)",
    responses((status = 204, description = "Deleted")),
)]
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
