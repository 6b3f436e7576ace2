//! Signing in and out, and the first-run setup page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageCtx, PageError, page, render, safe_next, see_other};
use crate::domain::audit::{self, Event, Target};
use crate::domain::{auth, session, setup};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in_form)
        .service(sign_in)
        .service(sign_out)
        .service(setup_form)
        .service(setup_submit);
}

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
struct SignInPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[get("/sign-in")]
async fn sign_in_form(
    ctx: PageCtx,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(query.next.as_deref());
    if ctx.user.is_some() {
        return see_other(&next);
    }
    page(&SignInPage {
        layout: ctx.layout("Sign in", "")?,
        email: String::new(),
        next,
        error: None,
    })
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[post("/sign-in")]
async fn sign_in(ctx: PageCtx, form: web::Form<SignInForm>) -> Result<HttpResponse, PageError> {
    let SignInForm {
        email,
        password,
        next,
    } = form.into_inner();
    let next = safe_next(next.as_deref());
    let state = ctx.state.clone();
    let (typed_email, ip) = (email.clone(), ctx.ip.clone());
    let outcome = web::block(move || {
        auth::sign_in(&state.db, &typed_email, &password, &ip, &state.dummy_hash)
    })
    .await??;
    let (status, message, retry_after) = match outcome {
        auth::SignIn::Done(user) => {
            ctx.start_session(&user).await?;
            return see_other(&next);
        }
        auth::SignIn::NeedsCode(user) => {
            ctx.session.set_pending_code(user.id)?;
            return see_other(&format!(
                "/sign-in/code?next={}",
                super::error::urlencode(&next)
            ));
        }
        refused => refusal(refused),
    };
    let mut response = render(
        status,
        &SignInPage {
            layout: ctx.layout("Sign in", "")?,
            email: email.trim().chars().take(254).collect(),
            next,
            error: Some(message),
        },
    );
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from(seconds.max(1)),
        );
    }
    Ok(response)
}

/// What a refused sign-in answers: the status, the message, and for a
/// throttled one the seconds to wait.
fn refusal(outcome: auth::SignIn) -> (StatusCode, String, Option<i64>) {
    match outcome {
        auth::SignIn::SlowDown { retry_after_secs } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins from your address. Try again in {}.",
                in_words(retry_after_secs)
            ),
            Some(retry_after_secs),
        ),
        auth::SignIn::Failed | auth::SignIn::Done(_) | auth::SignIn::NeedsCode(_) => {
            (StatusCode::UNAUTHORIZED, auth::FAILED_MESSAGE.into(), None)
        }
    }
}

/// A wait as people say it: "45 seconds", "1 minute", "15 minutes".
fn in_words(seconds: i64) -> String {
    match seconds {
        s if s < 60 => format!("{} seconds", s.max(1)),
        s if s < 120 => "1 minute".into(),
        s => format!("{} minutes", (s + 59) / 60),
    }
}

#[post("/sign-out")]
async fn sign_out(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    if let (Some(user), Some(session_id)) = (&ctx.user, ctx.session_id) {
        let (actor, user_id, org_id) = (ctx.actor(), user.id, user.org_id);
        ctx.state
            .db
            .write(move |conn| {
                // The stored session goes: a copy of this cookie is no session.
                session::end(conn, session_id)?;
                audit::record(
                    conn,
                    &actor,
                    Event::new(auth::SIGNED_OUT, Target::User, Some(user_id)).org(org_id),
                )
            })
            .await?;
    }
    ctx.session.sign_out();
    ctx.flash("info", "You have signed out.")?;
    see_other("/sign-in")
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    input: setup::SetupInput,
    errors: FieldErrors,
}

#[get("/setup/{token}")]
async fn setup_form(ctx: PageCtx, token: web::Path<String>) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let check = token.clone();
    if !ctx
        .state
        .db
        .read(move |c| setup::token_valid(c, &check))
        .await?
    {
        return Err(Error::NotFound.into());
    }
    page(&SetupPage {
        layout: ctx.layout("Set up Canopy", "")?,
        token,
        input: setup::SetupInput::default(),
        errors: FieldErrors::new(),
    })
}

#[post("/setup/{token}")]
async fn setup_submit(
    ctx: PageCtx,
    token: web::Path<String>,
    form: web::Form<setup::SetupInput>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let input = form.into_inner();
    let state = ctx.state.clone();
    let (t, i, ip) = (token.clone(), input.clone(), ctx.ip.clone());
    let outcome =
        web::block(move || setup::complete(&state.db, state.config.bcrypt_cost, &t, &i, Some(ip)))
            .await?;
    match outcome {
        Ok(owner) => {
            ctx.start_session(&owner).await?;
            ctx.flash(
                "success",
                "Welcome to Canopy. You are the Owner of the root organization.",
            )?;
            see_other("/")
        }
        Err(Error::Validation(errors)) | Err(Error::Duplicate(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SetupPage {
                layout: ctx.layout("Set up Canopy", "")?,
                token,
                input: setup::SetupInput {
                    password: String::new(),
                    password_confirm: String::new(),
                    ..input
                },
                errors,
            },
        )),
        Err(other) => Err(other.into()),
    }
}
