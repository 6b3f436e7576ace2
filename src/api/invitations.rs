//! Invitations by email (`domain::grant_invite`): the pending ones an admin
//! made at an org (`/grants/invitations`), and those to the caller's own email
//! (`/invitations`), to accept or decline.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};

use super::grants::{GrantJson, grant_json};
use super::json::time;
use super::list::{ListBody, PageQuery};
use super::{ApiError, ApiUser};
use crate::domain::grant_invite::{self, InvitationView};
use crate::domain::role;
use crate::error::FieldErrors;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(at_org)
        .service(revoke)
        .service(mine)
        .service(accept)
        .service(decline);
}

#[derive(Serialize, Clone, utoipa::ToSchema)]
#[schema(as = Invitation)]
struct InvitationJson {
    id: i64,
    /// The email as typed by the inviter.
    email: String,
    role_id: i64,
    role: String,
    org_id: i64,
    project_id: Option<i64>,
    descendants: bool,
    /// When the grant, once accepted, runs out.
    #[schema(format = DateTime)]
    grant_expires_at: Option<String>,
    invited_by: i64,
    #[schema(format = DateTime)]
    created_at: String,
    /// Until when it may be accepted.
    #[schema(format = DateTime)]
    expires_at: String,
}

fn invitation_json(v: &InvitationView) -> InvitationJson {
    let i = &v.invitation;
    InvitationJson {
        id: i.id,
        email: i.email.clone(),
        role_id: i.role_id,
        role: v.role.clone(),
        org_id: i.org_id,
        project_id: i.project_id,
        descendants: i.descendants,
        grant_expires_at: i.grant_expires_at.map(time),
        invited_by: i.invited_by,
        created_at: time(i.created_at),
        expires_at: time(i.expires_at),
    }
}

fn listed(items: &[InvitationView], query: &PageQuery) -> Result<HttpResponse, ApiError> {
    let (page, per_page) = query.parse()?;
    let items: Vec<InvitationJson> = items.iter().map(invitation_json).collect();
    Ok(HttpResponse::Ok().json(ListBody::paged(&items, page, per_page)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AtOrgQuery {
    #[serde(flatten)]
    #[param(ignore)]
    page: PageQuery,
    /// Required: made at this org.
    #[param(value_type = Option<i64>)]
    org_id: Option<String>,
}

/// The answer when the invitation's grant was already held.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = AlreadyHeld)]
struct AlreadyHeldJson {
    /// Always `already_held`.
    status: &'static str,
}

/// `GET /grants/invitations?org_id=`: pending invitations made at the org (its
/// projects included); `access.manage` there, else 404.
#[utoipa::path(
    operation_id = "listGrantInvitations",
    summary = "Pending invitations by email made at an org or its projects (access.manage there)",
    params(PageQuery),
    responses((status = 200, description = "A page of invitations", body = ListBody<InvitationJson>)),
)]
#[get("/grants/invitations")]
async fn at_org(me: ApiUser, query: web::Query<AtOrgQuery>) -> Result<HttpResponse, ApiError> {
    let Some(org_id) = query
        .org_id
        .as_deref()
        .and_then(|s| s.trim().parse::<i64>().ok())
    else {
        return Err(FieldErrors::single("org_id", "Give the org_id.").into());
    };
    let (page, per_page) = query.page.parse()?;
    let access = me.access.clone();
    let (items, total) = me
        .db()
        .read(move |conn| {
            let offset = super::list::offset(page, per_page);
            grant_invite::pending_at_org(conn, &access, org_id, offset, i64::from(per_page))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ListBody {
        items: items.iter().map(invitation_json).collect::<Vec<_>>(),
        page,
        per_page,
        total: usize::try_from(total).unwrap_or(0),
    }))
}

/// `DELETE /grants/invitations/{id}`: withdraws a pending invitation.
#[utoipa::path(
    operation_id = "revokeGrantInvitation",
    summary = "Withdraw a pending invitation (access.manage at its org)",
    responses((status = 204, description = "Withdrawn")),
)]
#[delete("/grants/invitations/{id}")]
async fn revoke(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| grant_invite::revoke_as(conn, &access, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /invitations`: pending invitations to the caller's email.
#[utoipa::path(
    operation_id = "listMyInvitations",
    summary = "Pending invitations to your own email",
    responses((status = 200, description = "A page of invitations", body = ListBody<InvitationJson>)),
)]
#[get("/invitations")]
async fn mine(me: ApiUser, query: web::Query<PageQuery>) -> Result<HttpResponse, ApiError> {
    let user = me.user.clone();
    let items = me
        .db()
        .read(move |conn| grant_invite::pending_for(conn, &user))
        .await?;
    listed(&items, &query)
}

/// `POST /invitations/{id}/accept`: 201 with the grant (200 with no body
/// change when the same grant was already held); 404 unless pending to the
/// caller; 403 when the inviter may no longer grant it.
#[utoipa::path(
    operation_id = "acceptInvitation",
    summary = "Accept: the grant is made now (404 unless pending to your email; 403 when the inviter may no longer grant it)",
    responses(
        (status = 201, description = "The grant", body = GrantJson),
        (status = 200, description = "You already held it", body = AlreadyHeldJson),
    ),
)]
#[post("/invitations/{id}/accept")]
async fn accept(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor, user) = (
        id.into_inner(),
        me.access.clone(),
        me.actor(),
        me.user.clone(),
    );
    let made = me
        .db()
        .write(move |conn| {
            let made = grant_invite::accept_as(conn, &access, &actor, &user, id)?;
            made.map(|g| Ok((role::find(conn, g.role_id)?.name, g)))
                .transpose()
        })
        .await?;
    Ok(match made {
        Some((role, g)) => HttpResponse::Created().json(grant_json(&g, &role)),
        None => HttpResponse::Ok().json(AlreadyHeldJson {
            status: "already_held",
        }),
    })
}

/// `POST /invitations/{id}/decline`: 204; 404 unless pending to the caller.
#[utoipa::path(
    operation_id = "declineInvitation",
    summary = "Decline (404 unless pending to your email)",
    responses((status = 204, description = "Declined")),
)]
#[post("/invitations/{id}/decline")]
async fn decline(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, actor, user) = (id.into_inner(), me.actor(), me.user.clone());
    me.db()
        .write(move |conn| grant_invite::decline_as(conn, &actor, &user, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
