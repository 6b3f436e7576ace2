//! `/api/v1/teams`: teams and their members.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;

use super::json::{OptionalJson, VersionQuery};
use super::list::{ListBody, PageQuery, SearchPageQuery};
use super::membership::{self, ListQuery, Patch};
use super::{ApiError, ApiUser};
use crate::authz::Access;
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::{TeamId, UserId};
use crate::domain::team::{self, Member, Team, TeamDraft};
use crate::error::Error;

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

super::membership::kind_json! {
    /// A team as the API shows it.
    TeamJson as Team, "teams", team_json(Team),
    MembersJson as TeamMembers of Member,
    MemberBody as TeamMemberPut with lead
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
    membership::list::<Team, _>(&me, &query, team_json).await
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
    let CreateBody { org_id, draft } = body.into_inner();
    let typed = (draft.name, draft.description);
    membership::create::<Team, _>(&me, org_id, typed, team_json).await
}

#[utoipa::path(
    operation_id = "getTeam",
    summary = "One team with its members",
    responses((status = 200, description = "The team", body = TeamJson)),
)]
#[get("/teams/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    membership::show(&me, id.into_inner(), listed, team_json).await
}

/// Everyone in the team: a team shows them all to whoever sees it.
fn listed(conn: &mut Conn, _: &Access, id: i64) -> Result<Vec<Member>, Error> {
    team::members(conn, id)
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
    let PatchBody {
        name,
        description,
        version,
    } = body.into_inner();
    let patch = Patch {
        name,
        description,
        version,
    };
    membership::update::<Team, _>(&me, id.into_inner(), patch, team_json).await
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
        .write(move |conn| team::delete_as(conn, &access, &actor, id, version))
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
    membership::members::<Team, Member>(&me, id.into_inner(), &query).await
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
    let lead = body.into_inner().lead;
    let members = membership::put_member(&me, path.into_inner(), lead, put_as).await?;
    Ok(HttpResponse::Ok().json(MembersJson { members }))
}

/// Adds a member or sets their lead flag (`team.manage`, and the member
/// someone the caller may see); the members after.
fn put_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    user: UserId,
    lead: bool,
) -> Result<Vec<Member>, Error> {
    let t = team::find_visible(conn, access, id)?;
    team::put_member_as(conn, access, actor, &t, user, lead)?;
    listed(conn, access, id)
}

#[utoipa::path(
    operation_id = "deleteTeamMember",
    summary = "Remove a member",
    responses((status = 204, description = "Removed")),
)]
#[delete("/teams/{id}/members/{user_id}")]
async fn remove_member(me: ApiUser, path: web::Path<(i64, i64)>) -> Result<HttpResponse, ApiError> {
    let take_out = |conn: &mut Conn, access: &Access, actor: &Actor, id: i64, user: UserId| {
        team::remove_member_as(conn, access, actor, TeamId(id), user)
    };
    membership::remove_member(&me, path.into_inner(), take_out).await
}
