//! An org's logo on its settings tab: upload it (a `multipart/form-data`
//! form) or remove it. The rules (who, which files) are `domain::logo`'s.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::settings_tab::render_settings;
use crate::domain::logo;
use crate::http::multipart;
use crate::web::error::form_errors;
use crate::web::{PageError, SignedIn, see_other};

/// The file in an upload's body (empty when there is none).
fn file_of(req: &HttpRequest, body: &[u8]) -> Vec<u8> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    multipart::parse(content_type, body)
        .and_then(|parts| parts.into_iter().find(|p| p.name == logo::FIELD))
        .map(|p| p.data.to_vec())
        .unwrap_or_default()
}

/// `POST /orgs/{id}/logo`: upload the org's logo. A bad file comes back
/// as the settings tab with the message next to the field (422).
#[post("/orgs/{id}/logo")]
pub(super) async fn upload(
    me: SignedIn,
    id: web::Path<i64>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let body = crate::web::upload_body(&mut payload).await?;
    let file = file_of(&req, &body);
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| logo::set_as(conn, &access, &actor, id, &file))
        .await;
    match outcome {
        Ok(_) => {
            me.ctx.flash("success", "The logo is set here.")?;
            see_other(&format!("/orgs/{id}/settings"))
        }
        Err(e) => {
            let (status, errors) = form_errors(e, "form")?;
            render_settings(&me, id, status, errors).await
        }
    }
}

/// `POST /orgs/{id}/logo/remove`: the org inherits its logo again.
#[post("/orgs/{id}/logo/remove")]
pub(super) async fn remove(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let (access, actor) = (me.access.clone(), me.actor());
    me.db()
        .write(move |conn| logo::remove_as(conn, &access, &actor, id))
        .await?;
    me.ctx.flash("success", "The logo is removed here.")?;
    see_other(&format!("/orgs/{id}/settings"))
}
