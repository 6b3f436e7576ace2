//! Account pages: activating an invitation, forgetting and resetting a password,
//! and changing it from the profile. A link that no longer works answers 410 Gone
//! with a page that says so and where to get a new one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageCtx, PageError, SignedIn, page, profile, render, see_other};
use crate::domain::account::{self, Purpose};
use crate::domain::user::User;
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(activate_form)
        .service(activate_submit)
        .service(forgot_form)
        .service(forgot_submit)
        .service(reset_form)
        .service(reset_submit)
        .service(change_password);
}

/// What the forgot-password form answers, whether or not the account exists.
pub const RESET_SENT: &str = "If an account exists for that address, we have sent a link to choose a new password. It works once, for one hour.";

#[derive(Template)]
#[template(path = "account/set_password.html")]
struct SetPasswordPage {
    layout: Layout,
    activation: bool,
    action: String,
    email: Option<String>,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "account/link_invalid.html")]
struct LinkInvalidPage {
    layout: Layout,
    activation: bool,
    message: &'static str,
    activation_days: i64,
    reset_minutes: i64,
}

#[derive(Template)]
#[template(path = "account/forgot_password.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

fn title(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Activation => "Activate your account",
        Purpose::Reset => "Choose a new password",
    }
}

/// 410 Gone: the link is unknown, expired, used or replaced by a newer one.
fn link_invalid(ctx: &PageCtx, purpose: Purpose) -> Result<HttpResponse, PageError> {
    Ok(render(
        StatusCode::GONE,
        &LinkInvalidPage {
            layout: ctx.layout("Link no longer works", "")?,
            activation: purpose == Purpose::Activation,
            message: account::LINK_INVALID,
            activation_days: account::ACTIVATION_DAYS,
            reset_minutes: account::RESET_MINUTES,
        },
    ))
}

/// The set-password form of a usable link (or 410), with `errors` and `status`.
async fn password_form(
    ctx: &PageCtx,
    purpose: Purpose,
    token: String,
    status: StatusCode,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let action = format!("{}/{token}", purpose.path());
    let owner = ctx
        .state
        .db
        .read(move |c| account::check_link(c, &token, purpose))
        .await?;
    let Some(owner) = owner else {
        return link_invalid(ctx, purpose);
    };
    Ok(render(
        status,
        &SetPasswordPage {
            layout: ctx.layout(title(purpose), "")?,
            activation: purpose == Purpose::Activation,
            action,
            email: Some(owner.email),
            errors,
        },
    ))
}

#[get("/activate/{token}")]
async fn activate_form(ctx: PageCtx, token: web::Path<String>) -> Result<HttpResponse, PageError> {
    password_form(
        &ctx,
        Purpose::Activation,
        token.into_inner(),
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

#[post("/activate/{token}")]
async fn activate_submit(
    ctx: PageCtx,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    match set_by_link(&ctx, Purpose::Activation, &token, form.into_inner()).await? {
        Ok(user) => {
            ctx.start_session(&user).await?;
            ctx.flash(
                "success",
                format!(
                    "Welcome to Canopy, {}. Your account is active.",
                    user.display_name
                ),
            )?;
            see_other("/")
        }
        Err(e) => link_refused(&ctx, Purpose::Activation, token, e).await,
    }
}

/// Sets the password typed twice through a `purpose` link (activating the
/// account, or resetting its password), on a blocking thread.
async fn set_by_link(
    ctx: &PageCtx,
    purpose: Purpose,
    token: &str,
    form: PasswordForm,
) -> Result<Result<User, Error>, PageError> {
    let (state, t, ip) = (ctx.state.clone(), token.to_string(), ctx.ip.clone());
    let set = match purpose {
        Purpose::Activation => account::activate,
        Purpose::Reset => account::reset,
    };
    Ok(web::block(move || {
        let cost = state.config.bcrypt_cost;
        set(
            &state.db,
            cost,
            &t,
            &form.password,
            &form.password_confirm,
            Some(ip),
        )
    })
    .await?)
}

/// A link that is no longer good says so; a password it refuses shows the
/// form again with the messages (422).
async fn link_refused(
    ctx: &PageCtx,
    purpose: Purpose,
    token: String,
    e: Error,
) -> Result<HttpResponse, PageError> {
    match e {
        e if account::is_link_invalid(&e) => link_invalid(ctx, purpose),
        Error::Validation(errors) => {
            password_form(
                ctx,
                purpose,
                token,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
            )
            .await
        }
        other => Err(other.into()),
    }
}

#[get("/forgot-password")]
async fn forgot_form(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    page(&ForgotPage {
        layout: ctx.layout("Forgot your password?", "")?,
        email: String::new(),
        errors: FieldErrors::new(),
    })
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    email: String,
}

#[post("/forgot-password")]
async fn forgot_submit(
    ctx: PageCtx,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, PageError> {
    let email = form.into_inner().email;
    let (state, typed, ip) = (ctx.state.clone(), email.clone(), ctx.ip.clone());
    let outcome =
        web::block(move || account::request_reset(&state.db, &typed, &ip, &state.base_url)).await?;
    match outcome {
        Ok(()) => {
            ctx.flash("info", RESET_SENT)?;
            see_other("/sign-in")
        }
        Err(Error::Validation(errors)) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                layout: ctx.layout("Forgot your password?", "")?,
                email: email.trim().chars().take(254).collect(),
                errors,
            },
        )),
        Err(other) => Err(other.into()),
    }
}

#[get("/reset-password/{token}")]
async fn reset_form(ctx: PageCtx, token: web::Path<String>) -> Result<HttpResponse, PageError> {
    password_form(
        &ctx,
        Purpose::Reset,
        token.into_inner(),
        StatusCode::OK,
        FieldErrors::new(),
    )
    .await
}

#[post("/reset-password/{token}")]
async fn reset_submit(
    ctx: PageCtx,
    token: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    match set_by_link(&ctx, Purpose::Reset, &token, form.into_inner()).await? {
        Ok(_) => {
            // Every session of the account has ended; this browser's too.
            ctx.session.sign_out();
            ctx.flash(
                "success",
                "Your password is changed and you are signed out everywhere. Sign in with the new one.",
            )?;
            see_other("/sign-in")
        }
        Err(e) => link_refused(&ctx, Purpose::Reset, token, e).await,
    }
}

#[derive(Deserialize)]
struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

#[post("/profile/password")]
async fn change_password(
    me: SignedIn,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, PageError> {
    let (state, user_id, ip) = (me.ctx.state.clone(), me.user.id, me.ctx.ip.clone());
    let outcome = web::block(move || {
        account::change_password(
            &state.db,
            state.config.bcrypt_cost,
            user_id,
            &form.current_password,
            &form.new_password,
            &form.new_password_confirm,
            Some(ip),
        )
    })
    .await?;
    match outcome {
        Ok(user) => {
            // The session epoch moved on; this session carries the new one.
            me.ctx.start_session(&user).await?;
            me.ctx.flash(
                "success",
                "Your password is changed. Every other session has been signed out.",
            )?;
            see_other("/profile")
        }
        Err(Error::Validation(errors)) => {
            profile::render_profile(
                &me,
                StatusCode::UNPROCESSABLE_ENTITY,
                Default::default(),
                errors,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
