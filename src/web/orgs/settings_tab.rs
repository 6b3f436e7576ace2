//! An org's settings tab: each setting, where it comes from, and overriding or
//! inheriting it. Each setting has the control its values call for
//! (`settings::Control`): closed choices are selects or radios, the colour a
//! colour input with a swatch, assignable roles checkboxes by name, numbers
//! number inputs with their unit; empty means inherit, and each field says
//! what it would inherit and from where.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde_json::{Value, json};

use super::{OrgHeader, VersionForm};
use crate::authz::{Access, Permission};
use crate::db::Conn;
use crate::domain::org::{self};
use crate::domain::settings::{self, Control, Definition, Effective, Source};
use crate::error::{Error, FieldErrors};
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};
use std::collections::HashMap;

/// One setting as the page shows and asks for it.
struct Row {
    e: Effective,
    def: &'static Definition,
    /// The org the value comes from, when inherited and visible.
    source_name: Option<String>,
    /// The effective value in words.
    shown: String,
    /// What emptying the field inherits: "Monday, from Acme".
    inherits: String,
    /// The field's value when set here; empty when inherited.
    value: String,
    /// "none" is set here (a checkbox).
    never_on: bool,
    /// Roles to tick (id, name, ticked) and which radio is chosen.
    roles: Vec<(i64, String, bool)>,
    roles_mode: &'static str,
}

impl Row {
    fn kind(&self) -> &'static str {
        match self.def.control {
            Control::Choice(_) => "choice",
            Control::Number { .. } => "number",
            Control::Date { .. } => "date",
            Control::Colour => "colour",
            Control::Text => "text",
            Control::Roles => "roles",
        }
    }

    fn choices(&self) -> &'static [(&'static str, &'static str)] {
        match self.def.control {
            Control::Choice(c) => c,
            _ => &[],
        }
    }

    /// (min, max, unit) of a number.
    fn number(&self) -> (i64, i64, &'static str) {
        match self.def.control {
            Control::Number { min, max, unit, .. } => (min, max, unit),
            _ => (0, 0, ""),
        }
    }

    fn never(&self) -> Option<&'static str> {
        match self.def.control {
            Control::Number { never, .. } => never,
            Control::Date { never } => Some(never),
            _ => None,
        }
    }

    fn set_here(&self) -> bool {
        self.e.source == Source::ThisOrg
    }
}

