//! Turning privacy mode on and off from the settings tab. Turning it on asks
//! for confirmation first and says who keeps access from inside
//! (`domain::privacy::keepers`); with nobody, the page says why it cannot be
//! done and the domain refuses it (`org::set_privacy`), as the API does.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::orgs::OrgHeader;
use super::{PageError, SignedIn, render, see_other};
use crate::authz::Permission;
use crate::domain::org;
use crate::domain::privacy::{self, Keeper};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(confirm_form).service(set_privacy);
}

#[derive(Template)]
#[template(path = "orgs/privacy.html")]
struct ConfirmPage {
    layout: Layout,
    h: OrgHeader,
    /// Who keeps access from inside, as far as the viewer may name them.
    keepers: Vec<Keeper>,
    /// Keepers the viewer may not name.
    unnamed: usize,
    /// The refusal, when nobody would keep access.
    refused: Option<String>,
    errors: FieldErrors,
}

async fn render_confirm(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    me.access.require(Permission::OrgSettings, id)?;
    let access = me.access.clone();
    let (h, all) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "settings")?;
            h.require_inside()?;
            Ok((h, privacy::keepers(conn, id)?))
        })
        .await?;
    let (keepers, unnamed) = privacy::describe_for(&me.access, id, &all);
    let refused = all.is_empty().then(|| privacy::NO_KEEPER.to_string());
    Ok(render(
        status,
        &ConfirmPage {
            layout: me
                .ctx
                .layout(format!("Privacy mode for {}", h.org.name), "orgs")?,
            h,
            keepers,
            unnamed,
            refused,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/privacy`: what turning privacy mode on would leave, and
/// the button that does it (none when nobody would keep access).
#[get("/orgs/{id}/privacy")]
async fn confirm_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_confirm(&me, id.into_inner(), StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct PrivacyForm {
    on: String,
    version: Option<i64>,
    /// "yes" from the confirmation page; turning privacy on needs it.
    #[serde(default)]
    confirm: String,
}

/// `POST /orgs/{id}/privacy`. Turning it on without `confirm=yes` shows the
/// confirmation page and changes nothing.
#[post("/orgs/{id}/privacy")]
async fn set_privacy(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<PrivacyForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgSettings, id)?;
    let (access, actor) = (me.access.clone(), me.actor());
    let (on, version) = (form.on == "true", form.version);
    if on && form.confirm != "yes" {
        return render_confirm(&me, id, StatusCode::OK, FieldErrors::new()).await;
    }
    match me
        .db()
        .write(move |conn| org::set_privacy_as(conn, &access, &actor, id, on, version))
        .await
    {
        Ok(_) => {}
        Err(Error::Validation(errors)) if on => {
            return render_confirm(&me, id, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
        }
        Err(Error::Conflict { message, .. }) if on => {
            return render_confirm(
                &me,
                id,
                StatusCode::CONFLICT,
                FieldErrors::of("form", &message),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    }
    let message = if on {
        "Privacy mode is on: grants made above this organization no longer reach inside."
    } else {
        "Privacy mode is off: grants made above reach inside again."
    };
    me.ctx.flash("success", message)?;
    see_other(&format!("/orgs/{id}/settings"))
}
