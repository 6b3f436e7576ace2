//! `/scim/v2/Users`: parse, call `domain::scim::users`, render.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::filter::On;
use super::resource::{self, Projection, user_json};
use super::{ScimCaller, ScimError, answer, body_json, parse_id};
use crate::domain::scim::users::{self, ScimUser};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/Users")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/Users/{id}")
            .route(web::get().to(show))
            .route(web::put().to(replace))
            .route(web::patch().to(patch))
            .route(web::delete().to(remove))
            .default_service(web::to(not_allowed)),
    );
}

async fn not_allowed() -> Result<HttpResponse, ScimError> {
    Err(ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "Method not allowed here.".into(),
    ))
}

/// One answer: its JSON (projected), `ETag` and, once created, `Location`.
pub fn one(status: StatusCode, u: &ScimUser, base: &str, projection: &Projection) -> HttpResponse {
    super::one_resource(status, user_json(u, base), u.user.version, projection)
}

async fn list(
    me: ScimCaller,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let params = resource::list_params(&query, On::Users)?;
    let (base, caller, q) = (me.base(), me.caller, params.query.clone());
    let (found, total) = me
        .state
        .db
        .read(move |conn| users::list(conn, &caller, &q))
        .await?;
    let items = found
        .iter()
        .map(|u| params.projection.apply(user_json(u, &base)))
        .collect();
    let body = resource::list_json(items, total, params.start_index);
    Ok(answer(StatusCode::OK, &body))
}

async fn show(
    me: ScimCaller,
    id: web::Path<String>,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let id = parse_id(&id)?;
    let (base, caller) = (me.base(), me.caller);
    let u = me
        .state
        .db
        .read(move |conn| users::find(conn, &caller, id))
        .await?;
    Ok(one(StatusCode::OK, &u, &base, &Projection::of(&query)))
}

async fn create(me: ScimCaller, body: web::Bytes) -> Result<HttpResponse, ScimError> {
    let input = resource::user_input(&body_json(&body)?)?;
    let (base, caller, url) = (me.base(), me.caller, me.state.base_url.clone());
    let u = me
        .state
        .db
        .write(move |conn| users::create(conn, &caller, &input, &url))
        .await?;
    Ok(one(StatusCode::CREATED, &u, &base, &Projection::default()))
}

async fn replace(
    me: ScimCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = parse_id(&id)?;
    let input = resource::user_input(&body_json(&body)?)?;
    let (base, caller) = (me.base(), me.caller);
    let u = me
        .state
        .db
        .write(move |conn| users::replace(conn, &caller, id, &input))
        .await?;
    Ok(one(StatusCode::OK, &u, &base, &Projection::default()))
}

/// PATCH: the operations applied to the user as SCIM shows them, then saved
/// as a replace, in one transaction.
async fn patch(
    me: ScimCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = parse_id(&id)?;
    let ops = body_json(&body)?;
    let (base, caller) = (me.base(), me.caller);
    let url = base.clone();
    let saved = me
        .state
        .db
        .write(move |conn| {
            let current = users::find(conn, &caller, id)?;
            let input = match patched_input(&current, &url, &ops) {
                Ok(input) => input,
                Err(refused) => return Ok(Err(refused)),
            };
            users::replace(conn, &caller, id, &input).map(Ok)
        })
        .await??;
    Ok(one(StatusCode::OK, &saved, &base, &Projection::default()))
}

/// What the user becomes after `ops`. A `name.formatted` set while the
/// `displayName` stayed is the new name (both are the person's name).
fn patched_input(
    current: &ScimUser,
    base: &str,
    ops: &Value,
) -> Result<users::UserInput, ScimError> {
    let mut v = user_json(current, base);
    super::patch::apply(&mut v, ops)?;
    let mut input = resource::user_input(&v)?;
    let formatted = v
        .get("name")
        .and_then(|n| n.get("formatted"))
        .and_then(Value::as_str);
    if input.name.as_deref() == Some(current.user.display_name.as_str())
        && let Some(f) = formatted
    {
        input.name = Some(f.to_string());
    }
    Ok(input)
}

async fn remove(me: ScimCaller, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    let id = parse_id(&id)?;
    let caller = me.caller;
    me.state
        .db
        .write(move |conn| users::delete(conn, &caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
