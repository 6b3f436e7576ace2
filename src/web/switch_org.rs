//! `POST /context`: the shell's org switcher. The chosen org is kept in the
//! session (`domain::context` says why that is never a grant); one the
//! person does not administer answers like one that does not exist.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::context::SignedIn;
use super::error::PageError;
use crate::authz::Permission;
use crate::domain::pick::Kind;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(switch);
}

#[derive(Deserialize)]
struct SwitchForm {
    /// The org as typed into the switcher's search field.
    #[serde(default)]
    context_org: String,
    /// The page to come back to.
    #[serde(default)]
    back: String,
}

#[post("/context")]
async fn switch(me: SignedIn, form: web::Form<SwitchForm>) -> Result<HttpResponse, PageError> {
    let back = super::safe_next(Some(&form.back));
    let kind = Kind::Org(Permission::OrgSettings);
    match super::pick::resolve(&me, kind, "context_org", &form.context_org).await? {
        Ok(Some(org)) => {
            me.ctx.session.set_context_org(org)?;
            let name = me
                .db()
                .read(move |c| Ok(crate::domain::org::find(c, org)?.name))
                .await?;
            me.ctx.flash("success", format!("Now working in {name}."))?;
        }
        Ok(None) => me.ctx.flash(
            "error",
            "Type the name or code of an organization you administer.",
        )?,
        Err(e) => {
            let message = e
                .get("org")
                .unwrap_or("There is no such organization among yours.");
            me.ctx.flash("error", message.to_string())?;
        }
    }
    super::see_other(&back)
}
