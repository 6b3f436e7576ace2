//! What the group and team endpoints share (their records and rosters share
//! `domain::membership`): the JSON of a record, the list of records, creating
//! and renaming one, the page of members. Each endpoint keeps its own schema
//! names, bodies and permission answer.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};

use super::list::{self, ListBody, PageQuery, SearchPageQuery};
use super::{ApiError, ApiUser};
use crate::authz::Access;
use crate::db::Conn;
use crate::domain::audit::Actor;
use crate::domain::ids::UserId;
use crate::domain::membership::{self, Listed, Record, Within};
use crate::domain::validate::Contains;
use crate::error::{Error, FieldErrors};

/// A kind's JSON, in its module: `$json` (schema `$schema`, members
/// `$member` on `GET /$plural/{id}` only) with `$build`, which makes it from
/// a `$record`; `$members` (the members after a change) and `$body` (the PUT
/// body of a member: its `$flag`).
macro_rules! kind_json {
    (
        $(#[$meta:meta])* $json:ident as $schema:ident, $plural:literal, $build:ident($record:ident),
        $members:ident as $members_schema:ident of $member:ident,
        $body:ident as $body_schema:ident with $flag:ident
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[schema(as = $schema)]
        struct $json {
            id: i64,
            org_id: i64,
            name: String,
            description: String,
            version: i64,
            #[schema(format = DateTime)]
            created_at: String,
            #[schema(format = DateTime)]
            updated_at: String,
            #[doc = concat!("On `GET /", $plural, "/{id}` only.")]
            #[serde(skip_serializing_if = "Option::is_none")]
            members: Option<Vec<$member>>,
        }

        fn $build(r: &$record) -> $json {
            $json {
                id: r.id,
                org_id: r.org_id,
                name: r.name.clone(),
                description: r.description.clone(),
                version: r.version,
                created_at: super::json::time(r.created_at),
                updated_at: super::json::time(r.updated_at),
                members: None,
            }
        }

        impl $crate::api::membership::WithMembers for $json {
            type Member = $member;
            fn with_members(mut self, members: Vec<$member>) -> Self {
                self.members = Some(members);
                self
            }
        }

        /// The members after a change.
        #[derive(serde::Serialize, utoipa::ToSchema)]
        #[schema(as = $members_schema)]
        struct $members {
            members: Vec<$member>,
        }

        /// The PUT body; an empty body means the defaults. A misspelt field is
        /// refused, not read as `false`.
        #[derive(serde::Deserialize, Default, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        #[schema(as = $body_schema)]
        struct $body {
            #[serde(default)]
            $flag: bool,
        }
    };
}
pub(crate) use kind_json;

/// A kind's JSON, which `GET /{kind}s/{id}` shows with the members.
pub trait WithMembers: Serialize {
    type Member: Send + 'static;
    fn with_members(self, members: Vec<Self::Member>) -> Self;
}

/// The members of record `id` as its kind lists them to the caller.
pub type MemberList<M> = fn(&mut Conn, &Access, i64) -> Result<Vec<M>, Error>;

/// `?org_id=&q=&page=&per_page=` of a list of records.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    page: PageQuery,
    /// The record's org.
    org_id: Option<i64>,
    /// Name contains.
    q: Option<String>,
}

/// The records the caller may see (the kind's view permission at their
/// org), at exactly `org_id` when given, whose name contains `q` as typed
/// (case-insensitive); by name, paged in SQL, each as `json` shows it.
pub async fn list<R: Record, J: Serialize>(
    me: &ApiUser,
    query: &ListQuery,
    json: fn(&R) -> J,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.page.parse()?;
    let access = me.access.clone();
    let org_id = query.org_id;
    let q = Contains::as_typed(query.q.as_deref().unwrap_or_default());
    if let Some(o) = org_id {
        access.require_visible(o)?;
    }
    let within = org_id.map_or(Within::Anywhere, Within::At);
    let (rows, total) = me
        .db()
        .read(move |conn| {
            let offset = list::offset(page, per_page);
            membership::search_visible::<R>(conn, &access, &q, within, offset, i64::from(per_page))
        })
        .await?;
    let items: Vec<J> = rows.iter().map(json).collect();
    Ok(HttpResponse::Ok().json(ListBody::of_page(items, page, per_page, total)))
}

