//! `/api/v1/reports/{name}`: every report as JSON `{columns, rows}` or CSV with
//! the same header.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;

use super::{ApiError, ApiUser};
use crate::domain::report::{self, FilterInput, Format};
use crate::error::Error;

#[derive(Deserialize)]
struct ReportQuery {
    format: Option<String>,
    #[serde(flatten)]
    filter: FilterInput,
}

/// `GET /reports/{name}?org_id=&from=&to=&project_id=&team_id=&user_id=&format=`.
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
    let filter = query.filter.parse(&me.access, crate::db::now().date())?;
    let access = me.access.clone();
    let report = me
        .db()
        .read(move |conn| report::run(conn, &access, &name, &filter))
        .await?;
    Ok(match format {
        Format::Json => HttpResponse::Ok().json(report.to_json()),
        Format::Csv => crate::http::csv_attachment(report.name, report.to_csv()?),
    })
}
