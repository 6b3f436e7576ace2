//! Moving an org under a new parent.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::OrgHeader;
use crate::authz::Permission;
use crate::domain::org::{self};
use crate::error::FieldErrors;
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::pick::{Kind, Picker, resolve_required};
use crate::web::{PageError, SignedIn, render, see_other};

#[derive(Template)]
#[template(path = "orgs/move.html")]
struct MovePage {
    layout: Layout,
    h: OrgHeader,
    /// The new parent: where the person may create, outside the org's subtree.
    parent_picker: Picker,
    errors: FieldErrors,
}

/// The move form (also the preview's answer when its new parent is unknown).
pub(crate) async fn render_move(
    me: &SignedIn,
    id: i64,
    typed: String,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let h = me
        .db()
        .read(move |conn| OrgHeader::load(conn, &access, id, "overview"))
        .await?;
    let parent_picker = Picker::org("parent_id", "New parent", Permission::OrgCreate)
        .not_within(id)
        .value(typed)
        .required()
        .errors(&errors);
    Ok(render(
        status,
        &MovePage {
            layout: me.ctx.layout(format!("Move {}", h.org.name), "orgs")?,
            h,
            parent_picker,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/move`: the new-parent picker.
#[get("/orgs/{id}/move")]
pub(super) async fn move_form(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require_at_parent(Permission::OrgMove, id)?;
    render_move(&me, id, String::new(), StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    parent_id: String,
    version: Option<i64>,
}

/// `POST /orgs/{id}/move`.
#[post("/orgs/{id}/move")]
pub(super) async fn move_submit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    me.access.require_at_parent(Permission::OrgMove, id)?;
    let typed = form.parent_id.clone();
    let kind = Kind::Org(Permission::OrgCreate);
    let why = "Choose the new parent.";
    let parent_id = match resolve_required(&me, kind, "parent_id", &typed, why).await? {
        Ok(id) => id,
        Err(e) => {
            return render_move(&me, id, typed, StatusCode::UNPROCESSABLE_ENTITY, e).await;
        }
    };
    let (access, actor, version) = (me.access.clone(), me.actor(), form.version);
    let outcome = me
        .db()
        .write(move |conn| org::move_as(conn, &access, &actor, id, parent_id, version))
        .await;
    match outcome {
        Ok(moved) => {
            me.ctx
                .flash("success", format!("{} is moved.", moved.name))?;
            see_other(&format!("/orgs/{id}"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "parent_id")?;
            render_move(&me, id, typed, status, errors).await
        }
    }
}
