//! The guided "New customer" flow: one form that creates the org, invites
//! its first admin with a role there and sets the roles its admins may
//! assign (`domain::customer`), then a summary of what was made.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::authz::Permission;
use crate::domain::customer::{self, CustomerInput};
use crate::domain::org::OrgKind;
use crate::domain::role::{self, Role};
use crate::error::{Error, FieldErrors};
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::pick::{Picker, org_value, resolve};
use crate::web::{PageError, SignedIn, page, render, see_other};

const PARENT: crate::domain::pick::Kind = crate::domain::pick::Kind::Org(Permission::OrgCreate);

#[derive(Template)]
#[template(path = "orgs/new_customer.html")]
struct CustomerPage {
    layout: Layout,
    form: CustomerInput,
    parent: String,
    kinds: &'static [OrgKind],
    roles: Vec<Role>,
    errors: FieldErrors,
}

impl CustomerPage {
    fn assignable(&self, id: i64) -> bool {
        self.form.assignable.contains(&id)
    }
}

/// Where the flow starts: the org the person works in, where they may
/// create orgs, else the highest org where they may.
fn start(me: &SignedIn) -> Result<i64, PageError> {
    let chosen = me.ctx.context.as_ref().map(|(id, _)| *id);
    chosen
        .filter(|id| me.access.can(Permission::OrgCreate, *id))
        .or_else(|| me.access.highest(Permission::OrgCreate))
        .ok_or_else(|| {
            Error::Forbidden("Creating a customer needs org.create at some organization.".into())
                .into()
        })
}

async fn render_flow(
    me: &SignedIn,
    status: StatusCode,
    form: CustomerInput,
    parent_text: Option<String>,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let at = form.parent_id.map_or_else(|| start(me), Ok)?;
    let roles = me
        .db()
        .read(move |conn| role::usable_at_org(conn, at))
        .await?;
    let value = match parent_text {
        Some(text) => text,
        None => org_value(me, Some(at)).await?,
    };
    let parent = Picker::org("parent", "Under", Permission::OrgCreate)
        .id("customer-parent")
        .value(value)
        .required()
        .errors(&errors)
        .render()
        .map_err(Error::internal)?;
    let page = CustomerPage {
        layout: me.ctx.layout("New customer", "orgs")?,
        form,
        parent,
        kinds: OrgKind::ALL,
        roles,
        errors,
    };
    Ok(render(status, &page))
}

/// `GET /orgs/new-customer`.
#[get("/orgs/new-customer")]
pub(super) async fn new_customer(me: SignedIn) -> Result<HttpResponse, PageError> {
    let form = CustomerInput {
        parent_id: Some(start(&me)?),
        kind: OrgKind::Customer.as_str().to_string(),
        ..CustomerInput::default()
    };
    render_flow(&me, StatusCode::OK, form, None, FieldErrors::new()).await
}

/// The form as posted (checkboxes repeat `assignable`, so pairs).
fn input_of(pairs: Vec<(String, String)>) -> (CustomerInput, String) {
    let mut input = CustomerInput::default();
    let mut parent = String::new();
    for (key, value) in pairs {
        match key.as_str() {
            "parent" => parent = value,
            "name" => input.name = value,
            "code" => input.code = value,
            "kind" => input.kind = value,
            "tags" => input.tags = value,
            "admin_email" => input.admin_email = value,
            "admin_name" => input.admin_name = value,
            "role_id" => input.role_id = value,
            "assignable" => input.assignable.extend(value.trim().parse::<i64>().ok()),
            _ => {}
        }
    }
    (input, parent)
}

/// `POST /orgs/new-customer`: every step or none; a refusal comes back
/// as the form with the message next to its field.
#[post("/orgs/new-customer")]
pub(super) async fn create_customer(
    me: SignedIn,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let (mut input, parent_text) = input_of(form.into_inner());
    let picked = resolve(&me, PARENT, "parent", &parent_text).await?;
    input.parent_id = picked.as_ref().ok().copied().flatten();
    let (access, actor, base) = (me.access.clone(), me.actor(), me.ctx.state.base_url.clone());
    let asked = input.clone();
    let outcome = match picked {
        Err(errors) => Err(Error::Validation(errors)),
        Ok(_) => {
            me.db()
                .write(move |conn| customer::create_as(conn, &access, &actor, &asked, &base))
                .await
        }
    };
    match outcome {
        Ok(made) => {
            me.ctx
                .flash("success", format!("{} is ready.", made.org.name))?;
            see_other(&format!(
                "/orgs/{}/welcome?admin={}",
                made.org.id, made.admin.id
            ))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_flow(&me, status, input, Some(parent_text), errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "orgs/welcome.html")]
struct SummaryPage {
    layout: Layout,
    s: customer::Summary,
}

#[derive(Deserialize)]
struct SummaryQuery {
    admin: Option<i64>,
}

/// `GET /orgs/{id}/welcome?admin=`: what the flow made, read back as it is now.
#[get("/orgs/{id}/welcome")]
pub(super) async fn summary(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<SummaryQuery>,
) -> Result<HttpResponse, PageError> {
    let (id, admin, access) = (id.into_inner(), query.admin, me.access.clone());
    let s = me
        .db()
        .read(move |conn| customer::summary(conn, &access, id, admin))
        .await?;
    page(&SummaryPage {
        layout: me.ctx.layout(format!("{} is ready", s.org.name), "orgs")?,
        s,
    })
}