#[derive(Template)]
#[template(path = "orgs/settings.html")]
struct SettingsPage {
    layout: Layout,
    h: OrgHeader,
    rows: Vec<Row>,
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

/// The names of the orgs in `ids` the viewer may see.
fn visible_names(
    conn: &mut Conn,
    access: &Access,
    ids: Vec<i64>,
) -> Result<HashMap<i64, String>, Error> {
    let seen: Vec<i64> = ids
        .into_iter()
        .filter(|o| access.can(Permission::OrgView, *o))
        .collect();
    Ok(org::find_many(conn, &seen)?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// Each setting's row at `id`: its value, where it comes from and what it
/// would inherit (names only of orgs the viewer may see).
fn rows(conn: &mut Conn, access: &Access, id: i64) -> Result<Vec<Row>, Error> {
    let all = settings::effective(conn, id)?;
    let above = settings::inherited(conn, id)?;
    let from = all
        .iter()
        .chain(above.iter())
        .filter_map(|e| e.inherited_from)
        .collect();
    let names = visible_names(conn, access, from)?;
    let (roles, allowed) = settings::role_choices(conn, id)?;
    let role_name = |rid: i64| {
        roles
            .iter()
            .find(|r| r.id == rid)
            .map_or_else(|| format!("Role {rid}"), |r| r.name.clone())
    };
    let mut rows = Vec::new();
    for (e, up) in all.into_iter().zip(above) {
        let def = settings::definition(e.key).ok_or_else(|| Error::internal("setting"))?;
        let source_name = e.inherited_from.and_then(|o| names.get(&o).cloned());
        let whence = match (&up.source, up.inherited_from.and_then(|o| names.get(&o))) {
            (Source::Default, _) => "the default".to_string(),
            (_, Some(name)) => format!("from {name}"),
            _ => "from above".to_string(),
        };
        let inherits = format!("{}, {whence}", def.describe(&up.value, role_name));
        let never_on = e.set_here_as("none");
        let value = match (&e.source, &e.value) {
            (Source::ThisOrg, Value::String(s)) if s != "none" => s.clone(),
            (Source::ThisOrg, Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let ticked: Vec<i64> = match &e.value {
            Value::Array(ids) => ids.iter().filter_map(Value::as_i64).collect(),
            _ => vec![],
        };
        let roles_mode = match (&e.source, &e.value) {
            (Source::ThisOrg, Value::Array(_)) => "some",
            (Source::ThisOrg, _) => "all",
            _ => "inherit",
        };
        let role_boxes = if def.key == settings::ASSIGNABLE_ROLES {
            roles
                .iter()
                .filter(|r| allowed.as_ref().is_none_or(|a| a.contains(&r.id)))
                .map(|r| (r.id, r.name.clone(), ticked.contains(&r.id)))
                .collect()
        } else {
            vec![]
        };
        rows.push(Row {
            shown: def.describe(&e.value, role_name),
            e,
            def,
            source_name,
            inherits,
            value,
            never_on,
            roles: role_boxes,
            roles_mode,
        });
    }
    Ok(rows)
}

pub(super) async fn render_settings(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, rows, logo) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "settings")?;
            h.require_inside()?;
            let logo = LogoPart {
                effective: crate::domain::logo::url_at(conn, id)?,
                own: crate::domain::logo::own(conn, id)?.is_some(),
            };
            Ok((h, rows(conn, &access, id)?, logo))
        })
        .await?;
    let layout = me
        .ctx
        .layout(format!("{} · Settings", h.org.name), "orgs")?;
    Ok(render(
        status,
        &SettingsPage {
            layout,
            h,
            rows,
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

/// What one setting's form posted, as the value to put: `None` (inherit)
/// when left empty, `"none"` when its "never" box is ticked, the ticked role
/// ids for "only these roles"; anything else as typed, for
/// `settings::change` to check as the API's values.
fn posted_value(key: &str, fields: &[(String, String)]) -> Option<Value> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    if get("never").is_some() {
        return Some(json!("none"));
    }
    let value = get("value").unwrap_or_default();
    if key == settings::ASSIGNABLE_ROLES && value == "some" {
        let ids: Vec<Value> = fields
            .iter()
            .filter(|(k, _)| k == "role")
            .map(|(_, v)| {
                v.trim()
                    .parse::<i64>()
                    .map_or_else(|_| json!(v), |id| json!(id))
            })
            .collect();
        return Some(Value::Array(ids));
    }
    (!value.is_empty() && value != "inherit").then(|| json!(value))
}

/// `POST /orgs/{id}/settings/{key}`: set one setting here, or inherit it
/// again when left empty.
#[post("/orgs/{id}/settings/{key}")]
pub(super) async fn set_setting(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let (id, key) = path.into_inner();
    let fields = form.into_inner();
    let version = fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.trim().parse().ok());
    let value = posted_value(&key, &fields);
    change_setting(me, id, key, value, version).await
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
    value: Option<Value>,
    version: Option<i64>,
) -> Result<HttpResponse, PageError> {
    let Some(def) = settings::definition(&key) else {
        return Err(Error::NotFound.into());
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let reverted = value.is_none();
    let outcome = me
        .db()
        .write(move |conn| settings::change(conn, &access, &actor, id, &[(key, value)], version))
        .await;
    match outcome {
        Ok(_) => {
            let message = if reverted {
                format!("{} now inherits.", def.label)
            } else {
                format!("{} is set here.", def.label)
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
