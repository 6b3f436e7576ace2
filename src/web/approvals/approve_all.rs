//! "Approve all N matching the filter": a confirmation page that shows N and
//! the filter and records exactly which parts matched (each with its sheet's
//! version), then the approval of those parts alone, in batches, each through
//! the single-approval rule; whatever changed in between is skipped and
//! counted (`domain::inbox::approve_seen`).

use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{InboxQuery, thousands};
use crate::domain::approval::{Approver, PendingFilter};
use crate::domain::inbox::{self, BATCH, BulkOutcome, MAX_APPROVE_ALL, Seen};
use crate::error::{Error, FieldErrors};
use crate::web::layout::Layout;
use crate::web::{PageError, SignedIn, page, see_other};

#[derive(Template)]
#[template(path = "approvals/confirm_all.html")]
struct ConfirmPage {
    layout: Layout,
    form: InboxQuery,
    described: Vec<(&'static str, String)>,
    total: i64,
    total_text: String,
    max_text: String,
    /// `part.version …` of every matching part; `None` when too many.
    seen: Option<String>,
    back: String,
}

/// `GET /approvals/approve-all?project=&team=&org=&week=`: how many parts the
/// filter matches now, and the button that approves exactly those.
#[get("/approvals/approve-all")]
pub(super) async fn confirm(
    me: SignedIn,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, PageError> {
    let form = query.into_inner();
    let (access, input) = (me.access.clone(), form.input());
    let (described, total, seen) = me
        .db()
        .read(move |conn| {
            let read = inbox::read_filter(conn, &access, &input)?;
            let approver = Approver::load(conn, &access)?;
            let (total, seen) = inbox::all_matching(conn, &approver, &read.filter)?;
            Ok((read.described, total, seen))
        })
        .await?;
    let query = form.filter_query();
    page(&ConfirmPage {
        layout: me.ctx.layout("Approve all matching", "approvals")?,
        described,
        total,
        total_text: thousands(total),
        max_text: thousands(MAX_APPROVE_ALL),
        seen: seen.map(|s| Seen::encode(&s)),
        back: inbox_path(&query),
        form,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApproveAllForm {
    project: String,
    team: String,
    org: String,
    week: String,
    sort: String,
    /// What the confirmation page saw: `part.version` pairs.
    seen: String,
}

/// `POST /approvals/approve-all`: approves the parts the confirmation listed
/// that still match the filter for the viewer and whose sheet has not changed
/// since; says how many went through and how many were skipped, and why.
#[post("/approvals/approve-all")]
pub(super) async fn approve(
    me: SignedIn,
    form: web::Form<ApproveAllForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let seen = seen_list(&form.seen)?;
    let query = InboxQuery::from(form);
    let (access, input) = (me.access.clone(), query.input());
    let filter = me
        .db()
        .read(move |conn| Ok(inbox::read_filter(conn, &access, &input)?.filter))
        .await?;
    let total = approve_in_batches(&me, &filter, &seen).await?;
    flash_outcome(&me, &total)?;
    see_other(&inbox_path(&query.filter_query()))
}

impl From<ApproveAllForm> for InboxQuery {
    fn from(form: ApproveAllForm) -> Self {
        InboxQuery {
            project: form.project,
            team: form.team,
            org: form.org,
            week: form.week,
            sort: form.sort,
            page: String::new(),
        }
    }
}

/// The inbox with `query` (its filter) kept.
fn inbox_path(query: &str) -> String {
    if query.is_empty() {
        "/approvals".to_string()
    } else {
        format!("/approvals?{query}")
    }
}

/// The parts the confirmation listed: readable, some, and not too many.
fn seen_list(raw: &str) -> Result<Vec<Seen>, Error> {
    let Some(seen) = Seen::parse_list(raw) else {
        return Err(Error::BadRequest(
            "The list of items to approve could not be read.".into(),
        ));
    };
    if seen.is_empty() {
        return Err(FieldErrors::single(
            "seen",
            "Nothing was listed to approve.",
        ));
    }
    if seen.len() as i64 > MAX_APPROVE_ALL {
        return Err(FieldErrors::single(
            "seen",
            format!(
                "Approve at most {} at once; narrow the filter.",
                thousands(MAX_APPROVE_ALL)
            ),
        ));
    }
    Ok(seen)
}

/// Approves `seen` in batches of [`BATCH`], one transaction each, adding up
/// what each did.
async fn approve_in_batches(
    me: &SignedIn,
    filter: &PendingFilter,
    seen: &[Seen],
) -> Result<BulkOutcome, PageError> {
    let mut total = BulkOutcome::default();
    for chunk in seen.chunks(BATCH) {
        let (access, actor, filter, chunk) = (
            me.access.clone(),
            me.actor(),
            filter.clone(),
            chunk.to_vec(),
        );
        let outcome = me
            .db()
            .write(move |conn| {
                let approver = Approver::load(conn, &access)?;
                inbox::approve_seen(conn, &actor, &approver, &filter, &chunk)
            })
            .await?;
        total.approved += outcome.approved;
        total.no_longer_matching += outcome.no_longer_matching;
        total.changed += outcome.changed;
        total.refused.extend(outcome.refused);
    }
    Ok(total)
}

/// Says how many went through, how many were skipped and why, and which
/// were refused.
fn flash_outcome(me: &SignedIn, total: &BulkOutcome) -> Result<(), PageError> {
    if total.approved > 0 {
        me.ctx.flash(
            "success",
            format!("{} approved.", thousands(total.approved as i64)),
        )?;
    }
    let mut skipped: Vec<String> = Vec::new();
    if total.no_longer_matching > 0 {
        skipped.push(format!(
            "{} no longer waited for you or no longer matched the filter",
            thousands(total.no_longer_matching as i64)
        ));
    }
    if total.changed > 0 {
        skipped.push(format!(
            "{} changed since you confirmed",
            thousands(total.changed as i64)
        ));
    }
    if !skipped.is_empty() {
        me.ctx
            .flash("error", format!("Skipped: {}.", skipped.join("; ")))?;
    }
    if !total.refused.is_empty() {
        me.ctx.flash("error", super::not_approved(&total.refused))?;
    }
    Ok(())
}
