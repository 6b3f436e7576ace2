//! Bearer-token authentication for the API.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::ApiError;
use crate::authz::Access;
use crate::db;
use crate::domain::audit::Actor;
use crate::domain::ids::UserId;
use crate::domain::token::{self, ApiToken};
use crate::domain::user::User;
use crate::http::{AppState, bearer_request, client_ip};

/// The token's owner, checked at this request: token not revoked or expired,
/// owner active.
pub struct ApiUser {
    pub user: User,
    pub token: ApiToken,
    pub access: Access,
    pub ip: String,
    pub state: web::Data<AppState>,
}

impl ApiUser {
    pub fn actor(&self) -> Actor {
        Actor::token(UserId(self.user.id), self.token.id, Some(self.ip.clone()))
    }

    pub fn db(&self) -> &crate::db::Db {
        &self.state.db
    }
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (state, secret) = bearer_request(&req, "token")?;
            let store = state.clone();
            let (user, token, snapshot) = state
                .db
                .read(move |conn| {
                    let (user, token) = token::authenticate(conn, &secret)?;
                    Ok((user, token, store.authz.fresh(conn)?))
                })
                .await?;
            if token::needs_touch(&token, db::now()) {
                let id = token.id;
                state.db.write(move |conn| token::touch(conn, id)).await?;
            }
            Ok(ApiUser {
                ip: client_ip(&req, state.config.trust_proxy),
                access: Access {
                    user_id: user.id,
                    snapshot,
                },
                user,
                token,
                state,
            })
        })
    }
}
