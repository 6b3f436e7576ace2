//! An org's Single sign-on tab: its OpenID Connect provider, set, changed and
//! removed by someone with `org.settings` there (`domain::sso`, the rule the
//! API's `/orgs/{id}/sso` uses). The client secret is never shown: only
//! whether one is set; leaving the field blank keeps it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::OrgHeader;
use crate::domain::role::Role;
use crate::domain::sso::{self, Config, Input};
use crate::error::{Error, FieldErrors};
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};

#[derive(Template)]
#[template(path = "orgs/sso.html")]
struct SsoPage {
    layout: Layout,
    h: OrgHeader,
    /// The provider set here, if any.
    config: Option<Config>,
    /// The form's values: as stored, or as typed when refused.
    input: Input,
    /// The ancestor whose provider applies here when none is set here.
    governed_by: Option<(i64, String)>,
    roles: Vec<Role>,
    callback_url: String,
    errors: FieldErrors,
}

impl SsoPage {
    fn role_chosen(&self, id: &i64) -> bool {
        self.input.default_role_id == Some(*id)
    }

    fn creates(&self) -> bool {
        self.input.on_first_sign_in == sso::CREATE
    }
}

/// The form as posted: every field text, so a bad value is a field message.
#[derive(Default, Deserialize)]
pub(super) struct SsoForm {
    #[serde(default)]
    issuer_url: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret: String,
    #[serde(default)]
    allowed_domains: String,
    password_sign_in: Option<String>,
    #[serde(default)]
    on_first_sign_in: String,
    #[serde(default)]
    default_role_id: String,
    version: Option<String>,
}

impl SsoForm {
    fn into_input(self) -> Result<(Input, Option<i64>), Error> {
        let role = self.default_role_id.trim();
        let default_role_id = if role.is_empty() {
            None
        } else {
            Some(role.parse().map_err(|_| {
                FieldErrors::single("default_role_id", "Choose a role from the list.")
            })?)
        };
        let input = Input {
            issuer_url: self.issuer_url,
            client_id: self.client_id,
            client_secret: self.client_secret,
            allowed_domains: self.allowed_domains,
            password_sign_in: self.password_sign_in.is_some(),
            on_first_sign_in: self.on_first_sign_in,
            default_role_id,
        };
        Ok((input, self.version.and_then(|v| v.trim().parse().ok())))
    }
}

/// The form's values for a stored provider (never its secret).
fn input_of(config: &Config) -> Input {
    Input {
        issuer_url: config.issuer_url.clone(),
        client_id: config.client_id.clone(),
        client_secret: String::new(),
        allowed_domains: config.domains().join("\n"),
        password_sign_in: config.password_sign_in,
        on_first_sign_in: config.on_first_sign_in.clone(),
        default_role_id: config.default_role_id,
    }
}

async fn render_page(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    typed: Option<Input>,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, config, governed_by, roles) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "sso")?;
            h.require_inside()?;
            let config = sso::get_as(conn, &access, id)?;
            let governed_by = match &config {
                Some(_) => None,
                None => match sso::governing(conn, id)? {
                    Some(up) if access.can(crate::authz::Permission::OrgView, up.org_id) => {
                        Some((up.org_id, crate::domain::org::find(conn, up.org_id)?.name))
                    }
                    _ => None,
                },
            };
            let roles = sso::default_role_choices(conn, &access, id)?;
            Ok((h, config, governed_by, roles))
        })
        .await?;
    let input = typed.unwrap_or_else(|| match &config {
        Some(c) => input_of(c),
        None => Input {
            password_sign_in: true,
            on_first_sign_in: sso::LINK.into(),
            ..Input::default()
        },
    });
    let layout = me
        .ctx
        .layout(format!("{} · Single sign-on", h.org.name), "orgs")?;
    let callback_url = format!(
        "{}{}",
        me.ctx.state.base_url.trim_end_matches('/'),
        crate::web::sso::CALLBACK_PATH
    );
    let page = SsoPage {
        layout,
        h,
        config,
        input,
        governed_by,
        roles,
        callback_url,
        errors,
    };
    Ok(render(status, &page))
}

/// `GET /orgs/{id}/sso`.
#[get("/orgs/{id}/sso")]
pub(super) async fn show(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    render_page(
        &me,
        id.into_inner(),
        StatusCode::OK,
        None,
        FieldErrors::new(),
    )
    .await
}

/// `POST /orgs/{id}/sso`: set or change the provider.
#[post("/orgs/{id}/sso")]
pub(super) async fn save(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<SsoForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (input, version) = match form.into_inner().into_input() {
        Ok(parsed) => parsed,
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            return render_page(&me, id, status, None, errors).await;
        }
    };
    let (access, actor, typed) = (me.access.clone(), me.actor(), input.clone());
    let outcome = me
        .db()
        .write(move |conn| sso::put_as(conn, &access, &actor, id, &typed, version))
        .await;
    match outcome {
        Ok(_) => {
            me.ctx.flash("success", "Single sign-on is saved.")?;
            see_other(&format!("/orgs/{id}/sso"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            let typed = Input {
                client_secret: String::new(),
                ..input
            };
            render_page(&me, id, status, Some(typed), errors).await
        }
    }
}

/// `POST /orgs/{id}/sso/remove`: people sign in with passwords again.
#[post("/orgs/{id}/sso/remove")]
pub(super) async fn remove(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| sso::remove_as(conn, &access, &actor, id))
        .await?;
    me.ctx.flash("success", "Single sign-on is removed.")?;
    see_other(&format!("/orgs/{id}/sso"))
}
