//! `/api/v1/grants` and `/api/v1/check`.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::json::time;
use super::list::{ListBody, PageQuery};
use super::orgs::require_inside;
use super::{ApiError, ApiUser};
use crate::authz::{Access, Permission};
use crate::domain::grant::{self, Grant, GrantFilter, GrantRequest, GrantView, Holder, Scope};
use crate::domain::grant_invite::{self, Outcome};
use crate::domain::ids::{OrgId, ProjectId, UserId};
use crate::domain::validate::Email;
use crate::domain::{access as access_domain, group, project, role, user};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(revoke)
        .service(check);
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
#[schema(as = Grant)]
pub struct GrantJson {
    id: i64,
    role_id: i64,
    role: String,
    user_id: Option<i64>,
    group_id: Option<i64>,
    org_id: Option<i64>,
    project_id: Option<i64>,
    descendants: bool,
    #[schema(format = DateTime)]
    expires_at: Option<String>,
    granted_by: Option<i64>,
    #[schema(format = DateTime)]
    created_at: String,
}

/// The answer to a grant by email that may not say whom it reached.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = GrantAccepted)]
struct AcceptedJson {
    /// Always `accepted`.
    status: &'static str,
    role_id: i64,
    message: String,
}

pub(crate) fn grant_json(g: &Grant, role: &str) -> GrantJson {
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
        || g.grant
            .decided_at(&access.snapshot)
            .is_some_and(|o| access.sees_inside(o) && access.can(Permission::AccessView, o))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// Made at this org.
    org_id: Option<i64>,
    /// Made at this project.
    project_id: Option<i64>,
    /// Held by this user directly.
    user_id: Option<i64>,
    /// Held by this group.
    group_id: Option<i64>,
}

/// One page of the grants `query` keeps that `access` may see; a user,
/// project or group filter naming one they may not see is not found.
fn page_of_grants(
    conn: &mut crate::db::Conn,
    access: &Access,
    query: &ListQuery,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GrantView>, i64), Error> {
    if let Some(id) = query.project_id {
        project::find_visible(conn, access, id)?;
    }
    if let Some(id) = query.user_id {
        user::find_visible(conn, access, id)?;
    }
    if let Some(id) = query.group_id {
        group::find_visible(conn, access, id)?;
    }
    let orgs = query.org_id.map(|o| [o]);
    let filter = GrantFilter {
        org_ids: orgs.as_ref().map(|o| &o[..]),
        project_id: query.project_id,
        user_id: query.user_id,
        group_id: query.group_id,
        ..GrantFilter::default()
    };
    grant::visible_page(conn, access, &filter, offset, limit)
}

/// `GET /grants?org_id=&project_id=&user_id=&group_id=`. A filter naming
/// something the caller may not see answers 404, as if it did not exist.
#[utoipa::path(
    operation_id = "listGrants",
    summary = "Grants you may see (made where you hold access.view, or your own)",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of grants", body = ListBody<GrantJson>),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
#[get("/grants")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    if let Some(org_id) = query.org_id {
        require_inside(&me.access, org_id)?;
        me.access.require(Permission::AccessView, org_id)?;
    }
    let (access, filter) = (me.access.clone(), query.into_inner());
    let (found, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            page_of_grants(conn, &access, &filter, offset, i64::from(per_page))
        })
        .await?;
    // The resolver's final word on each row the SQL scope let through.
    let items: Vec<GrantJson> = found
        .iter()
        .filter(|g| visible(&me.access, g))
        .map(|g| grant_json(&g.grant, &g.role))
        .collect();
    Ok(HttpResponse::Ok().json(ListBody {
        items,
        page,
        per_page,
        total: usize::try_from(total).unwrap_or(0),
    }))
}

/// Exactly one of `user_id`, `group_id` and `user_email`; `org_id` or
/// `project_id`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GrantCreate)]
struct CreateBody {
    role_id: i64,
    user_id: Option<i64>,
    group_id: Option<i64>,
    /// A person by exact email, also one the caller may not see
    /// (`grant_invite::grant_by_email_as`).
    user_email: Option<String>,
    org_id: Option<i64>,
    project_id: Option<i64>,
    /// Default true.
    descendants: Option<bool>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    expires_at: Option<String>,
}

fn parse_expiry(raw: Option<&str>) -> Result<Option<NaiveDateTime>, chrono::ParseError> {
    raw.map(|s| DateTime::parse_from_rfc3339(s).map(|t| t.naive_utc()))
        .transpose()
}

/// A `POST /grants` body, read: a grant to a user or group, or one to a
/// person by email (whose request carries no holder yet).
enum NewGrant {
    Direct(GrantRequest),
    ByEmail(Email, ByEmail),
}

/// What a grant by email asks for besides the email.
struct ByEmail {
    role_id: i64,
    scope: Scope,
    descendants: bool,
    expires_at: Option<NaiveDateTime>,
}

impl TryFrom<CreateBody> for NewGrant {
    type Error = Error;

