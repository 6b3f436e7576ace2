//! The sheet's actions from its page or the inbox: submit, withdraw,
//! approve, reject, reopen.

use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::Deserialize;

use crate::domain::approval::{self, Action, ActionInput};
use crate::domain::timesheet::{self};
use crate::error::{Error, FieldErrors};
use crate::web::{PageError, SignedIn, see_other};

use super::grid::{Outcome, build_page, load};

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ActForm {
    version: String,
    project_id: String,
    reason: String,
    /// Where to go afterwards (a local path), else back to the sheet.
    back: String,
}

/// `POST /timesheets/{id}/{action}`: withdraw, approve, reject, reopen (and
/// submit) from the sheet page or the approvals inbox.
#[post("/timesheets/{id}/{action:withdraw|approve|reject|reopen|submit}")]
pub(super) async fn act(
    me: SignedIn,
    path: web::Path<(i64, String)>,
    form: web::Form<ActForm>,
) -> Result<HttpResponse, PageError> {
    let (id, name) = path.into_inner();
    let action = Action::parse(&name).ok_or(Error::NotFound)?;
    let form = form.into_inner();
    let input = ActionInput {
        version: form.version.trim().parse().ok(),
        project_id: form.project_id.trim().parse().ok(),
        reason: form.reason.clone(),
    };
    let (access, actor) = (me.access.clone(), me.actor());
    let result = me
        .db()
        .write(move |conn| {
            let week = approval::act(conn, &actor, &access, id, action, &input)?;
            Ok((week.user.id, week.week_start))
        })
        .await;
    match result {
        Ok(at) => {
            me.ctx.flash("success", done_message(action))?;
            see_other(&form.back_to(at))
        }
        Err(e @ (Error::Validation(_) | Error::Conflict { .. } | Error::Forbidden(_))) => {
            sheet_again(&me, id, e).await
        }
        Err(e) => Err(e.into()),
    }
}

impl ActForm {
    /// Where to go after acting: `back` (a local path), else the sheet.
    fn back_to(&self, at: (i64, NaiveDate)) -> String {
        if self.back.is_empty() {
            format!("/timesheets/{}/{}", at.0, at.1)
        } else {
            crate::web::safe_next(Some(&self.back))
        }
    }
}

/// What the person is told once `action` went through.
fn done_message(action: Action) -> &'static str {
    match action {
        Action::Submit => "The week is submitted for approval.",
        Action::Withdraw => "The week is withdrawn; it is a draft again.",
        Action::Approve => "Approved.",
        Action::Reject => "Rejected; the person is told why.",
        Action::Reopen => "The week is reopened.",
    }
}

/// The sheet `id` again with the reason next to the field (422), or the
/// conflict or refusal at the top.
async fn sheet_again(me: &SignedIn, id: i64, e: Error) -> Result<HttpResponse, PageError> {
    let status = crate::http::status_of(&e);
    let (errors, problem) = match e {
        Error::Validation(errors) => (errors, None),
        other => (FieldErrors::new(), Some(other.to_string())),
    };
    let access = me.access.clone();
    let loaded = me
        .db()
        .read(move |conn| {
            let sheet = timesheet::find(conn, id)?;
            load(conn, &access, sheet.user_id, sheet.week_start)
        })
        .await?;
    build_page(
        me,
        loaded,
        Outcome {
            errors,
            problem,
            ..Outcome::default()
        },
        status,
    )
}
