//! The forms that create a child org and edit an org's fields.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::OrgHeader;
use crate::authz::Permission;
use crate::domain::org::{self, OrgDraft, OrgKind};
use crate::error::FieldErrors;
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};

#[derive(Template)]
#[template(path = "orgs/form.html")]
struct OrgFormPage {
    layout: Layout,
    h: OrgHeader,
    creating: bool,
    draft: OrgDraft,
    version: i64,
    errors: FieldErrors,
    kinds: &'static [OrgKind],
}

async fn render_form(
    me: &SignedIn,
    id: i64,
    creating: bool,
    draft: Option<OrgDraft>,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let h = me
        .db()
        .read(move |conn| OrgHeader::load(conn, &access, id, "overview"))
        .await?;
    let draft = draft.unwrap_or_else(|| {
        if creating {
            OrgDraft {
                kind: "other".into(),
                ..Default::default()
            }
        } else {
            OrgDraft::from_org(&h.org)
        }
    });
    let title = if creating {
        format!("New organization in {}", h.org.name)
    } else {
        format!("Edit {}", h.org.name)
    };
    Ok(render(
        status,
        &OrgFormPage {
            layout: me.ctx.layout(title, "orgs")?,
            version: h.org.version,
            h,
            creating,
            draft,
            errors,
            kinds: OrgKind::ALL,
        },
    ))
}

/// `GET /orgs/{id}/new`: a form for a child of `id`.
#[get("/orgs/{id}/new")]
pub(super) async fn new_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgCreate, id)?;
    render_form(&me, id, true, None, StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct VersionedDraft {
    #[serde(flatten)]
    draft: OrgDraft,
    version: Option<i64>,
}

/// `POST /orgs/{id}/new`.
#[post("/orgs/{id}/new")]
pub(super) async fn create(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionedDraft>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let draft = form.into_inner().draft;
    let (access, actor, asked) = (me.access.clone(), me.actor(), draft.clone());
    let outcome = me
        .db()
        .write(move |conn| org::create_as(conn, &access, &actor, id, &asked))
        .await;
    match outcome {
        Ok(created) => {
            me.ctx
                .flash("success", format!("{} is created.", created.name))?;
            see_other(&format!("/orgs/{}", created.id))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_form(&me, id, true, Some(draft), status, errors).await
        }
    }
}

/// `GET /orgs/{id}/edit`.
#[get("/orgs/{id}/edit")]
pub(super) async fn edit_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require(Permission::OrgEdit, id)?;
    render_form(&me, id, false, None, StatusCode::OK, FieldErrors::new()).await
}

/// `POST /orgs/{id}/edit`.
#[post("/orgs/{id}/edit")]
pub(super) async fn edit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionedDraft>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let VersionedDraft { draft, version } = form.into_inner();
    let (access, actor, asked) = (me.access.clone(), me.actor(), draft.clone());
    let outcome = me
        .db()
        .write(move |conn| org::update_as(conn, &access, &actor, id, &asked, version))
        .await;
    match outcome {
        Ok(updated) => {
            me.ctx
                .flash("success", format!("{} is saved.", updated.name))?;
            see_other(&format!("/orgs/{id}"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_form(&me, id, false, Some(draft), status, errors).await
        }
    }
}
