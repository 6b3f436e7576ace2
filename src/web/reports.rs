//! Report pages: the list, and each report with its filters, an inline SVG
//! chart, the table a page at a time and its CSV (the same columns as the
//! API's), streamed as it is read.

use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::pager::Pager;
use super::{PageError, SignedIn, page, render};
use crate::authz::Permission;
use crate::db::Db;
use crate::domain::report::{self, Cell, Filter, FilterInput, Format, Prepared, REPORTS};
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

fn bars(chart: &[(String, i64)], counts: bool) -> Vec<Bar> {
    let max = chart.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    chart
        .iter()
        .take(40)
        .enumerate()
        .map(|(i, (label, v))| Bar {
            label: label.chars().take(28).collect(),
            value: if counts { v.to_string() } else { hours(*v) },
            y: i * BAR_HEIGHT,
            width: ((*v).max(0) as usize * BAR_MAX / max as usize).max(1),
        })
        .collect()
}

/// What the page shows of a report that ran.
struct Shown {
    columns: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
    chart_counts: bool,
    chart_by: &'static str,
    /// Bars in the whole chart (the figure draws the first 40).
    chart_len: usize,
}

#[derive(Template)]
#[template(path = "reports/show.html")]
struct ShowPage {
    layout: Layout,
    name: String,
    title: String,
    input: FilterInput,
    /// The period the report covers, as checked (the fields show it too).
    period: Option<(String, String)>,
    /// The org, project, team and person pickers (`web::pick`).
    pickers: super::pick::Filters,
    errors: FieldErrors,
    report: Option<Shown>,
    pager: Pager,
    bars: Vec<Bar>,
    chart_height: usize,
    total: Option<String>,
    csv_link: String,
}

/// Rows a report page shows.
pub const PER_PAGE: usize = 50;

#[derive(Deserialize)]
struct ShowQuery {
    format: Option<String>,
    page: Option<String>,
    #[serde(flatten)]
    filter: FilterInput,
}

/// The filters as query parameters (the checked ones when there are).
fn filter_params(input: &FilterInput) -> Vec<(&'static str, String)> {
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        ("org_id", v(&input.org_id)),
        ("from", v(&input.from)),
        ("to", v(&input.to)),
        ("project_id", v(&input.project_id)),
        ("team_id", v(&input.team_id)),
        ("user_id", v(&input.user_id)),
    ]
}

/// The form shows the filter the report ran with: the default org and
/// period are written into the fields, never hidden behind empty ones.
fn shown_input(input: &FilterInput, f: &Filter) -> FilterInput {
    FilterInput {
        org_id: Some(f.org_id.to_string()),
        from: Some(f.from.to_string()),
        to: Some(f.to.to_string()),
        ..input.clone()
    }
}

