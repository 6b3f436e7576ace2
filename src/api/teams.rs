//! `/api/v1/teams`: teams and their members.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};

use super::json::{OptionalJson, time};
use super::list::{ListBody, PageQuery, SearchPageQuery};
use super::{ApiError, ApiUser};
use crate::authz::{Access, Permission};
use crate::domain::team::{self, Team, TeamDraft};
use crate::domain::validate::Contains;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(show)
        .service(update)
        .service(remove)
        .service(list_members)
        .service(put_member)
        .service(remove_member);
}

/// A team as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Team)]
struct TeamJson {
    id: i64,
    org_id: i64,
    name: String,
    description: String,
    version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// On `GET /teams/{id}` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<team::Member>>,
}

/// The members after a change.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = TeamMembers)]
struct MembersJson {
    members: Vec<team::Member>,
}

fn team_json(g: &Team) -> TeamJson {
    TeamJson {
        id: g.id,
        org_id: g.org_id,
        name: g.name.clone(),
        description: g.description.clone(),
        version: g.version,
        created_at: time(g.created_at),
        updated_at: time(g.updated_at),
        members: None,
    }
}

/// `Ok` when the person may do `perm` on the team; 404 when they may not even see
/// it (exactly as if it did not exist), else 403.
pub fn require_team(access: &Access, t: &Team, perm: Permission) -> Result<(), Error> {
    if !access.can(Permission::TeamView, t.org_id) {
        Err(Error::NotFound)
    } else if access.can(perm, t.org_id) {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "You do not have the permission {perm} for this team."
        )))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// The team's org.
    org_id: Option<i64>,
    /// Name contains.
    q: Option<String>,
}

/// `GET /teams?org_id=&q=`: the teams the caller may see (`team.view` at
/// their org), at exactly `org_id` when given, whose name contains `q` as
/// typed (case-insensitive); by name, paged in SQL.
#[utoipa::path(
    operation_id = "listTeams",
    summary = "Teams visible to you (team.view)",
    params(PageQuery),
    responses((status = 200, description = "A page of teams", body = ListBody<TeamJson>)),
)]
#[get("/teams")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let access = me.access.clone();
    let org_id = query.org_id;
    let q = Contains::as_typed(query.q.as_deref().unwrap_or_default());
    if let Some(o) = org_id {
        access.require_visible(o)?;
    }
    let within = org_id.map_or(team::Within::Anywhere, team::Within::At);
    let (teams, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            team::search_visible(conn, &access, &q, within, offset, i64::from(per_page))
        })
        .await?;
    let items: Vec<TeamJson> = teams.iter().map(team_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TeamCreate)]
struct CreateBody {
    /// Required: the team's org.
    org_id: Option<i64>,
    #[serde(flatten)]
    draft: TeamDraft,
}

#[utoipa::path(
    operation_id = "createTeam",
    summary = "Create a team (team.manage at the org)",
    responses((status = 201, description = "The team", body = TeamJson)),
)]
#[post("/teams")]
async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let org_id = body
        .org_id
        .ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    me.access.require(Permission::TeamManage, org_id)?;
    let values = body.draft.validate()?;
    let actor = me.actor();
    let g = me
        .db()
        .write(move |conn| team::create(conn, &actor, org_id, &values))
        .await?;
    Ok(HttpResponse::Created().json(team_json(&g)))
}

#[utoipa::path(
    operation_id = "getTeam",
    summary = "One team with its members",
    responses((status = 200, description = "The team", body = TeamJson)),
)]
#[get("/teams/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let (g, members) = me
        .db()
        .read(move |conn| {
            let g = team::find_visible(conn, &access, id)?;
            let members = team::members(conn, id)?;
            Ok((g, members))
        })
        .await?;
    let mut body = team_json(&g);
    body.members = Some(members);
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = TeamPatch)]
struct PatchBody {
    name: Option<String>,
    description: Option<String>,
    version: Option<i64>,
}

#[utoipa::path(
    operation_id = "updateTeam",
    summary = "Rename or describe (team.manage)",
    responses((status = 200, description = "The team", body = TeamJson)),
)]
#[patch("/teams/{id}")]
async fn update(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let body = body.into_inner();
    let g = me
        .db()
        .write(move |conn| {
            let g = team::find_visible(conn, &access, id)?;
            require_team(&access, &g, Permission::TeamManage)?;
            let draft = TeamDraft {
                name: body.name.unwrap_or(g.name),
                description: body.description.unwrap_or(g.description),
            };
            team::update(conn, &actor, id, &draft.validate()?, body.version)
        })
        .await?;
    Ok(HttpResponse::Ok().json(team_json(&g)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct VersionQuery {
    /// Refuse with 409 if it changed since this version.
    version: Option<i64>,
}

#[utoipa::path(
    operation_id = "deleteTeam",
    summary = "Delete with its memberships (team.manage)",
    responses((status = 204, description = "Deleted")),
)]
#[delete("/teams/{id}")]
async fn remove(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let version = query.version;
    me.db()
        .write(move |conn| {
            let g = team::find_visible(conn, &access, id)?;
            require_team(&access, &g, Permission::TeamManage)?;
            team::delete(conn, &actor, id, version)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /teams/{id}/members?q=&page=&per_page=`: leads first then by name,
/// paged in SQL (the team page's list).
#[utoipa::path(
    operation_id = "listTeamMembers",
    summary = "The members you may see, leads first then by name, paged in SQL",
    params(PageQuery),
    responses((status = 200, description = "A page of members", body = ListBody<team::Member>)),
)]
#[get("/teams/{id}/members")]
async fn list_members(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<SearchPageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page, q) = query.parse()?;
    let (id, access) = (id.into_inner(), me.access.clone());
    let (items, total) = me
        .db()
        .read(move |conn| {
            team::find_visible(conn, &access, id)?;
            let offset = super::list::offset(page, per_page);
            team::members_page(conn, id, &q, offset, i64::from(per_page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
}

/// The PUT body; an empty body means the defaults. A misspelt field is
/// refused, not read as `false`.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TeamMemberPut)]
struct MemberBody {
    #[serde(default)]
    lead: bool,
}

#[utoipa::path(
    operation_id = "putTeamMember",
    summary = "Add a member or set their lead flag",
    request_body(content = MemberBody, description = "May be left out: `lead` false"),
    responses((status = 200, description = "The members", body = MembersJson)),
)]
#[put("/teams/{id}/members/{user_id}")]
async fn put_member(
    me: ApiUser,
    path: web::Path<(i64, i64)>,
    body: OptionalJson<MemberBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let lead = body.into_inner().lead;
    let (access, actor) = (me.access.clone(), me.actor());
    let members = me
        .db()
        .write(move |conn| {
            let g = team::find_visible(conn, &access, id)?;
            require_team(&access, &g, Permission::TeamManage)?;
            // Adding someone one may not see answers as if they did not exist.
            crate::domain::user::find_visible(conn, &access, user_id)?;
            team::put_member(conn, &actor, id, user_id, lead)?;
            team::members(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(MembersJson { members }))
}

#[utoipa::path(
    operation_id = "deleteTeamMember",
    summary = "Remove a member",
    responses((status = 204, description = "Removed")),
)]
#[delete("/teams/{id}/members/{user_id}")]
async fn remove_member(me: ApiUser, path: web::Path<(i64, i64)>) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| {
            let g = team::find_visible(conn, &access, id)?;
            require_team(&access, &g, Permission::TeamManage)?;
            team::remove_member(conn, &actor, id, user_id)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
