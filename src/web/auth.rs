//! Signing in and out, and the first-run setup page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageCtx, PageError, page, render, safe_next, see_other};
use crate::domain::audit::{self, Event, Target};
use crate::domain::{auth, session, setup, sso};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(sign_in_form)
        .service(sign_in)
        .service(continue_with_email)
        .service(sign_out)
        .service(setup_form)
        .service(setup_submit);
}

#[derive(Template)]
#[template(path = "auth/sign_in.html")]
pub(super) struct SignInPage {
    pub layout: Layout,
    /// `email` (the first step: which sign-in applies) or `password`.
    pub step: &'static str,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
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
        step: "email",
        email: String::new(),
        next,
        error: None,
    })
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
    next: Option<String>,
}

/// `POST /sign-in/continue`: the email step. An email whose verified domain
/// belongs to an org with single sign-on goes to that org's provider
/// (`web::sso`); any other gets the password step. What is shown never
/// depends on whether an account exists.
#[post("/sign-in/continue")]
async fn continue_with_email(
    ctx: PageCtx,
    form: web::Form<EmailForm>,
) -> Result<HttpResponse, PageError> {
    let EmailForm { email, next } = form.into_inner();
    let next = safe_next(next.as_deref());
    let email: String = email.trim().chars().take(254).collect();
    if email.is_empty() {
        return Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignInPage {
                layout: ctx.layout("Sign in", "")?,
                step: "email",
                email,
                next,
                error: Some("Enter your email address.".into()),
            },
        ));
    }
    let typed = email.clone();
    let routed = ctx
        .state
        .db
        .read(move |conn| sso::route_for_email(conn, &typed))
        .await?;
    if let Some(config) = routed {
        return super::sso::send_to_provider(&ctx, &config, &email, &next).await;
    }
    page(&SignInPage {
        layout: ctx.layout("Sign in", "")?,
        step: "password",
        email,
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
        passed @ (auth::SignIn::Done(_) | auth::SignIn::NeedsCode(_)) => {
            return signed_in(&ctx, passed, &next).await;
        }
        refused => refusal(refused),
    };
    let mut response = render(
        status,
        &SignInPage {
            layout: ctx.layout("Sign in", "")?,
            step: "password",
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

/// Where a sign-in whose first step passed goes next, whatever that step was
/// (a password, or a provider's ID token): signed in, or on to the code step.
pub(super) async fn signed_in(
    ctx: &PageCtx,
    outcome: auth::SignIn,
    next: &str,
) -> Result<HttpResponse, PageError> {
    match outcome {
        auth::SignIn::Done(user) => {
            ctx.start_session(&user).await?;
            see_other(next)
        }
        auth::SignIn::NeedsCode(user) => {
            ctx.session.set_pending_code(user.id)?;
            see_other(&format!(
                "/sign-in/code?next={}",
                super::error::urlencode(next)
            ))
        }
        _ => Err(Error::internal("a refused sign-in has no next step").into()),
    }
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
        auth::SignIn::PasswordOff => (
            StatusCode::FORBIDDEN,
            sso::PASSWORD_REFUSED_MESSAGE.into(),
            None,
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
