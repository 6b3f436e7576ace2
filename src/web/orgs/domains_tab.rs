//! The org's Domains tab: each email domain the org lists, the DNS TXT record
//! that proves it, and a button that checks it now (`domain::org::domains`,
//! the rule the API's `/orgs/{id}/domains` uses).

use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::OrgHeader;
use crate::domain::org::domains::{self, OrgDomain};
use crate::error::Error;
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, page, see_other};

#[derive(Template)]
#[template(path = "orgs/domains.html")]
struct DomainsPage {
    layout: Layout,
    h: OrgHeader,
    domains: Vec<OrgDomain>,
}

/// `GET /orgs/{id}/domains`: whoever sees inside the org.
#[get("/orgs/{id}/domains")]
pub(super) async fn show(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let access = me.access.clone();
    let (h, domains) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "domains")?;
            h.require_inside()?;
            Ok((h, domains::list_as(conn, &access, id)?))
        })
        .await?;
    page(&DomainsPage {
        layout: me.ctx.layout(format!("{} · Domains", h.org.name), "orgs")?,
        h,
        domains,
    })
}

/// `POST /orgs/{id}/domains/{domain}/verify`: checks the TXT record now
/// (`org.edit`); the outcome shows next to the domain.
#[post("/orgs/{id}/domains/{domain}/verify")]
pub(super) async fn verify(
    me: SignedIn,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, PageError> {
    let (id, domain) = path.into_inner();
    let resolver = me.ctx.state.config.dns_resolver;
    let outcome = domains::verify_as(me.db(), &me.access, &me.actor(), resolver, id, &domain).await;
    match outcome {
        Ok(claim) if claim.is_verified() => {
            me.ctx
                .flash("success", format!("{} is verified.", claim.domain))?;
        }
        Ok(claim) => {
            let why = claim.last_error.unwrap_or_default();
            me.ctx.flash(
                "error",
                format!("{} is not verified yet. {why}", claim.domain),
            )?;
        }
        Err(Error::Conflict { message, .. }) => me.ctx.flash("error", message)?,
        Err(e) => return Err(e.into()),
    }
    see_other(&format!("/orgs/{id}/domains"))
}
