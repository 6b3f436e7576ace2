//! An org's Seats tab: the pool its people draw from, the shares below it,
//! and the people of its subtree with their seats, ticked for bulk assign
//! and unassign (`domain::seats`, as the API's `POST /orgs/{id}/seats`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::OrgHeader;
use crate::domain::seats::{self, Seat, Summary};
use crate::domain::user::User;
use crate::error::{Error, FieldErrors};
use crate::web::error::form_errors;
use crate::web::layout::Layout;
use crate::web::pager::{Pager, fetch};
use crate::web::users::org_paths;
use crate::web::{PageError, SignedIn, render, see_other};

const PER_PAGE: usize = 50;

/// One person on the tab.
pub struct SeatRow {
    pub user: User,
    pub home: String,
    pub seat: Option<Seat>,
}

#[derive(Template)]
#[template(path = "orgs/seats.html")]
struct SeatsTab {
    layout: Layout,
    h: OrgHeader,
    summary: Summary,
    rows: Vec<SeatRow>,
    pager: Pager,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    page: Option<String>,
}

/// `GET /orgs/{id}/seats`.
#[get("/orgs/{id}/seats")]
pub(super) async fn seats_tab(
    me: SignedIn,
    id: web::Path<i64>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    let page_no = crate::web::page_number(query.page.as_deref());
    render_tab(
        &me,
        id.into_inner(),
        page_no,
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

async fn render_tab(
    me: &SignedIn,
    id: i64,
    page_no: usize,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let access = me.access.clone();
    let (h, summary, rows, total, page_no) = me
        .db()
        .read(move |conn| {
            let h = OrgHeader::load(conn, &access, id, "seats")?;
            h.require_inside()?;
            let summary = seats::summary_as(conn, &access, id)?;
            let (shown, total, page_no) = fetch(page_no, PER_PAGE, |offset, limit| {
                seats::people_page(conn, &access, id, offset, limit)
            })?;
            let homes: Vec<i64> = shown.iter().map(|(u, _)| u.org_id).collect();
            let mut paths = org_paths(conn, &access, &homes)?;
            let rows = shown
                .into_iter()
                .map(|(user, seat)| SeatRow {
                    home: paths.remove(&user.org_id).unwrap_or_default(),
                    user,
                    seat,
                })
                .collect::<Vec<_>>();
            Ok((h, summary, rows, total, page_no))
        })
        .await?;
    let pager = Pager::new(&format!("/orgs/{id}/seats"), &[], page_no, PER_PAGE, total);
    let layout = me.ctx.layout(format!("{} · Seats", h.org.name), "orgs")?;
    Ok(render(
        status,
        &SeatsTab {
            layout,
            h,
            summary,
            rows,
            pager,
            errors,
        },
    ))
}

/// `POST /orgs/{id}/seats`: `action` (`assign` or `unassign`) for every
/// ticked `user`; all or nothing.
#[post("/orgs/{id}/seats")]
pub(super) async fn seats_bulk(
    me: SignedIn,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let fields = form.into_inner();
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    let page_no = crate::web::page_number(get("page").as_deref());
    let mut ids = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == "user") {
        match v.trim().parse::<i64>() {
            Ok(n) => ids.push(n),
            Err(_) => return Err(Error::BadRequest("bad person id".into()).into()),
        }
    }
    let assign = match get("action").as_deref() {
        Some("assign") => true,
        Some("unassign") => false,
        _ => {
            let errors = FieldErrors::of("action", "Choose assign or unassign.");
            return render_tab(&me, id, page_no, StatusCode::UNPROCESSABLE_ENTITY, errors).await;
        }
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let outcome = me
        .db()
        .write(move |conn| {
            let (a, u) = if assign {
                (ids, Vec::new())
            } else {
                (Vec::new(), ids)
            };
            seats::bulk_as(conn, &access, &actor, id, &a, &u)
        })
        .await;
    match outcome {
        Ok(done) => {
            let message = if assign {
                format!("{} seats assigned.", done.assigned)
            } else {
                format!("{} seats taken back.", done.unassigned)
            };
            me.ctx.flash("success", message)?;
            see_other(&format!("/orgs/{id}/seats?page={page_no}"))
        }
        Err(e) => {
            let (status, mut errors) = form_errors(e, "form")?;
            // The form has one list of people: what the domain says of those to
            // assign or unassign is said next to it.
            for field in ["assign", "unassign"] {
                if let Some(m) = errors.get(field).map(str::to_string) {
                    errors.add("users", m);
                }
            }
            render_tab(&me, id, page_no, status, errors).await
        }
    }
}
