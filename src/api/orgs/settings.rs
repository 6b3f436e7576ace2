//! `/api/v1/orgs/{id}/settings`: each setting's value and where it comes from,
//! and changing them.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, put, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::require_inside;
use crate::api::{ApiError, ApiUser};
use crate::authz::{Access, Permission};
use crate::domain::settings;
use crate::error::{Error, FieldErrors};

/// `GET /orgs/{id}/settings`: each setting's value and where it comes from.
#[utoipa::path(
    operation_id = "getOrgSettings",
    summary = "Effective settings, each with value, inherited_from and source",
    responses((status = 200, description = "Settings by key", body = BTreeMap<String, SettingJson>)),
)]
#[get("/orgs/{id}/settings")]
pub(in crate::api) async fn get_settings(
    me: ApiUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_inside(&me.access, id)?;
    let all = me
        .db()
        .read(move |conn| settings::effective(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(settings_json(&me.access, &all)))
}

/// `PUT /orgs/{id}/settings`: `{key: value}` overrides, `{key: null}` reverts;
/// an optional `version` (the org's) answers 409 when stale.
#[utoipa::path(
    operation_id = "putOrgSettings",
    summary = "Override settings; null reverts a key to inherited (org.settings)",
    request_body(content = Object, description = "`{key: value or null}`, and an optional `version` (the org's)"),
    responses((status = 200, description = "Settings by key", body = BTreeMap<String, SettingJson>)),
)]
#[put("/orgs/{id}/settings")]
pub(in crate::api) async fn put_settings(
    me: ApiUser,
    id: web::Path<i64>,
    body: web::Json<SettingsBody>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let SettingsBody { version, changes } = body.into_inner();
    // `version` is the org's (optional): a stale one answers 409.
    let version = version_of(version)?;
    let (access, actor) = (me.access.clone(), me.actor());
    let all = me
        .db()
        .write(move |conn| settings::change(conn, &access, &actor, id, &changes, version))
        .await?;
    Ok(HttpResponse::Ok().json(settings_json(&me.access, &all)))
}

/// `PUT /orgs/{id}/settings`'s body: setting keys, each with a value or null
/// (revert to inherited), in key order; and the org's optional `version`. A
/// key that names no setting is refused by `settings::put` together with any
/// bad value, each on its own field, as unknown fields are in every API body.
pub(in crate::api) struct SettingsBody {
    /// As sent: [`version_of`] reads it, so a wrong type names `version`.
    version: Option<Value>,
    changes: Vec<(String, Option<Value>)>,
}

impl<'de> Deserialize<'de> for SettingsBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut body: BTreeMap<String, Value> = BTreeMap::deserialize(d)?;
        let version = body.remove("version");
        let changes = body
            .into_iter()
            .map(|(k, v)| (k, if v.is_null() { None } else { Some(v) }))
            .collect();
        Ok(SettingsBody { version, changes })
    }
}

/// The optional `version` (a stale one answers 409 where it is checked);
/// anything but an integer or null is a field error.
fn version_of(version: Option<Value>) -> Result<Option<i64>, Error> {
    match version {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| FieldErrors::single("version", "version must be an integer.")),
    }
}

/// One setting as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Setting)]
struct SettingJson {
    value: Value,
    /// The org whose value applies; null when set here, by default, or when
    /// that org is above your sight (`source` still says `inherited`).
    inherited_from: Option<i64>,
    /// `this_org`, `inherited` or `default`.
    #[schema(value_type = String)]
    source: settings::Source,
}

/// Settings as the API shows them; an inheriting source above the caller's
/// sight is `null` (the `source` still says the value is inherited).
fn settings_json(access: &Access, all: &[settings::Effective]) -> BTreeMap<String, SettingJson> {
    all.iter()
        .map(|e| {
            let from = e
                .inherited_from
                .filter(|o| access.can(Permission::OrgView, *o));
            (
                e.key.to_string(),
                SettingJson {
                    value: e.value.clone(),
                    inherited_from: from,
                    source: e.source.clone(),
                },
            )
        })
        .collect()
}
