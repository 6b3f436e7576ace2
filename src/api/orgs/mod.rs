//! `/api/v1/orgs`: the org tree as the caller may see it; its settings in
//! `settings`, its email domains in `domains`.

pub mod domains;
pub mod settings;
pub mod sso;

use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};

use super::json::{VersionQuery, text_or_list, time};
use super::list::{ListBody, PageQuery, page_of};
use super::{ApiError, ApiUser};
use crate::authz::{Access, Permission};
use crate::domain::access::AccessItem;
use crate::domain::org::{self, Org, OrgDraft};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(show)
        .service(update)
        .service(move_org)
        .service(remove)
        .service(settings::get_settings)
        .service(settings::put_settings)
        .service(sso::get_sso)
        .service(sso::put_sso)
        .service(sso::delete_sso)
        .service(domains::list)
        .service(domains::verify)
        .service(access_list);
}

/// An org as the API shows it. Behind a privacy border only its name and place.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Org)]
pub struct OrgJson {
    id: i64,
    /// null for the root, or when the parent is not visible to you.
    parent_id: Option<i64>,
    name: String,
    /// The names you may see from the top down, e.g. `Root / Acme / East`.
    path: String,
    depth: u32,
    privacy_mode: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    restricted: bool,
    #[serde(flatten)]
    details: Details,
}

/// All of an org, or for one seen only by name the fields API.md promises on
/// every org, present and null, so a script reading them finds no hole.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum Details {
    Full(Box<OrgDetails>),
    /// Seen by name and place only (`restricted`: behind a privacy border, or
    /// one's home org without a grant there).
    Withheld {
        #[schema(schema_with = super::openapi::null_only)]
        code: Option<String>,
        #[schema(schema_with = super::openapi::null_only)]
        kind: Option<String>,
        #[schema(schema_with = super::openapi::null_only)]
        status: Option<String>,
        #[schema(schema_with = super::openapi::null_only)]
        version: Option<i64>,
        #[schema(schema_with = super::openapi::null_only)]
        created_at: Option<String>,
        #[schema(schema_with = super::openapi::null_only)]
        updated_at: Option<String>,
    },
}

