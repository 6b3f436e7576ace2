//! The token owner's own record.

use actix_web::{HttpResponse, get, patch, web};

use super::json::UserJson;
use super::{ApiError, ApiUser};
use crate::domain::user::{self, ProfileInput};

/// `GET /api/v1/me`: the token's owner.
#[utoipa::path(
    operation_id = "getMe",
    summary = "The token's user",
    responses((status = 200, description = "The user", body = UserJson)),
)]
#[get("/me")]
pub async fn show(me: ApiUser) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(UserJson::from(&me.user)))
}

/// `PATCH /api/v1/me`: edit one's own name, job title and phone.
#[utoipa::path(
    operation_id = "updateMe",
    summary = "Edit your own name, job title and phone",
    responses((status = 200, description = "The updated user", body = UserJson)),
)]
#[patch("/me")]
pub async fn update(me: ApiUser, body: web::Json<ProfileInput>) -> Result<HttpResponse, ApiError> {
    let (actor, id, input) = (me.actor(), me.user.id, body.into_inner());
    let updated = me
        .state
        .db
        .write(move |conn| user::update_profile(conn, &actor, id, &input))
        .await?;
    Ok(HttpResponse::Ok().json(UserJson::from(&updated)))
}
