//! `/api/v1/grants` and `/api/v1/check`.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::json::time;
use super::list::{ListBody, PageQuery, page_of};
use super::orgs::require_inside;
use super::{ApiError, ApiUser};
use crate::authz::{Access, Permission};
use crate::domain::grant::{self, Grant, GrantRequest, GrantView, Holder, Scope};
use crate::domain::{access as access_domain, role};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(revoke)
        .service(check);
}

#[derive(Serialize, Clone)]
pub struct GrantJson {
    id: i64,
    role_id: i64,
    role: String,
    user_id: Option<i64>,
    group_id: Option<i64>,
    org_id: Option<i64>,
    project_id: Option<i64>,
    descendants: bool,
    expires_at: Option<String>,
    granted_by: Option<i64>,
    created_at: String,
}

fn grant_json(g: &Grant, role: &str) -> GrantJson {
    GrantJson {
        id: g.id,
        role_id: g.role_id,
        role: role.to_string(),
        user_id: g.user_id,
        group_id: g.group_id,
        org_id: g.org_id,
        project_id: g.project_id,
        descendants: g.descendants,
        expires_at: g.expires_at.map(time),
        granted_by: g.granted_by,
        created_at: time(g.created_at),
    }
}

/// A grant is visible to its holder and to whoever has `access.view` where it
/// was made (seeing inside the org).
fn visible(access: &Access, g: &GrantView) -> bool {
    g.grant.user_id == Some(access.user_id)
        || scope_org(access, &g.grant)
            .is_some_and(|o| access.sees_inside(o) && access.can(Permission::AccessView, o))
}

/// The org a grant is decided at: its own, or its project's.
fn scope_org(access: &Access, g: &Grant) -> Option<i64> {
    g.org_id
        .or_else(|| g.project_id.and_then(|p| access.snapshot.project_org(p)))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    org_id: Option<i64>,
    user_id: Option<i64>,
}

