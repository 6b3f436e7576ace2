//! Report pages: the list, and each report with its filters, an inline SVG
//! chart, the table a page at a time and its CSV (the same columns as the
//! API's), streamed as it is read.

use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::pager::Pager;
use super::{PageError, SignedIn, page, render};
use crate::authz::Permission;
use chrono::NaiveDate;

use crate::domain::report::period::Preset;
use crate::domain::report::{self, Cell, Filter, FilterInput, Format, REPORTS};
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

/// A period preset as a link that fills From and To (no script needed).
struct PresetLink {
    key: &'static str,
    label: &'static str,
    href: String,
    /// The period shown is this one.
    current: bool,
}

/// The presets of `report::period`, each a link to the report with the
/// same filters and its dates.
fn preset_links(name: &str, input: &FilterInput, presets: Vec<Preset>) -> Vec<PresetLink> {
    presets
        .into_iter()
        .map(|p| {
            let (from, to) = (p.from.to_string(), p.to.to_string());
            let mut params = filter_params(input);
            for (k, v) in params.iter_mut() {
                match *k {
                    "from" => v.clone_from(&from),
                    "to" => v.clone_from(&to),
                    _ => {}
                }
            }
            params.retain(|(_, v)| !v.is_empty());
            PresetLink {
                key: p.key,
                label: p.label,
                href: format!(
                    "/reports/{name}?{}",
                    serde_urlencoded::to_string(&params).unwrap_or_default()
                ),
                current: input.from.as_deref() == Some(from.as_str())
                    && input.to.as_deref() == Some(to.as_str()),
            }
        })
        .collect()
}

/// What the page shows of a report that ran.
struct Shown {
    /// The columns' headings (labels; the CSV keeps the names).
    columns: Vec<&'static str>,
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
    period: Option<(NaiveDate, NaiveDate)>,
    /// This week, last month, … as links; "custom" is the two fields.
    presets: Vec<PresetLink>,
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
    let (pickers, parsed) = read_filters(&me, &mut input).await?;
    let (access, run_name) = (me.access.clone(), name.clone());
    let filter = parsed.as_ref().ok().cloned();
    let csv = matches!(format, Ok(Format::Csv));
    let (ran, presets) = me
        .db()
        .read(move |conn| run(conn, &access, &run_name, filter, csv, page_no))
        .await?;
    let (errors, ran) = collect_errors(&parsed, &pickers, &format, ran)?;
    if csv
        && errors.is_empty()
        && let Some((prepared, _)) = ran
    {
        let db = me.db().clone();
        return Ok(crate::http::download::download(db, prepared, Format::Csv));
    }
    let input = match &parsed {
        Ok(f) => shown_input(&input, f),
        Err(_) => input,
    };
    let period = parsed.ok().map(|f| (f.from, f.to));
    let layout = me.ctx.layout(title, "reports")?;
    let mut page = ShowPage::of(layout, name, title, ran, (input, period, pickers, errors));
    page.presets = preset_links(&page.name, &page.input, presets);
    Ok(render(crate::web::error::status_for(&page.errors), &page))
}

/// The filter as the form shows it: the input, the period checked, the
/// pickers and every message.
type FilterShown = (
    FilterInput,
    Option<(NaiveDate, NaiveDate)>,
    super::pick::Filters,
    FieldErrors,
);

impl ShowPage {
    /// The page of report `name`: its table, chart, total, pager and CSV
    /// link when it ran, else the form alone.
    fn of(layout: Layout, name: String, title: &str, ran: Option<Ran>, form: FilterShown) -> Self {
        let (input, period, pickers, errors) = form;
        let params = filter_params(&input);
        let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let base = format!("/reports/{name}");
        let (report, pager, bars, total) = match ran {
            Some((p, Some(shown))) => (
                Some(Shown {
                    columns: p.columns.iter().map(|c| report::column_label(c)).collect(),
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
        ShowPage {
            layout,
            title: title.to_string(),
            chart_height: bars.len() * BAR_HEIGHT + 4,
            name,
            input,
            period,
            presets: vec![],
            pickers,
            errors,
            report,
            pager,
            bars,
            total,
            csv_link,
        }
    }
}

/// Resolves the org, project, team and person pickers in `input` and checks
/// the filter. Left empty, the org is the one the person works in, else
/// their default scope: its field shows it as if it had been picked.
async fn read_filters(
    me: &SignedIn,
    input: &mut FilterInput,
) -> Result<(super::pick::Filters, crate::error::Result<Filter>), PageError> {
    let mut pickers = super::pick::filters(
        me,
        Permission::ReportView,
        &mut input.org_id,
        &mut input.project_id,
        &mut input.team_id,
        &mut input.user_id,
    )
    .await?;
    // Left empty, the org is the one the person works in (the shell's
    // switcher) when they read reports there.
    let empty = input.org_id.as_deref().is_none_or(|o| o.trim().is_empty());
    if empty
        && let Some((org, _)) = &me.ctx.context
        && me.access.can(Permission::ReportView, *org)
    {
        input.org_id = Some(org.to_string());
    }
    let parsed = input.parse(&me.access, crate::db::now().date());
    if let Ok(f) = &parsed
        && pickers.org.value.trim().is_empty()
    {
        pickers.org.value = super::pick::org_value(me, Some(f.org_id)).await?;
    }
    Ok((pickers, parsed))
}

/// Prepares report `name` under `filter` (none when the filter is not
/// valid) and reads page `page_no`, unless it is for the download; the
/// report's own 422 comes back as a value. With it, the period presets on
/// the filter's org (by its week start) for the page.
fn run(
    conn: &mut crate::db::Conn,
    access: &crate::authz::Access,
    name: &str,
    filter: Option<Filter>,
    csv: bool,
    page_no: usize,
) -> crate::error::Result<(Option<crate::error::Result<Ran>>, Vec<Preset>)> {
    let Some(f) = filter else {
        return Ok((None, vec![]));
    };
    let presets = if csv {
        vec![]
    } else {
        let week_start = crate::domain::timesheet::rules(conn, f.org_id)?.week_start;
        report::period::presets(crate::db::now().date(), week_start)
    };
    let prepared = match report::prepare(conn, access, name, &f) {
        Ok(p) => p,
        Err(Error::Validation(e)) => return Ok((Some(Err(Error::Validation(e))), presets)),
        Err(e) => return Err(e),
    };
    if csv {
        return Ok((Some(Ok((prepared, None))), presets));
    }
    let shown = prepared.page(conn, page_no, PER_PAGE)?;
    Ok((Some(Ok((prepared, Some(shown)))), presets))
}

/// A report prepared, with the page shown (none for the download).
type Ran = (report::Prepared, Option<report::ReportPage>);

/// Every message for the page: the filter's, the pickers', the format's and
/// the report's own; the report run, if it could be.
fn collect_errors(
    parsed: &crate::error::Result<Filter>,
    pickers: &super::pick::Filters,
    format: &crate::error::Result<Format>,
    ran: Option<crate::error::Result<Ran>>,
) -> Result<(FieldErrors, Option<Ran>), PageError> {
    let mut errors = match parsed {
        Err(Error::Validation(e)) => e.clone(),
        Err(e) => return Err(PageError::from(Error::BadRequest(e.to_string()))),
        _ => FieldErrors::new(),
    };
    errors.0.extend(pickers.errors.0.clone());
    if let Err(Error::Validation(e)) = format {
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
    Ok((errors, ran))
}
