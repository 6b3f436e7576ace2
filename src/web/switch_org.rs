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

/// Only a path on this site: never another origin (`//host`, `/\host`).
fn safe_back(back: &str) -> &str {
    let local = back.starts_with('/') && !back.starts_with("//") && !back.starts_with("/\\");
    if local && !back.chars().any(char::is_control) {
        back
    } else {
        "/"
    }
}

#[post("/context")]
async fn switch(me: SignedIn, form: web::Form<SwitchForm>) -> Result<HttpResponse, PageError> {
    let back = safe_back(&form.back).to_string();
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

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_local_paths_are_come_back_to() {
        assert_eq!(safe_back("/orgs?open=3"), "/orgs?open=3");
        for foreign in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "orgs",
            "/a\nb",
        ] {
            assert_eq!(safe_back(foreign), "/", "{foreign:?}");
        }
    }
}