impl Details {
    fn withheld() -> Details {
        Details::Withheld {
            code: None,
            kind: None,
            status: None,
            version: None,
            created_at: None,
            updated_at: None,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
struct OrgDetails {
    code: String,
    /// `customer`, `manufacturer`, `distributor`, `sales_company`, `region`,
    /// `department`, `site` or `other`.
    kind: String,
    /// `active` or `archived`.
    status: String,
    description: String,
    address_line1: String,
    address_line2: String,
    city: String,
    state: String,
    country: String,
    postal_code: String,
    phone: String,
    website: String,
    email_domains: Vec<String>,
    tags: Vec<String>,
    version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// Builds the JSON of `orgs`, with paths made of the names the caller may see.
pub fn org_json(
    conn: &mut crate::db::Conn,
    access: &Access,
    orgs: &[Org],
) -> Result<Vec<OrgJson>, Error> {
    let tree = access.snapshot.tree();
    let mut names: HashMap<i64, String> = orgs.iter().map(|o| (o.id, o.name.clone())).collect();
    let mut wanted: Vec<i64> = orgs
        .iter()
        .flat_map(|o| tree.path(o.id))
        .filter(|id| !names.contains_key(id) && access.can(Permission::OrgView, *id))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    for o in org::find_many(conn, &wanted)? {
        names.insert(o.id, o.name);
    }
    Ok(orgs
        .iter()
        .map(|o| {
            let path = tree
                .path(o.id)
                .iter()
                .filter(|id| access.can(Permission::OrgView, **id))
                .filter_map(|id| names.get(id).cloned())
                .collect::<Vec<_>>()
                .join(" / ");
            let parent_id = o.parent_id.filter(|p| access.can(Permission::OrgView, *p));
            let inside = access.sees_inside(o.id);
            OrgJson {
                id: o.id,
                parent_id,
                name: o.name.clone(),
                path,
                depth: tree.depth_of(o.id).unwrap_or(0),
                privacy_mode: o.privacy_mode,
                restricted: !inside,
                details: match inside {
                    false => Details::withheld(),
                    true => Details::Full(Box::new(OrgDetails {
                        code: o.code.clone(),
                        kind: o.kind.to_string(),
                        status: o.status.to_string(),
                        description: o.description.clone(),
                        address_line1: o.address_line1.clone(),
                        address_line2: o.address_line2.clone(),
                        city: o.city.clone(),
                        state: o.state.clone(),
                        country: o.country.clone(),
                        postal_code: o.postal_code.clone(),
                        phone: o.phone.clone(),
                        website: o.website.clone(),
                        email_domains: o
                            .email_domain_list()
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                        tags: o.tag_list().iter().map(|s| s.to_string()).collect(),
                        version: o.version,
                        created_at: time(o.created_at),
                        updated_at: time(o.updated_at),
                    })),
                },
            }
        })
        .collect())
}

async fn one(me: &ApiUser, id: i64) -> Result<OrgJson, ApiError> {
    let access = me.access.clone();
    Ok(me
        .db()
        .read(move |conn| {
            let o = org::find(conn, id)?;
            Ok(org_json(conn, &access, &[o])?.remove(0))
        })
        .await?)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// Name or code contains.
    q: Option<String>,
}

/// The orgs of `visible` (path order) whose name or code contains `q`,
/// matched within the caller's scope; `None` when `q` is blank.
fn matching_in_order(
    conn: &mut crate::db::Conn,
    access: &Access,
    visible: &[i64],
    q: &str,
) -> Result<Option<Vec<i64>>, Error> {
    if q.trim().is_empty() {
        return Ok(None);
    }
    let matches: std::collections::HashSet<i64> =
        org::search_visible_ids(conn, access, Permission::OrgView, q)?
            .into_iter()
            .collect();
    Ok(Some(
        visible
            .iter()
            .copied()
            .filter(|id| matches.contains(id))
            .collect(),
    ))
}

/// `GET /orgs`: every org the caller may see, in path order.
#[utoipa::path(
    operation_id = "listOrgs",
    summary = "Orgs visible to you (org.view), flat, in path order",
    params(PageQuery),
    responses((status = 200, description = "A page of orgs", body = ListBody<OrgJson>)),
)]
#[get("/orgs")]
async fn list(me: ApiUser, query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let access = me.access.clone();
    let q = query.q.clone().unwrap_or_default();
    let body = me
        .db()
        .read(move |conn| {
            // The person's visible orgs in path order, shared per snapshot:
            // the page is cut from it without copying it (100k ids at the root).
            let visible = access
                .snapshot
                .visible_orgs_shared(access.user_id, Permission::OrgView);
            let matched = matching_in_order(conn, &access, &visible, &q)?;
            let ids: &[i64] = matched.as_deref().unwrap_or(&visible);
            let shown = page_of(ids, page, per_page);
            let mut orgs = org::find_many(conn, &shown)?;
            orgs.sort_by_key(|o| shown.iter().position(|id| *id == o.id));
            Ok(ListBody {
                items: org_json(conn, &access, &orgs)?,
                page,
                per_page,
                total: ids.len(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = OrgCreate)]
struct CreateBody {
    /// Required: the new org's parent.
    parent_id: Option<i64>,
    #[serde(flatten)]
    draft: OrgDraft,
}

/// `POST /orgs`: create a child.
#[utoipa::path(
    operation_id = "createOrg",
    summary = "Create a child org (org.create on the parent)",
    responses((status = 201, description = "The new org", body = OrgJson)),
)]
#[post("/orgs")]
async fn create(me: ApiUser, body: web::Json<CreateBody>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let parent_id = body
        .parent_id
        .ok_or_else(|| FieldErrors::single("parent_id", "parent_id is required."))?;
    let (actor, access, draft) = (me.actor(), me.access.clone(), body.draft);
    let created = me
        .db()
        .write(move |conn| org::create_as(conn, &access, &actor, parent_id, &draft))
        .await?;
    // The new org is inside the caller's scope; its JSON uses the snapshot that
    // includes it, which the next request will have. Read it back with a fresh one.
    let json = one_fresh(&me, created.id).await?;
    Ok(HttpResponse::Created().json(json))
}

/// The org's JSON after a change, judged by a snapshot that includes the change.
async fn one_fresh(me: &ApiUser, id: i64) -> Result<OrgJson, ApiError> {
    let state = me.state.clone();
    let user_id = me.user.id;
    Ok(me
        .db()
        .read(move |conn| {
            let access = Access {
                user_id,
                snapshot: state.authz.fresh(conn)?,
            };
            let o = org::find(conn, id)?;
            Ok(org_json(conn, &access, &[o])?.remove(0))
        })
        .await?)
}

/// `GET /orgs/{id}`.
#[utoipa::path(
    operation_id = "getOrg",
    summary = "One org; behind a privacy border only its name and place",
    responses((status = 200, description = "The org", body = OrgJson)),
)]
#[get("/orgs/{id}")]
async fn show(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    me.access.require_visible(id)?;
    Ok(HttpResponse::Ok().json(one(&me, id).await?))
}

/// What `PATCH /orgs/{id}` may carry, read once: any of the fields (text; the
/// lists also as arrays; null empties), `privacy_mode`, `status`, `version`.
/// Anything else is refused (422).

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = OrgStatus)]
enum OrgStatusInput {
    Active,
    Archived,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrgPatch)]
struct PatchBody {
    privacy_mode: Option<bool>,
    status: Option<OrgStatusInput>,
    /// Refuse with 409 if the org changed since this version.
    version: Option<i64>,
    // The fields: `None` leaves one as it is.
    #[serde(default, deserialize_with = "text_or_list")]
    name: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    code: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    description: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    address_line1: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    address_line2: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    city: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    state: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    country: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    postal_code: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    phone: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    website: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    email_domains: Option<String>,
    #[serde(default, deserialize_with = "text_or_list")]
    tags: Option<String>,
}