    /// Exactly one holder, exactly one scope, a readable expiry; every
    /// problem named at once.
    fn try_from(body: CreateBody) -> Result<Self, Error> {
        let mut errors = FieldErrors::new();
        let mut email = None;
        let holder = match (body.user_id, body.group_id, body.user_email.as_deref()) {
            (Some(u), None, None) => Some(Holder::User(u)),
            (None, Some(g), None) => Some(Holder::Group(g)),
            (None, None, Some(raw)) => {
                match Email::parse(raw) {
                    Ok(e) => email = Some(e),
                    Err(message) => errors.add("user_email", &message),
                }
                None
            }
            _ => {
                errors.add(
                    "user_id",
                    "Give exactly one of user_id, group_id and user_email.",
                );
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
        let (role_id, descendants) = (body.role_id, body.descendants.unwrap_or(true));
        match (holder, email, scope) {
            (Some(holder), None, Some(scope)) => Ok(NewGrant::Direct(GrantRequest {
                role_id,
                holder,
                scope,
                descendants,
                expires_at,
            })),
            (None, Some(email), Some(scope)) => Ok(NewGrant::ByEmail(
                email,
                ByEmail {
                    role_id,
                    scope,
                    descendants,
                    expires_at,
                },
            )),
            _ => Err(Error::internal("checked above")),
        }
    }
}

/// `POST /grants`: give a user a role at an org.
#[utoipa::path(
    operation_id = "createGrant",
    summary = "Grant a role at an org or project (access.manage there and every permission of the role)",
    responses(
        (status = 201, description = "The grant", body = GrantJson),
        (status = 202, description = "With user_email naming someone you may not see, or no one: \
            the same answer either way (an invitation is stored; nothing is granted until the \
            account using the email accepts it)", body = AcceptedJson),
    ),
)]
#[post("/grants")]
async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let request = match NewGrant::try_from(body.into_inner())? {
        NewGrant::Direct(request) => request,
        NewGrant::ByEmail(email, r) => {
            return create_by_email(&me, r.role_id, email, r.scope, r.descendants, r.expires_at)
                .await;
        }
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let (created, role) = me
        .db()
        .write(move |conn| grant::grant_as(conn, &access, &actor, &request))
        .await?;
    Ok(HttpResponse::Created().json(grant_json(&created, &role.name)))
}

/// `POST /grants` with `user_email`: 201 with the grant when the email is
/// someone the caller sees; otherwise 202 with the same body whether an
/// account uses the email or not (nothing tells which).
async fn create_by_email(
    me: &ApiUser,
    role_id: i64,
    email: Email,
    scope: Scope,
    descendants: bool,
    expires_at: Option<NaiveDateTime>,
) -> Result<HttpResponse, ApiError> {
    let request = grant_invite::EmailGrant {
        email,
        role_id,
        scope,
        descendants,
        expires_at,
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| grant_invite::grant_by_email_as(conn, &access, &actor, &request))
        .await?;
    Ok(match outcome {
        Outcome::Visible(_, made, role) => {
            HttpResponse::Created().json(grant_json(&made, &role.name))
        }
        Outcome::Sent(role) => HttpResponse::Accepted().json(AcceptedJson {
            status: "accepted",
            role_id: role.id,
            message: grant_invite::sent_message(&role),
        }),
    })
}

