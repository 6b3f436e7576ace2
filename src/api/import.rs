//! `POST /import/orgs|users|grants?dry_run=true`: a CSV body imported by
//! `domain::import` as the token's owner. The body is read once into memory
//! (up to [`MAX_IMPORT_BYTES`]) before the write transaction starts, so a slow
//! upload never holds the database's write lock; its rows are then parsed one
//! at a time.

use actix_web::{HttpMessage, HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use serde::Deserialize;

use super::{ApiError, ApiUser};
use crate::domain::import::{self, Importer, Kind, Report};
use crate::error::Error;

/// Largest CSV body an import reads (a 100,000-row file is a few MiB).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(run);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ImportQuery {
    /// `true`: every row's outcome, nothing written.
    dry_run: Option<bool>,
}

/// What a 422 from an import holds: every row's outcome when rows were read,
/// or the shared error body when the request was refused before that (a
/// control character in the query, say, refused for every route alike).
/// Only the document names it; the answers are built as either.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[schema(as = ImportRefused)]
#[allow(dead_code)]
enum Refused {
    Rows(Report),
    Error(super::error::ErrorBody),
}

/// True when the body is declared CSV (`text/csv`, any parameters).
fn is_csv(req: &HttpRequest) -> bool {
    matches!(req.mime_type(), Ok(Some(m)) if m.type_() == "text" && m.subtype() == "csv")
}

/// `POST /import/{kind}`.
#[utoipa::path(
    operation_id = "importCsv",
    summary = "Import orgs, users or grants from CSV as you (the same rules as one by one); \
               all-or-nothing, or a dry run",
    params(
        ("kind" = String, Path, description = "`orgs`, `users` or `grants`"),
        ImportQuery,
    ),
    request_body(content = String, content_type = "text/csv",
        description = "A header row naming the columns (any order; comma or semicolon), \
                       then one row per org, user or grant; UTF-8"),
    responses(
        (status = 200, description = "Every row's outcome; `applied` unless a dry run", body = Report),
        (status = 422, description = "Some row (or the file) was refused: nothing was written \
                                      (every row's outcome); or the request itself was refused \
                                      before any row was read (the shared error body)", body = Refused),
    ),
)]
#[post("/import/{kind}")]
async fn run(
    me: ApiUser,
    req: HttpRequest,
    kind: web::Path<String>,
    query: web::Query<ImportQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let kind = Kind::parse(&kind).ok_or(Error::NotFound)?;
    if !is_csv(&req) {
        return Err(ApiError::NotCsv);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| Error::BadRequest(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let importer = Importer {
        access: me.access.clone(),
        actor: me.actor(),
        base_url: me.state.base_url.clone(),
    };
    let (db, dry_run) = (me.state.db.clone(), query.dry_run.unwrap_or(false));
    let report =
        web::block(move || import::run(&db, kind, &body[..], &importer, dry_run, &mut |_| {}))
            .await??;
    Ok(answer(report))
}

fn answer(report: Report) -> HttpResponse {
    if report.failed() {
        HttpResponse::UnprocessableEntity().json(report)
    } else {
        HttpResponse::Ok().json(report)
    }
}
