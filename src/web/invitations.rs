//! `/invitations`: the grants offered to the signed-in person by email
//! (`domain::grant_invite`), to accept or decline; and the revoke button of
//! the org access tab for invitations still pending.

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::layout::Layout;
use super::{PageError, SignedIn, page, see_other};
use crate::domain::grant_invite::{self, InvitationView};
use crate::error::Error;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(accept)
        .service(decline)
        .service(revoke);
}

#[derive(Template)]
#[template(path = "invitations.html")]
struct InvitationsPage {
    layout: Layout,
    invitations: Vec<InvitationView>,
}

/// `GET /invitations`: the pending invitations to my email.
#[get("/invitations")]
async fn list(me: SignedIn) -> Result<HttpResponse, PageError> {
    let user = me.user.clone();
    let invitations = me
        .db()
        .read(move |conn| grant_invite::pending_for(conn, &user))
        .await?;
    page(&InvitationsPage {
        layout: me.ctx.layout("Invitations", "profile")?,
        invitations,
    })
}

/// `POST /invitations/{id}/accept`: the grant is made now (404 unless the
/// invitation is pending to my email).
#[post("/invitations/{id}/accept")]
async fn accept(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (id, access, actor, user) = (
        id.into_inner(),
        me.access.clone(),
        me.actor(),
        me.user.clone(),
    );
    let done = me
        .db()
        .write(move |conn| grant_invite::accept_as(conn, &access, &actor, &user, id))
        .await;
    match done {
        Ok(_) => me
            .ctx
            .flash("success", "Invitation accepted: you now hold the role.")?,
        Err(Error::Forbidden(message)) => me.ctx.flash("error", message)?,
        Err(e) => return Err(e.into()),
    }
    see_other("/invitations")
}

/// `POST /invitations/{id}/decline`.
#[post("/invitations/{id}/decline")]
async fn decline(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (id, actor, user) = (id.into_inner(), me.actor(), me.user.clone());
    me.db()
        .write(move |conn| grant_invite::decline_as(conn, &actor, &user, id))
        .await?;
    me.ctx.flash("success", "Invitation declined.")?;
    see_other("/invitations")
}

/// `POST /grant-invitations/{id}/revoke`: withdraws a pending invitation
/// (with `access.manage` at its org), back to the org's access tab.
#[post("/grant-invitations/{id}/revoke")]
async fn revoke(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (id, access, actor) = (id.into_inner(), me.access.clone(), me.actor());
    let inv = me
        .db()
        .write(move |conn| grant_invite::revoke_as(conn, &access, &actor, id))
        .await?;
    me.ctx.flash("success", "The invitation is withdrawn.")?;
    see_other(&format!("/orgs/{}/access", inv.org_id))
}
