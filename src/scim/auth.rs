//! `Authorization: Bearer <SCIM token>`: the token's creator, checked at
//! each request (token not revoked, creator active and still managing
//! people and groups at the token's org), as a `domain::scim::Caller`.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::ScimError;
use crate::authz::Access;
use crate::domain::audit::{Actor, Via};
use crate::domain::scim::{self, Caller};
use crate::http::{AppState, bearer_request, client_ip};

pub struct ScimCaller {
    pub caller: Caller,
    pub state: web::Data<AppState>,
}

impl ScimCaller {
    pub fn db(&self) -> &crate::db::Db {
        &self.state.db
    }

    /// Where resources live, for `meta.location` and `$ref`.
    pub fn base(&self) -> String {
        format!("{}/scim/v2", self.state.base_url.trim_end_matches('/'))
    }
}

impl FromRequest for ScimCaller {
    type Error = ScimError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (state, secret) = bearer_request(&req, "SCIM token")?;
            let store = state.clone();
            let (token, creator, snapshot) = state
                .db
                .read(move |conn| {
                    let (token, creator) = scim::authenticate(conn, &secret)?;
                    Ok((token, creator, store.authz.fresh(conn)?))
                })
                .await?;
            // The audit log names the creator, by a token (the SCIM token's
            // id is not an API token's, so it is left out).
            let actor = Actor {
                user_id: Some(creator.id),
                token_id: None,
                via: Via::Token,
                ip: Some(client_ip(&req, state.config.trust_proxy)),
            };
            let access = Access {
                user_id: creator.id,
                snapshot,
            };
            let caller = Caller::new(access, &token, actor)?;
            state
                .db
                .write(move |conn| scim::touch_if_due(conn, &token))
                .await?;
            Ok(ScimCaller { caller, state })
        })
    }
}
