//! `/api/v1/audit`: the audit log of the orgs whose log you may read.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json::time;
use super::list::{ListBody, PageQuery};
use super::{ApiError, ApiUser};
use crate::domain::audit::{self, Entry, SearchInput};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    #[serde(flatten)]
    #[param(ignore)]
    search: SearchInput,
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
}

/// An audit entry as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AuditEntry)]
pub struct EntryJson {
    id: i64,
    #[schema(format = DateTime)]
    at: String,
    actor_id: Option<i64>,
    token_id: Option<i64>,
    /// `session`, `token`, `cli`, `setup`, `system`, `anonymous` or `link`.
    via: String,
    action: String,
    target_type: String,
    target_id: Option<i64>,
    org_id: Option<i64>,
    /// The record before and after, as JSON; null where there is none.
    before: Value,
    after: Value,
    ip: Option<String>,
}

pub fn entry_json(e: &Entry) -> EntryJson {
    let parse = |raw: &Option<String>| {
        raw.as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok())
            .unwrap_or(Value::Null)
    };
    EntryJson {
        id: e.id,
        at: time(e.at),
        actor_id: e.actor_user_id,
        token_id: e.actor_token_id,
        via: e.via.to_string(),
        action: e.action.clone(),
        target_type: e.target_type.to_string(),
        target_id: e.target_id,
        org_id: e.org_id,
        before: parse(&e.before_json),
        after: parse(&e.after_json),
        ip: e.ip.clone(),
    }
}

/// `GET /audit?org_id=&actor_id=&action=&target_type=&target_id=&from=&to=`.
#[utoipa::path(
    operation_id = "listAudit",
    summary = "Audit entries of the orgs whose log you may read (audit.view), newest first; append-only",
    params(
        PageQuery,
        ("org_id" = Option<i64>, Query, description = "The org and its subtree (default: your highest)"),
        ("actor_id" = Option<i64>, Query, description = "Who did it"),
        ("action" = Option<String>, Query, description = "An action, or a prefix ending in a dot"),
        ("target_type" = Option<String>, Query, description = "user, org, role, grant, grant_invitation, project, timesheet, group, team or api_token"),
        ("target_id" = Option<i64>, Query, description = "With target_type"),
        ("from" = Option<String>, Query, format = Date, description = "First day"),
        ("to" = Option<String>, Query, format = Date, description = "Last day"),
    ),
    responses(
        (status = 200, description = "A page of entries", body = ListBody<EntryJson>),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
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
    Ok(HttpResponse::Ok().json(ListBody::of_page(
        items.iter().map(entry_json).collect(),
        page,
        per_page,
        total,
    )))
}
