//! The org's Provisioning tab: SCIM tokens, made (the secret shown once),
//! listed and revoked by someone who may manage the org's people and groups
//! (`domain::scim`, the rule the API's `/orgs/{id}/scim-tokens` uses).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::OrgHeader;
use crate::domain::scim::{self, ScimToken};
use crate::error::{Error, FieldErrors};
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};

#[derive(Template)]
#[template(path = "orgs/provisioning.html")]
struct ProvisioningPage {
    layout: Layout,
    h: OrgHeader,
    tokens: Vec<ScimToken>,
    new_token: Option<String>,
    scim_url: String,
    name: String,
    errors: FieldErrors,
}

#[derive(Default, Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    name: String,
}

async fn render_page(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    name: String,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, tokens) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "provisioning")?;
            h.require_inside()?;
            Ok((h, scim::list_as(conn, &access, id)?))
        })
        .await?;
    let layout = me
        .ctx
        .layout(format!("{} · Provisioning", h.org.name), "orgs")?;
    let scim_url = format!("{}/scim/v2", me.ctx.state.base_url.trim_end_matches('/'));
    let page = ProvisioningPage {
        layout,
        h,
        tokens,
        new_token: me.ctx.session.take_new_scim_token(id),
        scim_url,
        name,
        errors,
    };
    Ok(render(status, &page))
}

/// `GET /orgs/{id}/provisioning`.
#[get("/orgs/{id}/provisioning")]
pub(super) async fn show(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    render_page(&me, id, StatusCode::OK, String::new(), FieldErrors::new()).await
}

/// `POST /orgs/{id}/provisioning/tokens`: the secret waits in the session
/// for the page the redirect shows, once.
#[post("/orgs/{id}/provisioning/tokens")]
pub(super) async fn create(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let (id, form) = (id.into_inner(), form.into_inner());
    let name = match scim::parse_name(Some(&form.name)) {
        Ok(name) => name,
        Err(Error::Validation(errors)) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_page(&me, id, status, form.name, errors).await;
        }
        Err(other) => return Err(other.into()),
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let (_, secret) = me
        .db()
        .write(move |conn| scim::create_as(conn, &access, &actor, id, &name))
        .await?;
    me.ctx.session.set_new_scim_token(id, &secret)?;
    see_other(&format!("/orgs/{id}/provisioning"))
}

/// `POST /orgs/{id}/provisioning/tokens/{token}/revoke`.
#[post("/orgs/{id}/provisioning/tokens/{token}/revoke")]
pub(super) async fn revoke(
    me: SignedIn,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, PageError> {
    let (id, token_id) = path.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    let revoked = me
        .db()
        .write(move |conn| scim::revoke_as(conn, &access, &actor, token_id, Some(id)))
        .await?;
    me.ctx.flash(
        "success",
        format!("SCIM token “{}” is revoked.", revoked.name),
    )?;
    see_other(&format!("/orgs/{id}/provisioning"))
}
