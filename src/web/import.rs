//! `/import`: a CSV file of orgs, users or grants uploaded, previewed (every
//! row's outcome, nothing written), then applied. The preview carries the
//! file's text in its "Apply" form, so applying imports exactly what was
//! previewed. The rules are `domain::import`'s, as for the API and the CLI.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use super::layout::Layout;
use super::{PageError, SignedIn, page, render};
use crate::domain::import::{self, Importer, Kind, Report};
use crate::error::Error;
use crate::http::multipart;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(form).service(submit);
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    layout: Layout,
    kind: &'static str,
    report: Option<Report>,
    /// The file's text, carried by the "Apply" form after a clean preview.
    carried: Option<String>,
    problem: Option<String>,
}

/// 404 for people who may not import anything.
fn require_importer(me: &SignedIn) -> Result<(), PageError> {
    if import::may_import(&me.access) {
        Ok(())
    } else {
        Err(Error::NotFound.into())
    }
}

#[get("/import")]
async fn form(me: SignedIn) -> Result<HttpResponse, PageError> {
    require_importer(&me)?;
    page(&ImportPage {
        layout: me.ctx.layout("Import", "import")?,
        kind: "orgs",
        report: None,
        carried: None,
        problem: None,
    })
}

/// What the form sent: the kind, the file (uploaded, or carried from the
/// preview) and whether to apply.
struct Sent {
    kind: Kind,
    csv: Vec<u8>,
    apply: bool,
}

fn read_form(req: &HttpRequest, body: &[u8]) -> Option<Sent> {
    let content_type = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    let parts = multipart::parse(content_type, body)?;
    let text = |name: &str| {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| p.data)
    };
    let kind = Kind::parse(std::str::from_utf8(text("kind")?).ok()?)?;
    let uploaded = parts
        .iter()
        .find(|p| p.name == "file" && p.filename.is_some() && !p.data.is_empty());
    let csv = match uploaded {
        Some(p) => p.data.to_vec(),
        None => text("csv").unwrap_or_default().to_vec(),
    };
    Some(Sent {
        kind,
        csv,
        apply: text("apply") == Some(b"1"),
    })
}

/// `POST /import`: preview (a dry run) or, from the preview, apply.
#[post("/import")]
async fn submit(
    me: SignedIn,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    require_importer(&me)?;
    let body = super::upload_body(&mut payload).await?;
    let sent = read_form(&req, &body).ok_or_else(|| {
        Error::BadRequest("The form could not be read: choose a kind and a file.".into())
    })?;
    if sent.csv.is_empty() {
        return show(
            &me,
            sent.kind,
            None,
            None,
            Some("Choose a CSV file to import."),
        )
        .await;
    }
    let importer = Importer {
        access: me.access.clone(),
        actor: me.actor(),
        base_url: me.ctx.state.base_url.clone(),
    };
    let (db, kind, apply, csv) = (me.db().clone(), sent.kind, sent.apply, sent.csv);
    let (report, csv) = web::block(move || {
        let report = import::run(&db, kind, &csv[..], &importer, !apply, &mut |_| {});
        report.map(|r| (r, csv))
    })
    .await
    .map_err(Error::internal)??;
    if report.applied {
        me.ctx
            .flash("success", format!("Imported: {}.", report.summary()))?;
    }
    let carried =
        (!report.applied && !report.failed()).then(|| String::from_utf8_lossy(&csv).into_owned());
    show(&me, kind, Some(report), carried, None).await
}

async fn show(
    me: &SignedIn,
    kind: Kind,
    report: Option<Report>,
    carried: Option<String>,
    problem: Option<&str>,
) -> Result<HttpResponse, PageError> {
    let status = match (&report, problem) {
        (Some(r), _) if r.failed() => StatusCode::UNPROCESSABLE_ENTITY,
        (_, Some(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    Ok(render(
        status,
        &ImportPage {
            layout: me.ctx.layout("Import", "import")?,
            kind: kind.as_str(),
            report,
            carried,
            problem: problem.map(str::to_string),
        },
    ))
}
