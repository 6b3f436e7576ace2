//! Giving a person a seat and taking it back, from their page
//! (`domain::seats`, as the API's `PUT` and `DELETE /users/{id}/seat`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};

use super::show_page;
use crate::domain::seats;
use crate::error::Error;
use crate::web::error::form_errors;
use crate::web::{PageError, SignedIn, see_other};

/// `POST /users/{id}/seat`: gives a seat from the person's nearest pool.
#[post("/users/{id}/seat")]
pub(super) async fn assign(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| seats::assign_as(conn, &access, &actor, id))
        .await;
    done(me, id, outcome.map(|_| "A seat is assigned.")).await
}

/// `POST /users/{id}/seat/remove`: takes the seat back.
#[post("/users/{id}/seat/remove")]
pub(super) async fn unassign(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| seats::unassign_as(conn, &access, &actor, id))
        .await;
    done(me, id, outcome.map(|()| "The seat is taken back.")).await
}

async fn done(
    me: SignedIn,
    id: i64,
    outcome: Result<&'static str, Error>,
) -> Result<HttpResponse, PageError> {
    match outcome {
        Ok(message) => {
            me.ctx.flash("success", message)?;
            see_other(&format!("/users/{id}"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "seat")?;
            let status = if status == StatusCode::OK {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            };
            show_page(&me, id, status, None, errors).await
        }
    }
}
