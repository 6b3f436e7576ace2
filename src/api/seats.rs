//! Seat licences: an org's pool and shares, a person's seat, and bulk
//! assignment (`domain::seats`).

use actix_web::{HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};

use super::json::time;
use super::{ApiError, ApiUser};
use crate::domain::seats::{self, BulkOutcome, PoolView, Seat, Summary};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(org_seats)
        .service(bulk)
        .service(show_seat)
        .service(put_seat)
        .service(delete_seat);
}

/// A pool: its size, the seats shared out to pools below, those given to
/// people directly, and those free.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SeatPool)]
pub struct PoolJson {
    org_id: i64,
    name: String,
    size: i64,
    shares: i64,
    used: i64,
    free: i64,
}

impl From<&PoolView> for PoolJson {
    fn from(p: &PoolView) -> Self {
        PoolJson {
            org_id: p.org_id,
            name: p.name.clone(),
            size: p.size,
            shares: p.shares,
            used: p.used,
            free: p.free,
        }
    }
}

/// An org's seats.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OrgSeats)]
pub struct SummaryJson {
    org_id: i64,
    /// The pool the org's people draw from (its own or an ancestor's); null
    /// where seats are not counted.
    pool: Option<PoolJson>,
    /// True when the org holds that pool itself.
    own_pool: bool,
    /// The pools inside the org's subtree (shares), nearest first.
    shares: Vec<PoolJson>,
    /// People at home in the subtree, and how many hold a seat.
    people: i64,
    seated: i64,
}

impl From<&Summary> for SummaryJson {
    fn from(s: &Summary) -> Self {
        SummaryJson {
            org_id: s.org_id,
            pool: s.pool.as_ref().map(PoolJson::from),
            own_pool: s.own_pool,
            shares: s.shares.iter().map(PoolJson::from).collect(),
            people: s.people,
            seated: s.seated,
        }
    }
}

/// A person's seat.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Seat)]
pub struct SeatJson {
    user_id: i64,
    /// The org whose pool the seat comes from.
    pool_org_id: i64,
    assigned_at: String,
    assigned_by: Option<i64>,
    /// `hand`, `bulk`, `automatic` or `import`.
    how: String,
}

impl From<&Seat> for SeatJson {
    fn from(s: &Seat) -> Self {
        SeatJson {
            user_id: s.user_id,
            pool_org_id: s.pool_org_id,
            assigned_at: time(s.assigned_at),
            assigned_by: s.assigned_by,
            how: s.how.clone(),
        }
    }
}

/// `GET /orgs/{id}/seats`: the org's pool, its shares and its people's seats.
#[utoipa::path(
    operation_id = "getOrgSeats",
    summary = "Seats: the pool the org draws from, shares below it, people seated (user.manage)",
    responses(
        (status = 200, description = "The org's seats", body = SummaryJson),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
#[get("/orgs/{id}/seats")]
async fn org_seats(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let summary = me
        .db()
        .read(move |conn| seats::summary_as(conn, &access, id))
        .await?;
    Ok(HttpResponse::Ok().json(SummaryJson::from(&summary)))
}

/// People to give a seat to and to take one from.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SeatsBulk)]
pub struct BulkBody {
    #[serde(default)]
    assign: Vec<i64>,
    #[serde(default)]
    unassign: Vec<i64>,
}

/// What a bulk change did, and the org's seats after it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = SeatsBulkResult)]
pub struct BulkJson {
    assigned: usize,
    unassigned: usize,
    unchanged: usize,
    seats: SummaryJson,
}

/// `POST /orgs/{id}/seats`: assigns and unassigns seats in one go, all or nothing.
#[utoipa::path(
    operation_id = "changeOrgSeats",
    summary = "Assign and unassign seats of people in the org's subtree, all or nothing (user.manage)",
    request_body = BulkBody,
    responses((status = 200, description = "Done", body = BulkJson)),
)]
#[post("/orgs/{id}/seats")]
async fn bulk(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<BulkBody>,
) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let BulkBody { assign, unassign } = body.into_inner();
    let (outcome, summary): (BulkOutcome, Summary) = me
        .db()
        .write(move |conn| {
            let outcome = seats::bulk_as(conn, &access, &actor, id, &assign, &unassign)?;
            Ok((outcome, seats::summary(conn, &access, id)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(BulkJson {
        assigned: outcome.assigned,
        unassigned: outcome.unassigned,
        unchanged: outcome.unchanged,
        seats: SummaryJson::from(&summary),
    }))
}

/// `GET /users/{id}/seat`: the person's seat (404 when they hold none).
#[utoipa::path(
    operation_id = "getSeat",
    summary = "A person's seat (user.manage); 404 when they hold none",
    responses(
        (status = 200, description = "The seat", body = SeatJson),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
#[get("/users/{id}/seat")]
async fn show_seat(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access) = (id.into_inner(), me.access.clone());
    let seat = me
        .db()
        .read(move |conn| seats::seat_as(conn, &access, id))
        .await?;
    match seat {
        Some(s) => Ok(HttpResponse::Ok().json(SeatJson::from(&s))),
        None => Err(crate::error::Error::NotFound.into()),
    }
}

/// `PUT /users/{id}/seat`: gives the person a seat from their nearest pool.
#[utoipa::path(
    operation_id = "putSeat",
    summary = "Give a person a seat from their nearest pool (user.manage); 422 when none is left",
    responses((status = 200, description = "The seat (also when already held)", body = SeatJson)),
)]
#[put("/users/{id}/seat")]
async fn put_seat(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let seat = me
        .db()
        .write(move |conn| seats::assign_as(conn, &access, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(SeatJson::from(&seat)))
}

/// `DELETE /users/{id}/seat`: takes the person's seat back.
#[utoipa::path(
    operation_id = "deleteSeat",
    summary = "Take a person's seat back (user.manage); 204 also when they held none",
    responses((status = 204, description = "No seat now")),
)]
#[delete("/users/{id}/seat")]
async fn delete_seat(me: ApiUser, id: web::Path<i64>) -> Result<HttpResponse, ApiError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    me.db()
        .write(move |conn| seats::unassign_as(conn, &access, &actor, id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
