//! The end of an org's life: archive, restore and delete, each with a page that
//! says what it would do.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;

use super::overview::header_and_rollup;
use super::{OrgHeader, VersionForm};
use crate::authz::Permission;
use crate::domain::org::{self, Blockers};
use crate::error::{Error, FieldErrors};
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, render, see_other};

#[derive(Template)]
#[template(path = "orgs/archive.html")]
struct ArchivePage {
    layout: Layout,
    h: OrgHeader,
    archiving: bool,
    /// What the change touches, as far as the viewer sees inside.
    rollup: org::Rollup,
    errors: FieldErrors,
}

async fn render_archive(
    me: &SignedIn,
    id: i64,
    archiving: bool,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    me.access.require_at_parent(Permission::OrgDelete, id)?;
    let (h, rollup) = header_and_rollup(me, id).await?;
    let verb = if archiving { "Archive" } else { "Restore" };
    Ok(render(
        status,
        &ArchivePage {
            layout: me.ctx.layout(format!("{verb} {}", h.org.name), "orgs")?,
            h,
            archiving,
            rollup,
            errors,
        },
    ))
}

/// `GET /orgs/{id}/archive`: what archiving would do, and the button that does it.
#[get("/orgs/{id}/archive")]
pub(super) async fn archive_form(
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    render_archive(
        &me,
        id.into_inner(),
        true,
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

/// `GET /orgs/{id}/restore`: what restoring would do, and the button that does it.
#[get("/orgs/{id}/restore")]
pub(super) async fn restore_form(
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    render_archive(
        &me,
        id.into_inner(),
        false,
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

/// `POST /orgs/{id}/archive`.
#[post("/orgs/{id}/archive")]
pub(super) async fn archive(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    set_archived(me, id.into_inner(), true, form.version).await
}

/// `POST /orgs/{id}/restore`.
#[post("/orgs/{id}/restore")]
pub(super) async fn restore(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    set_archived(me, id.into_inner(), false, form.version).await
}

pub(super) async fn set_archived(
    me: SignedIn,
    id: i64,
    archived: bool,
    version: Option<i64>,
) -> Result<HttpResponse, PageError> {
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| org::set_archived_as(conn, &access, &actor, id, archived, version))
        .await;
    let o = match outcome {
        Ok(o) => o,
        Err(Error::Conflict { message, .. }) => {
            let errors = FieldErrors::of("form", &message);
            return render_archive(&me, id, archived, StatusCode::CONFLICT, errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    let message = if archived {
        format!(
            "{} is archived: read-only, and nothing new goes in.",
            o.name
        )
    } else {
        format!("{} is restored.", o.name)
    };
    me.ctx.flash("success", message)?;
    see_other(&format!("/orgs/{id}"))
}

#[derive(Template)]
#[template(path = "orgs/delete.html")]
struct DeletePage {
    layout: Layout,
    h: OrgHeader,
    blockers: Blockers,
    errors: FieldErrors,
}

/// `GET /orgs/{id}/delete`: what deleting would do, or what blocks it.
#[get("/orgs/{id}/delete")]
pub(super) async fn delete_form(
    me: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    org::require_may_delete(&me.access, id)?;
    render_delete(&me, id, StatusCode::OK, FieldErrors::new()).await
}

async fn render_delete(
    me: &SignedIn,
    id: i64,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, blockers) = me
        .db()
        .read(move |conn| {
            Ok((
                OrgHeader::load(conn, &access, id, "overview")?,
                org::blockers(conn, id)?,
            ))
        })
        .await?;
    Ok(render(
        status,
        &DeletePage {
            layout: me.ctx.layout(format!("Delete {}", h.org.name), "orgs")?,
            h,
            blockers,
            errors,
        },
    ))
}

/// `POST /orgs/{id}/delete`.
#[post("/orgs/{id}/delete")]
pub(super) async fn delete_submit(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<VersionForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let parent = me.access.snapshot.tree().parent_of(id);
    let (access, actor, version) = (me.access.clone(), me.actor(), form.version);
    match me
        .db()
        .write(move |conn| org::delete_as(conn, &access, &actor, id, version))
        .await
    {
        Ok(()) => {
            me.ctx.flash("success", "The organization is deleted.")?;
            see_other(&parent.map_or("/orgs".to_string(), |p| format!("/orgs/{p}/sub-orgs")))
        }
        // Not empty after all, or changed in the meantime: the page again, current.
        Err(Error::Conflict { message, .. }) => {
            render_delete(
                &me,
                id,
                StatusCode::CONFLICT,
                FieldErrors::of("form", &message),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
