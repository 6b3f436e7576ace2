//! An org's settings tab: each setting, where it comes from, and overriding or
//! inheriting it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{OrgHeader, VersionForm};
use crate::authz::Permission;
use crate::domain::org::{self};
use crate::domain::settings;
use crate::error::{Error, FieldErrors};
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "orgs/settings.html")]
struct SettingsPage {
    layout: Layout,
    h: OrgHeader,
    settings: Vec<(settings::Effective, Option<String>)>,
    /// May change the keys set from above (assignable roles) here.
    from_above: bool,
    logo: LogoPart,
    errors: FieldErrors,
}

/// The logo part of the tab: the logo that applies here, and whether it is
/// set here (so it can be removed).
pub struct LogoPart {
    pub effective: Option<String>,
    pub own: bool,
}

pub(super) async fn render_settings(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, list, logo) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "settings")?;
            h.require_inside()?;
            let all = settings::effective(conn, id)?;
            // Name only the sources the viewer may see; others read "inherited from above".
            let from: Vec<i64> = all
                .iter()
                .filter_map(|e| e.inherited_from)
                .filter(|o| access.can(Permission::OrgView, *o))
                .collect();
            let names: HashMap<i64, String> = org::find_many(conn, &from)?
                .into_iter()
                .map(|o| (o.id, o.name))
                .collect();
            let list = all
                .into_iter()
                .map(|e| {
                    let source = e.inherited_from.and_then(|o| names.get(&o).cloned());
                    (e, source)
                })
                .collect();
            let logo = LogoPart {
                effective: crate::domain::logo::url_at(conn, id)?,
                own: crate::domain::logo::own(conn, id)?.is_some(),
            };
            Ok((h, list, logo))
        })
        .await?;
    Ok(render(
        status,
        &SettingsPage {
            layout: me
                .ctx
                .layout(format!("{} · Settings", h.org.name), "orgs")?,
            h,
            settings: list,
            from_above: settings::may_change_from_above(&me.access, id),
            logo,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/settings`.
#[get("/orgs/{id}/settings")]
pub(super) async fn settings_tab(
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    render_settings(&me, id.into_inner(), StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct SettingForm {
    #[serde(default)]
    value: String,
    version: Option<i64>,
}

/// `POST /orgs/{id}/settings/{key}`: override one setting here.
#[post("/orgs/{id}/settings/{key}")]
pub(super) async fn set_setting(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<SettingForm>,
) -> Result<HttpResponse, PageError> {
    let (id, key) = path.into_inner();
    let SettingForm { value, version } = form.into_inner();
    change_setting(me, id, key, Some(serde_json::Value::String(value)), version).await
}

/// `POST /orgs/{id}/settings/{key}/revert`: inherit again.
#[post("/orgs/{id}/settings/{key}/revert")]
pub(super) async fn revert_setting(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    let (id, key) = path.into_inner();
    change_setting(me, id, key, None, form.version).await
}

pub(super) async fn change_setting(
    me: SignedIn,
    id: i64,
    key: String,
    value: Option<serde_json::Value>,
    version: Option<i64>,
) -> Result<HttpResponse, PageError> {
    if settings::definition(&key).is_none() {
        return Err(Error::NotFound.into());
    }
    let (access, actor) = (me.access.clone(), me.actor());
    let reverted = value.is_none();
    let label = settings::definition(&key)
        .map(|d| d.label)
        .unwrap_or_default();
    let outcome = me
        .db()
        .write(move |conn| settings::change(conn, &access, &actor, id, &[(key, value)], version))
        .await;
    match outcome {
        Ok(_) => {
            let message = if reverted {
                format!("{label} now inherits.")
            } else {
                format!("{label} is set here.")
            };
            me.ctx.flash("success", message)?;
            see_other(&format!("/orgs/{id}/settings"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_settings(&me, id, status, errors).await
        }
    }
}