/// `GET /grants?org_id=&user_id=`.
#[get("/grants")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    if let Some(org_id) = query.org_id {
        require_inside(&me.access, org_id)?;
        me.access.require(Permission::AccessView, org_id)?;
    }
    let (access, org_id, user_id) = (me.access.clone(), query.org_id, query.user_id);
    let all = me
        .db()
        .read(move |conn| {
            let orgs = org_id.map(|o| vec![o]);
            let rows = grant::list(conn, orgs.as_deref(), user_id)?;
            Ok(rows
                .into_iter()
                .filter(|g| visible(&access, g))
                .collect::<Vec<_>>())
        })
        .await?;
    let items: Vec<GrantJson> = all.iter().map(|g| grant_json(&g.grant, &g.role)).collect();
    Ok(HttpResponse::Ok().json(ListBody {
        total: items.len(),
        items: page_of(&items, page, per_page),
        page,
        per_page,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    role_id: i64,
    user_id: Option<i64>,
    group_id: Option<i64>,
    org_id: Option<i64>,
    project_id: Option<i64>,
    descendants: Option<bool>,
    expires_at: Option<String>,
}

fn parse_expiry(raw: Option<&str>) -> Result<Option<NaiveDateTime>, chrono::ParseError> {
    raw.map(|s| DateTime::parse_from_rfc3339(s).map(|t| t.naive_utc()))
        .transpose()
}

/// `POST /grants`: give a user a role at an org.
#[post("/grants")]
async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let mut errors = FieldErrors::new();
    let holder = match (body.user_id, body.group_id) {
        (Some(u), None) => Some(Holder::User(u)),
        (None, Some(g)) => Some(Holder::Group(g)),
        _ => {
            errors.add("user_id", "Give exactly one of user_id and group_id.");
            None
        }
    };
    let scope = match (body.org_id, body.project_id) {
        (Some(o), None) => Some(Scope::Org(o)),
        (None, Some(p)) => Some(Scope::Project(p)),
        (None, None) => {
            errors.add("org_id", "Give org_id or project_id.");
            None
        }
        (Some(_), Some(_)) => {
            errors.add("org_id", "Give org_id or project_id, not both.");
            None
        }
    };
    let expires_at = parse_expiry(body.expires_at.as_deref()).unwrap_or_else(|_| {
        errors.add(
            "expires_at",
            "Use an RFC 3339 time, e.g. 2026-12-31T23:59:00Z.",
        );
        None
    });
    errors.into_result()?;
    let (Some(holder), Some(scope)) = (holder, scope) else {
        return Err(Error::internal("checked above").into());
    };
    let request = GrantRequest {
        role_id: body.role_id,
        holder,
        scope,
        descendants: body.descendants.unwrap_or(true),
        expires_at,
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let (created, role) = me
        .db()
        .write(move |conn| grant::grant_as(conn, &access, &actor, &request))
        .await?;
    Ok(HttpResponse::Created().json(grant_json(&created, &role.name)))
}

/// `DELETE /grants/{id}`: anyone may drop their own grants; others' need the
/// same rights as granting.
#[delete("/grants/{id}")]
async fn revoke(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (grant, role) = me
        .db()
        .read(move |conn| {
            let g = grant::find(conn, id)?;
            let r = role::find(conn, g.role_id)?;
            Ok((g, r))
        })
        .await?;
    let own = grant.user_id == Some(me.user.id);
    if !own {
        let org_id = scope_org(&me.access, &grant).ok_or(Error::NotFound)?;
        if !(me.access.sees_inside(org_id) && me.access.can(Permission::AccessView, org_id)) {
            return Err(Error::NotFound.into());
        }
        me.access
            .require_may_grant(role.permission_set(), org_id, grant.descendants)?;
    }
    let actor = me.actor();
    me.db()
        .write(move |conn| grant::revoke(conn, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
struct CheckQuery {
    user_id: Option<i64>,
    permission: Option<String>,
    org_id: Option<i64>,
}

/// `GET /check`: explain a decision. Anyone may ask about themselves; asking
/// about others needs `access.view` at the target.
#[get("/check")]
async fn check(me: ApiUser, query: web::Query<CheckQuery>) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let perm = match query.permission.as_deref().map(str::parse::<Permission>) {
        Some(Ok(p)) => Some(p),
        Some(Err(_)) => {
            errors.add("permission", "Unknown permission.");
            None
        }
        None => {
            errors.add("permission", "permission is required.");
            None
        }
    };
    if query.org_id.is_none() {
        errors.add("org_id", "org_id is required.");
    }
    errors.into_result()?;
    let (perm, org_id) = (
        perm.unwrap_or(Permission::OrgView),
        query.org_id.unwrap_or_default(),
    );
    let user_id = query.user_id.unwrap_or(me.user.id);
    me.access.require_visible(org_id)?;
    if user_id != me.user.id {
        me.access.require(Permission::AccessView, org_id)?;
        // Asking about someone unknown answers as for anything unknown.
        let exists = me
            .db()
            .read(move |conn| match crate::domain::user::find(conn, user_id) {
                Ok(_) => Ok(true),
                Err(Error::NotFound) => Ok(false),
                Err(e) => Err(e),
            })
            .await?;
        if !exists {
            return Err(Error::NotFound.into());
        }
    }
    let decision = me.access.snapshot.explain(user_id, perm, org_id);
    let d = decision.clone();
    let (reason, via) = me
        .db()
        .read(move |conn| {
            let reason = access_domain::describe(conn, &d, perm)?;
            let mut via = Vec::new();
            for v in &d.via {
                let role = role::find(conn, v.role_id)?;
                let org = crate::domain::org::find(conn, v.org_id)?;
                via.push(json!({
                    "grant_id": v.grant_id,
                    "role": role.name,
                    "scope": {"org_id": v.org_id, "org_name": org.name, "descendants": v.descendants},
                    "group": v.group_id,
                }));
            }
            Ok((reason, via))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "allowed": decision.allowed,
        "reason": reason,
        "decision": decision.reason,
        "via": via,
    })))
}