impl From<PatchBody> for org::OrgPatch {
    fn from(body: PatchBody) -> Self {
        org::OrgPatch {
            fields: org::OrgFieldsPatch {
                name: body.name,
                code: body.code,
                kind: body.kind,
                description: body.description,
                address_line1: body.address_line1,
                address_line2: body.address_line2,
                city: body.city,
                state: body.state,
                country: body.country,
                postal_code: body.postal_code,
                phone: body.phone,
                website: body.website,
                email_domains: body.email_domains,
                tags: body.tags,
            },
            privacy_mode: body.privacy_mode,
            archived: body.status.map(|s| s == OrgStatusInput::Archived),
            version: body.version,
        }
    }
}

/// `PATCH /orgs/{id}`: fields (`org.edit`), `privacy_mode` (`org.settings`),
/// `status` (`org.delete` on the parent), in one transaction.
#[utoipa::path(
    operation_id = "updateOrg",
    summary = "Edit fields (org.edit), privacy_mode (org.settings), status (org.delete on the parent)",
    request_body = PatchBody,
    responses((status = 200, description = "The org", body = OrgJson)),
)]
#[patch("/orgs/{id}")]
async fn update(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<PatchBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = org::OrgPatch::from(body.into_inner());
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| org::patch_as(conn, &access, &actor, id, patch))
        .await?;
    Ok(HttpResponse::Ok().json(one_fresh(&me, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = OrgMove)]
struct MoveBody {
    parent_id: i64,
    /// Refuse with 409 if the org changed since this version.
    version: Option<i64>,
}

/// `POST /orgs/{id}/move`.
#[utoipa::path(
    operation_id = "moveOrg",
    summary = "Move the org and its subtree (org.move on the parent, org.create on the new parent)",
    responses((status = 200, description = "The moved org", body = OrgJson)),
)]
#[post("/orgs/{id}/move")]
async fn move_org(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<MoveBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let MoveBody { parent_id, version } = body.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| org::move_as(conn, &access, &actor, id, parent_id, version))
        .await?;
    Ok(HttpResponse::Ok().json(one_fresh(&me, id).await?))
}

/// `DELETE /orgs/{id}`: only when empty; 409 lists what blocks it.
#[utoipa::path(
    operation_id = "deleteOrg",
    summary = "Delete an empty org (org.delete on the parent); 409 lists what blocks it",
    responses((status = 204, description = "Deleted")),
)]
#[delete("/orgs/{id}")]
async fn remove(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (access, actor, version) = (me.access.clone(), me.actor(), query.version);
    me.db()
        .write(move |conn| org::delete_as(conn, &access, &actor, id, version))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Org content (settings, access, members) needs sight inside the privacy border.
pub fn require_inside(access: &Access, org_id: i64) -> Result<(), Error> {
    access.require_inside(org_id)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AccessQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// The user's name or email, or the group's name, contains.
    q: Option<String>,
    /// Grants of this role.
    #[param(value_type = Option<i64>)]
    role_id: Option<String>,
}

impl TryFrom<&AccessQuery> for crate::domain::access::AccessFilter {
    type Error = Error;

    fn try_from(query: &AccessQuery) -> Result<Self, Error> {
        let role_id = super::list::optional(
            query.role_id.as_deref().map(str::trim),
            |text| text.parse::<i64>().ok(),
            "role_id",
            "role_id must be a role's id (a whole number).",
        )?;
        Ok(crate::domain::access::AccessFilter {
            q: query.q.clone().unwrap_or_default(),
            role_id,
        })
    }
}

/// `GET /orgs/{id}/access?q=&role_id=`: who has access here, and through
/// which grant. Only the grants the caller may know of: made at orgs they
/// see, to users and groups they see; paged in SQL by the same domain
/// function as the Access tab.
#[utoipa::path(
    operation_id = "getOrgAccess",
    summary = "Who has access here: grants made here or inherited (access.view), nearest first, paged in SQL",
    params(PageQuery),
    responses((status = 200, description = "A page of grants and whom they reach", body = ListBody<AccessItem>)),
)]
#[get("/orgs/{id}/access")]
async fn access_list(
    me: ApiUser,
    id: web::Path<i64>,
    query: web::Query<AccessQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (page, per_page) = query.page.parse()?;
    let filter = crate::domain::access::AccessFilter::try_from(&*query)?;
    require_inside(&me.access, id)?;
    me.access.require(Permission::AccessView, id)?;
    let access = me.access.clone();
    let (found, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            crate::domain::access::effective_page(
                conn,
                &access,
                id,
                &filter,
                offset,
                i64::from(per_page),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody {
        items: found.items,
        page,
        per_page,
        total: usize::try_from(total).unwrap_or(0),
    }))
}
