//! `/api/v1/reports/{name}`: every report as JSON `{name, columns, rows}` or
//! CSV with the same header, streamed as the rows are read; with `page` or
//! `per_page`, one page as JSON `{name, columns, rows, page, per_page, total}`.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use serde_json::json;

use super::list::PageQuery;
use super::{ApiError, ApiUser};
use crate::domain::report::{self, Cell, FilterInput, Format};
use crate::error::Error;

#[derive(Deserialize)]
struct ReportQuery {
    format: Option<String>,
    #[serde(flatten)]
    paging: PageQuery,
    #[serde(flatten)]
    filter: FilterInput,
}

/// `GET /reports/{name}?org_id=&from=&to=&project_id=&team_id=&user_id=&format=&page=&per_page=`.
#[get("/reports/{name}")]
pub async fn show(
    me: ApiUser,
    name: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    if report::title_of(&name).is_none() {
        return Err(Error::NotFound.into());
    }
    let query = query.into_inner();
    let format = Format::parse(query.format.as_deref(), Format::Json)?;
    let paged = query.paging.page.is_some() || query.paging.per_page.is_some();
    let (page, per_page) = query.paging.parse()?;
    let filter = query.filter.parse(&me.access, crate::db::now().date())?;
    let access = me.access.clone();
    let one_page = paged && format == Format::Json;
    let (prepared, shown) = me
        .db()
        .read(move |conn| {
            let prepared = report::prepare(conn, &access, &name, &filter)?;
            let shown = if one_page {
                Some(prepared.page(conn, page as usize, per_page as usize)?)
            } else {
                None
            };
            Ok((prepared, shown))
        })
        .await?;
    Ok(match shown {
        Some(shown) => HttpResponse::Ok().json(json!({
            "name": prepared.name,
            "columns": prepared.columns,
            "rows": shown.rows.iter().map(|r| r.iter().map(Cell::json).collect::<Vec<_>>()).collect::<Vec<_>>(),
            "page": shown.page,
            "per_page": per_page,
            "total": shown.total_rows,
        })),
        None => crate::http::download::download(me.db().clone(), prepared, format),
    })
}
