//! The signed-in person's own profile: details, API tokens, sign out everywhere.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::layout::Layout;
use super::{PageError, SignedIn, render, see_other};
use crate::domain::ids::UserId;
use crate::domain::token::{self, ApiToken, NewToken};
use crate::domain::{org, user};
use crate::error::{Error, FieldErrors};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show)
        .service(create_token)
        .service(revoke_token)
        .service(sign_out_everywhere);
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    user_id: i64,
    two_factor_on: bool,
    display_name: String,
    email: String,
    job_title: String,
    home_org: String,
    tokens: Vec<ApiToken>,
    new_token: Option<String>,
    token_form: TokenForm,
    errors: FieldErrors,
    now: chrono::NaiveDateTime,
}

#[derive(Default, Deserialize)]
pub(super) struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

/// The profile page with `errors` next to the token or password fields (the
/// password form posts to `web::account`).
pub(super) async fn render_profile(
    me: &SignedIn,
    status: StatusCode,
    token_form: TokenForm,
    errors: FieldErrors,
) -> Result<HttpResponse, PageError> {
    let (user_id, org_id) = (me.user.id, me.user.org_id);
    let (tokens, home, two_factor_on) = me
        .ctx
        .state
        .db
        .read(move |conn| {
            Ok((
                token::list_for_user(conn, user_id)?,
                org::find(conn, org_id)?,
                crate::domain::two_factor::is_on(conn, user_id)?,
            ))
        })
        .await?;
    Ok(render(
        status,
        &ProfilePage {
            layout: me.ctx.layout("Your profile", "profile")?,
            user_id,
            two_factor_on,
            display_name: me.user.display_name.clone(),
            email: me.user.email.clone(),
            job_title: me.user.job_title.clone(),
            home_org: home.name,
            tokens,
            new_token: me.ctx.session.take_new_token(),
            token_form,
            errors,
            now: crate::db::now(),
        },
    ))
}

#[get("/profile")]
async fn show(me: SignedIn) -> Result<HttpResponse, PageError> {
    render_profile(
        &me,
        StatusCode::OK,
        TokenForm::default(),
        FieldErrors::new(),
    )
    .await
}

#[post("/profile/tokens")]
async fn create_token(me: SignedIn, form: web::Form<TokenForm>) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    let new = match NewToken::parse(&form.name, &form.expires_in_days) {
        Ok(new) => new,
        Err(Error::Validation(errors)) => {
            return render_profile(&me, StatusCode::UNPROCESSABLE_ENTITY, form, errors).await;
        }
        Err(other) => return Err(other.into()),
    };
    let (actor, user_id) = (me.actor(), me.user.id);
    let (_, secret) = me
        .ctx
        .state
        .db
        .write(move |conn| token::create(conn, &actor, user_id, new))
        .await?;
    me.ctx.session.set_new_token(&secret)?;
    see_other("/profile")
}

#[post("/profile/tokens/{id}/revoke")]
async fn revoke_token(me: SignedIn, id: web::Path<i64>) -> Result<HttpResponse, PageError> {
    let (actor, user_id, token_id) = (me.actor(), UserId(me.user.id), id.into_inner());
    let revoked = me
        .ctx
        .state
        .db
        .write(move |conn| token::revoke(conn, &actor, user_id, token_id))
        .await?;
    me.ctx
        .flash("success", format!("Token “{}” is revoked.", revoked.name))?;
    see_other("/profile")
}

#[post("/profile/sign-out-everywhere")]
async fn sign_out_everywhere(me: SignedIn) -> Result<HttpResponse, PageError> {
    let (actor, user_id) = (me.actor(), me.user.id);
    me.ctx
        .state
        .db
        .write(move |conn| user::end_all_sessions(conn, &actor, user_id))
        .await?;
    me.ctx.session.sign_out();
    me.ctx
        .flash("info", "You have signed out on every device.")?;
    see_other("/sign-in")
}
