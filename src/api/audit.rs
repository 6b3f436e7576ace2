//! `/api/v1/audit`: the audit log of the orgs whose log you may read.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json::time;
use super::list::PageQuery;
use super::{ApiError, ApiUser};
use crate::domain::audit::{self, Entry, SearchInput};

#[derive(Deserialize)]
struct AuditQuery {
    #[serde(flatten)]
    search: SearchInput,
    #[serde(flatten)]
    page: PageQuery,
}

pub fn entry_json(e: &Entry) -> Value {
    let parse = |raw: &Option<String>| {
        raw.as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .unwrap_or(Value::Null)
    };
    json!({
        "id": e.id,
        "at": time(e.at),
        "actor_id": e.actor_user_id,
        "token_id": e.actor_token_id,
        "via": e.via,
        "action": e.action,
        "target_type": e.target_type,
        "target_id": e.target_id,
        "org_id": e.org_id,
        "before": parse(&e.before_json),
        "after": parse(&e.after_json),
        "ip": e.ip,
    })
}

/// `GET /audit?org_id=&actor_id=&action=&target_type=&target_id=&from=&to=`.
#[get("/audit")]
pub async fn list(me: ApiUser, query: web::Query<AuditQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let search = query.search.parse(&me.access)?;
    let access = me.access.clone();
    let (items, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            audit::search(conn, &access, &search, offset, i64::from(per_page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "items": items.iter().map(entry_json).collect::<Vec<_>>(),
        "page": page,
        "per_page": per_page,
        "total": total,
    })))
}
