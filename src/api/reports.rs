//! `/api/v1/reports/{name}`: every report as JSON `{name, columns, rows}` or
//! CSV with the same header, streamed as the rows are read; with `page` or
//! `per_page`, one page as JSON `{name, columns, rows, page, per_page, total}`.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::list::PageQuery;
use super::{ApiError, ApiUser};
use crate::domain::report::{self, Cell, FilterInput, Format};
use crate::error::Error;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// `json` (the default) or `csv`.
    format: Option<String>,
    /// JSON only: with `page` or `per_page`, one page with `page`, `per_page`
    /// and `total`; without, every row.
    #[serde(flatten)]
    #[param(ignore)]
    paging: PageQuery,
    #[serde(flatten)]
    #[param(ignore)]
    filter: FilterInput,
}

/// A report as JSON: every row, or one page of them.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Report)]
struct ReportJson {
    name: &'static str,
    columns: &'static [&'static str],
    /// Each row's cells in the order of `columns`: text, a date, hours or a count.
    rows: Vec<Vec<Value>>,
    /// With `page` or `per_page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<usize>,
    /// With `page` or `per_page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    per_page: Option<u32>,
    /// Rows in the whole report; with `page` or `per_page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    total: Option<usize>,
}

impl ReportJson {
    /// One page of a prepared report.
    fn page(prepared: &report::Prepared, shown: report::ReportPage, per_page: u32) -> Self {
        ReportJson {
            name: prepared.name,
            columns: prepared.columns,
            rows: shown
                .rows
                .iter()
                .map(|r| r.iter().map(Cell::json).collect())
                .collect(),
            page: Some(shown.page),
            per_page: Some(per_page),
            total: Some(shown.total_rows),
        }
    }
}

/// `GET /reports/{name}?org_id=&from=&to=&project_id=&team_id=&user_id=&format=&page=&per_page=`.
#[utoipa::path(
    operation_id = "getReport",
    summary = "A report over what you may see (report.view): JSON {name, columns, rows} or CSV with the same header",
    params(
        ("name" = String, Path, description = "`monthly-by-project`, `quarterly-by-project`, `entries`, \
            `employee-overview`, `project-hours`, `team-hours`, `team-projects-users`, `org-rollup` \
            or `missing-timesheets`"),
        PageQuery,
        ("org_id" = Option<i64>, Query, description = "The org and its subtree (default: your highest)"),
        ("from" = Option<String>, Query, format = Date, description = "First day (default: this month)"),
        ("to" = Option<String>, Query, format = Date, description = "Last day; at most 5 years after from"),
        ("project_id" = Option<i64>, Query, description = "One project"),
        ("team_id" = Option<i64>, Query, description = "One team's members"),
        ("user_id" = Option<i64>, Query, description = "One person you may see or whose home reports you read; \
            anyone else answers 422 like an id naming no one"),
    ),
    responses(
        (status = 200, description = "The report (every row, streamed as read; or one page)", content(
            (ReportJson = "application/json"),
            (String = "text/csv"),
        )),
        (status = 403, response = super::openapi::Forbidden),
    ),
)]
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
        Some(shown) => HttpResponse::Ok().json(ReportJson::page(&prepared, shown, per_page)),
        None => crate::http::download::download(me.db().clone(), prepared, format),
    })
}
