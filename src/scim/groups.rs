//! `/scim/v2/Groups`: parse, call `domain::scim::groups`, render.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::filter::On;
use super::resource::{self, Projection, group_json};
use super::{ScimCaller, ScimError, answer, body_json, parse_id};
use crate::domain::scim::groups::{self, ScimGroup};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/Groups")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .default_service(web::to(not_allowed)),
    )
    .service(
        web::resource("/Groups/{id}")
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
fn one(status: StatusCode, g: &ScimGroup, base: &str, projection: &Projection) -> HttpResponse {
    super::one_resource(status, group_json(g, base), g.group.version, projection)
}

async fn list(
    me: ScimCaller,
    query: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, ScimError> {
    let params = resource::list_params(&query, On::Groups)?;
    let (base, caller, q) = (me.base(), me.caller, params.query.clone());
    let (found, total) = me
        .state
        .db
        .read(move |conn| groups::list(conn, &caller, &q))
        .await?;
    let items = found
        .iter()
        .map(|g| params.projection.apply(group_json(g, &base)))
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
    let g = me
        .state
        .db
        .read(move |conn| groups::find(conn, &caller, id))
        .await?;
    Ok(one(StatusCode::OK, &g, &base, &Projection::of(&query)))
}

async fn create(me: ScimCaller, body: web::Bytes) -> Result<HttpResponse, ScimError> {
    let input = resource::group_input(&body_json(&body)?)?;
    let (base, caller) = (me.base(), me.caller);
    let g = me
        .state
        .db
        .write(move |conn| groups::create(conn, &caller, &input))
        .await?;
    Ok(one(StatusCode::CREATED, &g, &base, &Projection::default()))
}

async fn replace(
    me: ScimCaller,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let id = parse_id(&id)?;
    let input = resource::group_input(&body_json(&body)?)?;
    let (base, caller) = (me.base(), me.caller);
    let g = me
        .state
        .db
        .write(move |conn| groups::replace(conn, &caller, id, &input))
        .await?;
    Ok(one(StatusCode::OK, &g, &base, &Projection::default()))
}

/// PATCH: the operations applied to the group as SCIM shows it (members
/// added or removed there), then saved as a replace, in one transaction.
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
            let current = groups::find(conn, &caller, id)?;
            let mut v = group_json(&current, &url);
            let input =
                match super::patch::apply(&mut v, &ops).and_then(|()| resource::group_input(&v)) {
                    Ok(mut input) => {
                        input.members.get_or_insert_with(Vec::new);
                        input
                    }
                    Err(refused) => return Ok(Err(refused)),
                };
            groups::replace(conn, &caller, id, &input).map(Ok)
        })
        .await??;
    Ok(one(StatusCode::OK, &saved, &base, &Projection::default()))
}

async fn remove(me: ScimCaller, id: web::Path<String>) -> Result<HttpResponse, ScimError> {
    let id = parse_id(&id)?;
    let caller = me.caller;
    me.state
        .db
        .write(move |conn| groups::delete(conn, &caller, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