/// `GET /{kind}s/{id}`: the record if the caller may see it, as `json` shows
/// it, with its members as `listed` gives them.
pub async fn show<R: Record, J: WithMembers>(
    me: &ApiUser,
    id: i64,
    listed: MemberList<J::Member>,
    json: fn(&R) -> J,
) -> Result<HttpResponse, ApiError> {
    let access = me.access.clone();
    let (r, members) = me
        .db()
        .read(move |conn| {
            let r: R = membership::find_visible(conn, &access, id)?;
            let members = listed(conn, &access, id)?;
            Ok((r, members))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json(&r).with_members(members)))
}

/// Creates a record at `org_id` (required; the kind's manage permission
/// there): 201 with it as `json` shows it.
pub async fn create<R: Record, J: Serialize>(
    me: &ApiUser,
    org_id: Option<i64>,
    (name, description): (String, String),
    json: fn(&R) -> J,
) -> Result<HttpResponse, ApiError> {
    let org_id = org_id.ok_or_else(|| FieldErrors::single("org_id", "org_id is required."))?;
    let (access, actor) = (me.access.clone(), me.actor());
    let r = me
        .db()
        .write(move |conn| {
            membership::create_as::<R>(conn, &access, &actor, org_id, &name, &description)
        })
        .await?;
    Ok(HttpResponse::Created().json(json(&r)))
}

/// A rename: what is left out stays as it is.
pub struct Patch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub version: Option<i64>,
}

/// Renames or describes record `id` (`membership::update_as`): 200 with it as
/// `json` shows it; 409 when `version` is given and is not the record's.
pub async fn update<R: Record, J: Serialize>(
    me: &ApiUser,
    id: i64,
    patch: Patch,
    json: fn(&R) -> J,
) -> Result<HttpResponse, ApiError> {
    let (access, actor) = (me.access.clone(), me.actor());
    let r = me
        .db()
        .write(move |conn| {
            let fields = (patch.name.as_deref(), patch.description.as_deref());
            membership::update_as::<R>(conn, &access, &actor, id, fields, patch.version)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json(&r)))
}

/// One page of record `id`'s members, flagged ones first then by name, as
/// the kind shows them to the caller (`membership::page_as`), paged in SQL.
pub async fn members<R: Record, M: Listed + Serialize>(
    me: &ApiUser,
    id: i64,
    query: &SearchPageQuery,
) -> Result<HttpResponse, ApiError> {
    let (page, per_page, q) = query.parse()?;
    let access = me.access.clone();
    let (items, total) = me
        .db()
        .read(move |conn| {
            let offset = list::offset(page, per_page);
            let limit = i64::from(per_page);
            let (rows, total, _) =
                membership::page_as::<R, M>(conn, &access, id, &q, offset, limit)?;
            Ok((rows, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody::<M>::of_page(items, page, per_page, total)))
}

/// What a kind's rule does to one member as the caller (`Err` for what they
/// may not do), given the record's id: `put` adds or flags them and answers
/// the members after; `remove` takes them out.
pub type PutMember<M> = fn(&mut Conn, &Access, &Actor, i64, UserId, bool) -> Result<Vec<M>, Error>;
pub type RemoveMember = fn(&mut Conn, &Access, &Actor, i64, UserId) -> Result<(), Error>;

/// `PUT /{kind}s/{id}/members/{user_id}`: the members after `put`.
pub async fn put_member<M: Serialize + Send + 'static>(
    me: &ApiUser,
    (id, user_id): (i64, i64),
    flag: bool,
    put: PutMember<M>,
) -> Result<Vec<M>, ApiError> {
    let (access, actor) = (me.access.clone(), me.actor());
    Ok(me
        .db()
        .write(move |conn| put(conn, &access, &actor, id, UserId(user_id), flag))
        .await?)
}

/// `DELETE /{kind}s/{id}/members/{user_id}`: 204 once `remove` took them out.
pub async fn remove_member(
    me: &ApiUser,
    (id, user_id): (i64, i64),
    remove: RemoveMember,
) -> Result<HttpResponse, ApiError> {
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| remove(conn, &access, &actor, id, UserId(user_id)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
