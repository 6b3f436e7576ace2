//! `POST /.search`, `/Users/.search`, `/Groups/.search` (RFC 7644 §3.4.3): a
//! list asked for in a `SearchRequest` body instead of the query string, with
//! the same parameters, filters and paging. At the root it lists users, then
//! groups, as one sequence.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde_json::Value;

use super::filter::On;
use super::resource::{self, ListParams, get, group_json, user_json};
use super::{ScimCaller, ScimError, answer, body_json};
use crate::domain::scim::{Query, groups, users};

pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, kind) in [
        ("/.search", None),
        ("/Users/.search", Some(On::Users)),
        ("/Groups/.search", Some(On::Groups)),
    ] {
        cfg.service(
            web::resource(path)
                .app_data(web::Data::new(Kind(kind)))
                .route(web::post().to(search))
                .default_service(web::to(|| async {
                    Err::<HttpResponse, _>(ScimError::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        None,
                        "A search is a POST.".into(),
                    ))
                })),
        );
    }
}

/// Which resources a search address lists (`None`: both).
struct Kind(Option<On>);

/// The body's parameters as the query string would carry them.
fn pairs(body: &Value) -> Result<Vec<(String, String)>, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::bad("invalidSyntax", "The body must be a JSON object."))?;
    let mut out = Vec::new();
    for name in [
        "filter",
        "startIndex",
        "count",
        "attributes",
        "excludedAttributes",
    ] {
        let text = match get(obj, name) {
            None => continue,
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ScimError::bad("invalidValue", format!("{name} must list names.")))?
                .join(","),
            Some(_) => {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!("{name} is not valid."),
                ));
            }
        };
        out.push((name.to_string(), text));
    }
    Ok(out)
}

async fn search(
    me: ScimCaller,
    kind: web::Data<Kind>,
    body: web::Bytes,
) -> Result<HttpResponse, ScimError> {
    let pairs = pairs(&body_json(&body)?)?;
    // At the root a userName filter finds users only (groups have none).
    let params = resource::list_params(&pairs, kind.0.unwrap_or(On::Users))?;
    let kind = kind.0;
    let (base, caller, q) = (me.base(), me.caller, params.query.clone());
    let (found, total) = me
        .state
        .db
        .read(move |conn| {
            let mut found = Vec::new();
            let mut total = 0;
            let mut window = q.clone();
            if kind != Some(On::Groups) {
                let (list, n) = users::list(conn, &caller, &window)?;
                found.extend(list.iter().map(|u| user_json(u, &base)));
                (total, window) = (n, after(&window, n, list.len()));
            }
            if kind != Some(On::Users) {
                let (list, n) = groups::list(conn, &caller, &window)?;
                found.extend(list.iter().map(|g| group_json(g, &base)));
                total += n;
            }
            Ok((found, total))
        })
        .await?;
    Ok(listed(found, total, &params))
}

/// The window left for the groups once `shown` of `total` users were listed.
fn after(q: &Query, total: i64, shown: usize) -> Query {
    Query {
        filter: q.filter.clone(),
        offset: (q.offset - total).max(0),
        limit: q.limit - shown as i64,
    }
}

fn listed(found: Vec<Value>, total: i64, params: &ListParams) -> HttpResponse {
    let items = found
        .into_iter()
        .map(|v| params.projection.apply(v))
        .collect();
    let body = resource::list_json(items, total, params.start_index);
    answer(StatusCode::OK, &body)
}
