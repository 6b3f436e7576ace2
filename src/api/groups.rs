//! `/api/v1/groups`: groups and their members.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use serde::{Deserialize, Serialize};

use super::json::{OptionalJson, time};
use super::list::{ListBody, PageQuery, SearchPageQuery};
use super::{ApiError, ApiUser};
use crate::authz::Permission;
use crate::domain::group::{self, Group, GroupDraft};
use crate::domain::validate::Contains;
use crate::error::FieldErrors;

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

/// A group as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Group)]
struct GroupJson {
    id: i64,
    org_id: i64,
    name: String,
    description: String,
    version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// On `GET /groups/{id}` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<group::Member>>,
}

/// The members after a change.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = GroupMembers)]
struct MembersJson {
    members: Vec<group::Member>,
}

fn group_json(g: &Group) -> GroupJson {
    GroupJson {
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// The group's org.
    org_id: Option<i64>,
    /// Name contains.
    q: Option<String>,
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
    let (page, per_page) = query.page.parse()?;
    let access = me.access.clone();
    let org_id = query.org_id;
    let q = Contains::as_typed(query.q.as_deref().unwrap_or_default());
    if let Some(o) = org_id {
        access.require_visible(o)?;
    }
    let (groups, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            group::search_visible(conn, &access, &q, org_id, offset, i64::from(per_page))
        })
        .await?;
    let items: Vec<GroupJson> = groups.iter().map(group_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
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
    let body = body.into_inner();
    let org_id = body
        .org_id
        .ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    me.access.require(Permission::GroupManage, org_id)?;
    let values = body.draft.validate()?;
    let actor = me.actor();
    let g = me
        .db()
        .write(move |conn| group::create(conn, &actor, org_id, &values))
        .await?;
    Ok(HttpResponse::Created().json(group_json(&g)))
}

#[utoipa::path(
    operation_id = "getGroup",
    summary = "One group with its members",
    responses((status = 200, description = "The group", body = GroupJson)),
)]
#[get("/groups/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let (g, members) = me
        .db()
        .read(move |conn| {
            let g = group::find_visible(conn, &access, id)?;
            // Only members the caller may see (`Access::sees_user`).
            let (members, _) = group::visible_members(conn, &access, id)?;
            Ok((g, members))
        })
        .await?;
    let mut body = group_json(&g);
    body.members = Some(members);
    Ok(HttpResponse::Ok().json(body))
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
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let body = body.into_inner();
    let g = me
        .db()
        .write(move |conn| {
            let g = group::find_visible(conn, &access, id)?;
            access.require(Permission::GroupManage, g.org_id)?;
            let draft = GroupDraft {
                name: body.name.unwrap_or(g.name),
                description: body.description.unwrap_or(g.description),
            };
            group::update(conn, &actor, id, &draft.validate()?, body.version)
        })
        .await?;
    Ok(HttpResponse::Ok().json(group_json(&g)))
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
    let (page, per_page, q) = query.parse()?;
    let (id, access) = (id.into_inner(), me.access.clone());
    let (items, total) = me
        .db()
        .read(move |conn| {
            group::find_visible(conn, &access, id)?;
            let offset = super::list::offset(page, per_page);
            let (rows, total, _) =
                group::visible_members_page(conn, &access, id, &q, offset, i64::from(per_page))?;
            Ok((rows, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
}

/// The PUT body; an empty body means the defaults. A misspelt field is
/// refused, not read as `false`.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GroupMemberPut)]
struct MemberBody {
    #[serde(default)]
    owner: bool,
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
    let (id, user_id) = path.into_inner();
    let owner = body.into_inner().owner;
    let (access, actor) = (me.access.clone(), me.actor());
    let members = me
        .db()
        .write(move |conn| {
            let g = group::find_visible(conn, &access, id)?;
            group::require_manage_members(conn, &access, &g)?;
            // Adding someone one may not see answers as if they did not exist.
            crate::domain::user::find_visible(conn, &access, user_id)?;
            group::put_member_as(conn, &access, &actor, &g, user_id, owner)?;
            Ok(group::visible_members(conn, &access, id)?.0)
        })
        .await?;
    Ok(HttpResponse::Ok().json(MembersJson { members }))
}

#[utoipa::path(
    operation_id = "deleteGroupMember",
    summary = "Remove a member",
    responses((status = 204, description = "Removed")),
)]
#[delete("/groups/{id}/members/{user_id}")]
async fn remove_member(me: ApiUser, path: web::Path<(i64, i64)>) -> Result<HttpResponse, ApiError> {
    let (id, user_id) = path.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| group::remove_member_as(conn, &access, &actor, id, user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