/// `DELETE /grants/{id}`: anyone may drop their own grants; others' need the
/// same rights as granting.
#[utoipa::path(
    operation_id = "revokeGrant",
    summary = "Revoke (your own always; others' with the rights to grant them)",
    responses((status = 204, description = "Revoked")),
)]
#[delete("/grants/{id}")]
async fn revoke(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| grant::revoke_as(conn, &access, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CheckQuery {
    /// Whose permission (default: yourself; others need access.view at the target).
    user_id: Option<i64>,
    /// Required: a permission, e.g. `org.view`.
    permission: Option<String>,
    /// Ask about this org (give exactly one of org_id, project_id, target_user_id).
    org_id: Option<i64>,
    /// Ask about this project: grants at its org or at the project itself.
    project_id: Option<i64>,
    /// Ask about this user: decided at their home org.
    target_user_id: Option<i64>,
}

/// The answer of `/check`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Decision)]
struct CheckJson {
    allowed: bool,
    reason: String,
    /// Why, as the resolver decided (`{"kind": …}`); an org you may not see is null.
    decision: serde_json::Value,
    /// The grants that allow it; one you may not know of without its ids and names.
    via: Vec<ViaJson>,
}

/// A grant behind a `/check` answer.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = DecisionVia)]
struct ViaJson {
    grant_id: Option<i64>,
    role: String,
    /// `{org_id, org_name, descendants}`, or `{project_id, project_name, descendants}`.
    scope: serde_json::Value,
    /// The group it reaches through, if you may see it.
    group: Option<i64>,
}

/// What a `/check` question is about.
enum CheckTarget {
    Org(i64),
    Project(i64),
    /// A user: decided at their home org.
    User(i64),
}

/// The permission and the one target a `/check` query names, or every
/// problem with them at once.
fn question(query: &CheckQuery) -> Result<(Permission, CheckTarget), Error> {
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
    let target = match (query.org_id, query.project_id, query.target_user_id) {
        (Some(id), None, None) => Some(CheckTarget::Org(id)),
        (None, Some(id), None) => Some(CheckTarget::Project(id)),
        (None, None, Some(id)) => Some(CheckTarget::User(id)),
        _ => {
            errors.add(
                "org_id",
                "Give exactly one of org_id, project_id or target_user_id.",
            );
            None
        }
    };
    errors.into_result()?;
    match (perm, target) {
        (Some(perm), Some(target)) => Ok((perm, target)),
        _ => Err(Error::BadRequest(
            "permission and target are required".into(),
        )),
    }
}

/// `GET /check`: explain a decision about an org, a project or a user. Anyone
/// may ask about themselves; asking about others needs `access.view` at the
/// target. A user, org or project the caller may not see answers 404.
#[utoipa::path(
    operation_id = "check",
    summary = "Explain a decision: allowed or denied, and why",
    responses(
        (status = 200, description = "The decision", body = CheckJson),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
#[get("/check")]
async fn check(me: ApiUser, query: web::Query<CheckQuery>) -> Result<HttpResponse, ApiError> {
    let (perm, target) = question(&query)?;
    let asker = me.user.id;
    let user_id = query.user_id.unwrap_or(asker);
    let access = me.access.clone();
    let answer = me
        .db()
        .read(move |conn| {
            // Where the question is decided, and the project if it is one.
            let (org_id, project) = match target {
                CheckTarget::Org(id) => {
                    access.require_visible(id)?;
                    (id, None)
                }
                CheckTarget::Project(id) => {
                    let p = project::find_visible(conn, &access, id)?;
                    (p.org_id, Some(p))
                }
                CheckTarget::User(id) => (user::find_visible(conn, &access, id)?.org_id, None),
            };
            if user_id != asker {
                user::find_visible(conn, &access, user_id)?;
                match &project {
                    Some(p) => access.require_project(Permission::AccessView, p.id)?,
                    None => access.require(Permission::AccessView, org_id)?,
                }
            }
            explain_answer(conn, &access, user_id, perm, org_id, project.as_ref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The `/check` answer: the org decision, or for a project the grants made at
/// the project when the org's do not allow. Org names the caller may not see
/// are left out.
fn explain_answer(
    conn: &mut crate::db::Conn,
    access: &Access,
    user_id: i64,
    perm: Permission,
    org_id: i64,
    project: Option<&project::Project>,
) -> crate::error::Result<CheckJson> {
    let decision = access
        .snapshot
        .explain(UserId(user_id), perm, OrgId(org_id));
    let by_project = match project {
        Some(p)
            if !decision.allowed
                && access
                    .snapshot
                    .check_project(UserId(user_id), perm, ProjectId(p.id)) =>
        {
            let now = crate::db::now();
            Some((
                p,
                grant::at_project_for(conn, UserId(user_id), ProjectId(p.id), perm, now)?,
            ))
        }
        _ => None,
    };
    if let Some((p, grants)) = by_project {
        let via: Vec<_> = grants
            .iter()
            .map(|(g, role)| ViaJson {
                grant_id: Some(g.id),
                role: role.name.clone(),
                scope: json!({"project_id": p.id, "project_name": p.name, "descendants": false}),
                group: g.group_id,
            })
            .collect();
        let names: Vec<String> = grants
            .iter()
            .map(|(g, role)| format!("{} on project {} (grant {})", role.name, p.name, g.id))
            .collect();
        return Ok(CheckJson {
            allowed: true,
            reason: format!("Allowed: {perm} comes from {}.", names.join("; ")),
            decision: json!(crate::authz::Reason::Granted),
            via,
        });
    }
    let reason = access_domain::describe(conn, access, &decision, perm)?;
    // Grants the asker may not know of (made above their scope, to a group
    // they may not see) are shown as there, without ids or names.
    let mut via = Vec::new();
    for v in &decision.via {
        let role = role::find(conn, v.role_id)?;
        let known = access.can(Permission::OrgView, v.org_id);
        let org_name = if known {
            Some(crate::domain::org::find(conn, v.org_id)?.name)
        } else {
            None
        };
        let group = match v.group_id {
            Some(id) => group::known_to(conn, access, id)?.map(|g| g.id),
            None => None,
        };
        via.push(ViaJson {
            grant_id: known.then_some(v.grant_id),
            role: role.name,
            scope: json!({"org_id": known.then_some(v.org_id), "org_name": org_name, "descendants": v.descendants}),
            group,
        });
    }
    let mut decision_json = serde_json::to_value(&decision.reason).map_err(Error::internal)?;
    if let Some(org) = decision_json
        .get("org_id")
        .and_then(serde_json::Value::as_i64)
        && !access.can(Permission::OrgView, org)
    {
        decision_json["org_id"] = serde_json::Value::Null;
    }
    Ok(CheckJson {
        allowed: decision.allowed,
        reason,
        decision: decision_json,
        via,
    })
}
