//! Two-factor sign-in on the pages: setting it up from the profile, the code
//! step of signing in, and an admin's reset on a person's page. The rules are
//! `domain::two_factor`'s.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageCtx, PageError, SignedIn, render, safe_next, see_other};
use crate::domain::{auth, two_factor};
use crate::error::{Error, FieldErrors};

/// Where a person sets it up (and where they are sent while they must).
pub const ENROL_PAGE: &str = "/profile/two-factor";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(confirm)
        .service(turn_off)
        .service(reset)
        .service(code_form)
        .service(code_submit);
}

/// The pages open to someone who must set up two-factor sign-in first.
pub fn open_before_enrolling(path: &str) -> bool {
    path == ENROL_PAGE || path.starts_with("/profile/two-factor/")
}

#[derive(Template)]
#[template(path = "profile/two_factor.html")]
struct SetupPage {
    layout: Layout,
    status: two_factor::Status,
    /// While it is off: what the app scans.
    enrolment: Option<two_factor::Enrolment>,
    /// Shown once, right after confirming.
    recovery_codes: Option<Vec<String>>,
    required: bool,
    must_enroll: bool,
    errors: FieldErrors,
}

async fn render_setup(
    me: &SignedIn,
    status_code: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let person = me.user.clone();
    let (status, enrolment, required) = me
        .db()
        .write(move |conn| {
            let status = two_factor::status(conn, person.id)?;
            // Off: the enrolment waiting for its first code, begun on the
            // first visit and the same on every reload.
            let enrolment = match status.on_since {
                None => Some(two_factor::enrolment(conn, &person)?),
                Some(_) => None,
            };
            let required = two_factor::required_for(conn, person.org_id)?;
            Ok((status, enrolment, required))
        })
        .await?;
    Ok(render(
        status_code,
        &SetupPage {
            layout: me.ctx.layout("Two-factor sign-in", "profile")?,
            status,
            enrolment,
            recovery_codes: me.ctx.session.take_recovery_codes(),
            required,
            must_enroll: me.ctx.session.must_enroll(),
            errors,
        },
    ))
}

#[get("/profile/two-factor")]
async fn show(me: SignedIn) -> Result<HttpResponse, PageError> {
    render_setup(&me, StatusCode::OK, FieldErrors::new()).await
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    next: Option<String>,
}

/// `POST /profile/two-factor/confirm`: the first code turns it on; the
/// recovery codes are shown once on the page that follows.
#[post("/profile/two-factor/confirm")]
async fn confirm(me: SignedIn, form: web::Form<CodeForm>) -> Result<HttpResponse, PageError> {
    let (actor, person, code) = (me.actor(), me.user.clone(), form.into_inner().code);
    let outcome = me
        .db()
        .write(move |conn| two_factor::confirm(conn, &actor, &person, &code))
        .await;
    match outcome {
        Ok(codes) => {
            me.ctx.session.set_recovery_codes(&codes)?;
            me.ctx.session.set_must_enroll(false)?;
            me.ctx.flash("success", "Two-factor sign-in is on.")?;
            see_other(ENROL_PAGE)
        }
        Err(Error::Validation(errors)) => {
            render_setup(&me, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /profile/two-factor/off`: unless the person's org requires it.
#[post("/profile/two-factor/off")]
async fn turn_off(me: SignedIn) -> Result<HttpResponse, PageError> {
    let (actor, person) = (me.actor(), me.user.clone());
    me.db()
        .write(move |conn| two_factor::turn_off(conn, &actor, &person))
        .await?;
    me.ctx.flash("info", "Two-factor sign-in is off.")?;
    see_other("/profile")
}

/// `POST /users/{id}/two-factor/reset`: an admin with `user.manage` there.
#[post("/users/{id}/two-factor/reset")]
async fn reset(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (access, actor, id) = (me.access.clone(), me.actor(), id.into_inner());
    let person = me
        .db()
        .write(move |conn| two_factor::reset_as(conn, &access, &actor, id))
        .await?;
    let message = format!(
        "The two-factor sign-in of {} is reset; they were told by mail.",
        person.display_name
    );
    me.ctx.flash("success", message)?;
    see_other(&format!("/users/{id}"))
}

#[derive(Template)]
#[template(path = "auth/sign_in_code.html")]
struct CodePage {
    layout: Layout,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// `GET /sign-in/code`: the second step, while the password step's wait lasts.
#[get("/sign-in/code")]
async fn code_form(ctx: PageCtx, query: web::Query<NextQuery>) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    if ctx.session.pending_code().is_none() {
        return see_other("/sign-in");
    }
    let page = CodePage {
        layout: ctx.layout("Sign in: code", "")?,
        next,
        error: None,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `POST /sign-in/code`: a code from the app or a recovery code completes the
/// sign-in; wrong ones are throttled like wrong passwords.
#[post("/sign-in/code")]
async fn code_submit(ctx: PageCtx, form: web::Form<CodeForm>) -> Result<HttpResponse, PageError> {
    let CodeForm { code, next } = form.into_inner();
    let next = safe_next(next.as_deref());
    let Some(user_id) = ctx.session.pending_code() else {
        ctx.flash("info", "That took too long: sign in again.")?;
        return see_other("/sign-in");
    };
    let (state, ip) = (ctx.state.clone(), ctx.ip.clone());
    let outcome = web::block(move || auth::sign_in_code(&state.db, user_id, &code, &ip)).await??;
    let (status, message, retry_after) = match outcome {
        auth::SignIn::Done(user) => {
            ctx.start_session(&user).await?;
            return see_other(&next);
        }
        auth::SignIn::SlowDown { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many wrong codes. Wait a few minutes, then try again.".to_string(),
            Some(retry_after_secs),
        ),
        auth::SignIn::Failed | auth::SignIn::NeedsCode(_) | auth::SignIn::PasswordOff => (
            StatusCode::UNAUTHORIZED,
            "That code is not right. Enter the code your app shows now, or one of your \
             recovery codes."
                .to_string(),
            None,
        ),
    };
    let page = CodePage {
        layout: ctx.layout("Sign in: code", "")?,
        next,
        error: Some(message),
    };
    let mut response = render(status, &page);
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(seconds.max(1)),
        );
    }
    Ok(response)
}
