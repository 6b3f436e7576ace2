//! SCIM tokens of an org (`domain::scim`): made, listed and revoked by
//! someone who may manage its people and groups. The secret is answered
//! once, at creation; it is stored as a hash.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};

use super::json::time;
use super::list::{ListBody, PageQuery};
use super::{ApiError, ApiUser};
use crate::domain::scim::{self, ScimToken};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create).service(list).service(revoke);
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
#[schema(as = ScimToken)]
struct TokenJson {
    id: i64,
    org_id: i64,
    name: String,
    /// The first characters of the secret, to recognise it by.
    token_prefix: String,
    created_by: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_used_at: Option<String>,
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
}

fn token_json(t: &ScimToken) -> TokenJson {
    TokenJson {
        id: t.id,
        org_id: t.org_id,
        name: t.name.clone(),
        token_prefix: t.token_prefix.clone(),
        created_by: t.created_by,
        created_at: time(t.created_at),
        last_used_at: t.last_used_at.map(time),
        revoked_at: t.revoked_at.map(time),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewScimToken)]
struct CreateBody {
    /// A label; blank for "SCIM token".
    name: Option<String>,
}

/// The new token with its secret, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = CreatedScimToken)]
struct CreatedJson {
    id: i64,
    name: String,
    /// The secret: `Authorization: Bearer <token>` on `/scim/v2`. Never shown again.
    token: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// `POST /orgs/{id}/scim-tokens`.
#[utoipa::path(
    operation_id = "createScimToken",
    summary = "Create a SCIM token for the org (user.manage and group.manage there); the secret is shown once",
    responses((status = 201, description = "The token with its secret", body = CreatedJson)),
)]
#[post("/orgs/{id}/scim-tokens")]
async fn create(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let org_id = id.into_inner();
    let name = scim::parse_name(body.name.as_deref())?;
    let (access, actor) = (me.access.clone(), me.actor());
    let (token, secret) = me
        .db()
        .write(move |conn| scim::create_as(conn, &access, &actor, org_id, &name))
        .await?;
    Ok(HttpResponse::Created().json(CreatedJson {
        id: token.id,
        name: token.name,
        token: secret,
        created_at: time(token.created_at),
    }))
}

/// `GET /orgs/{id}/scim-tokens`.
#[utoipa::path(
    operation_id = "listScimTokens",
    summary = "The org's SCIM tokens, newest first, revoked ones included; never a secret",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tokens", body = ListBody<TokenJson>),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
#[get("/orgs/{id}/scim-tokens")]
async fn list(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, access) = (id.into_inner(), me.access.clone());
    let (page, per_page) = query.parse()?;
    let tokens = me
        .db()
        .read(move |conn| scim::list_as(conn, &access, org_id))
        .await?;
    let items: Vec<TokenJson> = tokens.iter().map(token_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::paged(&items, page, per_page)))
}

/// `DELETE /scim-tokens/{id}`.
#[utoipa::path(
    operation_id = "revokeScimToken",
    summary = "Revoke a SCIM token (user.manage and group.manage at its org)",
    responses((status = 204, description = "Revoked")),
)]
#[delete("/scim-tokens/{id}")]
async fn revoke(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| scim::revoke_as(conn, &access, &actor, id, None))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
