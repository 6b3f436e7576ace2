//! `/api/v1/orgs/{id}/sso`: the org's single sign-on provider (`domain::sso`,
//! the rule the org's Single sign-on tab uses), for someone with
//! `org.settings` there. The client secret is written, never read: answers
//! say only whether one is set, and a PUT without one keeps it.

use actix_web::{HttpResponse, delete, get, put, web};
use serde::{Deserialize, Serialize};

use crate::api::json::{text_or_list, time};
use crate::api::{ApiError, ApiUser};
use crate::domain::sso::{self, Config, Input};
use crate::error::Error;

/// An org's provider as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OrgSso)]
struct SsoJson {
    org_id: i64,
    /// The provider's issuer (https; plain http only on a loopback host).
    issuer_url: String,
    client_id: String,
    /// Whether a client secret is stored (it is never shown).
    client_secret_set: bool,
    /// Email domains sent to the provider, lower-case.
    allowed_domains: Vec<String>,
    /// Whether people governed by this provider may still sign in with a password.
    password_sign_in: bool,
    /// `create` (an unknown email gets an account here) or `link` (refused).
    on_first_sign_in: String,
    /// The role (here and below) of accounts created on first sign-in.
    default_role_id: Option<i64>,
    version: i64,
    #[schema(format = DateTime)]
    updated_at: String,
}

fn sso_json(c: &Config) -> SsoJson {
    SsoJson {
        org_id: c.org_id,
        issuer_url: c.issuer_url.clone(),
        client_id: c.client_id.clone(),
        client_secret_set: c.has_secret(),
        allowed_domains: c.domains(),
        password_sign_in: c.password_sign_in,
        on_first_sign_in: c.on_first_sign_in.clone(),
        default_role_id: c.default_role_id,
        version: c.version,
        updated_at: time(c.updated_at),
    }
}

/// `PUT /orgs/{id}/sso`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrgSsoInput)]
pub(in crate::api) struct SsoBody {
    issuer_url: String,
    client_id: String,
    /// Omitted or blank keeps the stored secret.
    client_secret: Option<String>,
    /// A list of domains, or one text separated by commas.
    #[serde(deserialize_with = "text_or_list")]
    #[schema(value_type = Vec<String>)]
    allowed_domains: Option<String>,
    /// Defaults to true.
    password_sign_in: Option<bool>,
    /// `create` or `link` (the default).
    on_first_sign_in: Option<String>,
    default_role_id: Option<i64>,
    /// The provider's current version: a stale one answers 409.
    version: Option<i64>,
}

/// `GET /orgs/{id}/sso`.
#[utoipa::path(
    operation_id = "getOrgSso",
    summary = "The org's single sign-on provider (org.settings there); 404 when none is set here. Never the secret",
    responses(
        (status = 200, description = "The provider", body = SsoJson),
        (status = 403, response = crate::api::openapi::Forbidden),
    ),
)]
#[get("/orgs/{id}/sso")]
pub(in crate::api) async fn get_sso(
    me: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, access) = (id.into_inner(), me.access.clone());
    let config = me
        .db()
        .read(move |conn| sso::get_as(conn, &access, org_id))
        .await?
        .ok_or(Error::NotFound)?;
    Ok(HttpResponse::Ok().json(sso_json(&config)))
}

/// `PUT /orgs/{id}/sso`.
#[utoipa::path(
    operation_id = "putOrgSso",
    summary = "Set or replace the org's single sign-on provider (org.settings there); the secret is kept when omitted",
    request_body = SsoBody,
    responses((status = 200, description = "The provider as stored", body = SsoJson)),
)]
#[put("/orgs/{id}/sso")]
pub(in crate::api) async fn put_sso(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<SsoBody>,
) -> Result<HttpResponse, ApiError> {
    let org_id = id.into_inner();
    let body = body.into_inner();
    let input = Input {
        issuer_url: body.issuer_url,
        client_id: body.client_id,
        client_secret: body.client_secret.unwrap_or_default(),
        allowed_domains: body.allowed_domains.unwrap_or_default(),
        password_sign_in: body.password_sign_in.unwrap_or(true),
        on_first_sign_in: body.on_first_sign_in.unwrap_or_else(|| sso::LINK.into()),
        default_role_id: body.default_role_id,
    };
    let (access, actor, version) = (me.access.clone(), me.actor(), body.version);
    let config = me
        .db()
        .write(move |conn| sso::put_as(conn, &access, &actor, org_id, &input, version))
        .await?;
    Ok(HttpResponse::Ok().json(sso_json(&config)))
}

/// `DELETE /orgs/{id}/sso`.
#[utoipa::path(
    operation_id = "deleteOrgSso",
    summary = "Remove the org's single sign-on provider (org.settings there)",
    responses((status = 204, description = "Removed")),
)]
#[delete("/orgs/{id}/sso")]
pub(in crate::api) async fn delete_sso(
    me: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (org_id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| sso::remove_as(conn, &access, &actor, org_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
