//! Report pages: the list, and each report with its filters, an inline SVG
//! chart, the table and its CSV (the same columns as the API's).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageError, SignedIn, page, render};
use crate::authz::Permission;
use crate::domain::report::{self, Cell, FilterInput, Format, REPORTS, Report};
use crate::domain::timesheet::hours;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(index).service(show);
}

#[derive(Template)]
#[template(path = "reports/index.html")]
struct IndexPage {
    layout: Layout,
    reports: &'static [(&'static str, &'static str)],
    allowed: bool,
}

/// `GET /reports`.
#[get("/reports")]
async fn index(me: SignedIn) -> Result<HttpResponse, PageError> {
    let allowed = me.access.anywhere(Permission::ReportView);
    page(&IndexPage {
        layout: me.ctx.layout("Reports", "reports")?,
        reports: REPORTS,
        allowed,
    })
}

/// One bar of the chart, laid out for the template.
struct Bar {
    label: String,
    value: String,
    y: usize,
    width: usize,
}

const BAR_HEIGHT: usize = 22;
const BAR_MAX: usize = 420;

fn bars(report: &Report) -> Vec<Bar> {
    let max = report
        .chart
        .iter()
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(0)
        .max(1);
    report
        .chart
        .iter()
        .take(40)
        .enumerate()
        .map(|(i, (label, v))| Bar {
            label: label.chars().take(28).collect(),
            value: if report.chart_counts {
                v.to_string()
            } else {
                hours(*v)
            },
            y: i * BAR_HEIGHT,
            width: ((*v).max(0) as usize * BAR_MAX / max as usize).max(1),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "reports/show.html")]
struct ShowPage {
    layout: Layout,
    name: String,
    title: String,
    input: FilterInput,
    /// The org, project, team and person pickers (`web::pick`).
    pickers: super::pick::Filters,
    errors: FieldErrors,
    report: Option<Report>,
    shown: Vec<Vec<Cell>>,
    more: usize,
    bars: Vec<Bar>,
    chart_height: usize,
    total: Option<String>,
    csv_link: String,
}

const SHOWN_ROWS: usize = 1000;

#[derive(Deserialize)]
struct ShowQuery {
    format: Option<String>,
    #[serde(flatten)]
    filter: FilterInput,
}

/// `GET /reports/{name}?org_id=&from=&to=&project_id=&team_id=&user_id=`, and
/// `&format=csv` for the download.
#[get("/reports/{name}")]
async fn show(
    req: actix_web::HttpRequest,
    me: SignedIn,
    name: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let name = name.into_inner();
    let title = report::title_of(&name).ok_or(Error::NotFound)?;
    let query = query.into_inner();
    let format = Format::parse(query.format.as_deref(), Format::Json);
    let mut input = query.filter;
    let pickers = super::pick::filters(
        &me,
        Permission::ReportView,
        &mut input.org_id,
        &mut input.project_id,
        &mut input.team_id,
        &mut input.user_id,
    )
    .await?;
    let parsed = input.parse(&me.access, crate::db::now().date());
    let access = me.access.clone();
    let (run_name, filter) = (name.clone(), parsed.as_ref().ok().cloned());
    let outcome = me
        .db()
        .read(move |conn| {
            let Some(f) = filter else {
                return Ok(None);
            };
            Ok(Some(report::run(conn, &access, &run_name, &f)))
        })
        .await?;
    let ran = outcome;
    let mut errors = match (&parsed, &format) {
        (Err(Error::Validation(e)), _) => e.clone(),
        (Err(e), _) => return Err(PageError::from(Error::BadRequest(e.to_string()))),
        _ => FieldErrors::new(),
    };
    errors.0.extend(pickers.errors.0.clone());
    if let Err(Error::Validation(e)) = &format {
        errors.0.extend(e.0.clone());
    }
    let report = match ran {
        Some(Ok(r)) => Some(r),
        Some(Err(Error::Validation(e))) => {
            errors.0.extend(e.0);
            None
        }
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    if matches!(format, Ok(Format::Csv))
        && let Some(r) = &report
        && errors.is_empty()
    {
        return Ok(crate::http::csv_attachment(r.name, r.to_csv()?));
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (shown, more, bars, total) = match &report {
        Some(r) => (
            r.rows.iter().take(SHOWN_ROWS).cloned().collect(),
            r.rows.len().saturating_sub(SHOWN_ROWS),
            bars(r),
            r.total_minutes().map(hours),
        ),
        None => (vec![], 0, vec![], None),
    };
    let query_string = req.query_string();
    let csv_link = if query_string.is_empty() {
        format!("/reports/{name}?format=csv")
    } else {
        format!("/reports/{name}?{query_string}&format=csv")
    };
    Ok(render(
        status,
        &ShowPage {
            layout: me.ctx.layout(title, "reports")?,
            title: title.to_string(),
            chart_height: bars.len() * BAR_HEIGHT + 4,
            name,
            input,
            pickers,
            errors,
            report,
            shown,
            more,
            bars,
            total,
            csv_link,
        },
    ))
}