/// `GET /reports/{name}?org_id=&from=&to=&project_id=&team_id=&user_id=&page=`,
/// and `&format=csv` for the download (every row, streamed).
#[get("/reports/{name}")]
async fn show(
    me: SignedIn,
    name: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, PageError> {
    let name = name.into_inner();
    let title = report::title_of(&name).ok_or(Error::NotFound)?;
    let query = query.into_inner();
    let format = Format::parse(query.format.as_deref(), Format::Json);
    let page_no = super::page_number(query.page.as_deref());
    let mut input = query.filter;
    let mut pickers = super::pick::filters(
        &me,
        Permission::ReportView,
        &mut input.org_id,
        &mut input.project_id,
        &mut input.team_id,
        &mut input.user_id,
    )
    .await?;
    let parsed = input.parse(&me.access, crate::db::now().date());
    // Left empty, the org is the person's default scope: its field shows it
    // as if it had been picked.
    if let Ok(f) = &parsed
        && pickers.org.value.trim().is_empty()
    {
        pickers.org.value = super::pick::org_value(&me, Some(f.org_id)).await?;
    }
    let access = me.access.clone();
    let (run_name, filter) = (name.clone(), parsed.as_ref().ok().cloned());
    let csv = matches!(format, Ok(Format::Csv));
    let outcome = me
        .db()
        .read(move |conn| {
            let Some(f) = filter else {
                return Ok(None);
            };
            let prepared = match report::prepare(conn, &access, &run_name, &f) {
                Ok(p) => p,
                Err(Error::Validation(e)) => return Ok(Some(Err(Error::Validation(e)))),
                Err(e) => return Err(e),
            };
            if csv {
                return Ok(Some(Ok((prepared, None))));
            }
            let shown = prepared.page(conn, page_no, PER_PAGE)?;
            Ok(Some(Ok((prepared, Some(shown)))))
        })
        .await?;
    let ran = outcome;
    let mut errors = match &parsed {
        Err(Error::Validation(e)) => e.clone(),
        Err(e) => return Err(PageError::from(Error::BadRequest(e.to_string()))),
        _ => FieldErrors::new(),
    };
    errors.0.extend(pickers.errors.0.clone());
    if let Err(Error::Validation(e)) = &format {
        errors.0.extend(e.0.clone());
    }
    let ran = match ran {
        Some(Ok(r)) => Some(r),
        Some(Err(Error::Validation(e))) => {
            errors.0.extend(e.0);
            None
        }
        Some(Err(e)) => return Err(e.into()),
        None => None,
    };
    let (prepared, shown_page) = match ran {
        Some((p, shown)) => (Some(p), shown),
        None => (None, None),
    };
    let prepared = match prepared {
        Some(p) if csv && errors.is_empty() => {
            return Ok(download(me.db().clone(), p, Format::Csv));
        }
        other => other,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let input = match &parsed {
        Ok(f) => shown_input(&input, f),
        Err(_) => input,
    };
    let period = parsed
        .as_ref()
        .ok()
        .map(|f| (f.from.to_string(), f.to.to_string()));
    let params = filter_params(&input);
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let base = format!("/reports/{name}");
    let (report, pager, bars, total) = match (prepared, shown_page) {
        (Some(p), Some(shown)) => (
            Some(Shown {
                columns: p.columns,
                rows: shown.rows,
                chart_counts: p.chart_counts,
                chart_by: p.chart_by,
                chart_len: shown.chart.len(),
            }),
            Pager::new(&base, &borrowed, shown.page, PER_PAGE, shown.total_rows),
            bars(&shown.chart, p.chart_counts),
            shown.total_minutes.map(hours),
        ),
        _ => (
            None,
            Pager::new(&base, &borrowed, 1, PER_PAGE, 0),
            vec![],
            None,
        ),
    };
    let mut with_format = borrowed.clone();
    with_format.retain(|(_, v)| !v.is_empty());
    with_format.push(("format", "csv"));
    let csv_link = format!(
        "{base}?{}",
        serde_urlencoded::to_string(&with_format).unwrap_or_default()
    );
    Ok(render(
        status,
        &ShowPage {
            layout: me.ctx.layout(title, "reports")?,
            title: title.to_string(),
            chart_height: bars.len() * BAR_HEIGHT + 4,
            name,
            input,
            period,
            pickers,
            errors,
            report,
            pager,
            bars,
            total,
            csv_link,
        },
    ))
}

/// Bytes gathered before they go to the client.
const CHUNK: usize = 32 * 1024;
/// Chunks waiting for a slow client before the database read waits too.
const CHUNKS_AHEAD: usize = 4;

/// Writes a report's rows as CSV or as the API's JSON `{name, columns, rows}`.
struct Writer {
    format: Format,
    buf: Vec<u8>,
    first: bool,
}

/// One CSV field, quoted when it holds a comma, a quote or a line break
/// (quotes doubled), as the `csv` crate writes it.
fn csv_field(out: &mut Vec<u8>, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(field.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

fn csv_record<S: AsRef<str>>(out: &mut Vec<u8>, fields: impl Iterator<Item = S>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_field(out, f.as_ref());
    }
    out.push(b'\n');
}

impl Writer {
    fn start(format: Format, prepared: &Prepared) -> Result<Writer, Error> {
        let mut w = Writer {
            format,
            buf: Vec::with_capacity(CHUNK + 1024),
            first: true,
        };
        match format {
            Format::Csv => csv_record(&mut w.buf, prepared.columns.iter()),
            Format::Json => {
                let head = serde_json::json!({"name": prepared.name, "columns": prepared.columns});
                let mut text = serde_json::to_string(&head).map_err(Error::internal)?;
                text.pop(); // the closing brace: the rows follow
                w.buf.extend_from_slice(text.as_bytes());
                w.buf.extend_from_slice(b",\"rows\":[");
            }
        }
        Ok(w)
    }

    fn row(&mut self, row: &[Cell]) -> Result<(), Error> {
        match self.format {
            Format::Csv => {
                csv_record(&mut self.buf, row.iter().map(Cell::display));
                Ok(())
            }
            Format::Json => {
                if !self.first {
                    self.buf.push(b',');
                }
                self.first = false;
                let cells: Vec<serde_json::Value> = row.iter().map(Cell::json).collect();
                serde_json::to_writer(&mut self.buf, &cells).map_err(Error::internal)
            }
        }
    }

    /// The bytes ready to send, when there are enough (or `all`).
    fn take(&mut self, all: bool) -> Option<Bytes> {
        if self.buf.is_empty() || (!all && self.buf.len() < CHUNK) {
            return None;
        }
        Some(Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK + 1024),
        )))
    }

    fn finish(&mut self) -> Option<Bytes> {
        if self.format == Format::Json {
            self.buf.extend_from_slice(b"]}");
        }
        self.take(true)
    }
}

/// The whole report as a download: rows go to the client as they are read
/// (a blocking task walks the statement and hands chunks over a bounded
/// channel), so neither the report nor its text is ever held whole. A client
/// that goes away stops the walk.
pub fn download(db: Db, prepared: Prepared, format: Format) -> HttpResponse {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_AHEAD);
    let name = prepared.name;
    tokio::task::spawn_blocking(move || {
        let send = |bytes: Bytes| {
            tx.blocking_send(Ok(bytes))
                .map_err(|_| Error::BadRequest("the client went away".into()))
        };
        let outcome = db.read_sync(|conn| {
            let mut w = Writer::start(format, &prepared)?;
            prepared.for_each(conn, &mut |row| {
                w.row(&row)?;
                if let Some(bytes) = w.take(false) {
                    send(bytes)?;
                }
                Ok(())
            })?;
            if let Some(bytes) = w.finish() {
                send(bytes)?;
            }
            Ok(())
        });
        if let Err(e) = outcome {
            crate::http::log_if_internal(&e);
            // Cuts the response short: a download that ends early is not
            // mistaken for a whole one.
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut response = HttpResponse::Ok();
    match format {
        Format::Csv => response
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{name}.csv\""),
            )),
        Format::Json => response.content_type("application/json"),
    };
    response.streaming(body)
}
