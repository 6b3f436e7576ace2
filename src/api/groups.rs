//! `/api/v1/groups`: groups and their members.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::Deserialize;

use super::json::OptionalJson;
use super::list::{ListBody, PageQuery, SearchPageQuery};
use super::membership::{self, ListQuery, Patch};
use super::{ApiError, ApiUser};
use crate::authz::Access;
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::group::{self, Group, GroupDraft, Member};
use crate::domain::ids::{GroupId, UserId};
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
    /// A group as the API shows it.
    GroupJson as Group, "groups", group_json(Group),
    MembersJson as GroupMembers of Member,
    MemberBody as GroupMemberPut with owner
}

/// `GET /groups?org_id=&q=`: the groups the caller may see (`group.view` at
/// their org), at exactly `org_id` when given, whose name contains `q` as
/// typed (case-insensitive); by name, paged in SQL.
#[utoipa::path(
    operation_id = "listGroups",
    summary = "Groups visible to you (group.view)",
    params(PageQuery),
    responses((status = 200, description = "A page of groups", body = ListBody<GroupJson>)),
)]
#[get("/groups")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    membership::list::<Group, _>(&me, &query, group_json).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = GroupCreate)]
struct CreateBody {
    /// Required: the group's org.
    org_id: Option<i64>,
    #[serde(flatten)]
    draft: GroupDraft,
}

#[utoipa::path(
    operation_id = "createGroup",
    summary = "Create a group (group.manage at the org)",
    responses((status = 201, description = "The group", body = GroupJson)),
)]
#[post("/groups")]
async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let CreateBody { org_id, draft } = body.into_inner();
    let typed = (draft.name, draft.description);
    membership::create::<Group, _>(&me, org_id, typed, group_json).await
}

#[utoipa::path(
    operation_id = "getGroup",
    summary = "One group with its members",
    responses((status = 200, description = "The group", body = GroupJson)),
)]
#[get("/groups/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    membership::show(&me, id.into_inner(), listed, group_json).await
}

/// The members the caller may see (`Access::sees_user`).
fn listed(conn: &mut Conn, access: &Access, id: i64) -> Result<Vec<Member>, Error> {
    Ok(group::visible_members(conn, access, id)?.0)
}

/// Unknown fields are refused rather than ignored: a group does not move
/// between orgs, and a body saying `org_id` should not look as if it had.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GroupPatch)]
struct PatchBody {
    name: Option<String>,
    description: Option<String>,
    version: Option<i64>,
}

#[utoipa::path(
    operation_id = "updateGroup",
    summary = "Rename or describe (group.manage)",
    responses((status = 200, description = "The group", body = GroupJson)),
)]
#[patch("/groups/{id}")]
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
    membership::update::<Group, _>(&me, id.into_inner(), patch, group_json).await
}

#[utoipa::path(
    operation_id = "deleteGroup",
    summary = "Delete with its memberships (group.manage)",
    responses((status = 204, description = "Deleted")),
)]
#[delete("/groups/{id}")]
async fn remove(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| group::delete_as(conn, &access, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /groups/{id}/members?q=&page=&per_page=`: the members the caller may
/// see, owners first then by name, paged in SQL (the group page's list).
#[utoipa::path(
    operation_id = "listGroupMembers",
    summary = "The members you may see, owners first then by name, paged in SQL",
    params(PageQuery),
    responses((status = 200, description = "A page of members", body = ListBody<group::Member>)),
)]
#[get("/groups/{id}/members")]
async fn list_members(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<SearchPageQuery>,
) -> Result<HttpResponse, ApiError> {
    membership::members::<Group, Member>(&me, id.into_inner(), &query).await
}

#[utoipa::path(
    operation_id = "putGroupMember",
    summary = "Add a member or set their owner flag",
    request_body(content = MemberBody, description = "May be left out: `owner` false"),
    responses((status = 200, description = "The members", body = MembersJson)),
)]
#[put("/groups/{id}/members/{user_id}")]
async fn put_member(
    me: ApiUser,
    path: web::Path<(i64, i64)>,
    body: OptionalJson<MemberBody>,
) -> Result<HttpResponse, ApiError> {
    let owner = body.into_inner().owner;
    let members = membership::put_member(&me, path.into_inner(), owner, put_as).await?;
    Ok(HttpResponse::Ok().json(MembersJson { members }))
}

/// Adds a member or sets their owner flag (`group::put_member_as`); the
/// members the caller may see after.
fn put_as(
    conn: &mut Conn,
    access: &Access,
    actor: &Actor,
    id: i64,
    user: UserId,
    owner: bool,
) -> Result<Vec<Member>, Error> {
    let g = group::find_visible(conn, access, id)?;
    group::put_member_as(conn, access, actor, &g, user, owner)?;
    listed(conn, access, id)
}

#[utoipa::path(
    operation_id = "deleteGroupMember",
    summary = "Remove a member",
    responses((status = 204, description = "Removed")),
)]
#[delete("/groups/{id}/members/{user_id}")]
async fn remove_member(me: ApiUser, path: web::Path<(i64, i64)>) -> Result<HttpResponse, ApiError> {
    let take_out = |conn: &mut Conn, access: &Access, actor: &Actor, id: i64, user: UserId| {
        group::remove_member_as(conn, access, actor, GroupId(id), user)
    };
    membership::remove_member(&me, path.into_inner(), take_out).await
}
